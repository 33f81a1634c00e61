"""Thermo-mechanics of the printed part: stresses, crack risk and distortion (one-way coupled from the
thermal fields). :class:`MechanicsSolver` is the solver; :func:`regolith_sim.mechanics.coupling.part_mechanics`
turns a print's final fields into displacement, stress and crack-risk fields (imported from there: it
needs SciPy and the materials database, the solver needs only NumPy and the kernels)."""
from .solver import MechanicsNotConverged, MechanicsResult, MechanicsSolver, lame

__all__ = ["MechanicsNotConverged", "MechanicsResult", "MechanicsSolver", "lame"]
