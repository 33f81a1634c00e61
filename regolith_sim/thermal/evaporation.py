"""Evaporation of hot regolith: the material's vapour data and the site's gas, turned into the constants
of the kernel (gpu_kernels.evaporation, which names the equations), and the same fluxes in closed form.

A material file gives, in ``[evaporation]``, two vapour sources in Clausius-Clapeyron form
ln(p/Pa) = A - B/T, each with the molar mass of its vapour and its latent heat: the alkalis
(``alkali_*``), limited by the material's Na2O + K2O (from its composition), and the refractory rest
(``refractory_*``); and the evaporation coefficient. Under a gas (lab air) the vapour also has to diffuse
away, at a mass-transfer coefficient h_m that is the larger of two limits:

* natural convection over the bed: h_m = h_c / (rho c_p)_gas Le^(-2/3), from the convection coefficient by the
  Chilton-Colburn analogy (Chilton & Colburn 1934, Ind. Eng. Chem. 26:1183), the Lewis number taken as 1;
* diffusion into still gas from the hot spot, a disc of radius r in a plane that gives off no vapour:
  h_m = 4 D / (pi r) (:func:`disc_mass_transfer`, :func:`spot_mass_transfer`). A millimetre spot sits at a
  Rayleigh number of order one, where the plume carries less than diffusion does, and this limit is 20-150
  times the convective one for spots of 4-0.5 mm diameter.

Convection only adds to diffusion, so the larger is a lower bound of their sum, and the right one at either
end. The heat the gas conducts away from the spot by the same disc law, 4 k / (pi r) (~40 W/(m^2 K) for a
4 mm spot in air, ~340 for a 0.5 mm one), is not in the heat balance, which keeps the site's convection
coefficient everywhere: applied to the whole top it would cool the broad warm region around the tracks several
times faster than it radiates. At the spot it is k_gas / k_bed of what the bed conducts away below it, a few
per cent under a melt (k ~ 1-2 W/(m K)), more over loose powder. Inside the material a melt boils where a vapour's pressure exceeds the gas
pressure plus a bubble nucleus' Laplace pressure (:func:`boiling_pressure`).
"""
from __future__ import annotations

import numpy as np

from ..errors import MaterialError
from .solver import R_GAS, Evaporation, VapourSource
SOURCE_KEYS = {
    "vapour_pressure_ln_A": "ln of the vapour-pressure prefactor, ln(p/Pa) = A - B/T [-]",
    "vapour_pressure_B_K": "vapour-pressure slope B [K]",
    "molar_mass_kg_mol": "mean molar mass of the vapour [kg/mol]",
    "latent_heat_J_kg": "heat of vaporisation per kg of melt evaporated [J/kg]",
}
KEYS = {f"evaporation.{s}_{k}": f"{s} vapour: {v}" for s in ("alkali", "refractory") for k, v in SOURCE_KEYS.items()}
KEYS["evaporation.coefficient"] = "evaporation (accommodation) coefficient alpha_e [-]"


def alkali_fraction(material) -> float:
    """Mass fraction of Na2O + K2O in the material (0 without a composition)."""
    comp = material.composition_wt_pct
    return (comp.get("Na2O", 0.0) + comp.get("K2O", 0.0)) / 100.0


def disc_mass_transfer(diffusivity_m2_s: float, radius_m: float) -> float:
    """Mass-transfer coefficient [m/s] from a disc of radius ``radius_m`` [m] held at a uniform vapour
    concentration, set in an inert plane, into still gas of diffusivity ``diffusivity_m2_s`` [m^2/s]: the steady
    field of the half-space carries 4 D r dc in all (Weber's disc; the steady current of a microdisc electrode,
    Saito 1968, Rev. Polarogr. 15:177), so the mean flux over the disc is 4 D dc / (pi r)."""
    return 4.0 * diffusivity_m2_s / (np.pi * radius_m)


def spot_mass_transfer(material, site, radius_m: float) -> float:
    """Still-gas mass-transfer coefficient [m/s] of a hot spot of ``radius_m`` [m] at ``site`` (0 in vacuum),
    for a spot at the melt's liquidus T_s, where evaporation begins to matter: :func:`disc_mass_transfer` with
    the vapour's diffusivity at the film temperature T_f (the mean of T_s and the gas's), times T_s / T_f
    because the kernel takes the gas's molar density P / (R T) at the surface, not in the film. Hotter spots
    transfer faster (D h_m c ~ T_f^0.75): at 3,000 K by about half again, so this errs low."""
    T_s = material.get("melting.liquidus_K")
    T_film = 0.5 * (T_s + site.ambient_temperature_K)
    D = site.vapour_diffusivity_at(T_film)
    return disc_mass_transfer(D, radius_m) * T_s / T_film if D and radius_m > 0.0 else 0.0


