"""Quantities of a solid: volume, mass, shielding along a ray, bricks needed, and a part report.

Meshes are in metres. Areal density is reported in g/cm^2, the unit of shielding studies:
1 kg/m^2 = 0.1 g/cm^2, so a slab of thickness t (m) and density rho (kg/m^3) gives rho t / 10.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import trimesh

from regolith_sim.errors import UserError
from regolith_sim.units import parse_quantity

from .registry import get_part

#: kg/m^2 -> g/cm^2
KG_M2_TO_G_CM2 = 0.1
#: ceil() ignores a remainder below this share of a brick: it is round-off in the volumes
ROUNDING_SLACK = 1e-6


def _density(value: float | str) -> float:
    try:
        rho = parse_quantity(value, "density")
    except ValueError as exc:
        raise UserError(f"density = {value!r}: {exc}", key="density") from None
    if not (math.isfinite(rho) and rho > 0):
        raise UserError(f"density = {value!r} must be a positive number of kg/m^3", key="density")
    return rho


def _closed(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    if not mesh.is_watertight:
        raise UserError("the mesh is not watertight, so it has no volume; close it first", key="geometry.file")
    return mesh


def volume(mesh: trimesh.Trimesh) -> float:
    """Enclosed volume (m^3) of a watertight mesh in metres."""
    return float(abs(_closed(mesh).volume))


def mass(mesh: trimesh.Trimesh, density_kg_m3: float | str) -> float:
    """Mass (kg) of the solid at a uniform density (kg/m^3, or a string such as ``"1.8 g/cm3"``)."""
    return volume(mesh) * _density(density_kg_m3)


def chord_length(mesh: trimesh.Trimesh, origin, direction) -> float:
    """Total length (m) of the ray ``origin + s direction, s >= 0`` that lies inside the solid.

    Each crossing of the surface counts +s where the ray leaves the solid (face normal along
    the ray) and -s where it enters, so the result does not depend on knowing whether the
    origin is inside. Hits on a shared edge or vertex are reported once per face; they are
    merged into one crossing.
    """
    origin = np.asarray(origin, dtype=float)
    direction = np.asarray(direction, dtype=float)
    direction = direction / np.linalg.norm(direction)
    locations, _, triangles = mesh.ray.intersects_location([origin], [direction], multiple_hits=True)
    if len(locations) == 0:
        return 0.0
    s = (locations - origin) @ direction
    facing = mesh.face_normals[triangles] @ direction
    keep = (s >= 0) & (np.abs(facing) > 1e-12)  # grazing faces neither enter nor leave
    s, facing = s[keep], facing[keep]
    order = np.argsort(s)
    s, facing = s[order], facing[order]
    tol = 1e-9 * max(float(mesh.scale), 1e-12)
    crossing = np.concatenate([[0], np.cumsum(np.diff(s) > tol)])
    total = 0.0
    for k in range(crossing[-1] + 1 if len(s) else 0):
        here = crossing == k
        total += np.sign(facing[here].sum()) * s[here].mean()
    return float(total)


def shielding_areal_density(mesh: trimesh.Trimesh, density_kg_m3: float | str, origin, direction) -> float:
    """Areal density (g/cm^2) of the solid along a ray: chord length inside (m) x density / 10.

    ``origin`` (m) and ``direction`` (any length) define the ray; only s >= 0 counts.
    """
    return chord_length(_closed(mesh), origin, direction) * _density(density_kg_m3) * KG_M2_TO_G_CM2


def _volume_of(item, what: str) -> float:
    if isinstance(item, trimesh.Trimesh):
        return volume(item)
    value = float(item)
    if not (math.isfinite(value) and value > 0):
        raise UserError(f"{what} volume = {item!r} must be a positive number of m^3", key="geometry.bricks")
    return value


def bricks_needed(structure: trimesh.Trimesh | float, brick: trimesh.Trimesh | float,
                  joint_fraction: float = 0.0) -> int:
    """Number of bricks to build ``structure`` (mesh or volume in m^3) from ``brick`` (mesh or m^3).

    Rule: ceil(V_structure x (1 - joint_fraction) / V_brick). ``joint_fraction`` is the share
    of the structure's volume taken by joints rather than brick: 0 for dry-stacked bricks
    that fill it exactly (the default, e.g. the voussoirs of an arch or interlocking bricks
    whose clearances are already in the brick volume), about 0.02 for dry joints with loose
    tolerances, about 0.15-0.25 for mortar joints of 5-10 mm between centimetre-scale bricks.
    No allowance for breakage or spares is added.
    """
    if not 0.0 <= joint_fraction < 1.0:
        raise UserError(f"joint_fraction = {joint_fraction!r} is out of range; allowed 0 to below 1 "
                        f"(share of the structure volume taken by joints)", key="geometry.bricks")
    ratio = _volume_of(structure, "structure") * (1.0 - joint_fraction) / _volume_of(brick, "brick")
    return max(1, math.ceil(ratio - ROUNDING_SLACK))


def part_report(name: str, params: dict[str, Any] | None, density: float | str) -> dict[str, Any]:
    """Summary of a part built with ``params`` (None: defaults) at ``density`` (kg/m^3).

    Keys: part, params (m / deg), density_kg_m3, volume_m3, mass_kg, bounds_m (min and max
    corner), extents_m, watertight, thickness_m and areal_density_g_cm2 (per named ray
    through the part's protective thickness: zenith, radial, ...).
    """
    spec = get_part(name)
    values = spec.resolve(params or {})
    mesh = next(iter(spec.bodies(**values).values()))
    rho = _density(density)
    chords = {label: chord_length(mesh, origin, direction)
              for label, (origin, direction) in spec.rays(values).items()}
    return {
        "part": spec.name,
        "params": values,
        "density_kg_m3": rho,
        "volume_m3": volume(mesh),
        "mass_kg": volume(mesh) * rho,
        "bounds_m": mesh.bounds.tolist(),
        "extents_m": mesh.extents.tolist(),
        "watertight": bool(mesh.is_watertight),
        "thickness_m": chords,
        "areal_density_g_cm2": {label: chord * rho * KG_M2_TO_G_CM2 for label, chord in chords.items()},
    }
