"""Writing parametric parts to STEP (ISO 10303-21, AP214) from their B-rep.

STEP files carry their length unit. The solids are built in metres and handed to the
writer as metres; OpenCascade's STEP writer then writes millimetres (its default
``write.step.unit``) and declares ``SI_UNIT(.MILLI.,.METRE.)``, so CAD opens a 40 mm brick
as 40 mm.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from regolith_sim.errors import UserError
from regolith_sim.io.atomic import atomic_path

from ..registry import get_part
from . import build_solids, require_cad

STEP_SUFFIXES = (".step", ".stp")
EXPORT_KEY = "geometry.export"


def export_step(name: str, path: str | os.PathLike, *, all_bodies: bool = False, **params: Any) -> Path:
    """Write part ``name`` as a STEP B-rep (millimetres) to ``path`` (.step or .stp), atomically.

    ``params`` as for :func:`geometries.build`. With ``all_bodies`` every named body of the
    part (the dome's two shells, the habitat module) is written too, each a named solid;
    otherwise only the part itself. The file appears complete or not at all. Raises
    UserError for a bad suffix, a missing folder, bad parameters or a missing CAD extra.
    Returns the path written.
    """
    path = Path(path)
    if path.suffix.lower() not in STEP_SUFFIXES:
        raise UserError(f"cannot write {str(path)!r} as STEP: suffix {path.suffix or '(none)'!r}; "
                        f"allowed: {', '.join(STEP_SUFFIXES)}", key=EXPORT_KEY)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist", key=EXPORT_KEY)
    spec = get_part(name)
    spec.resolve(params)  # a wrong parameter is reported before a missing extra
    require_cad(f"writing {str(path)!r} (STEP from the part's B-rep)", EXPORT_KEY)
    solids = build_solids(spec.name, **params)

    from build123d import Compound, Unit
    from build123d import export_step as write_step

    if all_bodies:
        shape = Compound(label=spec.name, children=list(solids.values()))
    else:
        shape = next(iter(solids.values()))
        shape.label = spec.name
    with atomic_path(path) as tmp:
        # Unit.M: the shape's coordinates are metres; the writer converts them to millimetres
        write_step(shape, str(tmp), unit=Unit.M)
    return path
