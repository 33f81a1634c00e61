"""Everything a finished run writes: summary, fields, melt-pool history and the as-built part."""
from __future__ import annotations

from pathlib import Path


def write_outputs(sim, result, out_dir: Path) -> dict[str, Path]:
    files = result.write(out_dir)
    from ..io.part_mesh import as_built_mesh

    mesh = as_built_mesh(result.fields["state"], result.grid.origin, result.grid.dx)
    if mesh is not None:
        import geometries

        for fmt in [f for f in sim.case.output.mesh_formats if f in ("stl", "3mf", "obj", "ply", "glb")]:
            files[f"part_{fmt}"] = geometries.export(mesh, out_dir / f"part.{fmt}")
    return files
