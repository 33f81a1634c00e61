"""An off-screen picture of the as-built part coloured by relative density (pyvista/VTK, EGL when
there is no display)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_path


def surface_density(vertices: np.ndarray, rho: np.ndarray, source: np.ndarray, grid) -> np.ndarray:
    """Relative density at isosurface vertices: that of the densest material among the 8 sub-cells whose centres
    surround the vertex (a vertex lies between the part and the powder around it), each sub-cell's material the
    cell ``source`` names (``io.part_mesh.settled_source``: settled and vesicular material stands lower or higher
    than its own cell)."""
    from ..io.part_mesh import SUB_CELLS

    spacing = np.array([grid.dx, grid.dx, grid.dx / SUB_CELLS])
    solid_rho = np.where(source >= 0, np.take_along_axis(np.asarray(rho, float), np.maximum(source, 0), axis=2), 0.0)
    base = np.floor((vertices - np.asarray(grid.origin)) / spacing - 0.5).astype(int)
    out = np.zeros(len(vertices))
    hi = np.asarray(source.shape) - 1
    for off in np.ndindex(2, 2, 2):
        idx = np.clip(base + np.asarray(off), 0, hi)
        out = np.maximum(out, solid_rho[idx[:, 0], idx[:, 1], idx[:, 2]])
    return out


def render_part(mesh, rho: np.ndarray, source: np.ndarray, grid, path: str | Path, size=(1000, 700)) -> Path:
    """Render ``mesh`` (trimesh) with each vertex coloured by the relative density of the part there, the material
    of each sub-cell that of the cell ``source`` names (``io.part_mesh.settled_source``)."""
    if mesh is None:  # (as_built_mesh's answer when nothing consolidated)
        from ..errors import UserError

        raise UserError("render_part: no mesh to render (None: nothing consolidated, so as_built_mesh made no part)",
                        key="mesh")
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    import pyvista as pv
    from vtkmodules.vtkCommonCore import vtkLogger

    # VTK logs its search for a display ("bad X server connection", with colour codes) before falling back
    # to off-screen rendering: a run's stderr is for the user's errors and warnings, not VTK's.
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)

    surface = pv.wrap(mesh)
    surface.point_data["relative density"] = surface_density(mesh.vertices, rho, source, grid)
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    plotter.add_mesh(surface, scalars="relative density", cmap="viridis", clim=(0.3, 1.0), smooth_shading=True)
    plotter.set_background("white")
    plotter.view_isometric()
    plotter.camera.zoom(1.2)
    path = Path(path)
    with atomic_path(path) as tmp:
        plotter.screenshot(str(tmp))
    plotter.close()
    return path
