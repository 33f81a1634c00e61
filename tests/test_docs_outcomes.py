"""docs/outcomes.md quotes the furnace-hold densities of both sintering laws: they must be what the code gives."""
import re
from pathlib import Path

import pytest

from regolith_sim.materials import get_material
from regolith_sim.sintering import furnace_window

DOC = Path(__file__).resolve().parents[1] / "docs" / "outcomes.md"
KEYS = {"viscous (default)": "rel_density_viscous", "master-curve": "rel_density_master_curve"}


def _table_rows():
    rows = re.findall(r"^\| (\S+) \| (viscous \(default\)|master-curve) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
                      DOC.read_text(), flags=re.M)
    assert len(rows) == 4, "the sintering table of docs/outcomes.md lost its rows"
    return rows


@pytest.mark.parametrize("row", _table_rows(), ids=lambda r: f"{r[0]}-{r[1].split()[0]}")
def test_sintering_table_matches_the_furnace_window(row):
    name, model, *quoted = row
    window = furnace_window(get_material(name), [1000.0, 1100.0, 1150.0], 7200.0)
    for value, w in zip(quoted, window):
        assert float(value) == pytest.approx(w[KEYS[model]], abs=0.0051), (name, model, w["T_C"])
