"""Thermal process solver: enthalpy-form heat conduction with moving sources on a voxel grid."""
from .grid import Grid
from .solver import Boundary, EnergyLedger, ThermalSolver
from .sources import SurfaceSource
from .tables import ThermalTables

__all__ = ["Boundary", "EnergyLedger", "Grid", "SurfaceSource", "ThermalSolver", "ThermalTables"]
