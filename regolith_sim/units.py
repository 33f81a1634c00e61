"""Quantities with units in case files.

Inside the code everything is SI. A case file may give a bare number (read as the SI unit of
the key) or a string such as ``"0.2 mm"``, ``"1300 degC"`` or ``"3 kW"``; a string whose unit
has the wrong dimension (``"5 kg"`` for a length) is an error that names both.
"""
from __future__ import annotations

import re

import numpy as np

# unit symbol -> (dimension, factor to SI, offset to SI)
_U: dict[str, tuple[str, float, float]] = {}


def _add(dim: str, table: dict[str, float]) -> None:
    for sym, f in table.items():
        _U[sym] = (dim, f, 0.0)


_add("length", {"m": 1, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "micron": 1e-6, "km": 1e3, "nm": 1e-9})
_add("time", {"s": 1, "ms": 1e-3, "us": 1e-6, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400})
_add("power", {"W": 1, "mW": 1e-3, "kW": 1e3, "MW": 1e6})
_add("energy", {"J": 1, "kJ": 1e3, "MJ": 1e6, "Wh": 3600, "kWh": 3.6e6})
# the energy densities of process maps (regolith_sim.planning.budget), which papers quote per mm
_add("line energy", {"J/m": 1, "J/mm": 1e3, "kJ/m": 1e3})
_add("surface energy density", {"J/m2": 1, "J/m^2": 1, "J/cm2": 1e4, "J/cm^2": 1e4, "J/mm2": 1e6, "J/mm^2": 1e6})
_add("volumetric energy density", {"J/m3": 1, "J/m^3": 1, "J/cm3": 1e6, "J/cm^3": 1e6, "J/mm3": 1e9, "J/mm^3": 1e9})
_add("velocity", {"m/s": 1, "mm/s": 1e-3, "cm/s": 1e-2, "mm/min": 1e-3 / 60, "m/min": 1 / 60, "m/h": 1 / 3600})
_add("area", {"m2": 1, "m^2": 1, "cm2": 1e-4, "cm^2": 1e-4, "mm2": 1e-6, "mm^2": 1e-6})
_add("flux", {"W/m2": 1, "W/m^2": 1, "kW/m2": 1e3, "kW/m^2": 1e3, "MW/m2": 1e6, "MW/m^2": 1e6, "W/cm2": 1e4, "W/mm2": 1e6})
_add("pressure", {"Pa": 1, "kPa": 1e3, "MPa": 1e6, "GPa": 1e9, "bar": 1e5})
_add("angle", {"deg": 1, "°": 1, "rad": 57.29577951308232})
_add("density", {"kg/m3": 1, "kg/m^3": 1, "g/cm3": 1e3, "g/cm^3": 1e3})
_add("frequency", {"Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9})
_add("heat_transfer", {"W/m2K": 1, "W/(m2 K)": 1, "W/m^2/K": 1})
_add("acceleration", {"m/s2": 1, "m/s^2": 1})
_U["K"] = ("temperature", 1.0, 0.0)
_U["degC"] = ("temperature", 1.0, 273.15)
_U["°C"] = ("temperature", 1.0, 273.15)
_U["C"] = ("temperature", 1.0, 273.15)

#: SI unit of each dimension, as written in documentation.
SI = {
    "length": "m", "time": "s", "power": "W", "energy": "J", "line energy": "J/m", "surface energy density": "J/m^2",
    "volumetric energy density": "J/m^3", "velocity": "m/s", "area": "m^2",
    "flux": "W/m^2", "pressure": "Pa", "angle": "deg", "density": "kg/m^3", "frequency": "Hz",
    "heat_transfer": "W/(m^2 K)", "acceleration": "m/s^2", "temperature": "K",
}

_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def dimension_of(unit: str) -> str | None:
    """The dimension of a unit symbol, or None if unknown."""
    entry = _U.get(unit)
    return entry[0] if entry else None


def parse_quantity(value, dimension: str) -> float:
    """Return ``value`` in SI units of ``dimension``.

    Numbers pass through (they are already SI). Strings are ``"<number> <unit>"``.
    Raises ValueError with a message naming the unit and the allowed ones.
    """
    if isinstance(value, (np.bool_, np.integer, np.floating)):  # a NumPy scalar (np.arange, a float32 array)
        value = value.item()
    if isinstance(value, bool):
        raise ValueError(f"expected a number in {SI[dimension]}, got a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a number in {SI[dimension]} or a string like '1.5 {SI[dimension]}'")
    m = _NUM.match(value)
    if not m:
        raise ValueError(f"cannot read {value!r} as a quantity; write e.g. '1.5 {SI[dimension]}'")
    number, unit = float(m.group(1)), m.group(2)
    if not unit:
        return number
    entry = _U.get(unit)
    allowed = ", ".join(u for u, e in _U.items() if e[0] == dimension)
    if entry is None:
        raise ValueError(f"unknown unit {unit!r}; allowed units for a {dimension}: {allowed}")
    if entry[0] != dimension:
        raise ValueError(f"unit {unit!r} is a {entry[0]}, but a {dimension} is needed; allowed: {allowed}")
    return number * entry[1] + entry[2]
