"""`regolith-sim validate`: the verification cases (closed forms) and the published experiments, each with
its error or verdict and pass/fail."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..io import json_out
from .app import ArchOption, JsonOption, app, start_runtime

SUITES = ("all", "verification", "experiments", "particles")


def run_validation(folder: Optional[Path], only: Optional[List[str]], arch: str) -> list:
    start_runtime(arch)
    from ..verification import run_all

    return run_all(folder, only)


def print_checks(checks, as_json: bool) -> None:
    """One line per verification check or experiment (an item with its own ``line()``), then the tally."""
    if as_json:
        typer.echo(json_out.dumps([c.as_dict() for c in checks]))
        return
    for c in checks:
        if hasattr(c, "line"):
            typer.echo(c.line())
            continue
        mark = "PASS" if c.passed else "FAIL"
        d = c.details
        seen = (f"  {d['value']:.4g} {d.get('unit', '')} vs {d['band'][0]:.4g}-{d['band'][1]:.4g}: {d['verdict']}"
                + (f" (recorded: {d['recorded_verdict']})" if "recorded_verdict" in d else "") if "band" in d else "")
        typer.echo(f"{mark}  {c.name:<50} error {c.error:.3g} (tolerance {c.tolerance:g}){seen}  [{c.reference}]")
    n_pass = sum(c.passed for c in checks)
    typer.echo(f"{n_pass} passed, {len(checks) - n_pass} failed")


@app.command()
def validate(
    suite: str = typer.Option("all", "--suite", help="all, verification (closed forms), experiments "
                              "(published experiments, examples/experiments) or particles (DEM: restitution, "
                              "packing, angle of repose at 1 g and lunar g, Frenkel neck)"),
    folder: Optional[Path] = typer.Option(None, "--cases", help="Folder of case files of the chosen suite "
                                          "(default: examples/verification or examples/experiments)"),
    only: Optional[List[str]] = typer.Option(None, "--only", help="Run only these cases (file stems; repeat "
                                           "--only or separate them by commas)"),
    full: bool = typer.Option(False, "--full", help="Experiments at the case files' own settings, not the "
                              "coarse CI settings of each file's experiment.coarse; particles with more grains"),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Write the experiments' page (e.g. "
                                            "docs/validation.md) with its plot (images/validation.png) and "
                                            "cached results (validation.json) beside it"),
    arch: str = ArchOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the verification cases (analytical solutions) and the published experiments; print each error or
    verdict and pass/fail (an experiment passes when its verdict is the one its case file records)."""
    from ..errors import UserError

    names = [name.strip() for item in only for name in item.split(",") if name.strip()] if only else None
    if only and not names:
        raise UserError("names no case; allowed: case names (file stems), e.g. --only "
                        "solar-yang2025-density", key="--only")
    only = names
    if folder is not None and not folder.is_dir():
        raise UserError(f"'{folder}' is not a folder; allowed: a folder of case files", key="--cases")
    if suite not in SUITES:
        raise UserError(f"--suite {suite!r}; allowed: {', '.join(SUITES)}", key="--suite")
    if suite in ("all", "particles") and (folder or only):
        raise UserError(f"--cases and --only with --suite {suite}; allowed: --suite verification or experiments",
                        key="--suite")
    if markdown and suite in ("verification", "particles"):
        raise UserError("--markdown writes the experiments' page: use --suite experiments or all", key="--markdown")
    start_runtime(arch)
    from .progress import Activity

    items = []
    with Activity("validate") as activity:
        if suite in ("all", "verification"):
            from ..verification import run_all

            activity.stage("verification cases (closed forms)")
            items += run_all(folder, only)
        if suite in ("all", "experiments"):
            from ..verification.experiments import experiment_files, load_experiment, run_experiment, write_docs

            exps = [load_experiment(f) for f in experiment_files(folder, only)]  # all checked before any runs
            results = []
            for n, exp in enumerate(exps, 1):
                activity.stage(f"experiment {n}/{len(exps)}: {exp.name}")
                results.append(run_experiment(exp, coarse=not full))
            items += results
            if markdown:
                activity.stage(f"writing {markdown}")
                written = write_docs(results, markdown)
        if suite in ("all", "particles"):
            from ..verification.particle_cases import run_particle_suite

            activity.stage("particle checks (restitution, packing, repose at 1 g and lunar g, Frenkel neck)")
            items += run_particle_suite(coarse=not full)
    if markdown:
        for p in written:
            typer.echo(f"wrote {p}", err=True)
    print_checks(items, as_json)
    if not all(c.passed for c in items):
        raise typer.Exit(1)
