"""A G-code subset as a process plan, so a real machine program can drive a run.

Supported (everything else is ignored and listed in ``plan.warnings``):

* ``G0`` travel and ``G1`` scan moves with ``X Y Z`` (modal: a line of coordinates alone repeats the
  last of G0/G1), ``G20``/``G21`` inches/millimetres (default mm), ``G90``/``G91`` absolute/relative
  coordinates (default absolute), ``G4 P<s>`` dwell in seconds (the RS-274/NGC meaning of P).
* ``F`` feed in units per minute (modal) for G1; G1 before any F uses ``default_speed``.
  G0 moves at ``rapid_speed`` (default 10 x ``default_speed``, the planner's jump-speed rule).
* ``S`` source power in W (modal). The source is on during a G1 move with S > 0; ``S0`` and every G0
  move are off. ``M3``/``M4`` enable and ``M5`` disables the source (enabled at start, so programs
  without M words work); ``M2``/``M30`` end the program.
* Comments ``; ...`` to the end of the line and ``( ... )``; ``N`` line numbers, ``%`` lines.

Ignored input is reported once per kind (e.g. ``lines 3, 4, 9 and 120 more: ignored word E``).

The spot starts at the machine origin (0, 0, 0) at t = 0. Coordinates become metres in the plan frame
as they are (no work offsets). A word whose number cannot be read raises :class:`PlanError` naming the
line. Layers are inferred from z (:func:`regolith_sim.planning.plan.infer_layers`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io.safe_read import MAX_TABLE_BYTES, read_text
from .errors import PlanError
from .plan import ProcessPlan

#: G0 speed relative to the default scan speed when no rapid speed is given.
RAPID_FACTOR = 10.0

_COMMENT = re.compile(r"\([^()]*\)")
_WORDS = re.compile(r"([A-Z])([^A-Z]*)")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
_SILENT = {"N"}  # words that are fine to ignore without a warning


@dataclass
class _State:
    default_speed: float
    rapid_speed: float
    power: float | None
    unit: float = 1e-3  # metres per program unit
    absolute: bool = True
    motion: int | None = None
    feed: float | None = None  # m/s
    enabled: bool = True
    pos: np.ndarray = field(default_factory=lambda: np.zeros(3))
    t: list = field(default_factory=lambda: [0.0])
    xyz: list = field(default_factory=lambda: [np.zeros(3)])
    on: list = field(default_factory=lambda: [False])
    watts: list = field(default_factory=lambda: [0.0])
    ignored: dict = field(default_factory=dict)  # what was ignored -> line numbers

    def ignore(self, what: str, no: int):
        self.ignored.setdefault(what, []).append(no)

    def warnings(self) -> list[str]:
        """One warning per kind of ignored input, naming the first lines it occurs on."""
        out = []
        for what, lines in self.ignored.items():
            where = ", ".join(map(str, lines[:5])) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
            out.append(f"line{'s' if len(lines) > 1 else ''} {where}: {what}")
        return out

    def segment(self, target: np.ndarray, duration: float, on: bool, power: float):
        """Append the event ending a segment and set the state of the segment's start event."""
        self.on[-1], self.watts[-1] = on, power if on else 0.0
        self.t.append(self.t[-1] + duration)
        self.xyz.append(target.copy())
        self.on.append(False)
        self.watts.append(0.0)
        self.pos = target.copy()


def _strip(line: str, no: int) -> str:
    code = _COMMENT.sub(" ", line.split(";", 1)[0])
    if "(" in code or ")" in code:
        raise PlanError(f"line {no}: unbalanced parenthesis comment", key="process.plan_file")
    return "".join(code.upper().split()).lstrip("/")


def _words(code: str, no: int) -> list[tuple[str, float]]:
    if not re.fullmatch(r"(?:[A-Z][^A-Z]*)*", code):
        raise PlanError(f"line {no}: cannot read {code!r} as G-code words", key="process.plan_file")
    words = []
    for letter, number in _WORDS.findall(code):
        if not _NUMBER.fullmatch(number):
            # (letters are words of their own: 'Xnan' reads as X, N, A, N, so X stands without a number)
            what = f"{letter} has no number after it" if not number else f"cannot read {letter}{number!r} as a number"
            raise PlanError(f"line {no}: {what} (in {code!r})", key="process.plan_file",
                            value=letter + number, allowed="a decimal number such as 12.5 or -.5")
        words.append((letter, float(number)))
    return words


