"""Ctrl-C during `regolith-sim run` stops the run with exit status 130 and says so on stderr
(Typer turns the KeyboardInterrupt into a silent exit; regolith_sim.cli.main prints the message)."""
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "examples" / "sweeps" / "tiny_brick.toml"


def _read_stderr_until(proc: subprocess.Popen, marker: bytes, timeout: float) -> bytes:
    seen, t_end = b"", time.monotonic() + timeout
    while marker not in seen and time.monotonic() < t_end:
        ready, _, _ = select.select([proc.stderr], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:  # the process ended
                break
            seen += chunk
    return seen


def _interruptible() -> None:
    # A shell without job control starts background jobs with SIGINT ignored, and an ignored signal
    # stays ignored across exec (Python then installs no KeyboardInterrupt handler): restore the default,
    # as in a terminal where a user presses Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_run_prints_interrupted_and_exits_130(tmp_path):
    # A cool-down of ~1 day stepped explicitly: the run is still stepping when the signal comes (with
    # implicit cool-down steps it can end within seconds, before the signal).
    proc = subprocess.Popen([sys.executable, "-m", "regolith_sim", "run", str(TINY), "--out", str(tmp_path / "out"),
                             "--set", "solver.cooldown=1e5", "--set", "solver.implicit_cooldown=false"],
                            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_interruptible)
    try:
        # the progress bar's rate appears after the first steps: kernels are compiled, stepping goes on
        before = _read_stderr_until(proc, b"Mcell/s", timeout=120)
        assert b"Mcell/s" in before, before.decode(errors="replace")[-2000:]
        proc.send_signal(signal.SIGINT)
        _, after = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stderr = (before + after).decode(errors="replace")
    assert proc.returncode == 130, stderr[-2000:]
    assert stderr.rstrip().endswith("regolith-sim: interrupted"), stderr[-2000:]
