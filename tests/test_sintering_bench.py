"""Smoke test of benchmarks/sintering.py: it runs (--quick, CPU) and writes the documented JSON.
It asserts no speed: only that the keys are there and the numbers positive and consistent."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sintering_benchmark_quick(tmp_path):
    out = tmp_path / "sintering.json"
    env = dict(os.environ, REGOLITH_SIM_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sintering.py"), "--quick", "--arch", "cpu",
                           "--out", str(out)], cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["machine"]["arch"] == "cpu"
    (r,) = data["results"]
    assert r["thermal_step_s"] > 0
    assert set(r["models"]) == {"viscous", "master-curve"}
    for m in r["models"].values():
        for key in ("densify_s", "densify_all_hot_s", "settle_scan_s", "settle_all_s"):
            assert math.isfinite(m[key]) and m[key] > 0, (key, m[key])
        expected = (m["densify_s"] + m["settle_scan_s"] / m["settle_every"]) / r["thermal_step_s"]
        assert m["share"] == expected
        assert m["met_aim"] == (m["share"] < data["settings"]["aim_share"])
