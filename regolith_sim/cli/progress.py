"""What a long verb is doing while it gives no other sign of life (`validate`, the `particles` verbs).

On a terminal one line on stderr names the current stage and the time spent, rewritten every second and
erased at the end, so the results and any error line print as if it had never been there. Into a log
file (stderr not a terminal) a stage that lasts is one line, and a long one adds a line every minute: no
carriage-return redraws in the log, and an error at once stays the only line.
"""
from __future__ import annotations

import shutil
import sys
import threading
import time


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class Activity:
    """``with Activity('validate') as act: act.stage('experiments 1/16: name'); ...``; ``enabled=False``
    writes nothing (--quiet). On a terminal the line is redrawn every ``tick`` seconds. In a log a stage
    is written once it has lasted ``announce_after`` seconds (a stage that fails at once leaves its error
    line alone, a quick one leaves no line) and again every ``period`` seconds."""

    def __init__(self, label: str, enabled: bool = True, stream=None, tick: float = 1.0,
                 announce_after: float = 2.0, period: float = 60.0):
        self.label, self.enabled = label, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.tick, self.announce_after, self.period = tick, announce_after, period
        self._text, self._t0 = "", time.monotonic()
        self._since = self._last = self._t0
        self._announced = False
        self._lock, self._stop, self._thread = threading.Lock(), threading.Event(), None

    def __enter__(self) -> "Activity":
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="activity", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.enabled and self.tty and self._text:
            with self._lock:
                self._write("\r\x1b[K")

    def stage(self, text: str) -> None:
        """Say that ``text`` runs now."""
        with self._lock:
            self._text, self._since, self._announced = text, time.monotonic(), False
            if self.enabled and self.tty:
                self._draw()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                if not self._text or not self.enabled:
                    continue
                now = time.monotonic()
                if self.tty:
                    self._draw()
                elif not self._announced and now - self._since >= self.announce_after:
                    self._announced, self._last = True, now
                    self._write(f"{self.label}: {self._text}\n")
                elif self._announced and now - self._last >= self.period:
                    self._last = now
                    self._write(f"{self.label}: {self._text}, still running after {_clock(now - self._since)}\n")

    def _draw(self) -> None:
        # cut to the terminal's width: a wrapped line would not be redrawn in place
        line = f"{self.label}: {self._text} [{_clock(time.monotonic() - self._t0)}]"
        self._write("\r\x1b[K" + line[:shutil.get_terminal_size().columns - 1])

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not end the work it reports on
            self.enabled = False
