"""How well the CPU backend's threads share a kernel on this machine: benchmarks/thermal.py's ``minimal_7pt``
sweep (the shape of the thermal step's loops: columns in parallel, k inside) at two grid sizes, one process
per thread count (the runtime is started once per process).

    python benchmarks/threads.py [--threads 1,2] [--sizes 175x115x54,350x230x54] [--out benchmarks/results/threads.json]

For each size and thread count it prints the time per cell update, the speed-up over one thread and the
parallel efficiency (speed-up / threads), and, from the two sizes, the fixed cost per launch that explains the
gap: with t1 the one-thread time of a launch and tn the n-thread one, tn = t1 / n + c, so c = tn - t1 / n. A
machine whose idle cores wake slowly (virtual machines) shows a c of a millisecond or more, which a run of many
short launches (a refined print: ~20 a step) pays on every launch. Bytes per cell update: 16 (one f64 read, one
written; neighbours from cache), thermal.py's count for minimal_7pt.
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

SWEEPS = 200  #: launches per measurement (two buffers, ping-pong)


def _child(threads: int, shape: tuple) -> dict:
    """Time SWEEPS stencil launches over ``shape`` with ``threads`` CPU threads (runs in its own process)."""
    os.environ["REGOLITH_SIM_THREADS"] = str(threads)
    from gpu_kernels import backend

    backend.init("cpu", "f64")
    from thermal import minimal_7pt  # benchmarks/thermal.py's constant-coefficient step: the column loop layout

    nx, ny, nz = shape
    a, b = backend.ti.ndarray(backend.ti.f64, shape), backend.ti.ndarray(backend.ti.f64, shape)
    a.fill(1.0)
    b.fill(1.0)
    minimal_7pt(a, b, 0.1)  # compile
    backend.sync()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(SWEEPS // 2):
        minimal_7pt(a, b, 0.1)
        minimal_7pt(b, a, 0.1)
    backend.sync()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"threads": threads, "shape": list(shape), "launch_ms": wall / SWEEPS * 1e3,
            "ns_per_cell": wall / (SWEEPS * nx * ny * nz) * 1e9, "cores_busy": cpu / wall}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", default=f"1,{os.cpu_count() or 1}", help="comma-separated thread counts")
    ap.add_argument("--sizes", default="175x115x54,350x230x54",
                    help="grids nx x ny x nz (default: the demo at resolution 3, and 4x its columns)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "threads.json"))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(_child(int(a.child[0]), tuple(int(v) for v in a.child[1].split("x")))))
        return 0
    threads = sorted({int(t) for t in a.threads.split(",")} | {1})
    runs = []
    for size in a.sizes.split(","):
        for n in threads:
            out = subprocess.run([sys.executable, __file__, "--child", str(n), size], capture_output=True, text=True,
                                 check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    for r in runs:
        one = next(o for o in runs if o["shape"] == r["shape"] and o["threads"] == 1)
        r["speedup"] = one["launch_ms"] / r["launch_ms"]
        r["efficiency"] = r["speedup"] / r["threads"]
        r["fixed_cost_per_launch_ms"] = r["launch_ms"] - one["launch_ms"] / r["threads"] if r["threads"] > 1 else 0.0
        r["M_cell_updates_per_s"] = 1e3 / r["ns_per_cell"]
        r["GB_s"] = 16.0 * r["M_cell_updates_per_s"] * 1e-3
        print(f"{'x'.join(map(str, r['shape']))}: {r['threads']} thread(s) {r['launch_ms']:.2f} ms a launch, "
              f"{r['M_cell_updates_per_s']:.0f} M cell-updates/s ({r['GB_s']:.1f} GB/s), speed-up "
              f"{r['speedup']:.2f}, efficiency {r['efficiency']:.2f}, cores busy {r['cores_busy']:.2f}, fixed cost "
              f"{r['fixed_cost_per_launch_ms']:.2f} ms a launch")
    from bench_cli import write_json_atomic  # noqa: E402 (standard library only)

    write_json_atomic(Path(a.out), {"benchmark": "threads", "cpu_count": os.cpu_count(), "sweeps": SWEEPS,
                                    "runs": runs})
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
