"""Particle case files, the `regolith-sim particles` verbs and what they hand to the continuum model.

Runs use coarse (1 mm), softened grains under a larger gravity so each takes seconds on 2 cores;
the physics checks state their reference and tolerance.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from regolith_sim.errors import ConfigError

TINY = {  # 1-mm monodisperse grains, stiff enough, settled fast
    "grains": {"diameter": "1 mm"},
    "contact": {"youngs_modulus": "5 MPa", "restitution": 0.3, "cohesion": "none", "friction": 0.5,
                "rolling_friction": 0.1},
    "gravity": "9.81 m/s^2",
}


def _case(**tables):
    p = json.loads(json.dumps(TINY))
    for k, v in tables.items():
        p[k] = v
    return {"name": "tiny", "particles": p}


def cli(*args):
    return subprocess.run([sys.executable, "-m", "regolith_sim", *args], capture_output=True, text=True, timeout=300)


# --- case file ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("patch,expect", [
    ({"gravity": -1}, "particles.gravity = -1.0"),
    ({"grains": {"d50": "5 kg"}}, "particles.grains.d50 = '5 kg': unknown unit 'kg'"),
    ({"contact": {"cohesion": "glue"}}, "allowed: 'material', 'bond-number', 'none'"),
    ({"spred": {}}, "unknown key 'particles.spred'; did you mean 'spread'?"),
    ({"sinter": {"times": [1, 2], "temperatures": [1400, 1500]}}, "must start at 0 s and increase"),
    ({"sinter": {"times": [0, 2], "temperatures": [1400]}}, "need the same length"),
    ({"sinter": {"times": [0, 2], "temperatures": ["1400 K", "-5 K"]}}, "every temperature must be above 2 K"),
    ({"grains": {"d_min": "0.2 mm", "d_max": "0.1 mm"}}, "must be below d_max"),
])
def test_case_mistakes_are_one_line(patch, expect):
    from regolith_sim.particles.config import load_particle_case

    with pytest.raises(ConfigError) as err:
        load_particle_case({"particles": patch})
    msg = str(err.value)
    assert expect in msg and "\n" not in msg


def test_material_defaults_and_perko_cohesion():
    """Defaults come from the material's data file: LHS-1 d50 = 50 um and sigma_g from its
    d10/d90 (ln sigma_g = ln(d90/d10) / (2 z90)); cohesion = 'material' gives the Perko et al.
    (2001) pull A S^2 R* / (6 Omega^2) of the file's Hamaker constant, clean gap and cleanliness."""
    from regolith_sim.materials import get_material
    from regolith_sim.particles.config import load_particle_case
    from regolith_sim.particles.grains import GrainSizeDistribution, median_diameter
    from regolith_sim.particles.runner import bond_number, contact_for, grains_for

    m = get_material("LHS-1")
    p = load_particle_case({"particles": {}}).particles
    g = grains_for(p, m)
    assert isinstance(g, GrainSizeDistribution)
    assert g.d50_m == m.get("grain_size.d50_m")
    assert g.sigma_g == pytest.approx(math.exp(math.log(200 / 8) / (2 * 1.2815515655446004)))
    d = g.sample(20000, rng=0)
    assert d.min() >= 0.5 * g.d50_m and d.max() <= 2.0 * g.d50_m
    assert np.median(d) == pytest.approx(median_diameter(g), rel=0.01)  # truncated median, not the raw one
    c = contact_for(p, m, g)
    A, om, S = (m.get(k) for k in ("cohesion.hamaker_J", "cohesion.separation_clean_m", "cohesion.cleanliness_lunar"))
    r = 25e-6
    assert c.pull_off_force(r, r) == pytest.approx(A * S**2 * (r / 2) / (6 * om**2), rel=1e-12)
    # 50-um grains in lunar vacuum are strongly cohesive: pull-off >> weight (Bond number ~1e4)
    assert 1e3 < bond_number(c, 50e-6, 1.62) < 1e5
    pb = load_particle_case({"particles": {"contact": {"cohesion": "bond-number", "bond_number": 3.0}}}).particles
    assert bond_number(contact_for(pb, m, g), g, 1.62) == pytest.approx(3.0, rel=1e-9)


