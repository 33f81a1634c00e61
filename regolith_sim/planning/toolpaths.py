"""Toolpaths: the tracks that fill one layer's section, for each scan strategy.

A toolpath is a list of polylines ((n, 2) arrays of x, y [m]); the source is on along each polyline
and travels with the source off from the end of one to the start of the next.

Track rules (h = hatch spacing; every track "owns" a band h wide):

* Across the tracks: ``n = max(1, floor(W / h + 1/2))`` tracks spaced exactly h, centred on the
  region's extent W across the track direction. Keeping the spacing exact keeps the volumetric energy
  density P / (v h t) what the case file says; rounding (rather than floor or ceil) puts the outermost
  track centre between h/4 and 3h/4 inside the edge, so the 1/e^2 spot (radius h / 1.4 at the default
  h = 0.7 d) always reaches the edge without heating much beyond it.
* Along a track: each run of the track line inside the region is shortened by h/2 at both ends (the
  spot centre stops h/2 before the boundary); runs of length <= h are dropped.

For a rectangle W x L scanned along L this gives ``floor(W/h + 1/2)`` tracks of length ``L - h``.

Strategies (``layer`` is the layer index, ``angle`` the base raster angle):

* ``raster``: every track in the same direction, the same angle in every layer.
* ``alternating-raster``: serpentine (direction flips each track) and the angle turns 90 deg per layer.
* ``contour-hatch``: one contour pass h/2 inside the boundary (outer and hole boundaries), then a
  serpentine hatch of the region inset by h (the contour's own band), angle turning 90 deg per layer.
* ``chessboard``: square islands of ``island_size`` on a grid anchored at ``grid_origin``; each island is
  a serpentine hatch of its part of the section, along x or y by the parity of (i + j + layer), so
  neighbouring islands and the same island in consecutive layers alternate. Track lines are placed
  across each island's part of the section by the rule above, but shortened only at the section's
  boundary, not at island edges, so islands abut. Islands are visited row by row, serpentine.
* ``spiral``: offset contours at h/2, 3h/2, ... inside the boundary, outside in, each started at its
  vertex nearest the previous end and joined to it with the source on when that step is <= 1.5 h.
  A solar spot has no fast shutter, so one continuous powered path suits it best.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient
from shapely.geometry.base import BaseGeometry

STRATEGIES = ("raster", "alternating-raster", "contour-hatch", "chessboard", "spiral")

#: The spiral keeps the source on across a step to the next ring no longer than this many hatches.
SPIRAL_JOIN = 1.5


def _cos_sin(angle_deg: float) -> tuple[float, float]:
    """cos and sin, exact for multiples of 90 deg so axis-aligned tracks keep exact coordinates."""
    quarter, rest = divmod(angle_deg, 90.0)
    if rest == 0.0:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(quarter) % 4]
    a = math.radians(angle_deg)
    return math.cos(a), math.sin(a)


def _rotate_points(points: np.ndarray, angle_deg: float) -> np.ndarray:
    """(n, 2) points turned counter-clockwise by ``angle_deg`` about the origin."""
    if angle_deg % 360.0 == 0.0:
        return points
    c, s = _cos_sin(angle_deg)
    return points @ np.array([[c, s], [-s, c]])


def _rotate(geoms, angle_deg: float):
    """A geometry, or an array of them, turned counter-clockwise by ``angle_deg`` about the origin."""
    if angle_deg % 360.0 == 0.0:
        return geoms
    return shapely.transform(geoms, lambda p: _rotate_points(p, angle_deg))


def polygons(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons of a geometry, ordered by their lower-left bound (deterministic order)."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    return sorted(parts, key=lambda p: (p.bounds[1], p.bounds[0]))


def _lines_at(ys: np.ndarray, bounds) -> np.ndarray:
    """Horizontal lines at heights ``ys`` reaching past ``bounds`` (minx, miny, maxx, maxy)."""
    x0, x1 = bounds[0] - 1.0, bounds[2] + 1.0  # 1 m beyond: far outside any section
    n = len(ys)
    return shapely.linestrings(np.stack([np.stack([np.full(n, x0), ys], axis=1),
                                         np.stack([np.full(n, x1), ys], axis=1)], axis=1))


def _runs(lines: np.ndarray, area) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x start, x end, line index) of the pieces of horizontal ``lines`` inside ``area`` (one geometry,
    or one per line)."""
    parts, row = shapely.get_parts(shapely.intersection(lines, area), return_index=True)
    is_line = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & ~shapely.is_empty(parts)
    bounds = shapely.bounds(parts[is_line])
    return bounds[:, 0], bounds[:, 2], row[is_line]


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., counts[0]-1, 0, 1, ..., counts[1]-1, ...: position of each item within its group."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _rows(extents: np.ndarray, spacing: float):
    """Track lines across each (minx, miny, maxx, maxy) extent by the count rule: (y, owner)."""
    miny, maxy = extents[:, 1], extents[:, 3]
    n = np.maximum(1, np.floor((maxy - miny) / spacing + 0.5)).astype(np.int64)
    owner = np.repeat(np.arange(len(n)), n)
    return 0.5 * (miny + maxy)[owner] + (_ranks(n) - 0.5 * (n[owner] - 1)) * spacing, owner


