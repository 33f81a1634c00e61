"""`regolith-sim demo`: the main job a new user runs first (`make demo`)."""
from __future__ import annotations

from pathlib import Path

import typer

from ..example_cases import example_path
from ..io.json_out import write_json
from .app import ArchOption, app
from .validate import print_checks, run_validation

#: The shipped example case the demo prints (see `regolith-sim examples`).
DEMO_CASE = "change8_brick"


@app.command()
def demo(
    out: Path = typer.Option(Path("results/demo"), "--out", help="Output folder"),
    arch: str = ArchOption,
) -> None:
    """Run the reference Chang'e-8-style solar brick print, then the solver verification; say where outputs are."""
    from .run import run_case

    out = run_case(example_path(DEMO_CASE), out, arch, quiet=False)
    checks = run_validation(None, None, arch)
    print_checks(checks, False)
    report = write_json(out / "validation.json", [c.as_dict() for c in checks])
    names = ", ".join(sorted(p.name for p in out.iterdir() if p.is_file()))
    typer.echo(f"outputs: {out.resolve()} ({names}; {report.name} is the verification report)")
    if not all(c.passed for c in checks):
        raise typer.Exit(1)
