"""Errors raised by planning: a :class:`UserError` that also carries the value, what is allowed and the unit.

The message names all four so a user can fix the case file from the one line the CLI prints.
"""
from __future__ import annotations

from ..errors import UserError


class PlanError(UserError):
    """Unphysical or unreadable planning input (geometry vs process, plan files, G-code)."""

    def __init__(self, message: str, *, key: str | None = None, value=None, allowed: str | None = None,
                 unit: str | None = None):
        self.value = value
        self.allowed = allowed
        self.unit = unit
        parts = [message]
        if value is not None:
            parts.append(f"got {value:.6g}{' ' + unit if unit else ''}" if isinstance(value, float)
                         else f"got {value!r}")
        if allowed:
            parts.append(f"allowed: {allowed}")
        super().__init__("; ".join(parts), key=key)
