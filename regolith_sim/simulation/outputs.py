"""Everything a finished run writes into its folder, each file atomically:

- ``summary.json``, ``fields.npz``, ``melt_pool.csv`` (the :class:`Result`);
- ``probes.csv`` when the case names probes;
- ``fields.pvd`` + ``fields/frame_*.vti`` (written while the run goes, by the frame recorder);
- the as-built part: surface ``part.stl|3mf|obj|ply|glb`` and voxel ``part.vtu|inp|msh``;
- PNG plots and an off-screen render.
"""
from __future__ import annotations

import logging
from pathlib import Path

SURFACE_FORMATS = ("stl", "3mf", "obj", "ply", "glb")
log = logging.getLogger(__name__)


def distorted(mesh, displacement, grid, scale: float = 1.0):
    """A copy of ``mesh`` whose vertices moved by ``scale`` x the displacement [m] of the cell holding them."""
    import numpy as np

    idx = np.floor((np.asarray(mesh.vertices) - np.asarray(grid.origin)) / grid.dx).astype(int)
    idx = np.clip(idx, 0, np.asarray(grid.shape) - 1)
    out = mesh.copy()
    out.vertices = mesh.vertices + scale * displacement[idx[:, 0], idx[:, 1], idx[:, 2]]
    return out


def write_part_meshes(result, mesh, formats, out_dir: Path, scale: float = 1.0, units: str = "mm") -> dict[str, Path]:
    """The as-built part as a watertight isosurface (``mesh``, None when nothing consolidated in the part or
    joined to it) and as a voxel mesh, in the requested formats; with a displacement field also ``part_distorted.stl`` (the
    isosurface moved by ``scale`` x the displacement). STL, OBJ and PLY coordinates are in ``units``
    ('mm' or 'm', ``output.mesh_units``)."""
    from ..io.voxel_mesh import VOXEL_FORMATS, consolidated_mesh, write_voxel_mesh
    from ..sintering.asbuilt import joined_to_part

    files: dict[str, Path] = {}
    f, g = result.fields, result.grid
    if formats and not joined_to_part(f["state"], f.get("part_mask")).any():
        log.warning("no part mesh written (%s): nothing consolidated in the designed part or joined to it, so there "
                    "is no part to export (part.detached_fragments counts what consolidated elsewhere)",
                    ", ".join(f"part.{x}" for x in formats))
    if mesh is not None:
        import geometries

        for fmt in (x for x in formats if x in SURFACE_FORMATS):
            files[f"part_{fmt}"] = geometries.export(mesh, out_dir / f"part.{fmt}", units)
        if "displacement_m" in f and f["displacement_m"].any():  # (none while nothing has cooled enough to carry)
            moved = distorted(mesh, f["displacement_m"], g, scale)
            files["part_distorted_stl"] = geometries.export(moved, out_dir / "part_distorted.stl", units)
    voxel = [x for x in formats if x in VOXEL_FORMATS]
    if voxel:
        vmesh = consolidated_mesh(f, g.origin, g.dx)
        if vmesh is not None:
            for fmt in voxel:
                files[f"part_{fmt}"] = write_voxel_mesh(vmesh, out_dir / f"part.{fmt}", fmt)
    return files


def write_plots(sim, result, out_dir: Path) -> dict[str, Path]:
    from ..plots.run import plot_density_sections, plot_melt_pool, plot_probes

    files: dict[str, Path] = {}
    probes = _probe_recorder(sim)
    m = sim.material
    if probes is not None and probes.rows:
        table = probes.table()
        marks = {"glass transition": m.glass_transition_K} if m.composition_wt_pct else {}
        marks.update({"solidus": m.solidus_K, "liquidus": m.liquidus_K})
        files["plot_probes"] = plot_probes(table[:, 0], probes.columns(), table, out_dir / "probes.png", marks)
    if len(result.melt_pool_history):
        files["plot_melt_pool"] = plot_melt_pool(result.melt_pool_history, out_dir / "melt_pool.png")
    f = result.fields
    files["plot_density"] = plot_density_sections(f["rho_rel"], f["state"], f["part_mask"], result.grid,
                                                  out_dir / "density_sections.png")
    return files


def write_render(result, mesh, out_dir: Path) -> dict[str, Path]:
    """The off-screen render of ``mesh``, skipped with a warning where VTK cannot draw (no pyvista, no EGL)."""
    f, g = result.fields, result.grid
    if mesh is None:
        return {}
    try:
        from ..io.part_mesh import settled_source
        from ..plots.render import render_part

        source = settled_source(f["state"], f.get("volume_fill"), part_mask=f.get("part_mask"))
        return {"render": render_part(mesh, f["rho_rel"], source, g, out_dir / "part.png")}
    except ImportError as exc:
        log.warning("no render of the part: %s (install pyvista to get part.png)", exc)
    except RuntimeError as exc:  # VTK without a usable OpenGL/EGL context
        log.warning("no render of the part: VTK could not draw off-screen (%s)", exc)
    return {}


def _probe_recorder(sim):
    from .recorders import ProbeRecorder

    return next((r for r in sim.recorders if isinstance(r, ProbeRecorder)), None)


def write_outputs(sim, result, out_dir: Path) -> dict[str, Path]:
    out = sim.case.output
    out_dir = Path(out_dir)
    files = result.write(out_dir)
    probes = _probe_recorder(sim)
    if probes is not None and probes.rows:
        files["probes"] = probes.write_csv(out_dir / "probes.csv")
    pvd = out_dir / "fields.pvd"
    if pvd.exists():
        files["fields_pvd"] = pvd
    mesh = None
    if out.render or any(x in SURFACE_FORMATS for x in out.mesh_formats):
        from ..io.part_mesh import as_built_mesh

        mesh = as_built_mesh(result.fields["state"], result.grid.origin, result.grid.dx,  # once, for both
                             result.fields.get("volume_fill"), result.fields.get("part_mask"))
    files.update(write_part_meshes(result, mesh, out.mesh_formats, out_dir, out.distortion_scale, out.mesh_units))
    if out.plots:
        files.update(write_plots(sim, result, out_dir))
    if out.render:
        files.update(write_render(result, mesh, out_dir))
    return files
