"""`regolith-sim run`: one case file in, a folder of results out."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .app import ArchOption, app, start_runtime


def run_case(case_file: Path, out: Optional[Path], arch: str, quiet: bool) -> Path:
    from ..config import load_case
    from ..simulation.job import run_job

    case = load_case(case_file)
    start_runtime(arch if arch != "auto" else case.solver.arch, case.solver.precision, quiet)
    out_dir = out or Path(case.output.dir or f"results/{case.name}")
    result, files = run_job(case, out_dir, progress=not quiet)
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
