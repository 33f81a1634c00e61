"""Sweep files: a base case and what to vary, expanded into a deterministic list of cases.

A sweep file (TOML) has these top-level keys (all optional except ``base``)::

    name = "power-speed"              # used for the default output folder
    base = "../change8_brick.toml"    # the base case, relative to the sweep file
    [set]                             # fixed overrides applied to every case
    [grid]                            # full factorial: key = [values] or {start, stop, num, scale}
    [[cases]]                         # explicit cases, each a table of overrides
    [lhs]                             # Latin-hypercube samples: samples, seed, [lhs.ranges]
    [filter]                          # key = {min, max}: keep only cases inside every range

Keys inside ``set``, ``grid``, ``cases``, ``lhs.ranges`` and ``filter`` are dotted case-file keys
(``"process.power"``, or written as TOML tables); values are SI numbers or strings with units
(``"20 W"``). The blocks present are crossed: grid x cases x lhs samples. Every case is validated
against the case schema before anything runs, so a bad value fails the whole sweep with one line.

Derived quantities, computed for every case from its validated inputs (SI), with P the source
power, v the scan speed, d the spot diameter, h the hatch spacing (as given, else 0.7 x spot
diameter, see :func:`regolith_sim.planning.hatch_spacing`) and t the layer thickness. They are the
definitions of :mod:`regolith_sim.planning.budget` (sources there), which ``regolith-sim plan``
reports in J/mm^2 and J/mm^3:

* ``line_energy_J_m``                = P / v
* ``spot_energy_density_J_m2``       = P / (v d)   (Balla et al. 2012's measure)
* ``areal_energy_density_J_m2``      = P / (v h)
* ``volumetric_energy_density_J_m3`` = P / (v h t)

Filters may name a derived quantity or any case key; bounds are inclusive. A bound on a derived quantity is a
bare number in its SI unit or a string in any unit of its dimension (``"2 J/mm^3"``, ``"20 J/cm^2"``, ``"5 J/mm"``).
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config.loader import bare_numbers, parse_case, read_toml, set_dotted, switch_part_source, unit_slips
from ..errors import ConfigError
from ..units import dimension_of, parse_quantity

TOP_KEYS = ("name", "description", "base", "set", "grid", "cases", "lhs", "filter")
#: Top-level keys only a sweep file has (a case file has none of them).
SWEEP_ONLY_KEYS = frozenset(TOP_KEYS) - {"name", "description"}
GRID_SPEC_KEYS = {"start", "stop", "num", "scale"}
#: Most cases one sweep may list.
MAX_CASES = 100_000
RANGE_SPEC_KEYS = {"min", "max", "scale"}
DERIVED = {
    "line_energy_J_m": "J/m, P / v",
    "spot_energy_density_J_m2": "J/m^2, P / (v d)",
    "areal_energy_density_J_m2": "J/m^2, P / (v h)",
    "volumetric_energy_density_J_m3": "J/m^3, P / (v h t)",
}
#: One kernel runtime per worker process: these cannot change from case to case.
FIXED_PER_PROCESS = ("solver.arch", "solver.precision")
_UNIT_AFTER_NUMBER = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*(.*?)\s*$")


@dataclass(frozen=True)
class SweepCase:
    """One case of a sweep: its id, the overrides that make it, and its inputs and derived values in SI."""

    index: int
    case_id: str
    overrides: dict          #: dotted key -> value as written in the sweep file (or sampled), varied keys only
    inputs: dict             #: varied key -> SI value read back from the validated case
    derived: dict            #: derived quantity -> SI value


@dataclass
class SweepSpec:
    """A parsed sweep file; ``cases`` are the ones to run, ``skipped`` those removed by filters."""

    name: str
    base: Path
    base_data: dict
    fixed: dict
    varied: list[str]
    cases: list[SweepCase]
    skipped: list[SweepCase] = field(default_factory=list)
    description: str = ""
    source: Path | None = None
    arch: str = "auto"       #: solver.arch of every case (it cannot vary)
    #: warnings about the cases' values (a bare number most likely meant in another unit), each with its cases
    warnings: list[str] = field(default_factory=list)

    def case_overrides(self, case: SweepCase) -> dict:
        """Every override load_case needs for ``case``: the fixed ones, then the case's own."""
        return {**self.fixed, **case.overrides}

    def manifest(self) -> dict:
        """What a results folder records about the sweep (JSON-able)."""
        return {
            "name": self.name, "description": self.description, "base": str(self.base),
            "sweep_file": str(self.source) if self.source else None, "fixed": self.fixed,
            "varied": self.varied, "derived": DERIVED,
            "cases": [{"index": c.index, "case_id": c.case_id, "overrides": c.overrides, "inputs": c.inputs,
                       "derived": c.derived} for c in self.cases],
            "skipped_by_filter": [c.case_id for c in self.skipped],
        }


