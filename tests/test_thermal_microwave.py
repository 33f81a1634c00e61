"""Microwave volumetric heating with a temperature-dependent loss factor (regolith_sim.thermal.microwave)."""
import copy
from pathlib import Path

import numpy as np
import pytest

from regolith_sim.materials import get_material

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "microwave_brick.toml"
#: Cells that barely exchange heat (k 1e-5 W/(m K), emissivity 0.01): each keeps what it absorbs.
ISOLATED = {"conductivity.constant_W_mK": 1e-5, "optical.emissivity": 0.01, "optical.emissivity_melt": 0.01}


def _load(overrides, T_cold=400.0, T_seed=700.0, power=50.0):
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables
    from regolith_sim.thermal.microwave import MicrowaveSource

    mat = get_material("JSC-1A", {**ISOLATED, **overrides})
    g = Grid((6, 6, 4), 1e-3, (0.0, 0.0, -4e-3))
    s = ThermalSolver(g, ThermalTables.from_material(mat), Boundary(T_sky=T_cold, bottom="adiabatic"))
    s.fill_region(np.ones(g.shape, bool), T_cold, mat.powder_relative_density)
    seed = np.zeros(g.shape, bool)
    seed[2, 2, 1] = True
    s.fill_region(seed, T_seed, mat.powder_relative_density)
    src = MicrowaveSource.from_material(mat, 2.45e9, 0.8)
    src.power, src.on = power, True
    return mat, s, src


def test_loss_factor_follows_allan_2013():
    # JSC-1AC at 2.45 GHz: tan delta 0.02 at 25 degC, 0.31 at 1100 degC (Allan et al. 2013);
    # eps'' = eps' tan delta with the data file's eps' (3.6 and 11.5, derived from the half-power depths)
    m = get_material("JSC-1A")
    assert m.dielectric_loss(298.15) == pytest.approx(3.6 * 0.02, rel=1e-12)
    assert m.dielectric_loss(1373.15) == pytest.approx(11.5 * 0.31, rel=1e-12)
    T = np.linspace(300, 1373, 50)
    assert np.all(np.diff(m.dielectric_loss(T)) > 0)


def test_power_is_shared_in_proportion_to_loss_factor(ti_runtime):
    mat, s, src = _load({})
    h0 = s.field("h")
    dt = 1e-3
    src.deposit(s, dt)
    dh = s.field("h") - h0
    # p = 2 pi f eps0 eps'' E^2 with one field for the whole load: dh ratio = eps'' ratio
    ratio = dh[2, 2, 1] / dh[0, 0, 0]
    # (kernel reads eps'' from a 4096-point table: 1e-5)
    assert ratio == pytest.approx(mat.dielectric_loss(700.0) / mat.dielectric_loss(400.0), rel=1e-5)
    absorbed = float(np.sum(dh * s.field("mass"))) * mat.particle_density * 1e-9
    assert absorbed == pytest.approx(50.0 * 0.8 * dt, rel=1e-9)
    # the field that absorbs 40 W in this load: E^2 = P / (2 pi f eps0 sum eps'' V)
    V = s.field("mass") * 1e-9
    eps2 = mat.dielectric_loss(s.field("T"))
    assert src.field_rms == pytest.approx(np.sqrt(40.0 / (2 * np.pi * 2.45e9 * 8.8541878128e-12 * np.sum(eps2 * V))),
                                          rel=1e-5)


def _seed_history(overrides, steps=12, dt=0.05):
    mat, s, src = _load(overrides)
    hist = []
    for _ in range(steps):
        s.step(dt, [src])
        h = s.field("h")
        hist.append((h[2, 2, 1], h[0, 0, 0], s.field("T")[2, 2, 1]))
    return np.array(hist), s


def test_thermal_runaway_of_a_warm_spot(ti_runtime):
    """A cell seeded 300 K warmer than the rest of a load of isolated cells. With eps'' constant every
    cell's enthalpy rises linearly in time at the same rate (no runaway). With the measured rise of eps''
    the seed takes an ever larger share: its heating rate grows as eps''(T) does (faster than linearly),
    while the rest of the load heats ever more slowly."""
    const = {"dielectric.tan_delta_high": 0.02, "dielectric.permittivity_high": 3.6}
    flat, _ = _seed_history(const)
    rate_seed_flat = np.diff(flat[:, 0])
    assert np.allclose(rate_seed_flat, rate_seed_flat[0], rtol=1e-3)  # linear: constant share
    hist, s = _seed_history({})
    assert hist[-1, 2] < 1373.0  # still inside the measured range of eps''
    rate_seed, rate_cold = np.diff(hist[:, 0]), np.diff(hist[:, 1])
    assert np.all(np.diff(rate_seed) > 0)          # the seed's heating accelerates ...
    assert rate_seed[-1] > 2 * rate_seed[0]
    assert np.all(np.diff(rate_cold) < 0)          # ... at the expense of the rest
    # and the acceleration is eps''(T) itself: rate ratio seed/cold = eps''(T_seed)/eps''(T_cold)
    T = s.field("T")
    mat = get_material("JSC-1A", ISOLATED)
    expected = mat.dielectric_loss(hist[-2, 2]) / mat.dielectric_loss(T[0, 0, 0])
    assert rate_seed[-1] / rate_cold[-1] == pytest.approx(expected, rel=0.05)
    L = s.sync_ledger()
    assert L.absorbed == pytest.approx(50.0 * 0.8 * 12 * 0.05, rel=1e-9)
    assert L.balance_error < 1e-10


def test_microwave_case_runs_and_closes_energy(ti_runtime):
    from regolith_sim.config import load_case
    from regolith_sim.simulation import Simulation

    sim = Simulation(load_case(EXAMPLE, **{"solver.cooldown": 2.0}))
    sim.advance(8.0, progress=False)
    p = sim.plan
    on_energy = sum(p.power[i] * max(0.0, min(p.t[i + 1], 8.0) - p.t[i]) for i in range(len(p.t) - 1) if p.on[i])
    L = sim.thermal.sync_ledger()
    assert L.delivered == pytest.approx(on_energy, rel=1e-9)
    assert L.absorbed == pytest.approx(0.5 * L.delivered, rel=1e-9)      # absorbed_fraction
    assert L.balance_error < 0.005
    T = sim.thermal.field("T")[0, 0, :]
    top = int(np.nonzero(sim.thermal.field("state")[0, 0, :])[0].max())
    # the load is heated throughout; inside it is hotter than at the radiating top and the held bottom
    assert T[:top + 1].min() > 293.0 + 50.0
    assert T[1:top].max() > T[top] and T[1:top].max() > T[0]


def test_microwave_needs_dielectric_data(ti_runtime):
    from regolith_sim.config import load_case
    from regolith_sim.errors import UserError
    from regolith_sim.simulation import Simulation

    with pytest.raises(UserError, match="process.source: material 'LHS-1' has no microwave dielectric data"):
        Simulation(load_case(EXAMPLE, **{"material.name": "LHS-1"}))
