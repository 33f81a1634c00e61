"""Read a case from TOML (or a dict) into typed objects, with one-line errors for mistakes."""
from __future__ import annotations

import copy
import difflib
import math
import sys
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from .fields import unit_of
from .schema import Case

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_toml(path: str | Path, what: str = "case file", *, key: str | None = None,
              error: type[ConfigError] = ConfigError) -> dict:
    """Parse a TOML file, turning a missing, unreadable, non-text, oversized or too deeply nested file or a
    syntax error into a one-line ``error`` (see :mod:`regolith_sim.io.safe_read`)."""
    from ..io.safe_read import read_toml as safe_read_toml

    return safe_read_toml(path, what=what, key=key, error=error)


def load_case(source: str | Path | dict, **overrides: Any) -> Case:
    """Load a case from a TOML path or a dict; ``overrides`` are dotted keys, e.g. ``{'solver.arch': 'cpu'}``, or
    whole sections given as dicts (``process={'power': 30}``), which update the file's section key by key rather
    than replace it."""
    if isinstance(source, dict):
        data, base = copy.deepcopy(source), Path.cwd()  # overrides must not write into the caller's tables
    else:
        data, base = read_toml(source), Path(source).resolve().parent
        if "kind" in data and "process" not in data:  # examples/verification/*.toml: a closed-form check
            raise ConfigError(f"'{source}' is a verification case (kind = {data['kind']!r}), not a print: "
                              f"`regolith-sim validate --suite verification --only {Path(source).stem}` runs it",
                              key="kind")
    for dotted, value in overrides.items():
        if "." not in dotted and isinstance(value, dict) and isinstance(data.get(dotted), dict):
            for key, v in value.items():
                set_dotted(data[dotted], key, v)
        else:
            set_dotted(data, dotted, value)
    switch_part_source(data, overrides)
    case = parse_case(data)
    case._base_dir = base
    case._bare = bare_numbers(data)
    return case


#: Keys a bare number (SI) in them most likely meant in another unit when it lies past the limit: (limit, side,
#: the SI unit, the unit likely meant, why past the limit is unusual). A warning, not an error: such values are
#: possible, only unusual.
UNIT_SLIPS = {
    "process.scan_speed": (1.0, "above", "m/s", "mm/s", "faster than regolith is scanned"),
    "process.spot_diameter": (0.2, "above", "m", "mm", "wider than a print's spot"),
    "site.initial_temperature": (25.0, "below", "K", "degC",
                                 "colder than the coldest lunar craters, about 25 K (Paige et al. 2010, Science "
                                 "330:479)"),
}


def bare_numbers(data: dict) -> dict:
    """The ``UNIT_SLIPS`` keys given as plain numbers (no unit string), with their values."""
    out = {}
    for dotted in UNIT_SLIPS:
        node: Any = data
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            out[dotted] = float(node)
    return out


def unit_slips(case) -> list[str]:
    """Warnings for bare numbers that, read in SI as documented, are far outside what a print uses."""
    out = []
    for key, value in getattr(case, "_bare", {}).items():
        limit, side, si, meant, why = UNIT_SLIPS[key]
        if (value > limit) if side == "above" else (value < limit):
            out.append(f"{key} = {value:g} is read as {value:g} {si} (a bare number is SI), {why}; if "
                       f"{value:g} {meant} was meant, write '{value:g} {meant}'")
    return out


def switch_part_source(data: dict, overrides: dict) -> None:
    """An override that names the part's source replaces the file's other one: ``geometry.file`` a parametric
    ``part`` (and its ``params``), ``geometry.part`` a mesh ``file`` (a case gives one or the other)."""
    geometry = data.get("geometry")
    if not isinstance(geometry, dict):
        return
    if "geometry.file" in overrides and "geometry.part" not in overrides:
        geometry.pop("part", None)
        if "geometry.params" not in overrides:
            geometry.pop("params", None)
    elif "geometry.part" in overrides and "geometry.file" not in overrides:
        geometry.pop("file", None)


def set_dotted(data: dict, dotted: str, value: Any) -> None:
    """Set ``a.b.c = value`` in a nested dict, creating tables on the way."""
    *head, last = dotted.split(".")
    node = data
    for key in head:
        node = node.setdefault(key, {})
    node[last] = value


