"""Capillary uptake of the powder under a melt pool (gpu_kernels.sintering.capillary_uptake,
regolith_sim.sintering.capillary): the melt fills the pores of the porous cells under it, from the top, as far as
Washburn's (1921) front advances and while the mixture of melt and grains stays above the solidus.

Checks: at a constant mixture temperature the infiltrated pore volume per area follows Q = phi sqrt(D t),
D = gamma d phi / (6 (1 - phi) eta) (Washburn's L^2 = D t with the capillary radius of a bed of spheres), to
round-off whatever the steps; mass and energy are conserved; the front stops in the first cell whose mixture with
the melt left would freeze (a hand calculation of the sequential mixing); melt just above the solidus on cold
powder, or melt on dense material, moves nothing."""
import math

import numpy as np
import pytest

from gpu_kernels.thermal import MOLTEN, POWDER

JSC = "JSC-1A"
RHO = 0.55                  # powder relative density
DZ = 1e-4                   # [m]


def _column(T, rho):
    """A thermal solver on a column of 1 x 1 x N cells (k = 0 at the bottom) with temperatures T [K] and relative
    densities rho, and a densifier with capillary uptake on it."""
    from regolith_sim.materials import get_material
    from regolith_sim.sintering import Densifier
    from regolith_sim.thermal.grid import Grid
    from regolith_sim.thermal.solver import Boundary, ThermalSolver
    from regolith_sim.thermal.tables import ThermalTables

    mat = get_material(JSC)
    shape = (1, 1, len(T))
    s = ThermalSolver(Grid(shape, DZ, (0.0, 0.0, 0.0)), ThermalTables.from_material(mat, rho_rel0=RHO),
                      Boundary(T_sky=3.0), T_hot=mat.glass_transition_K)
    s.fill_region(np.ones(shape, bool), np.asarray(T, float).reshape(shape), np.asarray(rho, float).reshape(shape))
    d = Densifier(s, mat, capillary=True)
    s.watch_above(1000.0)
    s.update_properties(0.0)
    return s, d, mat


def _totals(s):
    m, h = s.mass.to_numpy(), s.h.to_numpy()
    return float(m.sum()), float((m * h).sum())


def test_the_front_follows_washburn_at_a_constant_mixture_temperature(ti_runtime):
    """Ten cells of melt at 1,900 K (above JSC-1A's 1,773 K liquidus) on twenty of powder at the same temperature:
    every mixture is at 1,900 K, so the viscosity and D are constant and Q(t) = phi sqrt(D t) (here 0.4 mm of
    pore volume per area after 20 ms, three cells) within 1e-6, in twenty steps of 1 ms as in one of 20 ms."""

    n_pow, n_melt = 20, 10
    T = np.full(n_pow + n_melt, 1900.0)
    rho = np.r_[np.full(n_pow, RHO), np.ones(n_melt)]
    phi = 1.0 - RHO
    results = []
    for steps in (20, 1):
        s, d, mat = _column(T, rho)
        eta = float(mat.viscosity(np.array([1900.0]))[0])
        D = mat.get("melt.surface_tension_N_m") * mat.get("grain_size.d50_m") * phi / (6.0 * (1.0 - phi) * eta)
        m0, e0 = _totals(s)
        for _ in range(steps):
            d.capillary(0.02 / steps, d)
        Q = float(d.capillary.front.to_numpy()[0, 0])
        results.append(Q)
        assert Q == pytest.approx(phi * math.sqrt(D * 0.02), rel=1e-6)
        assert d.capillary.moved * DZ == pytest.approx(Q, rel=1e-9)  # what moved is what the front filled
        m1, e1 = _totals(s)
        assert m1 == pytest.approx(m0, rel=1e-12) and e1 == pytest.approx(e0, rel=1e-12)
    assert 2.0 < results[0] / (phi * DZ) < n_pow  # the front crossed cells and did not run out of powder


def _h_of_T(s, T):
    return float(s.h_of_T(np.array([T]))[0])