# ------------------------------------------------------------------------------------------------
# values
# ------------------------------------------------------------------------------------------------
def si_number(value: Any, where: str, dimension: str | None = None) -> float:
    """A bare number, or a string with any known unit ("20 W", "4 mm/s"), as an SI float; with ``dimension``
    (a dimension of :mod:`regolith_sim.units`) a unit of another dimension is refused."""
    if isinstance(value, bool):
        raise ConfigError(f"{where} = {value!r}: expected a number or a string with a unit")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = _UNIT_AFTER_NUMBER.match(value)
        unit = m.group(1) if m else ""
        dim = dimension or (dimension_of(unit) if unit else "length")  # a bare number needs no dimension
        if dim is None:
            raise ConfigError(f"{where} = {value!r}: unknown unit {unit!r}")
        try:
            return parse_quantity(value, dim)
        except ValueError as exc:
            raise ConfigError(f"{where} = {value!r}: {exc}") from None
    raise ConfigError(f"{where} = {value!r}: expected a number or a string with a unit")


def derived_unit(name: str) -> str:
    """The SI unit of a derived quantity of :data:`DERIVED` ('J/m^3')."""
    return DERIVED[name].split(",")[0]


def bound_number(column: str, value: Any, where: str) -> float:
    """A bound on ``column`` (a sweep filter's, a map window's) in SI: on a derived energy density in any unit of
    its dimension ("2 J/mm^3" for ``volumetric_energy_density_J_m3``, a bare number in its SI unit), a unit of
    another dimension refused; on any other column a bare number or any known unit, as :func:`si_number`."""
    return si_number(value, where, dimension_of(derived_unit(column)) if column in DERIVED else None)


def _is_spec(d: Any, keys: set) -> bool:
    return isinstance(d, dict) and bool(d) and set(d) <= keys


def flatten(table: dict, leaf_keys: set = frozenset(), prefix: str = "") -> dict:
    """Nested TOML tables -> dotted keys; a dict made only of ``leaf_keys`` stays a value."""
    out = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not _is_spec(v, set(leaf_keys)):
            out.update(flatten(v, leaf_keys, key + "."))
        else:
            out[key] = v
    return out


def read_back(case, dotted: str) -> Any:
    """The validated value of ``dotted`` in a Case, in SI where it is a quantity."""
    node: Any = case
    for part in dotted.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        else:
            node = getattr(node, part, None)
    if isinstance(node, str):  # e.g. geometry.params lengths written with units
        try:
            return si_number(node, dotted)
        except ConfigError:
            return node
    return node


def derived_quantities(case) -> dict:
    """The derived quantities of the module docstring for a validated Case (SI)."""
    from ..planning.budget import energy_densities_si
    from ..planning.planner import hatch_spacing

    p = case.process
    si = energy_densities_si(p.power, p.scan_speed, p.spot_diameter, hatch_spacing(p), p.layer_thickness)
    return {name: si[name] for name in DERIVED}


