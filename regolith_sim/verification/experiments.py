"""Published experiments reproduced end to end: `regolith-sim validate --suite experiments`.

Each experiment is a TOML file under examples/experiments/ with an ``[experiment]`` table (the source and its
DOI, which parameters were fitted to which data, the measured outcomes with their scatter, the expected
verdict, coarse settings for CI). Three kinds:

* ``print`` - the rest of the file is an ordinary case (`regolith-sim run` runs it; the schema accepts and
  ignores the ``[experiment]`` table); outcomes are dotted keys of the run's summary (SUMMARY_UNITS) or a
  probe's temperature at a time (``probes.NAME.T_K`` with ``at_s``);
* ``furnace`` - an isothermal furnace hold integrated by the production densify kernel
  (:func:`~regolith_sim.verification.sintering_cases.furnace_hold`), table ``[experiment.furnace]``;
  outcomes ``part.mean_relative_density``, ``part.porosity``, ``part.estimated_compressive_strength_MPa``
  (the material's furnace matrix-strength law at the predicted porosity, with its scatter band);
* ``particles`` - a poured and settled DEM bed (regolith_sim.particles), table ``[experiment.particles]`` (the
  body of a particle case); outcomes ``bed.packing_fraction`` and ``bed.bulk_density_kg_m3``.

Verdict of one comparison (docs/validation.md states it too): the prediction's band is [low, high] of an
object with median/low/high, or the summary's ``KEY_range`` beside a number (the bulk density over the
measured vesicle porosity), else the single value; the measured band [min, max] (either side may be open) is
widened by the stated relative ``tolerance``. The two bands overlap: "agrees"; they do not: "disagrees";
the key is missing or null: "no prediction". A case's verdict is the worst of its comparisons (disagrees,
then agrees, then no prediction). ``role = "calibration"`` cases (data used to fit a parameter) are run and
shown but left out of the counts.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..config.loader import read_toml
from ..errors import ConfigError
from ..example_cases import EXPERIMENTS, examples_dir

KINDS = ("print", "furnace", "particles")
PROCESSES = ("solar", "laser", "microwave", "furnace", "packing")
ROLES = ("validation", "calibration")
VERDICTS = ("agrees", "disagrees", "no prediction")
#: How a case's verdict follows from its comparisons: the first of these that any comparison has.
_WORST_FIRST = ("disagrees", "agrees", "no prediction")


@dataclass
class Comparison:
    key: str                      #: dotted key of the summary
    measured: tuple               #: (min, max), None for an open side
    unit: str
    where: str                    #: where in the source the number stands
    tolerance: float = 0.0        #: relative widening of the measured band
    at_s: float | None = None     #: probe series: the time [s] the temperature is read at
    scale: float = 1.0            #: summary value x scale = value in ``unit``


@dataclass
class Experiment:
    path: Path
    name: str
    title: str
    kind: str
    process: str
    role: str
    source: str
    doi: str
    fitted: list
    inputs: str
    notes: list
    expected_verdict: str
    coarse: dict
    compare: list
    table: dict                   #: the kind's own table (furnace, particles) or {}


@dataclass
class ExperimentResult:
    name: str
    title: str
    process: str
    role: str
    source: str
    doi: str
    verdict: str
    expected_verdict: str
    comparisons: list = field(default_factory=list)   #: dicts: key, unit, measured, predicted, verdict
    fitted: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    wall_time_s: float = 0.0

    @property
    def passed(self) -> bool:
        """The verdict is the one the case file records (a change in either direction fails CI)."""
        return self.verdict == self.expected_verdict

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}

    def line(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        tag = " [calibration]" if self.role == "calibration" else ""
        shown = "; ".join(f"{c['key'].split('.')[-1]} {fmt_band(c['predicted'])} vs {fmt_band(c['measured'])} "
                          f"{c['unit']}" for c in self.comparisons)
        return (f"{mark}  {self.name:<34} {self.verdict:<13} (expected {self.expected_verdict}){tag}  {shown}  "
                f"[doi:{self.doi}]")


# --- reading -----------------------------------------------------------------------------------------
def _bad(path: Path, key: str, value, allowed: str) -> ConfigError:
    return ConfigError(f"{value!r}; allowed: {allowed}", key=f"{path.name}: experiment.{key}")


def _choice(path, exp, key, allowed, default=None):
    value = exp.get(key, default)
    if value not in allowed:
        raise _bad(path, key, value, " / ".join(allowed))
    return value


def _text(path, exp, key, required=True) -> str:
    value = exp.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(path, key, value, "a non-empty string")
    return value


def _number_or_none(path, key, value):
    if value is None or value == "none":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(path, key, value, "a finite number or \"none\" (an open side)")
    return float(value)


def _comparison(path: Path, n: int, c: Any) -> Comparison:
    where = f"compare.{n}"
    if not isinstance(c, dict):
        raise _bad(path, where, c, "a table with key, measured, unit, where")
    unknown = set(c) - {"key", "measured", "unit", "where", "tolerance", "at_s", "scale"}
    if unknown:
        raise _bad(path, f"{where}.{sorted(unknown)[0]}", c[sorted(unknown)[0]],
                   "keys key, measured, unit, where, tolerance, at_s, scale")
    key = _text(path, c, "key")
    m = c.get("measured")
    if not isinstance(m, list) or len(m) != 2:
        raise _bad(path, f"{where}.measured", m, "[min, max] (\"none\" for an open side)")
    lo, hi = (_number_or_none(path, f"{where}.measured", v) for v in m)
    if lo is None and hi is None or (lo is not None and hi is not None and lo > hi):
        raise _bad(path, f"{where}.measured", m, "[min, max] with min <= max, at most one side \"none\"")
    tol = c.get("tolerance", 0.0)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 <= tol < 1:
        raise _bad(path, f"{where}.tolerance", tol, "a relative widening in [0, 1)")
    at_s = _number_or_none(path, f"{where}.at_s", c.get("at_s"))
    if at_s is not None and at_s < 0:
        raise _bad(path, f"{where}.at_s", at_s, "a time >= 0 s")
    scale = _number_or_none(path, f"{where}.scale", c.get("scale", 1.0))
    return Comparison(key, (lo, hi), _text(path, c, "unit", required=False), _text(path, c, "where"),
                      float(tol), at_s, 1.0 if scale is None else scale)


#: The furnace hold's keys: what each must be.
FURNACE_KEYS = {"material": "a material name or data file", "temperature_C": "a hold temperature in degC, 0-2000",
                "hold_s": "a hold time in s, > 0", "model": "viscous / master-curve",
                "overrides": "a table of material property overrides"}


def _check_furnace(path: Path, t: dict) -> None:
    for key in t:
        if key not in FURNACE_KEYS:
            raise _bad(path, f"furnace.{key}", t[key], ", ".join(FURNACE_KEYS))
    for key in ("material", "temperature_C", "hold_s"):
        if key not in t:
            raise _bad(path, f"furnace.{key}", None, FURNACE_KEYS[key])
    ok = {"material": isinstance(t["material"], str),
          "temperature_C": _is_number(t["temperature_C"]) and 0 <= t["temperature_C"] <= 2000,
          "hold_s": _is_number(t["hold_s"]) and t["hold_s"] > 0,
          "model": t.get("model", "viscous") in ("viscous", "master-curve"),
          "overrides": isinstance(t.get("overrides", {}), dict)}
    for key, good in ok.items():
        if not good:
            raise _bad(path, f"furnace.{key}", t.get(key), FURNACE_KEYS[key])


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file; a mistake raises a one-line ConfigError naming the key, the value
    and what is allowed."""
    path = Path(path)
    data = read_toml(path, "experiment case")
    exp = data.get("experiment")
    if not isinstance(exp, dict):
        raise ConfigError("missing; every file here needs an [experiment] table", key=f"{path.name}: experiment")
    allowed = {"kind", "title", "process", "role", "source", "doi", "fitted", "inputs", "notes", "expected_verdict",
               "coarse", "compare", "furnace", "particles"}
    unknown = sorted(set(exp) - allowed)
    if unknown:
        raise _bad(path, unknown[0], exp[unknown[0]], ", ".join(sorted(allowed)))
    kind = _choice(path, exp, "kind", KINDS, "print")
    compare = exp.get("compare")
    if not isinstance(compare, list) or not compare:
        raise _bad(path, "compare", compare, "one or more [[experiment.compare]] tables")
    for key in ("fitted", "notes"):
        if not isinstance(exp.get(key, []), list) or not all(isinstance(s, str) for s in exp.get(key, [])):
            raise _bad(path, key, exp.get(key), "a list of strings")
    coarse = exp.get("coarse", {})
    if not isinstance(coarse, dict):
        raise _bad(path, "coarse", coarse, "a table of dotted case keys and values")
    if kind != "print" and not isinstance(exp.get(kind), dict):
        raise _bad(path, kind, exp.get(kind), f"a [experiment.{kind}] table (kind = \"{kind}\")")
    if kind == "furnace":
        _check_furnace(path, exp["furnace"])
    return Experiment(path=path, name=path.stem, title=_text(path, exp, "title"), kind=kind,
                      process=_choice(path, exp, "process", PROCESSES), role=_choice(path, exp, "role", ROLES,
                                                                                     "validation"),
                      source=_text(path, exp, "source"), doi=_text(path, exp, "doi"), fitted=list(exp.get("fitted", [])),
                      inputs=_text(path, exp, "inputs"), notes=list(exp.get("notes", [])),
                      expected_verdict=_choice(path, exp, "expected_verdict", VERDICTS),
                      coarse=dict(coarse), compare=[_comparison(path, n, c) for n, c in enumerate(compare)],
                      table=dict(exp.get(kind, {})) if kind != "print" else {})