def parse_case(data: dict, model: type[BaseModel] = Case) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, model)) from None


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The section class reached by following ``loc`` from ``model`` (None if not a section)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation):
    """Optional[X] / list[X] -> X, so nested sections can be walked."""
    while get_origin(annotation) is not None:
        args = [a for a in get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if models:
            return models[0]
        if len(args) != 1:
            return annotation
        annotation = args[0]
    return annotation


def _bounds(field) -> str:
    parts = []
    for m in field.metadata:
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            v = getattr(m, attr, None)
            if v is not None:
                parts.append(f"{sym} {v:g}")
    unit = unit_of(field)
    txt = " and ".join(parts)
    if unit and unit not in ("1", ""):
        txt = f"{txt} {unit}" if txt else unit
    return txt


def _finite_allowed(field) -> str:
    """What a NaN or infinity should have been: a finite number, within the field's bounds and in its unit."""
    if field is None:
        return "a finite number"
    bounds, unit = _bounds(field), unit_of(field)
    if bounds and bounds != unit:
        return f"a finite number {bounds}"
    return f"a finite number in {unit}" if unit not in ("", "1") else "a finite number"


def _toml_list(items) -> str:
    """A list as TOML writes it (strings in double quotes)."""
    return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else f"{v:g}" if isinstance(v, float) else str(v)
                           for v in items) + "]"


def _non_finite(value) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def format_validation_error(exc: ValidationError, model: type[BaseModel] = Case) -> str:
    """One line for the first error: key path, value given, what is allowed."""
    # A misspelt key also makes its correct twin "missing": report the misspelling.
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc) or "(top level)"
    value = err.get("input")
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        guess = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return f"unknown key '{path}'{hint}; valid keys here: {', '.join(valid)}"
    if kind == "missing":
        if loc and isinstance(loc[-1], int):  # a tuple given too few items, e.g. a probe position (x, y)
            return f"{'.'.join(str(p) for p in loc[:-1])}: item {loc[-1]} is missing (too few items)"
        return f"missing key '{path}'"
    parent = _model_at(model, loc[:-1]) if loc else None
    field = parent.model_fields.get(str(loc[-1])) if parent and loc else None
    allowed = ""
    if field is not None:
        if kind.startswith(("greater", "less")):
            allowed = f"; allowed: {_bounds(field)}"
        elif kind == "literal_error":
            allowed = "; allowed: " + ", ".join(repr(a) for a in get_args(_unwrap(field.annotation)) or ())
        elif unit_of(field) not in ("", "1"):
            allowed = f" (unit {unit_of(field)})"
    if not allowed and kind.startswith(("greater", "less")):  # an item of a tuple or list: the bound itself
        sym = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
        allowed = "; allowed: " + " and ".join(f"{sym[k]} {v:g}" for k, v in err.get("ctx", {}).items() if k in sym)
    msg = err["msg"]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    # pydantic tests a bound before finiteness, and NaN fails every comparison: say what is wrong with it
    if kind == "finite_number" or (kind.startswith(("greater", "less")) and _non_finite(value)):
        msg = "not a finite number"
        allowed = f"; allowed: {_finite_allowed(field)}"
    if kind == "literal_error":
        msg = "not one of the allowed values"
        if not allowed and err.get("ctx", {}).get("expected"):  # an item of a list: no field to read
            allowed = f"; allowed: {err['ctx']['expected']}"
    if kind in ("list_type", "tuple_type"):  # e.g. --set output.mesh_formats=stl
        msg = "not a list"
        example = field.get_default(call_default_factory=True) if field is not None and not field.is_required() \
            else None
        allowed = ("; write it as a TOML list, e.g. " + _toml_list(example)) if isinstance(example, (list, tuple)) \
            and example else "; write it as a TOML list, e.g. [a, b]"
        items = get_args(_unwrap(field.annotation)) if field is not None else ()
        options = get_args(items[0]) if len(items) == 1 else ()
        if options and all(isinstance(o, str) for o in options):
            allowed += "; allowed items: " + ", ".join(repr(o) for o in options)
    if kind == "too_short" and isinstance(value, (list, tuple)):
        msg = f"{len(value)} item(s), too few"
    # a table, or a list of tables (probes, parts), would not read as one line
    tables = isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value))
    shown = "" if tables else f" = {value!r}"
    return f"{path}{shown}: {msg}{allowed}"
