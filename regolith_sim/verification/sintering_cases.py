"""Verification cases of sintering: a furnace hold of a simulant compared with the published window.

Importing this module registers its cases in :data:`regolith_sim.verification.cases.CASES`, so
`regolith-sim validate` and the case files under examples/verification/ run them like the thermal ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..materials import get_material
from .cases import CASES, Check

#: Published furnace window of LMS-1 [degC]: sintering optimum between 1100 and 1200 degC
#: (Warren et al. 2022, arXiv:2205.06855, abstract); radiant sintering of bricks needs 1100 degC for
#: about 2 h (Allen, Graf & McKay 1994).
PUBLISHED_WINDOW_C = (1100.0, 1200.0)


@dataclass
class _FurnaceCells:
    """One cell per furnace temperature: the three fields the Densifier reads from a solver."""

    T: object
    rho_rel: object
    state: object
    tables: object


def furnace_hold(material, temperatures_C, hold_s: float, model: str, steps: int = 20) -> np.ndarray:
    """Relative density after an isothermal hold at each temperature, integrated by the production
    densify kernel (``steps`` equal steps; the accumulator is linear in time at fixed T, so the
    result does not depend on ``steps``)."""
    from types import SimpleNamespace

    from gpu_kernels import backend
    from gpu_kernels.backend import ti

    from ..sintering.densifier import Densifier

    backend.ensure_init()
    T = np.asarray(temperatures_C, float) + 273.15
    shape = (T.size, 1, 1)
    rho0 = material.powder_relative_density
    fp = backend.float_type()
    cells = _FurnaceCells(ti.ndarray(fp, shape), ti.ndarray(fp, shape), ti.ndarray(ti.i8, shape),
                          SimpleNamespace(rho_rel0=rho0))
    cells.T.from_numpy(T.reshape(shape).astype(backend.np_float()))
    cells.rho_rel.fill(rho0)
    cells.state.fill(1)
    d = Densifier(cells, material, model, settle_every=0)
    for _ in range(steps):
        d.step(hold_s / steps)
    return cells.rho_rel.to_numpy().ravel()


def _window(temperatures_C, ok) -> tuple[float, float] | None:
    """Lowest and highest acceptable temperature of the series, or None."""
    t = np.asarray(temperatures_C, float)[np.asarray(ok, bool)]
    return (float(t.min()), float(t.max())) if t.size else None


def furnace_window(hold_s: float = 7200.0, T_low_C: float = 1000.0, T_high_C: float = 1250.0,
                   T_step_C: float = 50.0, min_rel_density: float = 0.70, max_melt_fraction: float = 0.10,
                   tolerance: float = 50.0, material: str = "LMS-1") -> Check:
    """LMS-1 held in a furnace at T_low..T_high (every T_step) for ``hold_s``, with the master
    sintering curve and with viscous sintering. A temperature is acceptable when the powder has
    sintered to at least ``min_rel_density`` (porosity <= 30 % by default, a load-bearing sintered
    brick) and the part keeps its shape: the equilibrium melt fraction at T is at most
    ``max_melt_fraction`` (more melt and the part slumps; a modelling choice). The predicted window
    (lowest to highest acceptable temperature) is compared with the published 1100-1200 degC
    (Warren et al. 2022). Error [K]: the larger distance of the two window edges from the published
    ones, worst of both models; ``tolerance`` is one temperature step by default."""
    mat = get_material(material)
    temps = np.arange(T_low_C, T_high_C + 0.5 * T_step_C, T_step_C)
    melt = np.asarray(mat.melt_fraction(temps + 273.15), float)
    shape_kept = melt <= max_melt_fraction
    rows = [{"T_C": float(t), "melt_fraction": float(f)} for t, f in zip(temps, melt)]
    errors, windows = [], {}
    for model in ("master-curve", "viscous"):
        rho = furnace_hold(mat, temps, hold_s, model)
        ok = (rho >= min_rel_density) & shape_kept
        for row, r, a in zip(rows, rho, ok):
            row[f"rel_density_{model}"] = float(r)
            row[f"acceptable_{model}"] = bool(a)
        w = _window(temps, ok)
        windows[model] = w
        errors.append(np.inf if w is None else max(abs(w[0] - PUBLISHED_WINDOW_C[0]),
                                                   abs(w[1] - PUBLISHED_WINDOW_C[1])))

    def fmt(w):
        return "none" if w is None else f"{w[0]:.0f}-{w[1]:.0f}"

    name = (f"furnace window {mat.name}, {hold_s / 3600:g} h hold: master curve {fmt(windows['master-curve'])}, "
            f"viscous {fmt(windows['viscous'])} degC (published {PUBLISHED_WINDOW_C[0]:.0f}-"
            f"{PUBLISHED_WINDOW_C[1]:.0f})")
    return Check(name, float(max(errors)), tolerance,
                 "Warren et al. 2022 (arXiv:2205.06855); Allen, Graf & McKay 1994",
                 {"material": mat.name, "hold_s": hold_s, "min_rel_density": min_rel_density,
                  "max_melt_fraction": max_melt_fraction, "rel_density_powder": mat.powder_relative_density,
                  "published_window_C": list(PUBLISHED_WINDOW_C),
                  "predicted_window_C": {m: (list(w) if w else None) for m, w in windows.items()},
                  "temperatures": rows})


CASES["furnace-window"] = furnace_window
