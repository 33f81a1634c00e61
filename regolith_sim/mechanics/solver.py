"""The mechanics solver: owns the node and cell arrays and solves the quasi-static thermo-elastic
problem K u = f with the matrix-free kernels of :mod:`gpu_kernels.mechanics` (the element, the
discretisation and the equations are documented there).

Element choice: plain trilinear hexahedra with full (2 x 2 x 2) integration, not B-bar. B-bar (Hughes
1980, Int. J. Numer. Meth. Eng. 15:1413) cures volumetric locking as nu -> 0.5; every load-bearing
solid here has nu <= 0.3 (melt above the annealing temperature carries no load at all), so it would buy
nothing, and it does not cure what does affect these elements, shear locking in bending, whose error
falls as (dx / h)^2 with h the bending thickness (measured in tests/test_mechanics.py: the free plate
and the bilayer).

Solution: conjugate gradients on the free dofs (fixed dofs and dofs of no load-bearing cell are held at 0),
preconditioned by a geometric-multigrid V-cycle (regolith_sim.mechanics.multigrid) or by Jacobi. Only NumPy and
the kernels are imported, so benchmarks/mechanics.py runs with Taichi and NumPy alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gpu_kernels import backend
from gpu_kernels import mechanics as K
from gpu_kernels.backend import ti

from ..errors import SimulationDiverged
from .multigrid import Multigrid


class MechanicsNotConverged(SimulationDiverged):
    """The conjugate-gradient solve stopped before its tolerance; the message says why it likely did (the CLI
    prints it as one line and exits with code 3, as for a diverged thermal run)."""


@dataclass
class MechanicsResult:
    displacement: np.ndarray  #: (nx+1, ny+1, nz+1, 3) node displacements [m]
    stress: np.ndarray        #: (nx, ny, nz, 6) cell-centre stress, Voigt xx, yy, zz, yz, xz, xy [Pa]
    iterations: int
    residual: float           #: final ||f - K u|| / ||f||


def lame(E, nu):
    """Lame constants (lambda, mu) [Pa] of Young's modulus E and Poisson ratio nu."""
    E, nu = np.asarray(E, dtype=float), np.asarray(nu, dtype=float)
    return E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu)), E / (2.0 * (1.0 + nu))