# --- verbs ---------------------------------------------------------------------------------------------
def test_cli_spread_writes_summary_vtu_ply(tmp_path):
    """`regolith-sim particles spread` on a coarse strip: a layer is left (packing fraction in the
    0.2-0.7 band of spread layers with a gap of 3 d; Ra below the gap), the continuum hand-over is in
    summary.json, VTU (meshio-readable) and PLY have one entry per live grain, no temporary files."""
    import meshio

    from regolith_sim.particles.io import read_ply

    case = tmp_path / "spread.toml"
    case.write_text('name = "cli-spread"\n[particles]\ngravity = "50 m/s^2"\n'
                    '[particles.grains]\ndiameter = "1 mm"\n'
                    '[particles.contact]\nyoungs_modulus = "5 MPa"\nrestitution = 0.3\ncohesion = "none"\n'
                    'rolling_friction = 0.1\nfriction = 0.5\n'
                    '[particles.spread]\nblade_speed = "0.3 m/s"\nlength = "12 mm"\nwidth = "5 mm"\n'
                    'layer_thickness = "3 mm"\n')
    out = tmp_path / "out"
    run = cli("particles", "spread", str(case), "--out", str(out), "--arch", "cpu", "--quiet")
    assert run.returncode == 0, run.stderr
    s = json.loads((out / "summary.json").read_text())
    layer = s["layer"]
    assert 0.2 < layer["packing_fraction"] < 0.7
    assert 0 < layer["roughness_Ra_m"] < 3e-3
    assert s["continuum"]["initial_relative_density"] == layer["packing_fraction"]
    assert s["run"]["arch"] == "cpu"
    m = meshio.read(out / "grains.vtu")
    assert {"radius", "temperature", "velocity", "neck_ratio_max"} <= set(m.point_data)
    assert len(read_ply(out / "grains.ply")["radius"]) == len(m.points) == s["run"]["n_grains"]
    assert not list(out.glob(".*"))


def test_cli_bad_case_exits_2_with_one_line(tmp_path):
    case = tmp_path / "bad.toml"
    case.write_text('[particles.spread]\nblade_speed = "fast"\n')
    run = cli("particles", "spread", str(case), "--out", str(tmp_path / "o"))
    assert run.returncode == 2
    assert "particles.spread.blade_speed" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "o").exists()


def test_heat_bed_conductivity_radiative_part_scales_as_T3(ti_runtime, tmp_path):
    """Heat verb on a small poured bed: the spot heats the exposed grains above the start
    temperature; the bed's effective conductivity in vacuum splits into a contact part that does not
    depend on T and a neighbour-radiation part ~ T^3 (4 sigma T^3 d scaling of packed-bed radiation,
    Breitbach & Barthels 1980): k_rad(400 K)/k_rad(250 K) = (400/250)^3 within 1 % (each path solved
    on its own; the exchange is linearised over a 2 % temperature difference). The sum exceeds each
    part. The material law of the continuum is reported beside it. The bed absorbs alpha times the spot's power
    over its 6 mm square, erf(3 sqrt(2) / 2)^2 = 0.9946 of it, less the few columns its poured surface leaves
    open (at most 3 %), never more (a flux on each exposed grain's disc gave 1.075 alpha P)."""
    import math

    from regolith_sim.particles import run_particles

    case = _case(bed={"n_grains": 300, "length": "6 mm", "width": "6 mm"},
                 heat={"power": "2 W", "spot_radius": "2 mm", "duration": "0.5 s", "n_records": 5,
                       "conductivity_temperatures": ["250 K", "400 K"]})
    res = run_particles("heat", case, tmp_path)
    s = res["summary"]
    assert s["peak_temperature_K"] > 300.0
    over_bed = s["source"]["absorptivity"] * 2.0 * math.erf(3.0 / math.sqrt(2.0)) ** 2
    assert 0.97 * over_bed < s["series"]["absorbed_W"][-1] <= over_bed * (1 + 1e-6)
    k250, k400 = s["effective_conductivity"]
    assert k250["k_contact_W_mK"] == pytest.approx(k400["k_contact_W_mK"], rel=1e-3)
    assert k400["k_radiative_W_mK"] / k250["k_radiative_W_mK"] == pytest.approx((400 / 250) ** 3, rel=0.01)
    for k in (k250, k400):
        assert k["k_eff_W_mK"] > max(k["k_contact_W_mK"], k["k_radiative_W_mK"])
    assert k250["k_material_law_W_mK"] > 0 and k250["ratio_to_material_law"] > 0
    assert (tmp_path / "summary.json").exists() and (tmp_path / "grains.vtu").exists()


