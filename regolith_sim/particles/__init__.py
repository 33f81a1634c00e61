"""Regolith powder as grains: DEM spreading and packing, grain-scale heating and sintering.

Kernels: :mod:`gpu_kernels.particles` (contacts, neighbour lists, integration) and
:mod:`gpu_kernels.particles_thermal` (conduction, radiation, source heating).

Importing this package does not start the kernel runtime; building a
:class:`~regolith_sim.particles.dem.DEMSystem` does (``gpu_kernels.backend.ensure_init``) unless
one was started before. Case files and the ``regolith-sim particles`` verbs:
:func:`run_particles` (:mod:`regolith_sim.particles.runner`, loaded on first use so that the
kernels and the benchmark import with Taichi and NumPy alone).
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
    "load_particle_case",
    "run_particles",
    "ContactModel",
    "GrainSizeDistribution",
    "SinterModel",
    "ThermalModel",
    "arrhenius_viscosity",
    "frenkel_neck_radius",
    "hertz_damping_factor",
    "rayleigh_time",
]


def __getattr__(name):
    if name == "run_particles":
        from .runner import run_particles

        return run_particles
    if name == "load_particle_case":
        from .config import load_particle_case

        return load_particle_case
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
