"""Issue 18: no input crashes `check` or `run`, nothing is read or written outside its place.

Each crash signature of the audit gets a generated file and the assertion that the CLI answers with one
line naming the key or file, exit code 2 and no traceback; then the run folder's lifecycle (lock, status,
no mixing of two runs, output faults, checkpoints) and a property-based test over mutated examples.
"""
from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regolith_sim.cli import main
from regolith_sim.config import load_case
from regolith_sim.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny_brick.toml"
LHS1 = ROOT / "regolith_sim" / "materials" / "data" / "lhs-1.toml"


def cli(capsys, *args) -> tuple[int, list[str]]:
    """Run `regolith-sim ARGS` in this process: (exit code, stderr lines other than Taichi's banner)."""
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    err = capsys.readouterr().err
    return exit_.value.code, [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("[Taichi]")]


def one_error(capsys, *args) -> str:
    """The one error line of a `regolith-sim ARGS` that must fail with exit code 2."""
    code, lines = cli(capsys, *args)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("regolith-sim: error: "), lines
    assert lines[0].isprintable()
    return lines[0]


def case_with(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


# -- files the tool reads -------------------------------------------------------------------------
@pytest.mark.parametrize("nest", ["[" * 600 + "]" * 600, "{a = " * 300 + "1" + "}" * 300])
def test_deeply_nested_case_file_is_one_line(capsys, tmp_path, nest):
    case = case_with(tmp_path, f"name = 'x'\nx = {nest}\n")
    line = one_error(capsys, "check", case)
    assert f"case file '{case}' nests tables or arrays too deeply; allowed: at most 32 levels" in line


@pytest.mark.parametrize("depth", [40, 900])
def test_deeply_nested_set_value_is_one_line(capsys, depth):
    line = one_error(capsys, "check", TINY, "--set", "x=" + "[" * depth + "]" * depth)
    assert line == "regolith-sim: error: --set: x: the value nests arrays or tables too deeply; allowed: at most 31 levels"


def test_deeply_nested_material_file_names_the_key(capsys, tmp_path):
    (tmp_path / "m.toml").write_text("x = " + "[" * 500 + "]" * 500 + "\n")
    line = one_error(capsys, "check", case_with(tmp_path, "[material]\nname = 'm.toml'\n"))
    assert "material.name: material file" in line and "nests tables or arrays too deeply" in line


def test_non_utf8_case_file_says_where(capsys, tmp_path):
    case = tmp_path / "case.toml"
    case.write_bytes(b'name = "ok"\ndescription = "\xff\xfe"\n')
    line = one_error(capsys, "check", case)
    assert line.endswith(f"case file '{case}' is not UTF-8 text (byte 0xff on line 2); allowed: a UTF-8 text file")


def test_oversized_case_file_is_refused_before_reading(capsys, tmp_path):
    case = tmp_path / "case.toml"
    with case.open("wb") as fh:
        fh.truncate(5 * 2**20)  # sparse: costs no disk
    line = one_error(capsys, "check", case)
    assert f"is {5 * 2**20} bytes; allowed: a regular file of up to 4 MiB" in line


@pytest.mark.parametrize("kind", ["device", "folder", "fifo"])
def test_material_name_that_is_not_a_regular_file(capsys, tmp_path, kind):
    target = {"device": "/dev/zero", "folder": str(tmp_path), "fifo": str(tmp_path / "pipe.toml")}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    case = case_with(tmp_path, f"[material]\nname = '{target}'\n")
    t0 = time.perf_counter()
    line = one_error(capsys, "check", case)
    assert time.perf_counter() - t0 < 30  # a pipe without a writer must not hang the open
    what = {"device": "a character device", "folder": "a folder", "fifo": "a named pipe"}[kind]
    assert f"material.name: material file '{target}' is {what}" in line
    assert "allowed: a regular file of up to 4 MiB" in line


def _material_file(tmp_path: Path, edit) -> Path:
    text = edit(LHS1.read_text(encoding="utf-8"))
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    return case_with(tmp_path, "[material]\nname = 'm.toml'\n")


@pytest.mark.parametrize("edit, expected", [
    (lambda s: re.sub(r"(particle_kg_m3 = \{ value = )[0-9.e]+", r'\1"abc"', s),
     "density.particle_kg_m3.value = 'abc': wrong type; allowed: a number (grain (particle) density [kg/m^3])"),
    (lambda s: re.sub(r"(particle_kg_m3 = \{ value = )[0-9.e]+", r"\g<1>[1, 2]", s),
     "density.particle_kg_m3.value = [1, 2]: wrong type; allowed: a number"),
    (lambda s: re.sub(r"^aliases = .*$", "aliases = 5", s, flags=re.M),
     "aliases = 5: wrong type; allowed: a list of strings"),
    (lambda s: re.sub(r"^\[heat_capacity\]$", "[heat_capacity_old]", s, flags=re.M)
     .replace("schema_version = 1", "schema_version = 1\nheat_capacity = 5"),
     "heat_capacity = 5: wrong type; allowed: a table of properties"),
    (lambda s: re.sub(r"^\[composition_wt_pct\]$", "[composition_old]", s, flags=re.M)
     .replace("schema_version = 1", "schema_version = 1\ncomposition_wt_pct = 'lots'"),
     "composition_wt_pct = 'lots': wrong type; allowed: a table of oxide = wt% and source"),
    (lambda s: s.replace("schema_version = 1", "schema_version = 'one'"),
     "schema_version = 'one'; allowed: 1"),
])
def test_material_file_with_wrong_types_is_one_line(capsys, tmp_path, edit, expected):
    line = one_error(capsys, "check", _material_file(tmp_path, edit))
    assert f"material.name: material file '{tmp_path / 'm.toml'}': {expected}" in line


def test_malformed_user_material_is_skipped_with_one_warning(tmp_path, monkeypatch, capsys):
    from regolith_sim.materials import database

    (tmp_path / "broken.toml").write_bytes(b"\xff not toml")
    monkeypatch.setenv("REGOLITH_SIM_MATERIALS", str(tmp_path))
    assert database.get_material("LHS-1").name == "LHS-1"
    assert database.get_material("JSC-1A").name == "JSC-1A"  # warned once, not per lookup
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if "broken.toml" in ln]
    assert warnings == [f"regolith-sim: warning: skipping material file {tmp_path / 'broken.toml'}: material file "
                        f"'{tmp_path / 'broken.toml'}' is not UTF-8 text (byte 0xff on line 1); allowed: a UTF-8 "
                        "text file"]


