"""`regolith-sim examples`: list the shipped example cases and copy them out to edit and run."""
from __future__ import annotations

from pathlib import Path

import typer

from ..example_cases import copy_examples, list_cases
from .app import app

examples_app = typer.Typer(help="The shipped example cases: list, copy", no_args_is_help=False,
                           invoke_without_command=True)
app.add_typer(examples_app, name="examples")


@examples_app.callback(invoke_without_command=True)
def _examples(ctx: typer.Context) -> None:
    """List the shipped example cases; `examples copy DEST` copies them into a folder to edit and run."""
    if ctx.invoked_subcommand is None:
        list_examples()


@examples_app.command("list")
def list_examples() -> None:
    """List the shipped example cases with what each one prints (the same as plain `examples`)."""
    cases = list_cases()
    width = max(len(c.name) for c in cases)
    for c in cases:
        typer.echo(f"{c.name:<{width}}  {c.description}")
    typer.echo("copy them with `regolith-sim examples copy DEST`, then `regolith-sim run DEST/CASE.toml`")


@examples_app.command("copy")
def copy(
    dest: Path = typer.Argument(..., help="Folder to copy the example cases into (created if missing)"),
    force: bool = typer.Option(False, "--force", help="Overwrite example files already in DEST"),
) -> None:
    """Copy every shipped example case (and the files they read) into DEST, keeping its sub-folders."""
    copies = copy_examples(dest, force)
    typer.echo(f"copied {len(copies)} files into {dest}; e.g. regolith-sim run {dest / 'change8_brick.toml'}")
