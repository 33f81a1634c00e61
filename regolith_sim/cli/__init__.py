"""The `regolith-sim` command: a thin layer over the Python API.

User mistakes (:class:`~regolith_sim.errors.UserError`) print one line and exit with code 2.
"""
from __future__ import annotations

import sys

import typer

from .._version import __version__
from ..errors import SimulationDiverged, UserError
from .app import app
from . import case, demo, geometry, materials, particles, plan, run, site, sweep, validate  # noqa: F401  (registers verbs)


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="regolith-sim")
    except UserError as exc:
        print(f"regolith-sim: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except SimulationDiverged as exc:
        print(f"regolith-sim: the run diverged: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("regolith-sim: interrupted", file=sys.stderr)
        sys.exit(130)


__all__ = ["app", "main", "__version__", "typer"]
