"""Boundary-representation (B-rep) solids of the parametric parts, for STEP export.

Each part of :data:`geometries.registry.PARTS` has a builder here that makes the same named
bodies as its trimesh builder, from the same resolved parameters (m, deg) and in the same
frame, but as exact CAD geometry: boxes, planar sections bounded by lines, circular arcs and
splines through the exact curves, extruded or revolved, and booleans (OpenCascade through
build123d, the optional ``cad`` extra). This package imports without build123d; the family
modules (``bricks``, ``arch``, ``dome``, ``cylinder``, ``tiles``) import it and are loaded only
when a B-rep is asked for.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from regolith_sim.errors import UserError

from ..registry import get_part

#: part name -> (family module, builder function); each builder takes the resolved parameters
BUILDERS: dict[str, tuple[str, str]] = {
    "brick": ("bricks", "brick"),
    "interlocking-brick": ("bricks", "interlocking_brick"),
    "arch-segment": ("arch", "arch_segment"),
    "dome-habitat": ("dome", "dome_habitat"),
    "cylinder-habitat": ("cylinder", "cylinder_habitat"),
    "landing-pad-tile": ("tiles", "landing_pad_tile"),
}

#: how to get the CAD kernel, for messages
CAD_INSTALL = "pip install regolith-sim[cad], Python >= 3.11"


def have_cad() -> bool:
    """Whether build123d (the ``cad`` extra) is installed."""
    return importlib.util.find_spec("build123d") is not None


def require_cad(what: str, key: str) -> None:
    """Raise UserError (``key``) saying that ``what`` needs the CAD extra, if it is missing."""
    if not have_cad():
        raise UserError(f"{what} needs the CAD extra ({CAD_INSTALL}), which is not installed", key=key)


def build_solids(name: str, **params: Any) -> dict:
    """Every named body of part ``name`` as a build123d ``Solid`` (m); the first is the part itself.

    Parameters as for :func:`geometries.build`. Raises UserError for bad parameters and when
    build123d is missing.
    """
    spec = get_part(name)
    values = spec.resolve(params)
    require_cad(f"the B-rep of {spec.name!r}", "geometry.export")
    module, function = BUILDERS[spec.name]
    builder = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    solids = builder(values)
    for body, solid in solids.items():
        if not solid.is_valid:  # a failed B-rep is a bug in the builder, not a user mistake
            raise RuntimeError(f"{spec.name} {body}: built B-rep is not a valid solid")
        solid.label = body
    return solids