# --- running -----------------------------------------------------------------------------------------
def _run_print(exp: Experiment, coarse: bool) -> tuple[dict, Any]:
    from ..config import load_case
    from ..simulation import Simulation
    from ..simulation.recorders import ProbeRecorder

    case = load_case(exp.path, **(exp.coarse if coarse else {}))
    sim = Simulation(case)
    probes = ProbeRecorder(case.output.probes, sim.domain.grid) if case.output.probes else None
    if probes:
        sim.recorders.append(probes)
    result = sim.run(progress=False)
    return result.summary, probes


def _band_of_strength(material, route: str, porosity: float) -> dict:
    """The material's matrix strength law for ``route`` at ``porosity``: {median, low, high} [MPa], or a null
    median with the reason (no data for the simulant and route, or the strength model not available)."""
    try:
        from ..outcomes.routes import Z_BAND, matrix_strength
    except ImportError as exc:  # before the strength model lands
        return {"median": None, "reason": f"no strength model ({exc})"}
    law = matrix_strength(material, route)
    if isinstance(law, str):
        return {"median": None, "reason": law}
    return {"median": float(law.at(porosity)) / 1e6, "low": float(law.at(porosity, -Z_BAND)) / 1e6,
            "high": float(law.at(porosity, Z_BAND)) / 1e6, "governing_mechanism": "matrix porosity"}


