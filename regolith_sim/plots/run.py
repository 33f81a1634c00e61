"""The PNG plots of a finished print: probe temperatures, melt-pool size over time and density
cross-sections of the as-built part."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .figure import new_figure, save_figure


def plot_probes(times, columns: list[str], table: np.ndarray, path: Path, T_marks: dict[str, float]) -> Path:
    """Temperature of each probe over time, with the material's reference temperatures dashed."""
    fig, ax = new_figure(figsize=(7, 4))
    for c, name in enumerate(columns):
        if name.endswith("_T_K"):
            ax.plot(times, table[:, c], label=name[:-4])
    for label, T in T_marks.items():
        ax.axhline(T, ls="--", lw=0.8, c="gray")
        ax.annotate(label, (0.005, T), xycoords=("axes fraction", "data"), fontsize=7, va="bottom", color="gray")
    ax.set(xlabel="time [s]", ylabel="temperature [K]", title="probe temperatures")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_melt_pool(history: np.ndarray, path: Path) -> Path:
    """Length, width and depth of the region above the solidus over time [mm]."""
    fig, ax = new_figure(figsize=(7, 4))
    for c, label in ((1, "length (x)"), (2, "width (y)"), (3, "depth (z)")):
        ax.plot(history[:, 0], history[:, c] * 1e3, label=label)
    ax.set(xlabel="time [s]", ylabel="size [mm]", title="melt pool (above the solidus)")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_density_sections(rho: np.ndarray, state: np.ndarray, part_mask: np.ndarray, grid, path: Path) -> Path:
    """Relative density on a vertical x-z section through the middle of the part and on a horizontal
    section through its first layer; void is blank, the part outline dashed."""
    rho = np.where(state > 0, rho, np.nan)
    cols = np.argwhere(part_mask)
    j = int(np.median(cols[:, 1])) if cols.size else rho.shape[1] // 2
    # the horizontal section goes through the height where most of the part consolidated
    k = int(np.argmax(((state >= 2) & part_mask).sum(axis=(0, 1)))) if cols.size else rho.shape[2] - 1
    o, dx = np.asarray(grid.origin) * 1e3, grid.dx * 1e3
    ext = [o[0], o[0] + rho.shape[0] * dx]
    fig, axes = new_figure(2, 1, figsize=(7, 7))
    im = axes[0].imshow(rho[:, j, :].T, origin="lower", vmin=0.3, vmax=1.0, cmap="viridis",
                        extent=ext + [o[2], o[2] + rho.shape[2] * dx], aspect="equal")
    axes[0].contour(np.arange(rho.shape[0]) * dx + o[0] + dx / 2, np.arange(rho.shape[2]) * dx + o[2] + dx / 2,
                    part_mask[:, j, :].T.astype(float), [0.5], colors="w", linestyles="--", linewidths=0.8)
    axes[0].set(xlabel="x [mm]", ylabel="z [mm]", title=f"x-z section at y = {o[1] + (j + 0.5) * dx:.2f} mm")
    axes[1].imshow(rho[:, :, k].T, origin="lower", vmin=0.3, vmax=1.0, cmap="viridis",
                   extent=ext + [o[1], o[1] + rho.shape[1] * dx], aspect="equal")
    axes[1].set(xlabel="x [mm]", ylabel="y [mm]", title=f"x-y section at z = {o[2] + (k + 0.5) * dx:.2f} mm")
    fig.colorbar(im, ax=axes, label="relative density", shrink=0.8)
    return save_figure(fig, path)
