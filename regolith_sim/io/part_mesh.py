"""The as-built part as a surface: an isosurface of the consolidated (sintered or melted) voxels."""
from __future__ import annotations

import numpy as np

#: surface formats that carry no unit of their own: written in the unit asked for (mm by default)
UNITLESS_FORMATS = ("stl", "obj", "ply")
MESH_UNITS = ("mm", "m")


def in_units(mesh, fmt: str, units: str):
    """``mesh`` (m) as it is written to a ``fmt`` file ('stl', 'obj'...): the unitless formats (STL, OBJ,
    PLY) in ``units`` ('mm' or 'm'); 3MF and GLB as they are (geometries.export writes 3MF in the mm it
    declares, GLB in glTF's metres)."""
    if units == "m" or fmt.lower().lstrip(".") not in UNITLESS_FORMATS:
        return mesh
    out = mesh.copy()
    out.apply_scale(1000.0)
    return out


def as_built_mesh(state: np.ndarray, origin, dx: float):
    """Watertight triangle mesh around voxels in state >= 2 (marching cubes at 0.5 on a padded mask,
    Lorensen & Cline 1987), or None when nothing consolidated."""
    import trimesh
    from skimage.measure import marching_cubes

    solid = (state >= 2).astype(np.float32)
    if not solid.any():
        return None
    padded = np.pad(solid, 1)
    verts, faces, _, _ = marching_cubes(padded, 0.5, spacing=(dx, dx, dx))
    verts += np.asarray(origin, float) - dx * 0.5  # pad offset (1 cell) and cell-centre sampling (+dx/2)
    mesh = trimesh.Trimesh(verts, faces[:, ::-1], process=True)
    trimesh.repair.fix_normals(mesh)
    return mesh
