"""B-rep dome habitat: each layer (shield, inner and outer shell) is a planar meridian section
revolved about the z axis.

Same frame and layers as :mod:`geometries.dome` (axis along z, ground plane z = 0). A layer's
section is bounded by its two parallel curves of the interior half-ellipse (points from the
trimesh builder's meridian, at normal distances from :func:`geometries.dome.layer_offsets`),
the annulus on the ground and the axis. The parallel curves are cubic B-splines with the
exact end tangents (horizontal at the crown, vertical at the ground), so the revolved surface
is smooth at the pole; for ``elongation = 1`` they are circles and each layer is a spherical
shell of volume (2 pi / 3)(R_out^3 - R_in^3).
"""
from __future__ import annotations

from build123d import Solid

from ..dome import meridian, layer_offsets
from .sections import face, in_xz, line, revolve_about_z, spline

#: interpolation points along each quarter meridian: the spline then stays within 1e-9 x
#: inner_radius of the exact curve even at the flattest elongation (0.5)
SPLINE_POINTS = 129

_CROWN, _GROUND = (1.0, 0.0, 0.0), (0.0, 0.0, -1.0)  # meridian directions, crown to ground
_UP, _INWARD = (0.0, 0.0, 1.0), (-1.0, 0.0, 0.0)     # the same, ground to crown


def layer(v: dict, inner: float, outer: float) -> Solid:
    """Solid between the parallel surfaces at normal distances ``inner`` < ``outer`` (m)."""
    down = in_xz(meridian(v, outer, SPLINE_POINTS - 1))   # outer curve, crown to ground
    up = in_xz(meridian(v, inner, SPLINE_POINTS - 1)[::-1])  # inner curve, ground to crown
    section = face([
        spline(down, _CROWN, _GROUND),
        line(down[-1], up[0]),
        spline(up, _UP, _INWARD),
        line(up[-1], down[0]),
    ])
    return revolve_about_z(section)


def dome_habitat(v: dict) -> dict[str, Solid]:
    """``shield`` (the part), ``inner_shell`` and ``outer_shell`` (``v``: resolved parameters, m)."""
    return {name: layer(v, inner, outer) for name, (inner, outer) in layer_offsets(v).items()}
