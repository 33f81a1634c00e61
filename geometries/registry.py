"""The catalogue of parametric parts and the functions that build them by name."""
from __future__ import annotations

from typing import Any

import trimesh

from regolith_sim.errors import UserError

from . import arch
from .arch import ARCH_SEGMENT
from .bricks import BRICK, INTERLOCKING_BRICK
from .cylinder import CYLINDER_HABITAT
from .dome import DOME_HABITAT
from .params import ParamSpec, PartSpec, suggest
from .tiles import LANDING_PAD_TILE

#: part name -> spec (parameters, builder, checks)
PARTS: dict[str, PartSpec] = {spec.name: spec for spec in (
    BRICK, INTERLOCKING_BRICK, ARCH_SEGMENT, DOME_HABITAT, CYLINDER_HABITAT, LANDING_PAD_TILE)}

#: UserError key for an unknown part name
PART_KEY = "geometry.part"


def get_part(name: str) -> PartSpec:
    """The spec of part ``name`` (underscores and case are forgiven); UserError with a suggestion if unknown."""
    key = str(name).strip().lower().replace("_", "-")
    if key in PARTS:
        return PARTS[key]
    raise UserError(f"unknown part {name!r}{suggest(key, list(PARTS))}; "
                    f"known parts: {', '.join(PARTS)}", key=PART_KEY)


def list_parts() -> list[str]:
    """Names of all parts, in catalogue order."""
    return list(PARTS)


def part_params(name: str) -> tuple[ParamSpec, ...]:
    """Parameter specs of part ``name`` (name, default, unit, min, max, description)."""
    return get_part(name).params


def resolve_params(name: str, **params: Any) -> dict[str, Any]:
    """All parameters of part ``name``: defaults overridden by ``params``, in m / deg, checked."""
    return get_part(name).resolve(params)


def build_bodies(name: str, **params: Any) -> dict[str, trimesh.Trimesh]:
    """Every named closed solid of part ``name``; the first entry is the part itself."""
    spec = get_part(name)
    return spec.bodies(**spec.resolve(params))


def build(name: str, **params: Any) -> trimesh.Trimesh:
    """Watertight mesh (m) of part ``name``; parameters as numbers in m / deg or strings with units."""
    return next(iter(build_bodies(name, **params).values()))


def build_whole_arch(**params: Any) -> trimesh.Trimesh:
    """The whole catenary arch (all voussoirs as one ring) for the ``arch-segment`` parameters."""
    return arch.whole_arch(ARCH_SEGMENT.resolve(params))


def build_arch_segments(**params: Any) -> list[trimesh.Trimesh]:
    """Every voussoir of the arch, left foot first, for the ``arch-segment`` parameters."""
    return arch.arch_segments(ARCH_SEGMENT.resolve(params))
