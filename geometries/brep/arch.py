"""B-rep voussoir of the catenary arch: a planar section bounded by two spline offsets of the
catenary and two straight joints normal to it, extruded over the arch depth.

Same frame as :mod:`geometries.arch` (span along x, rise along z, depth along y centred on
y = 0). The extrados and intrados are the exact parallel curves ``c(s) +- (t/2) n(s)`` of the
catenary centreline ``c`` (points and normals from :func:`geometries.arch.centreline`),
interpolated by cubic B-splines through points evenly spaced in tangent angle, with the
exact end tangents (the parallel curves share the centreline's tangent). The joints lie at arc lengths ``k S / n``, as in the trimesh builder;
the ring area is exactly ``t S`` (Bernoulli: the curvature terms of the two offsets cancel),
so the voussoir's volume is ``t d S / n``.
"""
from __future__ import annotations

import numpy as np
from build123d import Solid

from ..arch import arc_length, catenary_constant, centreline
from .sections import extrude, face, in_xz, line, spline

#: largest turn (rad) of the curves between interpolation points: 1 degree keeps the
#: cubic-spline error below 1e-9 of the local radius of curvature
MAX_TURN = np.radians(1.0)
#: fewest interpolation points per curve
MIN_POINTS = 5


def _samples(v: dict, index: int) -> np.ndarray:
    """Arc lengths (m) of the interpolation points of voussoir ``index``, evenly spaced in tangent angle.

    Both offset curves turn with the centreline, so equal turns put the points closest where
    the intrados is tightest (at the crown, down to 5 % of the catenary radius there).
    """
    a = catenary_constant(v["span"], v["rise"])
    total = arc_length(v["span"], v["rise"])
    # along the catenary, arc length from the crown sigma = a tan(phi), phi the tangent angle
    joints = np.arctan((np.array([index, index + 1]) * total / v["n_segments"] - total / 2) / a)
    n = max(MIN_POINTS, int(np.ceil((joints[1] - joints[0]) / MAX_TURN)) + 1)
    s = a * np.tan(np.linspace(joints[0], joints[1], n)) + total / 2
    s[[0, -1]] = np.array([index, index + 1]) * total / v["n_segments"]  # joints exactly where the mesh has them
    return s


def voussoir(v: dict, index: int) -> Solid:
    """Voussoir ``index`` (0 at the left foot) for resolved parameters ``v`` (m)."""
    points, normals = centreline(v["span"], v["rise"], _samples(v, index))
    tangents = np.column_stack([normals[:, 1], -normals[:, 0]])  # normal turned by -90 deg
    half, front = v["thickness"] / 2, -v["depth"] / 2
    extrados = in_xz(points + half * normals, front)
    intrados = in_xz((points - half * normals)[::-1], front)
    start, end = in_xz(tangents[[0, -1]])
    back_start, back_end = in_xz(-tangents[[-1, 0]])  # the intrados runs backwards
    section = face([
        spline(extrados, start, end),
        line(extrados[-1], intrados[0]),
        spline(intrados, back_start, back_end),
        line(intrados[-1], extrados[0]),
    ])
    return extrude(section, (0.0, v["depth"], 0.0))


def arch_segment(v: dict) -> dict[str, Solid]:
    """The voussoir ``segment_index`` of the arch (``v``: resolved parameters, m)."""
    return {"arch-segment": voussoir(v, v["segment_index"])}
