"""Thermo-elastic solver (regolith_sim.mechanics) against closed-form solutions and an independent FE code.

Each analytic case runs on two or three grids: the error must fall below 2 % on the finest and (where
the discretisation is not exact for the case) fall as the grid is refined. Sources:
Timoshenko S., Goodier J.N. (1970) Theory of Elasticity, 3rd ed.: bar and free body (Sec. 149), plate
with a linear temperature (Sec. 150), long thick cylinder (Sec. 151); Timoshenko S. (1925) Analysis of
bi-metal thermostats, J. Opt. Soc. Am. 11:233 (bilayer curvature).
"""
from __future__ import annotations

import numpy as np
import pytest

E, NU, ALPHA, DT = 70e9, 0.25, 8e-6, 100.0
SIG0 = E * ALPHA * DT  # thermal stress scale [Pa]


@pytest.fixture(scope="module")
def mech(ti_runtime):
    from regolith_sim.mechanics import MechanicsSolver
    from regolith_sim.mechanics import support

    return MechanicsSolver, support


def solve(mech, cells, dx, E_cells, eps0, fixed, nu=NU, tol=1e-9):
    Solver, _ = mech
    s = Solver(cells.shape, dx, tol=tol)
    s.set_problem(np.where(cells, E_cells, 0.0), nu, np.where(cells, eps0, 0.0), fixed)
    return s.solve()


def nodes_fixed(shape):
    return np.zeros(tuple(n + 1 for n in shape) + (3,), dtype=bool)


@pytest.mark.parametrize("n", [2, 4])
def test_bar_held_at_both_ends_heated_uniformly(mech, n):
    """Bar (length 8h) between two rigid frictionless walls (u_x = 0 on both end faces, free across, rigid
    motion across removed at one end): sigma_xx = -E alpha dT, all other stresses 0, in every cell.
    The field is linear, which the element represents exactly, so the error is round-off on each grid.
    (Walls that also grip the bar across raise the mean axial stress by O(h/L) through the end zones:
    2.8 % at L = 8h, 1.4 % at 16h, the same on every grid - a different problem.)"""
    shape, dx = (8 * n, n, n), 1e-3 / n
    cells = np.ones(shape, bool)
    fixed = nodes_fixed(shape)
    fixed[0, :, :, 0] = fixed[-1, :, :, 0] = True
    fixed[0, 0, 0, 1:] = True
    fixed[0, -1, 0, 2] = True
    r = solve(mech, cells, dx, E, ALPHA * DT, fixed)
    assert np.abs(r.stress[..., 0] / -SIG0 - 1.0).max() < 1e-6
    assert np.abs(r.stress[..., 1:]).max() < 1e-6 * SIG0


def test_free_body_heated_uniformly_is_stress_free(mech):
    """An L-shaped free body heated uniformly: no stress, every length grows by alpha dT (exact on any grid)."""
    _, S = mech
    shape, dx = (10, 6, 6), 1e-3
    cells = np.ones(shape, bool)
    cells[5:, :, 3:] = False
    fixed = S.three_two_one(S.node_mask(cells))
    r = solve(mech, cells, dx, E, ALPHA * DT, fixed)
    assert np.abs(r.stress).max() < 1e-6 * SIG0
    u = S.remove_rigid_body(r.displacement, S.node_mask(cells), dx)
    L = shape[0] * dx
    elong = u[-1, :, 0, 0].mean() - u[0, :, 0, 0].mean()
    assert elong == pytest.approx(ALPHA * DT * L, rel=1e-6)


