"""Named, unit-aware parameters of parametric parts and their validation.

Lengths are metres and angles are degrees (the project's unit for angles, see
:data:`regolith_sim.units.SI`). A value may be a number in those units or a string with a unit
(``"40 mm"``, ``"0.6 rad"``); counts are integers and flags are booleans.
"""
from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NoReturn

import numpy as np

from regolith_sim.errors import UserError
from regolith_sim.units import parse_quantity

#: unit printed in messages for each kind of parameter
_UNIT = {"length": "m", "angle": "deg", "ratio": "", "count": "", "flag": ""}


def param_key(param: str) -> str:
    """The UserError key for a parameter (``geometry.params.<param>``)."""
    return f"geometry.params.{param}"


def fail(param: str, message: str) -> NoReturn:
    """Raise the UserError for a bad value of ``param``."""
    raise UserError(message, key=param_key(param))


def fmt(value: float, unit: str) -> str:
    """A value with its unit for messages, e.g. ``0.04 m``."""
    text = f"{value:.6g}"
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True)
class ParamSpec:
    """One named parameter of a part.

    ``kind`` is ``"length"`` (m), ``"angle"`` (deg), ``"ratio"`` (dimensionless number),
    ``"count"`` (integer) or ``"flag"`` (boolean, stored as bool); ``minimum`` and ``maximum`` are inclusive and in ``unit``.
    """

    name: str
    default: float | int | bool
    kind: str
    minimum: float
    maximum: float
    description: str

    @property
    def unit(self) -> str:
        """Unit the value is stored in: ``m``, ``deg`` or empty for counts and flags."""
        return _UNIT[self.kind]

    def as_dict(self) -> dict[str, Any]:
        """The spec as plain data (name, default, unit, min, max, description)."""
        return {"name": self.name, "default": self.default, "unit": self.unit, "min": self.minimum,
                "max": self.maximum, "description": self.description}

    def parse(self, value: Any) -> float | int | bool:
        """Convert ``value`` to the stored unit and check the range; raise UserError if bad."""
        if self.kind == "flag":
            return self._parse_flag(value)
        if self.kind == "count":
            number: float | int = self._parse_count(value)
        else:
            try:
                number = self._parse_number(value)
            except ValueError as exc:
                fail(self.name, f"{self.name} = {value!r}: {exc}")
            if not math.isfinite(number):
                fail(self.name, f"{self.name} = {value!r} is not a finite number")
        if not self.minimum <= number <= self.maximum:
            fail(self.name, f"{self.name} = {fmt(number, self.unit)} is out of range; allowed "
                            f"{fmt(self.minimum, self.unit)} to {fmt(self.maximum, self.unit)} "
                            f"({self.description})")
        return number

    def _parse_number(self, value: Any) -> float:
        # numpy scalars are numbers too, though not float/int instances for parse_quantity
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            return float(value)
        if self.kind != "ratio":
            return parse_quantity(value, self.kind)
        if isinstance(value, bool):
            raise ValueError("expected a plain number, got a boolean")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError("expected a plain number (no unit)") from None

    def _parse_count(self, value: Any) -> int:
        # bool is an int subclass; True as a segment count is almost surely a mistake
        if isinstance(value, bool):
            fail(self.name, f"{self.name} = {value!r} must be a whole number, not a boolean")
        try:
            number = float(value)
        except (TypeError, ValueError):
            fail(self.name, f"{self.name} = {value!r} must be a whole number "
                            f"from {self.minimum:g} to {self.maximum:g}")
        if not number.is_integer():
            fail(self.name, f"{self.name} = {value!r} must be a whole number "
                            f"from {self.minimum:g} to {self.maximum:g}")
        return int(number)

    def _parse_flag(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        fail(self.name, f"{self.name} = {value!r} must be true or false (or 1/0)")


def length(name: str, default: float, minimum: float, maximum: float, description: str) -> ParamSpec:
    """A length parameter in metres."""
    return ParamSpec(name, float(default), "length", float(minimum), float(maximum), description)


def angle(name: str, default: float, minimum: float, maximum: float, description: str) -> ParamSpec:
    """An angle parameter in degrees."""
    return ParamSpec(name, float(default), "angle", float(minimum), float(maximum), description)


def ratio(name: str, default: float, minimum: float, maximum: float, description: str) -> ParamSpec:
    """A dimensionless number (a ratio of lengths)."""
    return ParamSpec(name, float(default), "ratio", float(minimum), float(maximum), description)


def count(name: str, default: int, minimum: int, maximum: int, description: str) -> ParamSpec:
    """A whole-number parameter (segments, sides, index)."""
    return ParamSpec(name, int(default), "count", minimum, maximum, description)


def flag(name: str, default: bool, description: str) -> ParamSpec:
    """A true/false parameter."""
    return ParamSpec(name, bool(default), "flag", 0, 1, description)


Ray = tuple[tuple[float, float, float], tuple[float, float, float]]


@dataclass(frozen=True)
class PartSpec:
    """A parametric part: its parameters and how to build it.

    ``bodies`` builds every named body of the part as watertight meshes; the first one is
    the part itself (the regolith solid). ``check`` raises UserError for combinations of
    values that are each in range but together impossible (a tenon wider than its brick).
    ``rays`` gives (origin, direction) pairs through the part's protective thickness, in
    metres, used for the areal density in :func:`geometries.metrics.part_report`.
    """

    name: str
    description: str
    params: tuple[ParamSpec, ...]
    bodies: Callable[..., dict]
    check: Callable[[dict], None] = lambda values: None
    rays: Callable[[dict], dict[str, Ray]] = field(default=lambda values: {})

    def param(self, name: str) -> ParamSpec:
        """The spec of parameter ``name``; unknown names raise UserError with a suggestion."""
        for p in self.params:
            if p.name == name:
                return p
        names = [p.name for p in self.params]
        fail(name, f"part {self.name!r} has no parameter {name!r}{suggest(name, names)}; "
                   f"its parameters are: {', '.join(names)}")

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overridden by ``given``, converted to stored units and checked."""
        values = {p.name: p.default for p in self.params}
        for name, value in given.items():
            values[name] = self.param(name).parse(value)
        self.check(values)
        return values


def suggest(name: str, candidates: list[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.4)
    return f"; did you mean {close[0]!r}?" if close else ""
