"""What a long verb is doing while it gives no other sign of life (`validate`, the `particles` verbs).

On a terminal one line on stderr names the current stage and the time spent, rewritten every second and
erased at the end, so the results and any error line print as if it had never been there. Into a log
file (stderr not a terminal) each stage is one line, and a long stage adds a line every minute: no
carriage-return redraws in the log.
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
    writes nothing (--quiet); ``period`` [s] between redraws (default: 1 on a terminal, 60 in a log)."""

    def __init__(self, label: str, enabled: bool = True, stream=None, period: float | None = None):
        self.label, self.enabled = label, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.period = period or (1.0 if self.tty else 60.0)
        self._text, self._t0, self._since = "", time.monotonic(), time.monotonic()
        self._lock, self._stop, self._thread = threading.Lock(), threading.Event(), None

    def __enter__(self) -> "Activity":
        if self.enabled:
            self._thread = threading.Thread(target=self._tick, name="activity", daemon=True)
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
            self._text, self._since = text, time.monotonic()
            if self.enabled:
                self._show(first=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.period):
            with self._lock:
                if self._text:
                    self._show(first=False)

    def _show(self, first: bool) -> None:
        now = time.monotonic()
        if self.tty:  # cut to the terminal's width: a wrapped line would not be redrawn in place
            line = f"{self.label}: {self._text} [{_clock(now - self._t0)}]"
            self._write("\r\x1b[K" + line[:shutil.get_terminal_size().columns - 1])
        elif first:
            self._write(f"{self.label}: {self._text}\n")
        else:
            self._write(f"{self.label}: {self._text}, still running after {_clock(now - self._since)}\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not end the work it reports on
            self.enabled = False
