"""Issue 18: the verbs that ran silently for minutes (`validate`, `particles ...`) say what they are doing.

On a terminal: one line rewritten in place with the stage and the time spent, erased at the end. In a
log: a line per stage that lasts and a 'still running' line per minute, never a redraw, and an error at
once stays the only line.
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
    with Activity("validate", stream=out, tick=0.05) as act:
        act.stage("experiment 1/2: a")
        time.sleep(0.3)
        act.stage("experiment 2/2: b")
    text = out.getvalue()
    shown = [s for s in text.split("\r\x1b[K") if s]
    assert shown[0] == "validate: experiment 1/2: a [0:00]"
    assert len([s for s in shown if s.startswith("validate: experiment 1/2: a")]) >= 2, "the clock does not tick"
    assert shown[-1] == "validate: experiment 2/2: b [0:00]"
    assert text.endswith("\r\x1b[K") and "\n" not in text  # erased: what follows prints on a clean line


def test_in_a_log_a_lasting_stage_is_one_line_and_a_long_one_reports_each_period():
    out = io.StringIO()
    with Activity("particles repose", stream=out, tick=0.02, announce_after=0.1, period=0.2) as act:
        act.stage("case 'quick'")  # over before it is announced: no line
        time.sleep(0.03)
        act.stage("case 'x'")
        time.sleep(0.55)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and "quick" not in out.getvalue()
    assert lines[0] == "particles repose: case 'x'"
    assert 2 <= len(lines) <= 3 and all(ln == "particles repose: case 'x', still running after 0:00" for ln in lines[1:])


def test_quiet_writes_nothing_and_a_closed_stream_stops_nothing():
    out = Terminal()
    with Activity("x", enabled=False, stream=out) as act:
        act.stage("y")
    assert out.getvalue() == ""
    closed = Terminal()
    closed.close()
    with Activity("x", stream=closed) as act:
        act.stage("y")  # must not raise: the work goes on without its progress line


def test_validate_names_each_experiment_as_it_starts(ti_runtime, monkeypatch):
    from regolith_sim.cli import progress
    from regolith_sim.verification import experiments

    shown = []
    monkeypatch.setattr(progress.Activity, "stage", lambda self, text: shown.append(text))
    monkeypatch.setattr(experiments, "run_experiment", lambda exp, coarse: shown.append("ran") or
                        experiments.ExperimentResult(exp.name, exp.title, exp.process, exp.role, exp.source, exp.doi,
                                                     exp.expected_verdict, exp.expected_verdict, [], exp.fitted,
                                                     exp.notes, 0.0))
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "--suite", "experiments", "--only", "furnace-chen2024-cug1a", "--only",
              "furnace-gupta2024-lhs1", "--arch", "cpu"])
    assert exit_.value.code in (None, 0)
    assert shown == ["experiment 1/2: furnace-chen2024-cug1a", "ran", "experiment 2/2: furnace-gupta2024-lhs1", "ran"]
    shown.clear()   # the same two as one comma-separated --only
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "--suite", "experiments", "--only", "furnace-chen2024-cug1a,furnace-gupta2024-lhs1",
              "--arch", "cpu"])
    assert shown == ["experiment 1/2: furnace-chen2024-cug1a", "ran", "experiment 2/2: furnace-gupta2024-lhs1", "ran"]


@pytest.mark.parametrize("args, expected", [
    (["--only", ""], "regolith-sim: error: --only: names no case; allowed: case names (file stems)"),
    (["--cases", "/nonexistent-folder"], "regolith-sim: error: --cases: '/nonexistent-folder' is not a folder"),
])
def test_validate_refuses_an_empty_only_and_a_missing_folder(capsys, args, expected):
    """`--only ""` ran the whole suite and a missing --cases folder read as one holding no cases."""
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "--suite", "experiments", *args])
    assert exit_.value.code == 2 and capsys.readouterr().err.startswith(expected)


def test_an_error_at_once_stays_one_line(ti_runtime, capsys, tmp_path):
    (tmp_path / "a.toml").write_bytes(b"\xff")
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "--suite", "verification", "--cases", str(tmp_path), "--arch", "cpu"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if not ln.startswith("kernels run on")]
    assert exit_.value.code == 2 and len(err) == 1 and err[0].startswith("regolith-sim: error: "), err


def test_particles_verbs_say_what_runs(monkeypatch, capsys, tmp_path):
    from regolith_sim.particles import runner

    seen = []

    def fake_run(verb, case, out_dir):
        seen.append(capsys.readouterr().err)  # what was on stderr before the work began
        return {"summary": {"verb": verb}, "files": {}}

    from regolith_sim.cli import progress

    stages, enabled, real_stage, real_enter = [], [], progress.Activity.stage, progress.Activity.__enter__
    monkeypatch.setattr(progress.Activity, "stage", lambda self, text: stages.append(text) or real_stage(self, text))
    monkeypatch.setattr(progress.Activity, "__enter__", lambda self: enabled.append(self.enabled) or real_enter(self))
    monkeypatch.setattr(runner, "run_particles", fake_run)
    monkeypatch.setattr("regolith_sim.cli.particles.start_runtime", lambda *a, **k: "cpu")
    from pathlib import Path

    case = Path(__file__).resolve().parents[1] / "examples" / "particles" / "repose.toml"
    with pytest.raises(SystemExit):
        main(["particles", "repose", str(case), "--out", str(tmp_path)])
    assert seen == [""]  # nothing yet: a log hears of the case once it has run 2 s
    assert stages == ["case 'lhs1-repose'"]
    with pytest.raises(SystemExit):
        main(["particles", "repose", str(case), "--out", str(tmp_path), "--quiet"])
    assert enabled == [True, False]
