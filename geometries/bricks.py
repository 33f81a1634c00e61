"""Bricks: a plain rectangular brick and a mortise-and-tenon ("sunmao") interlocking brick.

Frame: length along x, width along y, height along z; centred on the z axis with the bottom
face at z = 0. Defaults are small test bricks of the size sintered from regolith simulant for
the Chang'e-8 / Tianzhou-8 brick experiments (centimetre scale), not flight drawings.
"""
from __future__ import annotations

import trimesh

from .params import PartSpec, fail, fmt, length
from .solids import box, finish, from_manifold

#: the mortise may take at most this share of the brick's length, width and height, so the
#: walls around and above it keep at least 10 % of the brick on every side
MAX_MORTISE_SHARE = 0.8

_BRICK_SIZE = (
    length("length", 0.040, 0.001, 2.0, "brick length along x"),
    length("width", 0.020, 0.001, 2.0, "brick width along y"),
    length("height", 0.010, 0.001, 2.0, "brick height along z (without the tenon)"),
)


def brick(length: float, width: float, height: float) -> dict[str, trimesh.Trimesh]:
    """Rectangular brick of ``length`` x ``width`` x ``height`` (m), bottom at z = 0."""
    mesh = trimesh.creation.box(extents=(length, width, height))
    mesh.apply_translation((0.0, 0.0, height / 2))
    return {"brick": finish(mesh, "brick")}


def mortise_size(v: dict) -> tuple[float, float, float]:
    """Length, width, depth (m) of the recess under an interlocking brick.

    The recess is the tenon grown by the clearance on each side and on top, so a tenon of
    the brick below seats with that gap all round.
    """
    c = v["clearance"]
    return v["tenon_length"] + 2 * c, v["tenon_width"] + 2 * c, v["tenon_height"] + c


def interlocking_volume(v: dict) -> float:
    """Closed-form volume (m^3): body + tenon - mortise."""
    ml, mw, md = mortise_size(v)
    body = v["length"] * v["width"] * v["height"]
    return body + v["tenon_length"] * v["tenon_width"] * v["tenon_height"] - ml * mw * md


def _check_interlocking(v: dict) -> None:
    ml, mw, md = mortise_size(v)
    c = v["clearance"]
    for tenon, mortise, outer, extra in (("tenon_length", ml, "length", 2 * c),
                                         ("tenon_width", mw, "width", 2 * c),
                                         ("tenon_height", md, "height", c)):
        limit = MAX_MORTISE_SHARE * v[outer]
        if mortise > limit:
            fail(tenon, f"{tenon} = {fmt(v[tenon], 'm')} with clearance {fmt(c, 'm')} needs a "
                        f"mortise of {fmt(mortise, 'm')}, but at most {MAX_MORTISE_SHARE:g} x {outer} "
                        f"= {fmt(limit, 'm')} fits; allowed {tenon} <= {fmt(limit - extra, 'm')}")


def interlocking_brick(length: float, width: float, height: float, tenon_length: float,
                       tenon_width: float, tenon_height: float, clearance: float) -> dict[str, trimesh.Trimesh]:
    """Brick with a centred rectangular tenon on top and the matching mortise underneath (m).

    Stacked bricks of the same size interlock: the tenon of one seats in the mortise of the
    one above with ``clearance`` on every side and on top.
    """
    ml, mw, md = mortise_size({"tenon_length": tenon_length, "tenon_width": tenon_width,
                               "tenon_height": tenon_height, "clearance": clearance})
    # the added and removed boxes overlap the body instead of touching it, so the boolean
    # never meets coplanar faces; the overlap stays clear of the mortise (checked sizes)
    sink = 0.5 * (height - md)
    body = box((-length / 2, -width / 2, 0.0), (length / 2, width / 2, height))
    tenon = box((-tenon_length / 2, -tenon_width / 2, height - sink),
                (tenon_length / 2, tenon_width / 2, height + tenon_height))
    mortise = box((-ml / 2, -mw / 2, -height), (ml / 2, mw / 2, md))
    mesh = from_manifold((body + tenon) - mortise)
    return {"interlocking-brick": finish(mesh, "interlocking-brick")}


def _vertical_ray(v: dict):
    # from below the brick up through the centre: crosses body, mortise and tenon
    return {"vertical": ((0.0, 0.0, -v["height"]), (0.0, 0.0, 1.0))}


BRICK = PartSpec(
    name="brick",
    description="plain rectangular brick",
    params=_BRICK_SIZE,
    bodies=brick,
    rays=_vertical_ray,
)

INTERLOCKING_BRICK = PartSpec(
    name="interlocking-brick",
    description="mortise-and-tenon (sunmao) brick: tenon on top, matching mortise underneath",
    params=_BRICK_SIZE + (
        length("tenon_length", 0.016, 0.0005, 1.5, "tenon (key) length along x"),
        length("tenon_width", 0.008, 0.0005, 1.5, "tenon width along y"),
        length("tenon_height", 0.004, 0.0005, 1.5, "tenon height above the brick top"),
        length("clearance", 0.0002, 0.0, 0.01, "gap between tenon and mortise on each side and on top"),
    ),
    bodies=interlocking_brick,
    check=_check_interlocking,
    rays=_vertical_ray,
)