def _line_runs(local: BaseGeometry, ys: np.ndarray, spacing: float):
    """Runs of the lines at ``ys`` inside ``local``, shortened by h/2 at both ends: (x0, x1, line).

    Islands in one row share their line heights, so each distinct height is clipped once.
    """
    heights, which = np.unique(ys, return_inverse=True)
    x0, x1, at = _runs(_lines_at(heights, local.bounds), local)
    keep = x1 - x0 > spacing
    x0, x1, at = x0[keep] + 0.5 * spacing, x1[keep] - 0.5 * spacing, at[keep]
    count = np.bincount(at, minlength=len(heights))
    first = np.cumsum(count) - count
    per_line = count[which]
    idx = np.repeat(first[which], per_line) + _ranks(per_line)
    return x0[idx], x1[idx], np.repeat(np.arange(len(ys)), per_line)


def _clip_to_windows(x0, x1, y, windows: np.ndarray, axis_aligned: bool):
    """Runs (x0, x1 at y) cut to their own window each: (x0, x1, index of the run kept)."""
    if axis_aligned:  # plain interval arithmetic, exact and fast
        wb = shapely.bounds(windows)
        x0, x1 = np.maximum(x0, wb[:, 0]), np.minimum(x1, wb[:, 2])
        kept = np.flatnonzero(x1 > x0)
        return x0[kept], x1[kept], kept
    runs = shapely.linestrings(np.stack([np.stack([x0, y], 1), np.stack([x1, y], 1)], 1))
    return _runs(runs, windows)


def _order(x0, x1, line, owner, serpentine: bool):
    """Tracks sorted by owner, across and along; every other non-empty line of an owner reversed if
    serpentine. Lines are numbered owner by owner, so line order is owner order."""
    lines, dense = np.unique(line, return_inverse=True)
    line_owner = owner[lines]
    nth = np.arange(len(lines)) - np.searchsorted(line_owner, line_owner)  # n-th non-empty line of its owner
    backwards = serpentine & (nth[dense] % 2 == 1)
    order = np.lexsort((np.where(backwards, -x0, x0), line))
    return np.where(backwards, x1, x0)[order], np.where(backwards, x0, x1)[order], line[order]


