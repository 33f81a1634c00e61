"""`regolith-sim sweep` (run every case of a sweep file) and `regolith-sim map` (draw a process map)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .app import ARCH_HELP, app


def checked_sweep(sweep_file: Path):
    """The sweep file read and every case validated, as a sweep does before running (``regolith-sim check`` of a
    sweep file too), its warnings printed."""
    from ..sweep import load_sweep

    spec = load_sweep(sweep_file)
    for line in spec.warnings:
        typer.echo(f"warning: {line}", err=True)
    return spec


def cases_line(spec) -> str:
    """How many cases a sweep runs and skips, and its base case (``--dry-run`` and ``check`` print it)."""
    return f"{len(spec.cases)} cases ({len(spec.skipped)} skipped by filters), base {spec.base}"


@app.command()
def sweep(
    sweep_file: Path = typer.Argument(..., help="Sweep file (TOML): base case, what to vary, filters"),
    out: Optional[Path] = typer.Option(None, "--out", help="Sweep folder (default: results/<sweep name>); "
                                       "running again on it resumes"),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes (default: one per GPU, "
                                          "else one per CPU core)"),
    backend: str = typer.Option("local", "--backend", help="local or ray"),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster address (default: start a local "
                                          "Ray instance)"),
    arch: Optional[str] = typer.Option(None, "--arch", help=ARCH_HELP + " (default: the base case's solver.arch)"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Run failed cases again"),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the cases and exit"),
    quiet: bool = typer.Option(False, "--quiet", help="One log line per case instead of a progress bar"),
) -> None:
    """Run every case of a sweep, one simulation per worker process; write DIR/results.csv and .parquet.

    Exits with 1 when a case failed (the others still ran; reasons in the table)."""
    from ..sweep import run_sweep
    from ..sweep.status import StatusStore

    spec = checked_sweep(sweep_file)
    out_dir = out or Path("results") / spec.name
    if dry_run:
        store = StatusStore(out_dir)
        typer.echo(cases_line(spec))
        for c in spec.cases:
            shown = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in c.inputs.items())
            typer.echo(f"{c.case_id}  {store.status_of(c.case_id):8s} {shown}")
        return
    res = run_sweep(spec, out_dir, backend=backend, workers=workers, address=address, arch=arch, quiet=quiet,
                    retry_failed=retry_failed)
    typer.echo(f"{res.done} done, {res.failed} failed of {len(spec.cases)} cases ({len(res.ran)} run now, "
               f"{res.skipped_by_filter} skipped by filters) in {res.wall_s:.1f} s")
    typer.echo(f"results: {res.files[0].resolve()} and {res.files[1].name}")
    if res.failed:
        for _, row in res.table[res.table["status"] == "failed"].iterrows():
            typer.echo(f"failed: {row['case_id']}: {row['error']}", err=True)
        raise typer.Exit(1)


@app.command("map")
def map_(
    source: Path = typer.Argument(..., help="Sweep folder, or a results .csv/.parquet"),
    x: str = typer.Option(..., "--x", help="Column on the x axis, e.g. process.power"),
    y: str = typer.Option(..., "--y", help="Column on the y axis, e.g. process.scan_speed"),
    z: str = typer.Option(..., "--z", help="Column contoured, e.g. part.mean_relative_density"),
    window: List[str] = typer.Option([], "--window", help="Condition COLUMN OP VALUE (OP >=, <=, >, <); "
                                     "repeat: the region meeting all is outlined"),
    best: Optional[str] = typer.Option(None, "--best", help="Star the case in the window with the least value "
                                       "of this column (e.g. energy.delivered_J)"),
    levels: int = typer.Option(12, "--levels", help="Number of contour levels"),
    out: Path = typer.Option(Path("map.png"), "--out", help="Image file (PNG, PDF or SVG)"),
) -> None:
    """Draw a process map: contours of a summary quantity over two inputs, the window outlined."""
    from ..sweep.process_map import save_process_map
    from ..sweep.table import load_table

    df = load_table(source)
    save_process_map(df, out, x=x, y=y, z=z, windows=window, best=best, levels=levels)
    typer.echo(f"wrote {out}")