@dataclass
class MechanicsSolver:
    """Thermo-elastic solver on a grid of ``shape`` cells of edge ``dx`` [m]."""

    shape: tuple[int, int, int]
    dx: float
    #: relative residual ||f - K u|| / ||f|| at which CG stops
    tol: float = 1e-8
    #: "multigrid" (a V-cycle, regolith_sim.mechanics.multigrid; Jacobi if it fails) or "jacobi"
    preconditioner: str = "multigrid"
    iterations_total: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        backend.ensure_init()
        if len(self.shape) != 3 or min(self.shape) < 1:
            raise ValueError(f"shape = {self.shape!r}: needs three cell counts >= 1")
        if not self.dx > 0.0:
            raise ValueError(f"dx = {self.dx!r}: needs a cell edge > 0 m")
        if self.preconditioner not in ("multigrid", "jacobi"):
            raise ValueError(f"preconditioner = {self.preconditioner!r}: allowed multigrid or jacobi")
        fp = backend.float_type()
        nodes = tuple(n + 1 for n in self.shape) + (3,)
        self.lam, self.mu, self.eps0 = (ti.ndarray(fp, shape=self.shape) for _ in range(3))
        self.u, self.r, self.p, self.Ap, self.inv_diag = (ti.ndarray(fp, shape=nodes) for _ in range(5))
        self.z = ti.ndarray(fp, shape=nodes) if self.preconditioner == "multigrid" else None
        self._mg = None
        self.stress = ti.ndarray(fp, shape=tuple(self.shape) + (6,))
        self._sums = ti.ndarray(fp, shape=2)
        self._np = backend.np_float()

    @property
    def node_shape(self) -> tuple[int, int, int]:
        return tuple(n + 1 for n in self.shape)

    def set_problem(self, E: np.ndarray, nu: np.ndarray | float, eps0: np.ndarray,
                    fixed: np.ndarray | None = None) -> None:
        """Cell properties and constraints. ``E`` [Pa] per cell (0: void), ``nu`` per cell or one value,
        ``eps0`` the eigenstrain: isotropic (thermal) per cell, shape (nx, ny, nz), or a full tensor per
        Gauss point, shape (nx, ny, nz, 48) (index 6 q + Voigt component, engineering shear; see
        gpu_kernels.mechanics); ``fixed`` (nx+1, ny+1, nz+1, 3) bool: dofs held at u = 0."""
        E = np.asarray(E, dtype=float)
        if E.shape != tuple(self.shape):
            raise ValueError(f"E has shape {E.shape}; the grid has {tuple(self.shape)} cells")
        nu = np.broadcast_to(np.asarray(nu, dtype=float), E.shape)
        if np.any((nu < 0.0) | (nu >= 0.5)):
            raise ValueError(f"nu = {float(nu.min())}..{float(nu.max())}: allowed 0 <= nu < 0.5")
        lam, mu = lame(np.maximum(E, 0.0), nu)
        self.lam.from_numpy(lam.astype(self._np))
        self.mu.from_numpy(mu.astype(self._np))
        eps0 = np.asarray(eps0, dtype=float)
        self.general = eps0.ndim == 4
        if self.general:
            if eps0.shape != E.shape + (48,):
                raise ValueError(f"eps0 has shape {eps0.shape}; per Gauss point it needs {E.shape + (48,)}")
            if not hasattr(self, "eps_q"):
                self.eps_q = ti.ndarray(backend.float_type(), shape=E.shape + (48,))
            self.eps_q.from_numpy(eps0.astype(self._np))
        else:
            self.eps0.from_numpy(np.broadcast_to(eps0, E.shape).astype(self._np))
        K.diagonal(self.Ap, self.lam, self.mu, self.dx)
        diag = self.Ap.to_numpy()
        free = diag > 0.0
        if fixed is not None:
            free &= ~np.asarray(fixed, dtype=bool)
        self.free = free
        inv = np.zeros_like(diag)
        inv[free] = 1.0 / diag[free]
        self.inv_diag.from_numpy(inv.astype(self._np))
        if self.preconditioner == "multigrid":
            held = np.zeros(diag.shape, bool) if fixed is None else np.asarray(fixed, dtype=bool)
            self._mg = Multigrid(self.shape, self.dx, lam, mu, held, self.r, self.z,
                                 fine=(self.lam, self.mu, self.inv_diag, inv))

    def solve(self, max_iter: int | None = None, what: str = "thermo-elastic solve") -> MechanicsResult:
        """Solve K u = f(eps0) from u = 0 and return displacements and cell stresses."""
        n_free = int(self.free.sum())
        # Jacobi-CG needs O(number of cells along the body) iterations, more for slender bodies.
        max_iter = max_iter or max(2000, 100 * max(self.shape))
        it, rel = 0, 0.0
        f_norm = self._load()
        if f_norm > 0.0:
            if self._mg is not None:
                it, rel = self._pcg(f_norm, max_iter, self._multigrid_start, self._multigrid_turn)
                if not rel <= self.tol:  # (not expected: the V-cycle is SPD; Jacobi is the proven path)
                    self._load()
            if self._mg is None or not rel <= self.tol:
                it, rel = self._pcg(f_norm, max_iter, self._jacobi_start, self._jacobi_turn)
            self.iterations_total += it
            if not rel <= self.tol:
                raise MechanicsNotConverged(
                    f"{what} did not converge: relative residual {rel:.3g} after {it} conjugate-gradient "
                    f"iterations (tolerance {self.tol:g}, {n_free} free dofs); likely a piece held by nothing but "
                    "powder (a load-bearing region without support, or joined to the rest only along an edge or a "
                    "corner), or a stiffness contrast too large for the Jacobi preconditioner")
        if self.general:
            K.cell_stress_eigen(self.u, self.lam, self.mu, self.eps_q, self.stress, self.dx)
        else:
            K.cell_stress(self.u, self.lam, self.mu, self.eps0, self.stress, self.dx)
        return MechanicsResult(self.u.to_numpy().astype(float), self.stress.to_numpy().astype(float), it, rel)

    def _load(self) -> float:
        """r = f(eps0), u = 0; returns ||f||."""
        if self.general:
            K.eigen_load(self.r, self.lam, self.mu, self.eps_q, self.inv_diag, self.dx)
        else:
            K.thermal_load(self.r, self.lam, self.mu, self.eps0, self.inv_diag, self.dx)
        self.u.fill(0.0)
        return float(np.sqrt(K.dot(self.r, self.r)))

    def _pcg(self, f_norm: float, max_iter: int, start, turn) -> tuple[int, float]:
        """Preconditioned CG from u = 0, r = f: (iterations, relative residual). ``start()`` sets the first
        direction p = M^-1 r and returns r . M^-1 r; ``turn(rz, sums)`` (``sums`` the update's r . D^-1 r and r . r)
        turns p towards the new M^-1 r and returns the new r . M^-1 r."""
        it, rel = 0, 1.0
        target = self.tol * f_norm
        rz = start()
        while it < max_iter and rz > 0.0:
            K.matvec(self.p, self.Ap, self.lam, self.mu, self.inv_diag, self.dx)
            pAp = K.dot(self.p, self.Ap)
            if not pAp > 0.0:
                break
            K.pcg_update(self.u, self.r, self.p, self.Ap, self.inv_diag, rz / pAp, self._sums)
            it += 1
            sums = self._sums.to_numpy()
            rr = max(float(sums[1]), 0.0)
            rel = np.sqrt(rr) / f_norm
            if np.sqrt(rr) <= target:
                break
            rz = turn(rz, sums)
        return it, rel

    def _jacobi_start(self) -> float:
        return K.pcg_start(self.r, self.p, self.inv_diag)

    def _jacobi_turn(self, rz: float, sums) -> float:
        rz_new = float(sums[0])
        K.pcg_direction(self.r, self.p, self.inv_diag, rz_new / rz)
        return rz_new

    def _multigrid_start(self) -> float:
        self._mg.cycle()
        self.p.fill(0.0)
        K.cg_direction(self.z, self.p, 0.0)
        return K.dot(self.r, self.z)

    def _multigrid_turn(self, rz: float, sums) -> float:
        # (the update's r . D^-1 r is Jacobi's and unused here)
        self._mg.cycle()
        rz_new = K.dot(self.r, self.z)
        K.cg_direction(self.z, self.p, rz_new / rz)
        return rz_new

    def gauss_strain(self) -> np.ndarray:
        """Strain of the last solution at the Gauss points of the load-bearing cells, (nx, ny, nz, 48)."""
        if not hasattr(self, "_eps_out"):
            self._eps_out = ti.ndarray(backend.float_type(), shape=tuple(self.shape) + (48,))
        K.gauss_strain(self.u, self.mu, self._eps_out, self.dx)
        return self._eps_out.to_numpy().astype(float)
