"""Writing a plan's outputs into a folder: events.csv, budget.json and the layer pictures."""
from __future__ import annotations

from pathlib import Path

from ..io.json_out import write_json
from .plan import ProcessPlan
from .plots import plot_layers


def write_plan(plan: ProcessPlan, budget: dict | None, out_dir, *, plots: bool = True) -> dict[str, object]:
    """Write ``events.csv`` (the plan, see :mod:`.plan`), ``budget.json`` (when a budget is given) and,
    with ``plots``, ``layers/layer_NNNN.png`` into ``out_dir``; every file atomically.

    Returns {"events": path, "budget": path or None, "layers": [png paths]}.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, object] = {"events": plan.to_csv(out_dir / "events.csv"), "budget": None, "layers": []}
    if budget is not None:
        written["budget"] = write_json(out_dir / "budget.json", {**budget, "warnings": list(plan.warnings)})
    if plots:
        written["layers"] = plot_layers(plan, out_dir / "layers")
    return written
