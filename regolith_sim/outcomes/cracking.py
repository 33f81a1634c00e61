"""Thermal-shock cracking of freezing material, until the thermo-mechanics solver supplies stresses.

A layer of thickness 2a whose surface cools at a constant rate phi holds, once the transient has
passed, a parabolic temperature profile; the surface then carries the tensile stress

    sigma_s = E alpha phi a^2 / (3 kappa (1 - nu))

(Kingery 1955, J. Am. Ceram. Soc. 38:3, constant-rate cooling of an infinite slab; kappa the thermal
diffusivity of the dense material). Above the glass transition the melt relaxes this stress, so the rate
that matters is the one through freezing, which the thermal solver records per voxel (``cool_rate``) for every
voxel whose melt froze: a full melt, and a partial melt (peak between solidus and liquidus), whose melt holds
its grains as a melt's glass or crystals do, as vesicles count from the solidus on (:mod:`.body`).
The crack-risk index is sigma_s over the material's tensile strength; a voxel with index > 1 is taken as
cracked. Voxels that only sintered below the solidus (no freezing rate recorded) get index 0.

Which half-thickness. A freshly laid layer of thickness L that cools through its top face holds the same
parabolic profile over L as the half of a symmetric slab of half-thickness L. What stress that leaves depends on
what holds the layer (the plate's thermal stress is E alpha / (1 - nu) times the temperature less its mean,
and less its linear part where the plate is free to bend: Timoshenko & Goodier 1951, Theory of Elasticity,
Sec. 152):

* a layer resting on loose powder is free to bend; removing the linear part of a parabola over L leaves a
  quarter of the symmetric slab's surface stress, which is Kingery's with a = L/2 (the same a as a free layer
  cooled through both faces);
* a layer fused onto at least its own thickness of consolidated material below cannot bend freely; only the
  mean comes off, and the surface stress is Kingery's with a = L.

:func:`bending_restrained` tells the two apart per voxel.
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

    def surface_stress(self, cooling_rate, half_thickness):
        """Kingery's sigma_s [Pa] for cooling rate [K/s] over a layer of half-thickness [m] (a number or one per
        voxel)."""
        phi = np.asarray(cooling_rate, float)
        return (self.youngs_modulus_Pa * self.expansion_1_K * phi * half_thickness ** 2
                / (3.0 * self.diffusivity_m2_s * (1.0 - self.poisson_ratio)))


def bending_restrained(body: np.ndarray, bond_up: np.ndarray | None, layer_cells: int) -> np.ndarray:
    """Per voxel (bool, the grid's shape): whether at least ``layer_cells`` voxels of ``body`` lie directly under it,
    each joined to the one above by a face at least half bonded (``bond_up``: the bonded area of each voxel's face to
    +z, :func:`.bonding.face_bond`; None: every face between body voxels bonded). Such a voxel froze in a layer fused
    onto at least its own thickness of material, which keeps it from bending (module docstring)."""
    body = np.asarray(body, bool)
    joined = body[..., :-1] & body[..., 1:]  # the face between voxel k and k + 1
    if bond_up is not None:
        joined &= np.nan_to_num(np.asarray(bond_up, float)[..., :-1], nan=0.0) >= 0.5
    run = np.zeros(body.shape, np.int32)  # bonded body voxels directly under each voxel
    for k in range(1, body.shape[2]):
        run[..., k] = np.where(joined[..., k - 1], run[..., k - 1] + 1, 0)
    return body & (run >= max(int(layer_cells), 1))


def crack_risk(cool_rate: np.ndarray, tensile_Pa: np.ndarray, constants: ThermoElastic,
               half_thickness) -> np.ndarray:
    """sigma_s / tensile strength per voxel (0 where no cooling rate was recorded or no strength)."""
    rate = np.nan_to_num(np.asarray(cool_rate, float), nan=0.0)
    sigma = constants.surface_stress(rate, half_thickness)
    t = np.asarray(tensile_Pa, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((rate > 0.0) & (t > 0.0), sigma / np.where(t > 0.0, t, 1.0), 0.0)
