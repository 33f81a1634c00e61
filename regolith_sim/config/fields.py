"""Field helpers: every case-file key carries its unit, range and meaning.

``quantity`` makes a float field that also accepts strings with units ("0.2 mm") and records
its SI unit for the generated reference and the error messages.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic import BaseModel as _Base

from ..units import SI, parse_quantity


class Section(_Base):
    """Base of every case-file section: unknown keys are errors, values are re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    def __setattr__(self, name: str, value: Any) -> None:
        """An assignment in Python (``case.process.power = "20 W"``) is validated as the case file's key is; a
        refused one leaves the section as it was (pydantic has set the field when a check across fields refuses
        it) and is one line naming the key, the value and what is allowed."""
        if name not in type(self).model_fields:
            super().__setattr__(name, value)
            return
        from pydantic import ValidationError

        from ..errors import ConfigError
        from .loader import format_validation_error

        before = self.__dict__.get(name)
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            self.__dict__[name] = before
            err = exc.errors()[0]
            if err["loc"]:
                raise ConfigError(format_validation_error(exc, type(self))) from None
            # a check across the section's fields: its own words, with the key assigned
            why = str(err["msg"]).removeprefix("Value error, ")
            raise ConfigError(f"{name} = {value!r} refused: {why}; keys that depend on each other are set together "
                              "by assigning the section whole (e.g. case.process = {**case.process.model_dump("
                              "exclude_unset=True), 'profile': 'uniform', 'uniform_area': '1 cm2'})") from None


def _parser(dim: str):
    return lambda v: parse_quantity(v, dim)


def _q(dim: str):
    """A quantity of dimension ``dim``: a number in SI or a string with a unit; NaN and infinities refused."""
    return Annotated[float, BeforeValidator(_parser(dim)), Field(allow_inf_nan=False)]


Length = _q("length")
Time = _q("time")
Power = _q("power")
Velocity = _q("velocity")
Temperature = _q("temperature")
Angle = _q("angle")
Area = _q("area")
Flux = _q("flux")
Frequency = _q("frequency")
HeatTransfer = _q("heat_transfer")
Density = _q("density")

_DIM_OF = {
    Length: "length", Time: "time", Power: "power", Velocity: "velocity", Temperature: "temperature",
    Angle: "angle", Area: "area", Flux: "flux", Frequency: "frequency", HeatTransfer: "heat_transfer",
    Density: "density",
}


def quantity(default: Any, description: str, unit: str, **bounds) -> Any:
    """A documented field with an SI ``unit`` ('m', 'K', '1' for dimensionless) and bounds."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


def unit_of(field_info) -> str:
    extra = field_info.json_schema_extra or {}
    return extra.get("unit", "") if isinstance(extra, dict) else ""


__all__ = [
    "Section", "quantity", "unit_of", "SI", "Length", "Time", "Power", "Velocity", "Temperature",
    "Angle", "Area", "Flux", "Frequency", "HeatTransfer", "Density",
]