def evaporation_for(material, h_conv: float, gas_heat_capacity: float | None,
                    gas_pressure: float | None = None, still_gas_m_s: float = 0.0) -> Evaporation:
    """Kernel constants for ``material`` under a gas with convection coefficient ``h_conv`` [W/(m^2 K)],
    volumetric heat capacity ``gas_heat_capacity`` [J/(m^3 K)] and pressure ``gas_pressure`` [Pa] (None or
    h_conv = 0: vacuum), and the still-gas mass transfer from the hot spot ``still_gas_m_s`` [m/s]
    (:func:`spot_mass_transfer`; the larger of it and the convective one is used)."""
    missing = [k for k in KEYS if not material.has(k)]
    if missing:
        raise MaterialError(f"material '{material.name}' has no evaporation data ({missing[0]}: {KEYS[missing[0]]}); "
                            f"add an [evaporation] section or set solver.evaporation = false", key="material")
    g = material.get

    def source(s: str) -> VapourSource:
        return VapourSource(*(g(f"evaporation.{s}_{k}") for k in SOURCE_KEYS))

    h_m = max(h_conv / gas_heat_capacity, still_gas_m_s) if gas_heat_capacity and gas_pressure and h_conv > 0.0 \
        else 0.0
    return Evaporation(alkali=source("alkali"), refractory=source("refractory"),
                       alkali_fraction=alkali_fraction(material), coefficient=g("evaporation.coefficient"),
                       h_mass_m_s=h_m, gas_pressure_Pa=gas_pressure if h_m > 0.0 else 0.0,
                       boiling_pressure_Pa=boiling_pressure(material, gas_pressure or 0.0))


def boiling_pressure(material, gas_pressure: float) -> float:
    """Pressure [Pa] a vapour bubble inside the melt must exceed to grow: the gas pressure plus the Laplace
    pressure 2 gamma / r of a nucleus of radius r (Young-Laplace; Brennen 1995, Cavitation and Bubble
    Dynamics, Sec. 1.3), r the pores of the powder the melt came from, taken as half the median grain size
    (gamma: ``melt.surface_tension_N_m``, grains: ``grain_size.d50_m``). 0 (no boiling inside the material)
    when the material gives neither and there is no gas."""
    laplace = 0.0
    if material.has("melt.surface_tension_N_m") and material.has("grain_size.d50_m"):
        laplace = 2.0 * material.get("melt.surface_tension_N_m") / (0.5 * material.get("grain_size.d50_m"))
    return float(gas_pressure) + laplace


def vapour_pressure(source: VapourSource, T):
    """p_v(T) = exp(A - B/T) [Pa]."""
    return np.exp(source.ln_A - source.B_K / np.asarray(T, float))


def source_flux(ev: Evaporation, source: VapourSource, T, scale=1.0):
    """Net flux [kg/(m^2 s)] of one vapour source, its pressure scaled by ``scale``: Hertz-Knudsen-Langmuir
    in series with gas-side diffusion with Stefan flow (the closed form the kernel evaluates)."""
    T = np.asarray(T, float)
    p = scale * vapour_pressure(source, T)
    j_hkl = ev.coefficient * p * np.sqrt(source.molar_mass_kg_mol / (2.0 * np.pi * R_GAS * T))
    if ev.h_mass_m_s <= 0.0 or ev.gas_pressure_Pa <= 0.0:
        return j_hkl
    x = p / ev.gas_pressure_Pa
    with np.errstate(divide="ignore", invalid="ignore"):
        j_diff = ev.h_mass_m_s * source.molar_mass_kg_mol * ev.gas_pressure_Pa / (R_GAS * T) * -np.log1p(-x)
        return np.where(x < 1.0, j_hkl * j_diff / (j_hkl + j_diff), j_hkl)


def heat_flux(ev: Evaporation, T, alkali_left: float = 1.0):
    """Latent heat carried off per unit area [W/m^2] with ``alkali_left`` of the alkali inventory left."""
    from gpu_kernels.evaporation import ALKALI_ACTIVITY_EXPONENT

    alk = source_flux(ev, ev.alkali, T, alkali_left ** ALKALI_ACTIVITY_EXPONENT if alkali_left > 0 else 0.0)
    return ev.alkali.latent_heat_J_kg * alk + ev.refractory.latent_heat_J_kg * source_flux(ev, ev.refractory, T)