def _run_furnace(exp: Experiment, coarse: bool) -> tuple[dict, None]:
    from ..materials import get_material
    from .sintering_cases import furnace_hold

    t = exp.table  # checked by load_experiment
    mat = get_material(t["material"], t.get("overrides", {}))
    T_C, hold_s, model = float(t["temperature_C"]), float(t["hold_s"]), t.get("model", "viscous")
    rho = float(furnace_hold(mat, [T_C], hold_s, model)[0])
    part = {"mean_relative_density": rho, "porosity": 1.0 - rho,
            "bulk_density_kg_m3": rho * float(mat.get("density.particle_kg_m3")),
            "estimated_compressive_strength_MPa": _band_of_strength(mat, "furnace", 1.0 - rho)}
    return {"part": part, "peak_temperature_K": T_C + 273.15}, None


def _run_particles(exp: Experiment, coarse: bool) -> tuple[dict, None]:
    from ..config.loader import set_dotted
    from ..particles.config import load_particle_case
    from ..particles.runner import _material, contact_for, grains_for, poured_bed
    from gpu_kernels import backend

    body = {"name": exp.name, "particles": json.loads(json.dumps(exp.table))}
    for dotted, value in (exp.coarse if coarse else {}).items():
        set_dotted(body, dotted, value)
    case = load_particle_case(body)
    backend.ensure_init()
    material = _material(case)
    grains = grains_for(case.particles, material)
    contact = contact_for(case.particles, material, grains)
    _, phi, _, _ = poured_bed(case.particles, grains, contact)
    return {"bed": {"packing_fraction": float(phi), "bulk_density_kg_m3": float(phi) * contact.density}}, None


_RUNNERS = {"print": _run_print, "furnace": _run_furnace, "particles": _run_particles}