def test_the_front_stops_where_the_mixture_would_freeze(ti_runtime):
    """Four cells of melt at 2,600 K on eight of powder at 300 K, time enough for any front: the melt drains from
    every melt cell in proportion to its melt (with the liquid's enthalpy, h + (1 - f) L) into the top powder cell,
    which then joins the melt; the uptake stops
    at the first cell whose mixture with the melt left above it would lie under the solidus (computed here by hand
    from the enthalpy table), leaving the cells below it untouched."""
    n_pow, n_melt = 8, 4
    T = np.r_[np.full(n_pow, 300.0), np.full(n_melt, 2600.0)]
    rho = np.r_[np.full(n_pow, RHO), np.ones(n_melt)]
    s, d, mat = _column(T, rho)
    # the hand calculation: masses and specific enthalpies, the melt share linear from solidus to liquidus
    Ts, Tl = mat.solidus_K, mat.liquidus_K
    m = np.r_[np.full(n_pow, RHO), np.ones(n_melt)]
    h = np.array([_h_of_T(s, t) for t in T])
    grid_h = s.tables.h0 + s.tables.dh * np.arange(s.tables.T_of_h.size)

    def temp(hv):
        return float(np.interp(hv, grid_h, s.tables.T_of_h))

    def share(k):
        return min(max((temp(h[k]) - Ts) / (Tl - Ts), 0.0), 1.0)

    filled = 0
    run_lo = n_pow
    for k in range(n_pow - 1, -1, -1):
        need = (m[k] / RHO) * (1.0 - RHO)
        f = np.array([share(c) for c in range(run_lo, n_pow + n_melt)])
        melt = m[run_lo:] * f
        h_liquid = h[run_lo:] + (1.0 - f) * mat.latent_heat  # the liquid holds all its latent heat
        got = min(need, 0.999 * melt.sum())
        E = got * float((melt * h_liquid).sum()) / melt.sum()
        if temp((m[k] * h[k] + E) / (m[k] + got)) < Ts or got < need * (1 - 1e-9):
            break
        dm = got * melt / melt.sum()
        h[run_lo:] = (m[run_lo:] * h[run_lo:] - dm * h_liquid) / (m[run_lo:] - dm)
        m[run_lo:] -= dm
        h[k], m[k] = (m[k] * h[k] + E) / (m[k] + got), m[k] + got
        filled += 1
        run_lo = k
        if share(k) <= 0.0:
            break
    assert 1 <= filled < n_pow  # the premise: some cells fill, the cold bottom does not
    m0, e0 = _totals(s)
    h0 = s.h.to_numpy()[0, 0].copy()
    d.capillary(10.0, d)
    rho_after = s.rho_rel.to_numpy()[0, 0]
    assert np.allclose(rho_after[n_pow - filled:n_pow], 1.0)
    assert np.allclose(rho_after[:n_pow - filled], RHO)
    assert np.array_equal(s.h.to_numpy()[0, 0, :n_pow - filled], h0[:n_pow - filled])
    assert np.allclose(s.h.to_numpy()[0, 0, :n_pow], h[:n_pow], rtol=1e-9)
    assert np.allclose(s.mass.to_numpy()[0, 0], m, rtol=1e-9)
    m1, e1 = _totals(s)
    assert m1 == pytest.approx(m0, rel=1e-12) and e1 == pytest.approx(e0, rel=1e-12)
    # the filled cells' faces up are fused by the melt, and they hold melt that was fully molten (the run above the
    # liquidus, 1,773 K): melt-consolidated, freezing as melt does
    assert np.all(d.acc_face.to_numpy()[0, 0, n_pow - filled:n_pow, 2] >= d.tables.acc_full)
    state = s.state.to_numpy()[0, 0]
    assert np.all(state[n_pow - filled:n_pow] == MOLTEN) and np.all(state[:n_pow - filled] == POWDER)


@pytest.mark.parametrize("T_melt, rho_below", [(1500.0, RHO), (2600.0, 1.0)])
def test_no_uptake_by_freezing_melt_or_into_dense_material(ti_runtime, T_melt, rho_below):
    """Melt at 1,500 K (27 K above the solidus) on powder at 300 K would freeze in its pores; melt at 2,600 K on
    dense material has no pores to enter: nothing moves."""
    T = np.r_[np.full(3, 300.0), np.full(2, T_melt)]
    rho = np.r_[np.full(3, rho_below), np.ones(2)]
    s, d, _ = _column(T, rho)
    h0, m0 = s.h.to_numpy().copy(), s.mass.to_numpy().copy()
    assert d.capillary(1.0, d) == 0.0
    assert np.array_equal(s.h.to_numpy(), h0) and np.array_equal(s.mass.to_numpy(), m0)
