"""Memory-bandwidth probe: STREAM-like copy and triad in Taichi kernels (all cores / the GPU) plus a
NumPy copy for comparison.

Usable on its own::

    python benchmarks/membw.py [--arch cpu] [--precision f64] [--mib 512]

or from another benchmark (after ``backend.init``)::

    from membw import measure_bandwidth      # with benchmarks/ on sys.path
    bw = measure_bandwidth(mib=512)          # {'triad_GB_s': ..., 'copy_GB_s': ..., 'numpy_copy_GB_s': ...}

Bytes are counted the STREAM way: copy moves 2 x 8 bytes per element (one read, one write),
triad a[i] = b[i] + s c[i] moves 3 x 8 bytes; the write-allocate read a CPU may add for stores is not
counted (so the numbers are comparable with published STREAM results and with the byte counts of
benchmarks/thermal.py, which use the same convention). Arrays are f64 and each array is ``mib``
MiB, far larger than any cache. The best of ``reps`` repetitions is reported, after a warm-up
(compile) call that is excluded.
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

import numpy as np  # noqa: E402

from gpu_kernels import backend  # noqa: E402
from gpu_kernels.backend import ti  # noqa: E402

_nd1 = ti.types.ndarray(dtype=ti.f64, ndim=1)


@ti.kernel
def _copy(a: _nd1, b: _nd1):
    for i in range(a.shape[0]):
        b[i] = a[i]


@ti.kernel
def _triad(a: _nd1, b: _nd1, c: _nd1, s: ti.f64):
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


def _best(fn, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        backend.sync()
        t0 = time.perf_counter()
        fn()
        backend.sync()
        best = min(best, time.perf_counter() - t0)
    return best


def measure_bandwidth(mib: int = 512, reps: int = 5) -> dict:
    """Bandwidth [GB/s, 1e9 bytes/s] of copy and triad in Taichi and of ``np.copyto``.

    The runtime must be started (``backend.init``); ``mib`` is the size of each f64 array."""
    backend.ensure_init()
    n = int(mib) * (1 << 20) // 8
    a, b, c = (ti.ndarray(ti.f64, shape=n) for _ in range(3))
    a.fill(1.0)
    b.fill(2.0)
    c.fill(3.0)
    t0 = time.perf_counter()
    _copy(a, b)
    _triad(a, b, c, 3.0)
    backend.sync()
    compile_s = time.perf_counter() - t0
    t_copy = _best(lambda: _copy(a, b), reps)
    t_triad = _best(lambda: _triad(a, b, c, 3.0), reps)
    del a, b, c
    x = np.full(n, 1.0)
    y = np.empty_like(x)
    np.copyto(y, x)
    t_np = _best(lambda: np.copyto(y, x), reps)
    del x, y
    return {
        "array_MiB": int(mib), "elements": n, "reps": reps, "dtype": "f64",
        "copy_GB_s": 16.0 * n / t_copy / 1e9,
        "triad_GB_s": 24.0 * n / t_triad / 1e9,
        "numpy_copy_GB_s": 16.0 * n / t_np / 1e9,
        "compile_s": compile_s,
        "threads": int(os.environ.get("REGOLITH_SIM_THREADS", os.cpu_count() or 1)) if backend.current_arch() == "cpu" else None,
        "convention": "STREAM: copy 16 B/element, triad 24 B/element, write-allocate not counted; best of reps",
    }


def main(argv=None) -> int:
    from bench_cli import add_runtime_options  # benchmarks/ is sys.path[0] when run as a script

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_runtime_options(p)
    p.add_argument("--mib", type=int, default=512, help="size of each of the three f64 arrays [MiB]")
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args(argv)
    arch = backend.init(args.arch, args.precision)
    res = measure_bandwidth(args.mib, args.reps)
    res["arch"] = arch
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
