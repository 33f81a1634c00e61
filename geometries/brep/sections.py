"""Planar cross-sections and the two ways the parts turn them into solids: extrusion and revolution.

Curved boundaries are cubic B-splines interpolating points of the exact curve (catenary
offsets, ellipsoid parallels) with the exact end tangents, so the surfaces are smooth: the
interpolation error of a cubic spline through k points falls as 1/k^4 (de Boor, *A Practical
Guide to Splines*, 2001, ch. IV), far below the facet error of the trimesh parts.
Coordinates are metres, as in the trimesh builders.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from build123d import Axis, Edge, Face, Plane, Solid, Wire


def in_xz(points_2d: np.ndarray, y: float = 0.0) -> list[tuple[float, float, float]]:
    """3D points (x, y, z) from (x, z) pairs, in the plane at ``y`` (m)."""
    return [(float(x), y, float(z)) for x, z in np.asarray(points_2d, dtype=float)]


def spline(points: Sequence[tuple[float, float, float]], start_tangent, end_tangent) -> Edge:
    """Cubic B-spline through ``points`` leaving and arriving along the given tangent directions."""
    # OpenCascade parametrises the interpolation by chord length, so the curve's derivative
    # has about unit length: unit tangents unscaled fit it (its own rescaling overshoots
    # near the ends by ~1e-4 of the radius on a quarter circle)
    unit = [tuple(np.asarray(t, dtype=float) / np.linalg.norm(t)) for t in (start_tangent, end_tangent)]
    return Edge.make_spline(list(points), tangents=unit, scale=False)


def line(start, end) -> Edge:
    """Straight edge from ``start`` to ``end``."""
    return Edge.make_line(start, end)


def face(edges: Sequence[Edge]) -> Face:
    """Planar face bounded by ``edges`` (each ending where the next one starts, the last closing the loop)."""
    wire = Wire(list(edges))
    if not wire.is_closed:
        raise RuntimeError("cross-section outline does not close")
    return Face(wire)


def circle_face(radius: float, center, normal) -> Face:
    """Disc of ``radius`` (m) about ``center`` in the plane with ``normal``."""
    return Face(Wire([Edge.make_circle(radius, Plane(origin=center, z_dir=normal))]))


def polygon_face(points: Sequence[tuple[float, float, float]]) -> Face:
    """Planar face of the closed polygon through ``points`` (the closing edge is implied)."""
    return Face(Wire.make_polygon([tuple(p) for p in points], close=True))


def extrude(section: Face, direction: tuple[float, float, float]) -> Solid:
    """Prism swept by ``section`` along the vector ``direction`` (m)."""
    return Solid.extrude(section, direction)


def revolve_about_z(section: Face) -> Solid:
    """Solid of revolution of ``section`` (in the xz plane, x >= 0) about the z axis."""
    return Solid.revolve(section, 360.0, Axis.Z)
