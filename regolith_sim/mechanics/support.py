"""Supports: which dofs are held, and removal of rigid-body motion from a free body's displacements.

* clamped: every node on the underside of the lowest load-bearing layer is held (a part fused to a
  rigid start plate or to the substrate).
* free (resting on powder, which carries no load): each connected load-bearing body gets the minimal,
  statically determinate "3-2-1" set of six constraints (all three components at a node A; at the node B
  farthest from A the two components across the line AB; at the node C farthest from that line the
  component along the normal of the plane ABC), which removes the six rigid-body modes and, the thermal
  load being self-equilibrated, exerts no force. The rigid-body part of the result is then removed by
  least squares over the body's nodes (zero mean translation and rotation), so the distortion reported
  does not depend on which nodes were picked.
"""
from __future__ import annotations

import numpy as np


def node_mask(cells: np.ndarray) -> np.ndarray:
    """Nodes that belong to at least one of ``cells`` (bool, one more along each axis)."""
    nx, ny, nz = cells.shape
    out = np.zeros((nx + 1, ny + 1, nz + 1), dtype=bool)
    for a in range(8):
        i, j, k = a & 1, (a >> 1) & 1, (a >> 2) & 1
        out[i:i + nx, j:j + ny, k:k + nz] |= cells
    return out


def bodies(cells: np.ndarray) -> tuple[np.ndarray, int]:
    """Label connected load-bearing bodies. Cells touching at a node or an edge count as joined (one
    label): they share nodes, so giving each its own constraints would over-constrain them."""
    from scipy import ndimage

    return ndimage.label(cells, structure=np.ones((3, 3, 3), dtype=bool))


def clamp_bottom(cells: np.ndarray) -> np.ndarray:
    """Fixed-dof mask (nx+1, ny+1, nz+1, 3) holding the bottom nodes of the lowest layer of ``cells``."""
    fixed = np.zeros(tuple(n + 1 for n in cells.shape) + (3,), dtype=bool)
    ks = np.nonzero(cells.any(axis=(0, 1)))[0]
    if ks.size:
        k0 = int(ks[0])
        under = node_mask(cells[:, :, k0:k0 + 1])[:, :, 0]
        fixed[:, :, k0, :] = under[:, :, None]
    return fixed


def three_two_one(nodes: np.ndarray, fixed: np.ndarray | None = None) -> np.ndarray:
    """Add the 3-2-1 constraints of one body whose nodes are ``nodes`` (bool node mask) to ``fixed``."""
    if fixed is None:
        fixed = np.zeros(nodes.shape + (3,), dtype=bool)
    idx = np.argwhere(nodes)
    xyz = idx.astype(float)
    A = idx[np.argmin(np.sum((xyz - xyz.mean(axis=0)) ** 2, axis=1))]  # near the centroid: short lever arms
    fixed[tuple(A)] = True
    d_all = xyz - A
    B = idx[np.argmax(np.sum(d_all ** 2, axis=1))]
    d = (B - A).astype(float)
    if not d.any():  # a body of one node cannot occur (a cell has eight), kept for safety
        return fixed
    m = int(np.argmax(np.abs(d)))
    for c in range(3):
        if c != m:
            fixed[(*B, c)] = True
    n = np.cross(d, d_all)  # normal of plane A, B, node; its size is twice the triangle's area
    best = int(np.argmax(np.sum(n ** 2, axis=1)))
    if np.sum(n[best] ** 2) > 0.0:
        # The remaining mode is the rotation about AB; it moves C along n_C = d x (C - A).
        C = idx[best]
        fixed[(*C, int(np.argmax(np.abs(n[best]))))] = True
    return fixed


def remove_rigid_body(u: np.ndarray, nodes: np.ndarray, dx: float) -> np.ndarray:
    """u minus its least-squares rigid-body motion t + w x (x - x_c) over ``nodes`` (in place, returned)."""
    idx = np.argwhere(nodes)
    if idx.shape[0] < 3:
        return u
    x = idx * dx
    xc = x.mean(axis=0)
    r = x - xc
    uu = u[nodes]
    t = uu.mean(axis=0)
    # w minimises sum |u - t - w x r|^2: (sum (|r|^2 I - r r^T)) w = sum r x u
    J = np.eye(3) * np.sum(r * r) - r.T @ r
    w = np.linalg.lstsq(J, np.sum(np.cross(r, uu - t), axis=0), rcond=None)[0]
    u[nodes] = uu - t - np.cross(w, r)
    return u
