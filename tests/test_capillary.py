"""Capillary uptake of powder by melt (gpu_kernels.sintering.capillary_exchange, regolith_sim.sintering.densifier):
a Washburn (1921) diffusion of the melt's enthalpy into the pores beside it, stopped where melt and powder would
mix below the solidus (freeze-off).

Checks: with a constant viscosity the exchange is the diffusion equation with D = r_c gamma / (2 eta),
r_c = phi d / (3 (1 - phi)), so two half-spaces of porous melt relax to the erf profile (the semi-infinite
solution, Carslaw & Jaeger 1959 Sec. 2.4); energy is conserved to round-off and no new extremes appear; melt
next to powder that it cannot bring to the solidus, or next to dense material, exchanges nothing."""
import math

import numpy as np
import pytest

JSC = "JSC-1A"
RHO = 0.55                  # powder relative density
N = 120                     # cells along x
DX = 1e-3                   # [m]


def _solver(T, rho, mass=None):
    """A thermal solver on a row of N x 1 x 1 cells with temperatures T and relative densities rho (arrays of N)."""
    from regolith_sim.materials import get_material
    from regolith_sim.thermal.grid import Grid
    from regolith_sim.thermal.solver import Boundary, ThermalSolver
    from regolith_sim.thermal.tables import ThermalTables

    mat = get_material(JSC)
    shape = (len(T), 1, 1)
    s = ThermalSolver(Grid(shape, DX, (0.0, 0.0, -DX)), ThermalTables.from_material(mat, rho_rel0=RHO),
                      Boundary(T_sky=3.0), T_hot=mat.glass_transition_K)
    s.fill_region(np.ones(shape, bool), np.asarray(T, float).reshape(shape), np.asarray(rho, float).reshape(shape))
    s.watch_above(1000.0)
    s.update_properties(0.0)
    return s, mat


def _uptake(s, mat, eta=None):
    """The material's capillary uptake on solver s; with ``eta`` [Pa s], a melt of that constant viscosity."""
    from regolith_sim.sintering.densifier import CapillaryUptake, capillary_tables

    ln_eta, T0, dT, coef, Ts = capillary_tables(mat)
    if eta is not None:
        ln_eta = np.full_like(ln_eta, math.log(eta))
    return CapillaryUptake(s, ln_eta, T0, dT, coef, Ts), coef


def _energy(s):
    return float((s.h.to_numpy() * s.mass.to_numpy()).sum())


def test_washburn_diffusion_of_two_half_spaces_follows_erf(ti_runtime):
    """Porous melt at 2,600 K beside porous melt at 2,400 K (both above the liquidus, viscosity held at 1 Pa s):
    the enthalpy follows h = (h1 + h2)/2 - (h1 - h2)/2 erf(x / (2 sqrt(D t))) within 1.5 % of the contrast at
    t = 25 dx^2 / D, D = gamma d phi / (6 (1 - phi) eta)."""
    T = np.where(np.arange(N) < N // 2, 2600.0, 2400.0)
    s, mat = _solver(T, np.full(N, RHO))
    eta = 1.0
    cap, coef = _uptake(s, mat, eta)
    D = coef * (1.0 - RHO) / RHO / eta
    assert D == pytest.approx(mat.get("melt.surface_tension_N_m") * mat.get("grain_size.d50_m")
                              * (1.0 - RHO) / (6.0 * RHO), rel=1e-12)
    h1, h2 = (float(v) for v in s.h_of_T([2600.0, 2400.0]))
    t_end, dt = 25.0 * DX * DX / D, 0.02 * DX * DX / D
    for _ in range(int(round(t_end / dt))):
        cap(dt)
    x = (np.arange(N) + 0.5 - N // 2) * DX
    exact = 0.5 * (h1 + h2) - 0.5 * (h1 - h2) * np.array([math.erf(v / (2.0 * math.sqrt(D * t_end))) for v in x])
    h = s.h.to_numpy()[:, 0, 0]
    assert np.abs(h - exact).max() < 0.015 * (h1 - h2), np.abs(h - exact).max() / (h1 - h2)


def test_superheated_melt_heats_the_powder_beside_it_conserving_energy(ti_runtime):
    """A dense melt cell at 3,000 K beside JSC-1A powder at 300 K: the pair would mix above the solidus, so heat
    moves into the powder; energy is conserved to 1e-12 and no enthalpy leaves the initial range."""
    T = np.full(8, 300.0)
    rho = np.full(8, RHO)
    T[3], rho[3] = 3000.0, 1.0
    s, mat = _solver(T, rho)
    h_mix = (s.h_of_T(3000.0) * 1.0 + s.h_of_T(300.0) * RHO) / (1.0 + RHO)
    assert h_mix > s.h_of_T(mat.solidus_K)  # the premise
    cap, _ = _uptake(s, mat)
    h0, e0 = s.h.to_numpy()[:, 0, 0].copy(), _energy(s)
    for _ in range(20):
        cap(0.01)
        s.update_properties(0.0)  # as a step ends: the box of hot cells follows
    h = s.h.to_numpy()[:, 0, 0]
    assert h[2] > h0[2] + 1e5 and h[4] > h0[4] + 1e5  # both neighbours took up heat
    # one cell further the warmed powder and the cold powder would mix below the solidus: nothing moves
    assert h[1] == h0[1] and h[5] == h0[5]
    assert _energy(s) == pytest.approx(e0, rel=1e-12)
    assert h.min() >= h0.min() and h.max() <= h0.max()


def test_melt_that_cannot_bring_the_powder_to_the_solidus_freezes_off(ti_runtime):
    """Partly molten material (1,650 K, between the solidus and the liquidus) beside powder at 300 K would mix below
    the solidus: no exchange."""
    T = np.array([300.0, 1650.0, 300.0])
    rho = np.array([RHO, 1.0, RHO])
    s, mat = _solver(T, rho)
    h_mix = (s.h_of_T(1650.0) + s.h_of_T(300.0) * RHO) / (1.0 + RHO)
    assert h_mix < s.h_of_T(mat.solidus_K)  # the premise
    cap, _ = _uptake(s, mat)
    h0 = s.h.to_numpy().copy()
    cap(0.05)
    assert np.array_equal(s.h.to_numpy(), h0)


def test_no_uptake_into_dense_material(ti_runtime):
    """Melt at 3,000 K beside dense solid at 1,500 K (no pores): the exchange moves nothing (conduction does)."""
    s, mat = _solver(np.array([1500.0, 3000.0, 1500.0]), np.ones(3))
    cap, _ = _uptake(s, mat)
    h0 = s.h.to_numpy().copy()
    cap(0.05)
    assert np.array_equal(s.h.to_numpy(), h0)