def test_unknown_key_with_control_characters_is_escaped(capsys, tmp_path):
    line = one_error(capsys, "check", case_with(tmp_path, 'name = "x"\n"bad\\u001b[31mkey\\nnext" = 1\n'))
    assert "unknown key 'bad\\x1b[31mkey\\nnext'" in line and "\x1b" not in line


# -- values `check` accepted and `run` crashed on ---------------------------------------------------
@pytest.mark.parametrize("setting, expected", [
    ("geometry.orientation=[nan, 0, 0]", "geometry.orientation.0 = nan: not a finite number"),
    ("geometry.orientation=[0, inf, 0]", "geometry.orientation.1 = inf: not a finite number"),
    ("output.probes=[{name = 'p', position = [nan, 0, 0]}]", "output.probes.0.position.0 = nan: not a finite number"),
    ("output.probes=[{name = 'p', position = [1, 0, 0]}]",
     "output.probes.0.position: probe 'p' at (1.0, 0.0, 0.0) m lies outside the simulated domain"),
    ("output.field_interval=1e-300", "output.field_interval: 1e-300 s would write"),
    ("solver.safety=1e-9", "solver.safety: 1e-09 gives at least"),
    ("solver.time_step=1e-300", "solver.time_step: 1e-300 gives at least"),
    ("process.spot_diameter=30mm", "process.spot_diameter: spot larger than part 0's footprint"),
    ("process.plan_file=missing.csv", "process.plan_file: plan file '"),
    ("output.mesh_formats=stl", "output.mesh_formats = 'stl': not a list; write it as a TOML list, e.g. [\"stl\""),
    ("output.probes=[{name = 'p', position = [0, 0]}]", "output.probes.0.position: item 2 is missing (too few"),
    ("site.initial_temperature='3000 K'", "site.initial_temperature: 3000 K is at or above the solidus of LHS-1"),
    ("geometry.params={length = '2 m', width = '2 m', height = '1 mm'}", "solver.resolution: the grid would have"),
])
def test_check_refuses_what_run_would(capsys, setting, expected):
    line = one_error(capsys, "check", TINY, "--set", setting)
    assert expected in line
    if "gives at least" in line:
        assert "allowed: at most 1e+08 steps" in line
    if "field_interval" in line:
        assert "10000 frames at most" in line


@pytest.mark.parametrize("verb", ["check", "run"])
def test_a_verification_case_given_as_a_print_says_which_command_runs_it(capsys, verb, tmp_path):
    """examples/verification/*.toml are closed-form checks (a top-level ``kind``), not prints: one line naming the
    command that runs them, not "unknown key 'kind'"."""
    case = ROOT / "examples" / "verification" / "rosenthal.toml"
    args = ("--out", str(tmp_path / "out")) if verb == "run" else ()
    line = one_error(capsys, verb, case, *args)
    assert "is a verification case (kind = 'rosenthal')" in line
    assert "regolith-sim validate --suite verification --only rosenthal" in line
    assert not (tmp_path / "out").exists()


def test_check_warns_of_a_fixed_step_that_dense_material_cannot_take(capsys):
    """A fixed solver.time_step the cold powder takes but dense or molten material would not: check warns (the
    run accepts it while the powder is cold and stops with an error once cells get there)."""
    code, lines = cli(capsys, "check", TINY, "--set", "solver.time_step='10 s'")
    assert code == 0
    assert any(ln.startswith("warning: solver.time_step: 10 s is above ") and "once it is dense or molten" in ln
               for ln in lines), lines
    code, lines = cli(capsys, "check", TINY, "--set", "solver.time_step='1e-4 s'")
    assert code == 0 and not any("solver.time_step" in ln for ln in lines)


def test_a_mesh_in_millimetres_is_refused_at_once_with_the_scale_to_use(capsys, tmp_path):
    """An STL of a 20 x 10 x 5 mm brick written in millimetres reads as 20 x 10 x 5 m: check refuses it in
    seconds (before slicing thousands of layers) and names geometry.scale."""
    import trimesh

    trimesh.creation.box(extents=(20.0, 10.0, 5.0)).export(tmp_path / "brick_mm.stl")
    case = case_with(tmp_path, """
        [geometry]
        file = "brick_mm.stl"
    """)
    line = one_error(capsys, "check", case)
    assert "the grid would have" in line and "geometry.scale = 0.001" in line


def test_check_warns_of_a_concentration_the_optics_cannot_give(capsys):
    code, lines = cli(capsys, "check", TINY, "--set", "process.solar.concentration=1000",
                      "--set", "process.solar.optical_efficiency=0.5")
    assert code == 0
    lines = [x for x in lines if "heats the powder about" not in x]  # (its 0.5 mm cells: tests/test_run_limits.py)
    # 16 W on a 2 mm spot: 16 / (pi 1e-6) / 1361 W/m^2 = 3742 suns, the optics give 1000 x 0.5
    assert lines == ["warning: process.solar.concentration = 1000: a 16 W spot of 2 mm needs a concentration of "
                     "3742, the optics give at most 500 (concentration x optical_efficiency); the run delivers 16 W "
                     "to the spot all the same: raise the concentration or the spot diameter, or lower the power"]


def test_check_warns_of_a_bare_number_that_most_likely_meant_another_unit(capsys):
    """Bare numbers are SI: a scan speed of 4 is 4 m/s, an initial temperature of 20 is 20 K. Far past what a print
    uses, each gets one warning that says how it was read and how to write the unit likely meant; the same value
    with its unit, or an ordinary bare one, gets none."""
    code, lines = cli(capsys, "check", TINY, "--set", "process.scan_speed=4", "--set", "site.initial_temperature=20")
    assert code == 0
    slips = [x for x in lines if "a bare number is SI" in x]
    assert slips == [
        "warning: process.scan_speed = 4 is read as 4 m/s (a bare number is SI), faster than regolith is scanned; "
        "if 4 mm/s was meant, write '4 mm/s'",
        "warning: site.initial_temperature = 20 is read as 20 K (a bare number is SI), colder than the coldest lunar "
        "craters, about 25 K (Paige et al. 2010, Science 330:479); if 20 degC was meant, write '20 degC'"]
    for ok in (["process.scan_speed='4 m/s'"], ["process.scan_speed=0.004", "site.initial_temperature=250"]):
        code, lines = cli(capsys, "check", TINY, *[a for kv in ok for a in ("--set", kv)])
        assert code == 0 and not [x for x in lines if "a bare number is SI" in x]


