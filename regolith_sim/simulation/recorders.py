"""What a run records while it steps: probe time series and VTK field frames.

A recorder has ``due(t)`` and ``record(sim)``; the run calls it when due. A ``timed`` recorder (field
frames) names its times by ``next_time(t)``: the run ends a step at each and records right after it, so a
frame shows the fields at its time whatever the step length. The others (probes) sample at every health
check. Its progress is plain data (``checkpoint_state``) so that a resumed run continues the same series.
"""
from __future__ import annotations

import bisect
import math
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io.atomic import write_text
from ..io.vtk import write_collection, write_image_data

#: VTK array name -> (thermal field, dtype). Names carry units so ParaView's legend says them.
FRAME_FIELDS = {
    "temperature_K": ("T", np.float32),
    "relative_density": ("rho_rel", np.float32),
    "state": ("state", np.uint8),
    "peak_temperature_K": ("T_peak", np.float32),
    "time_above_sintering_s": ("t_hot", np.float32),
    "solidification_cooling_rate_K_s": ("cool_rate", np.float32),
    "evaporated_mass_fraction": ("mass_lost", np.float32),
}
#: Frame arrays written as NaN in void cells (state 0), so ParaView's colour range covers the material only.
BLANK_IN_VOID = ("temperature_K", "peak_temperature_K")
#: VTK array name -> (outcome field of regolith_sim.outcomes, dtype): the part's defects and strength so far.
OUTCOME_FIELDS = {
    "defect": ("defect", np.uint8),
    "strength_MPa": ("strength_MPa", np.float32),
    "vesicle_porosity": ("vesicle_porosity", np.float32),
    "crack_risk": ("crack_risk", np.float32),
    "bonded_fraction": ("bonded_fraction", np.float32),
}
#: the per-layer thermo-mechanics' fields in the frames (solver.mechanics = 'layers'), as of the last layer
MECHANICS_FRAME_FIELDS = ("displacement_m", "stress_Pa", "von_mises_Pa", "max_principal_stress_Pa", "crack_risk_stress")


def csv_cell(text: str) -> str:
    """A user's text as one CSV cell: control characters (newlines) become spaces, a leading '=', '+', '-'
    or '@' (a spreadsheet formula) is prefixed with an apostrophe, and a cell holding a comma or a quote is
    quoted (RFC 4180)."""
    text = "".join(c if c.isprintable() else " " for c in text)
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    if any(c in text for c in ',"'):
        text = '"' + text.replace('"', '""') + '"'
    return text


class ProbeRecorder:
    """Temperature [K] and relative density at named points, sampled every ``interval`` s of simulated
    time (or at every health check when None); NaN while the point holds no material."""

    timed = False

    def __init__(self, probes, grid, interval: float | None = None):
        self.names = [p.name for p in probes]
        self.cells = []
        lo = np.asarray(grid.origin)
        hi = lo + np.asarray(grid.extent)
        for n, p in enumerate(probes):
            pos = np.asarray(p.position, float)
            if np.any(pos < lo) or np.any(pos >= hi):
                raise UserError(f"probe '{p.name}' at {tuple(pos.tolist())} m lies outside the simulated domain "
                                f"{tuple(lo.round(6).tolist())}..{tuple(hi.round(6).tolist())} m (part frame: footprint from x = y = 0, "
                                f"base at z = 0)", key=f"output.probes.{n}.position")
            self.cells.append(grid.index_of(*pos))
        self.interval = interval
        self.rows: list[list[float]] = []
        self.next_t = 0.0

    def due(self, t: float) -> bool:
        return bool(self.cells) and t >= self.next_t - 1e-12

    def record(self, sim) -> None:
        th = sim.thermal
        row = [th.time]
        for c in self.cells:
            # a cell with no material yet (a layer still to be spread) has no temperature
            row += [float(th.T[c]), float(th.rho_rel[c])] if int(th.state[c]) != 0 else [np.nan, np.nan]
        self.rows.append(row)
        if self.interval:
            self.next_t = th.time + self.interval

    def columns(self) -> list[str]:
        return ["t_s"] + [f"{n}_{q}" for n in self.names for q in ("T_K", "rel_density")]

    def table(self) -> np.ndarray:
        return np.asarray(self.rows, float).reshape(-1, 1 + 2 * len(self.names))

    def write_csv(self, path: Path) -> Path:
        """The series as CSV; column names made safe (:func:`csv_cell`)."""
        lines = [",".join(csv_cell(c) for c in self.columns())] + [",".join(f"{v:.9g}" for v in r) for r in self.rows]
        return write_text(path, "\n".join(lines) + "\n")

    def checkpoint_state(self) -> dict:
        return {"rows": self.rows}

    def restore_checkpoint_state(self, state: dict) -> None:
        self.rows = [list(r) for r in state["rows"]]


