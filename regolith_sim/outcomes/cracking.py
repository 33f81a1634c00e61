"""Thermal-shock cracking of freezing material, until the thermo-mechanics solver supplies stresses.

A layer of thickness 2a whose surface cools at a constant rate phi holds, once the transient has
passed, a parabolic temperature profile; the surface then carries the tensile stress

    sigma_s = E alpha phi a^2 / (3 kappa (1 - nu))

(Kingery 1955, J. Am. Ceram. Soc. 38:3, constant-rate cooling of an infinite slab; kappa the thermal
diffusivity of the dense material). Above the glass transition the melt relaxes this stress, so the rate
that matters is the one through freezing, which the thermal solver records per voxel (``cool_rate``).
The crack-risk index is sigma_s over the material's tensile strength; a voxel with index > 1 is taken as
cracked. Voxels that only sintered (no freezing-range cooling rate recorded) get index 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ThermoElastic:
    """Dense-material constants of the criterion (SI)."""

    youngs_modulus_Pa: float
    poisson_ratio: float
    expansion_1_K: float
    diffusivity_m2_s: float

    def surface_stress(self, cooling_rate, half_thickness: float):
        """Kingery's sigma_s [Pa] for cooling rate [K/s] over a layer of half-thickness [m]."""
        phi = np.asarray(cooling_rate, float)
        return (self.youngs_modulus_Pa * self.expansion_1_K * phi * half_thickness ** 2
                / (3.0 * self.diffusivity_m2_s * (1.0 - self.poisson_ratio)))


def crack_risk(cool_rate: np.ndarray, tensile_Pa: np.ndarray, constants: ThermoElastic,
               half_thickness: float) -> np.ndarray:
    """sigma_s / tensile strength per voxel (0 where no cooling rate was recorded or no strength)."""
    rate = np.nan_to_num(np.asarray(cool_rate, float), nan=0.0)
    sigma = constants.surface_stress(rate, half_thickness)
    t = np.asarray(tensile_Pa, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((rate > 0.0) & (t > 0.0), sigma / np.where(t > 0.0, t, 1.0), 0.0)
