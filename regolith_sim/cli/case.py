"""Verbs about case files: check and the generated configuration reference."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..config import load_case
from ..config.reference import reference_markdown
from .app import app, print_or_write_block


@app.command()
def check(
    case_file: Path = typer.Argument(..., help="Case file (TOML)"),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override a case key, e.g. --set process.power=30W"),
) -> None:
    """Validate a case file without running it: keys and units, the material, the parts (their
    parameters, mesh files and places on the bed), the plan and the grid, and whatever a run would refuse
    before its first step (probes outside the domain, too many frames or steps, unreadable files)."""
    from ..simulation.preflight import preflight, setup_warnings, warnings_for
    from .run import case_overrides

    case = load_case(case_file, **case_overrides(set_, None))
    su = preflight(case)
    for line in warnings_for(case) + setup_warnings(case, su):
        typer.echo(f"warning: {line}", err=True)
    typer.echo(f"{case_file}: OK (case '{case.name}', material {su.material.name}, site {case.site.name}, "
               f"source {case.process.source} {case.process.power:g} W, {len(su.parts)} part(s) on the bed)")


@app.command("config-reference")
def config_reference(
    write_readme: bool = typer.Option(False, "--write-readme", help="Replace the reference section of ./README.md"),
) -> None:
    """Print the case-file reference (every key with unit, default and range) as Markdown."""
    print_or_write_block(reference_markdown(), "README.md", "config-reference", write_readme)
