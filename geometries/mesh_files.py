"""Reading user meshes and writing part meshes to files."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import trimesh

from regolith_sim.errors import UserError
from regolith_sim.io.safe_read import check_regular

from .brep import CAD_INSTALL, have_cad
from .brep.step_file import STEP_SUFFIXES

#: suffix -> trimesh file type, for reading and writing
MESH_FORMATS = {".stl": "stl", ".obj": "obj", ".ply": "ply", ".3mf": "3mf", ".glb": "glb"}
#: formats whose coordinates carry no unit, and the units ``export`` writes them in
UNITLESS_SUFFIXES = (".stl", ".obj", ".ply")
EXPORT_UNITS = ("m", "mm")
#: suffixes written only from a parametric part's B-rep (geometries.export_step, CAD extra)
CAD_FORMATS = STEP_SUFFIXES
LOAD_KEY = "geometry.file"
EXPORT_KEY = "geometry.export"


def open_edge_count(mesh: trimesh.Trimesh) -> tuple[int, int]:
    """Edges used by one face (holes) and by more than two faces (non-manifold)."""
    _, counts = np.unique(mesh.edges_sorted, axis=0, return_counts=True)
    return int(np.sum(counts == 1)), int(np.sum(counts > 2))


def _declared_unit_to_m(mesh: trimesh.Trimesh, suffix: str, path: Path) -> float:
    """Factor from the unit a file declares to metres; 1 for formats without one."""
    if suffix != ".3mf":
        return 1.0
    unit = mesh.units or "millimeter"  # the 3MF default unit
    try:
        return float(trimesh.units.unit_conversion(unit, "meters"))
    except (ValueError, KeyError) as exc:
        raise UserError(f"mesh file {str(path)!r} declares an unknown unit {unit!r}", key=LOAD_KEY) from exc


def load_mesh(path: str | os.PathLike, scale: float = 1.0) -> trimesh.Trimesh:
    """A closed solid (m) from an STL/OBJ/PLY/3MF/GLB file.

    STL, OBJ and PLY carry no unit: their coordinates are multiplied by ``scale`` to give
    metres (0.001 for a file drawn in mm). 3MF declares its unit (millimetres by default)
    and glTF/GLB is metres by specification; both are converted to metres first and then
    multiplied by ``scale`` (leave it at 1). Raises
    UserError for a missing or unreadable file and for a mesh that is not watertight
    (the message gives the number of open edges).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_FORMATS:
        raise UserError(f"cannot read {str(path)!r}: unknown mesh format {suffix or '(none)'!r}; "
                        f"allowed: {', '.join(MESH_FORMATS)}", key=LOAD_KEY)
    check_regular(path, what="mesh file", key=LOAD_KEY)  # no device, pipe or folder; a size cap
    if not (isinstance(scale, (int, float)) and np.isfinite(scale) and scale > 0):
        raise UserError(f"scale = {scale!r} must be a positive number (file units to metres)", key=LOAD_KEY)
    try:
        mesh = trimesh.load(path, file_type=MESH_FORMATS[suffix], force="mesh")
    except Exception as exc:  # the readers raise many types for corrupt files
        raise UserError(f"cannot read mesh file {str(path)!r} as {suffix}: {exc}", key=LOAD_KEY) from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise UserError(f"mesh file {str(path)!r} holds no triangles", key=LOAD_KEY)
    # formats that store normals or UVs per corner split vertices; only positions matter here
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    mesh.apply_scale(float(scale) * _declared_unit_to_m(mesh, suffix, path))
    holes, nonmanifold = open_edge_count(mesh)
    if holes or nonmanifold:
        raise UserError(f"mesh in {str(path)!r} is not watertight: {holes} open (boundary) edges and "
                        f"{nonmanifold} edges shared by more than two faces; close it before use",
                        key=LOAD_KEY)
    if not mesh.is_winding_consistent:
        mesh.fix_normals()
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def _step_refusal(path: Path) -> str:
    """Why a triangle mesh cannot be written as STEP, and how a STEP file is made instead."""
    made_from = ("STEP files are made from a parametric part's B-rep "
                 "(regolith-sim geometry build NAME --out x.step, or geometries.export_step)")
    if not have_cad():
        made_from += f", which needs the CAD extra ({CAD_INSTALL}), not installed"
    return (f"cannot write {str(path)!r}: a triangle mesh (a user mesh or the as-built isosurface) "
            f"cannot become a STEP B-rep; {made_from}; allowed for meshes: {', '.join(MESH_FORMATS)}")


def export(mesh: trimesh.Trimesh, path: str | os.PathLike, units: str = "m") -> Path:
    """Write ``mesh`` (m) to ``path`` in the format given by its suffix, atomically.

    STL, OBJ and PLY carry no unit: their coordinates are in ``units``, 'm' (the default, as
    :func:`load_mesh` reads them) or 'mm' (what slicers and CAD expect, and what ``regolith-sim run``
    and ``geometry build`` write); GLB is in metres (glTF's unit) and 3MF in millimetres, the unit it
    declares, whatever ``units`` says. STEP (.step/.stp) is
    refused: it is written from a part's B-rep by :func:`geometries.export_step`.
    The file appears complete or not at all: it is written next to the target and renamed.
    Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if units not in EXPORT_UNITS:
        raise UserError(f"units = {units!r}: allowed {', '.join(map(repr, EXPORT_UNITS))}", key=EXPORT_KEY)
    if suffix in CAD_FORMATS:
        raise UserError(_step_refusal(path), key=EXPORT_KEY)
    if suffix not in MESH_FORMATS:
        raise UserError(f"cannot write {str(path)!r}: unknown suffix {suffix or '(none)'!r}; "
                        f"allowed: {', '.join(MESH_FORMATS)}", key=EXPORT_KEY)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist", key=EXPORT_KEY)
    if suffix == ".3mf" or (units == "mm" and suffix in UNITLESS_SUFFIXES):
        # (trimesh labels every 3MF as millimetres, so write millimetres to keep the label true)
        mesh = mesh.copy()
        mesh.apply_scale(1000.0)
    data = mesh.export(file_type=MESH_FORMATS[suffix])
    if isinstance(data, str):
        data = data.encode("utf-8")
    # mkstemp makes the file private (0600); give it the mode an ordinary new file would get
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
