"""Particle runs from a case file: ``regolith-sim particles spread|heat|sinter|repose`` and the same in Python.

::

    from regolith_sim.particles import run_particles
    result = run_particles("spread", "examples/particles/spread.toml", "results/spread")
    result["summary"]["layer"]["packing_fraction"]

Each verb builds its grains, contact law, heat and sintering parameters from the case
(:mod:`regolith_sim.particles.config`) and the named material's data file, runs one scenario of
:mod:`regolith_sim.particles.scenarios`, and writes into the output folder, each file atomically:
``summary.json`` (results with units in the key names, the comparison with the continuum model,
the run facts), ``grains.vtu`` (ParaView: radius, velocity, temperature, coordination, neck
ratio, contact lines) and ``grains.ply`` (x, y, z, radius, temperature).

What each verb gives the continuum model:

* ``spread`` - packing fraction and roughness Ra of a layer left by a recoater blade: the initial
  relative density of a deposited layer (``material.initial_relative_density`` of a print case),
  next to the material's bulk/particle density that is used by default.
* ``heat`` - a bed heated by a gaussian spot (exposed grains absorb, all exposed grains radiate),
  and the bed's effective conductivity in vacuum at the listed temperatures, split into contact
  and radiative parts, next to the material law k(T, relative density) of the continuum solver.
* ``sinter`` - densification of a bed over a temperature history, next to the continuum viscous
  sintering model (Frenkel, then Mackenzie-Shuttleworth; :mod:`regolith_sim.sintering.models`)
  and, where the material has one, its master sintering curve, on the same history.
* ``repose`` - the static angle of repose of a lifted-tube heap at the site's gravity (a cone fitted
  to the heap surface, plot ``repose.png``), next to the published angles of lunar simulants and
  the shift reduced gravity causes (data/granular_reference.toml); it checks the rolling friction
  that stands for grain angularity (``"shape"``: from measured grain shapes, docs/particles.md).

Beds are poured under a larger gravity (only their final state matters) and relaxed under the
site's gravity before they are heated or sintered, so contact forces are those of the site.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ConfigError, UserError, rekeyed
from .config import ParticleCase, ParticlesSection, load_particle_case
from .grains import GrainSizeDistribution, median_diameter
from .physics import ContactModel, SinterModel, ThermalModel
from .shape import shape_rolling_friction

VERBS = ("spread", "heat", "sinter", "repose")
#: Mean neck ratio x/a up to which the DEM sintering densities are reported as valid.
NECK_RATIO_VALID = 0.5


# --- parameters from the case and the material ---------------------------------------------------
def _material(case: ParticleCase):
    from ..materials import get_material

    try:
        return get_material(case.particles.material, base_dir=case._base_dir)
    except UserError as exc:  # the error names the print case's key; a particle case names its material here
        raise rekeyed(exc, "particles.material") from None


def grains_for(p: ParticlesSection, material) -> GrainSizeDistribution | float:
    """A grain-size distribution (or one diameter [m]) from ``[particles.grains]`` and the material."""
    g = p.grains
    if g.diameter is not None:
        return g.diameter
    d50 = g.d50 if g.d50 is not None else material.get("grain_size.d50_m")
    sigma = g.sigma_g
    if sigma is None:
        keys = ("grain_size.d10_m", "grain_size.d50_m", "grain_size.d90_m")
        sigma = (GrainSizeDistribution.from_d10_d50_d90(*(material.get(k) for k in keys)).sigma_g
                 if all(material.has(k) for k in keys) else 1.3)
    d_min = g.d_min if g.d_min is not None else 0.5 * d50
    d_max = g.d_max if g.d_max is not None else 2.0 * d50
    if not d_min < d50 < d_max:
        raise ConfigError(f"d50 = {d50:g} m must lie between d_min = {d_min:g} m and d_max = {d_max:g} m",
                          key="particles.grains")
    if sigma == 1.0:
        return d50
    gsd = GrainSizeDistribution(d50, sigma, basis=g.basis, d_min_m=d_min, d_max_m=d_max)
    return gsd


def contact_for(p: ParticlesSection, material, grains) -> ContactModel:
    """The DEM contact law from ``[particles.contact]``; cohesion from the material's [cohesion] data
    (Perko et al. 2001) or from a granular Bond number."""
    c = p.contact
    model = ContactModel(
        density=c.density if c.density is not None else material.particle_density,
        youngs_modulus=c.youngs_modulus, poisson_ratio=c.poisson_ratio, restitution=c.restitution,
        friction=c.friction, friction_wall=c.friction if c.friction_wall is None else c.friction_wall,
        rolling_friction=0.0 if c.rolling_friction == "shape" else c.rolling_friction,
    )
    if c.rolling_friction == "shape":  # grain-grain and grain-wall contacts have different R* (shape.py)
        s = shape_rolling_friction()
        model = replace(model, rolling_friction=s["rolling_friction"], rolling_friction_wall=s["rolling_friction_wall"])
    if c.cohesion == "material":
        keys = ("cohesion.hamaker_J", "cohesion.separation_clean_m", "cohesion.cleanliness_lunar")
        missing = [k for k in keys if not material.has(k)]
        if missing:
            raise UserError(f"material '{material.name}' has no {', '.join(missing)}; set cohesion = 'bond-number' "
                            "or 'none', or add a [cohesion] section to its data file", key="particles.contact.cohesion")
        s = c.cleanliness if c.cleanliness is not None else material.get("cohesion.cleanliness_lunar")
        model = replace(model, hamaker=material.get("cohesion.hamaker_J"), omega=material.get("cohesion.separation_clean_m"),
                        cleanliness=s)
    elif c.cohesion == "bond-number" and c.bond_number > 0:
        if c.cleanliness is not None:
            model = replace(model, cleanliness=c.cleanliness)
        model = replace(model, hamaker=model.hamaker_for_bond_number(c.bond_number, 0.5 * median_diameter(grains),
                                                                     max(p.gravity, 1e-12)))
    return model


def bond_number(contact: ContactModel, grains, gravity: float) -> float | None:
    """Pull-off force of two median grains over the weight of one [-] (None without gravity)."""
    r = 0.5 * median_diameter(grains)
    w = contact.density * 4.0 / 3.0 * math.pi * r**3 * gravity
    return contact.pull_off_force(r, r) / w if w > 0 else None


def thermal_for(p: ParticlesSection, material, T_ref: float, sink: float = 3.0) -> ThermalModel:
    h = p.heat
    return ThermalModel(
        conductivity=h.conductivity if h.conductivity is not None else material.get("conductivity.dense_W_mK"),
        heat_capacity=h.heat_capacity if h.heat_capacity is not None else float(material.cp(T_ref)),
        emissivity=material.emissivity, absorptivity=material.absorptivity("solar"), t_env=sink,
        rad_factor=1.0 if h.radiation else 0.0, true_youngs_modulus=p.contact.true_youngs_modulus,
    )


def viscosity_for(p: ParticlesSection, material) -> tuple[Callable | float, str]:
    """Neck viscosity: the case's constant, or the material's effective viscosity as the continuum uses
    (regolith_sim.sintering.models.effective_viscosity: the master curve's sub-solidus branch below the
    solidus, plus the liquid phase, Giordano et al. 2008 melt x Costa et al. 2009 crystals, from it on)."""
    if p.sinter.viscosity is not None:
        return p.sinter.viscosity, "constant (case file)"
    if not material.composition_wt_pct:
        raise UserError(f"material '{material.name}' has no composition for a melt viscosity; set "
                        "particles.sinter.viscosity [Pa s]", key="particles.sinter.viscosity")
    from ..sintering.models import effective_viscosity

    return (lambda T: effective_viscosity(material, T)), "material effective viscosity (sub-solidus branch, Giordano 2008 x Costa 2009 liquid phase)"


def sinter_model_for(p: ParticlesSection, material) -> tuple[SinterModel, str]:
    s = p.sinter
    visc, what = viscosity_for(p, material)
    gamma = s.surface_tension if s.surface_tension is not None else material.get("melt.surface_tension_N_m")
    lo, hi = min(s.temperatures), max(s.temperatures)
    return SinterModel(surface_tension=gamma, viscosity=visc, eta_bond=s.eta_bond, t_min=max(lo - 100.0, 3.0),
                       t_max=hi + 100.0), what


# --- a poured bed ----------------------------------------------------------------------------------
#: Fewest of the largest grains a poured bed must hold side by side along its length and width.
BED_MIN_GRAINS_ACROSS = 3


def poured_bed(p: ParticlesSection, grains, contact: ContactModel):
    """Pour ``[particles.bed]`` under the fill gravity, then relax it under the site's gravity.
    Returns (packing, bulk packing fraction, DEM steps)."""
    from .scenarios import bulk_packing_fraction, pour_packing, settle

    b = p.bed
    d50 = median_diameter(grains)
    foot = (b.length or 12 * d50, b.width or 12 * d50)
    largest = grains if isinstance(grains, float) else (grains.d_max_m or 2.0 * d50)
    if min(foot) < BED_MIN_GRAINS_ACROSS * largest:
        raise UserError(f"a bed of {foot[0]:g} x {foot[1]:g} m holds fewer than {BED_MIN_GRAINS_ACROSS} of the "
                        f"largest grains ({largest:g} m) across: the grains would stack in a column, not a bed; "
                        f"allowed: length and width of at least {BED_MIN_GRAINS_ACROSS * largest:g} m, or smaller "
                        "grains (particles.grains)", key="particles.bed")
    g_fill = b.fill_gravity or max(p.gravity, 20.0)
    pk, system = pour_packing(b.n_grains, grains, contact, footprint=foot, gravity=g_fill, seed=p.seed,
                              return_system=True)
    steps = int(round(system.time / system.dt))
    if p.gravity != g_fill and p.gravity > 0:
        system.set_gravity(p.gravity)
        t0 = system.time
        settle(system, 2.0 * math.sqrt(2.0 * float(pk.box_hi[2]) / p.gravity), 0.01 * math.sqrt(p.gravity * d50))
        steps += int(round((system.time - t0) / system.dt))
        pk = system.to_packing(pk.box_lo, np.array([pk.box_hi[0], pk.box_hi[1],
                                                    float((system.positions[:, 2] + system.radii).max())]))
        pk.contact = contact
    try:
        phi = bulk_packing_fraction(pk, margin_d=1.0)
    except ValueError:
        phi = pk.solid_volume / float(np.prod(pk.box_hi - pk.box_lo))
    return pk, phi, steps, system


# --- verbs -----------------------------------------------------------------------------------------
def _grains_summary(grains, contact: ContactModel, gravity: float) -> dict:
    out = dict(median_diameter_number_m=median_diameter(grains), density_kg_m3=contact.density,
               youngs_modulus_Pa=contact.youngs_modulus, friction=contact.friction,
               rolling_friction=contact.rolling_friction, restitution=contact.restitution,
               hamaker_J=contact.hamaker, cleanliness=contact.cleanliness, bond_number=bond_number(contact, grains, gravity))
    if isinstance(grains, GrainSizeDistribution):
        lo, hi = grains.bounds_m
        out.update(d50_m=grains.d50_m, basis=grains.basis, sigma_g=grains.sigma_g, d_min_m=lo, d_max_m=hi)
    return out


def run_spread(case: ParticleCase, material) -> tuple:
    from .scenarios import spread_layer

    p = case.particles
    grains = grains_for(p, material)
    contact = contact_for(p, material, grains)
    s = p.spread
    res = spread_layer(grains, contact, layer_thickness=s.layer_thickness, blade_speed=s.blade_speed, gravity=p.gravity,
                       length=s.length, width=s.width, seed=p.seed,
                       fill_gravity=s.fill_gravity or max(p.gravity, 20.0), return_system=True)
    system = res["system"]
    if not res["packing_fraction"] > 0.0:
        raise UserError(f"the blade left no grains in the layer it spread (at {s.blade_speed:g} m/s over a "
                        f"{res['layer_thickness_m']:g} m gap): no packing to measure; allowed: a slower blade "
                        "(particles.spread.blade_speed) or a thicker layer (particles.spread.layer_thickness)",
                        key="particles.spread")
    rho_material = material.powder_relative_density
    summary = dict(
        layer=dict(packing_fraction=res["packing_fraction"], roughness_Ra_m=res["roughness_m"],
                   mean_height_m=res["mean_height_m"], coverage=res["coverage"],
                   solid_thickness_m=res["solid_thickness_m"], layer_thickness_m=res["layer_thickness_m"],
                   n_grains_left=res["n_grains"], window_lo_m=res["window"][0], window_hi_m=res["window"][1]),
        continuum=dict(initial_relative_density=res["packing_fraction"],
                       material_powder_relative_density=rho_material,
                       ratio_to_material=res["packing_fraction"] / rho_material,
                       note="set material.initial_relative_density of a print case to initial_relative_density "
                            "to use this layer; the default is the material's bulk/particle density"),
        blade=dict(speed_m_s=s.blade_speed),
        simulated_time_s=res["time_s"],
    )
    return summary, system, grains, contact


def run_heat(case: ParticleCase, material) -> tuple:
    from .dem import DEMSystem
    from .scenarios import effective_conductivity

    p, h = case.particles, case.particles.heat
    grains = grains_for(p, material)
    contact = contact_for(p, material, grains)
    bed, phi, dem_steps, _ = poured_bed(p, grains, contact)
    th = thermal_for(p, material, h.initial_temperature, h.sink_temperature)
    system = DEMSystem(bed.positions, bed.radii, contact, gravity=0.0, thermal=th,
                       temperature=h.initial_temperature, skin=0.1 * float(bed.radii.min()))
    centre = 0.5 * (bed.box_lo + bed.box_hi)
    w = h.spot_radius or 0.25 * float(np.min(bed.box_hi[:2] - bed.box_lo[:2]))
    q0 = 2.0 * h.power / (math.pi * w * w)  # peak of a gaussian of 1/e^2 radius w carrying `power`
    src = (h.x if h.x is not None else centre[0], h.y if h.y is not None else centre[1], q0, w)
    series = dict(time_s=[], T_max_K=[], T_mean_K=[], absorbed_W=[], n_exposed=[])
    t, n_steps = 0.0, 0
    system.heat_step(0.0, source=src)
    for k_rec in range(1, h.n_records + 1):
        t_next = h.duration * k_rec / h.n_records
        while t < t_next * (1 - 1e-12):
            # the stable step shrinks as radiation (4 sigma T^3) grows: re-evaluate it
            dt = min(system.thermal_time_step(), t_next - t)
            m = max(1, min(50, int((t_next - t) / dt)))
            system.heat_step(dt, source=src, n_steps=m)
            t += m * dt
            n_steps += m
        T = system.temperatures
        if not np.all(np.isfinite(T)):
            from ..errors import SimulationDiverged

            raise SimulationDiverged(f"grain temperatures became non-finite at t = {t:.4g} s")
        ex = system.exposed_mask
        absorbed = system.absorbed_power
        for key, val in (("time_s", t), ("T_max_K", T.max()), ("T_mean_K", T.mean()), ("absorbed_W", absorbed),
                         ("n_exposed", int(ex.sum()))):
            series[key].append(float(val) if key != "n_exposed" else val)
    k_rows = []
    for T_k in h.conductivity_temperatures:
        th_k = replace(th, heat_capacity=float(material.cp(T_k)))
        full = effective_conductivity(bed, th.conductivity, T_k, thermal=th_k, radiation=h.radiation)
        row = dict(T_K=T_k, k_eff_W_mK=full["k_eff"])
        if h.radiation:
            # each path on its own (the two networks do not add exactly: they share the nodes)
            cond = effective_conductivity(bed, th.conductivity, T_k, thermal=th_k, radiation=False)
            rad = effective_conductivity(bed, 0.0, T_k, thermal=th_k, radiation=True)
            row.update(k_contact_W_mK=cond["k_eff"], k_radiative_W_mK=rad["k_eff"])
        k_law = float(material.conductivity(T_k, phi))
        row.update(k_material_law_W_mK=k_law, ratio_to_material_law=full["k_eff"] / k_law)
        k_rows.append(row)
    summary = dict(
        bed=dict(n_grains=bed.n, packing_fraction=phi, height_m=float(bed.box_hi[2] - bed.box_lo[2]),
                 dem_steps=dem_steps),
        source=dict(power_W=h.power, spot_radius_m=w, peak_flux_W_m2=q0, x_m=src[0], y_m=src[1],
                    absorptivity=th.absorptivity),
        peak_temperature_K=max(series["T_max_K"]), final_mean_temperature_K=series["T_mean_K"][-1],
        heat_steps=n_steps, series=series,
        effective_conductivity=k_rows,
        thermal=dict(conductivity_W_mK=th.conductivity, heat_capacity_J_kgK=th.heat_capacity,
                     emissivity=th.emissivity, sink_temperature_K=th.t_env,
                     neighbour_radiation=bool(h.radiation)),
    )
    return summary, system, grains, contact


def continuum_densification(times, temps, viscosity, gamma: float, radius: float, rho0: float) -> np.ndarray:
    """Relative density of the continuum viscous sintering model on a temperature history:
    reduced time tau = int gamma / (eta(T) a) dt (trapezoid on the given samples), then Frenkel and
    Mackenzie-Shuttleworth (:func:`regolith_sim.sintering.models.viscous_density`)."""
    from ..sintering.models import viscous_density

    t = np.asarray(times, float)
    T = np.asarray(temps, float)
    eta = np.asarray(viscosity(T) if callable(viscosity) else np.full_like(T, float(viscosity)), float)
    rate = gamma / (eta * radius)
    tau = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])
    return viscous_density(tau, rho0)


def run_sinter(case: ParticleCase, material) -> tuple:
    from .scenarios import sinter_packing

    p, s = case.particles, case.particles.sinter
    grains = grains_for(p, material)
    contact = contact_for(p, material, grains)
    bed, phi, dem_steps, _ = poured_bed(p, grains, contact)
    sm, visc_what = sinter_model_for(p, material)
    th = thermal_for(p, material, float(np.mean(s.temperatures)), p.heat.sink_temperature)
    # uniform heating sinters freely (no gravity, no walls): the isotropic shrinkage the continuum
    # model assumes; plate heating keeps the bed on its plate under the site's gravity. The small
    # step lets the quasi-static relaxation keep up with the collective shrinkage: over a Frenkel
    # stage (tau = 0.05) a 300-grain bed reaches 0.88 of the continuum densification at 3e-5 r_min
    # per step, 0.98 at 1e-6
    res = sinter_packing(bed, (s.times, s.temperatures), sm, contact,
                         gravity=p.gravity if s.heating == "plate" else 0.0, initial_density=phi,
                         n_records=s.n_records, heating=s.heating, thermal=th, growth_per_step=s.step_approach,
                         return_system=True)
    system = res["system"]
    # the continuum model on the same history, for grains of the bed's mean radius; a fine time
    # grid so the steep viscosity of a partly molten regolith is integrated accurately
    t_fine = np.linspace(0.0, s.times[-1], 20001)
    T_fine = np.interp(t_fine, s.times, s.temperatures)
    visc, _ = viscosity_for(p, material)
    a_mean = float(np.mean(bed.radii))
    rho_c = continuum_densification(t_fine, T_fine, visc, sm.surface_tension, a_mean, phi)
    rho_cont = np.interp(res["time_s"], t_fine, rho_c)
    cont = dict(model="viscous (Frenkel, then Mackenzie-Shuttleworth), same viscosity, grain radius = bed mean",
                grain_radius_m=a_mean, relative_density=rho_cont)
    try:
        from ..sintering.models import msc_density, msc_parameters, R_GAS

        Q, mid, width = msc_parameters(material)
        theta = np.concatenate([[0.0], np.cumsum(0.5 * np.diff(t_fine) * (
            np.exp(-Q / (R_GAS * T_fine[1:])) / T_fine[1:] + np.exp(-Q / (R_GAS * T_fine[:-1])) / T_fine[:-1]))])
        cont["master_curve_relative_density"] = np.interp(res["time_s"], t_fine, msc_density(theta, phi, mid, width))
    except UserError:
        pass
    rho = res["relative_density"]
    # the grain-pair neck law is an early-stage (Frenkel) model: once necks pass x/a ~ 0.5 the
    # overlapping neck volumes are counted twice and the centre-cloud density runs past 1
    valid = (res["mean_neck_ratio"] <= NECK_RATIO_VALID) & (rho <= 1.0)
    k_end = int(np.flatnonzero(valid)[-1]) if valid.any() else 0
    summary = dict(
        bed=dict(n_grains=bed.n, initial_relative_density=phi, dem_steps=dem_steps),
        heating=s.heating, viscosity=visc_what, surface_tension_N_m=sm.surface_tension,
        # past the Frenkel stage the pair law's density is not a density (it runs past 1): null, with the reason
        final_relative_density=float(rho[-1]) if valid[-1] else None,
        final_note=None if valid[-1] else (
            f"the run passed the neck law's validity at t = {float(res['time_s'][k_end]):.4g} s (mean neck ratio "
            f"{float(res['mean_neck_ratio'][-1]):.3g} at the end, relative density {float(rho[-1]):.3g} by the "
            "pair law): at_valid_end and the continuum model give the density"),
        densification=float(rho[-1] - rho[0]) if valid[-1] else None,
        final_mean_neck_ratio=float(res["mean_neck_ratio"][-1]), sinter_steps=res["steps"],
        dem_valid_until_s=float(res["time_s"][k_end]),
        dem_valid_note=f"densities are meaningful while the mean neck ratio x/a <= {NECK_RATIO_VALID} "
                       "(Frenkel stage of the pair neck law); later records are kept but flagged",
        continuum=dict(cont, final_relative_density=float(rho_cont[-1]),
                       densification=float(rho_cont[-1] - rho_cont[0]),
                       at_valid_end=dict(time_s=float(res["time_s"][k_end]), dem_relative_density=float(rho[k_end]),
                                         continuum_relative_density=float(rho_cont[k_end])),
                       dem_over_continuum_densification=float((rho[k_end] - rho[0]) / (rho_cont[k_end] - rho_cont[0]))
                       if rho_cont[k_end] > rho_cont[0] + 1e-9 else None),
        series=dict({k: res[k] for k in ("time_s", "temperature_K", "grain_T_mean_K", "grain_T_min_K",
                                         "relative_density", "linear_shrinkage", "mean_neck_ratio", "n_bonded")},
                    dem_valid=valid),
    )
    return summary, system, grains, contact


def run_repose(case: ParticleCase, material) -> tuple:
    """Fill the tube under the fill gravity, lift it under the site's gravity, fit the heap."""
    from .reference import repose_comparison
    from .scenarios import heap_repose, pour_packing

    p = case.particles
    r = p.repose
    grains = grains_for(p, material)
    contact = contact_for(p, material, grains)
    d50 = median_diameter(grains)
    side = r.tube_width or 8 * d50
    g_fill = r.fill_gravity or max(p.gravity, 20.0)
    pk = pour_packing(r.n_grains, grains, contact, footprint=(side, side), gravity=g_fill, seed=p.seed)
    res = heap_repose(pk, contact, gravity=p.gravity, lift_speed=r.lift_speed, floor_factor=r.floor_width,
                      return_system=True)
    summary = dict(
        repose=dict(angle_deg=res["angle_deg"], fit_r2=res["r2"], rings_fitted=res["n_fitted"],
                    peak_height_m=res["peak_height_m"], grains_in_heap=res["n_heap"], tube_width_m=side,
                    lift_speed_m_s=res["lift_speed_m_s"], method="lifted square tube; cone fitted to the heap "
                    "flank (75th percentile per ring, rings from the highest outwards) between 15 % and 85 % of "
                    "the peak, above one grain"),
        published=repose_comparison(res["angle_deg"], p.gravity),
        simulated_time_s=res["time_s"],
    )
    return summary, res["system"], grains, contact, res["surface"]


