"""Issue 17, item 1: grains re-sorted by cell in memory (locality). The re-sort permutes every per-grain
array and moves each listed pair, with its contact history, to the row of its new lower index; the
run must continue as without it up to the order of the force sums (round-off), and the public arrays
keep the caller's grain order. And a small system's steps in one serial launch (a CPU's path for up to
SERIAL_MAX_GRAINS grains) follow the launch-per-step path to round-off."""
from __future__ import annotations

import numpy as np
import pytest

from regolith_sim.particles.physics import ContactModel

D = 1e-3
SOFT = ContactModel(density=3000.0, youngs_modulus=5e6, restitution=0.5, friction=0.5, rolling_friction=0.3,
                    hamaker=1e-19)


def _scrambled_block(seed: int = 0):
    """A compressed, agitated 6x6x6 block stored in random memory order (so the re-sort moves grains
    and swaps the roles of listed pairs)."""
    rng = np.random.default_rng(seed)
    idx = np.stack(np.meshgrid(*[np.arange(6)] * 3, indexing="ij"), -1).reshape(-1, 3)
    x = idx * 0.985 * D + rng.uniform(-0.02, 0.02, idx.shape) * D + D
    perm = rng.permutation(len(x))
    return x[perm], np.full(len(x), 0.5 * D), rng.normal(0.0, 0.05, x.shape)


def test_resorted_run_follows_the_unsorted_run(ti_runtime):
    """Hertz-Mindlin with tangential and rolling history, cohesion, walls and gravity: a run re-sorted
    every 37 steps ends where the unsorted run ends (positions to 1e-12 m for 1-mm grains, 1e-9 of d;
    a re-sort that kept the tangential history unsigned when a pair's roles swap is off by ~2e-4 m),
    with the same contacts."""
    from regolith_sim.particles.dem import DEMSystem, container

    x, r, v = _scrambled_block()
    walls = container((0, 0, 0), (8 * D, 8 * D, 12 * D))
    a = DEMSystem(x, r, SOFT, walls=walls, gravity=9.81, velocities=v, resort_steps=0)
    b = DEMSystem(x, r, SOFT, walls=walls, gravity=9.81, velocities=v, resort_steps=37)
    a.step(1000)
    b.step(1000)
    assert b.n_resorts >= 10 and not np.array_equal(b._order, np.arange(b.n))
    np.testing.assert_allclose(b.positions, a.positions, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.velocities, a.velocities, rtol=0, atol=1e-9)
    ca, cb = a.contacts(), b.contacts()
    assert set(zip(ca["i"], ca["j"])) == set(zip(cb["i"], cb["j"]))
    assert len(ca["i"]) > 50


def test_resort_keeps_the_callers_grain_order(ti_runtime):
    """After a re-sort the getters, setters and masks address the caller's grains: the grain the caller
    marked is the one removed, and positions read back equal those just written."""
    from regolith_sim.particles.dem import DEMSystem

    x, r, v = _scrambled_block(seed=1)
    s = DEMSystem(x, r, SOFT, gravity=0.0, velocities=v, resort_steps=0)
    s.prime()
    before = s.positions
    assert s.resort()
    assert not np.array_equal(s._order, np.arange(s.n))
    np.testing.assert_array_equal(s.positions, before)
    mask = np.zeros(s.n, bool)
    mask[[3, 50, 120]] = True
    s.deactivate(mask)
    np.testing.assert_array_equal(~s.alive, mask)
    t = np.arange(s.n, dtype=float) + 300.0
    s.temperatures = t
    np.testing.assert_array_equal(s.temperatures, t)


def test_serial_launch_follows_launches_per_step(ti_runtime):
    """The serial path (list rebuilt inside the launch when a grain has moved half the skin) against one
    launch per step, host callbacks every 50 steps, walls, gravity, cohesion and rolling history: the same
    positions to 1e-12 m (1e-9 of d) after 1000 steps, the same number of list builds, the same contacts."""
    from regolith_sim.particles.dem import DEMSystem, container

    if ti_runtime != "cpu":
        pytest.skip("the serial path is the CPU's")
    x, r, v = _scrambled_block(seed=2)
    walls = container((0, 0, 0), (8 * D, 8 * D, 12 * D))
    runs = []
    for serial in (True, False):
        s = DEMSystem(x, r, SOFT, walls=walls, gravity=9.81, velocities=v)
        assert s._serial
        s._serial = serial
        calls = []

        def count(sys_):  # a host callback between chunks; returns None: the run goes on
            calls.append(sys_.time)

        s.run(1000 * s.dt, callback=count, every=50)
        runs.append((s, len(calls)))
    (a, ca), (b, cb) = runs
    assert ca == cb == 20
    assert a.n_rebuilds == b.n_rebuilds >= 5
    np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.velocities, b.velocities, rtol=0, atol=1e-9)
    ka, kb = a.contacts(), b.contacts()
    assert set(zip(ka["i"], ka["j"])) == set(zip(kb["i"], kb["j"])) and len(ka["i"]) > 50
