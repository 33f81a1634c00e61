"""Issue 18: the verbs that ran silently for minutes (`validate`, `particles ...`) say what they are doing.

On a terminal: one line rewritten in place with the stage and the time spent, erased at the end. In a
log: a line per stage and a 'still running' line per minute, never a redraw.
"""
from __future__ import annotations

import io
import time

import pytest

from regolith_sim.cli import main
from regolith_sim.cli.progress import Activity


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_line_ticks_and_is_erased():
    out = Terminal()
    with Activity("validate", stream=out, period=0.05) as act:
        act.stage("experiment 1/2: a")
        time.sleep(0.3)
        act.stage("experiment 2/2: b")
    text = out.getvalue()
    shown = [s for s in text.split("\r\x1b[K") if s]
    assert shown[0] == "validate: experiment 1/2: a [0:00]"
    assert len([s for s in shown if s.startswith("validate: experiment 1/2: a")]) >= 2, "the clock does not tick"
    assert shown[-1] == "validate: experiment 2/2: b [0:00]"
    assert text.endswith("\r\x1b[K") and "\n" not in text  # erased: what follows prints on a clean line


def test_in_a_log_each_stage_is_one_line_and_a_long_one_reports_each_period():
    out = io.StringIO()
    with Activity("particles repose", stream=out, period=0.1) as act:
        act.stage("case 'x'")
        time.sleep(0.35)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0] == "particles repose: case 'x'"
    assert 2 <= len(lines) <= 5 and all(ln == "particles repose: case 'x', still running after 0:00" for ln in lines[1:])


def test_quiet_writes_nothing_and_a_closed_stream_stops_nothing():
    out = Terminal()
    with Activity("x", enabled=False, stream=out) as act:
        act.stage("y")
    assert out.getvalue() == ""
    closed = Terminal()
    closed.close()
    with Activity("x", stream=closed) as act:
        act.stage("y")  # must not raise: the work goes on without its progress line


def test_validate_names_each_experiment_as_it_starts(ti_runtime, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "--suite", "experiments", "--only", "furnace-chen2024-cug1a", "--only",
              "furnace-gupta2024-lhs1", "--arch", "cpu"])
    assert exit_.value.code in (None, 0)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("validate:")]
    assert err == ["validate: experiment 1/2: furnace-chen2024-cug1a", "validate: experiment 2/2: furnace-gupta2024-lhs1"]


def test_particles_verbs_say_what_runs(monkeypatch, capsys, tmp_path):
    from regolith_sim.particles import runner

    seen = []

    def fake_run(verb, case, out_dir):
        seen.append(capsys.readouterr().err)  # what was on stderr before the work began
        return {"summary": {"verb": verb}, "files": {}}

    monkeypatch.setattr(runner, "run_particles", fake_run)
    monkeypatch.setattr("regolith_sim.cli.particles.start_runtime", lambda *a, **k: "cpu")
    from pathlib import Path

    case = Path(__file__).resolve().parents[1] / "examples" / "particles" / "repose.toml"
    with pytest.raises(SystemExit):
        main(["particles", "repose", str(case), "--out", str(tmp_path)])
    assert seen and seen[0].splitlines()[-1].startswith("particles repose: case '")
    with pytest.raises(SystemExit):
        main(["particles", "repose", str(case), "--out", str(tmp_path), "--quiet"])
    assert "particles repose" not in seen[1]
