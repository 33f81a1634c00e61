"""The results table of a sweep: one row per case with its inputs, derived quantities and summary numbers.

Columns, in order (all SI, units as in the case-file reference and the summary keys):

* ``case_id``, ``status`` (pending / running / done / failed), ``error`` (one line, failed cases)
* the varied inputs, named by their case-file key (``process.power`` [W], ...)
* the derived quantities of :mod:`regolith_sim.sweep.spec` (``areal_energy_density_J_m2``, ...)
* the run's summary flattened with dots (``part.mean_relative_density``, ``energy.delivered_J``, ...)
* ``job_s`` (seconds the worker spent in run_job) and ``worker`` (which worker ran it)

It is rebuilt from ``DIR/sweep.json`` and the status records alone, so it always lists every case.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..io.atomic import atomic_path
from .spec import DERIVED, derived_unit
from .status import StatusStore

MANIFEST = "sweep.json"
CSV = "results.csv"
PARQUET = "results.parquet"
#: Columns that say how and where a case ran, not what it gave: they differ between two runs of a sweep.
RUN_COLUMNS = ("job_s", "worker", "run.wall_time_s")


def flatten_summary(summary: dict, prefix: str = "", shape: dict | None = None) -> dict:
    """A run's summary with dotted keys. A null where ``shape`` (:func:`summary_shape` of every case's summary) has a
    table (a cooling rate where nothing melted) gives that table's keys, empty: a table's columns must not depend on
    which cases happened to fill it."""
    out = {}
    for k, v in summary.items():
        sub = shape.get(k) if shape else None
        if v is None and isinstance(sub, dict):
            v = dict.fromkeys(sub)
        if isinstance(v, dict):
            out.update(flatten_summary(v, f"{prefix}{k}.", sub if isinstance(sub, dict) else None))
        else:
            out[f"{prefix}{k}"] = v
    return out


def summary_shape(summaries, shape: dict | None = None) -> dict:
    """The keys of ``summaries`` merged, nested as they nest (leaves None): every table any of them has."""
    shape = {} if shape is None else shape
    for summary in summaries:
        for k, v in summary.items():
            if isinstance(v, dict):
                shape[k] = summary_shape([v], shape[k] if isinstance(shape.get(k), dict) else {})
            else:
                shape.setdefault(k, None)
    return shape


def read_manifest(out_dir: str | Path) -> dict:
    from ..io.safe_read import MAX_TABLE_BYTES, read_json

    p = Path(out_dir) / MANIFEST
    if not p.exists():
        raise UserError(f"'{out_dir}' holds no sweep ({MANIFEST} not found); run `regolith-sim sweep` first",
                        key="DIR")
    data = read_json(p, what="sweep manifest", key="DIR", max_bytes=MAX_TABLE_BYTES)
    cases = data.get("cases") if isinstance(data, dict) else None
    if not (isinstance(cases, list) and isinstance(data.get("varied"), list) and all(
            isinstance(c, dict) and isinstance(c.get("case_id"), str) and isinstance(c.get("inputs"), dict)
            and isinstance(c.get("derived"), dict) for c in cases)):
        raise UserError(f"'{p}' is not a sweep manifest as `regolith-sim sweep` writes it (a list of cases with "
                        "their inputs); run the sweep again to rewrite it", key="DIR")
    return data


def build_table(out_dir: str | Path):
    """The table of the sweep in ``out_dir`` as a pandas DataFrame (every case, whatever its status)."""
    import pandas as pd

    manifest = read_manifest(out_dir)
    store = StatusStore(out_dir)
    records = [store.read(c["case_id"]) or {"status": "pending"} for c in manifest["cases"]]
    shape = summary_shape(rec.get("summary") or {} for rec in records)
    rows, summary_keys = [], {}
    for c, rec in zip(manifest["cases"], records):
        flat = flatten_summary(rec.get("summary") or {}, shape=shape)
        summary_keys.update(dict.fromkeys(flat))
        rows.append({"case_id": c["case_id"], "status": rec["status"], "error": rec.get("error"),
                     **c["inputs"], **c["derived"], **flat, "job_s": rec.get("job_s"), "worker": rec.get("worker")})
    # summary keys in the order run_job writes them (JSON keeps it); no import of the simulation here,
    # which would load Taichi into the coordinating process
    cols = (["case_id", "status", "error"] + list(manifest["varied"]) + list(DERIVED) + list(summary_keys)
            + ["job_s", "worker"])
    df = pd.DataFrame(rows, columns=cols)
    text = {"case_id", "status", "error", "worker"}
    for col in df.columns:  # a numeric column with a missing value (a failed case): NaN, not object ...
        if col in text:
            continue
        values = [r[col] for r in rows if r.get(col) is not None]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            df[col] = pd.array([r.get(col) for r in rows], dtype="Int64")  # ... and counts stay integers
        elif df[col].dtype == object and all(isinstance(v, (int, float)) for v in values):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def write_table(df, out_dir: str | Path) -> tuple[Path, Path]:
    """``results.csv`` and ``results.parquet`` in ``out_dir``, each written atomically."""
    out = Path(out_dir)
    with atomic_path(out / CSV) as tmp:
        df.to_csv(tmp, index=False)
    with atomic_path(out / PARQUET) as tmp:
        df.to_parquet(tmp, index=False)
    return out / CSV, out / PARQUET


def load_table(source: str | Path):
    """A sweep folder (its table rebuilt from the status records), a ``.csv`` or a ``.parquet`` file."""
    import pandas as pd

    from ..io.safe_read import check_regular

    p = Path(source)
    if p.is_dir():
        return build_table(p)
    if not p.exists():
        raise UserError(f"'{p}' is neither a sweep folder nor a results table", key="DIR")
    if p.suffix not in (".csv", ".parquet"):
        raise UserError(f"'{p}': expected a sweep folder, a .csv or a .parquet table", key="DIR")
    check_regular(p, what="results table", key="DIR")
    try:
        return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
    except Exception as exc:  # noqa: BLE001 - pandas and pyarrow raise assorted errors for a damaged file
        # the error's type only: its message may quote the file
        raise UserError(f"'{p}' cannot be read as a {p.suffix[1:]} table ({type(exc).__name__}); allowed: the "
                        f"{CSV} or {PARQUET} a sweep writes", key="DIR") from None


def column_unit(name: str) -> str:
    """The unit of a table column for axis labels ('' when unknown or dimensionless)."""
    from ..simulation.result import SUMMARY_UNITS

    if name in DERIVED:
        return derived_unit(name)
    if name in SUMMARY_UNITS:
        text = SUMMARY_UNITS[name]
        unit = text.split(",")[0] if "," in text else (text if text in ("s", "1") else "")
        return "" if unit == "1" else unit
    from ..config.fields import unit_of
    from ..config.schema import Case

    model, field = Case, None
    for part in name.split("."):
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return ""
        field = fields[part]
        model = field.annotation
    unit = unit_of(field) if field is not None else ""
    return "" if unit in ("1", "-") else unit
