"""`regolith-sim run`: one case file in, a folder of results out."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UserError
from ..io import json_out
from .app import ArchOption, SetOption, app, start_runtime


def case_overrides(sets: List[str] | None, resolution: float | None) -> dict:
    """``--set key=value`` pairs (dotted case keys; values parsed as TOML scalars, else kept as text
    so units like '30 W' work) and ``--resolution``."""
    from ..config.loader import tomllib
    from ..io.safe_read import MAX_TOML_DEPTH, nesting_depth

    out: dict = {}
    for pair in sets or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set {pair!r}: write key=value with a dotted case key, e.g. --set process.power=30W",
                            key="--set")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value.strip()
        except RecursionError:
            out[key.strip()] = None
        if out[key.strip()] is None or nesting_depth(out[key.strip()]) > MAX_TOML_DEPTH - 1:
            raise UserError(f"{key.strip()}: the value nests arrays or tables too deeply; allowed: at most "
                            f"{MAX_TOML_DEPTH - 1} levels", key="--set")
    if resolution is not None:
        out["solver.resolution"] = resolution
    return out


def default_out_dir(case) -> Path:
    """``output.dir`` (a relative one from the case file's folder), else ``results/<case name>`` in the
    current folder, the name made a single safe folder name."""
    from ..simulation.run_folder import safe_name

    if case.output.dir:
        return case.resolve_path(case.output.dir)
    return Path("results") / safe_name(case.name)


def run_case(case_file: Path, out: Optional[Path], arch: str, quiet: bool, resume: bool = False,
             overrides: dict | None = None) -> Path:
    from ..config import load_case
    from ..simulation.job import run_job

    from ..simulation.preflight import warnings_for

    case = load_case(case_file, **(overrides or {}))
    if quiet:  # errors only: the run's own warnings (cell size, spot path, microwave depth) too
        warnings.simplefilter("ignore", UserWarning)
        from . import cli_log_handler

        cli_log_handler().setLevel(logging.ERROR)
    for line in [] if quiet else warnings_for(case):
        typer.echo(f"warning: {line}", err=True)
    start_runtime(arch if arch != "auto" else case.solver.arch, case.solver.precision, quiet)
    out_dir = out or default_out_dir(case)
    result, files = run_job(case, out_dir, progress=not quiet, resume=resume)
    if quiet:  # errors only (summary.json holds what the run printed)
        return out_dir
    typer.echo(json_out.dumps(result.summary))
    reason = (result.summary["part"]["estimated_compressive_strength_MPa"] or {}).get("reason")
    if reason:
        typer.echo(f"warning: no strength estimate: {reason}", err=True)
    typer.echo(f"outputs in {out_dir.resolve()}: " + ", ".join(sorted(str(p.relative_to(out_dir))
                                                                       for p in files.values())))
    return out_dir


@app.command()
def run(
    case_file: Path = typer.Argument(..., help="Case file (TOML)"),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: output.dir, relative to the case "
                                       "file's folder, or results/<name> in the current folder)"),
    arch: str = ArchOption,
    quiet: bool = typer.Option(False, "--quiet", help="Errors only: no progress bar, notes or warnings (batch logs)"),
    resume: bool = typer.Option(False, "--resume", help="Continue from the checkpoint in the output folder "
                                                        "(solver.checkpoint_interval sets how often one is written)"),
    resolution: Optional[float] = typer.Option(None, "--resolution", help="Refine the cell size (given or automatic) by "
                                                                          "this factor (2 halves the cell; for GPUs)"),
    set_: Optional[List[str]] = SetOption,
) -> None:
    """Simulate a print: plan, voxelise, step thermal + sintering through the print and the cool-down."""
    run_case(case_file, out, arch, quiet, resume, case_overrides(set_, resolution))
