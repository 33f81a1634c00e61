"""Closed-form sintering laws in NumPy: the reference the kernels are tested against.

Two densification models are offered:

* the master sintering curve (Su & Johnson 1996, J. Am. Ceram. Soc. 79:3211), an empirical
  one-parameter-family fit: density is one function of the work of sintering
  Theta = int (1/T) exp(-Q/(R T)) dt, here a sigmoid in ln Theta;
* viscous sintering of glass-bearing grains: Frenkel (1945, J. Phys. USSR 9:385) neck growth,
  then Mackenzie & Shuttleworth (1949, Proc. Phys. Soc. B 62:833) closure of isolated pores. Both
  depend on time only through the reduced time tau = int gamma/(eta a) dt, so density is a single
  function rho_visc(tau) tabulated once per material.

SI units throughout; temperatures in K unless a name ends in ``_C``.
"""
from __future__ import annotations

import numpy as np
from scipy import integrate, special

from ..errors import MaterialError

#: Molar gas constant [J/(mol K)] (CODATA 2018, exact).
R_GAS = 8.314462618
#: Frenkel's law holds while the neck radius is below ~0.3 grain radii (regolith-data.md Sec. 6).
NECK_RATIO_SWITCH = 0.3
#: Reduced time at the Frenkel -> Mackenzie-Shuttleworth switch: (x/a)^2 = 3 tau/2 = 0.09.
TAU_SWITCH = 2.0 * NECK_RATIO_SWITCH**2 / 3.0
#: Maximum packing fraction for the Krieger-Dougherty law: close packing of equal spheres
#: (pi/sqrt(18) = 0.7405, the value Krieger & Dougherty 1959 used for ordered suspensions).
PHI_MAX = 0.74
#: Relative-viscosity cap once the crystals form a touching framework (phi_c >= phi_m).
ETA_REL_CAP = 1e12


# --- viscous sintering ------------------------------------------------------------------------

def frenkel_neck_ratio(gamma, eta, a, t):
    """Neck radius over grain radius for two equal viscous spheres, Frenkel (1945):
    (x/a)^2 = 3 gamma t / (2 eta a)  [-]  (valid for x/a < ~0.3)."""
    return np.sqrt(1.5 * np.asarray(gamma, float) * np.asarray(t, float) / (np.asarray(eta, float) * a))


def frenkel_density(tau, rho0):
    """Relative density in the Frenkel stage as a function of reduced time tau = gamma t/(eta a).

    Centre approach of two spheres gives the linear shrinkage dL/L = (x/a)^2/4 = 3 tau/8
    (Frenkel 1945), so with isotropic shrinkage rho = rho0 / (1 - 3 tau/8)^3."""
    return rho0 / (1.0 - 0.375 * np.asarray(tau, float)) ** 3


def pore_number_density(d):
    """Pores per unit volume of solid with one pore per grain of diameter d: n = 6/(pi d^3) [1/m^3]."""
    return 6.0 / (np.pi * d**3)


def mackenzie_shuttleworth_rate(rho, gamma, eta, d):
    """Densification rate of Mackenzie & Shuttleworth (1949), eq. for isolated equal pores:

        d rho/dt = (3/2) (4 pi/3)^(1/3) gamma n^(1/3) / eta (1 - rho)^(2/3) rho^(1/3)   [1/s]

    with n = 6/(pi d^3). Since (4 pi/3)^(1/3) (6/pi)^(1/3) = 2, this is
    (3/2) gamma/(eta a) (1-rho)^(2/3) rho^(1/3) with a = d/2, i.e. d rho/d tau = 1.5 (...)."""
    rho = np.asarray(rho, float)
    n = pore_number_density(d)
    return 1.5 * (4.0 * np.pi / 3.0) ** (1.0 / 3.0) * gamma * n ** (1.0 / 3.0) / eta \
        * (1.0 - rho) ** (2.0 / 3.0) * rho ** (1.0 / 3.0)


def mackenzie_shuttleworth_reduced_rate(rho):
    """d rho / d tau = 1.5 (1 - rho)^(2/3) rho^(1/3) (tau = gamma t/(eta a), a = grain radius)."""
    rho = np.clip(np.asarray(rho, float), 0.0, 1.0)
    return 1.5 * (1.0 - rho) ** (2.0 / 3.0) * rho ** (1.0 / 3.0)