@pytest.mark.parametrize("settings, expected", [
    ([], "has no evaporation data"),
    (["solver.evaporation=false"], "solver.sintering: material 'textbook-constant' lacks 'melt.surface_tension_N_m'"),
    (["solver.evaporation=false", "solver.sintering='none'", "solver.mechanics='final'"],
     "solver.mechanics: material 'textbook-constant' lacks mechanical data"),
    (["material.name='LHS-1'", "process.source='microwave'"], "process.source: material 'LHS-1' has no microwave"),
])
def test_check_refuses_a_material_without_the_data_a_model_needs(capsys, settings, expected):
    args = [a for kv in ["material.name='textbook-constant'", *settings] for a in ("--set", kv)]
    assert expected in one_error(capsys, "check", TINY, *args)


def test_a_material_without_composition_runs_without_sintering(ti_runtime, tmp_path):
    """textbook-constant passed check but every run failed on its missing melt viscosity."""
    from regolith_sim.simulation import run_job

    case = load_case(TINY, **{"material.name": "textbook-constant", "solver.sintering": "none",
                              "solver.evaporation": False, "output.render": False, "output.mesh_formats": []})
    result, files = run_job(case, tmp_path)
    assert result.summary["peak_temperature_K"] > 300 and "plot_probes" in files


def test_max_temperature_stays_below_the_end_of_the_property_tables(capsys):
    from regolith_sim.config.schema import SolverSection
    from regolith_sim.materials.record import T_MAX
    from regolith_sim.thermal.tables import T_HIGH

    le = next(m.le for m in SolverSection.model_fields["max_temperature"].metadata if getattr(m, "le", None))
    assert le < min(T_MAX, T_HIGH)  # a run reaching the tables' end is stopped, not clamped
    line = one_error(capsys, "check", TINY, "--set", "solver.max_temperature=20000")
    assert "solver.max_temperature = 20000" in line and "allowed: > 500 and <= 4990 K" in line


def test_radiation_can_be_switched_off_with_toml_dotted_overrides(tmp_path):
    from regolith_sim.materials import get_material

    # unquoted dotted keys are nested tables in TOML: they were refused ("Input should be a valid number")
    case = load_case(case_with(tmp_path, "[material.overrides]\noptical.emissivity = 0\noptical.emissivity_melt = 0\n"))
    assert case.material.overrides == {"optical.emissivity": 0.0, "optical.emissivity_melt": 0.0}
    m = get_material("JSC-1A", case.material.overrides)
    assert m.emissivity == 0.0 and m.emissivity_melt == 0.0


@pytest.mark.parametrize("faces", [False, True])
def test_initial_temperature_and_an_insulated_bottom(ti_runtime, tmp_path, faces):
    """A loss-free bed (no radiation, evaporation or convection, insulated bottom) starting at a uniform 500 K:
    nothing leaves through the bottom, the heat stored is the heat absorbed, no cell falls below 500 K and
    the cells far from the spot stay at it. With ``solver.radiating_faces`` too: without the hot cells stepped
    by Euler steps, the super-time-steps' stages took a cold cell under a hot one to 479 K."""
    from regolith_sim.simulation import run_job

    case = load_case(TINY, **{"site.initial_temperature": "500 K", "site.bottom": "insulated",
                              "material.overrides": {"optical.emissivity": 0.0, "optical.emissivity_melt": 0.0},
                              "solver.evaporation": False, "solver.radiating_faces": faces, "output.render": False,
                              "output.plots": False, "output.mesh_formats": []})
    result, _ = run_job(case, tmp_path)
    e = result.summary["energy"]
    assert e["conducted_to_substrate_bottom_J"] == 0.0 and e["radiated_J"] == 0.0
    assert e["stored_J"] == pytest.approx(e["absorbed_J"], rel=1e-9)
    T = result.fields["T"][result.fields["state"] > 0]
    assert T.min() == pytest.approx(500.0, abs=1e-6)
    assert result.fields["T"][0, 0, 0] == pytest.approx(500.0, abs=0.5)  # the far bottom corner


def test_binary_plan_file_is_one_line(capsys, tmp_path):
    (tmp_path / "plan.csv").write_bytes(b"t_s,x_m,y_m,z_m\n\x00\x01\x02\xff")
    line = one_error(capsys, "check", TINY, "--set", f"process.plan_file={tmp_path / 'plan.csv'}")
    assert "process.plan_file: plan file" in line and "is not UTF-8 text (byte 0xff on line 2)" in line


FOREIGN = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:secret:/usr/sbin:/usr/sbin/nologin\n"


@pytest.mark.parametrize("key", ["process.plan_file", "process.solar.fluctuation_file"])
def test_errors_never_echo_a_foreign_files_lines(capsys, tmp_path, key):
    (tmp_path / "passwd").write_text(FOREIGN)
    line = one_error(capsys, "check", TINY, "--set", f"{key}={tmp_path / 'passwd'}")
    assert line.startswith(f"regolith-sim: error: {key}: ")
    assert "root:x" not in line and "secret" not in line and "/bin/bash" not in line


@pytest.mark.parametrize("key", ["process.plan_file", "process.solar.fluctuation_file"])
def test_plan_and_fluctuation_files_must_be_regular(capsys, tmp_path, key):
    os.mkfifo(tmp_path / "pipe.csv")
    line = one_error(capsys, "check", TINY, "--set", f"{key}={tmp_path / 'pipe.csv'}")
    assert f"'{tmp_path / 'pipe.csv'}' is a named pipe, not a regular file; allowed: a regular file of up to 256 MiB" \
        in line
    assert "/dev/zero' is a character device" in one_error(capsys, "check", TINY, "--set", f"{key}=/dev/zero")