def lookup(summary: dict, key: str):
    node: Any = summary
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def predicted_band(value, scale: float = 1.0, value_range=None) -> dict | None:
    """[low, median, high] of a summary value: an object with median/low/high gives its band, a number its
    ``value_range`` ([low, high], the summary's ``KEY_range`` where it reports one) or itself; None (missing,
    null median, not a number) means no prediction."""
    if isinstance(value, dict):
        med = value.get("median")
        if med is None:
            return None
        lo, hi = value.get("low", med), value.get("high", med)
        lo, hi = (med if v is None else v for v in (lo, hi))
        return {"low": lo * scale, "median": med * scale, "high": hi * scale}
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        lo, hi = value, value
        if isinstance(value_range, (list, tuple)) and len(value_range) == 2 and \
                all(isinstance(v, (int, float)) and math.isfinite(v) for v in value_range):
            lo, hi = min(value, *value_range), max(value, *value_range)
        return {"low": lo * scale, "median": value * scale, "high": hi * scale}
    return None


def _probe_value(probes, key: str, at_s: float):
    """Temperature [K] of probe NAME (``probes.NAME.T_K``) at ``at_s``, linear between samples."""
    import numpy as np

    name = key.split(".")[1]
    if probes is None or name not in probes.names:
        return None
    table = probes.table()
    col = 1 + 2 * probes.names.index(name)
    t, T = table[:, 0], table[:, col]
    ok = np.isfinite(T)
    if not ok.any() or at_s > t[ok].max() + 1e-9:
        return None
    return float(np.interp(at_s, t[ok], T[ok]))


def judge(predicted: dict | None, measured: tuple, tolerance: float) -> str:
    """The verdict of one comparison (module docstring)."""
    if predicted is None:
        return "no prediction"
    lo, hi = measured
    lo = None if lo is None else lo * (1.0 - tolerance)
    hi = None if hi is None else hi * (1.0 + tolerance)
    above = lo is not None and predicted["high"] < lo
    below = hi is not None and predicted["low"] > hi
    return "disagrees" if above or below else "agrees"


def case_verdict(verdicts: list[str]) -> str:
    return next(v for v in _WORST_FIRST if v in verdicts)


def run_experiment(exp: Experiment | str | Path, coarse: bool = True) -> ExperimentResult:
    exp = exp if isinstance(exp, Experiment) else load_experiment(exp)
    t0 = time.perf_counter()
    summary, probes = _RUNNERS[exp.kind](exp, coarse)
    rows = []
    for c in exp.compare:
        if c.key.startswith("probes.") and c.at_s is not None:
            value = _probe_value(probes, c.key, c.at_s)
        else:
            value = lookup(summary, c.key)
        band = predicted_band(value, c.scale, lookup(summary, c.key + "_range"))
        reason = value.get("reason") if isinstance(value, dict) and band is None else None
        mechanism = value.get("governing_mechanism") if isinstance(value, dict) and band else None
        rows.append({"key": c.key + (f" at {c.at_s:g} s" if c.at_s is not None else ""), "unit": c.unit,
                     "measured": list(c.measured), "tolerance": c.tolerance, "where": c.where,
                     "predicted": band, "reason": reason, "governing_mechanism": mechanism,
                     "verdict": judge(band, c.measured, c.tolerance)})
    return ExperimentResult(exp.name, exp.title, exp.process, exp.role, exp.source, exp.doi,
                            case_verdict([r["verdict"] for r in rows]), exp.expected_verdict, rows, exp.fitted,
                            exp.notes, time.perf_counter() - t0)


def experiment_files(folder: str | Path | None = None, only: list[str] | None = None) -> list[Path]:
    folder = Path(folder) if folder else examples_dir() / EXPERIMENTS
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        raise ConfigError(f"'{folder}' holds no experiment case files (*.toml)", key="--cases")
    unknown = sorted(set(only or ()) - {f.stem for f in files})
    if unknown:
        raise ConfigError(f"no case {', '.join(unknown)} in '{folder}'; allowed: {', '.join(f.stem for f in files)}",
                          key="--only")
    return [f for f in files if not only or f.stem in only]


def run_experiments(folder: str | Path | None = None, only: list[str] | None = None,
                    coarse: bool = True) -> list[ExperimentResult]:
    """Run every experiment file (default: the shipped examples/experiments), coarse settings by default.
    All files are read and checked before the first one runs."""
    exps = [load_experiment(f) for f in experiment_files(folder, only)]
    return [run_experiment(e, coarse) for e in exps]


