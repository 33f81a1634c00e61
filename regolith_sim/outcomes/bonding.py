"""How well tracks and layers are joined, from the fields of a run.

Every face between two voxels carries its own sintering accumulator (gpu_kernels.sintering ``acc_face``): the
densify law run at the face's temperature from the moment both sides held material, and fused at the
liquidus. Its **face density** is the density that history gives a fresh powder of the bed (the kernel's own
law): the contact between the two voxels is taken to be a thin slice of powder sintered with the contact's
history, whose load-bearing (minimum solid) area is what the matrix law gives at that density (Rice 1998,
Porosity of Ceramics: strength follows the minimum solid area). A face between two consolidated voxels is
bonded over

    bond = min(1, S(P_face) / S(P_weaker)),   P = 1 - rho,

S the route's matrix law between grains (.routes) and P_weaker the porosity of the less dense voxel: inside
material that sintered or melted as one the contact went as far as the material and the face is as strong
as its voxels (which carry their own porosity and vesicles); material laid against material that had cooled
(a track beside an earlier track, a layer spread on the layer below) bonds only as far as the contact
re-softened: a surface that never re-softens is a cold lap, the lack of fusion between roads and layers of
layered AM parts. Without a matrix law (a simulant with no strength data) the ratio of sintering progress,
(rho_face - rho0)/(rho_weaker - rho0), stands in; in the initial (Frenkel 1945) stage progress is the neck
area, 9 rho0 tau / (8 (1 - rho0)) against (x/a)^2 = 3 tau / 2 (within 25 % for rho0 = 0.5-0.6).
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


def face_bond(face_rho: np.ndarray, rho_rel: np.ndarray, rho0: float,
              strength: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Bonded area fraction [0-1] of each voxel's faces to +x, +y, +z (shape of the grid plus 3; the last
    plane along each axis has no face and holds 1). ``face_rho`` is each face's density (Simulation.face_density:
    rho0 where there was no contact, 1 once fused), ``rho_rel`` the voxels', ``strength`` the matrix law
    between grains S(P) (None: the progress ratio, module docstring)."""
    face_rho = np.asarray(face_rho, float)
    rho = np.asarray(rho_rel, float)
    if strength is None:
        measure = lambda r: np.clip((r - rho0) / (1.0 - rho0), 0.0, 1.0)  # noqa: E731
    else:
        measure = lambda r: np.asarray(strength(1.0 - np.clip(r, 0.0, 1.0)), float)  # noqa: E731
    out = np.ones(face_rho.shape)
    for axis in range(3):
        lo, hi = face_pair(axis)
        weaker = measure(np.minimum(rho[lo], rho[hi]))
        face = measure(face_rho[lo + (axis,)])
        with np.errstate(invalid="ignore", divide="ignore"):
            # a voxel that carries nothing makes its faces moot (what they carry is bond x the weaker voxel's)
            out[lo + (axis,)] = np.where(weaker > 0.0, np.minimum(face / np.where(weaker > 0, weaker, 1.0), 1.0),
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
