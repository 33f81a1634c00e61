"""From parts and the process section to a process plan: slicing, checks, toolpaths, timing.

Conventions (details in the modules named):

* frame and layers: :mod:`.slicing` (parts stand on z = 0, layer k spans [k t, (k+1) t], top z =
  (k+1) t is the z of its events);
* track rules and strategies: :mod:`.toolpaths`; hatch spacing defaults to 0.7 x spot diameter;
* timing and layer spread times: :mod:`.assemble`; travel moves run at the jump speed, by default
  ``JUMP_FACTOR`` (10) x the scan speed: a gantry or mirror repositions much faster than it scans
  regolith, and 10x keeps travel a small share of the print time without pretending it is free.

Several parts share the bed: each is placed at its (x, y) offset, every layer scans the parts in the
order given, and the bed has as many layers as the tallest part needs (``process.layers`` caps it).

Errors (:class:`PlanError`, naming key, value, what is allowed and the unit): a mesh that is not
watertight; a spot wider than a part's narrowest footprint width (no track would fit); a layer thicker
than a part; a hatch spacing larger than the spot (the tracks would not overlap and leave unheated
strips, so this is an error, not a warning); chessboard islands no wider than the hatch; a layer whose
sections are empty in every part (a gap in z); a first layer with nothing to scan.
Warnings in ``plan.warnings``: one part's section empty below its top while others have material;
a section with no track because it is narrower than about one hatch (e.g. the tip of a dome; that
layer may then stay unscanned, it is still spread and dwelt on); overlapping footprints.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import shapely
import trimesh

from .assemble import assemble
from .errors import PlanError
from .gcode import read_gcode
from .plan import ProcessPlan
from .slicing import layer_count, prepare_part, slice_part
from .toolpaths import layer_toolpath

JUMP_FACTOR = 10.0
HATCH_FACTOR = 0.7
GCODE_SUFFIXES = (".gcode", ".gc", ".g", ".nc", ".ngc", ".tap")


def hatch_spacing(process) -> float:
    """The hatch spacing [m] of a process section: as given, else ``HATCH_FACTOR`` x spot diameter."""
    return process.hatch_spacing if process.hatch_spacing is not None else HATCH_FACTOR * process.spot_diameter


def _footprint(part: trimesh.Trimesh):
    return shapely.MultiPoint(part.vertices[:, :2]).convex_hull


def _narrowest_width(footprint) -> float:
    """Smaller side of the minimum rotated rectangle around the footprint [m]."""
    rect = np.asarray(shapely.minimum_rotated_rectangle(footprint).exterior.coords)
    sides = np.hypot(*np.diff(rect[:3], axis=0).T)
    return float(sides.min())


def _check(parts: Sequence[trimesh.Trimesh], process, hatch: float):
    spot, t = process.spot_diameter, process.layer_thickness
    if hatch > spot:
        raise PlanError("hatch spacing larger than the spot leaves unheated strips between tracks",
                        key="process.hatch_spacing", value=hatch, allowed=f"<= spot_diameter = {spot:.6g} m", unit="m")
    if process.strategy == "chessboard" and process.island_size <= hatch:
        raise PlanError("chessboard islands must be wider than the hatch spacing", key="process.island_size",
                        value=process.island_size, allowed=f"> hatch spacing = {hatch:.6g} m", unit="m")
    for i, part in enumerate(parts):
        width = _narrowest_width(_footprint(part))
        if spot > width * (1.0 + 1e-9):  # (a part placed off the origin has its width to round-off)
            raise PlanError(f"spot larger than part {i}'s footprint", key="process.spot_diameter", value=spot,
                            allowed=f"<= {width:.6g} m (the part's narrowest width)", unit="m")
        height = float(part.extents[2])
        if t > height:
            raise PlanError(f"layer thicker than part {i}", key="process.layer_thickness", value=t,
                            allowed=f"<= {height:.6g} m (the part's height)", unit="m")


def _overlap_warnings(parts) -> list[str]:
    feet = [_footprint(p) for p in parts]
    return [f"parts {i} and {j} overlap on the bed" for i in range(len(feet)) for j in range(i + 1, len(feet))
            if feet[i].intersection(feet[j]).area > 0]


def _as_parts(meshes_or_mesh, offsets) -> list[trimesh.Trimesh]:
    meshes = [meshes_or_mesh] if isinstance(meshes_or_mesh, trimesh.Trimesh) else list(meshes_or_mesh)
    if not meshes:
        raise PlanError("no part to plan", key="geometry")
    offsets = [(0.0, 0.0)] * len(meshes) if offsets is None else [tuple(o) for o in offsets]
    if len(offsets) != len(meshes) or any(len(o) != 2 for o in offsets):
        raise PlanError("give one (x, y) offset per part", key="offsets", value=len(offsets),
                        allowed=f"{len(meshes)} pairs", unit="m")
    return [prepare_part(m, o) for m, o in zip(meshes, offsets)]


def _layer_paths(parts, sections, process, hatch: float, angle_deg: float):
    """Per layer, the polylines of all parts, and warnings about parts left out of a layer."""
    layers, notes = [], []
    for k in range(len(sections[0])):
        paths = []
        for i, (part, secs) in enumerate(zip(parts, sections)):
            if secs[k].is_empty:
                if (k + 1) * process.layer_thickness <= part.extents[2] + 1e-6 * process.layer_thickness:
                    notes.append(f"part {i} has an empty section in layer {k}")
                continue
            found = layer_toolpath(secs[k], process.strategy, k, hatch_spacing=hatch,
                                   island_size=process.island_size, grid_origin=tuple(part.bounds[0, :2]),
                                   angle_deg=angle_deg)
            if not found:
                notes.append(f"part {i} has nothing to scan in layer {k}: its section is narrower than "
                             "about one hatch spacing")
            paths += found
        if all(s[k].is_empty for s in sections):
            raise PlanError(f"layer {k} (z = {(k + 0.5) * process.layer_thickness:.6g} m) has an empty section: "
                            "the parts have a gap in z and the layer above would rest on loose powder",
                            key="geometry", allowed="parts with material in every layer up to their top")
        if not paths and k == 0:
            raise PlanError("nothing to scan in the first layer: the parts' bases are narrower than about one "
                            "hatch spacing", key="process.hatch_spacing", value=hatch,
                            allowed="a hatch (and spot) smaller than the base", unit="m")
        layers.append(paths)
    return layers, notes


def make_plan(meshes_or_mesh, process, offsets=None, *, jump_speed: float | None = None,
              angle_deg: float = 0.0) -> ProcessPlan:
    """Plan the print of one mesh or a list of meshes (metres, watertight) with a ProcessSection.

    ``offsets``: one (x, y) [m] per part, where it sits on the bed (default: where the mesh is).
    ``jump_speed`` [m/s] of travel moves (default ``JUMP_FACTOR`` x scan speed). ``angle_deg``: raster
    angle of layer 0 from +x. Conventions and errors are listed in the module docstring.
    """
    parts = _as_parts(meshes_or_mesh, offsets)
    hatch = hatch_spacing(process)
    jump = JUMP_FACTOR * process.scan_speed if jump_speed is None else float(jump_speed)
    if jump <= 0:
        raise PlanError("jump speed must be positive", key="jump_speed", value=jump, allowed="> 0", unit="m/s")
    _check(parts, process, hatch)
    n = max(layer_count(float(p.extents[2]), process.layer_thickness) for p in parts)
    n = min(n, process.layers) if process.layers else n
    sections = [slice_part(p, process.layer_thickness, n) for p in parts]
    layers, notes = _layer_paths(parts, sections, process, hatch, angle_deg)
    tops = (np.arange(n) + 1.0) * process.layer_thickness
    plan = assemble(layers, tops, power=process.power, spot=process.spot_diameter, scan_speed=process.scan_speed,
                    jump_speed=jump, dwell=process.dwell)
    plan.warnings += notes + _overlap_warnings(parts)
    return plan


def plan_from_file(path, process) -> ProcessPlan:
    """Read ``process.plan_file``-style input: a plan CSV, or G-code by suffix (``GCODE_SUFFIXES``).

    Missing spot and power come from ``process``; G-code's default feed is the scan speed.
    """
    path = Path(path)
    if path.suffix.lower() in GCODE_SUFFIXES:
        return read_gcode(path, spot=process.spot_diameter, default_speed=process.scan_speed,
                          default_power=process.power)
    return ProcessPlan.from_csv(path, spot=process.spot_diameter, power=process.power)
