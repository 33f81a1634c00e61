"""Smoke test of benchmarks/thermal.py: it runs (--quick, CPU) and writes the documented JSON.
It asserts no speed: only that the keys are there and the numbers positive."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_thermal_benchmark_quick(tmp_path):
    out = tmp_path / "thermal.json"
    env = dict(os.environ, REGOLITH_SIM_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "thermal.py"), "--quick", "--arch", "cpu", "--out", str(out)],
        cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
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
