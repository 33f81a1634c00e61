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


class _StderrNow(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (as logging's own last-resort handler does), not
    to the stream of the first call: a redirected or captured stderr of a later call gets its warnings."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def cli_log_handler() -> logging.Handler:
    """The package's log warnings (a probe that never held material, no part mesh, mechanics with nothing cooled)
    print as the command's other warnings do ('warning: ...'); `--quiet` raises this handler's level to ERROR
    (the loggers' own levels stay, so other handlers, e.g. a test's, see every record)."""
    logger = logging.getLogger("regolith_sim")
    for h in logger.handlers:
        if isinstance(h, _StderrNow):
            return h
    handler = _StderrNow()
    handler.setFormatter(_LevelPrefix())
    logger.addHandler(handler)
    return handler


def main(argv: list[str] | None = None) -> None:
    warnings.formatwarning = _warning_line
    cli_log_handler().setLevel(logging.WARNING)
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