def viscous_density_table(rho0: float, n: int = 4096):
    """Mackenzie-Shuttleworth density on a uniform tau grid from TAU_SWITCH (the Frenkel stage
    below it is closed form, :func:`frenkel_density`) to a little past full density.

    The MS stage is integrated exactly by quadrature rather than by stepping: with u = (1-rho)^(1/3),
    d tau = d rho / (1.5 (1-rho)^(2/3) rho^(1/3)) becomes d tau = -2 du / (1 - u^3)^(1/3), which is
    smooth up to full density (u = 0), reached at a finite tau_full. Returns
    (tau0 = TAU_SWITCH, d_tau, rho array, tau_full); beyond the grid the density is 1 (clamped)."""
    if not 0.0 < rho0 < 1.0:
        raise MaterialError(f"powder relative density {rho0} must lie in (0, 1)", key="material")
    rho_s = float(frenkel_density(TAU_SWITCH, rho0))
    if rho_s >= 1.0:  # pragma: no cover - needs rho0 > 0.93
        raise MaterialError(f"powder relative density {rho0} too high for the Frenkel stage", key="material")
    u_s = (1.0 - rho_s) ** (1.0 / 3.0)
    u = np.linspace(u_s, 0.0, 20001)
    g = 2.0 / (1.0 - u**3) ** (1.0 / 3.0)
    tau_ms = TAU_SWITCH + integrate.cumulative_simpson(g, x=-u, initial=0.0)
    tau_full = float(tau_ms[-1])
    tau = np.linspace(TAU_SWITCH, tau_full * 1.02, n)  # a margin of flat rho = 1 keeps the clamp exact
    rho = np.interp(tau, tau_ms, 1.0 - u**3, right=1.0)
    return TAU_SWITCH, float(tau[1] - tau[0]), np.minimum(rho, 1.0), tau_full


def viscous_density(tau, rho0: float, table=None):
    """rho_visc(tau): Frenkel closed form below TAU_SWITCH, the MS table above (as the kernel does)."""
    tau0, dtau, rho_tab, _ = table if table is not None else viscous_density_table(rho0)
    tau = np.asarray(tau, float)
    grid = tau0 + dtau * np.arange(rho_tab.size)
    return np.where(tau < tau0, frenkel_density(np.minimum(tau, tau0), rho0), np.interp(tau, grid, rho_tab))


