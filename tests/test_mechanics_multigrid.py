"""The multigrid preconditioner of the mechanics solver (regolith_sim.mechanics.multigrid): restriction is the
transpose of the trilinear prolongation, the V-cycle is symmetric (CG needs an SPD preconditioner), a coarse level
keeps the fine constraints, and CG preconditioned by it reaches the Jacobi-preconditioned solution in a fraction of
the iterations (Jacobi-CG's count grows with the cells along the body, the V-cycle's hardly)."""
from __future__ import annotations

import numpy as np
import pytest

E, NU, ALPHA, DT = 70e9, 0.25, 8e-6, 100.0


@pytest.fixture(scope="module")
def mg(ti_runtime):
    from regolith_sim.mechanics import multigrid

    return multigrid


def _plate(shape):
    """A plate with a hole, clamped at its base, heated with a temperature rising through its height."""
    cells = np.ones(shape, bool)
    nx, ny, nz = shape
    cells[nx // 3: nx // 2, ny // 3: ny // 2, :] = False
    k = (np.arange(nz) + 0.5) / nz
    eps0 = np.where(cells, ALPHA * DT * k[None, None, :], 0.0)
    fixed = np.zeros(tuple(n + 1 for n in shape) + (3,), bool)
    fixed[:, :, 0, :] = True
    return np.where(cells, E, 0.0), eps0, fixed


def _random_free(level, rng):
    from gpu_kernels import backend

    v = np.where(level.free, rng.standard_normal(level.free.shape), 0.0)
    return v, v.astype(backend.np_float())


def test_restriction_is_the_transpose_of_prolongation(mg):
    """<P e, r> = <e, P^T r> over the free dofs, for random fields (odd and even cell counts)."""
    from gpu_kernels import mechanics as K

    rng = np.random.default_rng(1)
    E_cells, _, fixed = _plate((9, 6, 5))
    lam, mu = E_cells * 0.4, E_cells * 0.4
    fine = mg.Level((9, 6, 5), 1e-3, lam, mu, fixed, mg.device_arrays((9, 6, 5), 1e-3, lam, mu, fixed))
    lam_c, mu_c, held_c = mg._coarse_cells(lam), mg._coarse_cells(mu), mg._coarse_held(fixed, (6, 4, 4))
    coarse = mg.Level((5, 3, 3), 2e-3, lam_c, mu_c, held_c, mg.device_arrays((5, 3, 3), 2e-3, lam_c, mu_c, held_c))
    r, r32 = _random_free(fine, rng)
    e, e32 = _random_free(coarse, rng)
    fine.r.from_numpy(r32)
    K.restrict(fine.r, coarse.b, coarse.inv_diag)
    fine.x.fill(0.0)
    coarse.x.from_numpy(e32)
    K.prolong_add(coarse.x, fine.x, fine.inv_diag)
    lhs = float(np.sum(fine.x.to_numpy() * r))
    rhs = float(np.sum(e * coarse.b.to_numpy()))
    assert lhs == pytest.approx(rhs, rel=1e-10)
    # a coarse node where a fine one it gathers is held is held too: the clamped base stays clamped
    assert coarse.held[:, :, 0, :].all() and not coarse.held[:, :, 1:, :].any()


def test_the_v_cycle_is_symmetric_and_positive(mg):
    """<M^-1 a, b> = <a, M^-1 b> and <M^-1 a, a> > 0 on a grid of three levels."""
    from regolith_sim.mechanics import MechanicsSolver

    shape = (48, 32, 8)
    E_cells, eps0, fixed = _plate(shape)
    s = MechanicsSolver(shape, 1e-3)
    s.set_problem(E_cells, NU, eps0, fixed)
    m = s._mg
    assert len(m.levels) >= 3 and m.levels[-1].dense_inv is not None
    rng = np.random.default_rng(2)
    top = m.levels[0]
    out = []
    for _ in range(2):
        v, v32 = _random_free(top, rng)
        top.b.from_numpy(v32)
        m.cycle()
        out.append((v, top.x.to_numpy().astype(float)))
    (a, Ma), (b, Mb) = out
    assert float(np.sum(Ma * b)) == pytest.approx(float(np.sum(a * Mb)), rel=1e-9)
    assert float(np.sum(Ma * a)) > 0.0 and float(np.sum(Mb * b)) > 0.0


@pytest.mark.parametrize("shape", [(32, 24, 8), (64, 48, 8)])
def test_multigrid_cg_reaches_the_jacobi_solution_in_far_fewer_iterations(mg, shape):
    """Both preconditioners to a relative residual of 1e-9: displacements agree within 1e-6 of the largest, and the
    V-cycle takes at most a fifth of Jacobi's iterations (its count about the same on both grids)."""
    from regolith_sim.mechanics import MechanicsSolver

    E_cells, eps0, fixed = _plate(shape)
    runs = {}
    for pre in ("jacobi", "multigrid"):
        s = MechanicsSolver(shape, 1e-3, tol=1e-9, preconditioner=pre)
        s.set_problem(E_cells, NU, eps0, fixed)
        runs[pre] = s.solve()
    u_j, u_m = runs["jacobi"].displacement, runs["multigrid"].displacement
    assert np.abs(u_m - u_j).max() < 1e-6 * np.abs(u_j).max()
    assert runs["multigrid"].iterations * 5 <= runs["jacobi"].iterations
    assert runs["multigrid"].iterations < 60


def test_a_multigrid_solve_that_stops_short_falls_back_to_jacobi_and_then_says_why(ti_runtime):
    """Past max_iter the V-cycle's CG gives way to Jacobi's (the proven path), which stops there too: the error names
    the residual and the iterations."""
    from regolith_sim.mechanics import MechanicsNotConverged, MechanicsSolver

    shape = (32, 24, 8)
    E_cells, eps0, fixed = _plate(shape)
    s = MechanicsSolver(shape, 1e-3, tol=1e-12)
    s.set_problem(E_cells, NU, eps0, fixed)
    with pytest.raises(MechanicsNotConverged, match=r"relative residual .* after 2 conjugate-gradient iterations"):
        s.solve(max_iter=2)


def test_an_unknown_preconditioner_is_refused(ti_runtime):
    from regolith_sim.mechanics import MechanicsSolver

    with pytest.raises(ValueError, match="preconditioner = 'ilu': allowed multigrid or jacobi"):
        MechanicsSolver((2, 2, 2), 1e-3, preconditioner="ilu")
