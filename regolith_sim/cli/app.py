"""The Typer application object and options shared by several verbs."""
from __future__ import annotations

from typing import Optional

import typer

from .._version import __version__

app = typer.Typer(
    name="regolith-sim",
    help="Simulate lunar regolith heated, sintered and melted into printed structures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ARCH_HELP = ("Kernel architecture: auto (CUDA, then a Vulkan/Metal GPU, never a CPU-type Vulkan driver, then CPU), "
             "cpu, cuda, vulkan or metal")
ArchOption = typer.Option("auto", "--arch", help=ARCH_HELP)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON")
SetOption = typer.Option(None, "--set", help="Override a case key, e.g. --set process.power=30W")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"regolith-sim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                           help="Print the version and exit"),
) -> None:
    """Simulate lunar regolith heated, sintered and melted into printed structures."""


def start_runtime(arch: str, precision: str = "auto", quiet: bool = False) -> str:
    """Start the kernel runtime, turning an unavailable architecture or an impossible precision into a
    user error; say what was got (and, on a CPU-type Vulkan device, what it is, even when ``quiet``)."""
    from gpu_kernels import backend

    from ..errors import UserError

    import contextlib
    import io

    try:
        # Taichi prints "[Taichi] Starting on arch=..." whatever its log level; the line below says the same
        with contextlib.redirect_stderr(io.StringIO()):
            got = backend.init(arch, precision)
    except backend.BackendError as exc:
        raise UserError(str(exc), key=exc.key) from None
    note = backend.device_note()
    if not quiet:
        skipped = "; ".join(backend.skipped()) if got == "cpu" and arch == "auto" else ""
        typer.echo(f"kernels run on {got} ({backend.current_precision()})" + (f" - passed over {skipped}"
                                                                              if skipped else ""), err=True)
    if note:
        typer.echo(note, err=True)
    return got


def rounded(value, digits: int = 6):
    """``value`` (JSON-like) with every float rounded to ``digits`` significant figures, for printing
    (files keep full precision): 2.9280000000000004 -> 2.928."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


def print_or_write_block(text: str, path: str, marker: str, write: bool) -> None:
    """Print a generated Markdown reference, or with ``write`` put it between the ``marker`` comments
    of the file at ``path`` (relative to the repository root)."""
    if not write:
        typer.echo(text)
        return
    from pathlib import Path

    from ..config.reference import replace_marked_block

    replace_marked_block(Path(path), marker, text)
    typer.echo(f"{path} reference updated")
