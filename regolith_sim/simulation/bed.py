"""The parts of a case placed on the bed: built, turned to their build orientation, set on z = 0 with
their footprints at their offsets, and checked not to meet.

Frame: bed coordinates in metres. A case with the single-part keys of ``[geometry]`` has one part
whose footprint starts at x = y = 0; with ``[[geometry.parts]]`` each part's footprint minimum corner
(after its orientation) sits at its ``offset``. Every part's base is at z = 0.

Footprints: a part's footprint is its shadow on the bed, the union of the xy projections of its
triangles (exact for any mesh, holes and concave outlines included: a brick may stand in the hole of a
ring). Two footprints may not overlap, nor touch: parts that touch sinter into one piece, so they are not
separate parts, and the planner's tracks of two touching parts would run half a hatch from a shared edge
that is not a free surface. A gap of any width is allowed.
"""
from __future__ import annotations

import numpy as np

from ..config import Case
from ..errors import ConfigError, UserError, rekeyed

#: Overlap areas below this fraction of the smaller footprint are rounding, reported as touching.
_AREA_RTOL = 1e-9


def _entries(case: Case) -> list[tuple[str, object, tuple[float, float]]]:
    """(key prefix for errors, part entry, bed offset [m]) of each part."""
    g = case.geometry
    if g.parts:
        return [(f"geometry.parts[{i}]", e, tuple(e.offset)) for i, e in enumerate(g.parts)]
    return [("geometry", g, (0.0, 0.0))]


def _oriented_mesh(case: Case, entry):
    """The entry's mesh (parametric or from its file), rotated about x, then y, then z."""
    import trimesh

    import geometries

    mesh = geometries.load_mesh(case.resolve_path(entry.file), entry.scale) if entry.file \
        else geometries.build(entry.part, **entry.params)
    mesh = mesh.copy()
    for axis, angle in zip(np.eye(3), entry.orientation):
        if angle:
            mesh.apply_transform(trimesh.transformations.rotation_matrix(np.radians(angle), axis))
    return mesh


def _rekeyed(exc: UserError, prefix: str) -> UserError:
    """``exc`` with its ``geometry.<key>`` moved under ``prefix`` (the entry of [[geometry.parts]])."""
    return rekeyed(exc, prefix + (exc.key or "geometry").removeprefix("geometry"))


def _footprint(mesh):
    """The part's shadow on the bed (shapely geometry, m)."""
    import shapely

    tri = mesh.triangles[:, :, :2]
    polys = shapely.polygons(tri)
    return shapely.union_all(polys[shapely.area(polys) > 0]).buffer(0)


def _mm(v: float) -> str:
    return f"{v * 1e3:.4g}"


def _describe(prefix: str, entry, offset) -> str:
    what = f"file {entry.file!r}" if entry.file else f"'{entry.part}'"
    return f"{prefix} ({what} at offset ({_mm(offset[0])}, {_mm(offset[1])}) mm)"


def check_layout(parts, described: list[str]) -> None:
    """Raise :class:`ConfigError` when two placed parts' footprints overlap or touch (module docstring)."""
    boxes = [p.bounds[:, :2] for p in parts]
    feet: dict[int, object] = {}
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            (ai, bi), (aj, bj) = boxes[i], boxes[j]
            if np.any(ai > bj) or np.any(aj > bi):
                continue  # bounding boxes apart: cheap and common
            for n in (i, j):
                if n not in feet:
                    feet[n] = _footprint(parts[n])
            if feet[i].distance(feet[j]) > 0:
                continue
            common = feet[i].intersection(feet[j])
            if common.area > _AREA_RTOL * min(feet[i].area, feet[j].area):
                x0, y0, x1, y1 = common.bounds
                how = (f"overlap by {common.area * 1e6:.4g} mm^2 (x {_mm(x0)}..{_mm(x1)} mm, "
                       f"y {_mm(y0)}..{_mm(y1)} mm)")
            else:
                how = "touch (gap 0 mm)"
            raise ConfigError(f"{described[i]} and {described[j]} {how} on the bed; parts on one bed must "
                              "neither intersect nor touch: move an offset so a gap separates them",
                              key="geometry.parts")


def build_parts(case: Case) -> list:
    """The case's parts as trimesh meshes in bed coordinates: orientation applied, base on z = 0,
    footprint minimum corner at the part's offset ((0, 0) for the single-part form). Raises
    :class:`ConfigError` when footprints overlap or touch, naming the two entries."""
    parts, described = [], []
    for prefix, entry, (ox, oy) in _entries(case):
        try:
            mesh = _oriented_mesh(case, entry)
        except UserError as exc:
            if prefix == "geometry":
                raise
            raise _rekeyed(exc, prefix) from None
        mesh.apply_translation(np.array([ox, oy, 0.0]) - mesh.bounds[0])
        parts.append(mesh)
        described.append(_describe(prefix, entry, (ox, oy)))
    check_layout(parts, described)
    return parts


def bed_union(parts):
    """One mesh of all placed parts (they do not intersect, so concatenating is their union)."""
    import trimesh

    return parts[0] if len(parts) == 1 else trimesh.util.concatenate(parts)


def build_part(case: Case):
    """All of the case's parts as one mesh in bed coordinates (:func:`build_parts`, concatenated): for a
    single part, the part turned to its build orientation with its footprint starting at x = y = 0 and its
    base on z = 0."""
    return bed_union(build_parts(case))
