"""B-rep landing-pad tile: the tile outline extruded over its thickness.

The outline (regular polygon with dovetail tabs and notches) is made of straight edges
only, so the outline of :func:`geometries.tiles.tile_section` is already exact; it becomes
one planar face with one straight edge per side, and the prism has its closed-form volume
(outline area x thickness) to round-off. Same frame: xy plane, z = 0 to thickness.
"""
from __future__ import annotations

from build123d import Solid

from ..solids import SNAP_GRID
from ..tiles import tile_section
from .sections import extrude, polygon_face


def landing_pad_tile(v: dict) -> dict[str, Solid]:
    """The tile (``v``: resolved parameters, m)."""
    # the booleans of the outline split a straight tile edge where a key meets it; joining
    # those collinear pieces (within the 1 nm snapping grid) gives one B-rep face per side
    outline = tile_section(v).simplify(SNAP_GRID)
    if outline.geom_type != "Polygon" or len(outline.interiors):
        raise RuntimeError(f"landing-pad-tile: outline is not one simple polygon: {outline.geom_type}")
    corners = [(x, y, 0.0) for x, y in outline.exterior.coords[:-1]]
    return {"landing-pad-tile": extrude(polygon_face(corners), (0.0, 0.0, v["thickness"]))}
