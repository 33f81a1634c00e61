"""How well tracks and layers are joined, from the fields of a run.

A face between two voxels of the body transmits load when both voxels consolidated and the material
across it was viscous together:
- faces inside a layer (between tracks, and between the cells of one layer when a layer is several
  cells thick): both voxels consolidated, since they sintered or melted from powder that touched;
- faces between layers: the top voxel of the lower layer was heated above the glass transition (where
  the melt relaxes and flows: Giordano et al. 2008's 1e12 Pa s) after the upper layer's powder was spread
  on it. A layer laid on an already-cold consolidated surface that never re-softens sits on it unbonded,
  the cold-lap / lack of inter-layer fusion of layered AM parts.

``reheated`` is the time [s] each voxel spent above the glass transition after the layer above it was
spread (NaN for voxels that were never covered); the simulation records it layer by layer.
"""
from __future__ import annotations

import numpy as np


def bonded_faces(consolidated: np.ndarray, layer_top: np.ndarray, reheated: np.ndarray | None,
                 axis: int) -> np.ndarray:
    """Bool array of the faces between voxel n and n+1 along ``axis`` (shape one shorter there): True
    where the face is bonded. ``layer_top`` marks the top cell layer of each printed layer (k index,
    bool of length nz): z-faces above those cells are inter-layer faces, which also need ``reheated`` > 0
    of the voxel below (without ``reheated`` they count as bonded when both sides consolidated)."""
    c = np.asarray(consolidated, bool)
    lo = [slice(None)] * 3
    hi = [slice(None)] * 3
    lo[axis], hi[axis] = slice(0, -1), slice(1, None)
    both = c[tuple(lo)] & c[tuple(hi)]
    if axis != 2 or reheated is None:
        return both
    interlayer = np.asarray(layer_top, bool)[:-1][None, None, :]
    fused = np.nan_to_num(np.asarray(reheated, float)[tuple(lo)], nan=0.0) > 0.0
    return both & (~interlayer | fused)


def bonded_fraction(faces: np.ndarray, env: np.ndarray, axis: int) -> np.ndarray:
    """Per plane of faces normal to ``axis``: the fraction of the body's faces there (both voxels in the
    envelope) that are bonded; NaN where the plane crosses no body."""
    lo = [slice(None)] * 3
    hi = [slice(None)] * 3
    lo[axis], hi[axis] = slice(0, -1), slice(1, None)
    inside = env[tuple(lo)] & env[tuple(hi)]
    other = tuple(a for a in range(3) if a != axis)
    n = inside.sum(axis=other)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (faces & inside).sum(axis=other) / np.maximum(n, 1), np.nan)
