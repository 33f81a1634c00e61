"""How well tracks and layers are joined, from the fields of a run.

A face between two voxels of the body transmits load in proportion to the area of it that sintered or
fused. Every face carries its own sintering accumulator (gpu_kernels.sintering ``acc_face``): the densify
law run at the contact temperature (T_a + T_b)/2 from the moment both sides held material. Its sintering
progress, the fraction of the way from the powder's density to full density that this history gives a fresh
powder (the kernel's own law), is the bonded area of the contact. In the initial (Frenkel 1945) stage
this is the neck area: progress 9 rho0 tau / (8 (1 - rho0)) against (x/a)^2 = 3 tau / 2 for the neck
radius x of grains of radius a, within 25 % of each other for the powders' rho0 = 0.5-0.6, so the bonded
area fraction follows the neck-area (minimum solid area) view of partly sintered ceramics (Rice 1996,
J. Mater. Sci. 31:102); it reaches 1 as the contact densifies fully or melts.

A face is bonded as far as its contact progressed against the less sintered of its two voxels,
min(1, p_face / min(p_a, p_b)) with p = (rho_rel - rho0)/(1 - rho0): inside material that sintered or
melted as one, the contact went as far as the material, and the face is as strong as its voxels, which
already carry their porosity. Where material was laid against material that had cooled (a track beside an
earlier track, a layer spread on the layer below) the contact sinters only as far as it re-softens: a
track or layer laid on a surface that never re-softens sits on it unbonded, the cold lap / lack of fusion
between roads and layers of layered AM parts; a neighbour whose heat only briefly softens the surface bonds
over part of it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def face_pair(axis: int):
    """Index tuples of the voxel before and after each face normal to ``axis``."""
    lo = [slice(None)] * 3
    hi = [slice(None)] * 3
    lo[axis], hi[axis] = slice(0, -1), slice(1, None)
    return tuple(lo), tuple(hi)


def face_bond(acc_face: np.ndarray, rho_rel: np.ndarray, rho0: float,
              progress: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Bonded area fraction [0-1] of each voxel's faces to +x, +y, +z (shape of the grid plus 3; the last
    plane along each axis has no face and holds 1). ``acc_face`` is the face accumulator (reduced time or
    Theta, gpu_kernels.sintering; negative where there was no contact), ``progress`` maps it to sintering
    progress (SinteringTables.progress), ``rho_rel`` and ``rho0`` give each voxel's own progress."""
    acc_face = np.asarray(acc_face, float)
    p_vox = np.clip((np.asarray(rho_rel, float) - rho0) / (1.0 - rho0), 0.0, 1.0)
    out = np.ones(acc_face.shape)
    for axis in range(3):
        lo, hi = face_pair(axis)
        weaker = np.minimum(p_vox[lo], p_vox[hi])
        p_face = progress(np.maximum(acc_face[lo + (axis,)], 0.0))  # no contact (< 0): nothing sintered
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lo + (axis,)] = np.where(weaker > 0.0, np.minimum(p_face / np.where(weaker > 0, weaker, 1.0), 1.0),
                                         1.0)
    return out


def bonded_faces(consolidated: np.ndarray, bond: np.ndarray | None, axis: int) -> np.ndarray:
    """Bonded area fraction [0-1] of the faces between voxel n and n+1 along ``axis`` (shape one shorter
    there): 0 unless both voxels consolidated, else the face's ``bond`` (:func:`face_bond`; without it
    every such face counts as fully bonded)."""
    c = np.asarray(consolidated, bool)
    lo, hi = face_pair(axis)
    both = (c[lo] & c[hi]).astype(float)
    if bond is None:
        return both
    return both * np.nan_to_num(np.asarray(bond, float)[lo + (axis,)], nan=0.0)


def bonded_fraction(faces: np.ndarray, env: np.ndarray, axis: int) -> np.ndarray:
    """Per plane of faces normal to ``axis``: the fraction of the body's faces there (both voxels in the
    envelope) that are bonded; NaN where the plane crosses no body."""
    lo, hi = face_pair(axis)
    inside = env[lo] & env[hi]
    other = tuple(a for a in range(3) if a != axis)
    n = inside.sum(axis=other)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (faces * inside).sum(axis=other) / np.maximum(n, 1), np.nan)
