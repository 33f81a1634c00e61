"""Landing-pad tile: a regular hexagonal or square paver, optionally with dovetail interlocks.

Frame: tile in the xy plane centred on the origin, from z = 0 to z = thickness. Edge k has
its outward normal at angle 2 pi k / sides from +x. Tiles of a pad all have the same
orientation, so edge k of one tile meets edge k + sides/2 of its neighbour: a dovetail tab on
edge k therefore faces a dovetail notch on edge k + sides/2. The notch is the tab grown by
``clearance`` (neck wider by 2 clearance, deeper by clearance, same flank angle). Keys run
through the full thickness, so tiles are laid from above and lock against sliding apart.
"""
from __future__ import annotations

import math

import numpy as np
import shapely.affinity
import shapely.geometry
import trimesh

from .params import PartSpec, angle, count, fail, flag, fmt, length
from .solids import extrude_section, finish, snap

#: edges carrying a tab; the others carry a notch (k tab <=> k + sides/2 notch)
TAB_EDGES = {4: (0, 1), 6: (0, 2, 4)}
#: the widest part of a notch may take this share of an edge, keeping the corners solid
MAX_KEY_SPAN = 0.6
#: narrowest dovetail neck (m) accepted
MIN_KEY_WIDTH = 0.002
#: notch depth at most this share of the edge, so notches on neighbouring edges never meet
MAX_KEY_DEPTH = 0.2


def _dovetail(neck: float, depth: float, flare: float, overlap: float) -> np.ndarray:
    """Outline (u along the edge, w outward) of a dovetail of ``neck`` width at the edge (w = 0).

    The flanks continue past the edge to w = -overlap, so the boolean with the tile never
    works on a shared edge and meets the edge line only once per flank (a vertex placed on
    the edge would come back from the boolean as a near-duplicate and break the extrusion).
    """
    slope = math.tan(flare)
    head, foot = neck / 2 + depth * slope, neck / 2 - overlap * slope
    return np.array([(-foot, -overlap), (foot, -overlap), (head, depth), (-head, depth)])


def notch_size(v: dict) -> tuple[float, float]:
    """Neck width and depth (m) of a notch."""
    c = v["clearance"]
    return v["key_width"] + 2 * c, v["key_depth"] + c


def _check(v: dict) -> None:
    if v["sides"] not in TAB_EDGES:
        fail("sides", f"sides = {v['sides']} is not supported; allowed 4 (square) or 6 (hexagon)")
    if not v["interlock"]:
        return
    neck, depth = notch_size(v)
    flank = 2 * depth * math.tan(math.radians(v["dovetail_angle"]))
    span = neck + flank
    limit = MAX_KEY_SPAN * v["edge_length"]
    if span > limit:
        if limit - flank - 2 * v["clearance"] < MIN_KEY_WIDTH:
            fail("key_depth", f"key_depth = {fmt(v['key_depth'], 'm')} with dovetail_angle = "
                              f"{fmt(v['dovetail_angle'], 'deg')} flares a notch wider than {MAX_KEY_SPAN:g} x "
                              f"edge_length = {fmt(limit, 'm')} even for the narrowest key; reduce key_depth "
                              f"or dovetail_angle")
        fail("key_width", f"key_width = {fmt(v['key_width'], 'm')} gives a notch {fmt(span, 'm')} wide at its "
                          f"widest (with key_depth, dovetail_angle and clearance), more than {MAX_KEY_SPAN:g} x "
                          f"edge_length = {fmt(limit, 'm')}; allowed key_width <= "
                          f"{fmt(limit - flank - 2 * v['clearance'], 'm')} with these values")
    if depth > MAX_KEY_DEPTH * v["edge_length"]:
        limit = MAX_KEY_DEPTH * v["edge_length"] - v["clearance"]
        fail("key_depth", f"key_depth = {fmt(v['key_depth'], 'm')} is too deep for edge_length "
                          f"{fmt(v['edge_length'], 'm')}; allowed key_depth <= {fmt(limit, 'm')}")


def tile_section(v: dict) -> shapely.geometry.Polygon:
    """Outline of the tile in the xy plane (m)."""
    n, a = v["sides"], v["edge_length"]
    apothem = a / (2 * math.tan(math.pi / n))
    corners = 2 * math.pi * (np.arange(n) + 0.5) / n
    section = shapely.geometry.Polygon(np.column_stack([np.cos(corners), np.sin(corners)])
                                       * a / (2 * math.sin(math.pi / n)))
    if not v["interlock"]:
        return section
    flare = math.radians(v["dovetail_angle"])
    # overlap into the tile / beyond the edge for clean booleans, short enough that the
    # continued flanks of a flared dovetail never cross
    spare = min(0.5 * v["key_depth"], 0.25 * v["key_width"])
    tab = _dovetail(v["key_width"], v["key_depth"], flare, spare)
    neck, depth = notch_size(v)
    notch = _dovetail(neck, depth, flare, spare) * (1.0, -1.0)  # points into the tile
    for k in range(n):
        outline = tab if k in TAB_EDGES[n] else notch
        theta = 2 * math.pi * k / n
        # local (u, w) -> tile frame: w along the edge normal, origin at the edge midpoint
        key = shapely.affinity.affine_transform(
            shapely.geometry.Polygon(outline),
            [-math.sin(theta), math.cos(theta), math.cos(theta), math.sin(theta),
             apothem * math.cos(theta), apothem * math.sin(theta)])
        section = section.union(key) if k in TAB_EDGES[n] else section.difference(key)
    return snap(section)


def tile_bodies(**v) -> dict[str, trimesh.Trimesh]:
    """Closed solid of the tile (m)."""
    return {"landing-pad-tile": finish(extrude_section(tile_section(v), v["thickness"]), "landing-pad-tile")}


def _rays(v: dict):
    return {"vertical": ((0.0, 0.0, -v["thickness"]), (0.0, 0.0, 1.0))}


LANDING_PAD_TILE = PartSpec(
    name="landing-pad-tile",
    description="hexagonal or square landing-pad paver with optional dovetail interlocks",
    params=(
        length("edge_length", 0.5, 0.02, 5.0, "length of each edge of the regular polygon"),
        length("thickness", 0.05, 0.002, 1.0, "tile thickness"),
        count("sides", 6, 4, 6, "number of edges: 6 (hexagon) or 4 (square)"),
        flag("interlock", True, "dovetail tabs and matching notches on alternate edges"),
        length("key_width", 0.1, MIN_KEY_WIDTH, 3.0, "dovetail neck width at the edge"),
        length("key_depth", 0.06, 0.001, 1.0, "how far a dovetail tab stands out of its edge"),
        angle("dovetail_angle", 15.0, 0.0, 30.0, "flare of each dovetail flank from the edge normal"),
        length("clearance", 0.002, 0.0, 0.05, "fit gap between a tab and the neighbour's notch"),
    ),
    bodies=tile_bodies,
    check=_check,
    rays=_rays,
)
