"""Parameter sweeps: expansion (grids, explicit cases, Latin hypercube, derived quantities, filters), the
local and Ray backends, status and resume, the results table and the process map.

The integration tests use the tiny brick (examples/sweeps/tiny_brick.toml, ~0.3 s a run once the
kernels are loaded). Every number compared comes from the simulation run independently in this test
process, or from the definitions checked by hand.
"""
import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from regolith_sim.errors import ConfigError, UserError
from regolith_sim.sweep import (
    build_table, latin_hypercube, load_sweep, load_table, parse_sweep, process_map, run_sweep, window_mask,
)
from regolith_sim.sweep.resources import plan_workers
from regolith_sim.sweep.status import StatusStore
from regolith_sim.sweep.table import RUN_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "examples" / "sweeps" / "tiny_brick.toml"
SUMMARY_COMPARED = ("peak_temperature_K", "part.mean_relative_density", "part.consolidated_fraction",
                    "melt_pool.max_depth_m", "energy.delivered_J", "energy.absorbed_J", "energy.radiated_J",
                    "energy.stored_J", "run.steps", "run.cell_updates")
EXACT = ("run.steps", "run.cell_updates", "part.consolidated_fraction")


def _sweep(tmp_path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(f'base = "{TINY.as_posix()}"\n' + text)
    return p


# ------------------------------------------------------------------------------------------------
# expansion
# ------------------------------------------------------------------------------------------------
def test_grid_expands_to_every_combination_in_si_with_stable_ids(tmp_path):
    p = _sweep(tmp_path, '[grid]\n"process.power" = ["10 W", "0.02 kW"]\n'
                         'process.scan_speed = { start = "2 mm/s", stop = "6 mm/s", num = 3 }\n')
    spec = load_sweep(p)
    got = [(c.inputs["process.power"], c.inputs["process.scan_speed"]) for c in spec.cases]
    want = [(P, v) for P in (10.0, 20.0) for v in (0.002, 0.004, 0.006)]
    assert len(got) == 6 and np.allclose(got, want, rtol=1e-12)
    assert spec.varied == ["process.power", "process.scan_speed"]
    again = load_sweep(p)
    assert [c.case_id for c in again.cases] == [c.case_id for c in spec.cases]
    assert len({c.case_id for c in spec.cases}) == 6 and spec.cases[0].case_id.startswith("case_0001_")
    # a change of the base case changes every id, so a resume never reuses results of other inputs
    other = parse_sweep({"base": TINY.as_posix(), "set": {"solver.cooldown": 2.0},
                         "grid": {"process.power": ["10 W", "0.02 kW"],
                                  "process.scan_speed": {"start": "2 mm/s", "stop": "6 mm/s", "num": 3}}}, tmp_path)
    assert not {c.case_id for c in other.cases} & {c.case_id for c in spec.cases}


def test_a_bare_number_most_likely_meant_in_another_unit_is_warned_with_its_cases(tmp_path, capsys):
    """`check` warns of a bare scan speed of 5 (read as 5 m/s); a sweep of such values ran them silently."""
    from regolith_sim.cli import app

    p = _sweep(tmp_path, '[grid]\n"process.scan_speed" = [5, 0.004, 10]\n')
    spec = load_sweep(p)
    fast = [c.case_id for c in spec.cases if c.inputs["process.scan_speed"] > 1.0]
    assert len(spec.warnings) == 2 and all("process.scan_speed" in w and "mm/s" in w for w in spec.warnings)
    assert all(any(cid in w for w in spec.warnings) for cid in fast)
    assert not any(spec.cases[1].case_id in w for w in spec.warnings)
    assert load_sweep(_sweep(tmp_path, '[grid]\n"process.scan_speed" = ["5 mm/s", "10 mm/s"]\n', "ok.toml")).warnings == []
    with pytest.raises(SystemExit):
        app(["sweep", str(p), "--dry-run", "--out", str(tmp_path / "out")])
    assert "warning: process.scan_speed = 5 is read as 5 m/s" in capsys.readouterr().err


def test_a_value_added_inside_a_grid_reuses_the_finished_cases_it_renumbers(tmp_path):
    """Adding 20 W between 10 and 30 W renumbers the 30 W cases; their inputs, and so their hashes, are unchanged,
    so their results are taken over (record and run folder) and only the new cases run."""
    from regolith_sim.sweep.runner import cases_to_run

    first = load_sweep(_sweep(tmp_path, '[grid]\n"process.power" = ["10 W", "30 W"]\n'))
    out = tmp_path / "out"
    store = StatusStore(out)
    for c in first.cases:
        (out / c.case_id).mkdir(parents=True)
        (out / c.case_id / "summary.json").write_text("{}")
        store.write(c.case_id, "done", summary={"peak_temperature_K": c.inputs["process.power"]}, job_s=1.0)
    wider = load_sweep(_sweep(tmp_path, '[grid]\n"process.power" = ["10 W", "20 W", "30 W"]\n', "wider.toml"))
    ids = [c.case_id for c in wider.cases]
    assert ids[0] == first.cases[0].case_id and ids[2] != first.cases[1].case_id  # 30 W: case 3 now, was case 2
    assert ids[2].rsplit("_", 1)[1] == first.cases[1].case_id.rsplit("_", 1)[1]
    assert store.adopt_renumbered(ids) == [(first.cases[1].case_id, ids[2])]
    assert [c.case_id for c in cases_to_run(wider, store)] == [ids[1]]
    assert store.read(ids[2])["summary"] == {"peak_temperature_K": 30.0} and (out / ids[2] / "summary.json").exists()
    assert not (out / first.cases[1].case_id).exists() and store.read(first.cases[1].case_id) is None
    assert store.adopt_renumbered(ids) == []


def test_derived_energy_densities_follow_their_definitions(tmp_path):
    # P = 20 W, v = 4 mm/s, d = 3 mm, h = 2 mm, t = 1 mm: E_A = P/(v h) = 2.5e6 J/m^2,
    # E_V = P/(v h t) = 2.5e9 J/m^3, E_d = P/(v d) = 1.667e6 J/m^2 (Balla et al. 2012's per-spot measure);
    # without a hatch spacing h = 0.7 x spot = 2.1 mm (regolith_sim.planning.hatch_spacing).
    spec = parse_sweep({"base": TINY.as_posix(),
                        "cases": [{}, {"process.hatch_spacing": "1 mm", "process.layer_thickness": "0.5 mm"}]},
                       tmp_path)
    d0, d1 = spec.cases[0].derived, spec.cases[1].derived
    assert d0["line_energy_J_m"] == pytest.approx(5000.0, rel=1e-12)
    assert d0["areal_energy_density_J_m2"] == pytest.approx(2.5e6, rel=1e-12)
    assert d0["spot_energy_density_J_m2"] == pytest.approx(20 / (0.004 * 0.003), rel=1e-12)
    assert d0["volumetric_energy_density_J_m3"] == pytest.approx(2.5e9, rel=1e-12)
    assert d1["volumetric_energy_density_J_m3"] == pytest.approx(20 / (0.004 * 0.001 * 0.0005), rel=1e-12)
    base = TINY.read_text().replace('hatch_spacing = "2 mm"\n', "")
    (tmp_path / "nohatch.toml").write_text(base)
    spec = parse_sweep({"base": "nohatch.toml"}, tmp_path)
    assert spec.cases[0].derived["areal_energy_density_J_m2"] == pytest.approx(20 / (0.004 * 0.7 * 0.003), rel=1e-12)


def test_filters_keep_only_cases_inside_every_range(tmp_path):
    p = _sweep(tmp_path, '[grid]\n"process.power" = [10, 20, 40]\n"process.scan_speed" = [0.002, 0.004, 0.008]\n'
                         '[filter]\n"volumetric_energy_density_J_m3" = { min = 1.2e9, max = 5.5e9 }\n'
                         '"process.power" = { max = "30 W" }\n')
    spec = load_sweep(p)
    kept = {(c.inputs["process.power"], c.inputs["process.scan_speed"]) for c in spec.cases}
    want = {(P, v) for P in (10, 20, 40) for v in (0.002, 0.004, 0.008)
            if 1.2e9 <= P / (v * 0.002 * 0.001) <= 5.5e9 and P <= 30}
    # E_V [J/m^3] = P / (v x 2e-6 m^2): 1.25e9 to 5e9 for these five, 6.25e8 for (10 W, 8 mm/s), P > 30 W for 40 W
    assert kept == want == {(10, 0.002), (10, 0.004), (20, 0.002), (20, 0.004), (20, 0.008)}
    assert len(spec.skipped) == 4


def test_latin_hypercube_puts_one_sample_in_each_stratum(tmp_path):
    u = latin_hypercube(17, 3, seed=5)
    for j in range(3):  # the defining property (McKay et al. 1979): each of the n strata holds one point
        assert sorted(np.floor(u[:, j] * 17).astype(int)) == list(range(17))
    assert np.array_equal(u, latin_hypercube(17, 3, seed=5)) and not np.array_equal(u, latin_hypercube(17, 3, seed=6))
    spec = parse_sweep({"base": TINY.as_posix(), "lhs": {"samples": 8, "seed": 3, "ranges": {
        "process.power": ["10 W", "40 W"], "process.scan_speed": {"min": "2 mm/s", "max": "8 mm/s", "scale": "log"}}}},
        tmp_path)
    P = np.array([c.inputs["process.power"] for c in spec.cases])
    v = np.array([c.inputs["process.scan_speed"] for c in spec.cases])
    assert sorted(np.floor((P - 10) / 30 * 8).astype(int)) == list(range(8))
    assert sorted(np.floor(np.log(v / 0.002) / np.log(4) * 8).astype(int)) == list(range(8))


def test_energy_density_filters_take_units_of_their_dimension(tmp_path):
    """E_V bounds in J/mm^3 (the unit process papers quote) keep the cases that the same bounds in SI keep; a bound
    in a unit of another dimension is refused naming the key, the value and the units allowed. A map window on a
    derived column reads the same units."""
    from regolith_sim.sweep.process_map import parse_condition

    grid = '[grid]\n"process.power" = [10, 20, 40]\n"process.scan_speed" = [0.002, 0.004, 0.008]\n'
    si = load_sweep(_sweep(tmp_path, grid + '[filter]\n"volumetric_energy_density_J_m3" = { min = 1.2e9, max = 5.5e9 }\n',
                           "si.toml"))
    mm = load_sweep(_sweep(tmp_path, grid + '[filter]\nvolumetric_energy_density_J_m3 = '
                                            '{ min = "1.2 J/mm^3", max = "5500 J/cm^3" }\n', "mm.toml"))
    assert [c.case_id for c in mm.cases] == [c.case_id for c in si.cases] and len(mm.cases) == 7
    spot = load_sweep(_sweep(tmp_path, grid + '[filter]\nspot_energy_density_J_m2 = { max = "0.9 J/mm^2" }\n'
                                              'line_energy_J_m = { min = "2.5 J/mm" }\n', "spot.toml"))
    # E_d = P / (v d) with d = 3 mm, E_L = P / v: kept where both hold
    assert {(c.inputs["process.power"], c.inputs["process.scan_speed"]) for c in spot.cases} == {
        (P, v) for P in (10, 20, 40) for v in (0.002, 0.004, 0.008) if P / (v * 0.003) <= 0.9e6 and P / v >= 2.5e3}
    with pytest.raises(ConfigError) as err:
        load_sweep(_sweep(tmp_path, grid + '[filter]\nvolumetric_energy_density_J_m3 = { min = "2 J/mm^2" }\n', "x.toml"))
    msg = str(err.value)
    assert "filter.volumetric_energy_density_J_m3.min = '2 J/mm^2'" in msg and "J/mm^3" in msg and "\n" not in msg
    assert parse_condition("volumetric_energy_density_J_m3>=1.2 J/mm^3").value == pytest.approx(1.2e9, rel=1e-12)
    with pytest.raises(ConfigError, match="'5 W'"):
        parse_condition("areal_energy_density_J_m2<=5 W")


def test_a_range_of_one_value_must_not_drop_its_stop(tmp_path):
    """numpy's linspace (and geomspace) with num = 1 gives [start]: a range from 10 W to 40 W in one value ran
    10 W alone. That is refused naming the key and both ends; num = 1 with start = stop (in any units) gives that
    value, and num > 1 with start = stop (one case run under several ids) is refused."""
    for scale in ("linear", "log"):
        with pytest.raises(ConfigError) as err:
            load_sweep(_sweep(tmp_path, f'[grid]\n"process.power" = {{ start = "10 W", stop = "40 W", num = 1, '
                                        f'scale = "{scale}" }}\n'))
        msg = str(err.value)
        assert msg.startswith("grid.process.power: ") and "'10 W'" in msg and "'40 W'" in msg and "allowed" in msg
    one = load_sweep(_sweep(tmp_path, '[grid]\n"process.power" = { start = "10 W", stop = "10000 mW", num = 1 }\n'))
    assert [c.inputs["process.power"] for c in one.cases] == [10.0]
    with pytest.raises(ConfigError, match=r"grid.process.power: .*'10 W'.* 3 times"):
        load_sweep(_sweep(tmp_path, '[grid]\n"process.power" = { start = "10 W", stop = "10 W", num = 3 }\n'))


def test_check_of_a_sweep_file_checks_it_as_the_sweep_does(tmp_path, capsys):
    """`check` said "unknown key 'base'" of a sweep file: it now validates every case, as `sweep` does before
    running, with the same warnings and errors."""
    from regolith_sim.cli import main

    def check(path, *extra):
        with pytest.raises(SystemExit) as exit_:
            main(["check", str(path), *extra])
        out = capsys.readouterr()
        return exit_.value.code, out.out, out.err

    p = _sweep(tmp_path, '[grid]\n"process.scan_speed" = [5, "4 mm/s"]\n[filter]\n"process.scan_speed" = { max = 6 }\n')
    code, out, err = check(p)
    assert code == 0 and "OK (sweep 's': 2 cases (0 skipped by filters)" in out
    assert "warning: process.scan_speed = 5 is read as 5 m/s" in err  # as `sweep --dry-run` warns
    bad = _sweep(tmp_path, '[grid]\n"process.power" = ["10 W", "-5 W"]\n', "bad.toml")
    with pytest.raises(ConfigError) as want:
        load_sweep(bad)
    code, _, err = check(bad)
    assert code == 2 and err.strip() == f"regolith-sim: error: {want.value}"
    code, _, err = check(p, "--set", "process.power=20")
    assert code == 2 and err.startswith("regolith-sim: error: --set: ") and "[set]" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("text, words", [
    ('[grids]\n"process.power" = [1]\n', ["grids", "grid"]),
    ('[grid]\n"process.power" = ["-5 W", "10 W"]\n', ["process.power", "-5"]),
    ('[grid]\n"process.power" = ["5 kg"]\n', ["process.power", "kg"]),
    ('[grid]\n"solver.arch" = ["cpu", "cuda"]\n', ["solver.arch", "cannot vary"]),
    ('[lhs]\nsamples = 0\n[lhs.ranges]\n"process.power" = [1, 2]\n', ["lhs.samples"]),
    ('[filter]\n"nonsense" = { min = 1 }\n', ["nonsense"]),
    ('[set]\n"process.power" = 5\n[grid]\n"process.power" = [1, 2]\n', ["process.power", "[set]", "[grid]"]),
])
def test_bad_sweep_files_fail_with_one_line_naming_the_key(tmp_path, text, words):
    with pytest.raises(ConfigError) as err:
        load_sweep(_sweep(tmp_path, text))
    msg = str(err.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


def test_workers_get_one_gpu_each_or_a_share_of_the_cores(monkeypatch):
    monkeypatch.delenv("REGOLITH_SIM_THREADS", raising=False)
    gpu = plan_workers(10, None, "auto", cpu_count=16, gpus=["0", "1"])
    assert [w["CUDA_VISIBLE_DEVICES"] for w in gpu] == ["0", "1"] and gpu[0]["REGOLITH_SIM_THREADS"] == "8"
    cpu = plan_workers(10, None, "cpu", cpu_count=4, gpus=["0"])
    assert len(cpu) == 4 and all("CUDA_VISIBLE_DEVICES" not in w and w["REGOLITH_SIM_THREADS"] == "1" for w in cpu)
    assert len(plan_workers(2, 8, "cpu", cpu_count=8, gpus=[])) == 2  # never more workers than cases
    monkeypatch.setenv("REGOLITH_SIM_THREADS", "3")  # the user's choice wins
    assert {w["REGOLITH_SIM_THREADS"] for w in plan_workers(4, 2, "cpu", cpu_count=8, gpus=[])} == {"3"}


def test_table_columns_do_not_depend_on_which_cases_left_a_table_null(tmp_path):
    """A case where nothing melted has a null cooling rate where the others have {median, p10, p90}: it gave an
    extra column holding the null. Its row now has the table's columns, empty, in either order of the cases."""
    from regolith_sim.io.json_out import write_json
    from regolith_sim.sweep.table import MANIFEST

    rate = {"median": 900.0, "p10": 400.0, "p90": 2000.0}
    melted = {"peak_temperature_K": 2000.0, "part": {"solidification": {"cells": 4, "cooling_rate_K_s": rate}}}
    sintered = {"peak_temperature_K": 1200.0, "part": {"solidification": {"cells": 0, "cooling_rate_K_s": None}}}
    spec = load_sweep(_sweep(tmp_path, '[grid]\n"process.power" = ["10 W", "20 W"]\n'))
    columns = []
    for order in ((sintered, melted), (melted, sintered)):
        out = tmp_path / f"out{len(columns)}"
        write_json(out / MANIFEST, spec.manifest(), indent=1, default=str)
        store = StatusStore(out)
        for case, summary in zip(spec.cases, order):
            store.write(case.case_id, "done", summary=summary, job_s=1.0)
        df = build_table(out)
        keys = [c for c in df.columns if c.startswith("part.solidification.")]
        assert keys == ["part.solidification.cells"] + [f"part.solidification.cooling_rate_K_s.{k}" for k in rate]
        row = df.iloc[order.index(sintered)]
        assert all(math.isnan(row[k]) for k in keys[1:]) and row["part.solidification.cells"] == 0
        assert df.iloc[order.index(melted)]["part.solidification.cooling_rate_K_s.p90"] == 2000.0
        columns.append(list(df.columns))
    assert columns[0] == columns[1]


# ------------------------------------------------------------------------------------------------
# local backend: kill, resume, table against single runs
# ------------------------------------------------------------------------------------------------
def _single_run(spec, case, out):
    from regolith_sim.config import load_case
    from regolith_sim.simulation.job import run_job
    from regolith_sim.sweep.table import flatten_summary

    result, _ = run_job(load_case(spec.base, **spec.case_overrides(case)), out)
    return flatten_summary(result.summary)


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """A 2 x 2 sweep started from the CLI with one worker, killed (SIGKILL to the whole process group)
    as soon as its first case is done, then resumed in this process with two workers."""
    tmp = tmp_path_factory.mktemp("sweep2x2")
    sweep_file = _sweep(tmp, '[grid]\n"process.power" = ["15 W", "30 W"]\n"process.scan_speed" = ["3 mm/s", "6 mm/s"]\n')
    out = tmp / "out"
    spec = load_sweep(sweep_file)
    store = StatusStore(out)
    proc = subprocess.Popen([sys.executable, "-m", "regolith_sim", "sweep", str(sweep_file), "--out", str(out),
                             "--workers", "1", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(store.status_of(c.case_id) == "done" for c in spec.cases):
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = {c.case_id: store.read(c.case_id) for c in spec.cases}
    outcome = run_sweep(spec, out, workers=2, progress=False)
    return spec, out, before, outcome


def test_resume_after_kill_runs_only_the_missing_cases(killed_and_resumed):
    spec, out, before, outcome = killed_and_resumed
    done_before = {cid for cid, rec in before.items() if rec and rec["status"] == "done"}
    assert 1 <= len(done_before) < 4, before
    assert sorted(outcome.ran) == sorted(set(before) - done_before)
    store = StatusStore(out)
    for cid in done_before:  # untouched: same record, same time stamp
        assert store.read(cid) == before[cid]
    assert outcome.done == 4 and outcome.failed == 0


def test_sweep_table_equals_four_single_runs(killed_and_resumed, ti_runtime, tmp_path):
    spec, out, _, outcome = killed_and_resumed
    df = outcome.table
    assert list(df["case_id"]) == [c.case_id for c in spec.cases] and (df["status"] == "done").all()
    pq, csv = load_table(out / "results.parquet"), load_table(out / "results.csv")
    for case, (_, row) in zip(spec.cases, df.iterrows()):
        single = _single_run(spec, case, tmp_path / case.case_id)
        for key in SUMMARY_COMPARED:
            # Same code and inputs. The energy ledger sums with parallel atomic adds, whose order depends on
            # the thread count (workers run 1 thread here, this process 2): agreement to 1e-12, not bits.
            assert row[key] == pytest.approx(single[key], rel=1e-12, abs=1e-300), (case.case_id, key)
            assert pq.loc[case.index - 1, key] == row[key] and csv.loc[case.index - 1, key] == pytest.approx(
                row[key], rel=1e-15)
        assert all(row[k] == single[k] for k in EXACT)
        assert list(row["run.warnings"]) == list(single["run.warnings"])   # what qualifies the row's numbers
        assert row["process.power"] == case.inputs["process.power"]
        assert row["volumetric_energy_density_J_m3"] == pytest.approx(
            row["process.power"] / (row["process.scan_speed"] * 0.002 * 0.001), rel=1e-12)
        assert (out / case.case_id / "summary.json").is_file()
    # the physics the map is for: more power at the same speed sinters denser
    d = df.set_index(["process.power", "process.scan_speed"])["part.mean_relative_density"]
    assert d[(30.0, 0.003)] > d[(15.0, 0.003)]


# ------------------------------------------------------------------------------------------------
# failures, and the same table from Ray
# ------------------------------------------------------------------------------------------------
FAILING = ('[[cases]]\n"process.power" = "20 W"\n'
           '[[cases]]\n"process.power" = "40 W"\n"solver.max_temperature" = "600 K"\n'
           '[[cases]]\n"process.power" = "30 W"\n')


@pytest.fixture(scope="module")
def failing_local(tmp_path_factory):
    """Three cases, the second diverging, on one local worker running its kernels on one thread: the
    energy ledger's parallel sums then add in a fixed order and a rerun agrees to the bit."""
    tmp = tmp_path_factory.mktemp("failing")
    spec = load_sweep(_sweep(tmp, FAILING))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGOLITH_SIM_THREADS", "1")
        return spec, run_sweep(spec, tmp / "local", workers=1, progress=False)


def test_diverging_case_is_marked_failed_and_the_others_complete(failing_local):
    spec, res = failing_local
    df = res.table
    assert list(df["status"]) == ["done", "failed", "done"]
    err = df.loc[1, "error"]
    assert err.startswith("SimulationDiverged:") and "600 K" in err and "\n" not in err
    assert math.isnan(df.loc[1, "part.mean_relative_density"])
    # counts stay integers beside the failed case's empty cell, in the table and in the CSV
    assert str(df["run.steps"].dtype) == "Int64" and df["run.steps"].isna().tolist() == [False, True, False]
    with open(res.files[0], newline="") as f:
        written = [row["run.steps"] for row in csv.DictReader(f)]
    assert written == [str(df.loc[0, "run.steps"]), "", str(df.loc[2, "run.steps"])]
    assert StatusStore(res.files[0].parent).read(spec.cases[1].case_id)["status"] == "failed"
    # a failed case is finished: a resume does not rerun it unless asked
    again = run_sweep(spec, res.files[0].parent, workers=1, progress=False)
    assert again.ran == [] and again.failed == 1


def test_ray_backend_gives_the_same_table_as_local(failing_local, tmp_path):
    pytest.importorskip("ray")
    spec, local = failing_local
    # One kernel thread, as the local run: the tables are identical to the bit (timing columns aside).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGOLITH_SIM_THREADS", "1")
        ray_res = run_sweep(spec, tmp_path / "ray", backend="ray", workers=2, progress=False)
    cols = [c for c in local.table.columns if c not in RUN_COLUMNS]
    import pandas as pd

    pd.testing.assert_frame_equal(local.table[cols], ray_res.table[cols], check_exact=True)
    assert set(ray_res.table["worker"]) <= {"ray-1", "ray-2"} and set(local.table["worker"]) == {"local-1"}


# ------------------------------------------------------------------------------------------------
# process map
# ------------------------------------------------------------------------------------------------
def _plane_table(n=6):
    import pandas as pd

    x, y = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n))
    return pd.DataFrame({"status": "done", "process.power": x.ravel() * 40 + 10,
                         "process.scan_speed": y.ravel() * 0.006 + 0.002, "z": (x + y).ravel(), "cost": x.ravel()})


def test_window_outline_lies_on_the_threshold_between_cases():
    import matplotlib

    matplotlib.use("Agg")
    df = _plane_table()
    assert window_mask(df, ["z>=1.0"]).sum() == sum(i + j >= 5 for i in range(6) for j in range(6))
    ax = process_map(df, "process.power", "process.scan_speed", "z", windows=["z>=1.0", "cost<=0.5"], best="cost")
    # The outline is the 0.5 level of the linearly interpolated indicator: it lies within one grid step
    # (1/5 in the unit square) of the exact boundary x + y = 1 where that boundary bounds the window.
    lines = [c for c in ax.collections if c.__class__.__name__ == "QuadContourSet" or hasattr(c, "get_paths")]
    verts = np.concatenate([p.vertices for c in lines if getattr(c, "levels", None) is not None
                            and list(c.levels) == [0.5] for p in c.get_paths() if len(p.vertices)])
    ux, uy = (verts[:, 0] - 10) / 40, (verts[:, 1] - 0.002) / 0.006
    near_diag = np.abs(ux + uy - 1) <= 0.2 + 1e-9
    near_cost = np.abs(ux - 0.5) <= 0.2 + 1e-9
    assert (near_diag | near_cost).all()
    assert near_diag.any() and near_cost.any()
    assert "[W]" in ax.get_xlabel() and "[m/s]" in ax.get_ylabel()


def test_a_map_of_a_text_column_or_to_an_unknown_image_type_is_one_error(tmp_path):
    """A column of text (e.g. sintering.law) cannot be contoured, and a .txt cannot hold an image: each is a
    UserError naming the option and what is allowed, before anything is written."""
    from regolith_sim.sweep.process_map import save_process_map

    df = _plane_table().assign(law="viscous")
    with pytest.raises(UserError, match="column 'law' holds text, not numbers; allowed: a numeric column"):
        process_map(df, "process.power", "process.scan_speed", "law")
    with pytest.raises(UserError, match=r"allowed: a file ending in \.png, \.pdf, \.svg"):
        save_process_map(df, tmp_path / "m.txt", x="process.power", y="process.scan_speed", z="z")
    assert not list(tmp_path.iterdir())


def test_map_cli_draws_a_sweep_folder_and_names_unknown_columns(killed_and_resumed, tmp_path, capsys):
    _, out, _, _ = killed_and_resumed
    from regolith_sim.cli import main

    png = tmp_path / "map.png"
    args = ["map", str(out), "--x", "process.power", "--y", "process.scan_speed", "--z", "part.mean_relative_density",
            "--window", "part.mean_relative_density>=0.6", "--best", "energy.delivered_J", "--out", str(png)]
    with pytest.raises(SystemExit) as ok:
        main(args)
    assert ok.value.code in (0, None) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    with pytest.raises(SystemExit) as bad:
        main(args[:6] + ["--z", "nope", "--out", str(tmp_path / "bad.png")])
    err = capsys.readouterr().err
    assert bad.value.code == 2 and "no column 'nope'" in err and err.count("\n") == 1
    assert not (tmp_path / "bad.png").exists()
    with pytest.raises(UserError, match="--window"):
        window_mask(build_table(out), ["density about 0.8"])


def test_a_sweep_may_print_a_mesh_file_in_place_of_the_base_cases_part(tmp_path):
    """[set] geometry.file on a base case with a parametric part replaces the part, as `run --set` does (the sweep
    refused 'give either part or file, not both')."""
    p = _sweep(tmp_path, '[set]\n"geometry.file" = "part.stl"\n"geometry.scale" = 0.001\n'
                         '[grid]\n"process.power" = ["20 W", "30 W"]\n')
    spec = load_sweep(p)
    assert len(spec.cases) == 2


def test_a_grid_that_names_one_value_twice_is_refused(tmp_path):
    """["10 W", "10000 mW"] is one power twice: the sweep would run one case under two ids. Distinct tiny values
    (1e-13 and 2e-13) are not confused."""
    from regolith_sim.sweep.spec import _grid_values

    with pytest.raises(ConfigError, match=r"grid.process.power: '10 W' and '10000 mW' are the same value"):
        _grid_values("process.power", ["10 W", "20 W", "10000 mW"])
    assert _grid_values("x", [1e-13, 2e-13]) == [1e-13, 2e-13]
    assert _grid_values("solver.sintering", ["viscous", "master-curve"]) == ["viscous", "master-curve"]


def test_a_second_sweep_into_a_folder_in_use_is_refused(tmp_path):
    """Two sweeps into one folder raced for each case's lock and reported cases as failed: a sweep now holds its
    folder's lock, and a second one is refused at once, naming the folder."""
    from regolith_sim.simulation.run_folder import LOCK_NAME, folder_lock

    spec = load_sweep(Path(__file__).resolve().parents[1] / "examples" / "sweeps" / "tiny_power_speed.toml")
    out = tmp_path / "sw"
    out.mkdir()
    with folder_lock(out):
        with pytest.raises(UserError, match="is in use by another run"):
            run_sweep(spec, out, workers=1, progress=False)
    assert not (out / LOCK_NAME).exists() and not (out / "results.csv").exists()