# ------------------------------------------------------------------------------------------------
# blocks
# ------------------------------------------------------------------------------------------------
def _grid_values(key: str, spec: Any) -> list:
    where = f"grid.{key}"
    if isinstance(spec, list):
        if not spec:
            raise ConfigError(f"{where}: an empty list gives no cases")
        _check_distinct(spec, where)
        return spec
    if _is_spec(spec, GRID_SPEC_KEYS):
        missing = {"start", "stop", "num"} - set(spec)
        if missing:
            raise ConfigError(f"{where}: a range needs start, stop and num (missing {', '.join(sorted(missing))})")
        a, b = si_number(spec["start"], where + ".start"), si_number(spec["stop"], where + ".stop")
        n = spec["num"]
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_CASES:
            raise ConfigError(f"{where}.num = {n!r}: must be an integer from 1 to {MAX_CASES}")
        if n == 1 and not _same(a, b):  # numpy would give start alone, silently dropping stop
            raise ConfigError(f"num = 1 gives start ({spec['start']!r}) alone and drops stop ({spec['stop']!r}); "
                              "allowed: num >= 2 for values from start to stop, or num = 1 with start = stop",
                              key=where)
        if n > 1 and _same(a, b):  # every value the same: one case run n times under n ids
            raise ConfigError(f"start = stop ({spec['start']!r}) gives that value {n} times; allowed: num = 1 for "
                              "one value, or a stop other than start", key=where)
        scale = spec.get("scale", "linear")
        if scale == "log":
            if a <= 0 or b <= 0:
                raise ConfigError(f"{where}: a log range needs start and stop > 0 (got {a:g}, {b:g})")
            return [float(v) for v in np.geomspace(a, b, n)]
        if scale != "linear":
            raise ConfigError(f"{where}.scale = {scale!r}: allowed: 'linear', 'log'")
        return [float(v) for v in np.linspace(a, b, n)]
    raise ConfigError(f"{where} = {spec!r}: expected a list of values or a table {{start, stop, num[, scale]}}")


