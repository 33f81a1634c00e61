"""`regolith-sim validate`: the verification cases with their errors and pass/fail."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .app import ArchOption, JsonOption, app, start_runtime


def run_validation(folder: Optional[Path], only: Optional[List[str]], arch: str) -> list:
    start_runtime(arch)
    from ..verification import run_all

    return run_all(folder, only)


def print_checks(checks, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([c.as_dict() for c in checks], indent=2, default=float))
        return
    for c in checks:
        mark = "PASS" if c.passed else "FAIL"
        typer.echo(f"{mark}  {c.name:<50} error {c.error:.3g} (tolerance {c.tolerance:g})  [{c.reference}]")
    n_pass = sum(c.passed for c in checks)
    typer.echo(f"{n_pass} passed, {len(checks) - n_pass} failed")


@app.command()
def validate(
    folder: Optional[Path] = typer.Option(None, "--cases", help="Folder of verification case files "
                                          "(default: examples/verification)"),
    only: Optional[List[str]] = typer.Option(None, "--only", help="Run only these cases (file stems)"),
    arch: str = ArchOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the verification cases (analytical solutions) and print each error and pass/fail."""
    checks = run_validation(folder, only, arch)
    print_checks(checks, as_json)
    if not all(c.passed for c in checks):
        raise typer.Exit(1)