def krieger_dougherty(phi, phi_m: float = PHI_MAX, cap: float = ETA_REL_CAP):
    """Relative viscosity of a suspension of solid volume fraction phi, Krieger & Dougherty (1959,
    Trans. Soc. Rheol. 3:137): eta_r = (1 - phi/phi_m)^(-[eta] phi_m) with the Einstein intrinsic
    viscosity [eta] = 2.5; capped at ``cap`` when phi >= phi_m (a rigid crystal framework)."""
    phi = np.asarray(phi, float)
    x = np.clip(1.0 - phi / phi_m, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        eta_r = np.where(x > 0.0, x ** (-2.5 * phi_m), np.inf)
    return np.minimum(eta_r, cap)


def crystal_fraction(material, T):
    """Crystal volume fraction of partly glassy regolith at T: phi_c = (1 - glass_fraction)(1 - f_melt(T))."""
    g = material.get("melt.glass_fraction")
    return (1.0 - g) * (1.0 - material.melt_fraction(T))


def effective_viscosity(material, T):
    """Effective viscosity of the sintering grains [Pa s]: the crystal-free melt viscosity of Giordano
    et al. (2008, EPSL 271:123) times the Krieger-Dougherty relative viscosity of its crystal fraction."""
    return material.viscosity(T) * krieger_dougherty(crystal_fraction(material, T))


def viscous_density_isothermal(material, T, t, rho0=None, table=None):
    """rho_visc after holding at constant T for t [s]: tau = gamma t/(eta_eff(T) a)."""
    rho0 = material.powder_relative_density if rho0 is None else rho0
    a = 0.5 * material.get("grain_size.d50_m")
    tau = material.get("melt.surface_tension_N_m") * np.asarray(t, float) / (effective_viscosity(material, T) * a)
    return viscous_density(tau, rho0, table)


# --- master sintering curve -------------------------------------------------------------------

def msc_theta_isothermal(T, t, Q):
    """Work of sintering of an isothermal hold, Su & Johnson (1996) eq. (8) with T constant:
    Theta = (t/T) exp(-Q/(R T)) [s/K]."""
    T = np.asarray(T, float)
    return np.asarray(t, float) / T * np.exp(-Q / (R_GAS * T))


def msc_theta_ramp(T0, T1, rate, Q):
    """Theta of a constant-rate ramp T = T0 + rate t from T0 to T1 [s/K], in closed form:
    with u = Q/(R T), int (1/T) exp(-Q/(RT)) dT / rate = [E1(Q/(R T1)) - E1(Q/(R T0))] / rate
    (E1 the exponential integral, scipy.special.exp1)."""
    u0, u1 = Q / (R_GAS * np.asarray(T0, float)), Q / (R_GAS * np.asarray(T1, float))
    return (special.exp1(u1) - special.exp1(u0)) / rate


def msc_density(theta, rho0, ln_theta_mid, ln_theta_width):
    """Relative density on the master curve, the sigmoid of Su & Johnson (1996):
    rho = rho0 + (1 - rho0) / (1 + exp(-(ln Theta - mid)/width))."""
    theta = np.asarray(theta, float)
    with np.errstate(divide="ignore"):
        x = (np.log(np.maximum(theta, 1e-300)) - ln_theta_mid) / ln_theta_width
    return rho0 + (1.0 - rho0) * special.expit(x)


def msc_parameters(material) -> tuple[float, float, float]:
    """(Q [J/mol], ln Theta mid, width) from the material's [sintering] section."""
    keys = ("sintering.msc_activation_energy_J_mol", "sintering.msc_ln_theta_mid", "sintering.msc_ln_theta_width")
    missing = [k for k in keys if not material.has(k)]
    if missing:
        raise MaterialError(f"material '{material.name}' has no master sintering curve (missing "
                            f"{', '.join(missing)}); use model='viscous' or add a [sintering] section",
                            key="material")
    return tuple(material.get(k) for k in keys)  # type: ignore[return-value]


def furnace_window(material, temperatures_C, hold_s: float = 7200.0, rho0: float | None = None) -> list[dict]:
    """Relative density after an isothermal furnace hold at each temperature (heating and cooling
    neglected): the master-curve prediction (Su & Johnson 1996) and, where the material has a melt
    composition, the viscous-sintering prediction (Frenkel / Mackenzie-Shuttleworth with eta_eff).

    For comparison with furnace practice: LMS-1 and MGS-1 sinter best at 1100-1200 degC (Warren et al.
    2022, arXiv:2205.06855) and radiant-sintered bricks need 1100 degC for ~2 h (Allen, Graf & McKay
    1994). One row per temperature, keys with units."""
    rho0 = material.powder_relative_density if rho0 is None else rho0
    Q, mid, width = msc_parameters(material)
    has_visc = bool(material.composition_wt_pct) and material.has("melt.surface_tension_N_m") \
        and material.has("melt.glass_fraction")
    table = viscous_density_table(rho0) if has_visc else None
    rows = []
    for T_C in np.atleast_1d(np.asarray(temperatures_C, float)):
        T = T_C + 273.15
        theta = float(msc_theta_isothermal(T, hold_s, Q))
        row = {"T_C": float(T_C), "T_K": float(T), "hold_s": float(hold_s), "ln_theta_s_per_K": float(np.log(theta)),
               "rel_density_master_curve": float(msc_density(theta, rho0, mid, width))}
        if T >= material.liquidus_K:
            row["rel_density_master_curve"] = 1.0
        if has_visc:
            row["rel_density_viscous"] = float(viscous_density_isothermal(material, T, hold_s, rho0, table))
            row["eta_eff_Pa_s"] = float(effective_viscosity(material, T))
        rows.append(row)
    return rows