@pytest.mark.parametrize("content, expected", [
    (None, "is a named pipe, not a regular file; allowed: a regular file of up to 256 MiB"),
    (b"0,1\n\xff\xfe\n", "is not UTF-8 text (byte 0xff on line 2)"),
    (FOREIGN.encode() + b"0,1\n1,1\n", "line 2: a field of 47 characters is not a number"),
    (b"time_s,relative_flux\n0,1\n1,abc\n", "line 3: 'abc' is not a number"),
    (b"0,1\n", "has 1 rows of numbers"),
])
def test_fluctuation_reader_is_safe_on_its_own(tmp_path, content, expected):
    """The solar source reads its fluctuation file through the safe reader, whoever calls it (not only
    behind the preflight): a pipe cannot hang it and no message quotes a line of the file."""
    from regolith_sim.thermal.solar import Fluctuation

    path = tmp_path / "flux.csv"
    if content is None:
        os.mkfifo(path)
    else:
        path.write_bytes(content)
    with pytest.raises(UserError) as err:
        Fluctuation.from_csv(path)
    msg = str(err.value)
    assert msg.startswith("process.solar.fluctuation_file: fluctuation file ") and expected in msg, msg
    assert msg.isprintable() and "root:x" not in msg and "secret" not in msg
    with pytest.raises(UserError, match="'/dev/zero' is a character device"):
        Fluctuation.from_csv("/dev/zero")


def test_mesh_file_must_be_a_regular_file(capsys, tmp_path):
    os.mkfifo(tmp_path / "part.stl")
    line = one_error(capsys, "check", case_with(tmp_path, "[geometry]\nfile = 'part.stl'\n"))
    assert "mesh file" in line and "is a named pipe, not a regular file" in line


MANIFEST = {"name": "m", "varied": ["process.power"], "cases": [
    {"case_id": f"c{i}", "inputs": {"process.power": 10.0 * i}, "derived": {}} for i in (1, 2)]}


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xfe{", "sweep manifest '{p}' is not UTF-8 text (byte 0xff on line 1)"),
    (b"[" * 5000 + b"]" * 5000, "sweep manifest '{p}' nests tables or arrays too deeply; allowed: at most 32 levels"),
    (b'{"cases": ', "sweep manifest '{p}' is not valid JSON: Expecting value: line 1 column 11"),
    (b"[]", "'{p}' is not a sweep manifest as `regolith-sim sweep` writes it"),
    (b'{"varied": [], "cases": [{"case_id": 5}]}', "'{p}' is not a sweep manifest"),
    (None, "sweep manifest '{p}' is a named pipe, not a regular file"),
])
def test_a_damaged_sweep_folder_is_one_line(capsys, tmp_path, content, expected):
    manifest = tmp_path / "sweep.json"
    if content is None:
        os.mkfifo(manifest)
    else:
        manifest.write_bytes(content)
    line = one_error(capsys, "map", tmp_path, "--x", "process.power", "--y", "a", "--z", "b")
    assert line.startswith("regolith-sim: error: DIR: ") and expected.format(p=manifest) in line, line


@pytest.mark.parametrize("record", [b"\xff", b"[" * 5000, b"[]", b'{"status": "exploded"}', b'{"status": "done", '
                                    b'"summary": 5}', None])