_RUNNERS = {"spread": run_spread, "heat": run_heat, "sinter": run_sinter, "repose": run_repose}


def run_particles(verb: str, case: ParticleCase | str | Path | dict, out_dir: str | Path) -> dict:
    """Run one particle verb ('spread', 'heat', 'sinter') on a case and write its outputs into
    ``out_dir``. Returns dict(summary, files, system). Starts the kernel runtime ('auto', f64)
    unless it runs already."""
    from gpu_kernels import backend

    from . import io

    if verb not in _RUNNERS:
        raise UserError(f"verb {verb!r}: allowed {', '.join(VERBS)}", key="particles")
    if not isinstance(case, ParticleCase):
        case = load_particle_case(case)
    material = _material(case)
    arch = backend.ensure_init()
    t0 = time.perf_counter()
    try:
        summary, system, grains, contact, *extra = _RUNNERS[verb](case, material)
    except UserError:
        raise
    except (ValueError, OverflowError, ZeroDivisionError) as exc:  # a case whose sizes leave nothing to measure
        raise UserError(f"particles {verb} cannot run this case: {exc}; allowed: grains (particles.grains) small "
                        "enough for the bed, layer or tube and its walls, and a gravity that settles them",
                        key="particles") from None
    if verb == "repose" and not np.isfinite(summary["repose"]["angle_deg"]):
        raise UserError(f"no cone could be fitted to the heap of {int(system.alive.sum())} grains (too few rings of "
                        "grains around the tube's axis); allowed: more grains (particles.repose.n_grains) or a "
                        "narrower tube (particles.repose.tube_width)", key="particles.repose")
    summary = dict(verb=verb, case=case.name, material=material.name, gravity_m_s2=case.particles.gravity,
                   grains=_grains_summary(grains, contact, case.particles.gravity), **summary)
    from .._version import __version__

    summary["run"] = dict(arch=arch, precision=backend.current_precision(), wall_time_s=time.perf_counter() - t0,
                          n_grains=int(system.alive.sum()), version=__version__)
    out_dir = Path(out_dir)
    files = io.write_system(out_dir, "grains", system)
    if verb == "repose":
        from .reference import plot_heap

        files["plot"] = str(plot_heap(out_dir / "repose.png", extra[0], summary["repose"]["angle_deg"],
                                      case.particles.gravity, summary["published"]))
    files["json"] = str(io.write_json(out_dir / "summary.json", dict(summary, files=dict(files))))
    return dict(summary=summary, files=files, system=system)

