"""Geometric multigrid that preconditions the mechanics solver's conjugate gradients.

Jacobi-preconditioned CG needs a number of iterations that grows with the cells along the body (5,116 for the
demo brick at three cells per 0.5 mm layer). A V(1,1)-cycle (Briggs, Henson & McCormick 2000, A Multigrid
Tutorial, 2nd ed., Ch. 3; Trottenberg, Oosterlee & Schueller 2001, Multigrid, Sec. 2.4) as the preconditioner of
CG (Tatebe 1993, Proc. Copper Mountain Conf. on Multigrid Methods) keeps it nearly constant:

* levels: cells of twice the edge, their Lame constants the mean of the eight fine cells they hold (void counts
  as 0), the same matrix-free Q1 operator (``gpu_kernels.mechanics.matvec``) at that edge;
* a coarse dof is held at 0 where any fine dof its restriction gathers is held (clamped base, 3-2-1 sets), so
  each level keeps the fine problem's constraints and no level is singular;
* smoother: one damped Jacobi sweep before and one after the coarse correction, omega = 4 / (3 lambda_max) with
  lambda_max of D^-1 K from a few power iterations (the usual choice for smoothing, Briggs et al. Ch. 4);
* the coarsest level (at most ``COARSEST_DOFS`` free dofs) is solved exactly with a dense inverse (NumPy).

Pre- and post-smoothing are the same sweep and restriction is the transpose of the trilinear prolongation, so the
cycle is a symmetric positive definite operator, as CG needs. Only NumPy and the kernels are imported.
"""
from __future__ import annotations

import numpy as np

from gpu_kernels import backend
from gpu_kernels import mechanics as K
from gpu_kernels.backend import ti

#: a level with at most this many free dofs is the coarsest: its dense inverse (50 MB) takes ~0.5 s to form
COARSEST_DOFS = 2500
#: power iterations for the largest eigenvalue of D^-1 K on each smoothed level
POWER_ITERATIONS = 12


class Level:
    """One grid of the hierarchy: cells ``shape`` of edge ``dx``, Lame constants (``lam_np``, ``mu_np`` and their
    device copies), inverse diagonal (0: held or no material) and the work arrays of the cycle (``x`` its result,
    ``b`` its right-hand side). ``device`` = (lam, mu, inv_diag, inv_np): the finest level takes the solver's own;
    a coarser one builds them (:func:`device_arrays`)."""

    def __init__(self, shape, dx: float, lam_np: np.ndarray, mu_np: np.ndarray, held: np.ndarray, device, b=None,
                 x=None):
        fp = backend.float_type()
        self.shape, self.dx = tuple(shape), float(dx)
        nodes = tuple(n + 1 for n in self.shape) + (3,)
        self.lam_np, self.mu_np, self.held = lam_np, mu_np, held
        self.lam, self.mu, self.inv_diag, self.inv_np = device
        self.free = self.inv_np != 0.0
        self.Ax, self.r = (ti.ndarray(fp, shape=nodes) for _ in range(2))
        self.b = b if b is not None else ti.ndarray(fp, shape=nodes)
        self.x = x if x is not None else ti.ndarray(fp, shape=nodes)
        self.omega = 0.0
        self.dense_inv = None

    @property
    def n_free(self) -> int:
        return int(self.free.sum())

    def apply(self, v, out) -> None:
        K.matvec(v, out, self.lam, self.mu, self.inv_diag, self.dx)


def device_arrays(shape, dx: float, lam_np: np.ndarray, mu_np: np.ndarray, held: np.ndarray) -> tuple:
    """(lam, mu, inv_diag, inv_np) of a grid: its Lame constants on the device and the inverse of its stiffness
    diagonal, 0 on dofs that are held or touch no material (as MechanicsSolver.set_problem sets the fine one)."""
    fp, npf = backend.float_type(), backend.np_float()
    lam, mu = (ti.ndarray(fp, shape=tuple(shape)) for _ in range(2))
    lam.from_numpy(lam_np.astype(npf))
    mu.from_numpy(mu_np.astype(npf))
    inv_diag = ti.ndarray(fp, shape=tuple(n + 1 for n in shape) + (3,))
    K.diagonal(inv_diag, lam, mu, dx)
    diag = inv_diag.to_numpy().astype(float)
    free = (diag > 0.0) & ~held
    inv = np.zeros_like(diag)
    inv[free] = 1.0 / diag[free]
    inv_diag.from_numpy(inv.astype(npf))
    return lam, mu, inv_diag, inv


