"""Regolith powder as grains: DEM spreading and packing, grain-scale heating and sintering.

Kernels: :mod:`gpu_kernels.particles` (contacts, neighbour lists, integration) and
:mod:`gpu_kernels.particles_thermal` (conduction, radiation, source heating).

Importing this package does not start the kernel runtime; building a
:class:`~regolith_sim.particles.dem.DEMSystem` does (``gpu_kernels.backend.ensure_init``) unless
one was started before.
"""
from .grains import GrainSizeDistribution
from .physics import (
    G_MOON,
    ContactModel,
    SinterModel,
    ThermalModel,
    arrhenius_viscosity,
    frenkel_neck_radius,
    hertz_damping_factor,
    rayleigh_time,
)

__all__ = [
    "G_MOON",
    "ContactModel",
    "GrainSizeDistribution",
    "SinterModel",
    "ThermalModel",
    "arrhenius_viscosity",
    "frenkel_neck_radius",
    "hertz_damping_factor",
    "rayleigh_time",
]
