"""Verbs about case files: check and the generated configuration reference."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..config import load_case
from ..config.reference import reference_markdown
from .app import SetOption, app, print_or_write_block


@app.command()
def check(
    case_file: Path = typer.Argument(..., help="Case file or sweep file (TOML)"),
    set_: Optional[List[str]] = SetOption,
) -> None:
    """Validate a case file without running it: keys and units, the material, the parts (their
    parameters, mesh files and places on the bed), the plan and the grid, and whatever a run would refuse
    before its first step (probes outside the domain, too many frames or steps, unreadable files).
    A sweep file is checked as `regolith-sim sweep` checks it before running: every case's keys and values."""
    from ..config.loader import read_toml
    from ..simulation.preflight import preflight, setup_warnings, warnings_for
    from ..sweep.spec import is_sweep
    from .run import case_overrides

    overrides = case_overrides(set_, None)
    if is_sweep(read_toml(case_file)):
        _check_sweep(case_file, overrides)
        return
    case = load_case(case_file, **overrides)
    su = preflight(case)
    for line in warnings_for(case) + setup_warnings(case, su):
        typer.echo(f"warning: {line}", err=True)
    typer.echo(f"{case_file}: OK (case '{case.name}', material {su.material.name}, site {case.site.name}, "
               f"source {case.process.source} {case.process.power:g} W, {len(su.parts)} part(s) on the bed)")


def _check_sweep(sweep_file: Path, overrides: dict) -> None:
    from ..errors import UserError
    from .sweep import cases_line, checked_sweep

    if overrides:  # a --set would not say which cases it changes, nor whether it may clash with a block
        raise UserError(f"'{sweep_file}' is a sweep file, and --set overrides a case file's keys; allowed: give "
                        "values for every case in the sweep's [set] table", key="--set")
    spec = checked_sweep(sweep_file)
    typer.echo(f"{sweep_file}: OK (sweep '{spec.name}': {cases_line(spec)}; every case's keys and values checked, "
               "its plan, grid and site when it starts)")


@app.command("config-reference")
def config_reference(
    write_readme: bool = typer.Option(False, "--write-readme", help="Replace the reference section of ./README.md"),
) -> None:
    """Print the case-file reference (every key with unit, default and range) as Markdown."""
    print_or_write_block(reference_markdown(), "README.md", "config-reference", write_readme)
