"""Capillary uptake of the powder under a melt pool (``gpu_kernels.sintering.capillary_uptake``).

A pool of regolith melt on loose powder wets its grains and is drawn into its pores (Washburn 1921); the melt
that fills a pore gives its heat to the grains around it, and the front stops where the mixture of melt and grains
would freeze. That is how the powder sheet between a layer's pool and the layer under it is consumed in a print:
conduction alone leaves it under the sintering onset while the melt above it is still molten (docs/outcomes.md)."""
from __future__ import annotations

import numpy as np

from gpu_kernels import backend
from gpu_kernels import sintering as K
from gpu_kernels.backend import ti

from ..errors import MaterialError
from .tables import T_HIGH

#: cos of the contact angle of regolith melt on its grains: complete wetting, silicate melt on the silicates it
#: came from (an upper bound on the capillary pressure)
WETTING_COS_THETA = 1.0
#: Relative density from which a cell's pores are closed: sintering isolates its pores at about 8 % porosity
#: (the final stage, German 1996, Sintering Theory and Practice, ch. 3), and melt cannot enter isolated pores
RHO_OPEN = 0.92


def capillary_tables(material, n_T: int = 4096) -> tuple[np.ndarray, float, float, float, float, float, float]:
    """(ln eta on a uniform grid from the solidus to the tables' top [ln Pa s], its start [K] and spacing [K],
    the Washburn coefficient gamma cos(theta) d / 6 [N], the solidus [K], the liquidus [K], the latent heat of
    fusion [J/kg]); MaterialError where the material lacks its data.

    What flows is the liquid share of the melt cells (the crystals stay where they are), and in the pores it is
    the supercooled liquid of the bulk composition at the mixture's temperature: it meets the grains and takes
    their temperature in d^2/alpha ~ 10 ms, too short for crystals to nucleate and grow in it, so its viscosity is
    the crystal-free melt's, Giordano et al. (2008, EPSL 271:123), whose fit spans the supercooled liquid down to
    the glass transition (``material.viscosity``). Crystallisation during the uptake is neglected."""
    Ts, Tl = float(material.solidus_K), float(material.liquidus_K)
    T = np.linspace(Ts, T_HIGH, n_T)
    ln_eta = np.log(np.maximum(material.viscosity(T), 1e-12))
    coef = material.get("melt.surface_tension_N_m") * WETTING_COS_THETA * material.get("grain_size.d50_m") / 6.0
    latent = float(material.latent_heat)
    return np.ascontiguousarray(ln_eta), float(T[0]), float(T[1] - T[0]), float(coef), Ts, Tl, latent


class CapillaryUptake:
    """The uptake on a thermal solver's grid, run by the :class:`~regolith_sim.sintering.densifier.Densifier`
    each time the columns settle, over the time since they last did. ``front`` holds each column's infiltrated
    pore volume per area [m] while a pool sits on its powder."""

    def __init__(self, solver, ln_eta: np.ndarray, T0: float, dT: float, coef: float, solidus: float,
                 liquidus: float, latent: float):
        fp = backend.float_type()
        self.solver = solver
        t = solver.tables
        values = dict(h0=t.h0, inv_dh=1.0 / t.dh, T0=T0, inv_dT=1.0 / dT, coef=coef, solidus=solidus,
                      inv_range=1.0 / (liquidus - solidus), dz=solver.grid.dx, rho_open=RHO_OPEN, latent=latent)
        self._cap = ti.ndarray(fp, shape=len(K.CAPILLARY_PARAMS))
        self._cap.from_numpy(np.array([values[n] for n in K.CAPILLARY_PARAMS], dtype=backend.np_float()))
        self._ln_eta = ti.ndarray(fp, shape=ln_eta.size)
        self._ln_eta.from_numpy(ln_eta.astype(backend.np_float()))
        self.front = ti.ndarray(fp, shape=tuple(solver.T.shape)[:2])
        self.front.fill(0.0)
        self.moved = 0.0  #: melt moved so far [full cells]

    @classmethod
    def build(cls, solver, material) -> "CapillaryUptake | None":
        """From the material's melt data (``melt.surface_tension_N_m``, ``grain_size.d50_m``, the composition's melt
        viscosity): None where it lacks them or the solver is a bare field holder (no masses or enthalpies)."""
        if not hasattr(solver, "mass"):
            return None
        try:
            return cls(solver, *capillary_tables(material))
        except MaterialError:
            return None

    def __call__(self, dt: float, densifier) -> float:
        """Advance the uptake by dt [s] (the densifier's accumulators, tables and constants); returns the melt
        moved [full cells]."""
        s = self.solver
        if dt <= 0.0:
            return 0.0
        moved = float(K.capillary_uptake(s.state, s.rho_rel, s.mass, s.h, s.T, s.t_liq, densifier.acc,
                                         densifier.acc_face,
                                         self.front, s._T_of_h, self._ln_eta, densifier._acc_of_rho, densifier._par,
                                         self._cap, float(dt), s.hot_box))
        self.moved += moved
        return moved