def _window_extents(region: BaseGeometry, windows: np.ndarray):
    """Bounds of each window's part of ``region`` and the indices of the windows that hold any area.

    Most islands of a large part lie wholly inside it; a prepared containment test spares them the
    polygon intersection.
    """
    shapely.prepare(region)
    extents = shapely.bounds(windows)
    cut = np.flatnonzero(~shapely.contains_properly(region, windows))
    pieces = shapely.intersection(windows[cut], region)
    extents[cut] = shapely.bounds(pieces)
    holds = np.ones(len(windows), bool)
    holds[cut] = shapely.area(pieces) > 0  # cells merely touching the region hold nothing
    which = np.flatnonzero(holds)
    return extents[which], which


def _tracks(region: BaseGeometry, spacing: float, angle_deg: float, serpentine: bool, windows=None):
    """Ordered tracks ((m, 2, 2) world x, y) of ``region`` and the index of the window each lies in.

    Without ``windows`` the lines are placed across the whole region (window index 0).
    """
    local = _rotate(region, -angle_deg)  # tracks run along +x in this frame
    if windows is None:
        extents, which, local_windows = np.array([local.bounds]), np.array([0]), None
    else:
        local_windows = _rotate(np.asarray(windows), -angle_deg)
        extents, which = _window_extents(local, local_windows)
    ys, owner = _rows(extents, spacing)
    if len(ys) == 0:
        return np.empty((0, 2, 2)), np.empty(0, np.int64)
    x0, x1, line = _line_runs(local, ys, spacing)
    if local_windows is not None and len(line):
        x0, x1, kept = _clip_to_windows(x0, x1, ys[line], local_windows[which[owner[line]]],
                                        angle_deg % 90.0 == 0.0)
        line = line[kept]
    start, end, line = _order(x0, x1, line, owner, serpentine)
    tracks = np.stack([np.stack([start, ys[line]], axis=1), np.stack([end, ys[line]], axis=1)], axis=1)
    return _rotate_points(tracks.reshape(-1, 2), angle_deg).reshape(-1, 2, 2), which[owner[line]]


def hatch(region: BaseGeometry, spacing: float, angle_deg: float = 0.0, *,
          serpentine: bool = False) -> list[np.ndarray]:
    """Parallel tracks filling ``region`` at ``angle_deg`` from +x (rules in the module docstring).

    Tracks are ordered across the region; with ``serpentine`` every other non-empty track line is run
    backwards. Returns (2, 2) arrays [[x0, y0], [x1, y1]] in metres.
    """
    if region.is_empty:
        return []
    return list(_tracks(region, spacing, angle_deg, serpentine)[0])


def _rings(poly: Polygon) -> list[np.ndarray]:
    """Closed boundary rings of a polygon: exterior counter-clockwise first, then the holes clockwise."""
    poly = orient(poly, 1.0)
    return [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]


def _start_near(ring: np.ndarray, point: np.ndarray | None) -> np.ndarray:
    """The closed ring re-started at its vertex nearest ``point``."""
    if point is None:
        return ring
    open_ring = ring[:-1]
    i = int(np.argmin(np.sum((open_ring - point) ** 2, axis=1)))
    rolled = np.roll(open_ring, -i, axis=0)
    return np.vstack([rolled, rolled[:1]])


def contours(region: BaseGeometry, inset: float, start: np.ndarray | None = None) -> list[np.ndarray]:
    """One contour pass: the boundary rings of ``region`` shrunk by ``inset`` [m], each a closed polyline
    started near the previous one's end."""
    out = []
    for poly in polygons(region.buffer(-inset)):
        for ring in _rings(poly):
            out.append(_start_near(ring, start if not out else out[-1][-1]))
    return out


def _nested_rings(region: BaseGeometry, spacing: float) -> list[np.ndarray]:
    """Rings at h/2, 3h/2, ... inside ``region``, depth first per component so the path stays local."""
    stack = [(p, 0.5 * spacing) for p in reversed(polygons(region))]
    rings = []
    while stack:
        poly, inset = stack.pop()
        for inner in polygons(poly.buffer(-inset)):
            rings.extend(_rings(inner))
            stack.extend((p, spacing) for p in reversed(polygons(inner)))
    return rings


