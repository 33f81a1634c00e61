"""`regolith-sim run`: one case file in, a folder of results out."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .app import ArchOption, app, start_runtime


def run_case(case_file: Path, out: Optional[Path], arch: str, quiet: bool) -> Path:
    from ..config import load_case
    from ..simulation import Simulation

    case = load_case(case_file)
    start_runtime(arch if arch != "auto" else case.solver.arch, case.solver.precision, quiet)
    sim = Simulation(case)
    if not quiet:
        typer.echo(f"{case.name}: grid {sim.domain.grid.shape} cells of {sim.domain.grid.dx * 1e3:g} mm, "
                   f"{sim.domain.n_layers} layers, {sim.t_end:.1f} s to simulate", err=True)
    result = sim.run(progress=not quiet)
    out_dir = out or Path(case.output.dir or f"results/{case.name}")
    if not out_dir.is_absolute() and case.output.dir and out is None:
        out_dir = Path.cwd() / out_dir
    files = result.write(out_dir)
    from ..io.part_mesh import as_built_mesh

    mesh = as_built_mesh(result.fields["state"], result.grid.origin, result.grid.dx)
    if mesh is not None:
        import geometries

        for fmt in [f for f in case.output.mesh_formats if f in ("stl", "3mf", "obj", "ply", "glb")]:
            files[f"part_{fmt}"] = geometries.export(mesh, out_dir / f"part.{fmt}")
    typer.echo(json.dumps(result.summary, indent=2, default=float))
    typer.echo(f"outputs in {out_dir.resolve()}: " + ", ".join(sorted(p.name for p in files.values())))
    return out_dir


@app.command()
def run(
    case_file: Path = typer.Argument(..., help="Case file (TOML)"),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: output.dir or results/<name>)"),
    arch: str = ArchOption,
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar (batch logs)"),
) -> None:
    """Simulate a print: plan, voxelise, step thermal + sintering through the print and the cool-down."""
    run_case(case_file, out, arch, quiet)
