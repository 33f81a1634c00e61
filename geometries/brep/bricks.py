"""B-rep bricks: the plain brick is one box, the interlocking brick is (body + tenon) - mortise.

Same frame and sizes as :mod:`geometries.bricks` (length along x, width along y, height along
z, centred on the z axis, bottom at z = 0); the boxes and the boolean are those of the
trimesh builder, so the closed-form volumes (L W H; body + tenon - mortise) hold exactly.
"""
from __future__ import annotations

from build123d import Plane, Solid, Vector

from ..bricks import mortise_size


def box(lower, upper) -> Solid:
    """Axis-aligned box between corners ``lower`` and ``upper`` (m)."""
    size = Vector(upper) - Vector(lower)
    return Solid.make_box(size.X, size.Y, size.Z, Plane(origin=lower))


def brick(v: dict) -> dict[str, Solid]:
    """The brick (``v``: resolved parameters, m)."""
    length, width, height = v["length"], v["width"], v["height"]
    return {"brick": box((-length / 2, -width / 2, 0.0), (length / 2, width / 2, height))}


def interlocking_brick(v: dict) -> dict[str, Solid]:
    """Brick with a centred tenon on top and the clearance-grown mortise underneath (m)."""
    length, width, height = v["length"], v["width"], v["height"]
    tl, tw, th = v["tenon_length"], v["tenon_width"], v["tenon_height"]
    ml, mw, md = mortise_size(v)
    # boxes overlap the body instead of touching it, as in the trimesh builder, so no boolean
    # works on coplanar faces
    sink = 0.5 * (height - md)
    body = box((-length / 2, -width / 2, 0.0), (length / 2, width / 2, height))
    tenon = box((-tl / 2, -tw / 2, height - sink), (tl / 2, tw / 2, height + th))
    mortise = box((-ml / 2, -mw / 2, -height), (ml / 2, mw / 2, md))
    return {"interlocking-brick": body.fuse(tenon).cut(mortise).clean()}
