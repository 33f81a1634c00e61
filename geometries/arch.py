"""Catenary arch built from voussoirs (arch segments).

Frame: the arch spans along x (feet of the centreline at x = -span/2 and +span/2, z = 0),
rises along z and has its depth along y (centred on y = 0). ``span`` and ``rise`` are those
of the centreline ``z(x) = a (cosh(span / 2a) - cosh(x / a))``, the shape that carries its own
weight in pure compression. The ring has radial ``thickness`` centred on the centreline, and
the centreline is cut into ``n_segments`` voussoirs of equal arc length whose joint faces are
normal to it; the two springers are cut the same way, so each foot rests on an inclined
skewback that reaches slightly below z = 0 on the intrados side.

The continuous ring area is exactly ``thickness x arc length`` (the curvature terms of the
inner and outer offsets cancel), so every voussoir has the same volume
``thickness x depth x arc length / n_segments``.
"""
from __future__ import annotations

import math

import numpy as np
import shapely.geometry
import trimesh
from scipy.optimize import brentq

from .params import PartSpec, count, fail, fmt, length
from .solids import extrude_section, finish

#: rise / span ratios accepted; flatter arches need an enormous catenary constant and
#: taller ones fold the intrados at the crown for any useful thickness
RISE_RATIO = (0.05, 3.0)
#: the ring thickness may reach this share of twice the crown radius of curvature; at the
#: full value the intrados degenerates to a cusp at the crown
MAX_THICKNESS_SHARE = 0.95


def catenary_constant(span: float, rise: float) -> float:
    """Catenary parameter a (m) with ``a (cosh(span / 2a) - 1) = rise``; a is also the crown radius of curvature."""
    ratio = rise / span
    # in u = span / 2a the condition is (cosh u - 1) / (2u) = rise / span, increasing in u
    u = brentq(lambda u: (math.cosh(u) - 1) / (2 * u) - ratio, 1e-9, 60.0, xtol=1e-15, rtol=1e-15)
    return span / (2 * u)


def arc_length(span: float, rise: float) -> float:
    """Length (m) of the catenary centreline between the feet: 2 a sinh(span / 2a)."""
    a = catenary_constant(span, rise)
    return 2 * a * math.sinh(span / (2 * a))


def arch_volume(span: float, rise: float, thickness: float, depth: float) -> float:
    """Closed-form volume (m^3) of the whole ring: thickness x depth x arc length."""
    return thickness * depth * arc_length(span, rise)


def centreline(span: float, rise: float, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (x, z) and unit normals (towards the extrados) at arc lengths ``s`` (m) from the left foot."""
    a = catenary_constant(span, rise)
    sigma = np.asarray(s, dtype=float) - arc_length(span, rise) / 2  # arc length from the crown
    root = np.sqrt(a * a + sigma * sigma)  # = a cosh(x / a)
    points = np.column_stack([a * np.arcsinh(sigma / a), a * math.cosh(span / (2 * a)) - root])
    normals = np.column_stack([sigma, np.full_like(sigma, a)]) / root[:, None]
    return points, normals


def _check(v: dict) -> None:
    lo, hi = RISE_RATIO[0] * v["span"], RISE_RATIO[1] * v["span"]
    if not lo <= v["rise"] <= hi:
        fail("rise", f"rise = {fmt(v['rise'], 'm')} is out of range for span {fmt(v['span'], 'm')}; "
                     f"allowed {fmt(lo, 'm')} to {fmt(hi, 'm')} ({RISE_RATIO[0]:g} to {RISE_RATIO[1]:g} x span)")
    limit = MAX_THICKNESS_SHARE * 2 * catenary_constant(v["span"], v["rise"])
    if v["thickness"] > limit:
        fail("thickness", f"thickness = {fmt(v['thickness'], 'm')} is too thick for this arch: the intrados "
                          f"would fold over at the crown; allowed up to {fmt(limit, 'm')} "
                          f"({MAX_THICKNESS_SHARE:g} x twice the crown radius of curvature)")
    if v.get("segment_index", 0) >= v["n_segments"]:
        fail("segment_index", f"segment_index = {v['segment_index']} does not exist; allowed 0 to "
                              f"{v['n_segments'] - 1} for n_segments = {v['n_segments']}")


def _ring(v: dict, first: int, last: int) -> trimesh.Trimesh:
    """Solid of the ring between joints ``first`` and ``last`` (joint k at arc length k S / n)."""
    m = v["samples_per_segment"]
    # sample the whole centreline once so that voussoirs share their joint vertices exactly
    # with the whole ring: their volumes then add up to its volume to round-off
    s = np.linspace(0.0, arc_length(v["span"], v["rise"]), v["n_segments"] * m + 1)[first * m:last * m + 1]
    points, normals = centreline(v["span"], v["rise"], s)
    half = v["thickness"] / 2
    section = np.vstack([points + half * normals, (points - half * normals)[::-1]])
    # extrude along polygon z, then turn (x, y, z) -> (x, -z, y) so the depth runs along y
    turn = np.array([[1, 0, 0, 0], [0, 0, -1, v["depth"] / 2], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)
    mesh = extrude_section(shapely.geometry.Polygon(section), v["depth"], transform=turn)
    return finish(mesh, "arch-segment")


def whole_arch(v: dict) -> trimesh.Trimesh:
    """The whole ring as one solid, sampled like its voussoirs (``v``: resolved parameters)."""
    return _ring(v, 0, v["n_segments"])


def arch_segments(v: dict) -> list[trimesh.Trimesh]:
    """All voussoirs from the left foot to the right foot (``v``: resolved parameters)."""
    return [_ring(v, i, i + 1) for i in range(v["n_segments"])]


def _bodies(**v) -> dict[str, trimesh.Trimesh]:
    i = v["segment_index"]
    return {"arch-segment": _ring(v, i, i + 1)}


def _radial_ray(v: dict):
    # along the normal at the middle of the voussoir, starting outside below the intrados
    s_mid = (v["segment_index"] + 0.5) * arc_length(v["span"], v["rise"]) / v["n_segments"]
    point, normal = centreline(v["span"], v["rise"], np.array([s_mid]))
    origin = np.append(point[0] - v["thickness"] * normal[0], 0.0)[[0, 2, 1]]
    direction = np.append(normal[0], 0.0)[[0, 2, 1]]
    return {"radial": (tuple(origin), tuple(direction))}


ARCH_SEGMENT = PartSpec(
    name="arch-segment",
    description="voussoir of a catenary arch, joints cut normal to the centreline",
    params=(
        length("span", 1.0, 0.05, 50.0, "horizontal distance between the centreline feet"),
        length("rise", 0.5, 0.0025, 150.0, "height of the centreline crown above the feet"),
        length("thickness", 0.1, 0.001, 10.0, "radial ring thickness, centred on the centreline"),
        length("depth", 0.2, 0.001, 50.0, "depth of the arch along y (out of its plane)"),
        count("n_segments", 9, 1, 200, "number of voussoirs of equal centreline arc length"),
        count("segment_index", 0, 0, 199, "which voussoir to build, 0 at the left foot (x < 0)"),
        count("samples_per_segment", 16, 2, 512, "centreline samples per voussoir (tessellation)"),
    ),
    bodies=_bodies,
    check=_check,
    rays=_radial_ray,
)
