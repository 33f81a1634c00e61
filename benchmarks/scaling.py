"""What refining a print costs: the demo case at several resolutions, run one after the other in one process.

    python benchmarks/scaling.py [--case examples/change8_brick.toml] [--resolutions 1,2] [--t-stop S]
                                 [--set solver.super_time_stepping=false] [--arch cpu] [--precision f64] [--quick]
                                 [--out benchmarks/results/scaling.json]

For each ``solver.resolution`` (cells per 0.5 mm layer of the demo, which runs at 3; issue 16's "default" is
1) the case is stepped from the start to ``--t-stop`` simulated seconds (default: the end of its cool-down, the whole
print) with sintering, without the mechanics and the outcome estimates (not the part this benchmark is
about); ``--set KEY=VALUE`` (repeatable) overrides case keys, e.g. ``solver.super_time_stepping=false``.
Reported per resolution:

* ``wall_s`` and ``cpu_s`` (this process's CPU time: less sensitive than the wall clock to other
  processes on a shared machine), explicit and implicit steps, cell-updates and cell-updates/s;
* ``launches_per_explicit_step``: Taichi launches (kernels of gpu_kernels, ndarray fills and bulk copies)
  per explicit step, counted outside implicit steps, whose CG iterations are reported on their own
  (``launches_per_implicit_step``); ``host_reads_per_step``: single-element ndarray reads and writes;
* the energy balance error, and the part's consolidated fraction and mean relative density (as the
  result summary defines them) with their relative difference from the previous resolution.

``cost_ratio`` = time at a resolution / time at the first (wall and CPU), against ``target_ratio`` = 8 for
a refinement by 2 (the issue's aim: 8x the cells cost at most 8x). Kernels compile (or load from the
offline cache) in a short warm-up run first, so no timed run pays for it. ``--quick`` (1 and 2, 1 s of
simulated time) is a smoke test of a few seconds. The JSON (atomically written) holds ``machine``,
``settings``, ``results`` (one record per resolution) and ``ratios``.
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import argparse
import collections
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import numpy as np  # noqa: E402

from bench_cli import add_out_option, add_runtime_options, write_json_atomic  # noqa: E402
from gpu_kernels import backend  # noqa: E402
from gpu_kernels.backend import ti  # noqa: E402
from thermal import _loadavg, machine_info  # noqa: E402

TARGET_RATIO_PER_REFINEMENT = 8.0  #: cost of a refinement by 2 the issue aims at (the cell count's factor)
KERNEL_MODULES = ("thermal", "sintering", "evaporation")
BULK = ("fill", "to_numpy", "from_numpy")        #: ndarray methods that launch a kernel of Taichi's own
ELEMENT = ("__getitem__", "__setitem__")          #: single-element host accesses


class LaunchCounter:
    """Counts calls of the Taichi kernels of ``gpu_kernels`` and of ndarray bulk and element methods, by
    wrapping them (the solver looks them up at each call, so wrapping the module attributes is enough)."""

    def __init__(self):
        import importlib

        self.counts = collections.Counter()
        for name in KERNEL_MODULES:
            mod = importlib.import_module(f"gpu_kernels.{name}")
            for attr, obj in list(vars(mod).items()):
                if callable(obj) and hasattr(obj, "_primal"):  # a @ti.kernel
                    setattr(mod, attr, self._wrap(obj, "kernel"))
        nd_class = type(ti.ndarray(ti.f32, shape=1))
        for meth in BULK + ELEMENT:
            setattr(nd_class, meth, self._wrap(getattr(nd_class, meth), "bulk" if meth in BULK else "element"))

    def _wrap(self, fn, kind: str):
        counts = self.counts

        def counted(*args, **kwargs):
            counts[kind] += 1
            return fn(*args, **kwargs)
        return counted

    def launches(self) -> int:
        return self.counts["kernel"] + self.counts["bulk"]


def part_summary(sim) -> dict:
    """Consolidated fraction and mean relative density of the part's filled voxels (the result summary's
    part.consolidated_fraction and part.mean_relative_density)."""
    state, rho = sim.thermal.field("state"), sim.thermal.field("rho_rel")
    mask = sim.domain.part_mask & (state > 0)
    if not mask.any():
        return {"consolidated_fraction": 0.0, "mean_relative_density": float("nan")}
    return {"consolidated_fraction": float(np.mean(state[mask] >= 2)), "mean_relative_density": float(rho[mask].mean())}


def make_sim(case_file: str, resolution: float, arch: str, overrides: dict | None = None):
    from regolith_sim.config import load_case
    from regolith_sim.simulation.simulation import Simulation

    case = load_case(case_file, **{"solver.resolution": resolution, "solver.mechanics": "off", "solver.arch": arch,
                                   **(overrides or {})})
    return Simulation(case)


def warm_up(case_file: str, arch: str, overrides: dict | None = None) -> float:
    """Compile (or load) every kernel a print uses: a few explicit steps, an implicit one, a settle."""
    t0 = time.perf_counter()
    sim = make_sim(case_file, 1.0, arch, overrides)
    for _ in range(3):
        sim.step()
    sim.thermal.step_implicit(4.0 * sim.thermal.stable_dt())
    if sim.case.solver.super_time_stepping:
        sim.thermal.step_sts(4.0 * sim.thermal.stable_dt())
    if sim.densifier is not None:
        sim.densifier.step(1e-3)
        sim.densifier.settle()
    sim.thermal.sync_ledger()
    return time.perf_counter() - t0


def run_one(case_file: str, resolution: float, t_stop: float | None, arch: str, counter: LaunchCounter,
            overrides: dict | None = None) -> dict:
    sim = make_sim(case_file, resolution, arch, overrides)
    th = sim.thermal
    implicit = collections.Counter()
    step_implicit = th.step_implicit

    def counted_implicit(*args, **kwargs):  # launches inside implicit steps, kept apart
        before = counter.launches()
        step_implicit(*args, **kwargs)
        implicit["launches"] += counter.launches() - before
    th.step_implicit = counted_implicit
    counter.counts.clear()
    updates0 = th.cell_updates
    w0, c0 = time.perf_counter(), time.process_time()
    sim.advance(t_stop, progress=False)
    if sim.densifier is not None:
        sim.densifier.settle()
    backend.sync()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    n_implicit = th.implicit_stats["steps"]
    n_explicit = sim.n_steps - n_implicit
    launches = counter.launches()
    updates = th.cell_updates - updates0
    return {"resolution": resolution, "grid": list(th.grid.shape), "cells": int(np.prod(th.grid.shape)),
            "t_simulated_s": th.time, "wall_s": wall, "cpu_s": cpu, "steps": sim.n_steps,
            "explicit_steps": n_explicit, "implicit_steps": n_implicit, "cg_iterations": th.implicit_stats["cg"],
            "cell_updates": updates, "cell_updates_per_s": updates / wall,
            "launches_per_explicit_step": (launches - implicit["launches"]) / max(n_explicit, 1),
            "launches_per_implicit_step": implicit["launches"] / max(n_implicit, 1),
            "host_reads_per_step": counter.counts["element"] / max(sim.n_steps, 1),
            "super_time_steps": th.sts_stats["steps"], "super_time_stages": th.sts_stats["stages"],
            "energy_balance_error": th.sync_ledger().balance_error, **part_summary(sim)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_runtime_options(ap)
    ap.add_argument("--case", default=str(ROOT / "examples" / "change8_brick.toml"))
    ap.add_argument("--resolutions", default=None, help="comma-separated solver.resolution values (default 1,2)")
    ap.add_argument("--t-stop", type=float, default=None, help="simulated seconds (default: the whole print)")
    ap.add_argument("--quick", action="store_true", help="resolutions 1,2 for 1 s of simulated time (smoke test)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="case key override, e.g. solver.super_time_stepping=false (repeatable)")
    add_out_option(ap, "scaling")
    args = ap.parse_args(argv)
    resolutions = [float(x) for x in (args.resolutions or "1,2").split(",") if x.strip()]
    t_stop = args.t_stop if args.t_stop is not None else (1.0 if args.quick else None)
    arch = backend.init("cpu" if args.arch == "auto" else args.arch, args.precision)
    machine = machine_info(arch, backend.current_precision())
    overrides = dict(kv.split("=", 1) for kv in args.set)
    compile_s = warm_up(args.case, arch, overrides)
    counter = LaunchCounter()
    results = []
    for res in resolutions:
        r = run_one(args.case, res, t_stop, arch, counter, overrides)
        if results:
            prev = results[-1]
            for key in ("consolidated_fraction", "mean_relative_density"):
                r[f"{key}_rel_diff_to_previous"] = abs(r[key] - prev[key]) / max(abs(prev[key]), 1e-12)
        results.append(r)
        print(f"resolution {res:g}: grid {r['grid']}, {r['steps']} steps ({r['implicit_steps']} implicit), "
              f"wall {r['wall_s']:.1f} s, cpu {r['cpu_s']:.1f} s, {r['cell_updates_per_s'] / 1e6:.1f} Mcell/s, "
              f"{r['launches_per_explicit_step']:.2f} launches per explicit step, "
              f"consolidated {r['consolidated_fraction']:.3f}, mean density {r['mean_relative_density']:.4f}, "
              f"energy balance {r['energy_balance_error']:.1e}", flush=True)
    base = results[0]
    ratios = []
    for r in results[1:]:
        target = TARGET_RATIO_PER_REFINEMENT ** np.log2(r["resolution"] / base["resolution"])
        ratio = {"resolution": r["resolution"], "wall_ratio": r["wall_s"] / base["wall_s"],
                 "cpu_ratio": r["cpu_s"] / base["cpu_s"], "steps_ratio": r["steps"] / base["steps"],
                 "cells_ratio": r["cells"] / base["cells"], "target_ratio": target}
        ratio["met_target"] = bool(ratio["cpu_ratio"] <= target)
        ratios.append(ratio)
        print(f"resolution {r['resolution']:g} vs {base['resolution']:g}: cost x{ratio['wall_ratio']:.1f} (wall), "
              f"x{ratio['cpu_ratio']:.1f} (cpu) against a target of x{target:.0f}; cells x{ratio['cells_ratio']:.1f}, "
              f"steps x{ratio['steps_ratio']:.1f}")
    machine["loadavg_1min_at_end"] = _loadavg()
    if (machine["loadavg_1min_at_start"] or 0.0) > 0.5:
        print(f"note: load average {machine['loadavg_1min_at_start']:.1f} at the start: other processes share the "
              f"cores, compare the ratios (one process) rather than the times")
    write_json_atomic(Path(args.out), {
        "machine": machine, "settings": {"case": args.case, "resolutions": resolutions, "t_stop_s": t_stop,
                                         "quick": args.quick, "compile_s": compile_s, "overrides": overrides},
        "results": results, "ratios": ratios})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
