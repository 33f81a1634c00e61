"""Matplotlib without a display, and figures saved atomically."""
from __future__ import annotations

from pathlib import Path

from ..io.atomic import atomic_path


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed on a cluster node)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save ``fig`` atomically in the format its suffix names, then close it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    pyplot().close(fig)
    return path
