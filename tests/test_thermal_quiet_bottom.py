"""The quiet bottom (ThermalSolver._place_quiet): explicit and super-time-steps leave out the layers no heat has
reached yet, so a heated region that is a small part of a deep domain costs what its own layers cost. Heat crosses
at most one cell per flux evaluation, so the temperatures must be those of a run over every layer (to the round-off
of the change threshold K.QUIET_REL), and the ledger must close as before."""
import numpy as np
import pytest


def _held_face(quiet: bool, n: int = 96, columns: int = 3):
    """The held-top-face column (the OpenFOAM comparison case, tests/test_held_top_face.py) on ``columns``^2 x n
    cells: uniformly 250 K, top held at 1500 K, bottom insulated."""
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables
    from regolith_sim.verification.cases import constant_material

    size = 0.1
    g = Grid((columns, columns, n), size / n, (0.0, 0.0, -size))
    s = ThermalSolver(g, ThermalTables.from_material(constant_material(1.0, 2000.0, 1000.0), rho_rel0=1.0),
                      Boundary(T_sky=0.0, bottom="adiabatic", T_top=1500.0), quiet_bottom=quiet)
    s.fill_region(np.ones(g.shape, bool), 250.0, 1.0)
    return s


@pytest.mark.parametrize("multiple", [0.9, 10.0])
def test_quiet_bottom_changes_nothing_but_the_work(ti_runtime, multiple):
    """Explicit steps (0.9 of the limit) and super-time-steps (10 limits) to 20 s: every temperature within 1e-6 K of
    the run over every layer (measured 3e-8 K and 2e-12 K), the ledger closed to round-off, fewer than half the
    cell updates, and the quiet bottom only ever lowered as the heat front moves down (never over a layer heat
    reached)."""
    runs, fronts = {}, []
    for quiet in (False, True):
        s = _held_face(quiet)
        dt = multiple * s.stable_dt(1.0)
        n_steps = int(np.ceil(20.0 / dt))
        for _ in range(n_steps):
            (s.step_sts if multiple > 1.0 else s.step)(20.0 / n_steps)
            if quiet:
                fronts.append(s.k_quiet)
        runs[quiet] = (s.field("T"), s.cell_updates, s.sync_ledger().balance_error)
    (T_all, n_all, _), (T_quiet, n_quiet, balance) = runs[False], runs[True]
    assert np.abs(T_quiet - T_all).max() < 1e-6
    assert balance < 1e-10
    assert n_quiet < 0.5 * n_all
    assert fronts[0] > fronts[-1] > 0 and all(a >= b for a, b in zip(fronts, fronts[1:]))
    # the layers left out are those the heat has not reached: at the end, under the last quiet layer, still 250 K
    assert np.abs(T_all[:, :, :fronts[-1]] - 250.0).max() < 1e-6


def test_quiet_bottom_is_given_up_where_it_cannot_hold(ti_runtime):
    """An implicit step (it solves every layer at once) and a change of geometry give the quiet bottom up; the
    next explicit step places it again from where heat moves."""
    s = _held_face(True)
    s.step(0.9 * s.stable_dt(1.0))
    assert s.k_quiet > 0
    s.step_implicit(0.5)
    assert s.k_quiet == 0
    s.step(0.9 * s.stable_dt(1.0))
    placed = s.k_quiet
    assert placed > 0
    s.activate_layer(np.ones(s.grid.shape[:2], bool), s.grid.shape[2] - 1, s.grid.shape[2], 250.0)
    assert s.k_quiet == 0


def test_a_source_keeps_every_layer(ti_runtime):
    """With a source on (its deposit may reach any cell) no layer is left out."""
    s = _held_face(True)

    class Warm:
        on = True

        def deposit(self, solver, dt):
            pass

        def footprint(self, grid):
            return None

    s.step(0.9 * s.stable_dt(1.0), [Warm()])
    assert s.k_quiet == 0


def test_the_step_bound_is_that_of_the_layers_left_out_not_of_the_hot_top(ti_runtime):
    """The set-aside layers' stability bound is theirs (taken when they are set aside; they stay as they are), so a
    hot top that cools does not hold the step down: stable_dt with the quiet bottom is the one computed from every
    cell's stored fields."""
    s = _held_face(True)
    for _ in range(3):
        s.step_sts(10.0 * s.stable_dt(1.0))
    assert s.k_quiet > 0
    assert s.stable_dt() == pytest.approx(s.stable_dt(from_fields=True), rel=1e-12)


def test_cells_the_densifier_watches_are_never_left_out(ti_runtime):
    """A uniform region at or above T_watch (where the densifier acts) has no net flux but changes on its own: it is
    not set aside, and the rough region of a super-time-step does not reach under the quiet bottom (the run matches
    the one over every layer and its ledger closes)."""
    runs = {}
    for quiet in (False, True):
        s = _held_face(quiet)
        s.rough_hot_cells = True
        s.watch_above(200.0)     # every cell (250 K) is watched
        for _ in range(5):
            s.step_sts(10.0 * s.stable_dt(1.0))
        assert s.k_quiet == 0
        runs[quiet] = (s.field("T"), s.sync_ledger().balance_error)
    assert np.abs(runs[True][0] - runs[False][0]).max() < 1e-9 and runs[True][1] < 1e-10

    s = _held_face(True)
    s.rough_hot_cells = True
    s.watch_above(1000.0)        # the heated top only: the bottom is set aside under the rough region
    for _ in range(5):
        s.step_sts(10.0 * s.stable_dt(1.0))
    assert s.k_quiet > 0 and s.sync_ledger().balance_error < 1e-10
    assert s.field("T").min() >= 250.0 - 1e-9
