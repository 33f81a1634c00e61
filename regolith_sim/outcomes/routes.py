"""Matrix strength of consolidated regolith, per simulant and per consolidation route.

The strength of the consolidated material itself (before layers, voids and cracks are counted)
follows a porosity law fitted to specimens made by one route, with the log-scatter of the data it was
fitted to. Two kinds of pore are told apart, since they weaken the solid differently:

* the pores left between sintering grains, P = 1 - rho_rel: sigma0 (1 - P/P_c)^n (Phani & Niyogi 1987;
  Ternero et al. 2021 for strength), which vanishes at the critical porosity P_c, the green porosity of the
  powder, where the grains only touch (Rice 1998): a barely sintered powder carries next to nothing (the
  exponential law of Ryshkewitch 1953 left it ~2 % of sigma0). The data's P_c is the material's powder's;
  a run whose bed is packed looser or denser (``material.initial_relative_density``) moves P_c to the bed's
  green porosity and refits n and sigma0 through the law's values at the ends of its fitted porosity range
  (:meth:`MatrixStrength.for_green_porosity`), so the specimens' data stay matched;
* vesicles, gas bubbles closed inside melted material, a volume fraction phi_v of it: exp(-b_v phi_v)
  (Ryshkewitch 1953, J. Am. Ceram. Soc. 36:65), isolated pores in a continuous matrix like the residual
  pores of the near-dense specimens the slope was fitted to.

A material's data file holds one table per route it has data for, ``[strength.<route>]``.
A route without specimens of its own either names another route of the same simulant whose law it
shares, with the reason (``same_as = "furnace"``, ``reason = "..."``: the summary then says so), or
carries ``missing = "why"``, and the estimate is null with that reason. A fit made for another
simulant is never used, and a shared law is never silent.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..materials.laws import compressive_strength, percolation_strength

#: Consolidation routes with the heat sources of a case that produce them.
ROUTES = {"solar": "concentrated sunlight", "laser": "laser", "microwave": "microwave heating",
          "furnace": "furnace or vacuum-furnace sintering"}
#: z of the 10th and 90th percentiles of a normal distribution: the band the estimate reports.
Z_BAND = 1.2816


def route_of(source: str) -> str:
    """The consolidation route of a case's heat source ('solar', 'laser', 'microwave', 'furnace')."""
    if source not in ROUTES:
        raise ValueError(f"unknown route {source!r}; allowed: {', '.join(ROUTES)}")
    return source


@dataclass(frozen=True)
class MatrixStrength:
    """sigma(P, phi_v) = sigma0 (1 - P/P_c)^n exp(-b_v phi_v) [Pa] with a log-normal scatter of standard
    deviation ``scatter_ln`` (P the porosity between grains, phi_v the vesicle fraction)."""

    route: str
    sigma0_Pa: float
    critical_porosity: float
    exponent: float
    vesicle_b: float
    porosity_range: tuple[float, float]
    scatter_ln: float
    source: str
    shared_from: str | None = None  #: the route whose specimens the law was fitted to, when not this one
    note: str = ""                  #: why a shared law applies

    def at(self, porosity, z: float = 0.0, vesicles=0.0):
        """Strength [Pa] at a porosity between grains ``porosity`` and a vesicle fraction ``vesicles``, at z
        standard deviations of the scatter (0: the median)."""
        P = np.clip(np.asarray(porosity, dtype=float), 0.0, 1.0)
        grains = percolation_strength(P, self.sigma0_Pa * np.exp(z * self.scatter_ln), self.critical_porosity,
                                      self.exponent)
        return grains * compressive_strength(np.clip(np.asarray(vesicles, dtype=float), 0.0, 1.0), 1.0,
                                             self.vesicle_b)

    def for_green_porosity(self, P_c: float) -> "MatrixStrength":
        """The law for a bed of green porosity ``P_c`` [-]: the critical porosity moves there, n and sigma0
        are refitted through the law's own values at the two ends of its fitted porosity range. Unchanged when
        P_c is the data's, or does not lie above that range (the law would not be a critical-porosity law)."""
        lo, hi = self.porosity_range
        if abs(P_c - self.critical_porosity) < 1e-9 or not (hi < P_c < 1.0 and lo < hi):
            return self
        s_lo, s_hi = float(self.at(lo)), float(self.at(hi))
        n = np.log(s_lo / s_hi) / np.log((1.0 - lo / P_c) / (1.0 - hi / P_c))
        return replace(self, sigma0_Pa=s_lo / (1.0 - lo / P_c) ** n, critical_porosity=float(P_c),
                       exponent=float(n))

    def extrapolated(self, porosity: float) -> bool:
        lo, hi = self.porosity_range
        return not lo <= porosity <= hi


