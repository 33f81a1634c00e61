"""The as-built part as a hexahedral voxel mesh for structural analysis (VTU, Abaqus ``.inp``, Gmsh
``.msh`` through meshio): one 8-node brick per consolidated voxel, sharing nodes with its neighbours,
carrying its relative density so an FEA model can map porosity to stiffness and strength."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic import atomic_path

#: Output format name -> meshio file format.
VOXEL_FORMATS = {"vtu": "vtu", "inp": "abaqus", "msh": "gmsh"}

# Corner offsets of a hexahedron in VTK/Abaqus C3D8 order: bottom face counter-clockwise, then top.
_HEX_CORNERS = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                         [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]])


def voxel_hexahedra(mask: np.ndarray, origin, dx: float):
    """Nodes [m] and hexahedra (node indices) of the voxels where ``mask`` is set, nodes shared."""
    cells = np.argwhere(mask)
    corners = (cells[:, None, :] + _HEX_CORNERS[None, :, :]).reshape(-1, 3)
    unique, inverse = np.unique(corners, axis=0, return_inverse=True)
    points = np.asarray(origin, float) + unique * dx
    return points, inverse.reshape(-1, 8), cells


def consolidated_mesh(fields: dict, origin, dx: float):
    """A meshio mesh of the consolidated voxels (state >= 2) that at least half hold settled material
    (``part_mesh.settled_cells``, from ``fields["fill"]`` when given; joined to the part with
    ``fields["part_mask"]``) with their relative density, the share of the voxel the material fills (``fill``),
    the element's smeared density (``element_relative_density`` = relative density x fill) and state, or
    None when nothing consolidated."""
    import meshio

    from .part_mesh import settled_cells

    mask = settled_cells(fields["state"], fields.get("fill"), fields.get("part_mask"))
    if not mask.any():
        return None
    points, hexes, cells = voxel_hexahedra(mask, origin, dx)
    at = tuple(cells.T)
    rho = fields["rho_rel"][at].astype(np.float64)
    # A voxel's material fills ``fill`` of it (a settled column's top cell holds half to all of one): the brick is
    # whole, so its smeared density rho_rel x fill is what gives the element the material's mass and stiffness.
    fill = np.clip(np.asarray(fields["fill"], float)[at], 0.0, 1.0) if fields.get("fill") is not None \
        else np.ones_like(rho)
    data = {"relative_density": [rho], "fill": [fill], "element_relative_density": [rho * fill],
            "state": [fields["state"][at].astype(np.int32)]}
    if "T_peak" in fields:
        data["peak_temperature_K"] = [fields["T_peak"][at].astype(np.float64)]
    if "cool_rate" in fields:
        data["solidification_cooling_rate_K_s"] = [fields["cool_rate"][at].astype(np.float64)]
    for name in ("strength_MPa", "vesicle_porosity", "crack_risk", "bonded_fraction", "von_mises_Pa",
                 "max_principal_stress_Pa", "crack_risk_stress", "displacement_m", "stress_Pa"):
        if name in fields:  # the last two per cell: 3 components, and 6 (Voigt xx, yy, zz, yz, xz, xy)
            data[name] = [fields[name][at].astype(np.float64)]
    if "defect" in fields:
        data["defect"] = [fields["defect"][at].astype(np.int32)]
    return meshio.Mesh(points, [("hexahedron", hexes)], cell_data=data)


def density_sets(rho: np.ndarray, width: float = 0.05) -> dict:
    """Element sets by relative-density band (``RHO_085`` holds 0.85 <= rho < 0.90), so an FEA model
    can give each band its own porosity-dependent section without reading cell data."""
    band = np.minimum(np.floor(rho / width + 1e-9), round(1 / width) - 1).astype(int)
    return {f"RHO_{round(b * width * 100):03d}": [np.flatnonzero(band == b)] for b in np.unique(band)}


def write_voxel_mesh(mesh, path: str | Path, fmt: str) -> Path:
    """Write one of :data:`VOXEL_FORMATS` atomically."""
    import meshio

    path = Path(path)
    n = len(mesh.cells[0].data)
    with atomic_path(path) as tmp:
        if fmt == "msh":
            # Gmsh 2.2 (binary), read by every Gmsh and most FEA importers; its element data are reals
            # and every element needs physical and geometrical tags.
            # Gmsh element data have 1, 3 or 9 components: the 6-component stress stays in the VTU
            data = {k: [np.asarray(v[0], np.float64)] for k, v in mesh.cell_data.items()
                    if np.ndim(v[0]) == 1 or np.shape(v[0])[1] == 3}
            data["gmsh:physical"] = data["gmsh:geometrical"] = [np.ones(n, np.int32)]
            meshio.Mesh(mesh.points, mesh.cells, cell_data=data).write(tmp, file_format="gmsh22", binary=True)
        elif fmt == "inp":
            # Abaqus input holds no per-element data: density bands become element sets instead (of the material's
            # relative density, its porosity: a part-filled voxel is under-filled, not porous; VTU and Gmsh carry fill)
            sets = density_sets(np.asarray(mesh.cell_data["relative_density"][0]))
            meshio.Mesh(mesh.points, mesh.cells, cell_sets=sets).write(tmp, file_format="abaqus")
            # meshio names every hexahedron C3D8RH (hybrid, reduced integration: the last of its aliases); a porous
            # ceramic voxel is the plain 8-node brick with full integration, C3D8 in Abaqus' element library
            text = Path(tmp).read_text()
            Path(tmp).write_text(text.replace("*ELEMENT, TYPE=C3D8RH", "*ELEMENT, TYPE=C3D8"))
        else:
            mesh.write(tmp, file_format=VOXEL_FORMATS[fmt])
    return path
