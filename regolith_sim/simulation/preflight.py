"""Everything a run decides before its first step, without the kernels: `regolith-sim check` calls
:func:`preflight` so that a case it accepts does not fail when `run` starts, and :class:`Simulation` builds
on the same :class:`Setup`.

Besides building the material, site, parts, plan and domain (each refusing bad input with its own
one-line error), the preflight refuses what would only fail, or never finish, once stepping begins: a
spot wider than the domain, a probe outside it, an unreadable fluctuation file, a material without the
data a chosen model needs, more field frames than ``MAX_FRAMES`` and an estimated step count above
``MAX_STEPS``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserError

#: Most VTK frames one run may write (``output.field_interval``).
MAX_FRAMES = 10_000
#: Most explicit steps a run may be estimated to take (about a day of CPU time at 1 us per step).
MAX_STEPS = 1e8
#: Least share of a spot's peak flux the cell under its centre should average: below it the grid cuts the peak the
#: surface sees (a gaussian spot over 4 cells gives 0.92, over 3 cells 0.87, over 2 cells 0.73), and with it the
#: peak temperature, the melt depth and what consolidates.
SPOT_PEAK_SHARE_MIN = 0.9
#: Cells per heated depth: above this many cells of depth per sqrt(alpha d / v), the depth heat reaches in the
#: powder while the spot passes (the spot's diameter d at speed v, alpha the powder's diffusivity at the solidus),
#: the top cell averages the heat over more depth than it reaches, and the peak temperature and the melt depth rise
#: as the cells shrink (a laser track at 3.4 cells of it: peak 1,609 K, 2,047 K and 2,454 K at 0.5, 0.25 and
#: 0.17 mm cells; a solar one at 1.4: 2,272 K against 2,601 and 2,604 K at 0.7 and 0.5), and what consolidates
#: changes with them (the demo's fell, ``CONSOLIDATION_CELLS_MAX``).
HEATED_DEPTH_CELLS_MAX = 1.0
#: Cell depth per heated depth below which what consolidates settles: with cells between this and
#: ``HEATED_DEPTH_CELLS_MAX`` of it the peak temperature has converged, but how far under each pass the powder
#: sinters has not (the demo, 0.36 mm heated under 0.5 mm layers, without the melt's capillary uptake: 0.88, 0.79
#: and 0.76 of the part consolidated at 0.69, 0.46 and 0.35 of it; with it 0.93, 0.92 and 0.90; benchmarks/RESULTS.md,
#: sessions 22-24).
CONSOLIDATION_CELLS_MAX = 0.5
#: Cell depth per heated depth below which the bonding between layers settles. A layer's melt meets the layer below
#: at its bottom, where the melt that soaked down through the powder arrives near its freezing point (the front stops
#: where it would freeze, sintering.capillary) on a layer that cooled through the dwell: whether that contact fuses
#: hangs on the few hundred kelvin between them, and a cell that also holds part of the pool above reads it hotter
#: (the demo's bonded share between layers: 47 %, 51 %, 28 % and 14 % at one to four cells per 0.5 mm layer, 1.4 to
#: 0.35 of the heated depth; of a three-layer version of it 26 %, 18 % and 21 % at three to five; of a small JSC-1A
#: brick under the same spot 0.43, 0.60, 0.28, 0.24, 0.24 and 0.20 at one to six; docs/outcomes.md, wave 2,
#: session 25).
BONDING_CELLS_MAX = 0.35


@dataclass
class Setup:
    """What a case builds before its kernels: material, site, parts (and their union), plan and domain."""

    material: object
    site: object
    parts: list
    part: object
    plan: object
    domain: object


def setup(case) -> Setup:
    """Build the material, site, parts, plan and domain of ``case`` (one-line errors for bad input)."""
    from ..materials import get_material
    from ..planning import make_plan, plan_from_file
    from ..site import get_site
    from ..thermal.sources import check_spot_fits
    from .bed import bed_union, build_parts
    from .domain import build_domain, check_part_size

    m, s, p = case.material, case.site, case.process
    material = get_material(m.name, m.overrides, case.base_dir)
    site = get_site(s.name, latitude_deg=s.latitude)
    parts = build_parts(case)
    part = bed_union(parts)
    check_part_size(part, p, case.solver, s.substrate_depth, _has_mesh_file(case))
    plan = plan_from_file(case.resolve_path(p.plan_file), p) if p.plan_file else make_plan(parts, p)
    domain = build_domain(part, plan, p, case.solver, s.substrate_depth)
    check_spot_fits(p.spot_diameter, domain.grid.extent[:2])
    _check_fluctuation_file(case)  # a bad file is refused before the kernels are built, not by the source
    return Setup(material, site, parts, part, plan, domain)


def _has_mesh_file(case) -> bool:
    """Whether a part of the case comes from a mesh file (``geometry.file`` or a ``geometry.parts`` entry's)."""
    g = case.geometry
    return bool(g.file) or any(e.file for e in g.parts or [])


def preflight(case) -> Setup:
    """:func:`setup` plus the checks that would otherwise fail only once the run steps (module docstring)."""
    su = setup(case)
    grid = su.domain.grid
    _check_probes(case, grid)
    t_end = float(su.plan.t[-1]) + case.solver.cooldown
    _check_frames(case, su.plan.layer_times, t_end)
    _check_material_for_run(case, su)
    _check_initial_temperature(case, su.material)
    _check_step_count(case, su, grid.dx)
    if case.process.source == "solar":
        from ..thermal.solar import check_sun_up

        check_sun_up(case.process.solar, su.site, case.site.local_time)
    return su


def _check_initial_temperature(case, material) -> None:
    """Refuse a bed that would start at or above the material's solidus: it is spread as powder, which a melt
    is not (its outcomes would read as nothing consolidated)."""
    T0 = case.site.initial_temperature
    if T0 is not None and T0 >= material.solidus_K:
        raise UserError(f"{T0:g} K is at or above the solidus of {material.name} ({material.solidus_K:g} K), but the "
                        f"bed is spread as powder; allowed: below {material.solidus_K:g} K",
                        key="site.initial_temperature")


def _check_material_for_run(case, su: Setup) -> None:
    """Refuse a material lacking the data the chosen models need (evaporation, sintering, microwave
    heating, mechanics), as the run would when building them, each error naming the setting to change."""
    from ..errors import MaterialError

    m, cfg, site = su.material, case.solver, su.site
    if cfg.evaporation:
        from ..thermal.evaporation import evaporation_for

        evaporation_for(m, convection_coefficient(case, site), site.gas_heat_capacity_J_m3K, site.gas_pressure_Pa)
    if cfg.sintering != "none":
        from ..sintering.tables import SinteringTables

        try:
            SinteringTables.from_material(m, model=cfg.sintering, n_T=64, n_tau=64)
        except MaterialError as exc:
            msg = str(exc).removeprefix("material: ").replace("; use model='master-curve'", "")
            raise UserError(f"{msg}; set another solver.sintering ('none' skips densification)",
                            key="solver.sintering") from None
    if case.process.source == "microwave":
        from ..thermal.microwave import MicrowaveSource

        try:
            MicrowaveSource.from_section(m, case.process.microwave)
        except MaterialError as exc:
            raise UserError(str(exc).removeprefix("material: "), key="process.source") from None
    if cfg.mechanics != "off":
        from ..mechanics.coupling import require_elastic

        try:
            require_elastic(m)
        except MaterialError as exc:
            raise UserError(str(exc).removeprefix("material: "), key="solver.mechanics") from None


def warnings_for(case) -> list[str]:
    """What a run accepts but a user should hear before it: a solar spot whose flux needs more concentration
    than the optics give (the run delivers ``process.power`` all the same)."""
    from ..config.loader import unit_slips

    out = unit_slips(case)
    p = case.process
    if p.source == "solar":
        from ..planning.budget import solar_budget
        from ..thermal.solar import collector_power

        b = solar_budget(p)
        if not b["fits_concentration"]:
            most = p.solar.concentration * p.solar.optical_efficiency
            cap = collector_power(p.solar)
            gets = p.power if cap is None else min(p.power, cap)
            out.append(f"process.solar.concentration = {p.solar.concentration:g}: a {p.power:g} W spot of "
                       f"{p.spot_diameter * 1e3:g} mm needs a concentration of {b['implied_concentration']:.4g}, the "
                       f"optics give at most {most:.4g} (concentration x optical_efficiency); the run delivers "
                       f"{gets:.4g} W to the spot all the same: raise the concentration or the spot diameter, or lower "
                       "the power")
    return out


def setup_warnings(case, su: Setup) -> list[str]:
    """What the built set-up shows a user should hear: a cell other than the one asked for (it divides the layer
    into whole cells), a spot the cells do not resolve, a spot path that puts power off the domain while the source
    is on."""
    dx = su.domain.grid.dx
    return (_cell_size_note(case, dx) + _spot_resolution_note(case, su, dx) + _heated_depth_note(case, su, dx)
            + _spot_outside(case, su)
            + _time_step_note(case, su, dx) + _layer_count_note(case, su) + _plan_power_note(case, su)
            + _collector_cap_note(case, su) + _dielectric_note(case, su) + _weak_source_note(case, su))


def initial_temperature(case, site, depths) -> np.ndarray:
    """Initial temperature [K] at ``depths`` [m] below the bed: ``site.initial_temperature`` where given, else the
    site's profile at its local time."""
    T0 = case.site.initial_temperature
    if T0 is not None:
        return np.full(len(depths), float(T0))
    return np.asarray(site.substrate_profile(depths, case.site.local_time / 3600.0), float)


def sky_temperature(case, site) -> float:
    """What the bed radiates to [K]: ``site.sky_temperature`` where given, else the site's sky."""
    return case.site.sky_temperature if case.site.sky_temperature is not None else site.sky_temperature_K


def convection_coefficient(case, site) -> float:
    """Convection coefficient of the bed's surface [W/(m^2 K)]: ``site.convection_coefficient`` where given, else
    the site's."""
    return case.site.convection_coefficient if case.site.convection_coefficient is not None \
        else site.convection_W_m2K


def absorptivity(case, material) -> float:
    """Share of a laser or solar spot's power the bed absorbs: ``process.absorptivity`` where given, else the
    material's for the source."""
    p = case.process
    return p.absorptivity if p.absorptivity is not None else material.absorptivity(p.source)


def spot_temperature_bound(case, su: Setup, power: float, target: float) -> tuple[float, float]:
    """An upper estimate of the surface temperature [K] a laser or solar spot of ``power`` [W] brings the bed to
    (capped at ``target``), and the least power [W] whose estimate reaches ``target`` [K]. The lower of two steady
    states, each without a loss the other has, so the real one lies below both (a moving spot heats less than one
    held still):

    * conduction alone into the loose powder as a semi-infinite solid, its k(T) through the Kirchhoff transform:
      int_T0^T k dT = a q_peak x ``radial_reach`` (a disc of radius R at flux q: q R / k; Carslaw & Jaeger 1959);
      none for a uniform flux, which spreads over the whole top as in one dimension, with no steady state;
    * radiation alone where the flux peaks: eps sigma (T^4 - T_sky^4) = a q_peak.

    a: the absorptivity, eps: the powder's emissivity, T0: the bed's initial surface temperature."""
    from gpu_kernels.thermal import SIGMA

    from ..thermal.sources import peak_flux, radial_reach

    p, m = case.process, su.material
    a = absorptivity(case, m)
    spot = _narrowest_spot(case, su)
    q_per_W = a * (peak_flux(p.profile, 1.0, spot, p.super_gaussian_order) if spot else 1.0 / p.uniform_area)
    T_sky = sky_temperature(case, su.site)
    radiated = m.emissivity * SIGMA * (target ** 4 - T_sky ** 4)  # [W/m^2] net, by a surface at the target
    need_rad = radiated / q_per_W if radiated > 0.0 else 0.0
    T0 = float(initial_temperature(case, su.site, [0.0])[0])
    # (the peak is never below where the bed starts, however cold the sky)
    T_rad = max(T0, (q_per_W * power / (m.emissivity * SIGMA) + T_sky ** 4) ** 0.25) if m.emissivity > 0.0 else np.inf
    T_cond, need_cond = np.inf, 0.0
    if spot and T0 < target:
        T = np.linspace(T0, target, 256)
        k = np.asarray(m.conductivity(T, np.full_like(T, m.powder_relative_density), su.site.gas_conductivity), float)
        kirchhoff = np.concatenate([[0.0], np.cumsum(0.5 * (k[1:] + k[:-1]) * np.diff(T))])  # int_T0^T k dT [W/m]
        per_W = q_per_W * radial_reach(p.profile, spot, p.super_gaussian_order)
        need_cond = kirchhoff[-1] / per_W
        T_cond = float(np.interp(per_W * power, kirchhoff, T)) if power < need_cond else np.inf
    return min(T_rad, T_cond, target), max(need_rad, need_cond)


def _weak_source_note(case, su: Setup) -> list[str]:
    """A laser or solar source too weak to bring even the surface under its spot to the material's sintering
    onset, below which nothing consolidates (a power given in mW for W): :func:`spot_temperature_bound`."""
    powers = _on_powers(su)
    if case.process.source == "microwave" or powers.size == 0:
        return []
    m, power = su.material, float(powers.max())
    onset = m.sintering_onset_K
    reach, needed = spot_temperature_bound(case, su, power, onset)
    if reach >= onset:
        return []
    spot = _narrowest_spot(case, su)
    what = f"on a {spot * 1e3:.4g} mm spot" if spot else f"spread over {case.process.uniform_area * 1e4:.4g} cm^2"
    return [f"process.power = {power:.3g} W {what}, {100 * absorptivity(case, m):.0f} % absorbed, brings "
            f"{m.name} to {reach:.0f} K at most (held still until steady, losing heat only by conduction into the bed "
            f"or only by radiation), below its sintering onset, {onset:.0f} K: nothing consolidates; that takes at "
            f"least about {needed:.2g} W"]


def _dielectric_note(case, su: Setup) -> list[str]:
    """Microwave loss data measured at another frequency than the case's (``check`` prints it, a run warns of it
    with the other set-up warnings)."""
    if case.process.source != "microwave" or not su.material.has("dielectric.frequency_Hz"):
        return []
    from ..thermal.microwave import dielectric_frequency_note

    return dielectric_frequency_note(su.material, case.process.microwave.frequency)


def _on_powers(su: Setup) -> np.ndarray:
    """The powers [W] of the plan's segments with the source on."""
    return np.asarray(su.plan.power)[np.asarray(su.plan.on, bool)]


def _collector_cap_note(case, su: Setup) -> list[str]:
    """A solar plan asking for more than the collector gathers: the spot gets the collector's power."""
    from ..thermal.solar import collector_power

    p = case.process
    cap = collector_power(p.solar) if p.source == "solar" else None
    powers = _on_powers(su)
    if cap is None or powers.size == 0 or powers.max() <= cap * (1 + 1e-9):
        return []
    return [f"process.power: the plan asks for {powers.max():g} W but the collector delivers at most {cap:.4g} W "
            "(irradiance x collector_area x optical_efficiency); the spot gets that"]


def _plan_power_note(case, su: Setup) -> list[str]:
    """A plan file whose power column sets the power: ``process.power`` only fills a file without one, so a
    different value (a sweep's or a ``--set``) changes nothing."""
    p = case.process
    if not p.plan_file:
        return []
    powers = _on_powers(su)
    if powers.size == 0 or np.allclose(powers, p.power, rtol=1e-9, atol=0.0):
        return []
    return [f"process.power = {p.power:.4g} W is not used: the plan file's power column sets the power "
            f"({powers.min():.4g}-{powers.max():.4g} W; process.power only fills a plan without one)"]


def _layer_count_note(case, su: Setup) -> list[str]:
    """A part whose height is not a whole number of layers: the print builds whole layers, so it comes out
    taller (or shorter) than designed."""
    from ..planning.slicing import TOP_SLIVER

    layer = case.process.layer_thickness
    height = float(su.part.bounds[1][2] - su.part.bounds[0][2])
    n = int(su.plan.n_layers)
    if case.process.plan_file:
        return []  # (a plan file sets its own layers)
    if case.process.layers:  # asks for fewer on purpose, or for more than the part has
        if case.process.layers <= n:
            return []
        return [f"process.layers = {case.process.layers}: the part has only {n} layer{'s' * (n != 1)} of "
                f"{layer * 1e3:.4g} mm ({height * 1e3:.4g} mm high), so the print builds {n}; process.layers only "
                "stops a print early"]
    if abs(n * layer - height) <= TOP_SLIVER * layer:  # (the slicer's own tolerance: a mesh a few um proud)
        return []
    return [f"process.layer_thickness: the part is {height * 1e3:.4g} mm high, {height / layer:.3g} layers of "
            f"{layer * 1e3:.4g} mm: the print builds {n} whole layers, {n * layer * 1e3:.4g} mm"]


def _time_step_note(case, su: Setup, dx: float) -> list[str]:
    """A fixed ``solver.time_step`` above the explicit conduction limit dx^2/(6 alpha) of the material fully
    dense, at its most diffusive temperature up to the liquidus (:func:`_fastest_diffusivity`): the run accepts it
    while the powder is cold and stops with an error once cells densify or melt (its stability check at every
    step)."""
    dt = case.solver.time_step
    if not dt:
        return []
    m = su.material
    limit = dx * dx / (6.0 * _fastest_diffusivity(m))
    if dt <= limit:
        return []
    return [f"solver.time_step: {dt:g} s is above {limit:.3g} s, the explicit stability limit of {m.name} on "
            f"{dx * 1e3:.4g} mm cells once it is dense or molten: the run stops with an error when its cells get "
            "there; leave it unset for the largest stable step"]


def _cell_size_note(case, dx: float) -> list[str]:
    cfg, layer = case.solver, case.process.layer_thickness
    if cfg.cell_size is None:
        return []
    target = cfg.cell_size / cfg.resolution
    if abs(dx - target) <= 0.01 * target:
        return []
    asked = f"{target * 1e3:.4g} mm" + (f" ({cfg.cell_size * 1e3:.4g} mm at solver.resolution {cfg.resolution:g})"
                                       if cfg.resolution != 1 else "")
    return [f"solver.cell_size: {asked} asked, {dx * 1e3:.4g} mm used: a cell divides process.layer_thickness "
            f"({layer * 1e3:.4g} mm) into whole cells (a layer is spread as whole cells), so it is never thicker than "
            f"a layer; the grid has {(target / dx) ** 3:.3g}x the cells asked for"]


def _narrowest_spot(case, su: Setup) -> float | None:
    """The narrowest spot diameter [m] the plan switches on (``process.spot_diameter`` if none), or None for a
    source with no spot to resolve (microwave, a uniform profile)."""
    p = case.process
    if p.source == "microwave" or p.profile == "uniform":
        return None
    on = np.asarray(su.plan.on, bool)
    spots = np.asarray(su.plan.spot, float)[on] if on.any() else np.asarray([p.spot_diameter])
    return float(spots.min())


def _spot_resolution_note(case, su: Setup, dx: float) -> list[str]:
    """A spot narrower than the cells resolve: the cell under its centre averages less than
    ``SPOT_PEAK_SHARE_MIN`` of its peak flux (the energy is all deposited; its peak is not)."""
    from ..thermal.sources import centre_cell_share

    p = case.process
    d = _narrowest_spot(case, su)
    if d is None:
        return []
    share = centre_cell_share(p.profile, d, dx, p.super_gaussian_order)
    if share >= SPOT_PEAK_SHARE_MIN:
        return []
    return [f"process.spot_diameter: a {d * 1e3:.4g} mm {p.profile} spot spans {d / dx:.3g} cells of "
            f"{dx * 1e3:.4g} mm: the cell under its centre gets {100 * share:.0f} % of its peak flux, so the peak "
            f"temperature, the melt depth and what consolidates depend on the grid; cells of at most "
            f"{d / 4 * 1e3:.3g} mm resolve it (solver.cell_size, or solver.resolution)"]


def heated_depth(material, spot_diameter: float, scan_speed: float, gas=None) -> float:
    """Depth [m] heat reaches in the loose powder while a spot of ``spot_diameter`` [m] passes at ``scan_speed``
    [m/s]: sqrt(alpha t), t = d / v, alpha = k / (rho c_p) of the powder at the solidus (its radiative
    conductivity near its largest before the powder melts, with ``gas`` in its pores: Site.gas_conductivity;
    Carslaw & Jaeger 1959, Sec. 2.9)."""
    T = np.array([material.solidus_K])
    rho0 = material.powder_relative_density
    k = float(np.asarray(material.conductivity(T, np.array([rho0]), gas), float).ravel()[0])
    rho_cp = material.particle_density * rho0 * float(np.asarray(material.cp(T), float).ravel()[0])
    return float(np.sqrt(k / rho_cp * spot_diameter / scan_speed))


def _heated_depth_note(case, su: Setup, dx: float) -> list[str]:
    """A top cell thicker than the depth heat reaches while the spot passes (:func:`heated_depth`): its
    temperature averages the heated skin with the cold powder under it. A cell thinner than that but thicker than
    ``CONSOLIDATION_CELLS_MAX`` of it: the peak has converged, how deep under each pass the powder sinters not.
    Thinner than that but thicker than ``BONDING_CELLS_MAX`` of it, in a part of several layers: what consolidates
    has settled, the bonding between layers not."""
    p = case.process
    d = _narrowest_spot(case, su)
    if d is None or p.plan_file:  # (a plan file's own times set its speeds, not process.scan_speed)
        return []
    depth = heated_depth(su.material, d, p.scan_speed, su.site.gas_conductivity)
    layered = su.domain.n_layers > 1
    if dx <= (BONDING_CELLS_MAX if layered else CONSOLIDATION_CELLS_MAX) * depth:
        return []
    heats = (f"solver.cell_size: a {d * 1e3:.4g} mm spot at {p.scan_speed * 1e3:.4g} mm/s heats the powder about "
             f"{depth * 1e3:.2g} mm deep as it passes, and a {dx * 1e3:.4g} mm top cell averages that over ")
    consolidation_mm = f"{CONSOLIDATION_CELLS_MAX * depth * 1e3:.2g}"
    bonding_mm = f"{BONDING_CELLS_MAX * depth * 1e3:.2g}"
    bonding = f", and of {bonding_mm} mm the bonding between layers" if layered else ""
    how = " (solver.cell_size, or solver.resolution)"
    if dx <= CONSOLIDATION_CELLS_MAX * depth:
        return [heats + f"{dx / depth:.2g} of it: the peak and what consolidates have converged, the bonding between "
                "layers has not (where a layer's melt meets the layer below, a cell that also holds part of the pool "
                "reads it hotter: the demo's bonded share between layers fell from 28 % to 14 % from 0.46 to 0.35 of "
                f"it); cells of at most {bonding_mm} mm settle it" + how]
    if dx <= HEATED_DEPTH_CELLS_MAX * depth:
        return [heats + f"{dx / depth:.2g} of it: the peak has converged, what consolidates under each pass has not "
                "(the demo's fell by a sixth from 0.7 to 0.46 of it without the melt's capillary uptake); cells of at "
                f"most {consolidation_mm} mm settle it{bonding}" + how]
    return [heats + "its whole depth, so the peak temperature and the melt depth rise as the cells shrink and what "
            f"consolidates changes with them; cells of at most {depth * 1e3:.2g} mm resolve it and of "
            f"{consolidation_mm} mm settle what consolidates{bonding}" + how]


def _spot_outside(case, su: Setup) -> list[str]:
    """A spot path that puts power off the domain while the source is on (what falls there is never absorbed; a
    moving source only): the share of each spot's profile off the domain's top, at 32 points along each segment
    (``sources.share_on_rectangle``), so a spot whose centre stays inside but whose edge hangs over counts too."""
    if case.process.source == "microwave":
        return []
    from ..thermal.sources import share_on_rectangle

    plan, g = su.plan, su.domain.grid
    t, on = np.asarray(plan.t, float), np.asarray(plan.on, bool)
    seg = np.flatnonzero(on[:-1] & (np.diff(t) > 0.0))
    if seg.size == 0:
        return []
    f = (np.arange(32) + 0.5) / 32  # points along each on segment
    x = plan.x[seg, None] + f * (plan.x[seg + 1] - plan.x[seg])[:, None]
    y = plan.y[seg, None] + f * (plan.y[seg + 1] - plan.y[seg])[:, None]
    (x0, y0, _), (lx, ly, _) = g.origin, g.extent
    p = case.process
    outside = 1.0 - share_on_rectangle(p.profile, plan.spot[seg, None], x, y, (x0, x0 + lx, y0, y0 + ly),
                                       p.super_gaussian_order).mean(axis=1)
    energy = plan.power[seg] * np.diff(t)[seg]
    lost, total = float(np.sum(energy * outside)), float(np.sum(energy))
    if total <= 0.0 or lost <= 0.01 * total:
        return []
    # the first segment that loses over 1 % of its power (else the one that loses most)
    first = float(t[seg[np.argmax(outside > 0.01)] if (outside > 0.01).any() else seg[np.argmax(outside)]])
    return [f"the plan takes the spot (or its edge) outside the domain (x {x0 * 1e3:.4g} to "
            f"{(x0 + lx) * 1e3:.4g} mm, y {y0 * 1e3:.4g} to {(y0 + ly) * 1e3:.4g} mm) while the source is on, first "
            f"in the segment from t = {first:.4g} s: {lost:.4g} J of the {total:.4g} J it delivers fall outside and "
            "are not absorbed"]


def _check_probes(case, grid) -> None:
    from .recorders import ProbeRecorder

    ProbeRecorder(case.output.probes, grid)  # refuses a probe outside the domain, naming it


def _check_frames(case, layer_times, t_end: float) -> None:
    from .recorders import frame_count

    interval = case.output.field_interval
    n = frame_count(layer_times, t_end, interval)
    if n > MAX_FRAMES:
        every = f"{interval:g} s" if interval else f"one frame per layer ({len(layer_times)} layers)"
        raise UserError(f"{every} would write {n:.4g} VTK frames over the {t_end:.4g} s run; allowed: "
                        f"output.field_interval at least {t_end / MAX_FRAMES:.3g} s ({MAX_FRAMES} frames at most)",
                        key="output.field_interval")


def _check_fluctuation_file(case) -> None:
    """The fluctuation file must be a regular UTF-8 file of numbers (its reader's errors never quote its lines)."""
    name = case.process.solar.fluctuation_file
    if case.process.source != "solar" or not name:
        return
    from ..thermal.solar import Fluctuation

    Fluctuation.from_csv(case.resolve_path(name))


def _fastest_diffusivity(material) -> float:
    """A lower bound of the largest thermal diffusivity the run meets [m^2/s]: dense solid and melt
    between 300 K and the liquidus (powder conducts less; the real bound of a run is higher)."""
    T = np.linspace(300.0, material.liquidus_K, 64)
    k = np.asarray(material.conductivity(T, np.ones_like(T)), float)
    rho_cp = material.particle_density * np.asarray(material.cp(T), float)
    return float(np.max(k / rho_cp))


def _check_step_count(case, su: Setup, dx: float) -> None:
    """Refuse a run whose explicit steps alone would number more than ``MAX_STEPS``: the source-on time over
    the largest step the settings allow (solver.time_step, the stability limit times solver.safety, half a
    cell of spot travel). An underestimate: the run takes more steps than this."""
    cfg, p = case.solver, case.process
    on_time = su.plan.on_time()
    if not cfg.implicit_cooldown:
        on_time = float(su.plan.t[-1]) + cfg.cooldown
    if on_time <= 0:
        return
    limits = {"solver.safety": cfg.safety * dx * dx / (6.0 * _fastest_diffusivity(su.material))}
    if cfg.time_step:
        limits["solver.time_step"] = cfg.time_step
    if p.source != "microwave":
        limits["solver.cell_size"] = 0.5 * dx / p.scan_speed
    key = min(limits, key=limits.get)
    steps = on_time / limits[key]
    if steps > MAX_STEPS:
        value = {"solver.safety": cfg.safety, "solver.time_step": cfg.time_step, "solver.cell_size": dx}[key]
        hours = steps * 1e-6 / 3600
        raise UserError(f"{value:g} gives at least {steps:.3g} steps ({hours:.3g} h at one step per microsecond) "
                        f"over the {on_time:.4g} s the source is on; allowed: at most {MAX_STEPS:.0e} steps: "
                        f"raise {key}" + (" (a coarser cell)" if key == "solver.cell_size" else ""), key=key)