def test_a_damaged_status_record_counts_as_never_run(tmp_path, record):
    from regolith_sim.sweep.table import build_table

    (tmp_path / "sweep.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "status").mkdir()
    (tmp_path / "status" / "c1.json").write_text(json.dumps({"case_id": "c1", "status": "done",
                                                             "summary": {"part": {"count": 1}}}))
    if record is None:
        os.mkfifo(tmp_path / "status" / "c2.json")  # must not hang the reader
    else:
        (tmp_path / "status" / "c2.json").write_bytes(record)
    table = build_table(tmp_path)
    assert list(table["status"]) == ["done", "pending"] and table["part.count"].iloc[0] == 1


@pytest.mark.parametrize("name, content, expected", [
    ("r.csv", b"a,b\n\xff\x00,1\n", "'{p}' cannot be read as a csv table (UnicodeDecodeError)"),
    ("r.parquet", b"PAR1 not parquet", "'{p}' cannot be read as a parquet table"),
    ("r.csv", None, "results table '{p}' is a named pipe, not a regular file"),
])
def test_a_damaged_results_table_is_one_line(capsys, tmp_path, name, content, expected):
    table = tmp_path / name
    if content is None:
        os.mkfifo(table)
    else:
        table.write_bytes(content)
    line = one_error(capsys, "map", table, "--x", "a", "--y", "b", "--z", "c")
    assert expected.format(p=table) in line, line


# -- what the verbs say -----------------------------------------------------------------------------
def test_help_and_reports_promise_only_what_they_do(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["materials", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "list, show" not in helptext and "`materials show NAME` shows one" in helptext
    with pytest.raises(SystemExit) as exit_:
        main(["geometry", "build", "brick", "--out", str(tmp_path / "b.stl")])
    assert exit_.value.code == 0
    # the default brick is 10 mm tall: 10 mm x 1600 kg/m^3 = 16 kg/m^2 = 1.6 g/cm^2 through it
    assert "shielding: vertical 1.6 g/cm^2 (10 mm)" in capsys.readouterr().out


def test_material_sources_cite_the_papers_not_a_file_users_lack():
    from regolith_sim.materials import list_materials

    for m in list_materials():
        for key, text in m.sources.items():
            assert "regolith-data.md" not in text and "shared/reference" not in text, (m.name, key)
        for key in ("halbert2022", "rogic"):
            if key in m.sources:
                assert re.search(r"\(20(19|22)\)\..*Remote Sens\.|Meteorit\. Planet\. Sci\.", m.sources[key]), key


@pytest.mark.parametrize("params, expected", [("params = 5", "params: 5 is not a table"),
                                              ("[params]\npower = nan", "params.power: nan must be a positive number"),
                                              ("[params]\npower = true", "params.power: True must be a positive")])
def test_verification_case_params_are_checked(tmp_path, params, expected):
    from regolith_sim.errors import ConfigError
    from regolith_sim.verification.runner import load_verification_case

    case = case_with(tmp_path, f'kind = "rosenthal"\n{params}\n')
    with pytest.raises(ConfigError) as err:
        load_verification_case(case)
    assert expected in str(err.value)


def test_unitless_meshes_are_written_in_the_chosen_unit(tmp_path):
    import trimesh

    import geometries

    box = trimesh.creation.box((0.02, 0.01, 0.005))  # m, as the simulation holds it

    def written(name, units):
        return trimesh.load(geometries.export(box, tmp_path / name, units), force="mesh").extents.tolist()

    assert written("a.stl", "mm") == pytest.approx([20, 10, 5])
    assert written("a.ply", "m") == pytest.approx([0.02, 0.01, 0.005])
    assert written("b.stl", "m") == written("c.stl", "m")  # (metres, as load_mesh reads them, by default)
    assert written("a.glb", "mm") == pytest.approx([0.02, 0.01, 0.005])  # glTF: metres whatever is asked
    assert written("a.3mf", "m") == pytest.approx([20, 10, 5])  # 3MF: the millimetres it declares
    with pytest.raises(UserError, match="units = 'cm': allowed 'm', 'mm'"):
        geometries.export(box, tmp_path / "d.stl", "cm")
    assert load_case({"output": {"mesh_units": "mm"}}).output.mesh_units == "mm"
    with pytest.raises(UserError, match=r"output.mesh_units = 'cm': not one of the allowed values; allowed: 'mm', 'm'"):
        load_case({"output": {"mesh_units": "cm"}})


@pytest.mark.parametrize("grid, expected", [
    ('"process.power" = { start = "3 W", stop = "9 W", num = 1000000000 }',
     "grid.process.power.num = 1000000000: must be an integer from 1 to 100000"),
    ('"process.power" = { start = "3 W", stop = "9 W", num = 1000 }\n'
     '"process.scan_speed" = { start = "1 mm/s", stop = "9 mm/s", num = 1000 }',
     "grid: 1000000 cases; allowed: at most 100000 in one sweep"),
])
def test_a_sweep_too_large_to_list_is_refused_before_listing(capsys, tmp_path, grid, expected):
    (tmp_path / "tiny.toml").write_text(TINY.read_text())
    sweep = case_with(tmp_path, f'name = "s"\nbase = "tiny.toml"\n[grid]\n{grid}\n', "sweep.toml")
    assert one_error(capsys, "sweep", sweep, "--dry-run") == f"regolith-sim: error: {expected}"


# -- names and places -------------------------------------------------------------------------------
def test_relative_output_dir_is_read_from_the_case_files_folder(tmp_path, monkeypatch):
    from regolith_sim.cli.run import default_out_dir

    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    case = load_case(case_with(tmp_path / "cases", "name = 'x'\n[output]\ndir = 'out/here'\n"))
    assert default_out_dir(case) == tmp_path / "cases" / "out" / "here"
    sneaky = load_case(case_with(tmp_path / "cases", "name = '../../x/\\u001b'\n"))
    out = default_out_dir(sneaky)
    assert out.parent == Path("results") and ".." not in out.parts and out.name.isprintable()


def test_probe_names_are_quoted_and_defused_in_csv():
    import csv
    import io

    from regolith_sim.simulation.recorders import csv_cell

    names = ["plain", "a,b", 'say "hi"', "line\nbreak", "=HYPERLINK(\"x\")", "-1+2", "@sum"]
    row = next(csv.reader(io.StringIO(",".join(csv_cell(n) for n in names) + "\n")))
    assert row == ["plain", "a,b", 'say "hi"', "line break", "'=HYPERLINK(\"x\")", "'-1+2", "'@sum"]


# -- the run folder ---------------------------------------------------------------------------------
def test_out_pointing_at_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("keep me")
    r = subprocess.run([sys.executable, "-m", "regolith_sim", "run", str(TINY), "--arch", "cpu", "--quiet",
                        "--out", str(tmp_path / "afile")], capture_output=True, text=True, timeout=300)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("[Taichi]")
             and not ln.startswith("kernels run on")]
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert lines == [f"regolith-sim: error: output folder: '{tmp_path / 'afile'}' is a file, not a folder; "
                     "allowed: a folder, new or existing (--out or output.dir)"]
    assert (tmp_path / "afile").read_text() == "keep me"


def test_quiet_run_prints_errors_only_and_marks_its_folder_complete(tmp_path):
    r = subprocess.run([sys.executable, "-m", "regolith_sim", "run", str(TINY), "--arch", "cpu", "--quiet",
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and r.stderr == ""  # no Taichi banner, VTK display warning or strength note
    assert r.stdout == ""  # nor the summary (it is in summary.json)
    status = json.loads((tmp_path / "o" / "run_status.json").read_text())
    assert status["status"] == "complete" and {"summary.json", "fields.npz", "part.stl"} <= set(status["files"])
    assert not [p for p in (tmp_path / "o").rglob(".*")]  # no lock or temporary file left
    # the domain: a 6 x 4 mm brick plus 1.5 x 2 mm spot each side, 2 mm substrate + one 1 mm layer, 0.5 mm cells
    domain = json.loads((tmp_path / "o" / "summary.json").read_text())["domain"]
    assert domain == pytest.approx({"size_x_m": 0.012, "size_y_m": 0.010, "size_z_m": 0.003, "origin_x_m": -0.003,
                                    "origin_y_m": -0.003, "origin_z_m": -0.002, "cell_size_m": 0.0005,
                                    "cells": 24 * 20 * 6}, rel=1e-9)


def test_other_verbs_output_faults_are_one_line(capsys, tmp_path):
    (tmp_path / "afile").write_text("keep me")
    line = one_error(capsys, "plan", TINY, "--out", tmp_path / "afile")
    assert line == (f"regolith-sim: error: '{tmp_path / 'afile'}': File exists; allowed: a folder that is not an "
                    "existing file (--out names a folder)")
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.fixture
def read_only(monkeypatch, tmp_path):
    """A folder that refuses every write as a read-only mount would (EROFS). The tests run as root, whom a
    chmod does not stop, so the file system calls that create, write, rename or remove are faked."""
    import builtins
    import io

    ro = (tmp_path / "ro").resolve()
    ro.mkdir()

    def inside(p) -> bool:
        return isinstance(p, (str, bytes, os.PathLike)) and Path(os.fsdecode(p)).resolve().is_relative_to(ro)

    def deny(p):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(p))

    real_open, real_os_open = builtins.open, os.open

    def fake_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+") and inside(file):
            deny(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            deny(path)
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    for name in ("mkdir", "unlink", "remove", "rmdir"):
        def refuse(p, *args, _real=getattr(os, name), **kwargs):
            if inside(p):
                deny(p)
            return _real(p, *args, **kwargs)
        monkeypatch.setattr(os, name, refuse)
    for name in ("replace", "rename"):
        def refuse_move(src, dst, *args, _real=getattr(os, name), **kwargs):
            if inside(src) or inside(dst):
                deny(dst)
            return _real(src, dst, *args, **kwargs)
        monkeypatch.setattr(os, name, refuse_move)
    return ro


@pytest.mark.parametrize("verb, target, expected", [
    (["run", TINY, "--arch", "cpu", "--quiet", "--out"], "", "output folder: cannot write in '{ro}': Read-only "
     "file system; allowed: a folder you can write (--out or output.dir)"),
    (["run", TINY, "--arch", "cpu", "--quiet", "--out"], "new", "output folder: cannot create '{ro}/new': Read-only "
     "file system; allowed: a folder you can write (--out or output.dir)"),
    (["plan", TINY, "--out"], "", "'{ro}/events.csv': Read-only file system"),
    (["geometry", "build", "brick", "--out"], "b.stl", "'{ro}/b.stl': Read-only file system"),
    (["geometry", "build", "brick", "--out"], "b.obj", "'{ro}/b.obj': Read-only file system"),
    (["sweep", ROOT / "examples" / "sweeps" / "tiny_power_speed.toml", "--arch", "cpu", "--out"], "",
     "output folder: cannot write in '{ro}': Read-only file system; allowed: a folder you can write"),
])
def test_read_only_output_folder_is_one_line(ti_runtime, capsys, read_only, verb, target, expected):
    """Each verb that writes: one line naming the file or folder asked for (not a hidden temporary)."""
    line = one_error(capsys, *verb, read_only / target if target else read_only)
    assert line.startswith("regolith-sim: error: ") and expected.format(ro=read_only) in line, line
    assert "/." not in line, "names a hidden temporary"
    assert not any(read_only.iterdir())


def test_a_locked_folder_is_refused(ti_runtime, tmp_path):
    from regolith_sim.simulation import run_job
    from regolith_sim.simulation.run_folder import run_folder

    with run_folder(tmp_path / "o"):
        with pytest.raises(UserError, match=r"output folder: '.*o' is in use by another run"):
            run_job(load_case(TINY), tmp_path / "o")
    assert not (tmp_path / "o" / ".regolith-sim.lock").exists()  # released with the run


def test_resume_of_a_finished_run_says_so(ti_runtime, tmp_path):
    from regolith_sim.simulation import run_job

    (tmp_path / "run_status.json").write_text(json.dumps({"status": "complete"}))
    with pytest.raises(UserError, match=r"--resume: '.*' holds a finished run \(run_status.json: complete\), "
                                        r"nothing to resume; run without --resume"):
        run_job(load_case(TINY), tmp_path, resume=True)


@pytest.mark.parametrize("content", [b"[" * 100_000, b"\xff", b"[]", None])
def test_a_damaged_run_status_reads_as_none(tmp_path, content):
    """Deep nesting was a RecursionError and a pipe hung `--resume`; damaged, the folder has no status."""
    from regolith_sim.simulation.run_folder import is_finished, read_status

    status = tmp_path / "run_status.json"
    if content is None:
        os.mkfifo(status)
    else:
        status.write_bytes(content)
    assert read_status(tmp_path) is None and not is_finished(tmp_path)


@pytest.mark.parametrize("content, why", [(b"", "empty"), (b"PK\x03\x04" + b"\x00" * 40, "truncated")])
def test_unreadable_checkpoint_says_how_to_start_fresh(ti_runtime, tmp_path, content, why):
    from regolith_sim.simulation import run_job

    (tmp_path / "checkpoint.npz").write_bytes(content)
    with pytest.raises(UserError) as err:
        run_job(load_case(TINY), tmp_path, resume=True)
    msg = str(err.value)
    assert msg.startswith(f"--resume: checkpoint '{tmp_path / 'checkpoint.npz'}' is unreadable ({why}")
    assert msg.endswith("delete it, or run without --resume to start fresh")
    assert json.loads((tmp_path / "run_status.json").read_text())["status"] == "incomplete"


def test_full_disk_leaves_no_partial_file_no_earlier_runs_outputs_and_an_incomplete_mark(ti_runtime, tmp_path,
                                                                                          monkeypatch):
    """An earlier run's outputs are cleared, the disk fills while fields.npz is written: one-line error,
    no temporary file, the frames this run wrote are kept, the folder says incomplete."""
    import contextlib

    from regolith_sim.simulation import result as result_module
    from regolith_sim.simulation import run_job

    out = tmp_path / "o"
    (out / "fields").mkdir(parents=True)
    stale = [out / "part.obj", out / "probes.png", out / "fields" / "frame_0042.vti",
             out / ".checkpoint.a1b2c3d4.npz", out / "fields" / ".frame_0001.zz99yy88.vti", out / ".part.stl.k3j4h5.tmp"]
    for p in stale:
        p.write_text("from an earlier run")
    (out / "notes.txt").write_text("the user's own file")
    real = result_module.atomic_path

    @contextlib.contextmanager
    def filling_disk(path):
        with real(path) as tmp:
            yield tmp
            if Path(path).name == "fields.npz":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(result_module, "atomic_path", filling_disk)
    with pytest.raises(UserError) as err:
        run_job(load_case(TINY), out)
    assert str(err.value).startswith(f"output folder: cannot write the outputs: No space left on device ('{out}"
                                     "/fields.npz'); the folder is left marked incomplete (run_status.json)")
    assert json.loads((out / "run_status.json").read_text())["status"] == "incomplete"
    assert not any(p.exists() for p in stale)
    assert (out / "notes.txt").exists()
    assert not [p for p in out.rglob(".*")], "temporary or lock files left behind"
    assert not (out / "fields.npz").exists()
    assert [p.name for p in (out / "fields").iterdir()] == ["frame_0000.vti"]  # this run's frame, kept
    assert "fields/frame_0000.vti" in (out / "fields.pvd").read_text()


def test_void_cells_are_blank_in_field_frames(ti_runtime, tmp_path):
    """At the start no layer is spread: the cells above the substrate hold no material and no temperature."""
    import numpy as np
    pv = pytest.importorskip("pyvista")

    from regolith_sim.simulation.job import prepare
    from regolith_sim.simulation.recorders import FrameRecorder

    sim, _ = prepare(load_case(TINY), tmp_path)
    next(r for r in sim.recorders if isinstance(r, FrameRecorder)).record(sim)
    grid = pv.read(tmp_path / "fields" / "frame_0000.vti")
    state = np.asarray(grid.cell_data["state"])
    for name in ("temperature_K", "peak_temperature_K"):
        values = np.asarray(grid.cell_data[name])
        assert (state == 0).any() and np.isnan(values[state == 0]).all()
        assert np.isfinite(values[state != 0]).all() and values[state != 0].min() > 20  # the substrate, in K


def test_progress_is_written_once_per_update(ti_runtime, tmp_path, capsys):
    from regolith_sim.simulation.job import prepare

    sim, _ = prepare(load_case(TINY), tmp_path)
    capsys.readouterr()
    sim.advance(0.3, progress=True, check_every=2)
    updates = [u for u in re.split(r"[\r\n]", capsys.readouterr().err) if u.startswith("print:")]
    assert len(updates) > 3
    during = updates[:-1]  # closing the bar writes its final state once more, ending the line
    assert all(a != b for a, b in zip(during, during[1:])), "an update written twice"


def test_time_left_is_timed_after_the_kernels_compile(ti_runtime, tmp_path, capsys, monkeypatch):
    """A fake clock: the first step costs 100 s (compiling), then each simulated second one wall second and each
    checkpoint two. From the second update on, the time left is the simulated time left (and the checkpoints
    to come): the first estimate, over the whole wall time, was 7x too long. The throughput figure is over
    the whole wall time."""
    import types

    from regolith_sim.simulation import simulation as simulation_module
    from regolith_sim.simulation.job import prepare

    clock = [0.0]
    monkeypatch.setattr(simulation_module, "_time", types.SimpleNamespace(perf_counter=lambda: clock[0]))
    sim, _ = prepare(load_case(TINY), tmp_path)
    real_step = sim.step

    def timed_step(*args, **kwargs):
        dt = real_step(*args, **kwargs)
        clock[0] += dt + (100.0 if sim.n_steps == 0 else 0.0)
        return dt

    class Checkpoints:  # every 0.5 simulated seconds, 2 wall seconds each
        def due(self, t):
            return t < 3.0 - 1e-9 and t >= len(saves) * 0.5 + 0.5

        def save(self, sim):
            saves.append(clock[0])
            clock[0] += 2.0

    saves = []
    sim.step = timed_step
    capsys.readouterr()
    updates0 = sim.thermal.cell_updates
    sim.advance(3.0, progress=True, check_every=2, checkpoint=Checkpoints())
    pattern = re.compile(r"print:.*\| ([0-9.]+)/[0-9.]+ s .*, ([0-9.e+-]+) Mcell/s, (\?|[0-9:]+) left")
    updates = [m.groups() for u in re.split(r"[\r\n]", capsys.readouterr().err) if (m := pattern.match(u))]
    assert len(updates) > 5 and updates[0][2] == "?" and len(saves) >= 4
    for n, _, left in updates[1:]:
        minutes, seconds = (int(v) for v in left.split(":"))
        assert 60 * minutes + seconds == pytest.approx(3.0 - float(n), abs=1.0 + 2.0 * len(saves))
    # the throughput over the whole wall time, compiling and checkpoints included (it restarted its clock
    # at each checkpoint but not its count of cell updates)
    assert float(updates[-1][1]) * 1e6 == pytest.approx((sim.thermal.cell_updates - updates0) / clock[0], rel=2e-3)


def test_disk_full_at_a_checkpoint_keeps_the_last_one_to_resume_from(ti_runtime, tmp_path, monkeypatch):
    import contextlib

    from regolith_sim.simulation import checkpoint as checkpoint_module
    from regolith_sim.simulation import run_job

    real, saves = checkpoint_module.atomic_path, []

    @contextlib.contextmanager
    def full_on_second_save(path):
        saves.append(path)
        with real(path) as tmp:
            yield tmp
            if len(saves) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(checkpoint_module, "atomic_path", full_on_second_save)
    case = load_case(TINY, **{"solver.checkpoint_interval": "1 s", "output.render": False, "output.plots": False,
                              "output.mesh_formats": []})
    with pytest.raises(UserError, match=r"No space left on device .*incomplete \(run_status.json\); --resume "
                                        r"continues from its last checkpoint"):
        run_job(case, tmp_path)
    assert not [p for p in tmp_path.rglob(".*")] and (tmp_path / "checkpoint.npz").is_file()
    monkeypatch.setattr(checkpoint_module, "atomic_path", real)
    result, _ = run_job(case, tmp_path, resume=True)  # from the first checkpoint, kept whole
    assert json.loads((tmp_path / "run_status.json").read_text())["status"] == "complete"
    assert result.summary["run"]["simulated_time_s"] == pytest.approx(4.928, abs=0.01)


# -- processes --------------------------------------------------------------------------------------
COORDINATOR = """
import multiprocessing as mp, sys, time
from regolith_sim.sweep.local import exit_with_parent

def child(parent):
    exit_with_parent(parent, period=0.1)
    time.sleep(60)

if __name__ == "__main__":
    import os
    p = mp.get_context("spawn").Process(target=child, args=(os.getpid(),))
    p.start()
    print(p.pid, flush=True)
    time.sleep(60)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie awaiting its reaper has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_sweep_workers_exit_when_the_coordinator_is_killed(tmp_path):
    script = tmp_path / "coordinator.py"
    script.write_text(COORDINATOR)
    coord = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        worker = int(coord.stdout.readline())
        os.kill(coord.pid, signal.SIGKILL)
        coord.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not _alive(worker):
                break
            time.sleep(0.05)
        else:
            os.kill(worker, signal.SIGKILL)
            pytest.fail("the worker outlived its coordinator")
    finally:
        if coord.poll() is None:
            coord.kill()


# -- property: mutated examples never crash `check` ----------------------------------------------------
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*.toml"))
ODD_VALUES = st.one_of(
    st.text(max_size=12), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(-3, 3), max_size=2),
    st.sampled_from(["1 mm", "-5 W", "3 kg", "1e300 m", "1e-300 s", "nan m", "inf K", "12 h", "0 deg", "",
                     "../../etc/passwd", "/dev/zero", "\x1b[31m", "results/x.csv", "brick", "-1"]),
    st.integers(1, 80).map(lambda n: __import__("functools").reduce(lambda a, _: [a], range(n), 1)),
)


def _paths(node, prefix=()):
    """Every (path, value) under a parsed TOML document, tables and list items included."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield prefix + (k,), v
        yield from _paths(v, prefix + (k,))


def _check_never_crashes(case_source, base_dir: Path) -> None:
    """What `regolith-sim check` does; only a UserError may leave it."""
    from regolith_sim.simulation.preflight import preflight

    try:
        case = load_case(case_source)
        case._base_dir = base_dir
        preflight(case)
    except UserError as exc:
        assert "\n" not in str(exc) and str(exc).isprintable()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), example=st.sampled_from(EXAMPLE_FILES))
def test_mutated_examples_never_crash_check(data, example):
    import copy
    import tomllib

    doc = tomllib.loads(example.read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = list(_paths(doc))
        path, _ = data.draw(st.sampled_from(paths), label="where")
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]), label="action")
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=8), label="new key")] = data.draw(ODD_VALUES)
        else:
            parent[path[-1]] = data.draw(ODD_VALUES, label="value")
    _check_never_crashes(copy.deepcopy(doc), example.parent)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(example=st.sampled_from(EXAMPLE_FILES), at=st.floats(0, 1), junk=st.one_of(
    st.binary(min_size=1, max_size=8), st.sampled_from([b"\xff\xfe", b"\x00", b"[[[[[[", b"x = " + b"[" * 400,
                                                          b"\n[material]\n", b"= 1", b"\xc3"])))
