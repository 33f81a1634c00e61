"""Grain-scale scenarios that feed the continuum model: pour, spread, heat, sinter.

* :func:`pour_packing` - rain grains into a container and let them settle.
* :func:`spread_layer` - a recoater blade spreads a layer; packing fraction and roughness Ra.
* :func:`effective_conductivity` - steady conduction (+ radiation) across a packing in vacuum.
* :func:`sinter_packing` - densification of a packing over a temperature history.
* :func:`angle_of_repose` - slump (ledge) test of a poured column; slope of what stays.
* :func:`heap_repose` - lifted-tube heap test; the static angle from a cone fitted to the heap surface.

The command surface (case file in, summary and grain files out) is :mod:`regolith_sim.particles.runner`.

Scaling (documented choice, used by the tests and the defaults of the drivers): DEM cost grows
as sqrt(E) (Rayleigh step) and with the settling time sqrt(h/g). Packings are therefore made with
a softened Young's modulus (overlaps kept < ~1 % of d) and, where only the final state matters,
a larger gravity; cohesion is then scaled to keep the granular Bond number F_pull / (m g).
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from .dem import BoxWall, DEMSystem, Packing, blade, container, plate
from .grains import GrainSizeDistribution, median_diameter
from .measure import height_map, packing_fraction, roughness_ra
from .physics import G_MOON, ContactModel, SinterModel, ThermalModel


def _diameters(n: int, grains: GrainSizeDistribution | float, rng) -> np.ndarray:
    if isinstance(grains, GrainSizeDistribution):
        return grains.sample(n, rng)
    return np.full(n, float(grains))


def _lattice_fill(diam: np.ndarray, lo, hi, z0: float, rng, spacing_factor: float = 1.1) -> np.ndarray:
    """Grain centres on a loose cubic lattice (pitch 1.1 d_max, small jitter) from height z0 up,
    inside the footprint lo-hi; as many layers as needed for all grains."""
    dmax = diam.max()
    pitch = spacing_factor * dmax
    nx = max(1, int((hi[0] - lo[0] - dmax) // pitch) + 1)
    ny = max(1, int((hi[1] - lo[1] - dmax) // pitch) + 1)
    n = len(diam)
    nz = math.ceil(n / (nx * ny))
    ii, jj, kk = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    pts = np.stack([ii, jj, kk], -1).reshape(-1, 3)
    pts = pts[np.lexsort((pts[:, 1], pts[:, 0], pts[:, 2]))][:n]
    x = np.empty((n, 3))
    x[:, 0] = lo[0] + 0.5 * dmax + pts[:, 0] * pitch
    x[:, 1] = lo[1] + 0.5 * dmax + pts[:, 1] * pitch
    x[:, 2] = z0 + 0.5 * dmax + pts[:, 2] * pitch
    x += rng.uniform(-0.04, 0.04, x.shape) * dmax
    return x


def settle(system: DEMSystem, max_time: float, speed_tol: float, min_time: float = 0.0, every: int = 200) -> float:
    """Run until the root-mean-square grain speed is below ``speed_tol`` [m/s] (after
    ``min_time``) or ``max_time`` [s] have passed; returns the simulated time spent. RMS rather
    than maximum: a lone sphere rolling on a flat top surface would otherwise never stop."""
    t0 = system.time

    def done(s):
        if s.time - t0 < min_time:
            return False
        v = s.velocities[s.alive]
        return v.size == 0 or float(np.sqrt((v * v).sum(1).mean())) < speed_tol

    system.run(max_time, callback=done, every=every)
    return system.time - t0


def pour_packing(n_grains: int, grains: GrainSizeDistribution | float, contact: ContactModel | None = None, *,
                 footprint: Sequence[float] | None = None, gravity: float = G_MOON, seed: int = 0,
                 max_time: float | None = None, speed_tol: float | None = None, dt_safety: float = 0.2,
                 return_system: bool = False):
    """Rain ``n_grains`` into an open box and let them settle under ``gravity`` [m/s^2].

    ``grains``: a :class:`GrainSizeDistribution` or one diameter [m]. ``footprint``: (Lx, Ly) of
    the box [m] (default ~10 x 10 median diameters). The grains start on a loose lattice with a
    small random jitter and random velocities (0.1 sqrt(g d)), so they pack randomly.
    Returns a :class:`Packing` (box = container interior up to the highest grain top), or
    ``(packing, system)`` with ``return_system``.
    """
    rng = np.random.default_rng(seed)
    contact = contact or ContactModel()
    diam = _diameters(n_grains, grains, rng)
    d50 = float(np.median(diam))
    lx, ly = footprint if footprint is not None else (10 * d50, 10 * d50)
    lo = np.array([0.0, 0.0, 0.0])
    x = _lattice_fill(diam, lo, (lx, ly), 0.0, rng)
    top = x[:, 2].max() + diam.max()
    hi = np.array([lx, ly, top])
    g = abs(gravity)
    v = rng.normal(0.0, 0.1 * math.sqrt(g * d50), x.shape)
    system = DEMSystem(x, 0.5 * diam, contact, walls=container(lo, hi, thickness=d50), gravity=g,
                       domain=(lo - d50, hi + d50), dt_safety=dt_safety, velocities=v)
    t_fall = math.sqrt(2.0 * top / g)
    settle(system, max_time or 10.0 * t_fall, speed_tol or 0.01 * math.sqrt(g * d50), min_time=t_fall)
    xs, rs = system.positions, system.radii
    hi_top = np.array([lx, ly, float((xs[:, 2] + rs).max())])
    pk = Packing(xs, rs, lo, hi_top, contact, meta=dict(gravity=g, time_s=system.time))
    return (pk, system) if return_system else pk


def bulk_packing_fraction(packing: Packing, margin_d: float = 2.0) -> float:
    """Packing fraction inside the container away from walls, floor and free surface by
    ``margin_d`` median diameters (wall layers are looser; Scott & Kilgour 1969 measure bulk)."""
    d = 2.0 * float(np.median(packing.radii))
    lo = packing.box_lo + margin_d * d
    hi = packing.box_hi - margin_d * d
    hi[2] = _surface_level(packing) - margin_d * d
    if np.any(hi <= lo):
        raise ValueError("packing too small for the wall margin")
    return packing_fraction(packing.positions, packing.radii, lo, hi)


def _surface_level(packing: Packing) -> float:
    """Mean height of the free surface [m] (mean of the top-surface height map)."""
    d = 2.0 * float(np.median(packing.radii))
    hm = height_map(packing.positions, packing.radii, packing.box_lo[:2], packing.box_hi[:2], 0.5 * d,
                    floor=packing.box_lo[2])
    return float(hm.mean())


def angle_of_repose(packing: Packing, contact: ContactModel | None = None, *, gravity: float = G_MOON,
                    side_friction: float = 0.0, max_time: float | None = None, speed_tol: float | None = None,
                    dt_safety: float = 0.2, return_system: bool = False) -> dict:
    """Static angle of repose [deg] from a slump (ledge) test.

    The packing's container is rebuilt without its x+ wall: the grains flow out over the edge
    of the floor (and are removed once they fall below it); what stays on the ledge forms a slope
    at the angle of repose (the "box with a removable side" / ledge method; cf. the review of
    AoR methods by Al-Hashemi & Al-Amoudi 2018, Powder Technol. 330:397). The side walls
    (y-, y+) have ``side_friction`` (0: they act as symmetry planes of a wider box). The slope is
    the least-squares fit of the y-averaged top-surface profile h(x) between 15 % and 85 % of
    the deposit height at the back wall.

    ``contact``: parameter set of the slump (default: the packing's). Returns dict(angle_deg,
    profile_x_m, profile_h_m, n_left, time_s).
    """
    contact = contact or packing.contact or ContactModel()
    g = abs(gravity)
    d = 2.0 * float(np.median(packing.radii))
    lo, hi = packing.box_lo, packing.box_hi
    top = hi[2] + 2 * d
    walls = [
        BoxWall((lo[0] - d, lo[1] - d, lo[2] - d), (hi[0], hi[1] + d, lo[2]), name="plate"),
        BoxWall((lo[0] - d, lo[1] - d, lo[2] - d), (lo[0], hi[1] + d, top), name="x-"),
        BoxWall((lo[0] - d, lo[1] - d, lo[2] - d), (hi[0] + 4 * d, lo[1], top), name="y-",
                friction=side_friction, rolling_friction=0.0, cohesive=False),
        BoxWall((lo[0] - d, hi[1], lo[2] - d), (hi[0] + 4 * d, hi[1] + d, top), name="y+",
                friction=side_friction, rolling_friction=0.0, cohesive=False),
    ]
    dom = (lo - 2 * d, np.array([hi[0] + 4 * d, hi[1] + 2 * d, top]))
    system = DEMSystem(packing.positions, packing.radii, contact, walls=walls, gravity=g, domain=dom,
                       dt_safety=dt_safety, z_kill=lo[2] - 2 * d)
    h0 = hi[2] - lo[2]
    t_min = 4.0 * math.sqrt(h0 / g)
    settle(system, max_time or 8.0 * t_min, speed_tol or 0.01 * math.sqrt(g * d), min_time=t_min)
    alive = system.alive
    xs, rs = system.positions[alive], system.radii[alive]
    on = xs[:, 0] < hi[0]  # grains still on the ledge
    xs, rs = xs[on], rs[on]
    step = 0.25 * d
    hm = height_map(xs, rs, (lo[0], lo[1] + d), (hi[0], hi[1] - d), step, floor=lo[2])
    prof = hm.mean(axis=1) - lo[2]
    xc = lo[0] + step * (np.arange(len(prof)) + 0.5)
    h_back = float(np.max(prof[: max(1, int(2 * d / step))]))
    sel = (prof > 0.15 * h_back) & (prof < 0.85 * h_back)
    angle = float("nan")
    if sel.sum() >= 4:
        slope = np.polyfit(xc[sel], prof[sel], 1)[0]
        angle = float(np.degrees(np.arctan(-slope)))
    out = dict(angle_deg=angle, profile_x_m=xc, profile_h_m=prof, n_left=int(len(xs)), time_s=system.time)
    if return_system:
        out["system"] = system
    return out


def fit_heap_cone(positions, radii, centre_xy, lo_xy, hi_xy, floor: float, spacing: float,
                  band=(0.15, 0.85)) -> dict:
    """Least-squares cone ``h = h0 - tan(theta) rho`` fitted to a heap's top surface.

    The surface is the height map of the grains (cells of ``spacing`` [m]) over lo_xy-hi_xy, and
    ``rho`` the distance of a cell from the heap axis at ``centre_xy`` [m]. Cells are grouped into
    rings of width ``spacing``; each ring's surface height is the 75th percentile of its cells (the
    grain tops, not the dips between grains or the bare floor between scattered grains at the
    foot). Rings from the highest one outwards whose height lies within ``band`` of the peak height, and
    above one grain diameter, are fitted (the rounded top, a crater at the apex and the foot of the heap
    are excluded, as in image-based repose measurements of the flank). Returns dict(angle_deg,
    peak_height_m, rho_m, h_m (cells), ring_rho_m, ring_h_m, fitted (ring mask), n_fitted, r2)."""
    hm = height_map(positions, radii, lo_xy, hi_xy, spacing, floor=floor) - floor
    gx = lo_xy[0] + spacing * (np.arange(hm.shape[0]) + 0.5)
    gy = lo_xy[1] + spacing * (np.arange(hm.shape[1]) + 0.5)
    rho = np.hypot(gx[:, None] - centre_xy[0], gy[None, :] - centre_xy[1]).ravel()
    h = hm.ravel()
    ring = (rho / spacing).astype(int)
    n_ring = int(ring.max()) + 1
    ring_h = np.array([np.percentile(h[ring == k], 75) if np.any(ring == k) else 0.0 for k in range(n_ring)])
    ring_rho = spacing * (np.arange(n_ring) + 0.5)
    peak = float(ring_h.max())
    d = 2.0 * float(np.max(radii))
    # the flank: rings from the highest one outwards (a heap whose apex sank into a crater, as cohesive heaps
    # left by a lifted tube do, would otherwise add the crater's inner wall to the slope)
    outward = np.arange(n_ring) >= int(np.argmax(ring_h))
    sel = (ring_h > max(band[0] * peak, d)) & (ring_h < band[1] * peak) & outward
    angle, r2 = float("nan"), float("nan")
    if sel.sum() >= 4:
        b, a = np.polyfit(ring_rho[sel], ring_h[sel], 1)
        angle = float(np.degrees(np.arctan(-b)))
        res = ring_h[sel] - (a + b * ring_rho[sel])
        r2 = float(1.0 - res.var() / max(ring_h[sel].var(), 1e-300))
    return dict(angle_deg=angle, peak_height_m=peak, rho_m=rho, h_m=h, ring_rho_m=ring_rho, ring_h_m=ring_h,
                fitted=sel, n_fitted=int(sel.sum()), r2=r2)


def heap_repose(packing: Packing, contact: ContactModel | None = None, *, gravity: float = G_MOON,
                lift_speed: float | None = None, floor_factor: float = 4.0, max_time: float | None = None,
                dt_safety: float = 0.2, return_system: bool = False) -> dict:
    """Static angle of repose [deg] from a lifted-tube heap test at any gravity.

    The poured ``packing`` fills a square tube (its container's side walls, footprint L x L) that
    stands on a rough floor ``floor_factor`` L wide; the tube is lifted at ``lift_speed`` [m/s]
    (default 0.1 sqrt(g d50): slow enough that the grains run out of the bottom and the heap forms
    by avalanching, the angle then no longer depending on the speed; at 0.2 sqrt(g d50) a column taller
    than wide partly collapses and the heap stands 6-7 deg flatter, docs/particles.md) and the grains
    spread into a heap; grains falling off the floor are removed. Once the tube has cleared the heap
    and the grains have come to rest, a cone is fitted to the heap surface (:func:`fit_heap_cone`).
    This is the lifted-cylinder ("hollow cylinder") method of the review by Al-Hashemi & Al-Amoudi
    (2018, Powder Technol. 330:397), with a square tube because the DEM's walls are boxes. Returns
    dict(angle_deg, peak_height_m, r2, n_fitted (rings), n_heap, time_s, lift_speed_m_s, tube_side_m,
    surface (cells and rings of :func:`fit_heap_cone`, for the plot))."""
    contact = contact or packing.contact or ContactModel()
    g = abs(gravity)
    d = 2.0 * float(np.median(packing.radii))
    lo, hi = packing.box_lo, packing.box_hi
    side = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    c = 0.5 * (lo[:2] + hi[:2])
    half = 0.5 * floor_factor * side
    f_lo, f_hi = c - half, c + half
    top = float((packing.positions[:, 2] + packing.radii).max())
    t = d  # tube wall thickness
    h_tube = top + 2 * d
    v = lift_speed or 0.1 * math.sqrt(g * d)
    up = (0.0, 0.0, v)
    walls = [
        BoxWall((f_lo[0], f_lo[1], lo[2] - d), (f_hi[0], f_hi[1], lo[2]), name="floor"),
        BoxWall((lo[0] - t, lo[1] - t, lo[2]), (lo[0], hi[1] + t, h_tube), up, name="x-"),
        BoxWall((hi[0], lo[1] - t, lo[2]), (hi[0] + t, hi[1] + t, h_tube), up, name="x+"),
        BoxWall((lo[0], lo[1] - t, lo[2]), (hi[0], lo[1], h_tube), up, name="y-"),
        BoxWall((lo[0], hi[1], lo[2]), (hi[0], hi[1] + t, h_tube), up, name="y+"),
    ]
    dom = (np.array([f_lo[0] - d, f_lo[1] - d, lo[2] - 2 * d]), np.array([f_hi[0] + d, f_hi[1] + d, top + d]))
    system = DEMSystem(packing.positions, packing.radii, contact, walls=walls, gravity=g, domain=dom,
                       dt_safety=dt_safety, z_kill=lo[2] - 2 * d)
    t_lift = (top - lo[2] + d) / v
    system.run(t_lift)
    for name in ("x-", "x+", "y-", "y+"):
        system.remove_wall(name)
    t_min = 2.0 * math.sqrt(2.0 * (top - lo[2]) / g)
    settle(system, max_time or 10.0 * t_min, 0.01 * math.sqrt(g * d), min_time=t_min)
    alive = system.alive
    xs, rs = system.positions[alive], system.radii[alive]
    fit = fit_heap_cone(xs, rs, c, f_lo, f_hi, lo[2], 0.5 * d)
    out = dict(angle_deg=fit["angle_deg"], peak_height_m=fit["peak_height_m"], r2=fit["r2"],
               n_fitted=fit["n_fitted"], n_heap=int(len(xs)), time_s=system.time, lift_speed_m_s=v,
               tube_side_m=side, surface={k: fit[k] for k in ("rho_m", "h_m", "ring_rho_m", "ring_h_m", "fitted")})
    if return_system:
        out["system"] = system
    return out


# ---------------------------------------------------------------------------------------------
# Spreading a layer
# ---------------------------------------------------------------------------------------------
def spread_layer(grains: GrainSizeDistribution | float, contact: ContactModel | None = None, *,
                 layer_thickness: float | None = None, blade_speed: float = 0.05, gravity: float = G_MOON,
                 length: float | None = None, width: float | None = None, reservoir_factor: float = 2.0,
                 seed: int = 0, dt_safety: float = 0.2, fill_gravity: float | None = None,
                 return_system: bool = False) -> dict:
    """Spread one powder layer with a recoater blade and measure it.

    A reservoir of powder is settled on the build plate behind a gate; the gate is removed and a
    blade (bottom edge at ``layer_thickness`` above the plate) sweeps along +x at
    ``blade_speed`` [m/s] over ``length`` [m] (default 30 d50) between side walls ``width`` apart
    (default 10 d50). Grains pushed past the plate edge are removed.

    Returns dict(packing_fraction, roughness_m (Ra of the top surface), mean_height_m,
    coverage (fraction of the window covered by grains), solid_thickness_m (solid volume per
    area), n_grains, window (lo, hi) [m], time_s, packing (:class:`Packing` of the layer)).
    Measurements use a window away from the side walls (2 d50) and from both ends (15 %).
    ``fill_gravity`` lets the reservoir settle faster (default = ``gravity``); it is then
    re-settled under ``gravity`` before the blade starts.
    """
    rng = np.random.default_rng(seed)
    contact = contact or ContactModel()
    d50 = median_diameter(grains)
    dvol = 2.0 * (3.0 / (4.0 * np.pi) * (grains.mean_volume_m3() if isinstance(grains, GrainSizeDistribution)
                                        else np.pi / 6 * d50**3)) ** (1.0 / 3.0)
    h = layer_thickness or 2.0 * dvol
    L = length or 30.0 * d50
    W = width or 10.0 * d50
    g = abs(gravity)
    # reservoir: enough powder for the layer at ~0.55 packing, with a surplus
    v_grain = np.pi / 6.0 * dvol**3
    n = int(reservoir_factor * 0.55 * L * W * h / v_grain) + 1
    diam = _diameters(n, grains, rng)
    # reservoir short enough that the settled powder (packing ~0.55) stands 3 layer thicknesses
    # (at least 6 d) high, well above the blade gap; its loose lattice is taller until it settles
    h_res = max(3.0 * h, 6.0 * d50)
    l_res = max(6.0 * d50, float(np.sum(np.pi / 6.0 * diam**3)) / (0.55 * W * h_res))
    x = _lattice_fill(diam, (-l_res, 0.0), (0.0, W), 0.0, rng)
    top = x[:, 2].max() + diam.max()
    t_plate = d50
    walls = [
        plate((-l_res - 4 * d50, 0.0), (L, W), z=0.0, thickness=t_plate),
        # side walls are frictionless symmetry planes: the strip stands for a wider bed
        BoxWall((-l_res - 4 * d50, -t_plate, -t_plate), (L, 0.0, top + 2 * d50), name="y-", friction=0.0,
                rolling_friction=0.0, cohesive=False),
        BoxWall((-l_res - 4 * d50, W, -t_plate), (L, W + t_plate, top + 2 * d50), name="y+", friction=0.0,
                rolling_friction=0.0, cohesive=False),
        BoxWall((0.0, 0.0, 0.0), (t_plate, W, top + 2 * d50), name="gate"),
        # the blade first stands on the plate as the back wall of the reservoir
        blade(-l_res, 0.0, W, 0.0, top + 2 * d50, t_plate, 0.0),
    ]
    gf = abs(fill_gravity) if fill_gravity else g
    dom = (np.array([-l_res - 2 * d50, -d50, -d50]), np.array([L + 2 * d50, W + d50, top + 2 * d50]))
    system = DEMSystem(x, 0.5 * diam, contact, walls=walls, gravity=gf, domain=dom, dt_safety=dt_safety,
                       z_kill=-5.0 * d50)
    t_fall = math.sqrt(2.0 * top / gf)
    settle(system, 8.0 * t_fall, 0.02 * math.sqrt(gf * d50), min_time=t_fall)
    if gf != g:
        system.set_gravity(g)
        # the settled reservoir only relaxes to the lower load: a fraction of a free-fall time
        settle(system, 1.5 * math.sqrt(2.0 * top / g), 0.02 * math.sqrt(g * d50), min_time=0.0)
    # the blade: bottom edge at the layer height, moving along +x
    system.remove_wall("gate")
    system.set_wall("blade", lo=(-l_res - t_plate, 0.0, h), hi=(-l_res, W, h + top + 2 * d50),
                    velocity=(blade_speed, 0.0, 0.0))
    t_sweep = (L + l_res + 2 * d50) / blade_speed
    system.run(t_sweep)
    system.remove_wall("blade")
    # grains that ran off the plate end
    xs = system.positions
    system.deactivate(xs[:, 0] > L)
    settle(system, 1.5 * math.sqrt(2.0 * max(h, d50) / g) + 0.05 * t_sweep, 0.01 * math.sqrt(g * d50))
    alive = system.alive
    xs, rs = system.positions[alive], system.radii[alive]
    wlo = np.array([0.15 * L, 2.0 * d50, 0.0])
    whi = np.array([0.85 * L, W - 2.0 * d50, h])
    phi = packing_fraction(xs, rs, wlo, whi)
    hm = height_map(xs, rs, wlo[:2], whi[:2], 0.25 * d50, floor=0.0)
    in_win = (xs[:, 0] > wlo[0]) & (xs[:, 0] < whi[0]) & (xs[:, 1] > wlo[1]) & (xs[:, 1] < whi[1])
    area = float(np.prod(whi[:2] - wlo[:2]))
    out = dict(
        packing_fraction=phi,
        roughness_m=roughness_ra(hm),
        mean_height_m=float(hm.mean()),
        coverage=float(np.mean(hm > 0.0)),
        solid_thickness_m=float(np.sum(4.0 / 3.0 * np.pi * rs[in_win] ** 3)) / area,
        layer_thickness_m=h,
        n_grains=int(alive.sum()),
        window=(wlo, whi),
        time_s=system.time,
        packing=Packing(xs, rs, np.array([0.0, 0.0, 0.0]), np.array([L, W, h]), contact),
    )
    if return_system:
        out["system"] = system
    return out


# ---------------------------------------------------------------------------------------------
# Effective conductivity of a packing in vacuum
# ---------------------------------------------------------------------------------------------
def effective_conductivity(packing: Packing, k_solid: float, T: float = 300.0, *, delta_T: float | None = None,
                           thermal: ThermalModel | None = None, radiation: bool = True,
                           hot_below: float | None = None, cold_above: float | None = None,
                           tol: float = 1e-4, max_sweeps: int = 200_000, return_system: bool = False) -> dict:
    """Effective conductivity [W/(m K)] of a packing in vacuum, from a steady heat flow along z.

    Grains with centres below ``hot_below`` [m] (default: floor + one median diameter) are held
    at T + dT/2, grains above ``cold_above`` (default: one diameter below the mean top surface)
    at T - dT/2; the free grains relax to steady state (damped Jacobi sweeps of the conduction +
    neighbour-radiation network, :mod:`gpu_kernels.particles_thermal`). Then

        k_eff = (Q / A) / |dT/dz|,

    with Q the heat flow [W] (mean of what leaves the hot and enters the cold set), A the
    footprint of the packing box and dT/dz the least-squares temperature gradient of the free
    grains (so the boundary layers do not bias it). ``k_eff_ends`` uses the mean centre heights of
    the two boundary sets instead. Contact radii come from the packing's overlaps (and necks);
    set ``thermal.true_youngs_modulus`` when the packing was made with a softened modulus.
    """
    th = replace(thermal or ThermalModel(), conductivity=k_solid, surface=False)
    if not radiation:
        th = replace(th, rad_factor=0.0)
    d = 2.0 * float(np.median(packing.radii))
    x, r = packing.positions, packing.radii
    system = DEMSystem(x, r, packing.contact or ContactModel(), gravity=0.0, thermal=th,
                       skin=0.1 * float(r.min()))
    dT = delta_T or 0.02 * T
    z = x[:, 2]
    zb = hot_below if hot_below is not None else packing.box_lo[2] + d
    za = cold_above if cold_above is not None else _surface_level(packing) - d
    hot, cold = z < zb, z > za
    if not hot.any() or not cold.any() or (hot & cold).any():
        raise ValueError("packing too thin for the hot and cold boundary sets")
    free = ~(hot | cold)
    zh, zc = z[hot].mean(), z[cold].mean()
    t0 = T + dT / 2 - dT * np.clip((z - zh) / (zc - zh), 0.0, 1.0)  # linear start: fewer sweeps
    system.temperatures = t0
    system.set_fixed_temperature(hot | cold)
    sweeps, q_prev, q = 0, np.inf, 0.0
    block = 200
    while sweeps < max_sweeps:
        system.heat_step(0.9, mode=1, n_steps=block)
        sweeps += block
        hf = system.heat_flows
        q_hot, q_cold = -hf[hot].sum(), hf[cold].sum()
        q = 0.5 * (q_hot + q_cold)
        if q > 0 and abs(q_hot - q_cold) < tol * q and abs(q - q_prev) < tol * q:
            break
        q_prev = q
        block = min(2 * block, 5000)
    area = float(np.prod(packing.box_hi[:2] - packing.box_lo[:2]))
    temps = system.temperatures
    if free.sum() >= 3 and np.ptp(z[free]) > 0:
        grad = abs(np.polyfit(z[free], temps[free], 1)[0])
    else:
        grad = dT / (zc - zh)
    out = dict(k_eff=q / area / grad, k_eff_ends=q / area / (dT / (zc - zh)), heat_flow_W=q, area_m2=area,
               gradient_K_m=grad, length_m=zc - zh, T_hot=T + dT / 2, T_cold=T - dT / 2, sweeps=sweeps,
               balance=abs(q_hot - q_cold) / max(q, 1e-300))
    if return_system:
        out["system"] = system
    return out


# ---------------------------------------------------------------------------------------------
# Sintering / densification
# ---------------------------------------------------------------------------------------------
def _history(T_history) -> tuple[Callable[[float], float], float]:
    """(T(t) [K], end time [s]) from a callable with an ``end`` attribute or (times, temps)."""
    if callable(T_history):
        end = getattr(T_history, "end", None)
        if end is None:
            raise ValueError("a callable T_history needs an 'end' attribute [s]; or pass (times, temperatures)")
        return T_history, float(end)
    ts, Ts = (np.asarray(a, float) for a in T_history)
    if ts.ndim != 1 or ts.shape != Ts.shape or len(ts) < 2 or np.any(np.diff(ts) <= 0):
        raise ValueError("T_history = (times [s], temperatures [K]) with increasing times, at least two points")
    if ts[0] != 0.0:
        raise ValueError("T_history times must start at 0 s")
    return (lambda t: float(np.interp(t, ts, Ts))), float(ts[-1])


def _shape_volume(x: np.ndarray) -> float:
    """Volume measure of a cloud of centres: sqrt(det cov), the product of its principal extents.
    Flat or linear clouds (a pair of grains) use their k non-degenerate extents to the power 3/k."""
    lam = np.linalg.eigvalsh(np.cov(x.T))
    lam = lam[lam > 1e-12 * lam.max()]
    return float(np.prod(np.sqrt(lam)) ** (3.0 / len(lam)))


def sinter_packing(packing: Packing, T_history, sinter: SinterModel | None = None,
                   contact: ContactModel | None = None, *,
                   gravity: float = 0.0, initial_density: float | None = None, growth_per_step: float = 1e-3,
                   min_steps: int = 200, n_records: int = 100, max_steps: int = 200_000,
                   heating: str = "uniform", thermal: ThermalModel | None = None, plate_depth: float | None = None,
                   return_system: bool = False) -> dict:
    """Densification of a packing over a temperature history (free sintering by default).

    ``T_history``: (times [s], temperatures [K]) (piecewise linear) or a callable T(t) with an
    ``end`` attribute. With ``gravity`` [m/s^2] the packing stays in its box (a crucible with
    frictionless sides); without, it sinters freely - a packing poured under gravity with a
    softened modulus then first relaxes elastically (a small density drop). The grains carry the
    viscous neck law of :mod:`gpu_kernels.particles` (Frenkel neck growth, Parhami-McMeeking-type
    normal force) in a quasi-static run (fictitious masses); the step is chosen so that a free pair
    approaches by at most ``growth_per_step`` x r_min per step.

    ``heating``:

    * ``"uniform"`` - every grain follows T(t) (a furnace);
    * ``"plate"`` - grains within ``plate_depth`` (default one median diameter) of the floor follow
      T(t); the others exchange heat with the :mod:`gpu_kernels.particles_thermal` model
      (``thermal``: contact conduction through the Hertz contacts and the growing necks, radiation
      between neighbours, exposed grains radiating to ``thermal.t_env``), so hot necks conduct
      better and the packing heats, necks and shrinks from below (two-way coupling). Heat is
      stepped explicitly with the stable step, up to 200 sub-steps per sintering step; when the
      sintering step is longer than that, the temperature field is relaxed to its steady state
      instead (Jacobi sweeps): the step then exceeds 200 single-grain time constants m c_p / G,
      more than the ~n_layers^2 of them the packing's own diffusion time takes.

    Relative density: rho(t) = rho0 V0 / V(t), V = sqrt(det cov(centres)) (follows anisotropic
    shrinkage), rho0 = ``initial_density`` or the packing fraction away from the walls.
    Returns dict(time_s, temperature_K (imposed), grain_T_mean_K, grain_T_min_K, relative_density,
    linear_shrinkage, mean_neck_ratio, coordination, n_bonded) as arrays over the records, and
    ``final_packing``.
    """
    T_of, t_end = _history(T_history)
    if heating not in ("uniform", "plate"):
        raise ValueError(f"heating = {heating!r}: allowed 'uniform' or 'plate'")
    sinter = sinter or SinterModel()
    if initial_density is None:
        try:
            initial_density = bulk_packing_fraction(packing, margin_d=1.0)
        except ValueError:
            initial_density = packing.solid_volume / float(np.prod(packing.box_hi - packing.box_lo))
    contact = contact or packing.contact or ContactModel()
    # with gravity the packing sits in a crucible: its box with frictionless sides; free
    # sintering (no gravity) needs no walls
    walls = []
    d = 2.0 * float(np.median(packing.radii))
    if gravity:
        size = packing.box_hi - packing.box_lo
        walls = container(packing.box_lo, packing.box_hi + np.array([0.0, 0.0, size[2]]), thickness=d)
        for w in walls[1:]:
            w.friction, w.rolling_friction, w.cohesive = 0.0, 0.0, False
    th = None
    if heating == "plate":
        th = replace(thermal or ThermalModel(), surface=True)
    system = DEMSystem(packing.positions, packing.radii, contact, gravity=gravity, sinter=sinter, walls=walls,
                       quasi_static=True, temperature=T_of(0.0), dt=t_end / min_steps, thermal=th)
    plate_grains = None
    if heating == "plate":
        depth = plate_depth if plate_depth is not None else d
        plate_grains = packing.positions[:, 2] < packing.box_lo[2] + depth
        if not plate_grains.any() or plate_grains.all():
            raise ValueError("plate heating needs grains both within plate_depth of the floor and above it")
        system.set_fixed_temperature(plate_grains, T_of(0.0))
    r_min = float(packing.radii.min())
    v0 = _shape_volume(packing.positions)
    rec = {k: [] for k in ("time_s", "temperature_K", "grain_T_mean_K", "grain_T_min_K", "relative_density",
                           "linear_shrinkage", "mean_neck_ratio", "coordination", "n_bonded")}

    def record():
        x = system.positions
        v = _shape_volume(x)
        c = system.contacts()
        bonded = c["neck"] > 0
        ri, rj = system.radii[c["i"]], system.radii[c["j"]]
        a = 2.0 * ri * rj / (ri + rj)
        temps = system.temperatures
        rec["time_s"].append(system.time)
        rec["temperature_K"].append(T_of(system.time))
        rec["grain_T_mean_K"].append(float(temps.mean()))
        rec["grain_T_min_K"].append(float(temps.min()))
        rec["relative_density"].append(initial_density * v0 / v)
        rec["linear_shrinkage"].append(1.0 - (v / v0) ** (1.0 / 3.0))
        rec["mean_neck_ratio"].append(float(np.mean(c["neck"][bonded] / a[bonded])) if bonded.any() else 0.0)
        rec["coordination"].append(2.0 * len(c["i"]) / system.n)
        rec["n_bonded"].append(int(bonded.sum()))

    def heat(dt):
        temps = system.temperatures
        temps[plate_grains] = T_of(system.time + dt)
        system.temperatures = temps
        dt_th = system.thermal_time_step()
        n_sub = max(1, math.ceil(dt / dt_th))  # dt_th is inf before any conductance exists
        if n_sub <= 200:
            system.heat_step(dt / n_sub, n_steps=n_sub)
        else:
            system.heat_step(0.9, mode=1, n_steps=200)

    record()
    next_rec = t_end / n_records
    steps = 0
    while system.time < t_end * (1 - 1e-12) and steps < max_steps:
        t = system.time
        T = T_of(t) if heating == "uniform" else float(system.temperatures.max())
        rate = sinter.frenkel_rate(T)
        dt = min(growth_per_step * r_min / rate, t_end / min_steps, t_end - t)
        if heating == "uniform":
            system.temperatures = T
        else:
            heat(dt)
        system.step(1, dt=dt)
        steps += 1
        if system.time >= next_rec - 1e-15:
            record()
            next_rec += t_end / n_records
    out = {k: np.asarray(v) for k, v in rec.items()}
    out["steps"] = steps
    out["initial_density"] = initial_density
    out["final_packing"] = system.to_packing(packing.box_lo, packing.box_hi)
    if return_system:
        out["system"] = system
    return out