# --- reporting ---------------------------------------------------------------------------------------
def fmt_num(v) -> str:
    return "-" if v is None else f"{v:.3g}"


def fmt_band(b) -> str:
    """A measured [min, max] or a predicted {low, median, high} as text."""
    if b is None:
        return "none"
    if isinstance(b, dict):
        if b["low"] == b["high"]:
            return fmt_num(b["median"])
        return f"{fmt_num(b['median'])} ({fmt_num(b['low'])}-{fmt_num(b['high'])})"
    lo, hi = b
    if lo is None:
        return f"< {fmt_num(hi)}"
    if hi is None:
        return f"> {fmt_num(lo)}"
    return fmt_num(lo) if lo == hi else f"{fmt_num(lo)}-{fmt_num(hi)}"


def short_source(source: str) -> str:
    """'Meurisse A., Makaya A., ... (2018). Title' -> 'Meurisse et al. 2018'; 'Jaffe L.D. (1969). ...' -> 'Jaffe
    1969'; a source without that pattern is cut to its first sentence."""
    m = re.match(r"([^\s,(]+)( [A-Z]\.[^()]*?)\((\d{4})\)", source)
    if m:
        return f"{m.group(1)}{' et al.' if ',' in m.group(2) else ''} {m.group(3)}"
    title = re.split(r" \(|\. ", source)[0]
    return title if len(title) <= 60 else title[:57] + "..."


def tally(results: list[dict]) -> dict:
    """Counts over validation cases (calibration cases excluded) and per process."""
    val = [r for r in results if r["role"] == "validation"]
    out = {v: sum(r["verdict"] == v for r in val) for v in VERDICTS}
    out["validation_cases"] = len(val)
    out["calibration_cases"] = len(results) - len(val)
    out["per_process"] = {p: sum(r["process"] == p for r in val) for p in PROCESSES}
    return out


