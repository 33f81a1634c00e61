"""As-built compressive strength estimated from the relative-density field."""
from __future__ import annotations

import numpy as np

from ..errors import MaterialError

#: A cell counts as sintered once it is denser than loose powder by this much (the same threshold
#: the thermal kernel uses to mark a cell SINTERED).
SINTERED_MARGIN = 0.01


def estimated_strength(rel_density_field, material, state=None, rho_rel0: float | None = None) -> dict:
    """Mean porosity and compressive strength of the printed material.

    Strength per cell follows the material's cited porosity fit sigma = sigma0 exp(-b P)
    (Ryshkewitch 1953 form; :meth:`Material.compressive_strength`), applied only to cells that
    densified (rho > rho0 + 0.01, or state sintered / molten / re-solidified when ``state`` is given);
    cells that never sintered are loose powder and carry no load (strength 0). ``state`` (codes of
    gpu_kernels.thermal) excludes void cells, whose rho_rel is a placeholder; without it every cell
    counts. ``valid_range`` is False when the mean porosity of the densified cells lies outside the
    fit's porosity_min..porosity_max (the fit is then extrapolated)."""
    rho = np.asarray(rel_density_field, dtype=float)
    rho0 = material.powder_relative_density if rho_rel0 is None else rho_rel0
    active = np.ones(rho.shape, bool) if state is None else np.asarray(state) > 0
    dense = active & (rho > rho0 + SINTERED_MARGIN)
    if state is not None:
        dense |= active & (np.asarray(state) >= 2)
    n_active, n_dense = int(active.sum()), int(dense.sum())
    porosity = 1.0 - rho
    out = {
        "n_cells": n_active,
        "densified_fraction": n_dense / n_active if n_active else 0.0,
        "mean_porosity": float(porosity[active].mean()) if n_active else float("nan"),
        "mean_porosity_densified": float(porosity[dense].mean()) if n_dense else float("nan"),
        "mean_rel_density": float(rho[active].mean()) if n_active else float("nan"),
    }
    keys = ("strength.sigma0_Pa", "strength.b")
    if not all(material.has(k) for k in keys):
        raise MaterialError(f"material '{material.name}' has no strength fit ([strength] sigma0_Pa, b)",
                            key="material")
    sigma = np.where(dense, material.compressive_strength(np.clip(porosity, 0.0, 1.0)), 0.0)
    p_lo = material.get("strength.porosity_min", 0.0) if material.has("strength.porosity_min") else 0.0
    p_hi = material.get("strength.porosity_max", 1.0) if material.has("strength.porosity_max") else 1.0
    p_dense = out["mean_porosity_densified"]
    out.update({
        "mean_strength_MPa": float(sigma[active].mean()) * 1e-6 if n_active else 0.0,
        "mean_strength_densified_MPa": float(sigma[dense].mean()) * 1e-6 if n_dense else 0.0,
        "max_strength_MPa": float(sigma[active].max()) * 1e-6 if n_active else 0.0,
        "valid_range": bool(n_dense and p_lo <= p_dense <= p_hi),
        "porosity_range_of_fit": (p_lo, p_hi),
        "source": material.source_of("strength.sigma0_Pa"),
    })
    return out
