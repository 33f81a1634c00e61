"""Energy and power budget of a plan, without simulating heat flow.

Energy densities use the nominal process values (P power, v scan speed, d spot diameter, h hatch
spacing, t layer thickness). The same definitions serve the sweeps (:mod:`regolith_sim.sweep.spec`,
in SI) and the budget (in the mm units process papers quote):

* line energy ``E_L = P / v`` [J/m].
* areal energy density ``E_A = P / (v h)`` [J/mm^2 here, J/m^2 in sweeps]: the energy delivered per
  unit area of a scanned layer, hatch by hatch. It is the volumetric density times the layer
  thickness, ``E_A = E_V t``.
* volumetric energy density ``E_V = P / (v h t)`` [J/mm^3 here, J/m^3 in sweeps]: the usual
  powder-bed figure of merit; Thomas, Baxter & Todd (2016, Acta Materialia 108:26-35, "Normalised
  model-based processing diagrams for additive layer manufacture of engineering alloys") make it
  dimensionless, with the absorptivity and the enthalpy to reach melting rho c_p (T_m - T_0), as their
  normalised equivalent energy density E0*.
* spot energy density ``E_d = P / (v d)`` [J/mm^2 here, J/m^2 in sweeps]: the line energy spread over
  the spot diameter instead of the hatch, i.e. a single track's energy per unit area. Balla et al.
  (2012, Rapid Prototyping Journal 18(6):451-457, doi:10.1108/13552541211271992) give their laser
  energy input this way and report laser-processed JSC-1AC lunar regolith simulant parts at energies
  as low as 2.12 J/mm^2: compare that number with ``spot_energy_density_J_mm2``, not with the areal
  density (the two differ by the factor d / h, 1/0.7 with the default hatch).

Solar source: the power available at the spot is ``collector_area x irradiance x optical_efficiency``.
The collector is assumed to track the sun on two axes, so it always faces the direct normal
irradiance S and no cosine factor applies. It must still see the sun: at the lunar south pole the sun
stays within about 1.5 deg of the horizon (the Moon's spin axis is tilted 1.54 deg to the ecliptic
normal), so a collector must be raised clear of the local terrain horizon. When the sun elevation
given is <= 0 deg the sun is taken as blocked (``horizon_blocked``) and nothing is available.
The spot flux ``P / (pi d^2 / 4)`` implies a concentration ``flux / irradiance``; the optics deliver at
most ``concentration x optical_efficiency x irradiance``, so the configured concentration suffices
when ``implied_concentration <= concentration x optical_efficiency``.
"""
from __future__ import annotations

import math

from .plan import ProcessPlan
from .planner import hatch_spacing

J_PER_KWH = 3.6e6
M2_PER_MM2 = 1e-6
M3_PER_MM3 = 1e-9


def energy_densities_si(power: float, speed: float, spot: float, hatch: float, layer: float) -> dict:
    """Line [J/m], spot and areal [J/m^2] and volumetric [J/m^3] energy densities (module docstring)
    from SI inputs: power [W], speed [m/s], spot diameter, hatch spacing and layer thickness [m]."""
    return {
        "line_energy_J_m": power / speed,
        "spot_energy_density_J_m2": power / (speed * spot),
        "areal_energy_density_J_m2": power / (speed * hatch),
        "volumetric_energy_density_J_m3": power / (speed * hatch * layer),
    }


def energy_densities(power: float, speed: float, spot: float, hatch: float, layer: float) -> dict:
    """The densities of :func:`energy_densities_si` in the budget's units: spot and areal [J/mm^2],
    volumetric [J/mm^3]; inputs in SI as there."""
    si = energy_densities_si(power, speed, spot, hatch, layer)
    return {
        "spot_energy_density_J_mm2": si["spot_energy_density_J_m2"] * M2_PER_MM2,
        "areal_energy_density_J_mm2": si["areal_energy_density_J_m2"] * M2_PER_MM2,
        "volumetric_energy_density_J_mm3": si["volumetric_energy_density_J_m3"] * M3_PER_MM3,
    }


def solar_budget(process, sun_elevation_deg: float | None = None) -> dict:
    """Power available from the collector and the concentration the spot needs (rules in the module)."""
    solar = process.solar
    spot_area = math.pi * process.spot_diameter ** 2 / 4.0
    flux = process.power / spot_area
    blocked = sun_elevation_deg is not None and sun_elevation_deg <= 0.0
    available = None
    if solar.collector_area is not None:
        available = 0.0 if blocked else solar.collector_area * solar.irradiance * solar.optical_efficiency
    implied = flux / solar.irradiance
    return {
        "sun_elevation_deg": sun_elevation_deg,
        "horizon_blocked": blocked,
        "available_power_W": available,
        "fits_power": None if available is None else bool(process.power <= available),
        "spot_flux_W_m2": flux,
        "implied_concentration": implied,
        "configured_concentration": solar.concentration,
        "fits_concentration": bool(implied <= solar.concentration * solar.optical_efficiency) and not blocked,
    }


def energy_budget(plan: ProcessPlan, process, site_sun_elevation_deg: float | None = None) -> dict:
    """Print time, energy and energy densities of ``plan`` run with ``process`` (a ProcessSection).

    Keys: ``print_time_s`` (first to last event, dwells included), ``scan_time_s`` (source on),
    ``energy_J`` and ``energy_kWh`` (the plan's power integrated over the on time), ``scan_length_m``,
    ``n_layers``, the energy densities of :func:`energy_densities` (``spot_energy_density_J_mm2``,
    ``areal_energy_density_J_mm2``, ``volumetric_energy_density_J_mm3``), and for ``source == "solar"``
    the keys of :func:`solar_budget` (``available_power_W`` and ``fits_power`` are None without a
    collector area).
    """
    energy = plan.energy()
    out = {
        "source": process.source,
        "n_layers": plan.n_layers,
        "print_time_s": plan.duration,
        "scan_time_s": plan.on_time(),
        "scan_length_m": plan.path_length(on_only=True),
        "energy_J": energy,
        "energy_kWh": energy / J_PER_KWH,
        **energy_densities(process.power, process.scan_speed, process.spot_diameter, hatch_spacing(process),
                           process.layer_thickness),
    }
    if process.source == "solar":
        out.update(solar_budget(process, site_sun_elevation_deg))
    return out