def test_corrupted_example_files_never_crash_check(tmp_path_factory, example, at, junk):
    raw = example.read_bytes()
    cut = int(at * len(raw))
    folder = tmp_path_factory.mktemp("fuzz")
    case = folder / example.name
    case.write_bytes(raw[:cut] + junk + raw[cut:])
    for extra in example.parent.glob("*.csv"):  # the plan files the examples name
        (folder / extra.name).write_bytes(extra.read_bytes())
    with pytest.raises(SystemExit) as exit_:  # the whole command, as a user runs it
        main(["check", str(case)])
    assert exit_.value.code in (0, 2)


def test_check_warns_of_a_part_that_is_not_a_whole_number_of_layers(capsys):
    """A 1 mm part in 0.3 mm layers is printed as 4 whole layers, 1.2 mm: check says so."""
    code, lines = cli(capsys, "check", TINY, "--set", "process.layer_thickness='0.3 mm'")
    assert code == 0
    assert ("warning: process.layer_thickness: the part is 1 mm high, 3.33 layers of 0.3 mm: the print builds 4 "
            "whole layers, 1.2 mm") in lines



def test_check_says_when_process_power_is_not_what_the_plan_file_prints(capsys):
    """A plan file with a power column sets the power; process.power only fills one without: a --set power on
    such a case changed nothing in silence. With process.layers asking for fewer layers on purpose, no note
    about whole layers."""
    laser = Path(__file__).resolve().parents[1] / "examples" / "laser_track.toml"
    code, lines = cli(capsys, "check", str(laser), "--set", "process.power='120 W'")
    assert code == 0
    assert any(line.startswith("warning: process.power = 120 W is not used: the plan file's power column")
               for line in lines)
    code, lines = cli(capsys, "check", str(laser))
    assert code == 0 and not any("process.power" in line for line in lines)
    code, lines = cli(capsys, "check", TINY, "--set", "process.layer_thickness='0.3 mm'", "--set", "process.layers=1",
                      "--set", "output.probes=[]")
    assert code == 0 and not any("whole layers" in line for line in lines)