def test_sinter_verb_against_continuum_model(ti_runtime, tmp_path):
    """Sinter verb, isothermal at constant viscosity: the bed densifies monotonically, and its
    densification follows the continuum viscous model (Frenkel stage rho0 / (1 - 3 tau/8)^3) on the
    same history: both rise, and at a reduced time of 0.05 the DEM's densification is 0.8-1.1 of the
    continuum's (0.88 with the default step; the quasi-static relaxation lags a fixed number of
    steps, and with 30x smaller steps the DEM reaches 0.98 of the continuum, outside this test)."""
    from regolith_sim.particles import run_particles

    eta, gamma, a = 1e6, 0.36, 0.5e-3
    t_end = 0.05 * eta * a / gamma  # reduced time 0.05: inside the Frenkel stage
    case = _case(bed={"n_grains": 300, "length": "6 mm", "width": "6 mm"},
                 sinter={"times": [0.0, t_end], "temperatures": [1500.0, 1500.0], "viscosity": eta,
                         "surface_tension": gamma, "n_records": 10})
    s = run_particles("sinter", case, tmp_path)["summary"]
    rho = np.asarray(s["series"]["relative_density"])
    cont = np.asarray(s["continuum"]["relative_density"])
    assert np.all(np.diff(rho) > -1e-4) and np.all(np.diff(cont) >= 0)
    assert s["densification"] > 0.01
    assert 0.8 < s["continuum"]["dem_over_continuum_densification"] < 1.1
    # inside the neck law's validity the final density is the pair law's (past it: null, with final_note)
    assert s["final_relative_density"] == pytest.approx(rho[-1]) and s["final_note"] is None


def test_particle_benchmark_quick_writes_json(tmp_path):
    """benchmarks/particles.py --quick runs with the documented JSON keys (no speed is asserted)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "particles.json"
    run = subprocess.run([sys.executable, str(root / "benchmarks" / "particles.py"), "--quick", "--arch", "cpu",
                          "--out", str(out)], cwd=str(root), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["machine"]["arch"] == "cpu" and data["bandwidth"]["triad_GB_s"] > 0
    first = data["results"][0]
    assert first["ratio_to_reference"] == 1.0
    for r in data["results"]:
        for key in ("particle_steps_per_s", "bytes_per_particle_step", "GB_s", "fraction_of_bandwidth",
                    "mean_listed_neighbours", "ratio_to_reference"):
            assert math.isfinite(r[key]) and r[key] > 0, (key, r[key])
        assert 0 < r["neighbour_share"] < 1 and r["rebuilds"] >= 1


def test_a_case_whose_sizes_leave_nothing_to_measure_is_one_line(tmp_path):
    """A spread strip 0.2 mm wide for 0.25-0.35 mm grains: one error line naming particles and what is allowed
    (was a ValueError traceback from the sampling)."""
    from pathlib import Path

    case = Path(__file__).resolve().parent / "data" / "spread_narrow_strip.toml"
    r = cli("particles", "spread", str(case), "--out", str(tmp_path / "o"), "--arch", "cpu", "--quiet")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("[Taichi]")]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith("regolith-sim: error: particles: particles spread cannot run this case: ")
    assert "allowed: grains (particles.grains) small enough" in lines[0] and "Traceback" not in r.stderr


def test_a_bed_narrower_than_its_grains_is_refused_before_pouring(tmp_path):
    """5 mm grains (4-6 mm) on a 2 x 2 mm bed would stack into a column 1.3 m tall: refused at once, naming
    particles.bed and the least size allowed (3 of the largest grains across)."""
    from regolith_sim.errors import UserError
    from regolith_sim.particles import run_particles

    case = _case(grains={"d50": "5 mm", "d_min": "4 mm", "d_max": "6 mm"},
                 bed={"n_grains": 200, "length": "2 mm", "width": "2 mm"})
    with pytest.raises(UserError, match=r"particles.bed: a bed of 0.002 x 0.002 m holds fewer than 3 .*at least 0.018 m"):
        run_particles("heat", case, tmp_path)


def test_a_blade_that_leaves_no_layer_and_an_unknown_material_name_their_keys(tmp_path):
    """A blade at 10 m/s leaves no grains to measure: an error naming particles.spread (was packing 0 and a
    recommended initial_relative_density of 0, which a print refuses); an unknown material names
    particles.material, the key of a particle case."""
    from pathlib import Path

    from regolith_sim.errors import UserError
    from regolith_sim.particles import run_particles

    case = Path(__file__).resolve().parent / "data" / "spread_blade_too_fast.toml"
    with pytest.raises(UserError, match=r"^particles.spread: the blade left no grains in the layer"):
        run_particles("spread", case, tmp_path / "s")
    with pytest.raises(UserError, match=r"^particles.material: unknown material 'LHS-9'; did you mean 'LHS-1'"):
        run_particles("heat", _case(material="LHS-9"), tmp_path / "h")
