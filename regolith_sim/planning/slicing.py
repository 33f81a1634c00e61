"""Slicing parts into powder layers.

Frame: a part keeps the x, y of its mesh plus its (x, y) bed offset; z is measured up from its base,
i.e. the mesh is translated so that its lowest point lies at z = 0 (every part stands on the bed).
Units are those of the mesh, which must be metres.

Layers: a part of height H in layers of thickness t has ``ceil(H / t)`` layers (H within ``TOP_SLIVER`` t above a
multiple counts as that multiple, so a 10 mm part in 1 mm layers has 10, and so has the as-built mesh of such a
part, whose surface stands a few micrometres proud of its cells: io.part_mesh.ISO_LEVEL). Layer k spans
[k t, (k+1) t] and is represented by the section at its mid-height (k + 1/2) t; when the top layer
sticks out above the part the section is taken half-way between k t and H instead, so it is never
empty merely because H is not a multiple of t.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import affinity
import trimesh
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .errors import PlanError

EMPTY = MultiPolygon()


def prepare_part(mesh: trimesh.Trimesh, offset=(0.0, 0.0)) -> trimesh.Trimesh:
    """A copy of ``mesh`` standing on z = 0 and shifted by ``offset`` (x, y) [m] on the bed."""
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise PlanError("a part must be a non-empty trimesh.Trimesh", key="geometry", value=type(mesh).__name__)
    if not mesh.is_watertight:
        raise PlanError("the part mesh is not watertight, so its sections are not closed polygons",
                        key="geometry", allowed="a closed (watertight) mesh; repair it, e.g. trimesh.repair")
    part = mesh.copy()
    dx, dy = (float(v) for v in offset)
    part.apply_translation([dx, dy, -part.bounds[0, 2]])
    return part


#: Share of a layer a part may stand above a whole number of layers without a layer of its own (module docstring).
TOP_SLIVER = 0.02


def layer_count(height: float, layer_thickness: float) -> int:
    """Number of layers covering a part of ``height`` [m] (rule in the module docstring)."""
    return max(1, math.ceil(height / layer_thickness - TOP_SLIVER))


def section_heights(height: float, layer_thickness: float, n_layers: int) -> np.ndarray:
    """z [m] at which each of the first ``n_layers`` layers is sectioned."""
    k = np.arange(n_layers, dtype=float)
    bottom = k * layer_thickness
    top = np.minimum(bottom + layer_thickness, height)
    # a layer entirely above the part (other parts on the bed are taller) keeps its mid-height
    top = np.where(top > bottom, top, bottom + layer_thickness)
    return 0.5 * (bottom + top)


def _to_bed_frame(poly: Polygon, to_3d: np.ndarray) -> Polygon:
    """Map a section polygon from the plane's 2-D frame to the bed's x, y."""
    a, b, xoff = to_3d[0, 0], to_3d[0, 1], to_3d[0, 3]
    d, e, yoff = to_3d[1, 0], to_3d[1, 1], to_3d[1, 3]
    if (a, b, d, e, xoff, yoff) == (1.0, 0.0, 0.0, 1.0, 0.0, 0.0):
        return poly  # skip the transform so coordinates stay bit-exact
    return affinity.affine_transform(poly, [a, b, d, e, xoff, yoff])


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(polys) if polys else EMPTY


def slice_part(part: trimesh.Trimesh, layer_thickness: float, n_layers: int | None = None) -> list[MultiPolygon]:
    """Sections of a prepared part (:func:`prepare_part`), one (possibly empty) MultiPolygon per layer.

    ``n_layers`` defaults to the part's own layer count; more layers (a taller neighbour on the bed)
    give empty sections above the part.
    """
    height = float(part.bounds[1, 2] - part.bounds[0, 2])
    n = layer_count(height, layer_thickness) if n_layers is None else int(n_layers)
    heights = section_heights(height, layer_thickness, n)
    inside = heights < height
    sections = [EMPTY] * n
    if not inside.any():
        return sections
    paths = part.section_multiplane(plane_origin=[0.0, 0.0, 0.0], plane_normal=[0.0, 0.0, 1.0],
                                    heights=heights[inside])
    for k, path in zip(np.flatnonzero(inside), paths):
        if path is None:
            continue
        polys = [_to_bed_frame(p, path.metadata["to_3D"]) for p in path.polygons_full]
        sections[k] = _as_multipolygon(shapely.make_valid(shapely.union_all(polys))) if polys else EMPTY
    return sections
