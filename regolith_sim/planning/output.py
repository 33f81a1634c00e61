"""Writing a plan's outputs into a folder: events.csv, budget.json and the layer pictures."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..io.atomic import write_text as atomic_write_text
from .plan import ProcessPlan
from .plots import plot_layers


def _plain(value):
    """JSON-ready Python value (numpy scalars and arrays become numbers and lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_plan(plan: ProcessPlan, budget: dict | None, out_dir, *, plots: bool = True) -> dict[str, object]:
    """Write ``events.csv`` (the plan, see :mod:`.plan`), ``budget.json`` (when a budget is given) and,
    with ``plots``, ``layers/layer_NNNN.png`` into ``out_dir``; every file atomically.

    Returns {"events": path, "budget": path or None, "layers": [png paths]}.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, object] = {"events": plan.to_csv(out_dir / "events.csv"), "budget": None, "layers": []}
    if budget is not None:
        text = json.dumps(_plain({**budget, "warnings": list(plan.warnings)}), indent=2, allow_nan=True)
        written["budget"] = atomic_write_text(out_dir / "budget.json", text + "\n")
    if plots:
        written["layers"] = plot_layers(plan, out_dir / "layers")
    return written
