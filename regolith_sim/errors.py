"""Errors a user can cause and fix, as opposed to bugs.

The CLI prints a :class:`UserError` as one line and exits with code 2; the Python API raises it.
"""
from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with control characters (ANSI escapes, newlines, carriage returns...) written as escapes,
    safe to print on one terminal line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class UserError(ValueError):
    """A mistake in the input: names the key, the value given and what is allowed. The message is one
    line: control characters from the input (a key, a file name) are written as escapes."""

    exit_code = 2

    def __init__(self, message: str, *, key: str | None = None):
        self.key = key
        super().__init__(printable(f"{key}: {message}" if key else message))


def rekeyed(exc: UserError, key: str) -> UserError:
    """``exc`` (same class where its constructor allows) naming ``key`` instead of the key it named: for an error
    raised by code shared with another kind of case, which knows the key only as that case spells it."""
    message = str(exc).removeprefix(f"{exc.key}: ") if exc.key else str(exc)
    try:
        return type(exc)(message, key=key)
    except TypeError:  # a subclass with its own signature
        return UserError(message, key=key)


class ConfigError(UserError):
    """A case or sweep file that does not validate."""


class MaterialError(UserError):
    """A material name or data file that cannot be used."""


class SimulationDiverged(RuntimeError):
    """A run whose state became non-physical (NaN, runaway); the message says where and why."""

    exit_code = 3