def spiral(region: BaseGeometry, spacing: float) -> list[np.ndarray]:
    """Inward spiral: nested offset rings joined into as few continuous polylines as the shape allows."""
    paths: list[list[np.ndarray]] = []
    for ring in _nested_rings(region, spacing):
        end = paths[-1][-1][-1] if paths else None
        ring = _start_near(ring, end)
        if end is not None and np.hypot(*(ring[0] - end)) <= SPIRAL_JOIN * spacing:
            paths[-1].append(ring)
        else:
            paths.append([ring])
    return [np.vstack(p) for p in paths]


def _islands(region: BaseGeometry, island: float, origin, layer: int):
    """Island squares covering ``region`` in visiting order (rows bottom-up, serpentine) and their
    turn (0 or 90 deg) from the parity of i + j + layer."""
    minx, miny, maxx, maxy = region.bounds
    ox, oy = origin
    i = np.arange(math.floor((minx - ox) / island), math.ceil((maxx - ox) / island))
    j = np.arange(math.floor((miny - oy) / island), math.ceil((maxy - oy) / island))
    jj, ii = np.meshgrid(j, i, indexing="ij")
    ii[1::2] = ii[1::2, ::-1]
    ii, jj = ii.ravel(), jj.ravel()
    x0, y0 = ox + ii * island, oy + jj * island
    return shapely.box(x0, y0, x0 + island, y0 + island), 90.0 * ((ii + jj + layer) % 2)


def chessboard(region: BaseGeometry, spacing: float, island: float, layer: int, origin=(0.0, 0.0),
               angle_deg: float = 0.0) -> list[np.ndarray]:
    """Island (chessboard) hatch of ``region``; see the module docstring. Track lines are placed across
    each island's part of the region and clipped to the island, but shortened only at the region's
    boundary."""
    cells, turn = _islands(region, island, origin, layer)
    tracks, owners = [np.empty((0, 2, 2))], [np.empty(0, np.int64)]
    for t in (0.0, 90.0):
        sel = np.flatnonzero(turn == t)
        if len(sel):
            found, which = _tracks(region, spacing, angle_deg + t, True, windows=cells[sel])
            tracks.append(found)
            owners.append(sel[which])
    order = np.argsort(np.concatenate(owners), kind="stable")  # island by island, each in its own order
    return list(np.concatenate(tracks)[order])


def layer_toolpath(section: BaseGeometry, strategy: str, layer: int, *, hatch_spacing: float,
                   island_size: float = 5e-3, grid_origin=(0.0, 0.0), angle_deg: float = 0.0) -> list[np.ndarray]:
    """The polylines that scan one part's section in layer ``layer`` with ``strategy``.

    ``hatch_spacing`` and ``island_size`` in metres; ``grid_origin`` (x, y) [m] anchors the chessboard
    grid (use a fixed point of the part so islands stay put from layer to layer).
    """
    turn = angle_deg + 90.0 * (layer % 2)
    paths: list[np.ndarray] = []
    for poly in polygons(section):
        if strategy == "raster":
            paths += hatch(poly, hatch_spacing, angle_deg, serpentine=False)
        elif strategy == "alternating-raster":
            paths += hatch(poly, hatch_spacing, turn, serpentine=True)
        elif strategy == "contour-hatch":
            paths += contours(poly, 0.5 * hatch_spacing, paths[-1][-1] if paths else None)
            paths += hatch(poly.buffer(-hatch_spacing), hatch_spacing, turn, serpentine=True)
        elif strategy == "chessboard":
            paths += chessboard(poly, hatch_spacing, island_size, layer, grid_origin, angle_deg)
        elif strategy == "spiral":
            paths += spiral(poly, hatch_spacing)
        else:
            raise ValueError(f"unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    return paths


__all__ = ["STRATEGIES", "chessboard", "contours", "hatch", "layer_toolpath", "polygons", "spiral"]