def markdown(results: list[dict], plot_path: str | None = "images/validation.png") -> str:
    """docs/validation.md from the suite's results (dicts of :meth:`ExperimentResult.as_dict`)."""
    t = tally(results)
    lines = [
        "# Validation against published experiments",
        "",
        "<!-- generated by `regolith-sim validate --suite experiments --markdown docs/validation.md`; do not edit -->",
        "",
        "Each case file under `examples/experiments/` reproduces a published experiment end to end (`regolith-sim "
        "validate --suite experiments`, coarse CI settings; `--full` for the case files' own resolution). "
        "`tests/test_experiments.py` runs the suite once and fails when a verdict differs from the one the case "
        "file records, or when this page differs from the results cached in `docs/validation.json`.",
        "",
        "**Verdict rule.** The prediction's band is the `low`-`high` band of an outcome reported with one "
        "(strength; a bulk density over the measured range of the vesicle porosity), else its single value. "
        "The measured band (min-max of the published scatter; one side may be "
        "open, e.g. \"below 5 MPa\") is widened by the case's stated relative tolerance. Overlap: **agrees**; "
        "no overlap: **disagrees**; the simulation reports no value (a null strength with its reason, a key the "
        "model does not produce yet): **no prediction**. A case's verdict is the worst of its comparisons. "
        "Cases marked *calibration* supplied data that a model parameter was fitted to; they are shown but not "
        "counted.",
        "",
        f"**Today:** {t['validation_cases']} validation cases: {t['agrees']} agree, {t['disagrees']} disagree, "
        f"{t['no prediction']} without a prediction; {t['calibration_cases']} calibration cases. Per process: "
        + ", ".join(f"{p} {n}" for p, n in t["per_process"].items()) + ".",
        "",
    ]
    if plot_path:
        lines += [f"![Predicted against measured, one panel per unit, log axes where the values span more than a "
                  f"decade]({plot_path})", ""]
    lines += ["| case | process | source | outcome | measured | predicted | verdict |", "|---|---|---|---|---|---|---|"]
    for r in results:
        tag = " *(calibration)*" if r["role"] == "calibration" else ""
        for i, c in enumerate(r["comparisons"]):
            pred = fmt_band(c["predicted"]) if c["predicted"] else f"none ({c['reason']})" if c["reason"] else "none"
            tol = f" ±{c['tolerance']:.0%}" if c["tolerance"] else ""
            head = (f"`{r['name']}`{tag}", r["process"], f"{short_source(r['source'])}, doi:{r['doi']}") if i == 0 \
                else ("", "", "")
            lines.append(f"| {head[0]} | {head[1]} | {head[2]} | `{c['key']}` [{c['unit']}] | "
                         f"{fmt_band(c['measured'])}{tol} | {pred} | {c['verdict']} |")
    lines += ["", "## Cases", ""]
    for r in results:
        lines += [f"### `{r['name']}` — {r['title']}", "",
                  f"Source: {r['source']}, doi:{r['doi']}. Role: {r['role']}. Verdict: **{r['verdict']}** "
                  f"(recorded: {r['expected_verdict']}).", ""]
        for c in r["comparisons"]:
            lines.append(f"- `{c['key']}`: measured {fmt_band(c['measured'])} {c['unit']} ({c['where']}); "
                         f"predicted {fmt_band(c['predicted'])}" + (f" — {c['reason']}" if c["reason"] else "")
                         + (f", governed by {c['governing_mechanism']}" if c.get("governing_mechanism") else "")
                         + f": {c['verdict']}.")
        lines += [f"- Fitted: {f}" for f in r["fitted"]] or ["- Fitted: nothing to this experiment's data."]
        lines += [f"- Note: {n}" for n in r["notes"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def plot(results: list[dict], path: str | Path) -> Path:
    """Predicted against measured, one panel per unit (log axes where a band spans more than a decade)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io.atomic import atomic_path

    pts = []
    for r in results:
        for c in r["comparisons"]:
            lo, hi = c["measured"]
            p = c["predicted"]
            if p is None:
                continue
            m_lo = lo if lo is not None else (hi * 0.1 if hi else 0.0)
            m_hi = hi if hi is not None else lo * 1.5
            pts.append((c["unit"], r["name"], r["role"], c["verdict"], m_lo, m_hi, p))
    units = sorted({p[0] for p in pts}) or ["-"]
    fig, axes = plt.subplots(1, len(units), figsize=(4.2 * len(units), 4.2), squeeze=False)
    colours = {"agrees": "tab:green", "disagrees": "tab:red"}
    for ax, unit in zip(axes[0], units):
        sel = [p for p in pts if p[0] == unit]
        vals = [v for p in sel for v in (p[4], p[5], p[6]["low"], p[6]["high"]) if v and v > 0]
        lo, hi = (min(vals), max(vals)) if vals else (1.0, 10.0)
        log = hi / max(lo, 1e-300) > 10
        for _, name, role, verdict, m_lo, m_hi, p in sel:
            x = math.sqrt(m_lo * m_hi) if log and m_lo > 0 else 0.5 * (m_lo + m_hi)
            ax.errorbar(x, p["median"], xerr=[[x - m_lo], [m_hi - x]],
                        yerr=[[p["median"] - p["low"]], [p["high"] - p["median"]]],
                        fmt="o" if role == "validation" else "s", mfc="white" if role == "calibration" else None,
                        color=colours.get(verdict, "grey"), capsize=3)
            ax.annotate(name, (x, p["median"]), fontsize=6, xytext=(3, 3), textcoords="offset points")
        pad = (lo / 2, hi * 2) if log else (lo - 0.1 * (hi - lo + 1e-12), hi + 0.1 * (hi - lo + 1e-12))
        ax.plot(pad, pad, "k--", lw=0.8)
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel(f"measured [{unit}]")
        ax.set_ylabel(f"predicted [{unit}]")
    fig.suptitle("regolith-sim against published experiments (green agrees, red disagrees; squares: calibration)",
                 fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def write_docs(results: list[ExperimentResult], markdown_path: str | Path) -> list[Path]:
    """Write docs/validation.md, its plot (images/validation.png beside it) and the cached results
    (validation.json beside it) that the doc test regenerates the page from."""
    from ..io.atomic import write_text
    from ..io.json_out import write_json

    md = Path(markdown_path)
    data = [r.as_dict() for r in results]
    for d in data:
        d.pop("wall_time_s")  # varies from run to run; the page must not
    png = plot(data, md.parent / "images" / "validation.png")
    cache = write_json(md.with_suffix(".json"), data, indent=1)
    page = write_text(md, markdown(data, "images/validation.png"))
    return [page, png, cache]