def _free_plate_curvature(mech, nz):
    """Quarter of a free square plate (half-width 2h) with T linear through the thickness h, symmetry
    planes x = 0 and y = 0: w of the mid-plane fitted to c0 + c1 r^2, curvature -2 c1."""
    shape, h = (2 * nz, 2 * nz, nz), 1e-3
    dx = h / nz
    cells = np.ones(shape, bool)
    z = (np.arange(nz) + 0.5) * dx
    eps0 = np.broadcast_to(ALPHA * DT * (z / h - 0.5), shape)
    fixed = nodes_fixed(shape)
    fixed[0, :, :, 0] = True
    fixed[:, 0, :, 1] = True
    fixed[0, 0, nz // 2, 2] = True
    r = solve(mech, cells, dx, E, eps0, fixed)
    w = r.displacement[:, :, nz // 2, 2]
    x = np.arange(shape[0] + 1) * dx
    r2 = (x[:, None] ** 2 + x[None, :] ** 2).ravel()
    c = np.linalg.lstsq(np.stack([np.ones_like(r2), r2], axis=1), w.ravel(), rcond=None)[0]
    return -2.0 * c[1], np.abs(r.stress).max()


def test_free_plate_linear_temperature_curvature(mech):
    """Stress-free bending: curvature alpha dT / h (Timoshenko & Goodier Sec. 150). Trilinear hexahedra
    cannot represent the quadratic deflection exactly: the error (shear locking) falls as (dx/h)^2."""
    exact = ALPHA * DT / 1e-3
    errs = []
    for nz in (4, 8, 16):
        kappa, smax = _free_plate_curvature(mech, nz)
        errs.append(abs(kappa / exact - 1.0))
    assert errs[-1] < 0.02, errs
    assert errs[0] > errs[1] > errs[2], errs
    assert errs[1] / errs[2] > 3.0, errs  # second order


def timoshenko_bimetal_curvature(h1, h2, E1, E2, dalpha, dT):
    """Timoshenko (1925) bi-metal strip curvature [1/m]; layer 1 below layer 2, dalpha = alpha2 - alpha1."""
    m, n, h = h1 / h2, E1 / E2, h1 + h2
    return 6.0 * dalpha * dT * (1 + m) ** 2 / (h * (3 * (1 + m) ** 2 + (1 + m * n) * (m * m + 1.0 / (m * n))))


def _bilayer_curvature(mech, n):
    """Half of a plane-strain strip (half-length 5h, total thickness h = n cells, lower third material 1,
    upper two thirds material 2), heated uniformly; curvature from w(x) of the bottom over x < 2.5 h."""
    shape, h = (5 * n, 1, n), 1e-3
    dx = h / n
    k1 = n // 3
    cells = np.ones(shape, bool)
    lower = np.zeros(shape, bool)
    lower[:, :, :k1] = True
    E_cells = np.where(lower, E, 0.5 * E)
    eps0 = np.where(lower, ALPHA * DT, 2.0 * ALPHA * DT)
    fixed = nodes_fixed(shape)
    fixed[..., 1] = True          # plane strain
    fixed[0, :, :, 0] = True      # symmetry plane x = 0
    fixed[0, :, 0, 2] = True
    r = solve(mech, cells, dx, E_cells, eps0, fixed)
    x = np.arange(shape[0] + 1) * dx
    sel = x <= 2.5 * h
    w = r.displacement[:, 0, 0, 2][sel]
    c = np.polyfit(x[sel] ** 2, w, 1)
    return -2.0 * c[0], k1 * dx, h - k1 * dx


def test_bilayer_timoshenko_curvature(mech):
    """Plane strain: Timoshenko's formula with E' = E / (1 - nu^2) (same ratio) and alpha' = (1 + nu) alpha."""
    errs = []
    for n in (6, 12):
        kappa, h1, h2 = _bilayer_curvature(mech, n)
        exact = timoshenko_bimetal_curvature(h1, h2, E, 0.5 * E, (1 + NU) * ALPHA, DT)
        errs.append(abs(kappa / exact - 1.0))
    assert errs[-1] < 0.02, errs
    assert errs[0] > 3.0 * errs[1], errs  # second order


def cylinder_stresses(r, a, b, Ta):
    """Plane-strain long hollow cylinder, T = Ta ln(b/r) / ln(b/a) (steady conduction), free surfaces:
    sigma_r, sigma_theta, sigma_z (Timoshenko & Goodier Sec. 151, eqs. for eps_z = 0)."""
    c = ALPHA * E / (1 - NU)
    L = np.log(b / a)

    def integral(r):  # int_a^r T r dr
        f = lambda s: Ta / L * (0.5 * s ** 2 * np.log(b / s) + 0.25 * s ** 2)  # noqa: E731
        return f(r) - f(a)

    I_ab, I_r, T = integral(b), integral(r), Ta * np.log(b / r) / L
    sr = c * (-I_r / r ** 2 + (r ** 2 - a ** 2) / (r ** 2 * (b ** 2 - a ** 2)) * I_ab)
    st = c * (I_r / r ** 2 + (r ** 2 + a ** 2) / (r ** 2 * (b ** 2 - a ** 2)) * I_ab - T)
    sz = c * (2 * NU * I_ab / (b ** 2 - a ** 2) - T)
    return sr, st, sz


def _cylinder_error(mech, N):
    """Quarter of the wall (a = b/2, wall N cells) voxelised by cell centres, one cell thick, u_z = 0."""
    b = 1e-2
    a, dx = 0.5 * b, 0.5 * b / N
    shape = (2 * N, 2 * N, 1)
    xc = (np.arange(shape[0]) + 0.5) * dx
    R = np.sqrt(xc[:, None] ** 2 + xc[None, :] ** 2)[..., None]
    cells = (R >= a) & (R <= b)
    Rc = np.clip(R, a, b)
    eps0 = ALPHA * DT * np.log(b / Rc) / np.log(b / a)
    fixed = nodes_fixed(shape)
    fixed[..., 2] = True
    fixed[0, :, :, 0] = True
    fixed[:, 0, :, 1] = True
    r = solve(mech, cells, dx, E, eps0, fixed)
    c, s = (xc[:, None] / R[..., 0])[..., None], (xc[None, :] / R[..., 0])[..., None]
    sxx, syy, szz, sxy = r.stress[..., 0], r.stress[..., 1], r.stress[..., 2], r.stress[..., 5]
    s_r = sxx * c ** 2 + syy * s ** 2 + 2 * sxy * s * c
    s_t = sxx * s ** 2 + syy * c ** 2 - 2 * sxy * s * c
    er, et, ez = cylinder_stresses(Rc, a, b, DT)
    inner = cells & (R > a + 0.15 * (b - a)) & (R < b - 0.15 * (b - a))
    scale = np.abs(et[cells]).max()
    return max(np.sqrt(np.mean((q[inner] - e[inner]) ** 2)) for q, e in ((s_r, er), (s_t, et), (szz, ez))) / scale


def test_thick_cylinder_radial_temperature(mech):
    """RMS error of sigma_r, sigma_theta, sigma_z over the wall (its outer 15 % on each side, where the
    voxel staircase sits, left out) relative to the largest |sigma_theta|, on three grids."""
    errs = [_cylinder_error(mech, N) for N in (8, 16, 32)]
    assert errs[-1] < 0.02, errs
    assert errs[0] > errs[1] > errs[2], errs


def test_against_scikit_fem(mech):
    """A block clamped at its base with a non-uniform temperature (hot top corner), against scikit-fem's
    independent quadratic (10-node) tetrahedra with the temperature at their quadrature points (converged:
    refining them 1.5x moves the comparison by 0.3 %): the top-face displacements agree within 5 % of the
    largest with 8 voxels through the height (3.6 %) and within 2 % with 16 (1.1 %)."""
    skfem = pytest.importorskip("skfem")
    from skfem.helpers import sym_grad, trace
    from skfem.models.elasticity import lame_parameters, linear_elasticity

    Lx, Ly, Lz = 2e-3, 1e-3, 1e-3

    def temp(x, y, z):
        return DT * (z / Lz) ** 2 * (0.5 + x / Lx) * (1.0 + 0.5 * y / Ly)

    mesh = skfem.MeshTet.init_tensor(np.linspace(0, Lx, 9), np.linspace(0, Ly, 5), np.linspace(0, Lz, 5))
    basis = skfem.Basis(mesh, skfem.ElementVector(skfem.ElementTetP2()))
    lam, mu = lame_parameters(E, NU)
    K = skfem.asm(linear_elasticity(lam, mu), basis)

    @skfem.LinearForm
    def load(v, w):
        return (3 * lam + 2 * mu) * ALPHA * temp(*w.x) * trace(sym_grad(v))

    f = skfem.asm(load, basis)
    D = basis.get_dofs(lambda x: np.isclose(x[2], 0.0)).all()
    u_fem = skfem.solve(*skfem.condense(K, f, D=D))
    g = np.arange(5) * Lz / 4  # probe lattice on the top face, every quarter of the height
    P = np.array([[x, y, Lz] for x in np.arange(9) * Lz / 4 for y in g]).T
    ref = (basis.probes(P) @ u_fem).reshape(3, -1)  # component-major: all x, then all y, then all z
    scale = np.abs(ref).max()
    assert scale > 0.0

    errs = []
    for n in (8, 16):
        dx = Lz / n
        shape = (2 * n, n, n)
        X, Y, Z = np.meshgrid(*[(np.arange(m) + 0.5) * dx for m in shape], indexing="ij")
        fixed = nodes_fixed(shape)
        fixed[:, :, 0] = True
        r = solve(mech, np.ones(shape, bool), dx, E, ALPHA * temp(X, Y, Z), fixed)
        ours = r.displacement[::n // 4, ::n // 4, -1, :].reshape(-1, 3).T
        errs.append(np.abs(ours - ref).max() / scale)
    assert errs[0] < 0.05 and errs[1] < 0.02, errs
    assert errs[0] > 2.0 * errs[1], errs


def test_no_convergence_names_residual_and_iterations(mech):
    from regolith_sim.mechanics import MechanicsNotConverged

    Solver, S = mech
    shape = (8, 4, 4)
    # (Jacobi: the multigrid's coarsest level is this whole grid, solved exactly in one iteration;
    # tests/test_mechanics_multigrid.py stops a multigrid solve)
    s = Solver(shape, 1e-3, tol=1e-12, preconditioner="jacobi")
    fixed = nodes_fixed(shape)
    fixed[:, :, 0] = True
    s.set_problem(np.full(shape, E), NU, np.full(shape, ALPHA * DT), fixed)
    with pytest.raises(MechanicsNotConverged, match=r"relative residual .* after 3 conjugate-gradient iterations"):
        s.solve(max_iter=3)


# --- coupling: from a print's final fields ---------------------------------------------------------

def _block_fields(T_now, T_peak=1900.0, shape=(10, 8, 6)):
    """A re-solidified block (cells 2..8 x 2..6 x 1..5) in powder, dense, uniform temperatures."""
    state = np.ones(shape, np.int8)
    part = np.zeros(shape, bool)
    part[2:8, 2:6, 1:5] = True
    state[part] = 4
    return dict(T=np.full(shape, T_now), T_peak=np.where(part, T_peak, 300.0), state=state,
                rho_rel=np.where(part, 1.0, 0.55), part_mask=part)


def test_modulus_vanishes_at_the_green_porosity_with_spriggs_slope_below():
    """E/E0 = (1 - P/P_c)^(b P_c) exp(-b phi_v): 0 at and beyond the green porosity P_c (the grains only touch:
    Phani & Niyogi 1987), Spriggs's slope -b at P = 0 (central difference, 1e-6), exp(-b phi_v) for vesicles,
    and the bed's P_c when given."""
    from regolith_sim.materials import get_material

    m = get_material("JSC-1A")
    b, P_c = m.get("elastic.youngs_modulus_porosity_b"), 1.0 - m.powder_relative_density
    f = m.modulus_porosity_factor
    assert f(P_c) == 0.0 and f(P_c + 0.05) == 0.0 and f(0.0) == 1.0
    h = 1e-6
    assert (f(h) - f(-h)) / (2 * h) == pytest.approx(-b, rel=1e-6)
    assert f(0.0, 0.3) == pytest.approx(np.exp(-b * 0.3), rel=1e-12)
    assert f(0.45, green_porosity=0.5) > 0.0 and f(0.5, green_porosity=0.5) == 0.0


def test_annealing_temperature_is_where_maxwell_time_equals_relaxation_time(ti_runtime):
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import annealing_temperature

    m = get_material("JSC-1A")
    T_an = annealing_temperature(m, 10.0)
    G = m.get("elastic.youngs_modulus_Pa") / (2 * (1 + m.get("elastic.poisson_ratio")))
    assert np.log10(m.viscosity(T_an)) == pytest.approx(np.log10(G * 10.0), abs=1e-9)
    assert m.glass_transition_K < T_an < m.solidus_K  # 1e12 Pa s is reached below eta = G x 10 s ~ 3e11 Pa s


def test_free_part_cooled_uniformly_shrinks_from_its_annealing_temperature(ti_runtime):
    """Stress-free reference min(T_peak, T_anneal): a free dense block cooled uniformly to 300 K carries
    no stress and shrinks by alpha (T_anneal - 300 K) about its centre; its largest cell-centre
    displacement is that strain times the distance of a corner cell's centre from the centroid."""
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import part_mechanics

    m = get_material("JSC-1A")
    dx = 1e-3
    out = part_mechanics(_block_fields(300.0), dx, m, support="free", tol=1e-10)
    s = out["summary"]
    strain = m.get("elastic.thermal_expansion_1_K") * (s["annealing_temperature_K"] - 300.0)
    corner = np.linalg.norm(np.array([2.5, 1.5, 1.5]) * dx)
    assert s["max_distortion_m"] == pytest.approx(strain * corner, rel=1e-6)
    E300 = m.get("elastic.youngs_modulus_Pa")
    assert np.abs(out["fields"]["stress"]).max() < 1e-6 * E300 * strain
    assert s["crack_risk_volume_fraction"] == 0.0


def test_clamped_part_cooled_uniformly_is_stressed_and_risks_cracks(ti_runtime):
    """The same block with its underside held: its base cannot shrink, so it carries tension of the order of
    E alpha dT (hundreds of MPa for 700 K), far above the tensile strength: crack risk > 1 in much of it."""
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import part_mechanics

    m = get_material("JSC-1A")
    out = part_mechanics(_block_fields(300.0), 1e-3, m, support="clamped")
    s = out["summary"]
    scale = m.get("elastic.youngs_modulus_Pa") * m.get("elastic.thermal_expansion_1_K") * (
        s["annealing_temperature_K"] - 300.0)
    assert 0.3 * scale < s["max_principal_stress_Pa"] < 3.0 * scale
    assert s["crack_risk_volume_fraction"] > 0.3
    f = out["fields"]
    assert f["displacement"].shape == (10, 8, 6, 3) and f["stress"].shape == (10, 8, 6, 6)
    assert np.all(f["crack_risk"][_block_fields(300.0)["state"] == 1] == 0.0)  # powder carries nothing


def test_vesicles_lower_the_tensile_strength_the_stress_is_compared_with(ti_runtime):
    """The stress criterion reads the same matrix law as the strength estimate (regolith_sim.outcomes.routes):
    a vesicle fraction phi_v divides the tensile strength by exp(b_v phi_v) and the modulus by exp(b phi_v)
    (Spriggs), so the stress of this uniformly vesicular block falls by exp(-b phi_v) and its crack risk rises
    by exp((b_v - b) phi_v), to 1e-5 (the powder's stiffness does not scale)."""
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import part_mechanics
    from regolith_sim.outcomes import matrix_strength

    m = get_material("JSC-1A")
    plain = part_mechanics(_block_fields(300.0), 1e-3, m, support="clamped")
    fields = dict(_block_fields(300.0), vesicle_porosity=0.2)
    foamy = part_mechanics(fields, 1e-3, m, support="clamped")
    b_e = m.get("elastic.youngs_modulus_porosity_b")
    factor = np.exp((matrix_strength(m, "furnace").vesicle_b - b_e) * 0.2)
    r0, r1 = plain["fields"]["crack_risk"], foamy["fields"]["crack_risk"]
    assert r0.max() > 0 and np.allclose(r1, factor * r0, rtol=1e-5, atol=0)


def test_part_hotter_than_annealing_carries_nothing(ti_runtime):
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import part_mechanics

    out = part_mechanics(_block_fields(1500.0), 1e-3, get_material("JSC-1A"))
    # nothing to report yet (null), not a part free of stress (0), and the summary says why: nothing has cooled
    # yet (a cooled part carries no such note)
    assert out["summary"]["load_bearing_cells"] == 0
    assert all(out["summary"][k] is None for k in ("max_principal_stress_Pa", "crack_risk_volume_fraction",
                                                   "max_distortion_m"))
    assert "no consolidated cell is below the annealing temperature" in out["summary"]["note"]
    assert "solver.cooldown" in out["summary"]["note"]
    assert "note" not in part_mechanics(_block_fields(300.0), 1e-3, get_material("JSC-1A"))["summary"]


def test_bad_input_gives_one_line_errors(ti_runtime):
    from regolith_sim.errors import MaterialError, UserError
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import part_mechanics

    m = get_material("JSC-1A")
    with pytest.raises(UserError, match=r"support = 'glued': allowed values are clamped, free"):
        part_mechanics(_block_fields(300.0), 1e-3, m, support="glued")
    bare = get_material("textbook-constant")
    with pytest.raises(MaterialError, match=r"lacks mechanical data: composition_wt_pct"):
        part_mechanics(_block_fields(300.0), 1e-3, bare)
    f = _block_fields(300.0)
    del f["T_peak"]
    with pytest.raises(UserError, match=r"fields: missing T_peak"):
        part_mechanics(f, 1e-3, m)


# --- per-layer activation ----------------------------------------------------------------------------------

def test_layerwise_one_update_equals_final_state(ti_runtime):
    """One update of LayerwiseMechanics is the final-state analysis (quiet elements aside: 1e-6 E0)."""
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import LayerwiseMechanics, part_mechanics

    m = get_material("JSC-1A")
    f = _block_fields(300.0)
    f["T"] = f["T"] + 40.0 * np.arange(6)[None, None, :]
    ref = part_mechanics(f, 1e-3, m, "clamped", tol=1e-10)
    lw = LayerwiseMechanics(f["state"].shape, 1e-3, m, "clamped", f["part_mask"], tol=1e-10).update(f)
    scale = np.abs(ref["fields"]["stress"]).max()
    assert np.abs(lw["fields"]["stress"] - ref["fields"]["stress"]).max() < 1e-4 * scale


def test_layerwise_annealed_top_releases_its_stress(ti_runtime):
    """A clamped two-layer block cools to 300 K (stressed); the top layer is reheated above T_anneal
    (annealed). The bottom layer must then hold exactly the stress of the bottom layer alone, cooled and
    clamped, which the final-state analysis gives directly. Cooling the top again leaves a state that
    differs from cooling both layers at once (the path matters): the top joins on a pre-strained base."""
    from regolith_sim.materials import get_material
    from regolith_sim.mechanics.coupling import LayerwiseMechanics, part_mechanics

    m = get_material("JSC-1A")
    cold = _block_fields(300.0)
    lw = LayerwiseMechanics(cold["state"].shape, 1e-3, m, "clamped", cold["part_mask"], tol=1e-10)
    first = lw.update(cold)
    hot_top = dict(cold, T=np.where(np.arange(6)[None, None, :] >= 3, 1400.0, 300.0) + 0.0 * cold["T"])
    released = lw.update(hot_top)
    bottom_only = part_mechanics(hot_top, 1e-3, m, "clamped", tol=1e-10)
    scale = np.abs(first["fields"]["stress"]).max()
    assert np.abs(released["fields"]["stress"] - bottom_only["fields"]["stress"]).max() < 1e-3 * scale
    again = lw.update(cold)
    assert np.abs(again["fields"]["stress"] - first["fields"]["stress"]).max() > 0.05 * scale


def test_benchmark_quick_runs(tmp_path):
    """benchmarks/mechanics.py --quick runs with its own runtime and writes its JSON (a smoke test)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "mech.json"
    subprocess.run([sys.executable, str(root / "benchmarks" / "mechanics.py"), "--arch", "cpu", "--quick",
                    "--sizes", "8", "--min-time", "0.05", "--bw-mib", "8", "--out", str(out)],
                   check=True, capture_output=True, timeout=120)
    r = json.loads(out.read_text())["results"][0]
    assert r["dofs"] == 3 * 9 ** 3 and r["relative_residual"] <= 1e-6 and r["matvec_dof_updates_per_s"] > 0
