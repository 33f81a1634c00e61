"""Voxelising a part onto the simulation grid, and choosing that grid's cell size.

Grid: ``occupancy[i, j, k]`` (i along x, j along y, k along z) describes the cell whose centre is
``origin + (i + 1/2, j + 1/2, k + 1/2) * cell_size``; a cell is occupied when its centre is inside the
mesh. The inside test is ray parity along z, one ray per (i, j) column: every crossing of the column
with the mesh surface toggles inside/outside for the cells whose centres lie above it. Only triangles
whose xy projection covers a column are visited, so the cost scales with the surface area in cells,
not the volume. A column through a shared edge or vertex is assigned to exactly one of the triangles
meeting there (an antisymmetric tie rule on exactly antisymmetric edge functions, as in GPU
rasterisers), so it never counts a crossing twice.
"""
from __future__ import annotations

import numpy as np
import trimesh

from .errors import PlanError

#: Triangle-column pairs handled per batch (bounds the temporary memory to a few hundred MB).
_BATCH = 4_000_000


def choose_cell_size(spot_diameter: float, layer_thickness: float, resolution: float = 1.0) -> float:
    """Cell edge [m]: ``min(spot / 8, layer / 4) / resolution``.

    A gaussian spot needs about 8 cells across its 1/e^2 diameter for the deposited power and the
    peak temperature to converge, and a layer needs at least 4 cells through its thickness to resolve
    the temperature drop across it (what decides whether it bonds to the layer below). ``resolution``
    refines (2 halves the cell) or coarsens the grid.
    """
    if spot_diameter <= 0 or layer_thickness <= 0 or resolution <= 0:
        raise PlanError("spot, layer thickness and resolution must be positive", key="solver.resolution",
                        value=float(resolution), allowed="> 0")
    return min(spot_diameter / 8.0, layer_thickness / 4.0) / resolution


def _edge(u: np.ndarray, v: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Edge function of directed edge u->v at points p, exactly antisymmetric: _edge(v, u) == -_edge(u, v).

    It is always evaluated from the lexicographically smaller endpoint, so both triangles sharing an
    edge get the same magnitude bit for bit and the tie rule decides without rounding noise.
    """
    swap = (u[:, 0] > v[:, 0]) | ((u[:, 0] == v[:, 0]) & (u[:, 1] > v[:, 1]))
    base = np.where(swap[:, None], v, u)
    tip = np.where(swap[:, None], u, v)
    e = (tip[:, 0] - base[:, 0]) * (py - base[:, 1]) - (tip[:, 1] - base[:, 1]) * (px - base[:, 0])
    return np.where(swap, -e, e)


def _covers(e: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Point on the inner side of u->v, or on it with the edge pointing down (or right if horizontal):
    an edge shared by two triangles points opposite ways in them, so exactly one takes the point."""
    dx, dy = v[:, 0] - u[:, 0], v[:, 1] - u[:, 1]
    return (e > 0) | ((e == 0) & ((dy < 0) | ((dy == 0) & (dx > 0))))


def _column_ranges(tri: np.ndarray, origin: np.ndarray, cell: float, shape) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle, the first and one-past-last column index (i, j) whose centre its xy box covers."""
    lo = np.ceil((tri[:, :, :2].min(axis=1) - origin[:2]) / cell - 0.5).astype(np.int64)
    hi = np.floor((tri[:, :, :2].max(axis=1) - origin[:2]) / cell - 0.5).astype(np.int64) + 1
    return np.clip(lo, 0, shape[:2]), np.clip(hi, 0, shape[:2])


def _crossings(tri: np.ndarray, lo: np.ndarray, hi: np.ndarray, origin, cell):
    """(i, j, z) of every crossing of a column with one of the triangles ``tri`` (counter-clockwise in xy)."""
    ni, nj = hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1]
    count = ni * nj
    owner = np.repeat(np.arange(len(tri)), count)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    i = lo[owner, 0] + local // nj[owner]
    j = lo[owner, 1] + local % nj[owner]
    px, py = origin[0] + (i + 0.5) * cell, origin[1] + (j + 0.5) * cell
    a, b, c = (tri[owner, n, :2] for n in range(3))
    e_bc, e_ca, e_ab = _edge(b, c, px, py), _edge(c, a, px, py), _edge(a, b, px, py)
    hit = _covers(e_bc, b, c) & _covers(e_ca, c, a) & _covers(e_ab, a, b)
    z = tri[owner, :, 2]
    total = e_bc + e_ca + e_ab
    with np.errstate(invalid="ignore", divide="ignore"):
        zc = (e_bc * z[:, 0] + e_ca * z[:, 1] + e_ab * z[:, 2]) / total
    return i[hit], j[hit], zc[hit]


def _batches(count: np.ndarray):
    """Slices of triangles whose column pairs add up to about ``_BATCH``."""
    edges = np.searchsorted(np.cumsum(count), np.arange(_BATCH, count.sum() + _BATCH, _BATCH), side="right")
    start = 0
    for end in np.unique(np.append(edges, len(count))):
        if end > start:
            yield slice(start, int(end))
            start = int(end)


def _grid(mesh: trimesh.Trimesh, cell: float, origin, shape):
    origin = np.asarray(mesh.bounds[0] if origin is None else origin, float).reshape(3)
    if shape is None:
        shape = np.maximum(1, np.ceil((mesh.bounds[1] - origin) / cell - 1e-9)).astype(int)
    return origin, tuple(int(s) for s in shape)


def voxelize(mesh: trimesh.Trimesh, cell_size: float, *, origin=None, shape=None):
    """Occupancy of a watertight mesh on a regular grid: ``(occupancy, origin, cell_size)``.

    ``occupancy`` is a bool array (nx, ny, nz) indexed [i=x, j=y, k=z]; ``origin`` (3,) [m] is the
    grid's lower corner (default: the mesh's lower bound) and ``shape`` its cells per axis (default:
    enough to reach the mesh's upper bound). Cell size in metres. See the module docstring.
    """
    if cell_size <= 0:
        raise PlanError("cell size must be positive", key="solver.cell_size", value=float(cell_size),
                        allowed="> 0", unit="m")
    if not mesh.is_watertight:
        raise PlanError("cannot voxelise a mesh that is not watertight", key="geometry",
                        allowed="a closed mesh")
    origin, shape = _grid(mesh, cell_size, origin, shape)
    tri = np.asarray(mesh.triangles, float)
    ab, ac = tri[:, 1, :2] - tri[:, 0, :2], tri[:, 2, :2] - tri[:, 0, :2]
    area2 = ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]
    tri = tri[area2 != 0]  # walls parallel to the columns are never crossed
    flip = area2[area2 != 0] < 0
    tri[flip] = tri[flip][:, [0, 2, 1]]  # counter-clockwise in xy, so "inner side" means e > 0
    lo, hi = _column_ranges(tri, origin, cell_size, np.asarray(shape))
    count = np.prod(hi - lo, axis=1)
    toggles = np.zeros((shape[0], shape[1], shape[2] + 1), np.uint8)
    for part in _batches(count):
        i, j, z = _crossings(tri[part], lo[part], hi[part], origin, cell_size)
        # first cell whose centre lies above the crossing; parity only, so uint8 wrap-around is harmless
        k = np.clip(np.floor((z - origin[2]) / cell_size - 0.5).astype(np.int64) + 1, 0, shape[2])
        np.add.at(toggles, (i, j, k), 1)
    occupancy = np.bitwise_xor.accumulate(toggles[:, :, :-1] & 1, axis=2).astype(bool)
    return occupancy, origin, float(cell_size)
