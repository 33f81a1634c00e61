"""Case files: typed parsing, units, and one-line errors for user mistakes."""
import subprocess
import sys
from pathlib import Path

import pytest

from regolith_sim.config import load_case
from regolith_sim.errors import ConfigError, MaterialError, UserError
from regolith_sim.units import parse_quantity


def test_quantities_convert_to_si():
    assert parse_quantity("0.5 mm", "length") == pytest.approx(5e-4, rel=1e-12)
    assert parse_quantity("1300 degC", "temperature") == pytest.approx(1573.15, rel=1e-12)
    assert parse_quantity("3 kW", "power") == 3000.0
    assert parse_quantity("120 mm/min", "velocity") == pytest.approx(2e-3, rel=1e-12)
    assert parse_quantity(42, "time") == 42.0


def test_case_values_with_units_are_si():
    case = load_case({"process": {"spot_diameter": "4 mm", "scan_speed": "2 mm/s"}, "site": {"local_time": "6 h"}})
    assert case.process.spot_diameter == pytest.approx(4e-3)
    assert case.process.scan_speed == pytest.approx(2e-3)
    assert case.site.local_time == pytest.approx(21600.0)


@pytest.mark.parametrize("data, expected", [
    ({"process": {"pwer": 5}}, "unknown key 'process.pwer'; did you mean 'power'?"),
    ({"process": {"power": -5}}, "process.power = -5.0: Input should be greater than 0; allowed: > 0 and <= 1e+06 W"),
    ({"process": {"spot_diameter": "5 kW"}}, "unit 'kW' is a power, but a length is needed"),
    ({"solver": {"arch": "gpu"}}, "solver.arch = 'gpu': not one of the allowed values; allowed: 'auto', 'cpu'"),
    ({"output": {"probes": [{"name": "p", "positon": [0, 0, 0]}]}}, "unknown key 'output.probes.0.positon'"),
])
def test_config_errors_name_key_value_and_allowed(data, expected):
    with pytest.raises(ConfigError) as err:
        load_case(data)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_case(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[process\npower = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_case(bad)


def test_cli_check_reports_one_line_and_exit_2(tmp_path):
    case = tmp_path / "case.toml"
    case.write_text('[process]\npower = "60 kg"\n')
    run = subprocess.run([sys.executable, "-m", "regolith_sim", "check", str(case)], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = [ln for ln in run.stderr.splitlines() if ln.strip() and not ln.startswith("[Taichi]")]
    assert lines == ["regolith-sim: error: process.power = '60 kg': unknown unit 'kg'; allowed units for a power: "
                     "W, mW, kW, MW (unit W)"]
    good = tmp_path / "good.toml"
    good.write_text('name = "ok"\n[process]\npower = "60 W"\nspot_diameter = "4 mm"\n')
    run = subprocess.run([sys.executable, "-m", "regolith_sim", "check", str(good)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "OK" in run.stdout


def test_reference_lists_every_key_with_unit():
    from regolith_sim.config.reference import reference_markdown

    text = reference_markdown()
    assert "| `process.power` | W | 60.0 | > 0 and <= 1e+06 |" in text
    assert "`solver.arch`" in text and "auto / cpu / cuda / vulkan / metal" in text


TINY = Path(__file__).parent / "data" / "tiny_brick.toml"


def test_bad_item_of_a_list_names_the_allowed_values():
    with pytest.raises(ConfigError) as e:
        load_case(TINY, **{"output.mesh_formats": ["stl", "step"]})
    msg = str(e.value)
    assert "output.mesh_formats.1 = 'step'" in msg and "'3mf'" in msg and "'msh'" in msg and "\n" not in msg


def test_bare_local_time_is_refused_with_the_unit_to_write():
    with pytest.raises(ConfigError, match=r"site.local_time = 12: give the hour with its unit, e.g. '12 h'"):
        load_case(TINY, **{"site.local_time": 12})
    # above 24 a bare number can only be seconds, as every bare number is (a case written back from Python)
    assert load_case(TINY, **{"site.local_time": 43200.0}).site.local_time == 43200.0
    assert load_case(TINY, **{"site.local_time": "6 h"}).site.local_time == pytest.approx(6 * 3600.0)


# -- each mistake is reported under the key the user wrote -------------------------------------------
PROBE = {"position": ["3 mm", "2 mm", "0.25 mm"]}


@pytest.mark.parametrize("overrides, expected", [
    ({"output.probes": [{"name": "p", **PROBE}, {"name": "q", **PROBE}, {"name": "p", **PROBE}]},
     "output.probes: two probes are named 'p'; allowed: a different name for each probe"),
    ({"geometry.part": "pyramid"}, "geometry.part = 'pyramid': unknown part 'pyramid'; known parts: brick, "),
    ({"geometry.parts": [{"part": "brick"}, {"part": "pyramd", "offset": ["10 mm", 0]}]},
     "geometry.parts.1.part = 'pyramd': unknown part"),
    ({"process.power": float("nan")}, "process.power = nan: not a finite number; allowed: a finite number > 0 and "
                                      "<= 1e+06 W"),
    ({"process.scan_speed": float("inf")}, "process.scan_speed = inf: not a finite number; allowed: a finite number"),
    ({"process.dwell": float("-inf")}, "process.dwell = -inf: not a finite number; allowed: a finite number >= 0"),
    ({"solver.safety": float("nan")}, "solver.safety = nan: not a finite number; allowed: a finite number > 0 and "
                                      "<= 1"),
    ({"solver.cell_size": float("nan")}, "solver.cell_size = nan: not a finite number; allowed: a finite number"),
    ({"site.local_time": float("nan")}, "site.local_time = nan: not a finite number"),
])
def test_mistakes_are_one_line_under_the_key_written(overrides, expected):
    with pytest.raises(ConfigError) as err:
        load_case(TINY, **overrides)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_every_bounded_number_refuses_nan_as_not_finite():
    """Not 'should be less than ...': NaN fails every comparison, so a bound message would mislead."""
    from regolith_sim.config.fields import Section
    from regolith_sim.config.loader import _unwrap
    from regolith_sim.config.schema import Case

    def numeric_keys(model, prefix=""):
        for name, f in model.model_fields.items():
            ann = _unwrap(f.annotation)
            if isinstance(ann, type) and issubclass(ann, Section):
                if name not in ("parts", "probes"):  # lists of tables: tested above
                    yield from numeric_keys(ann, f"{prefix}{name}.")
            elif ann is float:
                yield f"{prefix}{name}"

    keys = list(numeric_keys(Case))
    assert "process.power" in keys and "solver.safety" in keys and len(keys) > 25
    for key in keys:
        with pytest.raises(ConfigError, match=rf"^{key} = nan: not a finite number; allowed: a finite number"):
            load_case({"process": {"source": "laser"}}, **{key: float("nan")})


@pytest.mark.parametrize("rows, expected", [
    ("0,0,0,0.0005,20\n0.5,0.005,0,0.0005,nan\n1,0.005,0.003,0.0005,-3\n", "plan.csv:3: power_W = nan; allowed: a "
                                                                           "finite number >= 0 W"),
    ("0,0,0,0.0005,20\n0.5,0.005,0,0.0005,20\n1,0.005,0.003,0.0005,-3\n", "plan.csv:4: power_W = -3; allowed: a "
                                                                          "finite number >= 0 W"),
    ("0,0,0,0.0005,20\n0.5,inf,0,0.0005,20\n", "plan.csv:3: x_m = inf; allowed: a finite number"),
])
def test_a_bad_plan_row_is_named_by_file_and_line(tmp_path, rows, expected):
    from regolith_sim.simulation.preflight import preflight

    plan = tmp_path / "plan.csv"
    plan.write_text("t_s,x_m,y_m,z_m,power_W\n" + rows)
    with pytest.raises(UserError) as err:
        preflight(load_case(TINY, **{"process.plan_file": str(plan)}))
    assert err.value.key == "process.plan_file" and expected in str(err.value) and str(plan) in str(err.value)


@pytest.mark.parametrize("override, expected", [
    ({"melting.solidus_K": 2000}, "material.overrides.melting.solidus_K: material 'LHS-1' as overridden by the "
                                  "case: solidus 2000 K must be below liquidus"),
    ({"density.bulk_kg_m3": 4000}, "material.overrides.density.bulk_kg_m3: material 'LHS-1' as overridden by the "
                                   "case: bulk density 4000 kg/m^3 exceeds particle density"),
])
def test_an_inconsistent_override_is_blamed_on_the_override_not_the_data_file(override, expected):
    from regolith_sim.materials import get_material

    with pytest.raises(MaterialError) as err:
        get_material("LHS-1", override)
    assert str(err.value).startswith(expected) and ".toml" not in str(err.value)


def test_an_override_of_the_parts_source_replaces_the_files_other_source():
    """A case names a parametric part or a mesh file: `--set geometry.file=...` on a case with a part (and its
    params) prints the file, and `--set geometry.part=...` on a case with a file prints the part. Both given at
    once is still refused."""
    case = load_case(TINY, **{"geometry.file": "part.stl", "geometry.scale": 0.001})
    assert case.geometry.file == "part.stl" and "part" not in case.geometry.model_fields_set
    assert case.geometry.params == {}
    back = load_case({**case.to_dict(), "geometry": {"file": "part.stl"}}, **{"geometry.part": "brick"})
    assert back.geometry.file is None and back.geometry.part == "brick"
    with pytest.raises(ConfigError, match="either part or file"):
        load_case(TINY, **{"geometry.file": "part.stl", "geometry.part": "brick"})


def test_a_section_given_to_load_case_as_a_dict_updates_the_files_section():
    """load_case(path, process={'power': 3}) changes the power and keeps the file's other process keys."""
    from regolith_sim.config import load_case

    path = Path(__file__).resolve().parent / "data" / "tiny_brick.toml"
    base = load_case(path)
    case = load_case(path, process={"power": 3.0})
    assert case.process.power == 3.0
    assert (case.process.spot_diameter, case.process.scan_speed, case.process.hatch_spacing) == \
        (base.process.spot_diameter, base.process.scan_speed, base.process.hatch_spacing)


def test_a_case_written_back_as_data_loads_as_the_same_case():
    """Case.to_dict() (JSON-able, the keys set) reads back through load_case to an equal case, for every shipped
    example (a full model_dump() lists defaults that refuse to stand beside the keys given)."""
    import json

    for path in sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml")):
        case = load_case(path, **{"site.local_time": "6 h"})
        again = load_case(json.loads(json.dumps(case.to_dict())))
        assert again.model_dump() == case.model_dump(), path.name


def test_a_refused_assignment_leaves_the_case_as_it_was():
    """An assignment in Python is checked as the key in a file is, in one line naming the key; one refused by a
    check across the section's keys (uniform_area without the uniform profile) does not stay set."""
    case = load_case(TINY)
    with pytest.raises(ConfigError, match=r"^power = -5.0: .*allowed: > 0"):
        case.process.power = -5
    with pytest.raises(ConfigError, match=r"uniform_area = '1 cm2' refused: .*assigning the section whole"):
        case.process.uniform_area = "1 cm2"
    assert case.process.power > 0 and case.process.uniform_area is None
    case.process = {**case.process.model_dump(exclude_unset=True), "profile": "uniform", "uniform_area": "1 cm2"}
    assert (case.process.profile, case.process.uniform_area) == ("uniform", pytest.approx(1e-4))


def test_numpy_scalars_are_numbers():
    """A value from np.arange or a float32 array is a number like any other (np.int64 and np.float32 were refused
    as 'expected a number'); a NumPy boolean is still refused."""
    import numpy as np

    case = load_case(TINY, **{"process.power": np.int64(10), "process.scan_speed": np.float32(0.002)})
    assert case.process.power == 10.0 and case.process.scan_speed == pytest.approx(0.002, rel=1e-6)
    with pytest.raises(ConfigError, match="got a boolean"):
        load_case(TINY, **{"process.power": np.bool_(True)})
