"""`regolith-sim plan`: the process plan and energy budget of a case, without simulating."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..io import json_out
from .app import SetOption, app, rounded


@app.command()
def plan(
    case_file: Path = typer.Argument(..., help="Case file (TOML)"),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for events.csv, budget.json and layer PNGs"),
    set_: Optional[List[str]] = SetOption,
) -> None:
    """Print the energy budget; with --out also write the event series and a PNG of each layer's toolpath."""
    from ..config import load_case
    from ..planning import energy_budget, make_plan, plan_from_file, write_plan
    from ..simulation import build_parts
    from ..site import get_site
    from .run import case_overrides

    case = load_case(case_file, **case_overrides(set_, None))
    p = case.process
    the_plan = plan_from_file(case.resolve_path(p.plan_file), p) if p.plan_file else make_plan(build_parts(case), p)
    site = get_site(case.site.name, latitude_deg=case.site.latitude)
    budget = energy_budget(the_plan, p, site.sun_elevation_max_deg)
    typer.echo(json_out.dumps(rounded(budget)))
    for w in the_plan.warnings:
        typer.echo(f"warning: {w}", err=True)
    if out is not None:
        files = write_plan(the_plan, budget, out)
        typer.echo(f"written to {out.resolve()}: " + ", ".join(
            str(Path(v).name) if not isinstance(v, list) else f"{len(v)} layer PNGs" for v in files.values()))
