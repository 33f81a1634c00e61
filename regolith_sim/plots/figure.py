"""Figures without pyplot, saved atomically.

``matplotlib.figure.Figure`` needs no display and leaves the caller's backend alone: a notebook that
calls ``run_job`` keeps its inline plots, and no figure lingers in pyplot's registry.
"""
from __future__ import annotations

from pathlib import Path

from ..io.atomic import atomic_path


def new_figure(nrows: int = 1, ncols: int = 1, **figure_kw):
    """A constrained-layout figure and its axes (as ``pyplot.subplots`` returns them)."""
    from matplotlib.figure import Figure

    fig = Figure(constrained_layout=True, **figure_kw)
    return fig, fig.subplots(nrows, ncols)


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save ``fig`` atomically in the format its suffix names."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return path
