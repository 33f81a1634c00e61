"""Published granular numbers (data/granular_reference.toml) and the comparisons and plot of the
``repose`` verb and the ``particles`` validation suite. Angles in degrees, everything else SI."""
from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "granular_reference.toml"
G_EARTH = 9.81


@lru_cache(maxsize=1)
def reference() -> dict:
    with open(DATA, "rb") as fh:
        return tomllib.load(fh)


def repose_band(gravity: float) -> tuple[float, float]:
    """Published static angle-of-repose band [deg] of lunar simulants at ``gravity`` [m/s^2]: the 1 g
    band, its upper end raised by the reduced-gravity shift of Kleinhans et al. (2011) below 1 g."""
    r = reference()["repose"]
    lo, hi = r["low_1g_deg"], r["high_1g_deg"]
    if gravity < 0.99 * G_EARTH:
        hi += r["static_shift_reduced_g_deg"]
    return lo, hi


def verdict(value: float, lo: float, hi: float, tol: float) -> str:
    """'agrees' inside [lo, hi], 'close' within ``tol`` of it, else 'disagrees' (nan: 'no result')."""
    if not math.isfinite(value):
        return "no result"
    if lo <= value <= hi:
        return "agrees"
    return "close" if lo - tol <= value <= hi + tol else "disagrees"


def repose_comparison(angle_deg: float, gravity: float) -> dict:
    r = reference()["repose"]
    lo, hi = repose_band(gravity)
    return dict(band_deg=[lo, hi], verdict=verdict(angle_deg, lo, hi, r["tolerance_deg"]),
                tolerance_deg=r["tolerance_deg"], source=r["source_1g"],
                reduced_gravity=r["source_reduced_g"] if gravity < 0.99 * G_EARTH else None,
                note="static angle of simulants in air; grains with cohesion stand steeper at lower gravity "
                     "(Bond number ~ 1/g: " + r["source_cohesion"].split(" (")[0] + " 2021)")


def packing_band() -> tuple[float, float, str, float]:
    """Packing fraction of lunar soil from loose (top 15 cm) to dense (30-60 cm), its source and tolerance."""
    p = reference()["packing"]
    return (p["bulk_density_loose_kg_m3"] / p["grain_density_kg_m3"],
            p["bulk_density_dense_kg_m3"] / p["grain_density_kg_m3"], p["source"], p["tolerance"])


def plot_heap(path, surface: dict, angle_deg: float, gravity: float, published: dict | None = None) -> Path:
    """Heap surface height against distance from the axis, the fitted cone and the published band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rho, h = np.asarray(surface["rho_m"]), np.asarray(surface["h_m"])
    rr_, hr_, sel = (np.asarray(surface[k]) for k in ("ring_rho_m", "ring_h_m", "fitted"))
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.plot(1e3 * rho, 1e3 * h, ".", ms=1.5, color="0.75", label="height map cells")
    ax.plot(1e3 * rr_, 1e3 * hr_, "o", ms=3, mfc="none", color="C0", label="ring surface (75th percentile)")
    ax.plot(1e3 * rr_[sel], 1e3 * hr_[sel], "o", ms=3, color="C0", label="rings fitted")
    if sel.sum() >= 2 and math.isfinite(angle_deg):
        b, a = np.polyfit(rr_[sel], hr_[sel], 1)
        rr = np.linspace(0.0, a / max(-b, 1e-12), 50)
        ax.plot(1e3 * rr, 1e3 * np.maximum(a + b * rr, 0), "-", color="C3", label=f"cone fit {angle_deg:.1f} deg")
        if published:
            x0 = rr_[sel].mean()
            y0 = a + b * x0
            for ang in published["band_deg"]:
                t = math.tan(math.radians(ang))
                ax.plot(1e3 * rr, 1e3 * np.maximum(y0 - t * (rr - x0), 0), ":", color="k", lw=0.8)
            ax.plot([], [], ":", color="k", lw=0.8, label="published band %.0f-%.0f deg" % tuple(published["band_deg"]))
    ax.set_xlabel("distance from heap axis [mm]")
    ax.set_ylabel("surface height [mm]")
    ax.set_title(f"Lifted-tube heap, g = {gravity:g} m/s^2")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
