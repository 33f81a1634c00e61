"""Dome habitat: a double pressure shell under a regolith shield ("YueHuZun"-style egg dome).

Frame: axis along z, standing on the ground plane z = 0. The habitable interior is the upper
half of an ellipsoid of revolution with horizontal radius ``inner_radius`` and vertical
semi-axis ``elongation x inner_radius`` (1 = hemisphere, > 1 = egg, < 1 = flattened). Every
layer surface is the exact parallel (offset) surface of that interior at a fixed normal
distance, so each layer has a uniform thickness everywhere, and each layer meets the ground
as a flat annulus. Outwards: inner shell, empty gap, outer shell, regolith shield.

The part mesh is the regolith shield alone (the printed/sintered structure);
:func:`dome_bodies` gives the shells too, each a separate closed solid.
"""
from __future__ import annotations

import numpy as np
import trimesh

from .params import PartSpec, count, length, ratio
from .solids import finish, revolve_profile


def layer_offsets(v: dict) -> dict[str, tuple[float, float]]:
    """Inner and outer normal distance (m) of each solid layer from the interior surface."""
    ts, gap, shield = v["shell_thickness"], v["gap"], v["shield_thickness"]
    return {
        "shield": (2 * ts + gap, 2 * ts + gap + shield),
        "inner_shell": (0.0, ts),
        "outer_shell": (ts + gap, 2 * ts + gap),
    }


def meridian(v: dict, offset: float, n: int) -> np.ndarray:
    """Points (r, z) of the interior meridian offset by ``offset`` (m), crown to ground."""
    a = v["inner_radius"]
    c = v["elongation"] * a
    theta = np.linspace(0.0, np.pi / 2, n + 1)
    base = np.column_stack([a * np.sin(theta), c * np.cos(theta)])
    # outward normal of r^2/a^2 + z^2/c^2 = 1 is along (c sin, a cos)
    normal = np.column_stack([c * np.sin(theta), a * np.cos(theta)])
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    points = base + offset * normal
    points[0, 0] = 0.0  # the crown lies exactly on the axis (the revolution closes there)
    points[-1, 1] = 0.0  # the springing lies exactly on the ground
    return points


def _layer(v: dict, inner: float, outer: float) -> trimesh.Trimesh:
    n = max(4, v["segments"] // 4)  # same angular step along the meridian as around the axis
    profile = np.vstack([meridian(v, outer, n), meridian(v, inner, n)[::-1]])
    return revolve_profile(profile, v["segments"])


def dome_bodies(**v) -> dict[str, trimesh.Trimesh]:
    """Closed solids of the dome habitat: ``shield`` first, then ``inner_shell`` and ``outer_shell``."""
    return {name: finish(_layer(v, inner, outer), f"dome-habitat {name}")
            for name, (inner, outer) in layer_offsets(v).items()}


def _rays(v: dict):
    # from the floor centre: straight up through the crown, and at 45 deg elevation
    up = (0.0, 0.0, 1.0)
    slant = (float(np.sqrt(0.5)), 0.0, float(np.sqrt(0.5)))
    return {"zenith": ((0.0, 0.0, 0.0), up), "elevation_45deg": ((0.0, 0.0, 0.0), slant)}


DOME_HABITAT = PartSpec(
    name="dome-habitat",
    description="double-shell dome/egg habitat; the mesh is its regolith shield shell",
    params=(
        length("inner_radius", 2.5, 0.1, 50.0, "horizontal radius of the habitable interior at the floor"),
        length("shell_thickness", 0.02, 0.0005, 1.0, "thickness of each of the two pressure shells"),
        length("gap", 0.1, 0.0, 5.0, "empty gap between the inner and the outer shell"),
        length("shield_thickness", 0.5, 0.01, 20.0, "regolith shield thickness, normal to the surface"),
        ratio("elongation", 1.0, 0.5, 2.5, "interior height / inner_radius (1 = hemisphere, > 1 = egg)"),
        count("segments", 128, 16, 1024, "facets around the axis (tessellation)"),
    ),
    bodies=dome_bodies,
    rays=_rays,
)
