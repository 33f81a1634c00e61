"""Throughput of parameter sweeps: cases per hour for the demo-size case, and what a sweep adds per case.

    python benchmarks/sweep.py [--case examples/change8_brick.toml] [--cases 4] [--workers N]
                               [--backend local|ray] [--arch cpu|cuda|auto] [--quick]
                               [--out benchmarks/results/sweep.json]

It sweeps ``process.power`` over +-10 % of the case's power in ``--cases`` equal steps (a slice of a
process map; the cost of a case barely depends on the power) with the local backend, in a fresh
folder, and reads the timings back from the status records:

* ``cases_per_hour``         = cases / sweep wall time x 3600, worker start-up included
* ``steady_cases_per_hour``  = workers / (median warm case time + median dispatch gap) x 3600: the rate
  of a long sweep, where each worker's start-up is spread over many cases
* per case, for the cases after each worker's first (warm):
  ``sim_s`` (run.wall_time_s: time stepping), ``job_s`` (all of run_job: planning, grid, time stepping,
  outputs), ``setup_and_outputs_s`` = job_s - sim_s, ``dispatch_gap_s`` (idle time of a worker between
  two cases: status records, queues). ``overhead_per_case_s`` = dispatch_gap_s is what the sweep adds to a
  warm case beyond the job itself (target: under 1 s); setup_and_outputs_s is the job's own cost, the
  same in ``regolith-sim run``
* per worker, its first case: ``worker_start_outside_sim_s`` (imports, ``ti.init``: first (job_s - sim_s)
  less the warm median) and ``first_sim_extra_s`` (first sim_s less the warm median: loading the compiled
  kernels from the offline cache shared by all workers; noisy when the machine is shared). A sweep pays
  these once per worker, a loop of ``regolith-sim run`` once per case.
* ``amortised_overhead_per_case_s`` = (workers x wall - sum of sim_s) / cases: everything beyond time
  stepping (start-up, set-up, outputs, dispatch) spread over this sweep

``--quick`` uses the tiny brick (examples/sweeps/tiny_brick.toml), 6 cases on one worker: a smoke test.
Only the standard library is imported at module level; the sweep package is imported in main().
"""
import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def sweep_file(case: Path, n: int, folder: Path) -> Path:
    from regolith_sim.config import load_case

    p0 = load_case(case).process.power
    lo, hi = 0.9 * p0, 1.1 * p0
    text = (f'name = "bench-{case.stem}"\nbase = "{case.resolve().as_posix()}"\n'
            f'[grid]\n"process.power" = {{ start = {lo!r}, stop = {hi!r}, num = {n} }}\n')
    path = folder / "bench_sweep.toml"
    path.write_text(text)
    return path


def timings(out_dir: Path, table) -> dict:
    """Per-worker sequences of cases from the status records -> the numbers of the module docstring."""
    from regolith_sim.sweep.status import StatusStore

    store = StatusStore(out_dir)
    by_worker: dict[str, list] = {}
    for cid in table["case_id"]:
        rec = store.read(cid)
        if rec and rec["status"] == "done":
            by_worker.setdefault(rec["worker"], []).append(
                (rec["updated"], rec["job_s"], rec["summary"]["run"]["wall_time_s"]))
    warm, gaps, first = [], [], []
    for seq in by_worker.values():
        seq.sort()
        first.append(seq[0][1:])
        for (t_prev, _, _), (t, job, sim) in zip(seq, seq[1:]):
            warm.append((job, sim))
            gaps.append(max(t - job - t_prev, 0.0))
    out = {"workers_used": len(by_worker), "first_case_job_s": [j for j, _ in first]}
    if warm:
        job_med, sim_med = statistics.median(j for j, _ in warm), statistics.median(s for _, s in warm)
        setup_med = statistics.median(j - s for j, s in warm)
        out.update(
            warm_cases=len(warm), sim_s_median=sim_med, job_s_median=job_med, setup_and_outputs_s_median=setup_med,
            dispatch_gap_s_median=statistics.median(gaps),
            # a worker's first case also pays for imports and ti.init (outside the time stepping) and for
            # loading the compiled kernels from the shared cache (inside it, on each kernel's first call)
            worker_start_outside_sim_s=[(j - s) - setup_med for j, s in first],
            first_sim_extra_s=[s - sim_med for _, s in first],
        )
        out["overhead_per_case_s"] = out["dispatch_gap_s_median"]
    return out


