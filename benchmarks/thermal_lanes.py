"""Prototype measurement: the production thermal step on 8-lane vectors along k (gpu_kernels/thermal_lanes.py)
against the production scalar step (gpu_kernels/thermal.py via ThermalSolver), same process.

    python benchmarks/thermal_lanes.py [--arch cpu] [--precision f64|f32] [--sizes 64,128,192] [--quick]
                                       [--out benchmarks/results/thermal_lanes.json]

For each size n (n^3, fully active LHS-1 powder at 250 K, radiating top, held bottom; the ``production``
set-up of benchmarks/thermal.py without the moving source), lanes of the runtime precision (run once with
``--precision f64`` and once with ``f32``: each run is kept under ``runs.<precision>`` in the JSON): cell-updates/s
of the lane step as two passes (diffuse, update_properties: the order of ThermalSolver.step) and fused
(one sweep, T and k ping-ponged), each pass alone, and the scalar production step (ThermalSolver.step at
the runtime precision) for the ratio. Bytes per cell follow benchmarks/thermal.py (STREAM convention,
neighbours from cache, no write-allocate; F bytes per float, state 1 byte; the lane form writes t_hot in
every cell, +F over the scalar count, and uses no per-cell rho_rel read in diffuse: mass instead):

* diffuse           reads h, T, k, mass (4F), writes h (F)                                     = 5F
* update_properties reads h, rho_rel, T_peak, t_hot, T(void lanes keep it) (5F) + state (1),
                    writes T, T_peak, t_hot, k (4F) + state (1)                                 = 9F + 2
* two passes        14F + 2;  fused: reads h, T, k, mass, rho_rel, T_peak, t_hot (7F) + state,
                    writes h, T2, k2, T_peak, t_hot (5F) + state                                = 12F + 2

The agreement check (:func:`agreement_check`) runs one step of the lane kernels and of ThermalSolver.step
on a small grid with void pockets, molten and densified cells.
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import json
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
from gpu_kernels import thermal as K  # noqa: E402
from gpu_kernels import thermal_lanes as L  # noqa: E402
from gpu_kernels.backend import ti  # noqa: E402
from bench_cli import write_json_atomic  # noqa: E402
from thermal import _loadavg, machine_info, make_solver, solver_fields, solver_params, time_calls  # noqa: E402

FIELDS = ("h", "T", "kcond", "rho_rel", "mass", "state", "T_peak", "t_hot")
LEDGER_KEYS = {"radiated": K.LEDGER_RADIATED, "convected": K.LEDGER_CONVECTED, "bottom": K.LEDGER_BOTTOM}


def bytes_per_cell(F: int) -> dict:
    return {"diffuse": 5 * F, "update_properties": 9 * F + 2, "two_pass": 14 * F + 2, "fused": 12 * F + 2}


class LaneStep:
    """The fields of a ThermalSolver copied into 8-lane ndarrays of the runtime float type, stepped by the lane kernels."""

    def __init__(self, solver, dt: float):
        fp = ti.f64 if backend.current_precision() == "f64" else ti.f32
        f = solver_fields(solver)
        f["mass"] = solver.field("mass")
        self.a = {n: L.lane_ndarray(f[n], ti.i8 if n == "state" else fp) for n in FIELDS}
        self.T2 = L.lane_ndarray(f["T"], fp)
        self.k2 = L.lane_ndarray(f["kcond"], fp)
        self.T_bottom = ti.ndarray(fp, shape=f["T_bottom"].shape)
        self.T_bottom.from_numpy(f["T_bottom"])
        self.ledger = ti.ndarray(ti.f64, shape=5)
        self.ledger.fill(0.0)
        p = solver_params(solver, dt)
        self.table = ti.ndarray(ti.f64, shape=p["T_of_h"].size)
        self.table.from_numpy(p["T_of_h"])
        self.p = p

    def _props_args(self, dt):
        p = self.p
        return (p["h0"], p["inv_dh"], p["contact"], p["chi"], p["k_dense"], p["k_melt"], p["rho_rel0"])

    def _surface_args(self, dt):
        p = self.p
        return (dt, p["dx"], p["rho_p"], p["eps_solid"], p["eps_melt"], p["solidus"], p["liquidus"], p["T_sky"],
                p["h_conv"], p["T_amb"], p["bottom_dirichlet"])

    def diffuse(self, dt):
        a = self.a
        L.diffuse(a["h"], a["T"], a["kcond"], a["mass"], self.T_bottom, self.ledger, *self._surface_args(dt))

    def update_properties(self, dt):
        a, p = self.a, self.p
        L.update_properties(a["h"], a["rho_rel"], a["state"], a["T"], a["kcond"], a["T_peak"], a["t_hot"],
                                       self.table, *self._props_args(dt), p["solidus"], p["liquidus"], p["k_const"],
                                       p["T_hot"], dt)

    def step(self, dt, fused: bool = False):
        if not fused:
            self.diffuse(dt)
            self.update_properties(dt)
            return
        a, p = self.a, self.p
        L.step_fused(a["h"], a["T"], a["kcond"], a["mass"], self.T_bottom, self.ledger, a["rho_rel"],
                                a["state"], a["T_peak"], a["t_hot"], self.T2, self.k2, self.table,
                                *self._props_args(dt), p["k_const"], p["T_hot"], *self._surface_args(dt))
        a["T"], self.T2 = self.T2, a["T"]
        a["kcond"], self.k2 = self.k2, a["kcond"]

    def field(self, name: str) -> np.ndarray:
        return L.from_lanes(self.a[name].to_numpy())


def varied_solver(shape=(10, 9, 16), seed: int = 1):
    """A ThermalSolver (LHS-1 powder, production set-up of benchmarks/thermal.py) with void pockets (a
    top corner, a lowered surface on one side, a closed cavity inside), cells at 250-2050 K (some above
    LHS-1's 1773 K liquidus: molten) and 30 % of the powder densified by 0.1 (sintered). Its faces take each cell's
    k at its own temperature, as the lane kernels do (ThermalSolver.radiating_faces off, the default)."""
    rng = np.random.default_rng(seed)
    s, _, dt = make_solver(0, "production", shape=shape, radiating_faces=False)
    st, rr, Tn = s.field("state"), s.field("rho_rel"), s.field("T")
    T_new = Tn + rng.uniform(0.0, 1800.0, Tn.shape)
    rr = np.where(rng.random(rr.shape) < 0.3, rr + 0.1, rr)
    nz = shape[2]
    mask = st > 0
    mask[:3, :3, nz - 5:] = False        # a void pocket at the top corner
    mask[6:, :, nz - 3:] = False         # a lower surface on one side
    mask[4:6, 3:6, 6:10] = False         # a closed cavity spanning a lane-block boundary (k = 8)
    s.state.fill(0)
    s.fill_region(mask, T_new, rr)
    return s, dt


def _rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = np.abs(a - b)
    return float(np.max(np.where(d == 0, 0.0, d / np.maximum(np.abs(b), 1e-300))))


def agreement_check(fused: bool = False, shape=(10, 9, 16)) -> dict:
    """One step of the lane kernels (two passes or ``fused``) and one of ThermalSolver.step, both in the
    runtime's precision, from the same fields: worst relative differences of h, T, k, T_peak, t_hot and of the
    ledger increments, and the number of cells whose state differs."""
    s, dt = varied_solver(shape)
    lanes = LaneStep(s, dt)
    led0 = s.ledger_arr.to_numpy().copy()
    s.step(dt)
    lanes.step(dt, fused=fused)
    backend.sync()
    out = {name: _rel(lanes.field(name), s.field(name)) for name in ("h", "T", "kcond", "T_peak", "t_hot")}
    led_ref = s.ledger_arr.to_numpy() - led0
    led = lanes.ledger.to_numpy()
    out["ledger"] = {key: _rel(led[i], led_ref[i]) for key, i in LEDGER_KEYS.items()}
    out["ledger_J"] = {key: float(led_ref[i]) for key, i in LEDGER_KEYS.items()}
    out["state_mismatches"] = int(np.sum(lanes.field("state") != s.field("state")))
    out["molten_cells"] = int(np.sum(s.field("state") == K.MOLTEN))
    out["void_cells"] = int(np.sum(s.field("state") == K.VOID))
    out["worst"] = max([out[n] for n in ("h", "T", "kcond", "T_peak", "t_hot")] + list(out["ledger"].values()))
    return out


def _time(fn, min_time: float) -> float:
    fn(0)
    backend.sync()
    calls, sec = time_calls(fn, min_time)
    return sec / calls


def bench_size(n: int, min_time: float, bw: float, F: int) -> dict:
    """Scalar production step, then the lane step (two passes, fused) and each lane pass alone."""
    s, _, dt = make_solver(n, "production")
    cells = n ** 3
    res = {"size": n, "cells": cells, "dt_s": dt, "loadavg_1min_before": _loadavg()}
    t_scalar = _time(lambda i: s.step(dt), min_time)
    res["scalar"] = {"s_per_step": t_scalar, "cell_updates_per_s": cells / t_scalar}
    lanes = LaneStep(s, dt)
    for label, fn in (("two_pass", lambda i: lanes.step(dt)), ("fused", lambda i: lanes.step(dt, fused=True)),
                      ("diffuse", lambda i: lanes.diffuse(dt)), ("update_properties", lambda i: lanes.update_properties(dt))):
        t = _time(fn, min_time / (1 if label in ("two_pass", "fused") else 2))
        bpc = bytes_per_cell(F)[label]
        cups = cells / t
        res[label] = {"s_per_call": t, "cell_updates_per_s": cups, "bytes_per_cell": bpc, "GB_s": cups * bpc / 1e9,
                      "fraction_of_bandwidth": cups * bpc / 1e9 / bw}
    best = max(("two_pass", "fused"), key=lambda k: res[k]["cell_updates_per_s"])
    res["best_lane_step"] = best
    res["speedup_over_scalar"] = res[best]["cell_updates_per_s"] / res["scalar"]["cell_updates_per_s"]
    res["T_max_after_K"] = float(lanes.field("T").max())
    res["loadavg_1min_after"] = _loadavg()
    del lanes, s
    return res


def main(argv=None) -> int:
    from bench_cli import Defaults, kernel_parser, parse_kernel_args, quick_or

    defaults = Defaults(sizes="64,128,192", quick_sizes="32", min_time=2.0, quick_min_time=0.2)
    ap = kernel_parser("8-lane thermal step prototype vs the production step", "thermal_lanes", defaults)
    ap.add_argument("--bw-mib", type=int, default=None, help="MiB per array for the bandwidth probe (default 512, quick 64)")
    args = parse_kernel_args(ap, defaults, argv)
    if any(n % L.LANES for n in args.sizes):
        ap.error(f"--sizes {args.sizes}: each size must be a multiple of {L.LANES}")
    arch = backend.init(args.arch, args.precision)
    F = 8 if args.precision == "f64" else 4
    run = {"machine": machine_info(arch, args.precision),
           "settings": {"sizes": args.sizes, "min_time_s": args.min_time, "quick": args.quick}}
    import membw
    bw = membw.measure_bandwidth(quick_or(args.bw_mib, args.quick, 64, 512), reps=3 if args.quick else 5)
    run["bandwidth"] = bw
    run["agreement"] = {}
    tol = 1e-12 if args.precision == "f64" else 1e-5
    ok = True
    for fused in (False, True):
        a = agreement_check(fused)
        a["tolerance"], a["passed"] = tol, bool(a["worst"] <= tol and a["state_mismatches"] == 0)
        ok &= a["passed"]
        run["agreement"]["fused" if fused else "two_pass"] = a
        print(f"[lanes] agreement {'fused' if fused else 'two-pass'}: worst rel diff {a['worst']:.2e} (tol {tol:.0e}), "
              f"state mismatches {a['state_mismatches']}", flush=True)
    run["results"] = []
    for n in args.sizes:
        print(f"[lanes] n={n} ({args.precision}), load {_loadavg():.2f} ...", flush=True)
        r = bench_size(n, args.min_time, bw["triad_GB_s"], F)
        run["results"].append(r)
        print(f"  scalar step {r['scalar']['cell_updates_per_s'] / 1e6:.1f} Mcell/s; lanes: " + ", ".join(
            f"{k} {r[k]['cell_updates_per_s'] / 1e6:.1f} ({100 * r[k]['fraction_of_bandwidth']:.1f}% bw)"
            for k in ("two_pass", "fused", "diffuse", "update_properties")) + f" Mcell/s; x{r['speedup_over_scalar']:.2f}",
              flush=True)
    run["machine"]["loadavg_1min_at_end"] = _loadavg()
    out = Path(args.out)  # one file, one entry per precision: run the script once with each
    data = {"benchmark": "thermal_lanes", "byte_counting": __doc__.split("Bytes per cell")[1].split("The agreement")[0].strip(),
            "runs": {}}
    if out.exists():
        try:
            old = json.loads(out.read_text())
            data["runs"] = old.get("runs", {}) if old.get("benchmark") == "thermal_lanes" else {}
        except ValueError:
            pass
    data["runs"][args.precision] = run
    write_json_atomic(out, data)
    print(f"wrote {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
