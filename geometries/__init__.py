"""Parametric structures of sintered/melted regolith, as watertight trimesh solids.

With the optional ``cad`` extra (build123d), :func:`export_step` writes a part as an exact
B-rep STEP file (:mod:`geometries.brep`), built from the same parameters.

Everything is in metres (angles in degrees). Parameters may be numbers in those units or
strings with units (``"40 mm"``); bad values raise :class:`regolith_sim.errors.UserError`
with key ``geometry.params.<parameter>`` (``geometry.part``, the case key, for an unknown part).

>>> import geometries
>>> geometries.list_parts()[:2]
['brick', 'interlocking-brick']
>>> mesh = geometries.build("brick", length="40 mm", width="20 mm", height="10 mm")
>>> round(geometries.volume(mesh) * 1e6, 6)  # cm^3
8.0
"""
from __future__ import annotations

from .brep.step_file import export_step
from .mesh_files import export, load_mesh
from .metrics import bricks_needed, chord_length, mass, part_report, shielding_areal_density, volume
from .params import ParamSpec, PartSpec
from .registry import (
    PARTS,
    build,
    build_arch_segments,
    build_bodies,
    build_whole_arch,
    list_parts,
    part_params,
    resolve_params,
)

__all__ = [
    "PARTS", "ParamSpec", "PartSpec", "build", "build_arch_segments", "build_bodies", "build_whole_arch",
    "bricks_needed", "chord_length", "export", "export_step", "list_parts", "load_mesh", "mass", "part_params",
    "part_report", "resolve_params", "shielding_areal_density", "volume",
]
