"""Grain-size distributions of regolith powders and the sampling of grain diameters.

Lunar soils and simulants are close to lognormal over the bulk of their size range
(d50 ~ 40-140 um for lunar soils; e.g. LHS-1 d10/d50/d90 ~ 8/50/200 um). Size data from sieving
or laser diffraction are by volume (mass); a DEM needs grains by number. For a lognormal the
two share the geometric standard deviation and their medians differ by
d50_number = d50_volume exp(-3 ln^2 sigma_g) (Hatch & Choate 1929, J. Franklin Inst. 207:369).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: z-score of the 90th percentile of a standard normal distribution.
_Z90 = 1.2815515655446004


@dataclass(frozen=True)
class GrainSizeDistribution:
    """Lognormal grain-size distribution.

    d50_m : median diameter [m] of the ``basis`` distribution.
    sigma_g : geometric standard deviation [-] (>= 1; 1 is monodisperse).
    basis : "volume" (mass-based, as sieve and laser-diffraction data are) or "number".
    d_min_m, d_max_m : truncation [m]; default d50 sigma_g^(-/+2.5) of the number distribution.
        Truncation bounds the DEM time step (smallest grain) and the cell size (largest). For
        wide distributions (LHS-1: d10/d50/d90 ~ 8/50/200 um gives sigma_g ~ 3.5 and a number
        median below 1 um) set ``d_min_m`` explicitly: the DEM cost grows as 1/d_min (time step)
        times the number of fines, so fines are usually cut at ~d50/3 and their mass ignored.
    """

    d50_m: float
    sigma_g: float = 1.0
    basis: str = "volume"
    d_min_m: float | None = None
    d_max_m: float | None = None

    def __post_init__(self):
        if self.d50_m <= 0:
            raise ValueError(f"d50_m = {self.d50_m}: must be positive")
        if self.sigma_g < 1.0:
            raise ValueError(f"sigma_g = {self.sigma_g}: a geometric standard deviation is >= 1")
        if self.basis not in ("volume", "number"):
            raise ValueError(f"basis = {self.basis!r}: allowed 'volume' or 'number'")

    @classmethod
    def from_d10_d50_d90(cls, d10_m: float, d50_m: float, d90_m: float, **kw) -> "GrainSizeDistribution":
        """Lognormal through the given percentiles: ln sigma_g = ln(d90/d10) / (2 z90).

        d50 is kept as given; d10 and d90 fix the spread (their geometric mean need not equal
        d50 for real powders, whose distributions are skewed).
        """
        if not 0 < d10_m < d50_m < d90_m:
            raise ValueError(f"need 0 < d10 < d50 < d90, got {d10_m}, {d50_m}, {d90_m}")
        return cls(d50_m=d50_m, sigma_g=math.exp(math.log(d90_m / d10_m) / (2 * _Z90)), **kw)

    @property
    def number_median_m(self) -> float:
        """Median diameter by number [m] (Hatch-Choate conversion from the volume median)."""
        if self.basis == "number":
            return self.d50_m
        return self.d50_m * math.exp(-3.0 * math.log(self.sigma_g) ** 2)

    @property
    def bounds_m(self) -> tuple[float, float]:
        dn = self.number_median_m
        s = self.sigma_g
        lo = self.d_min_m if self.d_min_m is not None else dn * s**-2.5
        hi = self.d_max_m if self.d_max_m is not None else dn * s**2.5
        if self.basis == "volume" and self.d_max_m is None:
            # keep the coarse tail that carries the volume: 2.5 sigma of the volume distribution
            hi = self.d50_m * s**2.5
        return lo, hi

    def percentile_m(self, p: float, basis: str | None = None) -> float:
        """Diameter [m] below which a fraction p (0-1) lies, by ``basis`` (default own basis)."""
        from statistics import NormalDist

        basis = basis or self.basis
        med = self.d50_m if basis == self.basis else (
            self.number_median_m if basis == "number" else self.d50_m * math.exp(3.0 * math.log(self.sigma_g) ** 2)
        )
        return med * self.sigma_g ** NormalDist().inv_cdf(p) if self.sigma_g > 1 else med

    def _truncation_probabilities(self) -> tuple[float, float]:
        """Number-CDF values at the truncation bounds."""
        from statistics import NormalDist

        lo, hi = self.bounds_m
        ls = math.log(self.sigma_g)
        dn = self.number_median_m
        nd = NormalDist()
        return nd.cdf(math.log(lo / dn) / ls), nd.cdf(math.log(hi / dn) / ls)

    @property
    def truncated_median_m(self) -> float:
        """Median diameter by number [m] of the grains actually drawn (the truncated distribution)."""
        if self.sigma_g == 1.0:
            return self.number_median_m
        from statistics import NormalDist

        p_lo, p_hi = self._truncation_probabilities()
        lo, hi = self.bounds_m
        if not p_hi > p_lo:  # bounds far in one tail: the CDF saturates in double precision
            return math.sqrt(lo * hi)
        return self.number_median_m * self.sigma_g ** NormalDist().inv_cdf(0.5 * (p_lo + p_hi))

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """n grain diameters [m], drawn by number from the truncated lognormal (inverse CDF, so a
        window far in the tail, as for a wide volume distribution cut near its d50, costs no more)."""
        from statistics import NormalDist

        rng = np.random.default_rng(rng)
        dn = self.number_median_m
        if self.sigma_g == 1.0:
            return np.full(n, dn)
        lo, hi = self.bounds_m
        p_lo, p_hi = self._truncation_probabilities()
        if not p_hi > p_lo:
            # deep in the tail the number density is ~ a power law d^-k: sample it in log d
            return np.exp(rng.uniform(math.log(lo), math.log(hi), n))
        inv = np.vectorize(NormalDist().inv_cdf, otypes=[float])
        u = rng.uniform(p_lo, p_hi, n)
        d = dn * self.sigma_g ** inv(np.clip(u, 1e-300, 1.0 - 1e-16))
        return np.clip(d, lo, hi)

    def mean_volume_m3(self, n: int = 20000, rng: int = 0) -> float:
        """Mean grain volume [m^3] of the truncated number distribution (Monte Carlo)."""
        d = self.sample(n, rng)
        return float(np.mean(np.pi / 6 * d**3))


def median_diameter(grains: "GrainSizeDistribution | float") -> float:
    """Number-median diameter [m] of the grains drawn from a (truncated) distribution, or the
    diameter of monodisperse grains."""
    return grains.truncated_median_m if isinstance(grains, GrainSizeDistribution) else float(grains)
