"""`regolith-sim demo`: the main job a new user runs first (`make demo`)."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from ..io.atomic import write_text
from .app import ArchOption, app
from .validate import print_checks, run_validation


@app.command()
def demo(
    out: Path = typer.Option(Path("results/demo"), "--out", help="Output folder"),
    arch: str = ArchOption,
) -> None:
    """Run the reference job and say where its outputs are.

    Until the print simulation lands this runs the thermal verification suite on the production
    kernels and writes its report.
    """
    checks = run_validation(None, None, arch)
    print_checks(checks, False)
    report = write_text(out / "validation.json", json.dumps([c.as_dict() for c in checks], indent=2, default=float))
    typer.echo(f"outputs: {report.resolve()}")
    if not all(c.passed for c in checks):
        raise typer.Exit(1)
