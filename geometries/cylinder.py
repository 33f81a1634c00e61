"""Cylindrical surface module lying on the ground under a regolith berm (ILRS surface-module case).

Frame: module axis along x (centred on x = 0), ground plane z = 0, across the module along y.
The module of radius R is bedded ``embedment`` into the ground, so its axis is at height
h = R - embedment; bedding it (rather than resting it on a line contact) also keeps the berm
a proper solid where it meets the ground beside the module.

Berm cross-section (y, z): the crown follows a circle of radius R + berm_thickness around the
module axis; on each side a straight flank at ``slope_angle`` to the ground (the regolith's
angle of repose) is tangent to that circle and runs down to the ground. The berm is that
region above the ground minus the module, extruded over the module length; its ends stay
open for hatches and airlocks. The part mesh is the berm; :func:`cylinder_bodies` adds the
module (a closed cylinder).
"""
from __future__ import annotations

import math

import numpy as np
import shapely.geometry
import trimesh

from .params import PartSpec, angle, count, fail, fmt, length
from .solids import extrude_section, finish, snap

#: the bedding may reach at most this share of the module radius
MAX_EMBEDMENT_SHARE = 0.5

# extrusion along polygon z, then (y, z, x) -> (x, y, z): the cross-section plane becomes y-z
_TURN = np.array([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)


def _check(v: dict) -> None:
    limit = MAX_EMBEDMENT_SHARE * v["module_radius"]
    if v["embedment"] > limit:
        fail("embedment", f"embedment = {fmt(v['embedment'], 'm')} is deeper than "
                          f"{MAX_EMBEDMENT_SHARE:g} x module_radius; allowed up to {fmt(limit, 'm')}")


def _circle(center_z: float, radius: float, start: float, stop: float, n: int) -> np.ndarray:
    """Points (y, z) on a circle about (0, center_z); angles from the vertical, clockwise towards +y."""
    psi = np.linspace(start, stop, n)
    return np.column_stack([radius * np.sin(psi), center_z + radius * np.cos(psi)])


def crown_tangent(v: dict) -> tuple[float, float, float]:
    """(y, z) of the right tangent point of flank and crown circle, and y of the flank foot (m).

    The flank's outward normal (sin a, cos a) at slope a meets the crown circle (radius
    module_radius + berm_thickness about the module axis) where it is tangent to it.
    """
    alpha = math.radians(v["slope_angle"])
    rho = v["module_radius"] + v["berm_thickness"]
    y_tan = rho * math.sin(alpha)
    z_tan = v["module_radius"] - v["embedment"] + rho * math.cos(alpha)
    return y_tan, z_tan, y_tan + z_tan / math.tan(alpha)


def sections(v: dict) -> dict[str, shapely.geometry.Polygon]:
    """Cross-sections (m) in the (y, z) plane: ``berm`` and ``module``, sharing the module circle."""
    r, t, n = v["module_radius"], v["berm_thickness"], v["segments"]
    alpha = math.radians(v["slope_angle"])
    h = r - v["embedment"]
    rho = r + t
    _, _, y_foot = crown_tangent(v)
    # odd sample count puts a vertex on the crown top (the zenith ray hits it exactly)
    arc_n = 2 * max(2, round(n * alpha / (2 * math.pi))) + 1
    crown = _circle(h, rho, alpha, -alpha, arc_n)
    outer = shapely.geometry.Polygon(np.vstack([[(-y_foot, 0.0), (y_foot, 0.0)], crown]))
    module = snap(shapely.geometry.Polygon(_circle(h, r, 0.0, 2 * math.pi, n + 1)[:-1]))
    berm = snap(outer.difference(module))
    if not isinstance(berm, shapely.geometry.Polygon):
        raise RuntimeError(f"cylinder-habitat: berm cross-section is not one polygon: {berm.geom_type}")
    return {"berm": berm, "module": module}


def cylinder_bodies(**v) -> dict[str, trimesh.Trimesh]:
    """Closed solids (m): ``berm`` (the part) and ``module`` (the habitat cylinder).

    Both are extruded from outlines with the same module circle, so they meet face to face.
    """
    place = _TURN.copy()
    place[0, 3] = -v["module_length"] / 2
    return {name: finish(extrude_section(section, v["module_length"], transform=place), f"cylinder-habitat {name}")
            for name, section in sections(v).items()}


def _rays(v: dict):
    # from the module axis at mid-length: up through the crown and sideways through a flank
    axis = (0.0, 0.0, v["module_radius"] - v["embedment"])
    return {"zenith": (axis, (0.0, 0.0, 1.0)), "horizontal": (axis, (0.0, 1.0, 0.0))}


CYLINDER_HABITAT = PartSpec(
    name="cylinder-habitat",
    description="cylindrical module lying on the ground; the mesh is its regolith berm",
    params=(
        length("module_radius", 2.0, 0.1, 20.0, "outer radius of the habitat cylinder"),
        length("module_length", 6.0, 0.1, 100.0, "length of the module along x (= berm length)"),
        length("berm_thickness", 1.0, 0.05, 20.0, "regolith cover over the crown, radial"),
        angle("slope_angle", 35.0, 15.0, 60.0, "berm flank angle to the ground (angle of repose)"),
        length("embedment", 0.1, 0.001, 10.0, "depth the module is bedded into the ground"),
        count("segments", 128, 16, 2048, "facets around the module circle (tessellation)"),
    ),
    bodies=cylinder_bodies,
    check=_check,
    rays=_rays,
)
