"""How well tracks and layers are joined, from the fields of a run.

A face between two voxels of the body transmits load in proportion to the area of it that sintered or
fused:
- faces inside a layer (between tracks, and between the cells of one layer when a layer is several
  cells thick): fully, when both voxels consolidated, since they sintered or melted from powder that
  touched;
- faces between layers: the fraction of the face that sintered after the upper layer's powder was spread
  on the lower layer's top (:func:`interface_bond`). A layer laid on an already-cold consolidated
  surface that never re-softens sits on it unbonded, the cold lap / lack of inter-layer fusion of
  layered AM parts; a layer whose heat only briefly softens the surface below bonds over part of it.

The bonded area of an interface is its sintering progress, the fraction of the way from the powder's
density to full density that its thermal history after the cover gives a fresh powder (the densify
kernel's own law). In the initial (Frenkel 1945) stage this is the neck area: progress
9 rho0 tau / (8 (1 - rho0)) against (x/a)^2 = 3 tau / 2 for the neck radius x of grains of radius a,
within 25 % of each other for the powders' rho0 = 0.5-0.6, so the bonded area fraction follows the
neck-area (minimum solid area) view of partly sintered ceramics (Rice 1996, J. Mater. Sci. 31:102);
it reaches 1 as the interface densifies fully or melts.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def interface_bond(acc: np.ndarray, acc_cover: np.ndarray,
                   progress: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Bonded area fraction [0-1] of each voxel's face to the voxel above (used where that face is an
    inter-layer face). ``acc`` is the densify kernel's accumulator (reduced time or Theta), ``acc_cover``
    its value when a layer last covered the voxel (0: never), ``progress`` maps an accumulator to
    sintering progress (SinteringTables.progress).

    The face lies between the lower voxel, which gained ``acc - acc_cover`` after the cover, and the upper one,
    whose powder was spread then and gained all of its ``acc``. The accumulator's rate is exponential in
    1/T and the temperature nearly linear between the two centres, so the face's accumulator is taken as
    their geometric mean (an upper bound of the accumulator at the mid-face temperature, by
    Cauchy-Schwarz). Settling moves both with the material, so a voxel that holds material of both layers
    carries the mass-weighted mean."""
    acc = np.asarray(acc, float)
    below = np.maximum(acc - np.asarray(acc_cover, float), 0.0)
    above = np.zeros_like(below)
    above[:, :, :-1] = np.maximum(acc[:, :, 1:], 0.0)
    return progress(np.sqrt(below * above))


def bonded_faces(consolidated: np.ndarray, layer_top: np.ndarray, bond: np.ndarray | None,
                 axis: int) -> np.ndarray:
    """Bonded area fraction [0-1] of the faces between voxel n and n+1 along ``axis`` (shape one shorter
    there): 0 unless both voxels consolidated. ``layer_top`` marks the top cell layer of each printed layer
    (k index, bool of length nz): z-faces above those cells are inter-layer faces, bonded over ``bond``
    of the voxel below (:func:`interface_bond`; without ``bond`` they count as fully bonded)."""
    c = np.asarray(consolidated, bool)
    lo = [slice(None)] * 3
    hi = [slice(None)] * 3
    lo[axis], hi[axis] = slice(0, -1), slice(1, None)
    both = (c[tuple(lo)] & c[tuple(hi)]).astype(float)
    if axis != 2 or bond is None:
        return both
    interlayer = np.asarray(layer_top, bool)[:-1][None, None, :]
    fused = np.nan_to_num(np.asarray(bond, float)[tuple(lo)], nan=0.0)
    return both * np.where(interlayer, fused, 1.0)


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
        return np.where(n > 0, (faces * inside).sum(axis=other) / np.maximum(n, 1), np.nan)
