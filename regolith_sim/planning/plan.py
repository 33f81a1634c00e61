"""The process plan: where the heat source is, how strong it is, and when each powder layer is spread.

Event series
------------
One entry per event in the arrays ``t`` [s], ``x``, ``y``, ``z`` [m], ``power`` [W], ``spot`` [m]
(diameter) and ``on`` (bool); ``t`` is non-decreasing. Between consecutive events the spot moves
linearly. ``on``, ``power`` and ``spot`` of event *i* hold for the whole segment [t_i, t_{i+1})
(piecewise constant), so the last event's state is ignored: after the last event the source is off.
Two events may share a time; the segment between them is an instantaneous jump (a plan with zero
dwell uses one for the z step between layers).

Frame: x, y as in the part meshes plus their bed offsets, z up from the bed with every part's base at
z = 0. The z of an event is the top of the layer being scanned, i.e. the powder surface the spot hits.

Layers
------
``layer_times[k]`` is when layer k's powder is spread and ``layer_tops[k]`` is its top z [m]; layer 0
is spread at the first event and layer k is the top layer on [layer_times[k], layer_times[k+1]).
Generated plans spread layer k+1 ``dwell`` seconds after the last track of layer k ends. Without layer
information (a measured machine log, G-code) the layers are inferred from z, see :func:`infer_layers`.

CSV format (one file)
---------------------
::

    # regolith_sim process plan v1
    # layer,0,0.0,0.001            <- "# layer,k,t_spread_s,z_top_m", one per layer, optional
    t_s,x_m,y_m,z_m,power_W,spot_m,on
    0.0,0.0014,0.0016,0.001,60.0,0.004,1

Other ``#`` lines are comments. Columns may come in any order; ``t_s``, ``x_m``, ``y_m`` and ``z_m`` are
required. Without ``power_W`` the ``power`` argument of :meth:`ProcessPlan.from_csv` is used where the
source is on; without ``spot_m`` its ``spot`` argument; without ``on`` the source is on where
power > 0. ``on`` is 0/1 (any non-zero number is on) or true/false. Numbers are written with Python's
shortest round-trip repr, so writing and reading a plan reproduces it bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io.atomic import write_text as atomic_write_text
from ..io.safe_read import MAX_TABLE_BYTES, read_text, shown_token
from .errors import PlanError

#: z values closer than this [m] are one layer when layers are inferred (well below any layer thickness).
Z_TOLERANCE = 1e-7

_FLOAT_COLUMNS = ("t_s", "x_m", "y_m", "z_m", "power_W", "spot_m")
_REQUIRED = ("t_s", "x_m", "y_m", "z_m")
_MAGIC = "# regolith_sim process plan v1"


def _z_levels(z: np.ndarray, tol: float) -> np.ndarray:
    """Distinct z values, ascending, merging values within ``tol`` of the lowest of their run."""
    values = np.unique(z)
    levels = [values[0]]
    for v in values[1:]:
        if v - levels[-1] > tol:
            levels.append(v)
    return np.asarray(levels)


def _nearest_level(z: np.ndarray, levels: np.ndarray, tol: float) -> np.ndarray:
    """Index of the level within ``tol`` of each z, or -1."""
    padded = np.concatenate([[-np.inf], levels, [np.inf]])
    i = np.searchsorted(levels, z)  # levels[i - 1] < z <= levels[i]
    near = np.where(z - padded[i] <= padded[i + 1] - z, i - 1, i)
    return np.where(np.abs(z - padded[near + 1]) <= tol, near, -1)


def infer_layers(t: np.ndarray, z: np.ndarray, on: np.ndarray, tol: float = Z_TOLERANCE):
    """Layer spread times [s] and tops [m] of an event series that does not state them.

    The layers are the distinct z at which the source is on (all z if it never is), ascending. Layer
    0 is spread at the first event; layer k at the first event, after layer k-1 was spread, whose z
    is at layer k's level: a machine raises the head (or lowers the bed) when it spreads powder, so
    the first move at the new height marks the new layer. Generated plans write exactly such an event
    when they spread a layer, so inference reproduces their layer times.
    """
    t, z, on = np.asarray(t, float), np.asarray(z, float), np.asarray(on, bool)
    scanned = z[:-1][on[:-1]]  # the last event starts no segment
    levels = _z_levels(scanned if len(scanned) else z, tol)
    level_of = _nearest_level(z, levels, tol)
    # event indices grouped by level, ascending within each group
    order = np.argsort(level_of, kind="stable")
    groups = np.searchsorted(level_of[order], np.arange(len(levels) + 1))
    times, start = [t[0]], 0
    for k in range(1, len(levels)):
        at_level = order[groups[k]:groups[k + 1]]
        j = np.searchsorted(at_level, start)
        start = int(at_level[j]) if j < len(at_level) else start
        times.append(t[start])
    return np.asarray(times, float), levels.astype(float)


@dataclass(eq=False)
class ProcessPlan:
    """A heat-source path as an event series plus the layer schedule (see the module docstring).

    ``layer_times`` / ``layer_tops`` left as None are inferred from z (:func:`infer_layers`).
    ``warnings`` collects what a reader ignored (e.g. unsupported G-code) or a planner noticed.
    """

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    power: np.ndarray
    spot: np.ndarray
    on: np.ndarray
    layer_times: np.ndarray | None = None
    layer_tops: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self):
        for name in ("t", "x", "y", "z", "power", "spot"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=float).reshape(-1))
        self.on = np.ascontiguousarray(self.on, dtype=bool).reshape(-1)
        n = len(self.t)
        if n < 1 or any(len(getattr(self, a)) != n for a in ("x", "y", "z", "power", "spot", "on")):
            raise PlanError("event arrays must be non-empty and of equal length", key="plan")
        if not all(np.isfinite(getattr(self, a)).all() for a in _attrs()):
            raise PlanError("event arrays contain NaN or infinity", key="plan")
        if np.any(np.diff(self.t) < 0):
            i = int(np.argmax(np.diff(self.t) < 0)) + 1
            raise PlanError(f"time decreases at event {i}", key="plan.t", value=float(self.t[i]),
                            allowed=f">= {self.t[i - 1]!r}", unit="s")
        if np.any(self.power < 0) or np.any(self.spot <= 0):
            raise PlanError("power must be >= 0 W and spot > 0 m", key="plan")
        if self.layer_times is None or self.layer_tops is None:
            self.layer_times, self.layer_tops = infer_layers(self.t, self.z, self.on)
        self.layer_times = np.asarray(self.layer_times, float).reshape(-1)
        self.layer_tops = np.asarray(self.layer_tops, float).reshape(-1)
        if len(self.layer_times) != len(self.layer_tops) or len(self.layer_times) < 1:
            raise PlanError("layer_times and layer_tops must be non-empty and of equal length", key="plan")

    # --- size and schedule ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.t)

    @property
    def duration(self) -> float:
        """Time from the first to the last event [s] (inter-layer dwells included, no cool-down)."""
        return float(self.t[-1] - self.t[0])

    @property
    def n_layers(self) -> int:
        return len(self.layer_tops)

    def layer_at(self, t):
        """Index of the top (most recently spread) layer at time(s) ``t`` [s]; 0 before the start."""
        k = np.searchsorted(self.layer_times, np.asarray(t, float), side="right") - 1
        return np.clip(k, 0, self.n_layers - 1)[()]

    def layer_interval(self, k: int) -> tuple[float, float]:
        """(spread time, time the next layer is spread or the plan ends) of layer ``k`` [s]."""
        end = self.layer_times[k + 1] if k + 1 < self.n_layers else self.t[-1]
        return float(self.layer_times[k]), float(end)

    def layer_segments(self, k: int) -> np.ndarray:
        """Indices i of the segments [event i, event i+1] that start while layer ``k`` is on top."""
        t0, t1 = self.layer_interval(k)
        i0 = np.searchsorted(self.t, t0, side="left")
        last = k + 1 == self.n_layers
        i1 = np.searchsorted(self.t, t1, side="right" if last else "left")
        return np.arange(i0, min(i1, len(self.t) - 1))

    # --- sampling -------------------------------------------------------------------------------
    def position_at(self, t):
        """(x, y, z [m], power [W], spot [m], on) at time(s) ``t`` [s], vectorised.

        Binary search for the segment, then linear interpolation of the position; power, spot and
        on are those of the segment. Before the first and after the last event the spot rests at
        the end point with the source off. Scalars in give scalars out.
        """
        tq = np.asarray(t, float)
        n = len(self.t)
        i = np.searchsorted(self.t, tq, side="right") - 1
        running = (i >= 0) & (i < n - 1)
        i0 = np.clip(i, 0, n - 1)
        i1 = np.minimum(i0 + 1, n - 1)
        dt = self.t[i1] - self.t[i0]
        frac = np.clip(np.where(dt > 0, (tq - self.t[i0]) / np.where(dt > 0, dt, 1.0), 0.0), 0.0, 1.0)
        x, y, z = (a[i0] + frac * (a[i1] - a[i0]) for a in (self.x, self.y, self.z))
        on = self.on[i0] & running
        power = np.where(on, self.power[i0], 0.0)
        return x[()], y[()], z[()], power[()], self.spot[i0][()], on[()]

    # --- integrals ------------------------------------------------------------------------------
    def segment_lengths(self) -> np.ndarray:
        """3-D length of each segment [m] (n_events - 1)."""
        return np.sqrt(np.diff(self.x) ** 2 + np.diff(self.y) ** 2 + np.diff(self.z) ** 2)

    def path_length(self, on_only: bool = True) -> float:
        """Length of the path [m]: only where the source is on, or all of it (travel and z steps too)."""
        lengths = self.segment_lengths()
        return float(lengths[self.on[:-1]].sum() if on_only else lengths.sum())

    def on_time(self, after: float = -np.inf) -> float:
        """Time with the source on [s] (from ``after`` [s] on)."""
        start = np.maximum(self.t[:-1], after)
        return float(np.clip(self.t[1:] - start, 0.0, None)[self.on[:-1]].sum())

    def energy(self) -> float:
        """Energy delivered by the source [J]: the integral of power over the on segments."""
        dt = np.diff(self.t)
        return float(np.sum(self.power[:-1] * dt, where=self.on[:-1]))

    # --- CSV ------------------------------------------------------------------------------------
    def to_csv(self, path) -> Path:
        """Write the plan as one CSV (format in the module docstring), atomically; return the path."""
        head = [_MAGIC, "# layer,k,t_spread_s,z_top_m"]
        head += [f"# layer,{k},{t!r},{z!r}" for k, (t, z) in
                 enumerate(zip(self.layer_times.tolist(), self.layer_tops.tolist()))]
        head.append(",".join(_FLOAT_COLUMNS + ("on",)))
        columns = [getattr(self, a).tolist() for a in _attrs()]
        rows = [",".join(map(repr, row)) + f",{int(on)}" for row, on in zip(zip(*columns), self.on.tolist())]
        return atomic_write_text(path, "\n".join(head + rows) + "\n")

    @classmethod
    def from_csv(cls, path, *, spot: float | None = None, power: float | None = None) -> "ProcessPlan":
        """Read a plan CSV or a minimal machine log (see the module docstring).

        ``spot`` [m] and ``power`` [W] fill the ``spot_m`` and ``power_W`` columns when a file lacks
        them. Layers come from ``# layer`` rows when present, otherwise from z.
        """
        return _read_csv(Path(path), spot, power)


def _attrs():
    return ("t", "x", "y", "z", "power", "spot")


# --- CSV reading ----------------------------------------------------------------------------------
def _parse_on(text: str) -> float:
    s = text.strip().lower()
    if s in ("true", "on", "yes"):
        return 1.0
    if s in ("false", "off", "no"):
        return 0.0
    return float(s)


def _split_lines(path: Path):
    """(layer rows, header names, header line number, [(line number, text)] of data lines)."""
    lines = read_text(path, what="plan file", key="process.plan_file", max_bytes=MAX_TABLE_BYTES,
                      error=PlanError).splitlines()
    layers, header, header_no, data = [], None, 0, []
    for no, line in enumerate(lines, start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            body = s.lstrip("#").strip()
            if body.startswith("layer,") and not body.startswith("layer,k"):
                layers.append((no, body.split(",")[1:]))
            continue
        if header is None:
            header, header_no = [c.strip() for c in s.split(",")], no
        else:
            data.append((no, s))
    if header is None:
        raise PlanError(f"{path}: no header row", key="process.plan_file",
                        allowed="a CSV with columns " + ",".join(_FLOAT_COLUMNS + ("on",)))
    return layers, header, header_no, data


def _bad_line(path: Path, data, n_cols: int, on_col: int | None):
    """The first malformed data line, as an error naming it."""
    for no, text in data:
        fields = text.split(",")
        if len(fields) != n_cols:
            return PlanError(f"{path}:{no}: {len(fields)} fields, expected {n_cols}", key="process.plan_file")
        for j, f in enumerate(fields):
            try:
                _parse_on(f) if j == on_col else float(f)
            except ValueError:
                return PlanError(f"{path}:{no}: cannot read {shown_token(f)} as a number", key="process.plan_file")
    return PlanError(f"{path}: malformed data", key="process.plan_file")


def _table(path: Path, header, data):
    missing = [c for c in _REQUIRED if c not in header]
    unknown = [c for c in header if c not in _FLOAT_COLUMNS + ("on",)]
    if missing or unknown:
        raise PlanError(f"{path}: missing columns {missing}" if missing else
                        f"{path}: unknown columns {', '.join(shown_token(c) for c in unknown)}",
                        key="process.plan_file", allowed=",".join(_FLOAT_COLUMNS + ("on",)))
    if not data:
        raise PlanError(f"{path}: no events", key="process.plan_file")
    on_col = header.index("on") if "on" in header else None
    converters = {on_col: _parse_on} if on_col is not None else None
    try:
        table = np.loadtxt([d for _, d in data], delimiter=",", ndmin=2, dtype=float, converters=converters)
    except ValueError:
        raise _bad_line(path, data, len(header), on_col) from None
    if table.shape[1] != len(header):
        raise _bad_line(path, data, len(header), on_col)
    return {name: table[:, j] for j, name in enumerate(header)}


#: what a plan file's column must hold besides a finite number: (test, what is allowed)
_COLUMN_RANGES = {"power_W": (lambda v: v >= 0, ">= 0 W"), "spot_m": (lambda v: v > 0, "> 0 m")}


def _check_rows(path: Path, cols: dict, data) -> None:
    """Refuse the first data line holding a NaN or infinity, a negative power or a spot <= 0, naming the
    file, the line and the column (ProcessPlan's own check cannot say where in the file)."""
    first = None  # (row, column name, allowed)
    for name, values in cols.items():
        test, allowed = _COLUMN_RANGES.get(name, (None, ""))
        ok = np.isfinite(values) & (test(values) if test else True)
        if not ok.all() and (first is None or int(np.argmin(ok)) < first[0]):
            first = (int(np.argmin(ok)), name, allowed)
    if first is not None:
        i, name, allowed = first
        raise PlanError(f"{path}:{data[i][0]}: {name} = {cols[name][i]:g}", key="process.plan_file",
                        allowed=" ".join(("a finite number", allowed)).strip())


def _fill(path: Path, cols: dict, name: str, value, arg: str, unit: str) -> np.ndarray:
    if name in cols:
        return cols[name]
    if value is None:
        raise PlanError(f"{path}: no {name} column; give {arg}= ({unit})", key="process.plan_file")
    return np.full(len(cols["t_s"]), float(value))


def _read_csv(path: Path, spot, power) -> ProcessPlan:
    layers, header, _, data = _split_lines(path)
    cols = _table(path, header, data)
    _check_rows(path, cols, data)
    t = cols["t_s"]
    if np.any(np.diff(t) < 0):
        no = data[int(np.argmax(np.diff(t) < 0)) + 1][0]
        raise PlanError(f"{path}:{no}: time goes backwards", key="process.plan_file")
    pw = _fill(path, cols, "power_W", power, "power", "W")
    if "on" not in cols:
        on = pw > 0
    else:
        on = cols["on"] != 0
        pw = pw if "power_W" in cols else np.where(on, pw, 0.0)
    layer_times = layer_tops = None
    if layers:
        try:
            rows = sorted((int(k), float(ts), float(zt)) for _, (k, ts, zt, *_) in layers)
        except ValueError:
            raise PlanError(f"{path}: malformed '# layer,k,t_s,z_m' row", key="process.plan_file") from None
        no = next((no for no, (_, ts, zt, *_) in layers if not np.isfinite([float(ts), float(zt)]).all()), None)
        if no is not None:
            raise PlanError(f"{path}:{no}: layer row with a NaN or infinity", key="process.plan_file",
                            allowed="finite t_s and z_m")
        layer_times = [r[1] for r in rows]
        layer_tops = [r[2] for r in rows]
    return ProcessPlan(t=t, x=cols["x_m"], y=cols["y_m"], z=cols["z_m"], power=pw,
                       spot=_fill(path, cols, "spot_m", spot, "spot", "m"), on=on,
                       layer_times=layer_times, layer_tops=layer_tops)