def _apply_g(state: _State, code: float, no: int) -> bool:
    """Apply one G word; True for a G4 dwell."""
    modes = {20: ("unit", 0.0254), 21: ("unit", 1e-3), 90: ("absolute", True), 91: ("absolute", False)}
    if code in (0, 1):
        state.motion = int(code)
    elif code in modes:
        setattr(state, *modes[code])
    elif code == 4:
        return True
    else:
        if code in (2, 3, 5):
            state.motion = None  # arcs/splines: the coordinates that follow cannot be followed
        state.ignore(f"ignored unsupported G{code:g}", no)
    return False


def _apply_m(state: _State, code: float, no: int) -> bool:
    """Apply one M word; True when the program ends."""
    if code in (3, 4):
        state.enabled = True
    elif code == 5:
        state.enabled = False
    elif code in (2, 30):
        return True
    else:
        state.ignore(f"ignored unsupported M{code:g}", no)
    return False


def _move(state: _State, axes: dict[str, float], no: int):
    if state.motion is None:
        state.ignore("coordinates without an active G0/G1 ignored", no)
        return
    target = state.pos.copy()
    for i, axis in enumerate("XYZ"):
        if axis in axes:
            target[i] = axes[axis] * state.unit + (0.0 if state.absolute else state.pos[i])
    distance = float(np.linalg.norm(target - state.pos))
    if distance == 0.0:
        return
    scan = state.motion == 1
    speed = (state.feed or state.default_speed) if scan else state.rapid_speed
    on = scan and state.enabled and bool(state.power)
    state.segment(target, distance / speed, on, state.power or 0.0)


def _run_line(state: _State, words: list[tuple[str, float]], no: int) -> bool:
    """Execute one line; True when the program ends. Modes (G, M) apply before feed, power and motion."""
    dwell = ended = False
    for letter, value in words:
        if letter == "G":
            dwell |= _apply_g(state, value, no)
        elif letter == "M":
            ended |= _apply_m(state, value, no)
    axes, pause = {}, None
    for letter, value in words:
        if letter == "F":
            if value <= 0:
                raise PlanError(f"line {no}: feed must be positive", key="process.plan_file", value=value)
            state.feed = value * state.unit / 60.0
        elif letter == "S":
            if value < 0:
                raise PlanError(f"line {no}: S (the source power) must not be negative", key="process.plan_file",
                                value=value, allowed=">= 0", unit="W")
            state.power = value
        elif letter in "XYZ":
            axes[letter] = value
        elif letter == "P" and dwell:
            pause = value
        elif letter not in "GM" and letter not in _SILENT:
            state.ignore(f"ignored word {letter}", no)
    if dwell:
        if pause is None or pause < 0:
            raise PlanError(f"line {no}: G4 needs P<seconds> >= 0", key="process.plan_file")
        state.segment(state.pos, pause, False, 0.0)
    elif axes:
        _move(state, axes, no)
    return ended


def _text_of(path_or_text) -> str:
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return path_or_text
    return read_text(path_or_text, what="G-code file", key="process.plan_file", max_bytes=MAX_TABLE_BYTES,
                     error=PlanError)


def read_gcode(path_or_text, *, spot: float, default_speed: float = 2e-3, rapid_speed: float | None = None,
               default_power: float | None = None) -> ProcessPlan:
    """Read a G-code program (a path, or the program text itself when it contains a newline).

    ``spot`` [m] is the spot diameter of every event (G-code does not state it); ``default_speed`` [m/s]
    is the G1 speed before any F; ``rapid_speed`` [m/s] the G0 speed (default ``RAPID_FACTOR`` x
    ``default_speed``); ``default_power`` [W] the power before any S (None: off until an S word).
    Ignored commands are listed in the returned plan's ``warnings``.
    """
    if spot <= 0 or default_speed <= 0 or (rapid_speed is not None and rapid_speed <= 0):
        raise PlanError("spot, default_speed and rapid_speed must be positive", key="process.plan_file")
    state = _State(default_speed=default_speed, power=default_power,
                   rapid_speed=rapid_speed if rapid_speed is not None else RAPID_FACTOR * default_speed)
    for no, line in enumerate(_text_of(path_or_text).splitlines(), start=1):
        code = _strip(line, no)
        if not code or code.startswith("%"):
            continue
        if _run_line(state, _words(code, no), no):
            break
    if len(state.t) < 2:
        raise PlanError("the G-code program makes no move", key="process.plan_file")
    xyz = np.asarray(state.xyz)
    warnings = state.warnings()
    if not any(state.on):
        warnings.append("the source is never on (no G1 move with S > 0)")
    return ProcessPlan(t=state.t, x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], power=state.watts,
                       spot=np.full(len(state.t), float(spot)), on=state.on, warnings=warnings)
