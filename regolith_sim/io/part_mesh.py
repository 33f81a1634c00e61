"""The as-built part as a surface: an isosurface of the consolidated (sintered or melted) material where it
lies after settling.

A settled column holds its material from the bottom up (gpu_kernels.sintering.settle): cell k's material fills
the share v_k = mass/rho_rel of a cell (``fill``), so it lies between S_{k-1} and S_k cells above the column's
bottom, S_k = v_0 + ... + v_k. Full cells (v = 1) sit where they are; the partly filled cells at a column's top
stand lower than their cells. Vesicular material stands taller than its cell (v > 1: the fill of its vesicles
added, regolith_sim.outcomes.body.swollen) and lifts what lies above it, past the domain's top if it must (the
samples go on above it). The surface is taken on sub-cells of 1/``SUB_CELLS`` of a cell in z, so the part's height
and volume are those of its material to an eighth of a cell, not those of the whole cells it touches.
"""
from __future__ import annotations

import numpy as np

from ..sintering.asbuilt import CONSOLIDATED_MIN_STATE, fill_fraction, joined_to_part

#: sub-cells per cell in z on which the settled material is sampled
SUB_CELLS = 4
#: The isosurface level on the 0/1 samples. At 0.5 exactly Lewiner's tests of ambiguous faces and cubes tie
#: (a face's saddle value is 0.5 where two samples meet diagonally) and can resolve a shared face differently
#: in the two cubes beside it: the demo at two cells per layer had 6 edges with four faces. Just below 0.5 the
#: ties go one way (diagonal samples joined); the vertices move by 1 % of a sample.
ISO_LEVEL = 0.49


def settled_source(state: np.ndarray, fill: np.ndarray | None, sub: int = SUB_CELLS,
                   part_mask: np.ndarray | None = None) -> np.ndarray:
    """Which cell's consolidated material (state >= 2) occupies each of ``sub`` sub-cells per cell along z: its
    index k in the column, -1 where none does. The material of each column is stacked from its bottom by its
    ``fill`` (module docstring; None: every material cell full). With ``part_mask``, only the material joined to
    the part (``sintering.asbuilt.joined_to_part``: loose fragments in the bed left out). Shape (nx, ny, at least
    nz x sub: more where vesicular material rises past the domain's top), int32."""
    state = np.asarray(state)
    cons = joined_to_part(state, part_mask)
    v = fill_fraction(state) if fill is None else np.maximum(np.where(state > 0, np.asarray(fill, float), 0.0), 0.0)
    top = np.cumsum(v, axis=2) * sub          # S_k in sub-cells
    bottom = top - v * sub
    nz = state.shape[2]
    n_sub = max(nz * sub, int(np.ceil(float(top.max(initial=0.0)))))
    src = np.full(state.shape[:2] + (n_sub,), -1, np.int32)
    ii, jj = np.indices(state.shape[:2])
    span = int(np.ceil(float(v.max(initial=1.0)) * sub)) + 1  # the most sub-cells one cell's material covers
    for k in range(nz):
        if not cons[:, :, k].any():
            continue
        # sub-cells whose centre (s + 1/2) lies in [bottom, top): s from ceil(bottom - 1/2) to ceil(top - 1/2) - 1
        s0 = np.ceil(bottom[:, :, k] - 0.5).astype(int)
        s1 = np.ceil(top[:, :, k] - 0.5).astype(int)
        for m in range(span):
            s = s0 + m
            hit = cons[:, :, k] & (s < s1) & (s < n_sub)
            src[ii[hit], jj[hit], s[hit]] = k
    return src


def settled_occupancy(state: np.ndarray, fill: np.ndarray | None, sub: int = SUB_CELLS,
                      part_mask: np.ndarray | None = None) -> np.ndarray:
    """Whether consolidated material occupies each sub-cell (:func:`settled_source`), boolean."""
    return settled_source(state, fill, sub, part_mask) >= 0


def settled_cells(state: np.ndarray, fill: np.ndarray | None, part_mask: np.ndarray | None = None) -> np.ndarray:
    """Consolidated cells that at least half hold the settled consolidated material (``settled_occupancy``; with
    ``part_mask`` the material joined to the part): the voxels of the as-built part, whole cells for a
    hexahedral mesh."""
    occ = settled_occupancy(state, fill, part_mask=part_mask)[..., :np.shape(state)[2] * SUB_CELLS]
    share = occ.reshape(occ.shape[:2] + (-1, SUB_CELLS)).mean(axis=3)
    return (np.asarray(state) >= CONSOLIDATED_MIN_STATE) & (share >= 0.5)


def as_built_mesh(state: np.ndarray, origin, dx: float, fill: np.ndarray | None = None,
                  part_mask: np.ndarray | None = None):
    """Watertight triangle mesh [m] around the settled consolidated material (marching cubes, Lewiner et al.
    2003, at ``ISO_LEVEL`` on ``settled_occupancy``, padded), or None when there is no such material. ``fill``: the
    share of each cell its material fills (``fields["volume_fill"]``: vesicles counted; ``fields["fill"]`` at the
    matrix density); without it every consolidated cell counts whole.
    ``part_mask`` (``fields["part_mask"]``): only the material joined to the part, not loose fragments."""
    occ = settled_occupancy(state, fill, part_mask=part_mask)
    if not occ.any():
        return None
    return occupancy_mesh(occ, origin, (dx, dx, dx / SUB_CELLS))


def occupancy_mesh(occ: np.ndarray, origin, spacing):
    """Watertight triangle mesh [m] around the occupied samples of ``occ`` (bool, at least one), sample (i, j, k)
    centred at origin + (i + 1/2, j + 1/2, k + 1/2) x ``spacing``."""
    import trimesh
    from skimage.measure import marching_cubes

    # the bounding box of the material and a layer of empty samples around it
    spans = [np.flatnonzero(occ.any(axis=tuple(b for b in range(3) if b != a))) for a in range(3)]
    lo = np.array([sp[0] for sp in spans])
    hi = np.array([sp[-1] for sp in spans]) + 1
    box = occ[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    h = np.asarray(spacing, float)
    verts, faces, _, _ = marching_cubes(np.pad(box, 1).astype(np.float32), ISO_LEVEL, spacing=tuple(h))
    # sample (1, 1, 1) of the padded box is the centre of sample lo: origin + (lo + 1/2) h
    verts += np.asarray(origin, float) + (lo - 0.5) * h
    mesh = trimesh.Trimesh(verts, faces[:, ::-1], process=True)
    trimesh.repair.fix_normals(mesh)
    return mesh
