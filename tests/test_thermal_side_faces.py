"""Side faces of a partly filled cell (gpu_kernels.thermal, module docstring): settled material lies on the cell
under it, so it meets its side neighbours over the share v = mass/rho_rel of a face it fills; the face conducts
the harmonic mean of k v (the two half-cells in series over their own cross-sections), the vertical faces k."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from regolith_sim.materials import get_material

DX = 5e-4
K_DENSE, RHO_C = 1.0, 2000.0 * 1000.0  #: textbook-constant: k [W/(m K)], rho_p c [J/(m^3 K)] at any T


def _pair(shape, masses, temps):
    """Dense textbook-constant material in every cell of ``shape``, cell masses ``masses`` (relative density 1),
    temperatures ``temps``; no radiation, convection or bottom flow: only the faces between the cells conduct."""
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables

    m = get_material("textbook-constant")
    tables = dataclasses.replace(ThermalTables.from_material(m), eps_solid=0.0, eps_melt=0.0)
    s = ThermalSolver(Grid(shape, DX, (0.0, 0.0, 0.0)), tables, Boundary(T_sky=3.0, bottom="adiabatic"))
    s.fill_region(np.ones(shape, bool), 300.0, 1.0)
    s.mass.from_numpy(np.asarray(masses, dtype=s.mass.to_numpy().dtype).reshape(shape))
    s.h.from_numpy(s.h_of_T(np.asarray(temps, float).reshape(shape)).astype(s.h.to_numpy().dtype))
    s._refresh()
    return s


def _exchange(s, dt):
    """Heat [J] each cell gains in one explicit step of dt."""
    rho_p, vol = s.tables.rho_p, DX ** 3
    before = s.field("h") * s.field("mass") * rho_p * vol
    s.diffuse(dt)
    return s.field("h") * s.field("mass") * rho_p * vol - before


def test_a_side_face_conducts_over_the_filled_share_and_a_vertical_face_over_all_of_it(ti_runtime):
    dt = 1e-4
    side = _pair((2, 1, 1), [1.0, 0.3], [400.0, 300.0])
    k = float(side.field("kcond")[0, 0, 0])
    assert side.field("kside").ravel() == pytest.approx([k, 0.3 * k], rel=1e-12)
    gained = _exchange(side, dt).ravel()
    K_side = 2.0 * k * (0.3 * k) / (k + 0.3 * k) * DX  # W/K: harmonic mean of k v, times dx^2 / dx
    assert gained[1] == pytest.approx(dt * K_side * 100.0, rel=1e-12)
    assert gained[0] == pytest.approx(-gained[1], rel=1e-12)
    # the same cells stacked: the partly filled one lies on the full one over the whole face
    up = _pair((1, 1, 2), [1.0, 0.3], [400.0, 300.0])
    assert _exchange(up, dt).ravel()[1] == pytest.approx(dt * k * DX * 100.0, rel=1e-12)


def test_the_explicit_limit_counts_the_side_faces_by_their_fill(ti_runtime):
    # the bound takes two vertical faces at k and four side faces at k v over the cell's heat capacity
    s = _pair((2, 1, 1), [1.0, 0.3], [300.0, 300.0])
    assert s.field("kcond").ravel() == pytest.approx([K_DENSE, K_DENSE], rel=1e-12)
    alpha = (K_DENSE + 2.0 * 0.3 * K_DENSE) / (3.0 * 0.3 * RHO_C)
    assert s.stable_dt(1.0, from_fields=True) == pytest.approx(DX * DX / (6.0 * alpha), rel=1e-6)
    # a full cell's bound is the usual dx^2 / (6 k / (rho c))
    full = _pair((2, 1, 1), [1.0, 1.0], [300.0, 300.0])
    assert full.stable_dt(1.0, from_fields=True) == pytest.approx(DX * DX / (6.0 * K_DENSE / RHO_C), rel=1e-6)


def test_a_top_cell_under_void_counts_one_vertical_face_in_the_limit(ti_runtime):
    # A settled column: a full cell under a partly filled top cell (v = 0.3) under void. The top cell's face to the
    # void conducts nothing, so its bound sums one vertical face at k and four side faces at k v over its heat
    # capacity: (k + 4 k v) / (6 v rho c), not the (2 k + 4 k v) / (6 v rho c) of a cell inside the column
    # (1.45x the limit at v = 0.3).
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables

    m = get_material("textbook-constant")
    tables = dataclasses.replace(ThermalTables.from_material(m), eps_solid=0.0, eps_melt=0.0)
    s = ThermalSolver(Grid((1, 1, 3), DX, (0.0, 0.0, 0.0)), tables, Boundary(T_sky=3.0, bottom="adiabatic"))
    filled = np.zeros((1, 1, 3), bool)
    filled[..., :2] = True
    s.fill_region(filled, 300.0, 1.0)
    s.mass.from_numpy(np.asarray([1.0, 0.3, 0.0], dtype=s.mass.to_numpy().dtype).reshape(1, 1, 3))
    s._refresh()
    assert s.field("kcond").ravel()[2] == 0.0  # the void above
    alpha_top = (K_DENSE + 4.0 * 0.3 * K_DENSE) / (6.0 * 0.3 * RHO_C)
    limit = DX * DX / (6.0 * alpha_top)
    assert s.stable_dt(1.0, from_fields=True) == pytest.approx(limit, rel=1e-6)
    inside = DX * DX / (6.0 * (2.0 * K_DENSE + 4.0 * 0.3 * K_DENSE) / (6.0 * 0.3 * RHO_C))
    assert limit / inside == pytest.approx(3.2 / 2.2, rel=1e-12)
    # and it is a stability bound: explicit steps at it decay (the pair's only mode, rate K (1/C_a + 1/C_b) with
    # K = k dx, is stable up to 2 / rate = 0.46 dx^2 rho c / k, well above the bound's 0.14)
    s.h.from_numpy(s.h_of_T(np.asarray([400.0, 300.0, 300.0]).reshape(1, 1, 3)).astype(s.h.to_numpy().dtype))
    s._refresh()
    for _ in range(200):
        s.diffuse(limit)
        s.update_properties(limit)
    T = s.field("T").ravel()
    assert abs(T[0] - T[1]) < 1e-6 * 100.0
    assert (T[0] * 1.0 + T[1] * 0.3) / 1.3 == pytest.approx((400.0 + 0.3 * 300.0) / 1.3, rel=1e-9)


def test_the_pair_relaxes_at_the_rate_of_the_filled_face_explicitly_and_implicitly(ti_runtime):
    # Two cells exchanging heat through one face of conductance K relax as dT(t) = dT(0) exp(-K (1/C_a + 1/C_b) t)
    # (K_DENSE, RHO_C). Explicit steps of 1e-4 s follow it to
    # 1e-3, ten backward-Euler steps to their first-order error (0.2 % at K dt (1/C_a + 1/C_b) = 0.02); a whole
    # face would relax it 2.2x as fast (65 K left of 100 instead of 82 K after 0.05 s).
    t_end = 0.05
    k, rc = K_DENSE, RHO_C
    K = 2.0 * k * 0.3 * k / (1.3 * k) * DX
    rate = K * (1.0 / (rc * DX ** 3) + 1.0 / (0.3 * rc * DX ** 3))
    expected = 100.0 * np.exp(-rate * t_end)
    a = _pair((2, 1, 1), [1.0, 0.3], [400.0, 300.0])
    b = _pair((2, 1, 1), [1.0, 0.3], [400.0, 300.0])
    e0 = a.stored_energy()
    n = 500
    for _ in range(n):
        a.diffuse(t_end / n)
        a.update_properties(t_end / n)
    for _ in range(10):
        b.step_implicit(t_end / 10, tol_K=1e-6)
    assert a.stored_energy() == pytest.approx(e0, rel=1e-12)
    assert b.stored_energy() == pytest.approx(e0, rel=1e-9)
    Ta, Tb = a.field("T").ravel(), b.field("T").ravel()
    assert Ta[0] - Ta[1] == pytest.approx(expected, rel=1e-3)
    assert Tb[0] - Tb[1] == pytest.approx(expected, rel=0.02)
    whole = 100.0 * np.exp(-rate * t_end * (k * DX) / K)
    assert expected == pytest.approx(81.87, abs=0.01) and whole == pytest.approx(64.8, abs=0.1)


def _exposed_cell(fill: float, eps: float = 0.9):
    """One dense textbook-constant cell of fill ``fill`` at 1500 K with a void neighbour to +x (grid 2 x 1 x 1):
    its top face (the domain's) and its side face to the void are open to a 3 K sky, the rest are symmetry
    planes."""
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables

    m = get_material("textbook-constant")
    tables = dataclasses.replace(ThermalTables.from_material(m), eps_solid=eps, eps_melt=eps)
    s = ThermalSolver(Grid((2, 1, 1), DX, (0.0, 0.0, 0.0)), tables, Boundary(T_sky=3.0, bottom="adiabatic"))
    filled = np.zeros((2, 1, 1), bool)
    filled[0] = True
    s.fill_region(filled, 1500.0, 1.0)
    s.mass.from_numpy(np.asarray([fill, 0.0], dtype=s.mass.to_numpy().dtype).reshape(2, 1, 1))
    s._refresh()
    return s


@pytest.mark.parametrize("implicit", [False, True])
def test_a_side_face_open_to_void_radiates_over_the_filled_share(ti_runtime, implicit):
    # The settled material of a cell of fill v meets the void beside it over v of the side face: the cell radiates
    # eps sigma (T^4 - T_sky^4) (1 + v) dx^2 (its whole top face and v of the side face), 1.3 faces at v = 0.3,
    # not the 2 faces of a full cell. Explicit: one step, to round-off; implicit: the backward-Euler step's loss at
    # its end temperature (its first-order cooling over 1 ms moves it by far less than the 35 % between the two).
    dt = 1e-3
    eps, T0, sky = 0.9, 1500.0, 3.0
    for fill, faces in ((0.3, 1.3), (1.0, 2.0)):
        s = _exposed_cell(fill, eps)
        before = float(s.field("h").ravel()[0])
        if implicit:
            s.step_implicit(dt)
        else:
            s.diffuse(dt)
            s.update_properties(dt)
        L = s.sync_ledger()
        T1 = float(s.field("T").ravel()[0])
        expected = dt * eps * 5.670374419e-8 * ((T1 if implicit else T0) ** 4 - sky ** 4) * faces * DX * DX
        assert L.radiated == pytest.approx(expected, rel=1e-6 if implicit else 1e-9), (fill, implicit)
        # what the cell lost is what the ledger booked (the ledger's own "added" predates the fill set here)
        lost = (before - float(s.field("h").ravel()[0])) * fill * s.tables.rho_p * DX ** 3
        assert lost == pytest.approx(L.radiated, rel=1e-9)
