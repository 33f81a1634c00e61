"""`regolith-sim particles spread|heat|sinter|repose CASE.toml --out DIR`: grain-scale (DEM) runs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .app import ArchOption, app, print_or_write_block, start_runtime

particles_app = typer.Typer(help="Grain-scale (DEM) runs: spread a layer, heat a bed, sinter a bed, angle of repose",
                            no_args_is_help=True)
app.add_typer(particles_app, name="particles")

OutOption = typer.Option(None, "--out", help="Output folder (default: results/<name>-<verb>)")
QuietOption = typer.Option(False, "--quiet", help="Print only where the outputs are")


def _run(verb: str, case_file: Path, out: Optional[Path], arch: str, quiet: bool) -> None:
    from ..particles.config import load_particle_case
    from ..particles.runner import run_particles

    case = load_particle_case(case_file)
    start_runtime(arch, "auto", quiet)
    from .progress import Activity

    out_dir = out or Path(f"results/{case.name}-{verb}")
    with Activity(f"particles {verb}", enabled=not quiet) as activity:
        activity.stage(f"case '{case.name}'")
        result = run_particles(verb, case, out_dir)
    if not quiet:
        shown = {k: v for k, v in result["summary"].items() if k != "series"}
        typer.echo(json.dumps(shown, indent=2, default=_plain))
    typer.echo(f"outputs in {out_dir.resolve()}: " + ", ".join(sorted(Path(p).name for p in result["files"].values())))


def _plain(o):
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    return str(o)


@particles_app.command("spread")
def spread_cmd(case_file: Path = typer.Argument(..., help="Particle case file (TOML, with a \\[particles] table)"),
               out: Optional[Path] = OutOption, arch: str = ArchOption, quiet: bool = QuietOption) -> None:
    """Spread one layer with a recoater blade: packing fraction and roughness for the continuum model."""
    _run("spread", case_file, out, arch, quiet)


@particles_app.command("heat")
def heat_cmd(case_file: Path = typer.Argument(..., help="Particle case file (TOML, with a \\[particles] table)"),
             out: Optional[Path] = OutOption, arch: str = ArchOption, quiet: bool = QuietOption) -> None:
    """Heat a poured bed with a gaussian spot; effective conductivity in vacuum against the material law."""
    _run("heat", case_file, out, arch, quiet)


@particles_app.command("sinter")
def sinter_cmd(case_file: Path = typer.Argument(..., help="Particle case file (TOML, with a \\[particles] table)"),
               out: Optional[Path] = OutOption, arch: str = ArchOption, quiet: bool = QuietOption) -> None:
    """Sinter a poured bed over a temperature history; densification against the continuum model."""
    _run("sinter", case_file, out, arch, quiet)


@particles_app.command("repose")
def repose_cmd(case_file: Path = typer.Argument(..., help="Particle case file (TOML, with a \\[particles] table)"),
               out: Optional[Path] = OutOption, arch: str = ArchOption, quiet: bool = QuietOption) -> None:
    """Lift a filled tube at the case's gravity: static angle of repose fitted to the heap, with a plot,
    against published angles of lunar simulants."""
    _run("repose", case_file, out, arch, quiet)


@particles_app.command("reference")
def reference_cmd(write_docs: bool = typer.Option(False, "--write-docs",
                                                  help="Replace the reference section of ./docs/particles.md")) -> None:
    """Print the particle case-file reference (every key with unit, default and range) as Markdown."""
    from ..particles.config import reference_markdown

    print_or_write_block(reference_markdown(), "docs/particles.md", "particles-reference", write_docs)
