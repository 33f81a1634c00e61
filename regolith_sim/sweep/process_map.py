"""Process maps: contours of a summary quantity over two inputs, with the window meeting thresholds outlined.

A window is a list of conditions ``COLUMN OP VALUE`` (OP one of >=, <=, >, <) that must all hold,
e.g. ``part.mean_relative_density>=0.8`` and ``energy.delivered_J<=500``; VALUE is an SI number or a
number with a unit. The outline is the 0.5 level of the indicator (1 where a case meets every
condition, 0 where it misses one), interpolated like the contours, so it runs midway between
neighbouring cases that meet and miss the window. Only ``done`` cases are contoured; failed cases are
marked with crosses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from .spec import bound_number
from .table import column_unit

#: Image files a process map is written as (what matplotlib writes without extra packages).
MAP_FORMATS = ("png", "pdf", "svg")

_COND = re.compile(r"^\s*([^<>=!\s]+)\s*(>=|<=|>|<)\s*(.+?)\s*$")
_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.column} {self.op} {self.value:g}"


def parse_condition(text: str) -> Condition:
    m = _COND.match(text)
    if not m:
        raise UserError(f"{text!r}: expected COLUMN OP VALUE with OP one of >=, <=, >, < "
                        "(e.g. 'part.mean_relative_density>=0.8')", key="--window")
    value = bound_number(m.group(1), m.group(3).strip("'\""), f"--window {m.group(1)}")
    return Condition(m.group(1), m.group(2), value)


def _check_columns(df, names) -> None:
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise UserError(f"no column '{missing[0]}' in the table; columns: {', '.join(map(str, df.columns))}",
                        key="column")


def _numbers(df, column: str, key: str) -> np.ndarray:
    """The column as floats; a column of text (a model name, an architecture) is refused with the numeric columns."""
    try:
        return np.asarray(df[column], dtype=float)
    except (TypeError, ValueError):
        numeric = [str(c) for c in df.columns if np.issubdtype(np.asarray(df[c]).dtype, np.number)]
        raise UserError(f"column '{column}' holds text, not numbers; allowed: a numeric column, e.g. "
                        f"{', '.join(numeric[:8])}", key=key) from None


def window_mask(df, windows) -> np.ndarray:
    """True for the rows meeting every condition (strings or :class:`Condition`); NaN never meets one."""
    conds = [w if isinstance(w, Condition) else parse_condition(w) for w in windows]
    _check_columns(df, [c.column for c in conds])
    ok = np.ones(len(df), bool)
    for c in conds:
        v = np.asarray(df[c.column], dtype=float)
        ok &= np.isfinite(v) & _OPS[c.op](np.nan_to_num(v, nan=0.0), c.value)
    return ok


def _label(name: str) -> str:
    unit = column_unit(name)
    return f"{name} [{unit}]" if unit else name


def _triangulation(x: np.ndarray, y: np.ndarray):
    """Delaunay on axes scaled to [0, 1]: inputs differ by orders of magnitude (W against m/s)."""
    import matplotlib.tri as mtri

    def unit(a):
        span = np.ptp(a)
        return (a - a.min()) / span if span > 0 else a * 0.0
    try:
        tri = mtri.Triangulation(unit(x), unit(y))
    except (ValueError, RuntimeError) as exc:
        raise UserError(f"the done cases do not span an area in the two inputs ({exc})", key="--x/--y") from None
    return mtri.Triangulation(x, y, tri.triangles)


def process_map(df, x: str, y: str, z: str, windows=(), ax=None, levels: int = 12, cmap: str = "viridis",
                best: str | None = None, title: str | None = None):
    """Draw contours of ``z`` over ``x`` and ``y`` from a sweep table (pandas DataFrame) on ``ax``.

    ``windows``: conditions (see the module docstring); the region meeting all is outlined and hatched,
    and cases inside it are drawn as filled dots, the others as open circles. ``best``: a column whose
    least value among the cases in the window is starred (e.g. ``energy.delivered_J``: the process window's
    cheapest case). Needs at least three done cases not on one line. Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    _check_columns(df, [x, y, z] + ([best] if best else []) + (["status"] if "status" in df.columns else []))
    status = df["status"].to_numpy() if "status" in df.columns else np.full(len(df), "done")
    xv, yv, zv = (_numbers(df, c, key) for c, key in ((x, "--x"), (y, "--y"), (z, "--z")))
    use = (status == "done") & np.isfinite(xv) & np.isfinite(yv) & np.isfinite(zv)
    if use.sum() < 3:
        raise UserError(f"a map needs at least 3 done cases with finite {x}, {y} and {z}; found {int(use.sum())}",
                        key="--z")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.8), constrained_layout=True)
    tri = _triangulation(xv[use], yv[use])
    filled = ax.tricontourf(tri, zv[use], levels=levels, cmap=cmap)
    ax.figure.colorbar(filled, ax=ax, label=_label(z))
    inside = window_mask(df, windows) if windows else np.zeros(len(df), bool)
    if windows:
        ind = inside[use].astype(float)
        if ind.max() > 0.0:
            if ind.min() < 1.0:  # an outline exists only where some cases miss the window
                ax.tricontour(tri, ind, levels=[0.5], colors="white", linewidths=3.0)
                ax.tricontour(tri, ind, levels=[0.5], colors="black", linewidths=1.2)
            ax.tricontourf(tri, ind, levels=[0.5, 1.5], colors="none", hatches=["//"])
        window_text = "window (outlined): " + " and ".join(
            str(w if isinstance(w, Condition) else parse_condition(w)) for w in windows)
        if title is None:
            ax.set_title(window_text, fontsize="small")
    done = status == "done"
    dots = dict(s=18, clip_on=False, zorder=4)  # cases on the edge of the map stay whole
    ax.scatter(xv[done & ~inside], yv[done & ~inside], facecolors="none", edgecolors="black", linewidths=0.8,
               label="case", **dots)
    if windows:
        ax.scatter(xv[done & inside], yv[done & inside], color="black", label="in window", **dots)
    failed = status == "failed"
    if failed.any():
        ax.scatter(xv[failed], yv[failed], marker="x", color="red", label="failed", **dots)
    if best:
        bv = np.where(inside & done, np.asarray(df[best], dtype=float), np.nan)
        if np.isfinite(bv).any():
            i = int(np.nanargmin(bv))
            ax.scatter([xv[i]], [yv[i]], marker="*", s=160, color="gold", edgecolors="black", zorder=5,
                       clip_on=False, label=f"least {best}")
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    if title:
        ax.set_title(title)
    # below the axes: a legend inside would hide part of the map
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize="small", frameon=False)
    return ax


def save_process_map(df, out, **kwargs) -> None:
    """:func:`process_map` on a new figure, written atomically to ``out`` (format from its suffix)."""
    from matplotlib.figure import Figure  # no pyplot: works headless and leaves the user's backend alone

    from ..plots.figure import save_figure

    suffix = Path(out).suffix.lower().lstrip(".")
    if suffix not in MAP_FORMATS:
        raise UserError(f"'{out}': an image type matplotlib cannot write; allowed: a file ending in "
                        f"{', '.join('.' + f for f in MAP_FORMATS)}", key="--out")
    fig = Figure(figsize=(6.4, 5.6), constrained_layout=True)
    process_map(df, ax=fig.add_subplot(), **kwargs)
    save_figure(fig, out, dpi=150)
