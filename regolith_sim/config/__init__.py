"""Typed case files: :class:`Case` and its sections, :func:`load_case`."""
from .loader import load_case, parse_case, read_toml
from .schema import (
    Case, GeometrySection, MaterialSection, MicrowaveSection, OutputSection, ProbeSpec, ProcessSection,
    SiteSection, SolarSection, SolverSection,
)

__all__ = [
    "Case", "GeometrySection", "MaterialSection", "MicrowaveSection", "OutputSection", "ProbeSpec",
    "ProcessSection", "SiteSection", "SolarSection", "SolverSection", "load_case", "parse_case", "read_toml",
]
