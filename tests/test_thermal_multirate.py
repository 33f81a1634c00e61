"""Multirate stepping: a small spot on a wide powder bed costs in proportion to the heated region,
conserves energy to round-off, and gives the temperatures of stepping every cell every step.

The reference is the same run with ``multirate = 1`` (every cell, every step); the tolerances are
stated with each check. Set-up: LHS-1 powder (relative density 0.55) at 250 K in vacuum, a 1 mm
gaussian spot of 4 W absorbed power crossing 16 mm of a 48 x 24 mm bed at 20 mm/s, 0.25 mm cells."""
import numpy as np
import pytest

SHAPE = (192, 96, 8)
DX = 2.5e-4
SPEED = 0.02
T0 = 250.0


def _run(multirate: int):
    from gpu_kernels import thermal as K
    from regolith_sim.materials import get_material
    from regolith_sim.thermal.grid import Grid
    from regolith_sim.thermal.solver import Boundary, ThermalSolver
    from regolith_sim.thermal.sources import SurfaceSource
    from regolith_sim.thermal.tables import ThermalTables

    mat = get_material("LHS-1")
    s = ThermalSolver(Grid(SHAPE, DX, (0.0, 0.0, -SHAPE[2] * DX)),
                      ThermalTables.from_material(mat, rho_rel0=0.55), Boundary(T_sky=3.0),
                      T_hot=mat.glass_transition_K, multirate=multirate)
    s.fill_region(np.ones(SHAPE, bool), T0, 0.55)
    s.set_bottom_temperature(T0)
    src = SurfaceSource(profile="gaussian", diameter=1e-3, power=4.0, absorptivity=1.0, grain_size=45e-6, on=True)
    x0, x1, y = 4e-3, 20e-3, 12e-3
    t_track = (x1 - x0) / SPEED
    slow_seen = depth_seen = 0
    while s.time < t_track + 0.2 - 1e-12:
        src.on = s.time < t_track
        dt = min(s.stable_dt(0.9), 0.5 * DX / SPEED, t_track + 0.2 - s.time)
        if src.on:
            dt = min(dt, t_track - s.time)
        src.x, src.y = x0 + SPEED * min(s.time + 0.5 * dt, t_track), y
        s.step(dt, [src])
        slow_seen = max(slow_seen, s.slow_tiles)
        depth_seen = max(depth_seen, s.k_split)
        if src.on and s.slow_tiles:  # the spot never heats a lagging tile
            i_lo, i_hi, j_lo, j_hi = src.footprint(s.grid)
            tiles = s.tiles.to_numpy()
            assert (tiles[max(i_lo, 0) // K.TILE:(i_hi - 1) // K.TILE + 1,
                          max(j_lo, 0) // K.TILE:(j_hi - 1) // K.TILE + 1] == K.FAST).all()
    s.sync()
    return s, slow_seen, s.sync_ledger(), src, depth_seen


@pytest.fixture(scope="module")
def runs(ti_runtime):
    return {n: _run(n) for n in (1, 16)}


def test_step_cost_scales_with_the_heated_region(runs):
    full, multi = runs[1][0], runs[16][0]
    assert runs[1][1] == 0 and runs[16][1] > 0
    assert runs[1][4] == 0 and runs[16][4] > 0  # the deep layers of the fast tiles lag too
    assert multi.steps == full.steps
    # The spot's window (its box widened by the 9 cells it may travel in 16 steps, then by a ring of
    # 8 x 8-column tiles: about 6 x 6 of the bed's 24 x 12 tiles) and the warm track behind it stay
    # fast, over the layers down to two under the heated ones; the cold powder and the deep layers are
    # stepped 1 in 16. Measured: 0.22 of the updates with tiles alone, 0.12 with the depth split.
    ratio = multi.cell_updates / full.cell_updates
    assert ratio < 0.16, ratio


def test_multirate_conserves_energy_to_round_off(runs):
    for n in (1, 16):
        ledger, src = runs[n][2], runs[n][3]
        assert ledger.absorbed == pytest.approx(src.delivered, rel=1e-12)
        # relative to the flows (a few J) while the bed stores ~1e3 J: round-off is ~1e-11 here
        assert ledger.balance_error < 1e-9, (n, ledger.as_dict())


def test_multirate_temperatures_match_every_cell_every_step(runs):
    full, multi = runs[1][0], runs[16][0]
    Tf, Tm = full.field("T"), multi.field("T")
    rise = Tf.max() - T0
    assert rise > 500.0  # a real melt-track-like heating, not a trivially cold case
    # 0.5 % of the peak rise anywhere in the bed (the lagging tiles are cold, slowly-varying powder)
    assert np.abs(Tm - Tf).max() < 5e-3 * rise, np.abs(Tm - Tf).max()
    assert multi.field("T_peak").max() == pytest.approx(full.field("T_peak").max(), rel=1e-3)
    # the radiated energy is the same to 0.5 % (the cold tiles' radiation is integrated at 16 x dt)
    assert runs[16][2].radiated == pytest.approx(runs[1][2].radiated, rel=5e-3)


def test_slow_cells_never_lag_a_step_past_their_limit(ti_runtime):
    """Slow cells catch up in one explicit step, so the tile map must not let them sit out a step longer than
    their limit. A map chosen after steps cut short (by a plan event, a layer's time) did, when a super-time-step
    many limits long came next: in a solar print resolidified cells were stepped at 12x their limit into a
    checkerboard of cells at the table's floor (3 K) beside cells 900 K hotter. Without a source and with the
    sky and the bottom at the bed's temperature, the maximum principle bounds every temperature by the initial
    ones, and the run must match stepping every cell every step."""
    from regolith_sim.materials import get_material
    from regolith_sim.thermal.grid import Grid
    from regolith_sim.thermal.solver import Boundary, ThermalSolver
    from regolith_sim.thermal.tables import ThermalTables

    mat = get_material("LHS-1")
    shape, hot = (32, 32, 6), 700.0
    assert hot < mat.glass_transition_K  # every tile may lag (none holds a cell where sintering runs)
    block = np.zeros(shape, bool)
    block[10:14, 10:14, 2:5] = True

    def run(multirate: int):
        s = ThermalSolver(Grid(shape, DX, (0.0, 0.0, -shape[2] * DX)), ThermalTables.from_material(mat, rho_rel0=1.0),
                          Boundary(T_sky=T0), T_hot=mat.glass_transition_K, multirate=multirate)
        s.fill_region(np.ones(shape, bool), T0, 1.0)
        s.fill_region(block, hot, 1.0)
        s.set_bottom_temperature(T0)
        limit = s.stable_dt(0.9)
        for _ in range(16):      # steps a hundredth of the limit: the map lets every tile lag 16 of them
            s.step(0.01 * limit)
        for _ in range(3):       # then super-time-steps of 20 limits
            s.step_sts(20.0 * limit)
        s.sync()
        return s

    multi, full = run(16), run(1)
    T = multi.field("T")
    assert T.min() > T0 - 1e-6 and T.max() < hot + 1e-6, (T.min(), T.max())
    assert np.abs(T - full.field("T")).max() < 0.02 * (hot - T0)
