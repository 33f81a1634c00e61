"""The print simulation end to end: :class:`Simulation` and its :class:`Result`."""
from .bed import build_part, build_parts
from .domain import Domain, build_domain
from .result import SUMMARY_UNITS, Result
from .job import run_job
from .simulation import Simulation

__all__ = ["Domain", "Result", "SUMMARY_UNITS", "Simulation", "build_domain", "build_part", "build_parts",
           "run_job"]