def _same(a: float, b: float) -> bool:
    """Whether two SI values are one value written twice (10 W and 10000 mW), beyond round-off of the units."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def _check_distinct(values: list, where: str) -> None:
    """Refuse a list of grid values that names one value twice, in any unit (10 W and 10000 mW): the sweep
    would run the same case twice under two ids."""
    seen: dict = {}
    for v in values:
        try:
            key = f"{si_number(v, where):.12g}" if not isinstance(v, bool) else v
        except ConfigError:
            key = v if isinstance(v, (str, int, float)) else repr(v)  # a word (a model name): compared as given
        if key in seen:
            raise ConfigError(f"{where}: {seen[key]!r} and {v!r} are the same value; allowed: distinct values")
        seen[key] = v


def _grid_block(grid: dict) -> list[dict]:
    table = flatten(grid, GRID_SPEC_KEYS)
    keys = list(table)
    values = [_grid_values(k, table[k]) for k in keys]
    _check_count(math.prod(len(v) for v in values), "grid")
    return [dict(zip(keys, combo)) for combo in itertools.product(*values)]


def _check_count(n: int, what: str) -> None:
    """Refuse a sweep of more than ``MAX_CASES`` cases before listing them (a typo in num must not fill memory)."""
    if n > MAX_CASES:
        raise ConfigError(f"{what}: {n} cases; allowed: at most {MAX_CASES} in one sweep")


def _cases_block(cases: Any) -> list[dict]:
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases) or not cases:
        raise ConfigError("cases: expected a non-empty array of tables ([[cases]] with overrides)")
    return [flatten(c) for c in cases]


def latin_hypercube(n: int, d: int, seed: int) -> np.ndarray:
    """``n`` points in [0, 1)^d, one in each of the n equal strata of every axis (McKay, Beckman &
    Conover 1979, Technometrics 21:239): a random permutation of strata per axis, jittered within."""
    rng = np.random.default_rng(seed)
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def _lhs_block(lhs: dict) -> list[dict]:
    unknown = set(lhs) - {"samples", "seed", "ranges"}
    if unknown:
        raise ConfigError(f"lhs: unknown key '{sorted(unknown)[0]}'; valid keys: samples, seed, ranges")
    n, seed = lhs.get("samples"), lhs.get("seed", 0)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_CASES:
        raise ConfigError(f"lhs.samples = {n!r}: must be an integer from 1 to {MAX_CASES}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"lhs.seed = {seed!r}: must be an integer >= 0")
    ranges = flatten(lhs.get("ranges") or {}, RANGE_SPEC_KEYS)
    if not ranges:
        raise ConfigError("lhs.ranges: name at least one key to sample, e.g. \"process.power\" = [\"10 W\", \"40 W\"]")
    bounds = []
    for key, r in ranges.items():
        where = f"lhs.ranges.{key}"
        if isinstance(r, list) and len(r) == 2:
            lo, hi, scale = r[0], r[1], "linear"
        elif _is_spec(r, RANGE_SPEC_KEYS) and {"min", "max"} <= set(r):
            lo, hi, scale = r["min"], r["max"], r.get("scale", "linear")
        else:
            raise ConfigError(f"{where} = {r!r}: expected [low, high] or {{min, max[, scale]}}")
        lo, hi = si_number(lo, where + " (low)"), si_number(hi, where + " (high)")
        if not hi > lo:
            raise ConfigError(f"{where}: high ({hi:g}) must exceed low ({lo:g})")
        if scale not in ("linear", "log"):
            raise ConfigError(f"{where}.scale = {scale!r}: allowed: 'linear', 'log'")
        if scale == "log" and lo <= 0:
            raise ConfigError(f"{where}: a log range needs low > 0 (got {lo:g})")
        bounds.append((key, lo, hi, scale))
    u = latin_hypercube(n, len(bounds), seed)
    rows = []
    for i in range(n):
        row = {}
        for j, (key, lo, hi, scale) in enumerate(bounds):
            if scale == "log":
                row[key] = float(math.exp(math.log(lo) + u[i, j] * (math.log(hi) - math.log(lo))))
            else:
                row[key] = float(lo + u[i, j] * (hi - lo))
        rows.append(row)
    return rows


def _filters(table: dict) -> list[tuple[str, float | None, float | None]]:
    out = []
    for key, r in flatten(table, RANGE_SPEC_KEYS).items():
        where = f"filter.{key}"
        if not _is_spec(r, {"min", "max"}):
            raise ConfigError(f"{where} = {r!r}: expected a table {{min = ..., max = ...}} (either may be left out)")
        lo = bound_number(key, r["min"], where + ".min") if "min" in r else None
        hi = bound_number(key, r["max"], where + ".max") if "max" in r else None
        out.append((key, lo, hi))
    return out


# ------------------------------------------------------------------------------------------------
# expansion
# ------------------------------------------------------------------------------------------------
def case_id(index: int, width: int, base_data: dict, fixed: dict, overrides: dict) -> str:
    """``case_<index>_<hash>``: the hash covers the base case, the fixed and the case's overrides, so a
    resumed sweep reuses a result only when every input is the same."""
    blob = json.dumps({"base": base_data, "set": fixed, "case": overrides}, sort_keys=True, default=str)
    return f"case_{index:0{width}d}_{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


def _check_top(data: dict, where: str) -> None:
    for k in data:
        if k not in TOP_KEYS:
            guess = difflib.get_close_matches(k, TOP_KEYS, n=1, cutoff=0.5)
            hint = f"; did you mean '{guess[0]}'?" if guess else ""
            raise ConfigError(f"{where}: unknown key '{k}'{hint} Valid keys: {', '.join(TOP_KEYS)}")


def parse_sweep(data: dict, base_dir: Path, source: Path | None = None) -> SweepSpec:
    """Expand a sweep given as a dict (the parsed TOML); relative paths are read from ``base_dir``."""
    where = str(source) if source else "sweep"
    _check_top(data, where)
    if "base" not in data or not isinstance(data["base"], str):
        raise ConfigError(f"{where}: missing key 'base' (path of the base case file, relative to the sweep file)")
    base = (base_dir / data["base"]).resolve()
    base_data = read_toml(base, "base case file")
    fixed = flatten(data.get("set") or {})
    blocks, owner = [], {}
    for name, make in (("grid", _grid_block), ("cases", _cases_block), ("lhs", _lhs_block)):
        if name in data:
            rows = make(data[name])
            for key in dict.fromkeys(k for r in rows for k in r):
                # a key set twice would silently take the last value: say which blocks clash
                first = owner.setdefault(key, name)
                if first != name or key in fixed:
                    raise ConfigError(f"{where}: '{key}' is given in both [{'set' if key in fixed else first}] "
                                      f"and [{name}]; give it in one place")
            blocks.append(rows)
    _check_count(math.prod(len(b) for b in blocks), "the blocks crossed")
    # no block at all: product() of nothing is one empty combination, i.e. the base case alone
    combos = [dict(itertools.chain.from_iterable(d.items() for d in parts)) for parts in itertools.product(*blocks)]
    varied = list(dict.fromkeys(k for c in combos for k in c))
    for key in varied:
        if key in FIXED_PER_PROCESS:
            raise ConfigError(f"{where}: '{key}' cannot vary within a sweep (one kernel runtime per worker); "
                              "set it in [set] or the base case")
    filters = _filters(data.get("filter") or {})
    width = max(4, len(str(len(combos))))
    arch = _validate(base_data, base, fixed, where, "base case", {}).solver.arch
    cases, skipped, slips = [], [], {}
    for i, over in enumerate(combos, start=1):
        cid = case_id(i, width, base_data, fixed, over)
        case = _validate(base_data, base, {**fixed, **over}, where, cid, over)
        inputs = {k: read_back(case, k) for k in varied}
        derived = derived_quantities(case)
        sc = SweepCase(i, cid, over, inputs, derived)
        passes = _passes(case, derived, filters, where)
        (cases if passes else skipped).append(sc)
        for line in unit_slips(case) if passes else ():
            slips.setdefault(line, []).append(cid)
    name = str(data.get("name") or (Path(source).stem if source else "sweep"))
    warnings = [f"{line} ({_cases_named(ids, len(cases))})" for line, ids in slips.items()]
    return SweepSpec(name=name,
                     base=base, base_data=base_data, fixed=fixed, varied=varied, cases=cases, skipped=skipped,
                     description=str(data.get("description", "")), source=source, arch=arch, warnings=warnings)


def _cases_named(ids: list[str], n_cases: int) -> str:
    """Which cases a warning concerns, in a few words."""
    if len(ids) == n_cases:
        return "every case"
    return "cases " + ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")


def _validate(base_data: dict, base: Path, overrides: dict, where: str, cid: str, own: dict):
    data = copy.deepcopy(base_data)
    for k, v in overrides.items():
        set_dotted(data, k, v)
    switch_part_source(data, overrides)  # (as load_case, which the workers call)
    try:
        case = parse_case(data)
    except ConfigError as exc:
        shown = ", ".join(f"{k} = {v!r}" for k, v in own.items()) or "the base case"
        raise ConfigError(f"{where}: {cid} ({shown}): {exc}") from None
    case._base_dir = base.parent
    case._bare = bare_numbers(data)
    return case


def _passes(case, derived: dict, filters, where: str) -> bool:
    for key, lo, hi in filters:
        if key in derived:
            v = derived[key]
        else:
            v = read_back(case, key)
            if v is None or not isinstance(v, (int, float)):
                known = ", ".join(DERIVED)
                raise ConfigError(f"{where}: filter key '{key}' is neither a numeric case key nor a derived "
                                  f"quantity ({known})")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            return False
    return True


def is_sweep(data: dict) -> bool:
    """Whether a parsed TOML file is a sweep file rather than a case file."""
    return not SWEEP_ONLY_KEYS.isdisjoint(data)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and expand a sweep file; mistakes raise :class:`~regolith_sim.errors.ConfigError`."""
    p = Path(path)
    data = read_toml(p, "sweep file")
    return parse_sweep(data, p.resolve().parent, p)
