"""Issue 18: every example does what its README line says. A print example's consolidated part is one body,
not strips or specks: its sintered and molten voxels inside the part touch each other (faces, edges or
corners), and nearly all of them are joined face to face.

The examples run here at the settings below (coarser or fewer layers than shipped, same process); at the
shipped settings, by hand: laser_track one body (the track, 5 % of the coupon: 10 % while the viscous law
sintered JSC-1A below the solidus), habitat_shell_segment one
body of 89 % of the block (99.8 % of it face-joined; it was 26 % in 100 pieces at a 3 mm hatch),
microwave_brick all of it. The demo (change8_brick) is checked on its run in test_simulation.py and
two_bricks_one_bed in test_bed_layout.py.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regolith_sim.config import load_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: example -> (settings for the test run, least consolidated share of the part at those settings)
RUNS = {
    # the track of a machine log across a 3 mm wide coupon, at twice the shipped cell
    # (peak 1,575 K, just above the solidus: the track is its liquid-phase core, 4.9 %)
    "laser_track.toml": ({"solver.cell_size": "0.25 mm", "solver.cooldown": "0.5 s"}, 0.04),
    # the first four layers of the keystone
    "habitat_shell_segment.toml": ({"process.layers": 4, "solver.cooldown": "5 s"}, 0.6),
    "microwave_brick.toml": ({}, 0.95),
}
ELSEWHERE = {"change8_brick.toml": "test_simulation.py", "two_bricks_one_bed.toml": "test_bed_layout.py"}


def consolidated_bodies(state: np.ndarray, part_mask: np.ndarray) -> tuple[int, float, float]:
    """(bodies touching at faces, edges or corners; share of the consolidated voxels in the largest
    face-joined body; consolidated share of the part)."""
    from scipy import ndimage

    cells = (state >= 2) & part_mask
    touching = ndimage.label(cells, structure=np.ones((3, 3, 3)))[1]
    faces, n = ndimage.label(cells)
    largest = np.bincount(faces.ravel())[1:].max() if n else 0
    return touching, largest / max(cells.sum(), 1), cells.sum() / part_mask.sum()


def test_every_print_example_is_checked_somewhere():
    shipped = {p.name for p in EXAMPLES.glob("*.toml")}
    assert shipped == set(RUNS) | set(ELSEWHERE), "a new example needs its one-body check"


@pytest.mark.parametrize("name", sorted(RUNS))
def test_example_prints_one_body(ti_runtime, name):
    from regolith_sim.simulation import Simulation

    settings, least = RUNS[name]
    case = load_case(EXAMPLES / name, **{"solver.mechanics": "off", **settings})
    fields = Simulation(case).run(progress=False).fields
    touching, joined, share = consolidated_bodies(fields["state"], fields["part_mask"])
    assert touching == 1 and joined > 0.97, (touching, joined)
    assert share > least, share