def test_check_says_what_a_capped_solar_spot_gets(capsys):
    """More power than the collector gathers: check says the spot gets the collector's power, and the
    concentration warning says the same number (it said the run delivers the power asked for)."""
    code, lines = cli(capsys, "check", TINY, "--set", "process.power='200 W'", "--set",
                      "process.solar.collector_area='0.05 m2'")
    assert code == 0
    cap = 1361 * 0.05 * 0.6  # irradiance x area x optical efficiency: 40.83 W
    assert any(f"the run delivers {cap:.4g} W to the spot all the same" in line for line in lines)
    assert any(f"the collector delivers at most {cap:.4g} W" in line for line in lines)


def test_check_refuses_and_warns_of_what_run_would(capsys):
    """`check` said OK to a collector with the sun below the horizon, which `run` then refused, and kept quiet about
    dielectric data measured at another frequency, which `run` warned of."""
    line = one_error(capsys, "check", ROOT / "examples" / "change8_brick.toml", "--set", "site.name=lunar-equator",
                     "--set", "site.local_time=0 h")
    assert "site.local_time: 0 h: the sun is 90.00 deg below the horizon at lunar-equator" in line
    code, lines = cli(capsys, "check", ROOT / "examples" / "microwave_brick.toml",
                      "--set", "process.microwave.frequency=915 MHz")
    assert code == 0
    assert any(ln.startswith("warning: process.microwave.frequency = 9.15e+08 Hz but the dielectric data of JSC-1A "
                             "were measured at 2.45e+09 Hz") for ln in lines), lines


def test_a_run_warns_once_of_dielectric_data_at_another_frequency(ti_runtime):
    """The set-up warnings and the microwave source each warned of it: the run printed the line twice."""
    import warnings

    from regolith_sim.config import load_case
    from regolith_sim.simulation import Simulation

    case = load_case(ROOT / "examples" / "microwave_brick.toml", **{"process.microwave.frequency": "915 MHz"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Simulation(case)
    said = [str(w.message) for w in caught if "dielectric data of JSC-1A were measured at" in str(w.message)]
    assert len(said) == 1, said
