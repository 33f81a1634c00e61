"""The GPU code path (f32 fields, SPIR-V kernels) against the CPU in f64, case by case.

Each case below returns named numbers and arrays. A test runs its case in this process, on the session's
runtime, and compares it with the same case run in a subprocess on the other configuration:

* session on a GPU arch or in f32 (CI: ``REGOLITH_SIM_TEST_ARCH=vulkan``, Mesa's llvmpipe): the
  reference is the CPU in f64;
* session on the CPU in f64 (the plain suite): the reference is the CPU in f32 with
  ``REGOLITH_SIM_NO_F64`` set, i.e. an f32 energy ledger folded on the host, as on Metal, and with
  ``REGOLITH_SIM_TAICHI_DEBUG`` set: every array index is checked, so an f32 index past an array's end
  fails here with the kernel and line instead of reading what lies beyond.

Either way one side is f32 and the other f64, so the tolerances are f32 ones, far below what a wrong
kernel, a dropped term or a mis-typed array gives (errors of order one).

The reference is computed in a subprocess, not read from stored numbers: the physics changes often and
stored numbers would go stale and fail for the wrong reason, or be regenerated without a look. The
subprocess runs all cases at once while this process runs its own (two cores: about the time of one).
``python tests/test_gpu_path.py OUT ARCH PRECISION`` is that subprocess.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# one worker runs the module: one reference subprocess, not one per worker the tests are spread over
pytestmark = [pytest.mark.gpu_path, pytest.mark.xdist_group("gpu_path")]

ROOT = Path(__file__).resolve().parents[1]
LASER_TRACK = ROOT / "examples" / "laser_track.toml"
TINY_BRICK = ROOT / "examples" / "sweeps" / "tiny_brick.toml"


# -- cases (each returns {name: number or array}) ---------------------------------------------------
def case_thermal() -> dict:
    """Explicit conduction under a surface flux, implicit (CG) cooling of a radiating slab and a melting
    gaussian track's energy balance: the verification cases, each with its analytic error."""
    from regolith_sim.verification.cases import CASES

    out = {}
    for name in ("semi-infinite-flux", "implicit-radiative-slab", "energy-balance"):
        c = CASES[name]()
        out[f"{name}.error"] = c.error
        out[f"{name}.tolerance"] = c.tolerance
        for key, v in c.details.items():
            if isinstance(v, (int, float)) and key not in ("dx_m",):
                out[f"{name}.{key}"] = float(v)
    return out


def case_sintering() -> dict:
    """Both densification models (exp of tabulated ln eta; log and exp of the sintering work) over a
    furnace series of LMS-1 from 1000 to 1300 degC, 2 h holds."""
    from regolith_sim.materials import get_material
    from regolith_sim.verification.sintering_cases import furnace_hold

    mat = get_material("LMS-1")
    temps = np.linspace(1000.0, 1300.0, 13)
    return {f"rho.{m}": furnace_hold(mat, temps, 7200.0, m) for m in ("viscous", "master-curve")}