def matrix_strength(material, route: str, green_porosity: float | None = None) -> MatrixStrength | str:
    """The material's matrix-strength law for ``route``, or the reason there is none. A route table may
    instead name another route of the same material (``same_as``, with its ``reason``): the law is then
    that route's, labelled as shared. ``green_porosity``: the run's bed, when it is not the material's
    powder (:meth:`MatrixStrength.for_green_porosity`)."""
    law = _route_law(material, route)
    if isinstance(law, str) or green_porosity is None:
        return law
    return law.for_green_porosity(green_porosity)


def _route_law(material, route: str) -> MatrixStrength | str:
    route_of(route)
    shared = material.text.get(f"strength.{route}.same_as")
    if shared:
        if shared not in ROUTES or material.text.get(f"strength.{shared}.same_as"):
            return f"{material.name}: strength.{route}.same_as = {shared!r} must name a route with its own data"
        law = _own_law(material, shared)
        if isinstance(law, str):
            return law
        why = material.text.get(f"strength.{route}.reason", "")
        return replace(law, route=route, shared_from=shared, note=why)
    return _own_law(material, route)


def strength_by_route(material) -> dict:
    """Per route, the material's matrix-strength law as `materials show` reports it: its parameters (SI) and
    source, with the route it is shared from and why, or ``law`` None and the reason there is none."""
    out = {}
    for route in ROUTES:
        law = matrix_strength(material, route)
        if isinstance(law, str):
            out[route] = {"law": None, "reason": law}
            continue
        out[route] = {"law": "sigma0 (1 - P/P_c)^n exp(-b_v phi_v)", "sigma0_Pa": law.sigma0_Pa,
                      "critical_porosity": law.critical_porosity, "exponent": law.exponent,
                      "vesicle_b": law.vesicle_b, "porosity_range_of_fit": list(law.porosity_range),
                      "scatter_ln": law.scatter_ln, "source": law.source, "shared_from": law.shared_from,
                      "reason": law.note or None}
    return out


def tensile_strength(material, porosity, route: str, vesicles=0.0, green_porosity: float | None = None):
    """sigma_t(P, phi_v) = r sigma_c(P, phi_v) [Pa]: the material's tensile/compressive ratio r
    (``elastic.tensile_to_compressive``) times its matrix law for the route (for a bed of ``green_porosity``),
    or None without a law."""
    law = matrix_strength(material, route, green_porosity)
    if isinstance(law, str):
        return None
    return material.get("elastic.tensile_to_compressive") * law.at(porosity, vesicles=vesicles)


def _own_law(material, route: str) -> MatrixStrength | str:
    prefix = f"strength.{route}."
    keys = ("sigma0_Pa", "critical_porosity", "exponent", "vesicle_b", "porosity_min", "porosity_max", "scatter_ln")
    if all(material.has(prefix + k) for k in keys):
        g = lambda k: material.get(prefix + k)  # noqa: E731
        return MatrixStrength(route, g("sigma0_Pa"), g("critical_porosity"), g("exponent"), g("vesicle_b"),
                              (g("porosity_min"), g("porosity_max")), g("scatter_ln"),
                              material.source_of(prefix + "sigma0_Pa"))
    reason = material.text.get(f"strength.{route}.missing")
    if reason:
        return f"{material.name} has no {ROUTES[route]} strength data: {reason}"
    return f"{material.name} has no {ROUTES[route]} strength data ([strength.{route}] is absent from its data file)"