def main(argv=None) -> int:
    from bench_cli import add_out_option, write_json_atomic  # benchmarks/ is sys.path[0] when run as a script

    ap = argparse.ArgumentParser(description="Sweep throughput benchmark")
    ap.add_argument("--case", default=None, help="base case (default: examples/change8_brick.toml; quick: tiny brick)")
    ap.add_argument("--cases", type=int, default=None, help="number of cases (default 4; quick 6)")
    ap.add_argument("--workers", type=int, default=None, help="workers (default: one per GPU, else one per core; "
                                                               "quick 1)")
    ap.add_argument("--backend", default="local", choices=("local", "ray"))
    ap.add_argument("--arch", default=None, help="kernel arch for every case (default: the case's solver.arch)")
    ap.add_argument("--quick", action="store_true", help="tiny brick, 6 cases, 1 worker (smoke test)")
    ap.add_argument("--keep", default=None, help="sweep folder to keep (default: a temporary one)")
    add_out_option(ap, "sweep")
    args = ap.parse_args(argv)

    from regolith_sim.sweep import load_sweep, run_sweep

    case = Path(args.case or (ROOT / "examples" / ("sweeps/tiny_brick.toml" if args.quick else "change8_brick.toml")))
    n = args.cases or (6 if args.quick else 4)
    workers = args.workers or (1 if args.quick else None)
    load0 = _loadavg()
    with tempfile.TemporaryDirectory(prefix="regolith_sweep_bench_") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "sweep"
        spec = load_sweep(sweep_file(case, n, Path(tmp)))
        print(f"[bench] {n} cases of {case.name} on the {args.backend} backend ...", flush=True)
        t0 = time.perf_counter()
        res = run_sweep(spec, folder, backend=args.backend, workers=workers, arch=args.arch, progress=False)
        wall = time.perf_counter() - t0
        t = timings(folder, res.table)
        sims = [s for s in res.table["run.wall_time_s"] if s == s]
        arch = str(res.table["run.arch"].iloc[0]) if "run.arch" in res.table else None
    W = t["workers_used"] or 1
    results = {
        "cases": n, "done": res.done, "failed": res.failed, "workers": W, "wall_s": wall,
        "cases_per_hour": n / wall * 3600.0,
        "amortised_overhead_per_case_s": (W * wall - sum(sims)) / n, **t,
    }
    if "job_s_median" in t:
        results["steady_cases_per_hour"] = W / (t["job_s_median"] + t["dispatch_gap_s_median"]) * 3600.0
        results["meets_overhead_target"] = bool(t["overhead_per_case_s"] < 1.0)
    data = {
        "benchmark": "sweep",
        "machine": {"cpu_model": _cpu_model(), "cores": os.cpu_count(), "arch": arch, "python": platform.python_version(),
                    "platform": platform.platform(), "loadavg_1min_at_start": load0, "loadavg_1min_at_end": _loadavg()},
        "settings": {"case": str(case), "cases": n, "backend": args.backend, "workers": workers, "quick": args.quick,
                     "swept": "process.power over +-10 % of the case's"},
        "results": results,
    }
    print_report(data)
    nc = os.cpu_count() or 1
    if (load0 or 0) > 0.5 * nc:
        data["machine"]["shared_machine_warning"] = True
        print(f"WARNING: 1-min load average {load0} at start on {nc} cores: other processes shared the machine, "
              "timings are pessimistic")
    out = Path(args.out)
    write_json_atomic(out, data)
    print(f"\nwrote {out}")
    return 0 if res.failed == 0 else 1


def _f(x, spec=".2f"):
    return "-" if x is None else format(x, spec)


def print_report(data: dict) -> None:
    m, r, s = data["machine"], data["results"], data["settings"]
    print(f"\nmachine: {m['cpu_model']}, {m['cores']} cores, kernels on {m['arch']}")
    print(f"{r['cases']} cases of {Path(s['case']).name} on {r['workers']} {s['backend']} worker(s): "
          f"{r['done']} done, {r['failed']} failed in {r['wall_s']:.1f} s")
    print(f"  cases per hour            {r['cases_per_hour']:10.1f}   (this sweep, start-up included)")
    print(f"  steady cases per hour     {_f(r.get('steady_cases_per_hour'), '10.1f')}   (long sweep, warm workers)")
    print(f"  simulation per case       {_f(r.get('sim_s_median'), '10.3f')} s (median, warm)")
    print(f"  job set-up + outputs      {_f(r.get('setup_and_outputs_s_median'), '10.3f')} s (inside run_job, as in "
          "`regolith-sim run`)")
    print(f"  sweep overhead per case   {_f(r.get('overhead_per_case_s'), '10.3f')} s (dispatch gap; target < 1 s: "
          f"{'met' if r.get('meets_overhead_target') else 'NOT met'})")
    starts = r.get("worker_start_outside_sim_s", [])
    kern = r.get("first_sim_extra_s", [])
    print(f"  worker start, once each   {', '.join(f'{v:.2f}' for v in starts) or '-'} s imports + ti.init; "
          f"{', '.join(f'{v:.2f}' for v in kern) or '-'} s kernel loading")
    print(f"  amortised overhead / case {r['amortised_overhead_per_case_s']:10.3f} s (everything beyond time "
          "stepping, this sweep)")


if __name__ == "__main__":
    raise SystemExit(main())
