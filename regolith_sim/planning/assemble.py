"""Turning per-layer toolpaths into the timed event series of a :class:`ProcessPlan`.

Timing: the spot moves along each polyline at the scan speed with the source on, and between
polylines (and from the last point of one layer to the first of the next) in a straight travel move
at the jump speed with the source off. Layer 0 is spread at t = 0 with the spot at its first track's
start. When layer k's last track ends at t_end the spot waits there, still at layer k's top, for the
dwell; layer k+1 is spread at t_end + dwell, which is an event at the same x, y and the new top z
(a zero-duration step), and the travel to its first track follows. So

    duration = sum(track length) / scan speed + sum(travel length) / jump speed + (n_layers - 1) dwell.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .plan import ProcessPlan


class _Events:
    """Growing event columns; ``wait`` is the fixed duration of the segment an event starts (NaN: from
    its length and speed)."""

    def __init__(self):
        self.xy: list[np.ndarray] = []
        self.z: list[np.ndarray] = []
        self.on: list[np.ndarray] = []
        self.wait: list[np.ndarray] = []

    def add(self, xy: np.ndarray, z: float, on: np.ndarray, wait: np.ndarray | None = None):
        self.xy.append(np.asarray(xy, float).reshape(-1, 2))
        self.z.append(np.full(len(self.xy[-1]), float(z)))
        self.on.append(np.asarray(on, bool))
        self.wait.append(np.full(len(on), np.nan) if wait is None else np.asarray(wait, float))

    def set_last_wait(self, seconds: float):
        self.wait[-1] = self.wait[-1].copy()
        self.wait[-1][-1] = seconds

    def last_xy(self) -> np.ndarray:
        return self.xy[-1][-1]


def _add_layer_paths(events: _Events, paths: Sequence[np.ndarray], z: float):
    pts = np.vstack(paths)
    on = np.ones(len(pts), bool)
    on[np.cumsum([len(p) for p in paths]) - 1] = False  # each polyline's end starts a travel
    events.add(pts, z, on)


def _times(events: _Events, scan_speed: float, jump_speed: float) -> tuple[np.ndarray, ...]:
    xy, z, on = np.vstack(events.xy), np.concatenate(events.z), np.concatenate(events.on)
    wait = np.concatenate(events.wait)[:-1]
    length = np.hypot(*np.diff(xy, axis=0).T)
    moving = length / np.where(on[:-1], scan_speed, jump_speed)
    t = np.concatenate([[0.0], np.cumsum(np.where(np.isnan(wait), moving, wait))])
    return t, xy[:, 0], xy[:, 1], z, on


def assemble(layers: Sequence[Sequence[np.ndarray]], layer_tops: Sequence[float], *, power: float,
             spot: float, scan_speed: float, jump_speed: float, dwell: float) -> ProcessPlan:
    """Event series for ``layers`` (per layer, a list of (n, 2) polylines [m]) with the timing rules of
    the module docstring. ``power`` [W], ``spot`` [m], speeds [m/s], ``dwell`` [s]; ``layer_tops`` [m].
    """
    if not layers or not layers[0]:
        raise ValueError("the first layer has no toolpath")
    events = _Events()
    spread_index = []
    for k, (paths, top) in enumerate(zip(layers, layer_tops)):
        if k > 0:
            here = events.last_xy()
            events.set_last_wait(dwell)
            if dwell > 0:  # hold at the old height so z does not ramp during the dwell
                events.add(here, layer_tops[k - 1], [False], [0.0])
            events.add(here, top, [False])
        spread_index.append(sum(len(c) for c in events.on) - (1 if k > 0 else 0))
        if paths:
            _add_layer_paths(events, paths, top)
    t, x, y, z, on = _times(events, scan_speed, jump_speed)
    return ProcessPlan(t=t, x=x, y=y, z=z, power=np.where(on, power, 0.0), spot=np.full(len(t), spot), on=on,
                       layer_times=t[spread_index], layer_tops=np.asarray(layer_tops, float))
