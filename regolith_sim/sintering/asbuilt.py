"""As-built geometry after settling: how high the consolidated material stands.

A cell's material fills the volume fraction v = mass / rho_rel of the cell (``mass``: the mass
fraction of a full-density cell it holds; ``rho_rel``: its relative density), so the top of a
column's material lies sum(v) cells above the column's bottom once the column has settled
(:func:`gpu_kernels.sintering.settle` leaves no gap under a column's top cell larger than half a cell).
"""
from __future__ import annotations

import numpy as np

#: State codes (gpu_kernels.thermal) of consolidated material: sintered, molten, re-solidified.
CONSOLIDATED_MIN_STATE = 2


def fill_fraction(state, mass=None, rho_rel=None) -> np.ndarray:
    """Volume fraction of each cell occupied by material: mass/rho_rel (1 without them), 0 in void cells."""
    state = np.asarray(state)
    if mass is None or rho_rel is None:
        return (state > 0).astype(float)
    v = np.asarray(mass, float) / np.maximum(np.asarray(rho_rel, float), 1e-300)
    return np.where(state > 0, v, 0.0)


def consolidated_top(state, dx: float, mass=None, rho_rel=None) -> np.ndarray:
    """Height [m] of the top of the consolidated (sintered, molten or re-solidified) material of
    each (i, j) column above the bottom of the grid; NaN where a column holds none. The height
    counts the filled volume of every cell up to the highest consolidated one."""
    state = np.asarray(state)
    v = fill_fraction(state, mass, rho_rel)
    cons = state >= CONSOLIDATED_MIN_STATE
    any_cons = cons.any(axis=2)
    k_top = np.where(any_cons, state.shape[2] - 1 - np.argmax(cons[:, :, ::-1], axis=2), -1)
    below = np.arange(state.shape[2])[None, None, :] <= k_top[:, :, None]
    z = np.sum(np.where(below, v, 0.0), axis=2) * dx
    return np.where(any_cons, z, np.nan)


def part_height(state, part_mask, dx: float, mass=None, rho_rel=None, base_k: int | None = None,
                reduce=np.max) -> float:
    """As-built height of a part [m]: the highest top (``reduce``: np.median for the median column's) of
    consolidated material over the part's footprint (columns where ``part_mask`` is set anywhere, those
    holding consolidated material) above the part's base, the bottom face
    of the lowest cell of ``part_mask`` (or of cell ``base_k``). With ``mass`` and ``rho_rel`` of the
    solver the height resolves partly filled cells; without them it counts whole cells. What boiled off takes
    no height: pass the mass net of evaporation (:func:`regolith_sim.outcomes.body.net_of_evaporation`). 0 when no
    consolidated material stands above the base. Settled fields are expected: before settling the
    densified cells stand at their deposited height."""
    part_mask = np.asarray(part_mask, bool)
    if not part_mask.any():
        return 0.0
    if base_k is None:
        base_k = int(np.argmax(part_mask.any(axis=(0, 1))))
    foot = part_mask.any(axis=2)
    top = consolidated_top(state, dx, mass, rho_rel)[foot]
    top = top[np.isfinite(top)]
    if top.size == 0:
        return 0.0
    return float(max(reduce(top) - base_k * dx, 0.0))


def joined_to_part(state, part_mask) -> np.ndarray:
    """The consolidated cells (bool) that belong to the as-built part: every face-connected piece of consolidated
    material with a cell in the designed part (``part_mask``; None: every piece), a rim it sintered to it outside
    the part included.
    A piece wholly outside, not joined to the part (bed powder the spot's edge sintered beside the last track,
    left behind as the part settled), is a loose fragment: de-powdering removes it, so the part's meshes leave it
    out. Joined means sharing a face as the material lies after settling: a rim whose column settled a cell less
    than the part's beside it can lose that face and count as loose; material that settled wholly below the
    designed part (a part that consolidated nothing inside it) leaves no part."""
    return _pieces(state, part_mask)[0]


def _pieces(state, part_mask) -> tuple[np.ndarray, int]:
    """(``joined_to_part``'s cells, the number of loose pieces)."""
    from scipy import ndimage

    cons = np.asarray(state) >= CONSOLIDATED_MIN_STATE
    if part_mask is None:  # no designed part to tell pieces apart by: all of it
        return cons, 0
    labels, n = ndimage.label(cons)  # face (6-) connectivity: pieces that touch at an edge only are not bonded
    kept = np.unique(labels[cons & np.asarray(part_mask, bool)])
    return np.isin(labels, kept), n - kept.size


def detached_fragments(state, part_mask, fill, dx: float) -> dict:
    """The loose fragments of ``joined_to_part``: how many and the volume of their material [m^3]."""
    joined, n = _pieces(state, part_mask)
    loose = (np.asarray(state) >= CONSOLIDATED_MIN_STATE) & ~joined
    return {"count": int(n), "volume_m3": float(np.sum(np.asarray(fill, float)[loose])) * dx ** 3}