def case_particles() -> dict:
    """DEM: a grain bouncing on the plate (Hertz contact, Tsuji damping); a gaussian spot heating exposed
    grains (exp); two grains sintering a neck at a tabulated viscosity (pow(10, log eta))."""
    from dataclasses import replace

    from regolith_sim.particles.dem import DEMSystem, Packing, plate
    from regolith_sim.particles.physics import ContactModel, SinterModel, ThermalModel
    from regolith_sim.particles.scenarios import sinter_packing

    d = 1e-3
    soft = ContactModel(density=3000.0, youngs_modulus=1e8, poisson_ratio=0.25, restitution=0.5, friction=0.5,
                        friction_wall=0.5)
    r, v0 = 0.5 * d, 0.5
    s = DEMSystem([[0.0, 0.0, 1.001 * r]], [r], soft, walls=[plate((-0.01, -0.01), (0.01, 0.01))], gravity=0.0,
                  velocities=[[0.0, 0.0, -v0]])
    for _ in range(200):
        s.step(20)
        if s.velocities[0, 2] > 0 and s.positions[0, 2] > 1.001 * r:
            break
    out = {"bounce.restitution": float(s.velocities[0, 2] / v0)}

    th = ThermalModel(conductivity=0.0, heat_capacity=800.0, absorptivity=0.8, emissivity=0.9, t_env=300.0,
                      rad_factor=0.0)
    h = DEMSystem([[0, 0, r], [0.2 * r, 0, 3.2 * r], [5 * r, 0, r]], [r, r, r], replace(soft, youngs_modulus=5e6),
                  gravity=0.0, thermal=th, temperature=300.0)
    h.heat_step(1e-3, source=(0.0, 0.0, 1e5, 4 * r))
    out["heat.flows_W"] = np.asarray(h.heat_flows, float)

    a = 50e-6
    x = np.array([[0.0, 0.0, 0.0], [2 * a - 1e-4 * a, 0.0, 0.0]])
    c = ContactModel(density=3000.0, youngs_modulus=7e10)
    sm = SinterModel(surface_tension=0.36, viscosity=1e5)
    res = sinter_packing(Packing(x, [a, a], x.min(0) - a, x.max(0) + a, c), ([0.0, 0.2], [1500.0, 1500.0]), sm,
                         c, initial_density=0.6, growth_per_step=2e-4, n_records=10)
    out["neck.ratio"] = np.asarray(res["mean_neck_ratio"], float)
    return out


def case_full_run() -> dict:
    """The laser-track example (a machine log drives the spot over JSC-1A powder) at 0.25 mm cells:
    heating, melting, sintering, radiation, cooling, energy ledger."""
    from regolith_sim.config import load_case
    from regolith_sim.simulation import Simulation

    case = load_case(LASER_TRACK, **{"solver.cooldown": 0.5, "solver.cell_size": "0.25 mm"})
    res = Simulation(case).run(progress=False)
    e = res.summary["energy"]
    out = {f"energy.{k}": float(v) for k, v in e.items() if isinstance(v, (int, float))}
    out["peak_temperature_K"] = float(res.summary["peak_temperature_K"])
    out["T_peak"] = np.asarray(res.fields["T_peak"], float)
    out["rho_rel"] = np.asarray(res.fields["rho_rel"], float)
    return out


def case_layered_run() -> dict:
    """Three 0.5 mm layers of JSC-1A at 45 W (the tiny brick): spreads on settled layers, the faces' sintering
    record and the layers' interface mark carried by settling, the bonded areas and the strength they give."""
    from regolith_sim.config import load_case
    from regolith_sim.simulation import Simulation

    over = {"material.name": "JSC-1A", "process.power": 45.0, "geometry.params.height": 1.5e-3,
            "process.layer_thickness": 0.5e-3, "process.dwell": 2.0, "solver.cooldown": 3.0,
            "solver.mechanics": "off", "solver.arch": "auto"}  # (the file says cpu: run on the session's runtime)
    sim = Simulation(load_case(TINY_BRICK, **over))
    res = sim.run(progress=False)
    part = res.summary["part"]
    d = part["defects"]
    return {"interlayer_bonded": float(d["interlayer_bonded_area_fraction"]),
            "in_layer_bonded": float(d["in_layer_bonded_area_fraction"]),
            "consolidated_fraction": float(part["consolidated_fraction"]),
            "strength_MPa": float(part["estimated_compressive_strength_MPa"]["median"]),
            "energy.balance_error": float(res.summary["energy"]["balance_error"]),
            "face_rho": np.asarray(sim.face_density(), float), "interlayer_share": sim.interlayer_share(),
            "rho_rel": np.asarray(res.fields["rho_rel"], float)}


CASES = {"thermal": case_thermal, "sintering": case_sintering, "particles": case_particles,
         "full_run": case_full_run, "layered_run": case_layered_run}


