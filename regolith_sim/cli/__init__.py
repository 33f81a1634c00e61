"""The `regolith-sim` command: a thin layer over the Python API.

User mistakes (:class:`~regolith_sim.errors.UserError`) and file system faults (OSError: a folder that
cannot be written, a full disk) print one line and exit with code 2.
"""
from __future__ import annotations

import logging
import sys
import warnings

import typer

from .._version import __version__
from ..errors import SimulationDiverged, UserError, printable
from .app import app
from . import case, demo, examples, geometry, materials, particles, plan, run, site, sweep, validate  # noqa: F401  (registers verbs)


#: Exit status of a run stopped by Ctrl-C (128 + SIGINT, the shell convention).
EXIT_INTERRUPTED = 130


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt lies in the chain of exceptions that led to ``exc``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _warning_line(message, category, filename, lineno, line=None) -> str:
    """A warning as the command prints it: one line, as the preflight's (not Python's file:line form)."""
    return f"warning: {message}\n"


class _LevelPrefix(logging.Formatter):
    """A log record as the command prints its warnings: 'warning: ...' on one line."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _route_log_records() -> None:
    """The package's log warnings (a probe that never held material, no part mesh, mechanics with nothing cooled)
    print as the command's other warnings do, and `--quiet` (which raises the level to ERROR) silences them."""
    logger = logging.getLogger("regolith_sim")
    if not any(getattr(h, "regolith_sim_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_LevelPrefix())
        handler.regolith_sim_cli = True
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    warnings.formatwarning = _warning_line
    _route_log_records()
    try:
        app(args=argv, prog_name="regolith-sim")
    except UserError as exc:
        print(f"regolith-sim: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except SimulationDiverged as exc:
        print(f"regolith-sim: the run diverged: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a file system fault no verb turned into a UserError: one line, not a traceback
        where = f"'{printable(str(exc.filename))}': " if exc.filename else ""
        allowed = ("a folder that is not an existing file (--out names a folder)"
                   if isinstance(exc, (FileExistsError, NotADirectoryError)) else
                   "a path this user can read or write, on a disk with free space")
        print(f"regolith-sim: error: {where}{printable(exc.strerror or str(exc))}; allowed: {allowed}",
              file=sys.stderr)
        sys.exit(UserError.exit_code)
    except KeyboardInterrupt:  # outside a verb, e.g. while the app is imported
        print("regolith-sim: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit as exc:
        # Inside a verb, Typer turns Ctrl-C into a silent exit: typer.core catches the KeyboardInterrupt,
        # raises typer.Exit(130) from it and calls sys.exit(130), so the clause above never sees it.
        if exc.code == EXIT_INTERRUPTED and _caused_by_ctrl_c(exc):
            print("regolith-sim: interrupted", file=sys.stderr)
        raise


__all__ = ["app", "main", "__version__", "typer"]
