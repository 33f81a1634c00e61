"""A one-page figure of a material's temperature laws."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .figure import new_figure, save_figure


def plot_material(m, path: str | Path) -> Path:
    T = np.linspace(3.0, 2200.0, 600)
    fig, ax = new_figure(2, 2, figsize=(10, 7))
    for rho in (m.powder_relative_density, 0.8, 0.95, 1.0):
        ax[0, 0].semilogy(T, m.conductivity(T, np.full_like(T, rho)), label=f"relative density {rho:.2f}")
    ax[0, 0].set(xlabel="T [K]", ylabel="k [W/(m K)]", title="conductivity")
    ax[0, 0].legend(fontsize=8)
    ax[0, 1].plot(T, m.cp(T))
    ax[0, 1].set(xlabel="T [K]", ylabel="cp [J/(kg K)]", title="sensible heat capacity")
    ax[1, 0].plot(T, m.enthalpy(T) / 1e6)
    ax[1, 0].set(xlabel="T [K]", ylabel="h [MJ/kg]", title="enthalpy (incl. latent heat)")
    if m.composition_wt_pct:
        Tv = np.linspace(m.glass_transition_K - 50, 2200, 300)
        ax[1, 1].plot(Tv, np.log10(m.viscosity(Tv)))
        ax[1, 1].axhline(12, ls=":", c="gray")
        ax[1, 1].set(xlabel="T [K]", ylabel="log10 eta [Pa s]", title="melt viscosity (Giordano 2008)")
    for a in ax.flat:
        for t, lab in ((m.solidus_K, "solidus"), (m.liquidus_K, "liquidus")):
            a.axvline(t, ls="--", lw=0.8, c="k")
    fig.suptitle(m.name)
    return save_figure(fig, path)
