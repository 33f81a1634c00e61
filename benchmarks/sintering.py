"""Cost of sintering as a share of a thermal step: the densify kernel and the settling of columns.

    python benchmarks/sintering.py [--arch auto|cpu|cuda|vulkan] [--precision f64|f32]
                                   [--sizes 64,128] [--quick] [--out benchmarks/results/sintering.json]

On the production grid of benchmarks/thermal.py (fully active n^3 LHS-1 powder at 250 K, radiating top,
held bottom, a moving gaussian spot) it times, per step:

* ``thermal_step``    - ThermalSolver.step with the source (the reference, 100 %);
* ``densify``         - Densifier.step (one pass of gpu_kernels.sintering.densify) on the solver's own
  fields, for each model: cells colder than the model's T_active are skipped, as in a print;
* ``densify_all_hot`` - the same kernel with every cell above T_active (1300 K): the worst case;
* ``settle_scan``     - Densifier.settle when no column has room (the usual call: one read pass);
* ``settle_all``      - Densifier.settle when every column must move (each below-top cell densified to 0.9),
  including the solver refresh it triggers; the worst case.

Settling runs every ``Densifier.settle_every`` steps, so its share per step is its time divided by that.
The issue's aim: sintering adds under 30 % to a thermal step; ``share`` = (densify + settle_scan /
settle_every) / thermal_step, ``share_worst`` the same with the all-hot and all-moving times.
Timings exclude the first call (compile); batches are bracketed by backend.sync().
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import sys
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import numpy as np  # noqa: E402

from gpu_kernels import backend  # noqa: E402
from gpu_kernels.backend import ti  # noqa: E402
from bench_cli import Defaults, kernel_parser, parse_kernel_args  # noqa: E402
from bench_cli import write_json_atomic  # noqa: E402
from thermal import _loadavg, _move, machine_info, make_solver, time_calls  # noqa: E402

AIM_SHARE = 0.30
MODELS = ("viscous", "master-curve")
DEFAULTS = Defaults(sizes="64,128", quick_sizes="24", min_time=2.0, quick_min_time=0.1)


def _timed(fn, min_time):
    fn(0)  # compile / cache load
    calls, seconds = time_calls(fn, min_time)
    return seconds / calls


def _settle_all_time(solver, densifier, reps: int) -> float:
    """Mean time of Densifier.settle when every column must move (fields reset between calls, untimed)."""
    rho0 = solver.tables.rho_rel0
    dense = np.full(solver.grid.shape, 0.9)
    dense[:, :, -1] = rho0
    fields = {name: getattr(solver, name).to_numpy() for name in ("state", "rho_rel", "mass", "h", "T", "T_peak",
                                                                  "t_hot")}
    total = 0.0
    for r in range(reps + 1):
        for name, value in fields.items():
            getattr(solver, name).from_numpy(value)
        solver.rho_rel.from_numpy(dense)
        backend.sync()
        t0 = time.perf_counter()
        moved = densifier.settle()
        backend.sync()
        if r > 0:  # the first call compiles
            total += time.perf_counter() - t0
        assert moved == solver.grid.shape[0] * solver.grid.shape[1], moved
    for name, value in fields.items():
        getattr(solver, name).from_numpy(value)
    solver._refresh()
    return total / reps


def bench_size(n: int, min_time: float, settle_reps: int) -> dict:
    from regolith_sim.materials import get_material
    from regolith_sim.sintering.densifier import Densifier

    material = get_material("LHS-1")
    s, src, dt = make_solver(n, "production")
    g = s.grid

    def thermal(i):
        _move(src, g, i, 50)
        s.step(dt, [src])

    res = {"size": n, "cells": g.n_cells, "dt_s": dt, "thermal_step_s": _timed(thermal, min_time), "models": {}}
    fp = ti.f64 if backend.current_precision() == "f64" else ti.f32
    hot = SimpleNamespace(T=ti.ndarray(fp, g.shape), rho_rel=ti.ndarray(fp, g.shape), state=ti.ndarray(ti.i8, g.shape),
                          tables=s.tables)
    hot.T.fill(1300.0)
    hot.state.fill(1)
    for model in MODELS:
        d = Densifier(s, material, model, settle_every=10)
        d.settle_every = 0  # timed separately below
        d_hot = Densifier(hot, material, model, settle_every=0)
        hot.rho_rel.fill(s.tables.rho_rel0)
        r = {"T_active_K": d.tables.T_active,
             "densify_s": _timed(lambda i: d.step(dt), min_time),
             "densify_all_hot_s": _timed(lambda i: d_hot.step(dt), min_time),
             "settle_scan_s": _timed(lambda i: d.settle(), min_time),
             "settle_all_s": _settle_all_time(s, d, settle_reps),
             "settle_every": 10}
        t = res["thermal_step_s"]
        r["share"] = (r["densify_s"] + r["settle_scan_s"] / r["settle_every"]) / t
        r["share_worst"] = (r["densify_all_hot_s"] + r["settle_all_s"] / r["settle_every"]) / t
        r["met_aim"] = bool(r["share"] < AIM_SHARE)
        res["models"][model] = r
    return res


def main(argv=None) -> int:
    ap = kernel_parser("Sintering cost as a share of a thermal step", "sintering", DEFAULTS)
    args = parse_kernel_args(ap, DEFAULTS, argv)
    sizes, min_time = args.sizes, args.min_time
    arch = backend.init(args.arch, args.precision)
    data = {"benchmark": "sintering", "machine": machine_info(arch, args.precision),
            "settings": {"sizes": sizes, "min_time_s": min_time, "quick": args.quick, "aim_share": AIM_SHARE},
            "results": []}
    for n in sizes:
        print(f"[bench] n={n} ...", flush=True)
        data["results"].append(bench_size(n, min_time, 2 if args.quick else 5))
    data["machine"]["loadavg_1min_at_end"] = _loadavg()
    print(f"\n{'n':>5} {'model':<13} {'step ms':>9} {'densify ms':>11} {'all hot ms':>11} {'settle scan ms':>15} "
          f"{'settle all ms':>14} {'share':>7} {'worst':>7}")
    for r in data["results"]:
        for model, m in r["models"].items():
            print(f"{r['size']:>5} {model:<13} {1e3 * r['thermal_step_s']:>9.2f} {1e3 * m['densify_s']:>11.2f} "
                  f"{1e3 * m['densify_all_hot_s']:>11.2f} {1e3 * m['settle_scan_s']:>15.2f} "
                  f"{1e3 * m['settle_all_s']:>14.2f} {100 * m['share']:>6.1f}% {100 * m['share_worst']:>6.1f}%")
    met = all(m["met_aim"] for r in data["results"] for m in r["models"].values())
    data["aim_met"] = met
    print(f"\naim: sintering adds < {100 * AIM_SHARE:.0f} % to a thermal step: {'met' if met else 'NOT met'}")
    out = Path(args.out)
    write_json_atomic(out, data)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