def _coarse_cells(a: np.ndarray) -> np.ndarray:
    """Mean over each 2 x 2 x 2 block of cells (the grid padded with zeros to even counts)."""
    n = tuple((s + 1) // 2 for s in a.shape)
    pad = np.zeros(tuple(2 * s for s in n))
    pad[:a.shape[0], :a.shape[1], :a.shape[2]] = a
    return pad.reshape(n[0], 2, n[1], 2, n[2], 2).mean(axis=(1, 3, 5))


def _coarse_held(held: np.ndarray, n_nodes: tuple) -> np.ndarray:
    """Coarse node I (each axis) gathers fine nodes 2I-1, 2I, 2I+1: a coarse dof is held where any of those is."""
    out = held
    for axis, n in enumerate(n_nodes):
        pad_width = [(0, 0)] * out.ndim
        pad_width[axis] = (1, max(0, 2 * n + 2 - out.shape[axis] - 1))
        p = np.pad(out, pad_width, constant_values=False)
        take = [slice(None)] * out.ndim
        parts = []
        for start in range(3):
            take[axis] = slice(start, start + 2 * n, 2)
            parts.append(p[tuple(take)])
        out = parts[0] | parts[1] | parts[2]
    return out


def _dense_stiffness(level: Level) -> np.ndarray:
    """The level's stiffness matrix on its free dofs, dense (free dofs in the C order of (node, component))."""
    KL, KM = K.element_matrices()
    nx, ny, nz = level.shape
    cells = np.argwhere(level.mu_np > 0.0)
    a = np.arange(8)
    local = np.stack([a & 1, (a >> 1) & 1, (a >> 2) & 1], axis=1)                      # (8, 3)
    nodes = cells[:, None, :] + local[None]                                              # (m, 8, 3)
    node_id = (nodes[..., 0] * (ny + 1) + nodes[..., 1]) * (nz + 1) + nodes[..., 2]      # (m, 8)
    dofs = (3 * node_id[..., None] + np.arange(3)).reshape(len(cells), 24)
    free = level.free.ravel()
    index = np.full(free.size, -1)
    index[free] = np.arange(int(free.sum()))
    rows = index[dofs]                                                                   # (m, 24), -1: held
    lam = level.lam_np[tuple(cells.T)]
    mu = level.mu_np[tuple(cells.T)]
    Ke = level.dx * (lam[:, None, None] * KL + mu[:, None, None] * KM)
    both = (rows[:, :, None] >= 0) & (rows[:, None, :] >= 0)
    r_idx = np.broadcast_to(rows[:, :, None], Ke.shape)[both]
    c_idx = np.broadcast_to(rows[:, None, :], Ke.shape)[both]
    A = np.zeros((int(free.sum()),) * 2)
    np.add.at(A, (r_idx, c_idx), Ke[both])
    return A


class Multigrid:
    """The V-cycle hierarchy over a solver's fine grid: ``cycle()`` sets ``z = M^-1 r`` for the fine residual
    ``r`` (the arrays passed in)."""

    def __init__(self, shape, dx: float, lam: np.ndarray, mu: np.ndarray, held: np.ndarray, r, z, fine=None):
        """``fine``: the solver's (lam, mu, inv_diag, inv_np) of this grid (:func:`device_arrays` builds them if
        None); ``r`` and ``z`` the fine residual the cycle reads and the array it writes."""
        fine = fine if fine is not None else device_arrays(shape, dx, lam, mu, held)
        self.levels = [Level(shape, dx, lam, mu, held, fine, b=r, x=z)]
        while self.levels[-1].n_free > COARSEST_DOFS and max(self.levels[-1].shape) > 1:
            f = self.levels[-1]
            shape_c, dx_c = tuple((s + 1) // 2 for s in f.shape), 2.0 * f.dx
            held_c = _coarse_held(f.held, tuple(s + 1 for s in shape_c))
            lam_c, mu_c = _coarse_cells(f.lam_np), _coarse_cells(f.mu_np)
            self.levels.append(Level(shape_c, dx_c, lam_c, mu_c, held_c,
                                     device_arrays(shape_c, dx_c, lam_c, mu_c, held_c)))
        last = self.levels[-1]
        if 0 < last.n_free <= COARSEST_DOFS:
            A = _dense_stiffness(last)
            try:
                np.linalg.cholesky(A)
                inv = np.linalg.inv(A)
                last.dense_inv = 0.5 * (inv + inv.T)
            except np.linalg.LinAlgError:
                last.dense_inv = None
        for level in self.levels:
            if level.dense_inv is None:
                level.omega = 4.0 / (3.0 * self._largest_eigenvalue(level))

    @staticmethod
    def _largest_eigenvalue(level: Level) -> float:
        """lambda_max of D^-1 K by power iteration (5 % added for the iterations' shortfall)."""
        rng = np.random.default_rng(0)
        v = np.where(level.free, rng.random(level.free.shape) + 0.5, 0.0)
        lam_max = 1.0
        for _ in range(POWER_ITERATIONS):
            level.x.from_numpy(v.astype(backend.np_float()))
            level.apply(level.x, level.Ax)
            w = level.inv_np * level.Ax.to_numpy().astype(float)
            norm = float(np.linalg.norm(w))
            if norm == 0.0:
                break
            lam_max = norm / float(np.linalg.norm(v))
            v = w / norm
        return 1.05 * lam_max

    def cycle(self, at: int = 0) -> None:
        """levels[at].x = the V-cycle's approximation of K^-1 levels[at].b."""
        level = self.levels[at]
        if level.dense_inv is not None:
            b = level.b.to_numpy().astype(float)
            x = np.zeros_like(b)
            x[level.free] = level.dense_inv @ b[level.free]
            level.x.from_numpy(x.astype(backend.np_float()))
            return
        K.jacobi(level.x, level.b, level.Ax, level.inv_diag, level.omega, 1)
        if at + 1 < len(self.levels):
            coarse = self.levels[at + 1]
            level.apply(level.x, level.Ax)
            K.residual(level.b, level.Ax, level.r)
            K.restrict(level.r, coarse.b, coarse.inv_diag)
            self.cycle(at + 1)
            K.prolong_add(coarse.x, level.x, level.inv_diag)
        level.apply(level.x, level.Ax)
        K.jacobi(level.x, level.b, level.Ax, level.inv_diag, level.omega, 0)
