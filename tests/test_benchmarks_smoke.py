"""Smoke tests of the kernel benchmarks: they run (--quick, CPU) with Taichi and NumPy only, as
benchmarks/README.md promises, and write the documented JSON. No speed is asserted: only that the keys
are there and the numbers positive."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What benchmarks/README.md says the kernel benchmarks do without: everything but Taichi and NumPy (a lent GPU
#: machine has no registry; Taichi travels as a wheel), the case schema's pydantic included.
NOT_NEEDED = ("scipy", "pyvista", "trimesh", "meshio", "matplotlib", "pydantic", "typer", "tqdm", "rich", "shapely",
              "rtree", "manifold3d")
#: Runs a script with NOT_NEEDED unimportable (None in sys.modules makes `import x` raise ImportError).
GUARD = ("import runpy, sys\n"
         "for name in sys.argv[1].split(','):\n"
         "    sys.modules[name] = None\n"
         "sys.argv = sys.argv[2:]\n"
         "runpy.run_path(sys.argv[0], run_name='__main__')\n")


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def run_without_optional_packages(script: str, args: list, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, REGOLITH_SIM_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-c", GUARD, ",".join(NOT_NEEDED), str(ROOT / "benchmarks" / script),
                           *args], cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_guard_makes_packages_unimportable(tmp_path):
    # the guard itself must bite, or the tests below would pass with SciPy imported
    script = tmp_path / "imports_scipy.py"
    script.write_text("import scipy\n")
    proc = subprocess.run([sys.executable, "-c", GUARD, ",".join(NOT_NEEDED), str(script)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "import of scipy halted" in proc.stderr


def test_thermal_benchmark_quick(tmp_path):
    out = tmp_path / "thermal.json"
    run_without_optional_packages("thermal.py", ["--quick", "--arch", "cpu", "--out", str(out)], tmp_path)
    data = json.loads(out.read_text())
    m = data["machine"]
    for key in ("cpu_model", "cores", "arch", "precision", "taichi_version"):
        assert key in m
    assert m["arch"] == "cpu" and m["precision"] == "f64"
    for key in ("triad_GB_s", "copy_GB_s", "numpy_copy_GB_s"):
        assert _positive(data["bandwidth"][key])
    assert data["agreement"]["passed"], data["agreement"]
    variants = {r["variant"] for r in data["results"]}
    assert {"constant", "production"} <= variants
    for r in data["results"]:
        for key in ("cells", "steps", "seconds", "cell_updates_per_s", "bytes_per_cell", "GB_s",
                    "fraction_of_bandwidth"):
            assert _positive(r[key]), (r["variant"], key, r[key])
        if r["variant"] in ("constant", "production"):
            assert _positive(r["numpy_ratio"])
    assert all(_positive(v) for v in data["compile_s"].values())


def test_sintering_benchmark_runs_without_scipy(tmp_path):
    # the sintering tables (viscous model: Costa 2009 erf, Mackenzie-Shuttleworth quadrature) are NumPy-only
    out = tmp_path / "sintering.json"
    run_without_optional_packages("sintering.py", ["--quick", "--arch", "cpu", "--sizes", "16", "--out", str(out)],
                                  tmp_path)
    data = json.loads(out.read_text())
    assert data["settings"]["sizes"] == [16] and data["settings"]["min_time_s"] == 0.1  # the --quick default
    (r,) = data["results"]
    assert set(r["models"]) == {"viscous", "master-curve"} and _positive(r["thermal_step_s"])


def test_shared_options_reject_bad_sizes(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sintering.py"), "--sizes", "64,x"],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--sizes '64,x': expected comma-separated positive integers" in proc.stderr


def test_openfoam_compare_quick_or_skips_cleanly(tmp_path):
    """benchmarks/openfoam_compare.py: without OpenFOAM on the PATH it says so, exits 0 and writes nothing; with
    it (Debian's openfoam), --quick (32^3) writes the JSON with both codes' probe errors and the time ratio."""
    import shutil

    out = tmp_path / "of.json"
    script = str(ROOT / "benchmarks" / "openfoam_compare.py")
    env = dict(os.environ, REGOLITH_SIM_CACHE=str(tmp_path / "cache"), PATH=str(tmp_path))
    proc = subprocess.run([sys.executable, script, "--quick", "--out", str(out)], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and "nothing to compare" in proc.stdout and not out.exists()
    if shutil.which("laplacianFoam") is None:
        return
    env["PATH"] = os.environ["PATH"]
    proc = subprocess.run([sys.executable, script, "--quick", "--out", str(out)], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["case"]["cells"] == 32 and len(data["openfoam"]) == 2 and len(data["regolith_sim"]) == 2
    for r in data["regolith_sim"] + data["openfoam"]:
        assert _positive(r["wall_s"]) and 0 <= r["error"] < 0.1
    assert data["regolith_sim"][0]["balance_error"] < 1e-10


def test_threads_benchmark_quick(tmp_path):
    # one process per thread count: speed-up and efficiency against the one-thread run of the same grid
    out = tmp_path / "threads.json"
    run_without_optional_packages("threads.py", ["--threads", "1,2", "--sizes", "24x16x8", "--out", str(out)],
                                  tmp_path)
    runs = json.loads(out.read_text())["runs"]
    assert [r["threads"] for r in runs] == [1, 2]
    one, two = runs
    assert one["speedup"] == 1.0 and one["fixed_cost_per_launch_ms"] == 0.0
    for r in runs:
        for key in ("launch_ms", "ns_per_cell", "M_cell_updates_per_s", "GB_s", "speedup", "efficiency"):
            assert _positive(r[key]), (r["threads"], key, r[key])
    assert two["efficiency"] == two["speedup"] / 2


def test_particles_benchmark_runs_with_taichi_and_numpy_alone(tmp_path):
    out = tmp_path / "particles.json"
    run_without_optional_packages("particles.py", ["--quick", "--arch", "cpu", "--out", str(out)], tmp_path)
    for r in json.loads(out.read_text())["results"]:
        assert _positive(r["particle_steps_per_s"]) and _positive(r["fraction_of_bandwidth"])


def test_device_check_script_dry_run(tmp_path):
    # benchmarks/device_check.sh is what a session runs on a lent GPU machine: its dry run (QUICK=1, cpu) writes
    # the six files a lent machine returns, each benchmark's JSON readable
    out = tmp_path / "out"
    env = dict(os.environ, QUICK="1", REGOLITH_SIM_CACHE=str(tmp_path / "cache"),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "device_check.sh"), str(out), "cpu"], cwd=str(ROOT),
                          env=env, capture_output=True, text=True, timeout=300)
    log = (out / "device_check.log").read_text() if (out / "device_check.log").exists() else ""
    assert proc.returncode == 0, proc.stdout + proc.stderr + log[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["device_check.log", "gpu.txt", "membw.json", "particles.json",
                                                      "thermal_f32.json", "thermal_f64.json"]
    assert json.loads((out / "thermal_f32.json").read_text())["machine"]["precision"] == "f32"
    assert _positive(json.loads((out / "membw.json").read_text())["triad_GB_s"])
