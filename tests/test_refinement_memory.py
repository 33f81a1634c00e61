"""A refinement whose fields would not fit in memory is refused before the run, with the estimate (issue 16,
bad input)."""
from pathlib import Path

import numpy as np
import pytest

from regolith_sim.config import load_case
from regolith_sim.errors import UserError
from regolith_sim.simulation import domain

TINY = Path(__file__).parents[1] / "examples" / "sweeps" / "tiny_brick.toml"


def test_estimate_counts_the_fields_in_the_runs_precision():
    assert domain.memory_needed(1000, "f64") == 1000 * (domain.FLOATS_PER_CELL * 8 + 4)
    assert domain.memory_needed(1000, "f32") == 1000 * (domain.FLOATS_PER_CELL * 4 + 4)


def test_estimate_adds_the_mechanics_over_the_part_box_and_its_output_fields_over_the_grid():
    base = domain.memory_needed(1000, "f64")
    final = domain.memory_needed(1000, "f64", "final", part_cells=200)
    layers = domain.memory_needed(1000, "f64", "layers", part_cells=200)
    assert final - base == 200 * domain.MECHANICS_BOX_FLOATS["final"] * 8 + 1000 * domain.MECHANICS_GRID_FLOATS * 8
    assert layers - final == 200 * 96 * 8
    assert domain.memory_needed(1000, "f64", "off", part_cells=200) == base


def test_the_mechanics_can_be_what_does_not_fit_and_the_refusal_says_so(monkeypatch):
    """The tiny brick at resolution 4 fits a budget without the mechanics and not with them per layer: the refusal
    names the key whose default would let it run."""
    from regolith_sim.simulation.preflight import preflight

    off = load_case(TINY, **{"solver.resolution": 4, "solver.mechanics": "off"})
    on = load_case(TINY, **{"solver.resolution": 4, "solver.mechanics": "layers"})
    need_off = domain.memory_needed(*_cells_of(off))
    monkeypatch.setattr(domain, "available_memory", lambda: 1.1 * need_off / domain.MEMORY_SHARE)
    preflight(off)
    with pytest.raises(UserError, match=r"of it the thermo-mechanics \(solver.mechanics = 'layers'\)"):
        preflight(on)


def _cells_of(case):
    from regolith_sim.simulation.preflight import setup

    g = setup(case).domain.grid
    return (int(np.prod(g.shape)), "f64")


def test_refinement_beyond_memory_is_refused_by_check_with_the_estimate(monkeypatch):
    from regolith_sim.simulation.preflight import preflight

    case = load_case(TINY, **{"solver.resolution": 4})
    monkeypatch.setattr(domain, "available_memory", lambda: 64 * 2**20)  # 64 MiB free
    with pytest.raises(UserError) as err:
        preflight(case)
    text = str(err.value)
    assert "solver.resolution" in text and "GiB" in text and "bytes a cell" in text and "available" in text
    monkeypatch.setattr(domain, "available_memory", lambda: None)  # unreadable: no refusal on a guess
    preflight(case)


def test_the_same_grid_fits_with_enough_memory(monkeypatch):
    from regolith_sim.simulation.preflight import preflight

    monkeypatch.setattr(domain, "available_memory", lambda: 64 * 2**30)
    preflight(load_case(TINY, **{"solver.resolution": 4}))