class FrameRecorder:
    """VTK image-data frames of the fields at the given times, gathered by a ``.pvd`` collection."""

    timed = True

    def __init__(self, out_dir: Path, grid, times, name: str = "fields"):
        self.folder = Path(out_dir) / name
        self.pvd = Path(out_dir) / f"{name}.pvd"
        self.grid = grid
        self.times = sorted(float(t) for t in times)
        self.frames: list[tuple[float, str]] = []
        self.next_index = 0

    def due(self, t: float) -> bool:
        return self.next_index < len(self.times) and t >= self.times[self.next_index] - 1e-9

    def next_time(self, t: float) -> float:
        """The first frame time after ``t`` [s] (inf after the last): the run's step ends there. Found from
        ``t``, not from the frames written, so a caller stepping without recording never gets stuck on one."""
        i = bisect.bisect_right(self.times, t + 1e-9)
        return self.times[i] if i < len(self.times) else math.inf

    def record(self, sim) -> None:
        from .result import part_outcome

        th = sim.thermal
        fields = {src: th.field(src) for src, _ in FRAME_FIELDS.values()}
        data = {vtk_name: fields[src].astype(dt) for vtk_name, (src, dt) in FRAME_FIELDS.items()}
        void = fields["state"] == 0  # no material (above the spread layers, emptied by settling): no temperature
        for vtk_name in BLANK_IN_VOID:
            data[vtk_name][void] = np.nan
        stress = self._mechanics(sim)
        outcome = part_outcome(sim, dict(fields, part_mask=sim.domain.part_mask),
                               None if stress is None else stress["crack_risk_stress"])["fields"]
        data.update({vtk_name: outcome[src].astype(dt) for vtk_name, (src, dt) in OUTCOME_FIELDS.items()})
        if stress is not None:
            data.update({name: stress[name].astype(np.float32) for name in MECHANICS_FRAME_FIELDS})
        name = f"frame_{len(self.frames):04d}.vti"
        write_image_data(self.folder / name, data, self.grid.origin, self.grid.dx)
        self.frames.append((th.time, f"{self.folder.name}/{name}"))
        # The collection is rewritten with each frame so a run still going can already be opened.
        write_collection(self.pvd, self.frames)
        while self.due(th.time):
            self.next_index += 1

    def rewrite_last(self, sim) -> None:
        """Write the frame of the run's end again once the run is finished: the columns have settled and the
        per-layer mechanics has made its last solve since it was written, so it shows what fields.npz and the
        summary hold (it showed the stress of the last layer)."""
        if not self.frames or self.frames[-1][0] < sim.t_end - 1e-9:
            return
        self.frames.pop()
        self.record(sim)

    @staticmethod
    def _mechanics(sim) -> dict | None:
        """The per-layer mechanics' fields as of its last update (zeros before the first), or None."""
        from ..mechanics.coupling import empty_fields
        from .result import named_mechanics

        mech = getattr(sim, "mechanics", None)
        if mech is None:
            return None
        last = mech.last or {"fields": empty_fields(tuple(sim.domain.grid.shape)), "summary": {}}
        return named_mechanics(last)["fields"]

    def checkpoint_state(self) -> dict:
        return {"frames": self.frames}

    def restore_checkpoint_state(self, state: dict) -> None:
        self.frames = [(float(t), str(f)) for t, f in state["frames"]]
        # the times already written are not due again in the resumed run
        self.next_index = bisect.bisect_right(self.times, self.frames[-1][0] + 1e-9) if self.frames else 0


def frame_times(layer_times, t_end: float, interval: float | None) -> list[float]:
    """When to write field frames: every ``interval`` s and at the end of the run, or by default at the
    end of each layer's dwell (just before the next layer is spread) and at the end of the run. The run
    writes exactly these (its steps end at each), so their number is the number of frames."""
    if interval:
        # k x interval, not a running sum (which drifts)
        return [k * interval for k in range(1, _interval_frames(t_end, interval) + 1)] + [t_end]
    return [float(t) for t in layer_times[1:]] + [t_end]


def frame_count(layer_times, t_end: float, interval: float | None) -> int:
    """len(frame_times(...)) without listing them (a tiny interval would make the list itself too large)."""
    return (_interval_frames(t_end, interval) if interval else len(layer_times[1:])) + 1


def _interval_frames(t_end: float, interval: float) -> int:
    """Multiples of ``interval`` before the end of the run (one within 1e-9 s of it is the end's frame)."""
    return max(math.ceil((t_end - 1e-9) / interval) - 1, 0)
