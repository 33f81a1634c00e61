"""Benchmark of the DEM grain kernels: particle-steps per second and the share of neighbour search.

Runs with Taichi + numpy only (no meshio/trimesh/pyvista/scipy), so it works on the GPU machine::

    python benchmarks/particles.py                      # 10k and 100k grains (+1M on a GPU)
    python benchmarks/particles.py --arch cuda --precision f32 out.json

A dense, randomly agitated packing (simple-cubic lattice with 1 % overlap, random velocities so the
Verlet list is rebuilt every ~10 steps) of 1-mm grains with friction, rolling resistance and
cohesion runs for ``--steps`` steps after a warm-up (compilation excluded). Reported per size:
particle-steps/s, ms per step, neighbour-list builds and their share of the run time. Writes a
JSON file (default benchmarks/results/particles.json) and prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpu_kernels import backend  # noqa: E402


def _system(n: int, seed: int = 0):
    from regolith_sim.particles.dem import DEMSystem, container
    from regolith_sim.particles.physics import ContactModel

    r = 0.5e-3
    pitch = 1.98 * r
    side = int(np.ceil(n ** (1.0 / 3.0)))
    idx = np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    x = idx * pitch + r
    c = ContactModel(density=3000.0, youngs_modulus=5e6, restitution=0.5, friction=0.5, rolling_friction=0.2,
                     hamaker=1e-19)
    hi = np.array([side * pitch] * 3) + np.array([0.0, 0.0, 4 * pitch])
    rng = np.random.default_rng(seed)
    sys_ = DEMSystem(x, np.full(len(x), r), c, walls=container((0, 0, 0), hi), gravity=9.81,
                     domain=(np.zeros(3) - pitch, hi + pitch))
    # agitation so that a grain crosses half the skin in ~10 steps: exercises the rebuild path
    v = rng.normal(0.0, 1.0, x.shape) * (0.5 * sys_.skin / (10 * sys_.dt)) / np.sqrt(3)
    sys_.velocities = v
    return sys_


def bench(n: int, steps: int) -> dict:
    s = _system(n)
    s.step(20)  # compile + warm-up
    backend.sync()
    s.n_rebuilds, s.time_in_rebuild = 0, 0.0
    t0 = time.perf_counter()
    s.step(steps)
    backend.sync()
    wall = time.perf_counter() - t0
    return dict(n=n, steps=steps, wall_s=wall, particle_steps_per_s=n * steps / wall, ms_per_step=1e3 * wall / steps,
                rebuilds=s.n_rebuilds, neighbour_share=s.time_in_rebuild / wall,
                ms_per_rebuild=1e3 * s.time_in_rebuild / max(s.n_rebuilds, 1), neighbour_slots=s._lists.slots)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=str(Path(__file__).resolve().parent / "results" / "particles.json"))
    ap.add_argument("--arch", default="auto", choices=list(backend.ARCHES))
    ap.add_argument("--precision", default="f64", choices=list(backend.PRECISIONS))
    ap.add_argument("--sizes", default=None, help="comma-separated grain counts (default 10000,100000 +1000000 on GPU)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps per size (default: ~2e7 particle-steps)")
    a = ap.parse_args(argv)
    arch = backend.init(a.arch, a.precision)
    if a.sizes:
        sizes = [int(float(v)) for v in a.sizes.split(",")]
    else:
        sizes = [10_000, 100_000] + ([1_000_000] if arch != "cpu" else [])
    rows = []
    for n in sizes:
        steps = a.steps or int(np.clip(2e7 / n, 20, 1000))
        rows.append(bench(n, steps))
        r = rows[-1]
        print(f"{r['n']:>9d} grains  {r['particle_steps_per_s']:.3e} particle-steps/s  {r['ms_per_step']:8.3f} ms/step"
              f"  rebuilds {r['rebuilds']:4d}  neighbour share {100 * r['neighbour_share']:5.1f} %", flush=True)
    res = dict(benchmark="particles", arch=arch, precision=a.precision, threads=os.environ.get("REGOLITH_SIM_THREADS"),
               cpu_count=os.cpu_count(), platform=platform.platform(), results=rows)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(res, indent=2))
    os.replace(tmp, out)
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
