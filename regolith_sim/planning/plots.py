"""Pictures of a plan: one PNG per layer, toolpath coloured by time, travel moves dashed.

Matplotlib's Agg canvas is used directly (no pyplot), so plotting works headless and does not touch
the global backend or figure registry of a caller.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..plots.figure import save_figure
from .plan import ProcessPlan

MM = 1e3


def _segments(plan: ProcessPlan, idx: np.ndarray) -> np.ndarray:
    """(n, 2, 2) x, y [mm] of the segments starting at events ``idx``."""
    start = np.stack([plan.x[idx], plan.y[idx]], axis=1)
    end = np.stack([plan.x[idx + 1], plan.y[idx + 1]], axis=1)
    return np.stack([start, end], axis=1) * MM


def _draw_layer(fig: Figure, plan: ProcessPlan, k: int):
    ax = fig.add_subplot(1, 1, 1)
    idx = plan.layer_segments(k)
    t0, t1 = plan.layer_interval(k)
    scan, travel = idx[plan.on[idx]], idx[~plan.on[idx]]
    moving = travel[np.hypot(plan.x[travel + 1] - plan.x[travel], plan.y[travel + 1] - plan.y[travel]) > 0]
    ax.add_collection(LineCollection(_segments(plan, moving), colors="0.6", linestyles="--", linewidths=0.6))
    lines = LineCollection(_segments(plan, scan), cmap="viridis", linewidths=1.5)
    lines.set_array(plan.t[scan] - t0)
    lines.set_clim(0.0, max(t1 - t0, 1e-12))
    ax.add_collection(lines)
    fig.colorbar(lines, ax=ax, label="time since layer spread [s]")
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    ax.set_title(f"layer {k}: top z = {plan.layer_tops[k] * MM:.4g} mm, t = {t0:.4g}-{t1:.4g} s", fontsize=9)


def plot_layers(plan: ProcessPlan, out_dir, *, layers=None, dpi: int = 90) -> list[Path]:
    """Write ``layer_0000.png`` ... into ``out_dir`` (atomically), for all layers or the indices in
    ``layers``; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for k in range(plan.n_layers) if layers is None else layers:
        fig = Figure(figsize=(6.0, 4.5), dpi=dpi)
        FigureCanvasAgg(fig)
        _draw_layer(fig, plan, int(k))
        path = out_dir / f"layer_{int(k):04d}.png"
        written.append(save_figure(fig, path, dpi=dpi))
    return written
