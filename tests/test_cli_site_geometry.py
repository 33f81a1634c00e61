"""The site and geometry verbs as a user types them."""
import json
import subprocess
import sys

import pytest


def cli(*args):
    return subprocess.run([sys.executable, "-m", "regolith_sim", *args], capture_output=True, text=True, timeout=300)


def test_site_json_shape_and_equatorial_values():
    run = cli("site", "--latitude", "0", "--local-time", "12", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    st = data["surface_temperature_K"]
    # Diviner equatorial noon ~387-397 K and pre-dawn ~95 K (Williams et al. 2017); highland albedo runs ~2 K cooler
    assert 380 < st["max"] < 400 and 88 < st["min"] < 102
    assert {"depth_m", "mean_K", "min_K", "max_K"} <= set(data["profile"][0])
    assert data["at_local_time"]["profile"][0]["T_K"] == pytest.approx(st["max"], abs=3.0)


def test_site_bad_latitude_is_one_line():
    run = cli("site", "--latitude", "95")
    assert run.returncode == 2 and "allowed -90..90 deg" in run.stderr and "Traceback" not in run.stderr
    run = cli("site", "--latitude", "10", "--name", "lab-air")  # (the latitude was ignored)
    assert run.returncode == 2 and "give one of them" in run.stderr and "Traceback" not in run.stderr


def test_geometry_build_writes_mesh_with_closed_form_volume(tmp_path):
    out = tmp_path / "brick.stl"
    run = cli("geometry", "build", "brick", "--param", "length=50 mm", "--param", "width=0.02", "--out", str(out))
    assert run.returncode == 0, run.stderr
    import trimesh

    mesh = trimesh.load(out)  # STL in millimetres by default (--units)
    assert mesh.is_watertight and mesh.volume == pytest.approx(50 * 20 * 10, rel=1e-9)
    run = cli("geometry", "build", "brick", "--units", "m", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert trimesh.load(out).volume == pytest.approx(0.04 * 0.02 * 0.01, rel=1e-9)  # the default brick, in m^3


def test_geometry_bad_param_suggests():
    run = cli("geometry", "build", "brick", "--param", "lenght=5", "--out", "x.stl")
    assert run.returncode == 2 and "did you mean 'length'" in run.stderr


def test_plan_prints_budget_and_writes_events(tmp_path):
    from pathlib import Path

    case = Path(__file__).resolve().parents[1] / "examples" / "change8_brick.toml"
    run = cli("plan", str(case), "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    budget = json.loads(run.stdout[: run.stdout.rindex("}") + 1])
    # P/(v d) = 20 W / (2.5 mm/s x 3 mm) = 2.667 J/mm^2 (Balla et al. 2012 definition);
    # P/(v h) = 20 W / (2.5 mm/s x 1.5 mm hatch) = 5.333 J/mm^2 (areal, per hatch spacing)
    # printed to 6 significant figures, written in full
    assert budget["spot_energy_density_J_mm2"] == 2.66667
    assert budget["areal_energy_density_J_mm2"] == 5.33333
    assert (tmp_path / "events.csv").is_file() and (tmp_path / "budget.json").is_file()
    written = json.loads((tmp_path / "budget.json").read_text())
    assert written["spot_energy_density_J_mm2"] == pytest.approx(20 / (2.5 * 3), rel=1e-9)
