"""A refinement whose fields would not fit in memory is refused before the run, with the estimate (issue 16,
bad input)."""
from pathlib import Path

import pytest

from regolith_sim.config import load_case
from regolith_sim.errors import UserError
from regolith_sim.simulation import domain

TINY = Path(__file__).parents[1] / "examples" / "sweeps" / "tiny_brick.toml"


def test_estimate_counts_the_fields_in_the_runs_precision():
    assert domain.memory_needed(1000, "f64") == 1000 * (domain.FLOATS_PER_CELL * 8 + 4)
    assert domain.memory_needed(1000, "f32") == 1000 * (domain.FLOATS_PER_CELL * 4 + 4)


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
