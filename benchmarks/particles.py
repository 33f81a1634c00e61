"""Benchmark of the DEM grain kernels: particle-steps per second, neighbour-search share, bytes moved,
fraction of memory bandwidth, and scaling against a reference size run in the same process.

Runs with Taichi + numpy only (no meshio/trimesh/pyvista/scipy), so it works on the GPU machine::

    python benchmarks/particles.py                      # 10k and 100k grains (+1M on a GPU)
    python benchmarks/particles.py --arch cuda --precision f32 --out out.json
    python benchmarks/particles.py --quick              # 2k grains, a few seconds (smoke test)
    python benchmarks/particles.py --case liggghts      # issue 17's LIGGGHTS case, both codes, ratio

A dense, randomly agitated packing (simple-cubic lattice with 1 % overlap, random velocities so the
Verlet list is rebuilt every ~10 steps) of 1-mm grains with friction, rolling resistance and
cohesion in a closed box runs for ``--steps`` steps after a warm-up (compilation excluded). Reported
per size: particle-steps/s, ms per step, neighbour-list builds and their share of the run time
(builds during the run times the cost of a forced build timed after it, over the wall time), mean listed
neighbours (half list: each pair once),
bytes per particle-step, GB/s and the fraction of the Taichi triad bandwidth measured in the same
run (``membw.py``), and ``ratio_to_reference``: particle-steps/s over that of the smallest size
(the reference run; 1.0 means the cost per grain does not grow with N - linear scaling). A system small
enough to run its steps in one serial launch on a CPU (``SERIAL_MAX_GRAINS``) is timed on that path and
again with one launch per step: ``serial_launch_speedup`` is the ratio.

Bytes per particle-step (STREAM convention as in benchmarks/README.md: each array once per step,
partners' data assumed to come from cache, writes counted once, no write-allocate), F bytes per
float, K listed neighbours per grain (measured), W walls:

* own state: reads x, v, w, f, tq (15F), pm (4F), x_ref (3F), temp (F), active (4 B);
  writes x, v, w, f, tq (15F), sums (4F), pm inertial masses (2F)          = 44F + 4
* per listed neighbour: reads nbr (4 B), ht, hr (6F), neck (F); writes ht, hr, neck (7F) = 14F + 4
* per wall: reads and writes the wall history wht, whr                                 = 12F
* neighbour-list builds are excluded from the count (they are timed separately).

Writes a JSON file (default benchmarks/results/particles.json, atomically) and prints a table.
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_cli import add_out_option, add_runtime_options, write_json_atomic  # noqa: E402
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


def bytes_per_particle_step(f_bytes: int, neighbours: float, walls: int) -> float:
    return (44 * f_bytes + 4) + neighbours * (14 * f_bytes + 4) + walls * 12 * f_bytes


def bench(n: int, steps: int, f_bytes: int, per_step_launch: bool = False) -> dict:
    s = _system(n)
    if per_step_launch:  # a small system on a CPU: time the one-launch-per-step path it would otherwise skip
        s._serial = False
    s.step(20)  # compile + warm-up
    backend.sync()
    builds0 = s.n_rebuilds
    t0 = time.perf_counter()
    s.step(steps)
    backend.sync()
    wall = time.perf_counter() - t0
    rebuilds = s.n_rebuilds - builds0
    # the builds run on the device inside the steps: time a few forced ones, the fastest (a build that another
    # process on the machine delayed would otherwise count as neighbour search: the share then read 100 %)
    times = []
    for _ in range(5):
        t1 = time.perf_counter()
        s.rebuild()
        backend.sync()
        times.append(time.perf_counter() - t1)
    ms_build = 1e3 * min(times)
    k_mean = float(s._lists.nnbr.to_numpy().mean())
    walls = len(s.wall_names)
    b = bytes_per_particle_step(f_bytes, k_mean, walls)
    rate = n * steps / wall
    return dict(n=n, steps=steps, wall_s=wall, particle_steps_per_s=rate, ms_per_step=1e3 * wall / steps,
                rebuilds=rebuilds, neighbour_share=min(1.0, 1e-3 * ms_build * rebuilds / wall),
                ms_per_rebuild=ms_build, neighbour_slots=s._lists.slots,
                mean_listed_neighbours=k_mean, walls=walls, bytes_per_particle_step=b, GB_s=rate * b / 1e9,
                serial_launch=bool(s._serial and not s.resort_steps))


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_out_option(ap, "particles")
    add_runtime_options(ap)
    ap.add_argument("--sizes", default=None, help="comma-separated grain counts (default 10000,100000 +1000000 on GPU)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps per size (default: ~2e7 particle-steps)")
    ap.add_argument("--bw-mib", type=int, default=256, help="array size of the bandwidth probe [MiB]")
    ap.add_argument("--quick", action="store_true", help="2000 and 8000 grains, 50 steps, 32 MiB probe")
    ap.add_argument("--case", choices=("scaling", "liggghts"), default="scaling",
                    help="scaling (default: sizes above) or liggghts (issue 17's case, see liggghts_case.py; "
                         "--steps shortens it, --procs sets LIGGGHTS' MPI ranks, --no-liggghts skips it)")
    ap.add_argument("--procs", type=int, default=None, help="LIGGGHTS MPI ranks (default: all cores)")
    ap.add_argument("--no-liggghts", action="store_true", help="liggghts case: run only our code")
    ap.add_argument("--resort-steps", default=None,
                    help="liggghts case: comma-separated steps between re-sorts of the grains by cell, one run of "
                         "ours each in this process (0: never; default: DEMSystem's, every 1000 steps)")
    a = ap.parse_args(argv)
    load0 = _load()
    arch = backend.init(a.arch, a.precision)
    if a.case == "liggghts":
        return liggghts_main(a, arch, load0)
    f_bytes = 8 if a.precision == "f64" else 4
    if a.quick:
        sizes, a.steps, a.bw_mib = [2000, 8000], a.steps or 50, 32
    elif a.sizes:
        sizes = [int(float(v)) for v in a.sizes.split(",")]
    else:
        sizes = [10_000, 100_000] + ([1_000_000] if arch != "cpu" else [])
    from membw import measure_bandwidth

    bw = measure_bandwidth(mib=a.bw_mib)
    rows = []
    for n in sizes:
        steps = a.steps or int(np.clip(2e7 / n, 20, 1000))
        r = bench(n, steps, f_bytes)
        r["fraction_of_bandwidth"] = r["GB_s"] / bw["triad_GB_s"]
        r["ratio_to_reference"] = r["particle_steps_per_s"] / (rows[0] if rows else r)["particle_steps_per_s"]
        if r["serial_launch"]:  # the serial path against the per-step launches it replaces, same process
            p = bench(n, steps, f_bytes, per_step_launch=True)
            r["per_step_launch_particle_steps_per_s"] = p["particle_steps_per_s"]
            r["serial_launch_speedup"] = r["particle_steps_per_s"] / p["particle_steps_per_s"]
        rows.append(r)
        serial = (f"  serial launch x{r['serial_launch_speedup']:.2f} of per-step launches"
                  if r["serial_launch"] else "")
        print(f"{r['n']:>9d} grains  {r['particle_steps_per_s']:.3e} particle-steps/s  {r['ms_per_step']:8.3f} ms/step"
              f"  neighbour share {100 * r['neighbour_share']:5.1f} % ({r['rebuilds']} builds)"
              f"  {r['bytes_per_particle_step']:.0f} B/p-step {r['GB_s']:.2f} GB/s"
              f" ({100 * r['fraction_of_bandwidth']:.1f} % bw)  x{r['ratio_to_reference']:.2f} of {sizes[0]}{serial}",
              flush=True)
    res = dict(benchmark="particles", machine=_machine(a, arch, load0), bandwidth=bw, reference_size=sizes[0],
               results=rows, byte_counting="own 44F+4, per listed neighbour 14F+4, per wall 12F (STREAM convention)")
    _write(res, a.out)
    return 0


def _machine(a, arch, load0) -> dict:
    import taichi

    return dict(arch=arch, precision=a.precision, threads=os.environ.get("REGOLITH_SIM_THREADS"),
                cores=os.cpu_count(), platform=platform.platform(), python=platform.python_version(),
                taichi_version=".".join(map(str, taichi.__version__)), load_start=load0, load_end=_load())


def _write(res: dict, out: str) -> None:
    print(f"written {write_json_atomic(out, res)}")


def liggghts_main(a, arch: str, load0) -> int:
    """Issue 17's case with our DEM, then with LIGGGHTS when installed (same steps), and the ratio."""
    import liggghts_case as L

    resorts = [int(v) for v in a.resort_steps.split(",")] if a.resort_steps else [None]
    rows = [L.run_ours(steps=a.steps, resort_steps=k) for k in resorts]
    if not a.no_liggghts and L.liggghts_available():
        rows.append(L.run_liggghts(steps=a.steps, procs=a.procs))
    elif not a.no_liggghts:
        print("liggghts not on the PATH (Debian package liggghts): only our code ran")
    for r in rows:
        tag = f" (re-sort every {r['resort_steps']} steps, {r['resorts']} done)" if "resorts" in r else ""
        print(f"{r['code'] + tag:<16} {r['steps']} steps  {r['particle_steps_per_s']:.3e} particle-steps/s  "
              f"{r['wall_s']:.1f} s  settled height {1e3 * r['height_m']:.2f} mm  packing {r['packing']:.3f}")
    res = dict(benchmark="particles-liggghts", case=L.CASE, machine=_machine(a, arch, load0), results=rows)
    if rows[-1]["code"].startswith("liggghts"):
        lig = rows[-1]["particle_steps_per_s"]
        res["ratio_ours_to_liggghts"] = [r["particle_steps_per_s"] / lig for r in rows[:-1]]
        if len(res["ratio_ours_to_liggghts"]) == 1:
            res["ratio_ours_to_liggghts"] = res["ratio_ours_to_liggghts"][0]
        for r in rows[:-1]:
            print(f"ratio (ours, re-sort every {r['resort_steps']} steps / LIGGGHTS, particle-steps/s): "
                  f"{r['particle_steps_per_s'] / lig:.2f}")
    from bench_cli import RESULTS

    _write(res, str(RESULTS / "particles-liggghts.json") if a.out == str(RESULTS / "particles.json") else a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