# -- the reference subprocess ------------------------------------------------------------------------
def _save(out_dir: Path, name: str, values: dict) -> None:
    tmp = out_dir / f"{name}.tmp.npz"
    np.savez(tmp, **values)
    tmp.replace(out_dir / f"{name}.npz")


class Reference:
    """The subprocess computing every case on the other configuration (under faulthandler: a crash prints
    the Python stack it happened under)."""

    def __init__(self, out_dir: Path, arch: str, precision: str, env: dict):
        self.out_dir = out_dir
        self.label = f"{arch} {precision}" + (" (no f64, bounds-checked)" if "REGOLITH_SIM_NO_F64" in env else "")
        self.proc = subprocess.Popen([sys.executable, "-X", "faulthandler", __file__, str(out_dir), arch, precision],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = ""

    def get(self, name: str) -> dict:
        path = self.out_dir / f"{name}.npz"
        if not path.exists() and self.proc.returncode is None:
            self.log, _ = self.proc.communicate(timeout=900)
        assert path.exists(), (f"reference ({self.label}) did not produce {name} (exit status {self.proc.returncode}):"
                               f"\n{self.log[-3000:]}")
        with np.load(path) as z:
            return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def reference(ti_runtime, tmp_path_factory):
    from gpu_kernels import backend

    env = {k: v for k, v in os.environ.items() if k != backend.NO_F64_ENV}
    if ti_runtime == "cpu" and backend.current_precision() == "f64":
        arch, precision = "cpu", "f32"
        # bounds-checked: an f32 index computed one past a table's end read memory beyond it, and crashed this
        # subprocess at random (CI, once) where f64 rounding kept inside
        env[backend.NO_F64_ENV] = env[backend.DEBUG_ENV] = "1"
    else:
        arch, precision = "cpu", "f64"
    ref = Reference(tmp_path_factory.mktemp("gpu_path_reference"), arch, precision, env)
    yield ref
    if ref.proc.poll() is None:
        ref.proc.kill()
        ref.proc.wait()


# -- comparison ----------------------------------------------------------------------------------------
def _compare(got: dict, ref: dict, rtol: float, atol: dict | None = None) -> None:
    """Every key in both, equal within rtol (relative to the larger magnitude of the array) or its own
    absolute tolerance from ``atol``."""
    assert set(got) == set(ref), set(got) ^ set(ref)
    bad = []
    for k in sorted(got):
        a, b = np.asarray(got[k], float), np.asarray(ref[k], float)
        assert a.shape == b.shape, (k, a.shape, b.shape)
        tol = (atol or {}).get(k, rtol * max(float(np.max(np.abs(b), initial=0.0)), 1e-300))
        err = float(np.max(np.abs(a - b), initial=0.0))
        if not err <= tol:
            bad.append(f"{k}: max |diff| {err:.3g} > {tol:.3g}")
    assert not bad, "; ".join(bad)


def _runtime_label() -> str:
    from gpu_kernels import backend

    return f"{backend.current_arch()} {backend.current_precision()}"


def test_thermal_matches_reference(reference):
    got = case_thermal()
    for name in ("semi-infinite-flux", "implicit-radiative-slab", "energy-balance"):
        assert got[f"{name}.error"] <= got[f"{name}.tolerance"], (name, _runtime_label(), got[f"{name}.error"])
    ref = reference.get("thermal")
    # Errors against the analytic solutions agree to 2e-3 of the tolerance; the balance errors are round-off
    # (1e-16 in f64, ~1e-5 in f32), so they are held below 1e-4 (the cases allow 5e-3) instead of compared.
    atol = {k: max(2e-3 * got[k.replace(".error", ".tolerance")], 1e-4) for k in got if k.endswith(".error")}
    for k in [k for k in got if k.endswith("balance_error")]:
        assert got[k] < 1e-4 and ref[k] < 1e-4, (k, got[k], ref[k])
        atol[k] = 1e-4
    _compare(got, ref, rtol=2e-4, atol=atol)


def test_sintering_matches_reference(reference):
    got = case_sintering()
    rho = got["rho.viscous"]
    assert rho[-1] > rho[0] + 0.05, rho  # the series does densify: the comparison is not of constants
    _compare(got, reference.get("sintering"), rtol=0.0, atol={k: 1e-4 for k in got})


def test_particles_match_reference(reference):
    # the column height map is a float map: i32 atomic_max inside the nested loops of heat_step lost every
    # write on Mesa llvmpipe (buried grains counted as exposed), float atomics do not
    got = case_particles()
    assert got["bounce.restitution"] == pytest.approx(0.5, rel=0.02)
    assert got["neck.ratio"][-1] > 0.05
    _compare(got, reference.get("particles"), rtol=1e-4)


def test_small_full_run_matches_reference(reference):
    # (the spread powder layer's last 32 columns stayed void on Vulkan while the activate kernel returned an i32
    # count summed inside its loop nest: the caller counts the cells now)
    got = case_full_run()
    assert got["energy.balance_error"] < 0.005, (_runtime_label(), got["energy.balance_error"])
    ref = reference.get("full_run")
    assert ref["energy.balance_error"] < 0.005
    # Temperatures to 0.05 % of the peak (f32 carries 7 digits; the track's ~1e4 steps add rounding);
    # densities to 2e-3 (sintering is steep in T, exp(-Q/RT) x 1e4 steps); every ledger entry to 1e-4 of the
    # absorbed energy (the small ones, e.g. the bottom's 2e-5 of it, are rounding-dominated in f32).
    scale = float(ref["energy.absorbed_J"])
    atol = {k: 1e-4 * scale for k in ref if k.startswith("energy.") and k != "energy.balance_error"}
    atol.update({"energy.balance_error": 1e-3, "T_peak": 5e-4 * float(ref["peak_temperature_K"]), "rho_rel": 2e-3})
    _compare(got, ref, rtol=1e-4, atol=atol)


def test_layered_run_matches_reference(reference):
    got = case_layered_run()
    # the layers are marked where the spreads met settled material, and 45 W re-melts each layer below
    assert got["interlayer_share"].sum() > 0 and got["interlayer_bonded"] > 0.8, got["interlayer_bonded"]
    assert got["energy.balance_error"] < 0.005, (_runtime_label(), got["energy.balance_error"])
    ref = reference.get("layered_run")
    # face and cell densities as the full run's (2e-3); the bonded areas, means over those faces, to 2e-3; the
    # interface marks are set and moved by the same settling: equal
    atol = {"face_rho": 2e-3, "rho_rel": 2e-3, "interlayer_bonded": 2e-3, "in_layer_bonded": 2e-3,
            "energy.balance_error": 1e-3, "interlayer_share": 1e-9, "consolidated_fraction": 0.0}
    _compare(got, ref, rtol=1e-3, atol=atol)


# -- the backend's choices ---------------------------------------------------------------------------------
def test_runtime_precision_follows_the_backend(ti_runtime):
    """auto precision: f32 on Vulkan and Metal, f64 on CPU and CUDA (unless the session asked otherwise)."""
    from gpu_kernels import backend

    if os.environ.get("REGOLITH_SIM_TEST_PRECISION", "auto") != "auto":
        pytest.skip("the session asked for a precision")
    expect = "f32" if ti_runtime in backend.SPIRV_ARCHES else "f64"
    assert backend.current_precision() == expect
    assert backend.ledger_type() == (backend.ti.f64 if backend.has_f64(ti_runtime) else backend.ti.f32)


if __name__ == "__main__":  # the reference subprocess: OUT ARCH PRECISION
    from gpu_kernels import backend

    out_dir, arch, precision = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    backend.init(arch, precision)
    for case_name, case in CASES.items():
        _save(out_dir, case_name, case())
