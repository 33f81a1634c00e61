"""Speed of the mechanics solver: matrix-free matvec throughput (DOF-updates/s, bytes moved, fraction of
memory bandwidth) and conjugate-gradient solves (iterations to tolerance and iterations/s) against size.

    python benchmarks/mechanics.py [--arch auto|cpu|cuda|vulkan] [--precision f64|f32]
                                   [--sizes 16,32,64] [--quick] [--min-time 2] [--bw-mib 512]
                                   [--out benchmarks/results/mechanics.json]

Problem, for each cube edge n: an n x n x n block of cells (dx = 0.1 mm, E = 70 GPa, nu = 0.25) with
its bottom clamped and a thermal strain growing linearly with height (alpha dT = 1e-3 top to bottom),
solved by MechanicsSolver to a relative residual of 1e-6 with Jacobi-preconditioned CG (the reference) and
with CG preconditioned by the multigrid V-cycle (the solver's default, regolith_sim.mechanics.multigrid): its
iterations, seconds and speed-up over Jacobi in the same process (set-up, i.e. building the levels, timed apart).

Byte counts per node per matvec (each array once, neighbours from cache, writes once, no write-allocate:
the STREAM convention of benchmarks/membw.py), F bytes per float: reads u (3F), inv_diag (3F) and the
cell's lambda, mu (2F, one cell per node), writes out (3F) = 11F. A CG iteration adds the dot products
and updates: pcg_update reads x, r, p, Ap, inv_diag and writes x, r (7 x 3F), pcg_direction reads r,
inv_diag, p and writes p (4 x 3F), dot reads p, Ap (2 x 3F): 11F + 39F = 50F per node per iteration.
The matvec does 8 x 72 multiply-adds per node (each node's rows of its 8 cells' 24 x 24 matrices) and is
compute-bound on a CPU; the fraction of bandwidth shows how far it is from the memory limit.
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import numpy as np  # noqa: E402

from gpu_kernels import backend  # noqa: E402
from gpu_kernels import mechanics as K  # noqa: E402
from bench_cli import Defaults, kernel_parser, parse_kernel_args, quick_or  # noqa: E402
from bench_cli import write_json_atomic  # noqa: E402
from thermal import _loadavg, machine_info, time_calls  # noqa: E402

DX = 1e-4
E, NU = 70e9, 0.25
TOL = 1e-6


def make_problem(n: int, preconditioner: str = "jacobi"):
    from regolith_sim.mechanics.solver import MechanicsSolver

    shape = (n, n, n)
    s = MechanicsSolver(shape, DX, tol=TOL, preconditioner=preconditioner)
    z = (np.arange(n) + 0.5) / n
    fixed = np.zeros((n + 1, n + 1, n + 1, 3), dtype=bool)
    fixed[:, :, 0] = True
    s.set_problem(np.full(shape, E), NU, np.broadcast_to(1e-3 * z, shape), fixed)
    return s


def bench_size(n: int, min_time: float, bw_GB_s: float, F: int) -> dict:
    s = make_problem(n)
    nodes = (n + 1) ** 3
    s.p.fill(1e-6)
    t0 = time.perf_counter()
    K.matvec(s.p, s.Ap, s.lam, s.mu, s.inv_diag, s.dx)
    backend.sync()
    warm = time.perf_counter() - t0
    calls, secs = time_calls(lambda i: K.matvec(s.p, s.Ap, s.lam, s.mu, s.inv_diag, s.dx), min_time)
    t_mv = secs / calls
    bytes_mv = 11 * F * nodes
    t0 = time.perf_counter()
    res = s.solve()
    backend.sync()
    t_solve = time.perf_counter() - t0
    it = res.iterations
    t0 = time.perf_counter()
    m = make_problem(n, "multigrid")
    backend.sync()
    t_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    res_mg = m.solve()
    backend.sync()
    t_mg = time.perf_counter() - t0
    return {
        "n": n, "cells": n ** 3, "dofs": 3 * nodes, "matvec_s": t_mv, "matvec_warmup_s": warm,
        "matvec_dof_updates_per_s": 3 * nodes / t_mv, "matvec_bytes": bytes_mv,
        "matvec_GB_s": bytes_mv / t_mv / 1e9, "matvec_fraction_of_bandwidth": bytes_mv / t_mv / 1e9 / bw_GB_s,
        "cg_iterations": it, "relative_residual": res.residual, "solve_s": t_solve,
        "cg_iterations_per_s": it / t_solve if t_solve > 0 else None,
        "solve_dof_updates_per_s": 3 * nodes * it / t_solve if t_solve > 0 else None,
        "cg_iteration_fraction_of_bandwidth": 50 * F * nodes * it / t_solve / 1e9 / bw_GB_s if t_solve > 0 else None,
        "multigrid": {"levels": len(m._mg.levels), "cg_iterations": res_mg.iterations,
                      "relative_residual": res_mg.residual, "setup_s": t_setup, "solve_s": t_mg,
                      "speedup_over_jacobi": t_solve / t_mg if t_mg > 0 else None},
    }


def main(argv=None) -> int:
    defaults = Defaults(sizes="16,32,64", quick_sizes="8,16", min_time=2.0, quick_min_time=0.2)
    ap = kernel_parser("Mechanics solver speed benchmark", "mechanics", defaults)
    ap.add_argument("--bw-mib", type=int, default=None,
                    help="MiB per array for the bandwidth probe (default 512, quick 64)")
    args = parse_kernel_args(ap, defaults, argv)
    arch = backend.init(args.arch, args.precision)
    F = 8 if args.precision == "f64" else 4
    import membw

    bw_mib = quick_or(args.bw_mib, args.quick, 64, 512)
    print(f"[bench] bandwidth probe ({bw_mib} MiB arrays) ...", flush=True)
    bw = membw.measure_bandwidth(bw_mib, reps=3 if args.quick else 5)
    data = {"benchmark": "mechanics", "machine": machine_info(arch, args.precision),
            "settings": {"sizes": args.sizes, "min_time_s": args.min_time, "quick": args.quick, "dx_m": DX,
                         "tolerance": TOL},
            "byte_counting": "per node: matvec 11F, CG iteration 50F (module docstring); STREAM convention",
            "bandwidth": bw, "results": []}
    for n in args.sizes:
        print(f"[bench] n={n} ...", flush=True)
        r = bench_size(n, args.min_time, bw["triad_GB_s"], F)
        data["results"].append(r)
        print(f"[bench]   {r['dofs']} dofs: matvec {r['matvec_s'] * 1e3:.2f} ms = "
              f"{r['matvec_dof_updates_per_s'] / 1e6:.1f} M DOF/s ({r['matvec_fraction_of_bandwidth']:.1%} of "
              f"{bw['triad_GB_s']:.1f} GB/s); CG {r['cg_iterations']} iterations in {r['solve_s']:.2f} s "
              f"= {r['cg_iterations_per_s']:.0f} it/s", flush=True)
        g = r["multigrid"]
        print(f"[bench]   multigrid ({g['levels']} levels, set-up {g['setup_s']:.2f} s): {g['cg_iterations']} "
              f"iterations in {g['solve_s']:.2f} s, x{g['speedup_over_jacobi']:.1f} against Jacobi", flush=True)
    data["machine"]["loadavg_1min_at_end"] = _loadavg()
    out = Path(args.out)
    write_json_atomic(out, data)
    print(f"[bench] wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
