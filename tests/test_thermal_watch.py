"""The explicit step's stability bound and the region where sintering can act are kept by the property
update as it goes (ThermalSolver.watch and hot_box, filled by gpu_kernels.thermal.update_properties),
not found by passes of their own. Checked on a small two-layer print (the tiny sweep brick, 12 mm long,
two 0.5 mm layers, 30 W, a 1 s dwell) that melts, densifies, spreads a layer on a hot one, maps slow multirate
tiles and takes implicit steps in the dwell and the cool-down:

* the step taken never exceeds the true stability bound of the fields it is taken from (a pass over the
  stored fields, gpu_kernels.thermal.stability_bounds), and equals the bound the old per-step pass gave
  on all but the steps after a whole-grid refresh (where it is shorter);
* densifying only the watched box gives bit for bit what densifying every cell gives."""
from pathlib import Path

import numpy as np
import pytest

TINY = Path(__file__).parents[1] / "examples" / "sweeps" / "tiny_brick.toml"
OVERRIDES = {"geometry.params.length": "12 mm", "process.layer_thickness": "0.5 mm", "process.dwell": "1 s",
             "process.power": "30 W", "solver.mechanics": "off",
             # explicit steps, whose bound this checks (super-time-steps: tests/test_thermal_sts.py)
             "solver.super_time_stepping": False}


def _sim():
    from regolith_sim.config import load_case
    from regolith_sim.simulation.simulation import Simulation

    return Simulation(load_case(TINY, **OVERRIDES))


@pytest.fixture(scope="module")
def checked_run(ti_runtime):
    """The print stepped to its end; before every step, the bound it will use and the true one."""
    sim = _sim()
    th, safety = sim.thermal, sim.case.solver.safety
    rows = []  # (step taken, watched bound, true bound, explicit?)
    slow_seen = 0
    while not sim.finished:
        watched, true = th.stable_dt(safety), th.stable_dt(safety, from_fields=True)
        implicit_before = th.implicit_stats["steps"]
        dt = sim.step()
        rows.append((dt, watched, true, th.implicit_stats["steps"] == implicit_before))
        slow_seen = max(slow_seen, th.slow_tiles)
    return sim, np.array(rows), slow_seen


def test_the_run_changes_what_bounds_the_step(checked_run):
    sim, rows, slow_seen = checked_run
    th = sim.thermal
    assert th.field("T_peak").max() > sim.material.liquidus_K       # melts (k, cp and states jump)
    assert th.field("rho_rel").max() > 0.95                         # densifies
    assert slow_seen > 0 and th.implicit_stats["steps"] > 0 and sim.layers_spread == 2
    assert rows[:, 2].max() > 3.0 * rows[:, 2].min()                # the bound itself moves a lot
    assert th.sync_ledger().balance_error < 1e-9


def test_step_never_exceeds_the_true_bound(checked_run):
    _, rows, _ = checked_run
    dt, watched, true, explicit = rows.T
    explicit = explicit.astype(bool)
    assert np.all(dt[explicit] <= true[explicit] * (1 + 1e-12))
    assert np.all(watched <= true * (1 + 1e-12))
    # equal to round-off except after a whole-grid refresh with slow tiles mapped (layer spread, settling)
    same = np.isclose(watched, true, rtol=1e-12, atol=0.0)
    assert same.mean() > 0.95, same.mean()


def test_densifying_the_watched_box_equals_densifying_every_cell(checked_run, ti_runtime):
    from regolith_sim.sintering.densifier import whole_grid_box

    boxed = checked_run[0]
    full = _sim()
    full.densifier._box = whole_grid_box(full.thermal.grid.shape)
    while not full.finished:
        full.step()
    for name in ("rho_rel", "state", "T", "h", "mass"):
        assert np.array_equal(boxed.thermal.field(name), full.thermal.field(name)), name
    a, b = boxed.densifier.fields(), full.densifier.fields()
    for name in a:
        assert np.array_equal(a[name], b[name]), name
