"""Speed of the thermal solver: cell-updates per second, bytes moved, achieved bandwidth, ratio to NumPy.

    python benchmarks/thermal.py [--arch auto|cpu|cuda|vulkan] [--precision f64|f32]
                                 [--sizes 64,128,192] [--quick] [--out benchmarks/results/thermal.json]

Variants, each on a fully active n x n x n grid with a radiating top and a held bottom:

* ``constant``   - ThermalSolver.step with a constant-property material (k constant, no melting):
  the production ``update_properties`` (T(h) table, k = k_const branch, states) + ``diffuse``.
* ``production`` - ThermalSolver.step with LHS-1 powder: update_properties (T(h) table,
  k(T, porosity), states) + diffuse + a moving gaussian surface source (deposit_surface).
* ``minimal_7pt`` - BENCHMARK-ONLY reference, not production code: a constant-coefficient 7-point
  explicit update T' = T + c (sum of 6 neighbours - 6 T) with the same [i, j, k] layout, i.e.
  the cheapest kernel this stencil can be; it shows what the layout/backend can reach.

Byte counts per cell per step (each array counted once per step - neighbours assumed to come from
cache - writes counted once, no write-allocate: the STREAM convention of benchmarks/membw.py). With
F = 8 (f64) or 4 (f32) bytes and state an int8:

* diffuse           reads h, T, kcond, kside, mass (5F) + state (1), writes h_new (F)   = 6F + 1
* update_properties reads h, rho_rel, mass, T_peak, t_hot (5F) + state (1),
                    writes T, T_peak, kcond, kside (4F) + state (1)  (t_hot is written only in hot cells) = 9F + 2
* step (constant, production) = 15F + 3   (123 B in f64, 63 B in f32); the source touches a few
  columns only and is not counted. (Before the side conductivity kside: 12F + 3, counting rho_rel where
  diffuse reads mass.) With ThermalSolver.radiating_faces (off here) diffuse also reads and update_properties
  writes the radiative share krad: F more each, 17F + 3.
* minimal_7pt       reads T, writes T_new                                               = 2F

Timings exclude the first call of each kernel (compile or offline-cache load), which is reported
separately as compile_s; the runtime is synchronised before and after each timed batch.
The NumPy ratio compares ``numpy_reference_step`` (vectorised NumPy of diffuse + update_properties,
single-threaded, same process) with the kernel step: numpy_ratio = t_numpy / t_kernel per step.
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import math
import os
import platform
import sys
import tempfile
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
from gpu_kernels.backend import ti  # noqa: E402

SIGMA = K.SIGMA
DX = 1e-4          # cell edge [m]
T_INIT = 250.0     # initial and bottom temperature [K]

# --------------------------------------------------------------------------------------------
# benchmark-only minimal kernel (NOT production code)
# --------------------------------------------------------------------------------------------
_nd3 = ti.types.ndarray(ndim=3)


@ti.kernel
def minimal_7pt(T: _nd3, T_new: _nd3, c: float):
    """Benchmark-only: constant-coefficient 7-point explicit step, insulated (clamped) borders."""
    nx, ny, nz = T.shape[0], T.shape[1], T.shape[2]
    for i, j in ti.ndrange(nx, ny):
        for k in range(nz):
            t = T[i, j, k]
            s = (T[ti.max(i - 1, 0), j, k] + T[ti.min(i + 1, nx - 1), j, k]
                 + T[i, ti.max(j - 1, 0), k] + T[i, ti.min(j + 1, ny - 1), k]
                 + T[i, j, ti.max(k - 1, 0)] + T[i, j, ti.min(k + 1, nz - 1)])
            T_new[i, j, k] = t + c * (s - 6.0 * t)


# --------------------------------------------------------------------------------------------
# NumPy reference of diffuse + update_properties
# --------------------------------------------------------------------------------------------
def _table_lookup(table, x0, inv_dx, x):
    n = table.size
    u = np.clip((x - x0) * inv_dx, 0.0, n - 1.000001)
    return np.interp(u, np.arange(n, dtype=float), table)


def numpy_reference_step(f: dict, p: dict) -> dict:
    """One explicit step (diffuse, then update_properties) in vectorised NumPy, the same
    finite-volume update as gpu_kernels.thermal: harmonic-mean face conductivities (the pores' radiative term
    over each face's temperatures, radiating_face_k), radiating and
    convecting exposed faces (void neighbours and the top of the domain), insulated sides, bottom
    held at T_bottom through half a cell when p['bottom_dirichlet'], then T(h) from the table by
    np.interp, k(T, relative density), states, peak temperature and time above T_hot.

    ``f``: arrays h, T, kcond, rho_rel, state, T_peak, t_hot (3D) and T_bottom (2D); ``p``: the
    scalars. Returns new arrays (the inputs are not modified)."""
    h, T, kc, rr, st = f["h"], f["T"], f["kcond"], f["rho_rel"], f["state"]
    dt, dx = p["dt"], p["dx"]
    inv_dx = 1.0 / dx
    act = st != K.VOID
    q = np.zeros_like(h)
    expo = np.zeros(h.shape, dtype=np.int32)

    # the pores' radiation over each face's temperatures, with the jump at an opaque neighbour
    # (gpu_kernels.thermal.radiating_face_k)
    c_rad = p["c_rad"] if p["k_const"] <= 0.0 else 0.0
    crad = np.where(act, c_rad * np.minimum((1.0 - rr) / max(1.0 - p["rho_rel0"], 1e-9), 1.0), 0.0)

    def jump(c_own, c_other, t_other):
        w = 1.0 - c_other / c_rad if c_rad > 0.0 else np.zeros_like(c_other)
        fm_o = np.clip((t_other - p["solidus"]) / (p["liquidus"] - p["solidus"]), 0.0, 1.0)
        s_o = p["jump_solid"] + (p["jump_melt"] - p["jump_solid"]) * fm_o
        return np.where((c_own > 0.0) & (w > 0.0), 1.0 / (1.0 + np.maximum(w, 0.0) * c_own * s_o), 1.0)

    def face(sl_c, sl_n):
        """Add the flux through the faces between cells sl_c and their neighbours sl_n."""
        k1, k2 = kc[sl_c], kc[sl_n]
        t1, t2, c1, c2 = T[sl_c], T[sl_n], crad[sl_c], crad[sl_n]
        m3 = (t1 + t2) * (t1 * t1 + t2 * t2) * 0.25
        k1 = k1 + c1 * (m3 * jump(c1, c2, t2) - t1 ** 3)
        k2 = k2 + c2 * (m3 * jump(c2, c1, t1) - t2 ** 3)
        kf = 2.0 * k1 * k2 / (k1 + k2 + 1e-300)
        flux = kf * (T[sl_n] - T[sl_c]) * inv_dx
        q[sl_c] += np.where(act[sl_n], flux, 0.0)
        expo[sl_c] += (~act[sl_n]).astype(np.int32)

    a = slice(None)
    lo, hi = slice(0, -1), slice(1, None)
    face((hi, a, a), (lo, a, a))   # i - 1
    face((lo, a, a), (hi, a, a))   # i + 1
    face((a, hi, a), (a, lo, a))   # j - 1
    face((a, lo, a), (a, hi, a))   # j + 1
    face((a, a, hi), (a, a, lo))   # k - 1
    face((a, a, lo), (a, a, hi))   # k + 1 (void above counts as exposed)
    expo[:, :, -1] += 1            # top of the domain
    if p["bottom_dirichlet"]:
        q[:, :, 0] += kc[:, :, 0] * (f["T_bottom"] - T[:, :, 0]) * 2.0 * inv_dx
    fm = np.clip((T - p["solidus"]) / (p["liquidus"] - p["solidus"]), 0.0, 1.0)
    eps = (1.0 - fm) * p["eps_solid"] + fm * p["eps_melt"]
    q_rad = eps * SIGMA * (T ** 4 - p["T_sky"] ** 4) * expo
    q_cv = p["h_conv"] * (T - p["T_amb"]) * expo
    q -= q_rad + q_cv
    h_new = np.where(act, h + dt * q / (rr * p["rho_p"] * dx), h)

    # update_properties
    t = np.where(act, _table_lookup(p["T_of_h"], p["h0"], p["inv_dh"], h_new), T)
    T_peak = np.where(act, np.maximum(f["T_peak"], t), f["T_peak"])
    t_hot = np.where(act & (t > p["T_hot"]), f["t_hot"] + dt, f["t_hot"])
    s = st.copy()
    molten = t >= p["liquidus"]
    resol = ~molten & (st == K.MOLTEN) & (t < p["solidus"])
    sint = ~molten & (st == K.POWDER) & (rr > p["rho_rel0"] + 0.01)
    s[molten] = K.MOLTEN
    s[resol] = K.RESOLIDIFIED
    s[sint] = K.SINTERED
    s = np.where(act, s, st)
    if p["k_const"] > 0.0:
        k_new = np.full_like(h, p["k_const"])
    else:
        fm = np.clip((t - p["solidus"]) / (p["liquidus"] - p["solidus"]), 0.0, 1.0)
        phi, phi0 = 1.0 - rr, 1.0 - p["rho_rel0"]
        sn = np.clip((rr - p["rho_rel0"]) / (1.0 - p["rho_rel0"]), 0.0, 1.0)
        matrix = ((1.0 - fm) * p["k_dense"] + fm * p["k_melt"]) * np.maximum(1.0 - 1.5 * phi, 0.0)
        tr = t / 350.0
        radiative = p["contact"] * p["chi"] * tr * tr * tr * np.minimum(phi / phi0, 1.0)
        k_new = (1.0 - sn) * p["contact"] + sn * matrix + radiative
    k_new = np.where(act, k_new, kc)
    return {"h": h_new, "T": t, "kcond": k_new, "rho_rel": rr, "state": s.astype(st.dtype),
            "T_peak": T_peak, "t_hot": t_hot, "T_bottom": f["T_bottom"]}


def solver_params(solver, dt: float) -> dict:
    t, b = solver.tables, solver.boundary
    return dict(dt=dt, dx=solver.grid.dx, rho_p=t.rho_p, eps_solid=t.eps_solid, eps_melt=t.eps_melt,
                solidus=t.solidus, liquidus=t.liquidus, T_sky=b.T_sky, h_conv=b.h_conv, T_amb=b.T_amb,
                bottom_dirichlet=int(b.bottom == "dirichlet"), T_of_h=t.T_of_h, h0=t.h0, inv_dh=1.0 / t.dh,
                contact=t.contact, chi=t.chi, k_dense=t.k_dense, k_melt=t.k_melt, rho_rel0=t.rho_rel0,
                k_const=t.k_const, T_hot=solver.T_hot, **solver.radiation_params())


def solver_fields(solver) -> dict:
    d = {n: solver.field(n) for n in ("h", "T", "kcond", "rho_rel", "state", "T_peak", "t_hot")}
    d["T_bottom"] = solver.T_bottom.to_numpy()
    return d


# --------------------------------------------------------------------------------------------
# set-up
# --------------------------------------------------------------------------------------------
def constant_material(k=1.0, rho=2000.0, cp=1000.0, emissivity=0.9):
    """As regolith_sim.verification.cases.constant_material (not imported: that module needs SciPy)."""
    from regolith_sim.materials import get_material

    return get_material("LHS-1", {
        "conductivity.constant_W_mK": k, "heat_capacity.constant_J_kgK": cp, "density.particle_kg_m3": rho,
        "density.bulk_kg_m3": rho, "melting.solidus_K": 9000.0, "melting.liquidus_K": 9500.0,
        "optical.emissivity": emissivity, "optical.emissivity_melt": emissivity,
    })


def make_solver(n: int, variant: str, shape=None, radiating_faces: bool = False):
    from regolith_sim.materials import get_material
    from regolith_sim.thermal import Boundary, Grid, SurfaceSource, ThermalSolver, ThermalTables

    shape = shape or (n, n, n)
    g = Grid(shape, DX, (0.0, 0.0, -shape[2] * DX))
    if variant == "constant":
        tables = ThermalTables.from_material(constant_material(), rho_rel0=1.0)
        rho_rel = 1.0
    else:
        tables = ThermalTables.from_material(get_material("LHS-1"))
        rho_rel = tables.rho_rel0
    s = ThermalSolver(g, tables, Boundary(T_sky=3.0, bottom="dirichlet"), radiating_faces=radiating_faces)
    s.fill_region(np.ones(shape, bool), T_INIT, rho_rel)
    s.set_bottom_temperature(T_INIT)
    src = None
    if variant == "production":
        src = SurfaceSource(profile="gaussian", diameter=8 * DX, power=1.0, absorptivity=0.9, on=True,
                            x=0.2 * g.extent[0], y=0.5 * g.extent[1])
    dt = min(s.stable_dt(0.5), 2e-4)
    return s, src, dt


def _move(src, g, step: int, n_steps: int) -> None:
    if src is not None:  # raster along x across the middle 60 % of the domain
        src.x = (0.2 + 0.6 * ((step % n_steps) + 0.5) / n_steps) * g.extent[0]


def time_calls(fn, min_time: float, max_calls: int = 2000, min_calls: int = 3):
    """Call fn(i) repeatedly (already warmed up) for at least min_time s; returns (calls, seconds)."""
    backend.sync()
    t0 = time.perf_counter()
    fn(0)
    backend.sync()
    t1 = time.perf_counter() - t0
    calls = int(min(max(math.ceil(min_time / max(t1, 1e-9)), min_calls), max_calls))
    backend.sync()
    t0 = time.perf_counter()
    for i in range(calls):
        fn(i)
    backend.sync()
    return calls, time.perf_counter() - t0


# --------------------------------------------------------------------------------------------
def machine_info(arch: str, precision: str) -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = int(os.environ.get("REGOLITH_SIM_THREADS", os.cpu_count() or 1))
    return {"cpu_model": cpu, "cores": os.cpu_count(), "threads": threads if arch == "cpu" else None,
            "arch": arch, "precision": precision, "taichi_version": ".".join(map(str, ti.__version__)),
            "numpy_version": np.__version__, "python": platform.python_version(), "platform": platform.platform(),
            "loadavg_1min_at_start": _loadavg()}


def _loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def agreement_check(precision: str) -> dict:
    """One step of the kernels (no source) vs numpy_reference_step on a small grid with some void
    cells, some hot (molten) cells and sintered powder, for both materials."""
    out = {}
    rng = np.random.default_rng(1)
    for variant in ("constant", "production"):
        # (with the radiating faces, ThermalSolver.radiating_faces, which the reference implements too)
        s, _, dt = make_solver(0, variant, shape=(10, 9, 12), radiating_faces=True)
        # vary the state: a void corner region, hot cells, denser (sintering) powder
        st, rr, Tn = s.field("state"), s.field("rho_rel"), s.field("T")
        T_new = Tn + rng.uniform(0.0, 1500.0, Tn.shape)
        if variant == "production":
            rr = np.where(rng.random(rr.shape) < 0.3, rr + 0.1, rr)
        mask = st > 0
        mask[:3, :3, 8:] = False   # a void pocket at the top corner
        mask[6:, :, 10:] = False   # a lower surface on one side
        s.state.fill(0)
        s.fill_region(mask, T_new, rr)
        f0 = solver_fields(s)
        s.step(dt)
        backend.sync()
        ref = numpy_reference_step(f0, solver_params(s, dt))
        errs = {}
        for name in ("h", "T", "kcond", "T_peak", "t_hot"):
            a, b = s.field(name).astype(np.float64), np.asarray(ref[name], dtype=np.float64)
            scale = np.maximum(np.abs(b), 1e-300)
            errs[name] = float(np.max(np.where(np.abs(a - b) == 0, 0.0, np.abs(a - b) / scale)))
        errs["state_mismatches"] = int(np.sum(s.field("state") != ref["state"]))
        worst = max(v for k, v in errs.items() if k != "state_mismatches")
        out[variant] = {"max_rel_diff": errs, "worst": worst}
        del s
    tol = 1e-10 if precision == "f64" else 1e-5
    worst = max(v["worst"] for v in out.values())
    mism = sum(v["max_rel_diff"]["state_mismatches"] for v in out.values())
    return {"grid": [10, 9, 12], "tolerance": tol, "worst_rel_diff": worst, "state_mismatches": mism,
            "passed": bool(worst <= tol and mism == 0), "variants": out}


def bench_size(n: int, variant: str, min_time: float, bw: float, F: int, numpy_steps: int, breakdown: bool,
               radiating_faces: bool = False):
    cells = n ** 3
    s, src, dt = make_solver(n, variant, radiating_faces=radiating_faces)
    # krad is read by diffuse and written by update_properties only where the faces radiate
    rad = F if variant != "minimal_7pt" and s.radiation_params()["c_rad"] > 0.0 else 0
    bytes_per_cell = {"constant": 15 * F + 3 + 2 * rad, "production": 15 * F + 3 + 2 * rad,
                      "minimal_7pt": 2 * F}[variant]
    res = {"size": n, "variant": variant, "cells": cells, "dt_s": dt}
    if variant == "minimal_7pt":
        a, b = s.T, ti.ndarray(s.T.dtype, shape=s.T.shape)
        c = 0.1
        t0 = time.perf_counter()
        minimal_7pt(a, b, c)
        backend.sync()
        res["warmup_s"] = time.perf_counter() - t0

        def one(i):
            if i % 2 == 0:
                minimal_7pt(a, b, c)
            else:
                minimal_7pt(b, a, c)
        steps, sec = time_calls(one, min_time)
    else:
        srcs = [src] if src is not None else []
        t0 = time.perf_counter()
        s.step(dt, srcs)
        backend.sync()
        res["warmup_s"] = time.perf_counter() - t0

        def one(i):
            _move(src, s.grid, i, 200)
            s.step(dt, srcs)
        steps, sec = time_calls(one, min_time)
        res["T_max_after_K"] = float(s.field("T").max())
    cups = cells * steps / sec
    res.update(steps=steps, seconds=sec, s_per_step=sec / steps, cell_updates_per_s=cups,
               bytes_per_cell=bytes_per_cell, GB_s=cups * bytes_per_cell / 1e9,
               fraction_of_bandwidth=cups * bytes_per_cell / 1e9 / bw if bw > 0 else None)
    if breakdown and variant != "minimal_7pt":
        parts = {}
        c_d, s_d = time_calls(lambda i: s.diffuse(dt), min_time / 2)
        parts["diffuse"] = {"s_per_call": s_d / c_d, "bytes_per_cell": 6 * F + 1 + rad}
        c_u, s_u = time_calls(lambda i: s.update_properties(dt), min_time / 2)
        parts["update_properties"] = {"s_per_call": s_u / c_u, "bytes_per_cell": 9 * F + 2 + rad}
        if src is not None:
            def dep(i):
                _move(src, s.grid, i, 200)
                src.deposit(s, dt)
            c_s, s_s = time_calls(dep, min_time / 4)
            parts["source"] = {"s_per_call": s_s / c_s, "bytes_per_cell": None}
        for v in parts.values():
            v["cell_updates_per_s"] = cells / v["s_per_call"]
            v["share_of_step"] = v["s_per_call"] / res["s_per_step"]
            if v["bytes_per_cell"]:
                v["GB_s"] = v["cell_updates_per_s"] * v["bytes_per_cell"] / 1e9
                v["fraction_of_bandwidth"] = v["GB_s"] / bw if bw > 0 else None
        res["breakdown"] = parts
    res["numpy_ratio"] = None
    if numpy_steps > 0 and variant != "minimal_7pt":
        f = solver_fields(s)
        p = solver_params(s, dt)
        numpy_reference_step(f, p)  # warm-up (page faults of the temporaries)
        t0 = time.perf_counter()
        for _ in range(numpy_steps):
            f = numpy_reference_step(f, p)
        t_np = (time.perf_counter() - t0) / numpy_steps
        res["numpy_s_per_step"] = t_np
        res["numpy_cell_updates_per_s"] = cells / t_np
        res["numpy_ratio"] = t_np / res["s_per_step"]
    del s
    return res


def bench_active_region(n: int, active: int, heights, min_time: float) -> list:
    """Cost per step of the production step on an n x n x nz grid of which only the bottom ``active``
    cell layers hold material (the layers of a print not yet spread are void), for each nz in
    ``heights``: the kernels stop at the highest active layer, so the cost should not grow with nz."""
    from regolith_sim.materials import get_material
    from regolith_sim.thermal import Boundary, Grid, SurfaceSource, ThermalSolver, ThermalTables

    out = []
    for nz in heights:
        g = Grid((n, n, nz), DX, (0.0, 0.0, -active * DX))
        tables = ThermalTables.from_material(get_material("LHS-1"))
        s = ThermalSolver(g, tables, Boundary(T_sky=3.0, bottom="dirichlet"))
        mask = np.zeros(g.shape, bool)
        mask[:, :, :active] = True
        s.fill_region(mask, T_INIT, tables.rho_rel0)
        s.set_bottom_temperature(T_INIT)
        src = SurfaceSource(profile="gaussian", diameter=8 * DX, power=1.0, absorptivity=0.9, on=True,
                            x=0.2 * g.extent[0], y=0.5 * g.extent[1])
        dt = min(s.stable_dt(0.5), 2e-4)
        s.step(dt, [src])

        def one(i):
            _move(src, g, i, 200)
            s.step(dt, [src])
        steps, sec = time_calls(one, min_time)
        out.append({"n": n, "nz": nz, "active_layers": active, "cells": n * n * nz, "s_per_step": sec / steps,
                    "active_cell_updates_per_s": n * n * active * steps / sec})
        del s
    return out


def bench_bed_area(edges, nz: int, min_time: float, multirates=(1, 16)) -> list:
    """Cost per step of a small moving spot (8 cells across, step set by its motion, 2e-4 s) on
    n x n x nz powder beds of growing area, stepping every cell every step (multirate 1) and with
    the cold tiles stepped 1 in 16 (the default): with multirate the cost should follow the heated
    region, not the bed area. The spot scans a 0.6 n line back and forth; each run starts with
    ``warm`` steps so the track is heated before timing."""
    from regolith_sim.materials import get_material
    from regolith_sim.thermal import Boundary, Grid, SurfaceSource, ThermalSolver, ThermalTables

    out = []
    tables = ThermalTables.from_material(get_material("LHS-1"))
    for n in edges:
        for m in multirates:
            g = Grid((n, n, nz), DX, (0.0, 0.0, -nz * DX))
            s = ThermalSolver(g, tables, Boundary(T_sky=3.0, bottom="dirichlet"), multirate=m)
            s.fill_region(np.ones(g.shape, bool), T_INIT, tables.rho_rel0)
            s.set_bottom_temperature(T_INIT)
            src = SurfaceSource(profile="gaussian", diameter=8 * DX, power=1.0, absorptivity=0.9, on=True,
                                x=0.2 * g.extent[0], y=0.5 * g.extent[1])
            dt = 2e-4
            for i in range(64):
                _move(src, g, i, 400)
                s.step(dt, [src])
            counted = {"steps": 0, "u0": s.cell_updates}

            def one(i):
                _move(src, g, 64 + i, 400)
                s.step(dt, [src])
                counted["steps"] += 1
            steps, sec = time_calls(one, min_time)
            out.append({"n": n, "nz": nz, "multirate": m, "cells": n * n * nz, "s_per_step": sec / steps,
                        "cells_updated_per_step": (s.cell_updates - counted["u0"]) / counted["steps"],
                        "slow_tiles": s.slow_tiles, "tiles": int(np.prod(s.tiles.shape))})
            del s
    return out


def _fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(data: dict) -> None:
    m, bw = data["machine"], data["bandwidth"]
    print(f"\nmachine: {m['cpu_model']}, {m['cores']} cores, arch={m['arch']}, {m['precision']}, "
          f"taichi {m['taichi_version']}")
    print(f"memory bandwidth (Taichi, all threads): triad {bw['triad_GB_s']:.1f} GB/s, copy {bw['copy_GB_s']:.1f} GB/s; "
          f"numpy copy {bw['numpy_copy_GB_s']:.1f} GB/s  ({bw['array_MiB']} MiB arrays)")
    ag = data["agreement"]
    print(f"numpy_reference_step vs kernels, one step on {tuple(ag['grid'])}: worst relative difference "
          f"{ag['worst_rel_diff']:.2e} (tolerance {ag['tolerance']:.0e}), state mismatches {ag['state_mismatches']}"
          f" -> {'OK' if ag['passed'] else 'FAILED'}")
    print(f"compile/warm-up (first step, excluded): " + ", ".join(
        f"{k} {v:.2f} s" for k, v in data["compile_s"].items()))
    hdr = f"{'size':>5} {'variant':<12} {'steps':>6} {'s/step':>9} {'Mcell/s':>9} {'B/cell':>6} {'GB/s':>7} {'%bw':>6} {'numpy x':>8}"
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for r in data["results"]:
        frac = r["fraction_of_bandwidth"]
        print(f"{r['size']:>5} {r['variant']:<12} {r['steps']:>6} {r['s_per_step']:>9.4f} "
              f"{r['cell_updates_per_s'] / 1e6:>9.1f} {r['bytes_per_cell']:>6} {r['GB_s']:>7.2f} "
              f"{_fmt(None if frac is None else 100 * frac, '6.1f')} {_fmt(r['numpy_ratio'], '8.1f')}")
        for name, v in (r.get("breakdown") or {}).items():
            fb = v.get("fraction_of_bandwidth")
            print(f"{'':>5}   {name:<18} {v['s_per_call']:>9.4f} s  {v['cell_updates_per_s'] / 1e6:>9.1f} Mcell/s  "
                  f"{100 * v['share_of_step']:5.1f}% of step"
                  + (f"  {v['GB_s']:.2f} GB/s ({100 * fb:.1f}% bw)" if fb is not None else ""))
    a = data["aims"]
    print(f"\naims (issue, 2-core CPU): >= 50% of bandwidth, >= 0.5 G cell-updates/s for the production step; "
          f"best production: {a['best_production_cell_updates_per_s'] / 1e9:.3f} G/s, "
          f"{100 * a['best_production_fraction_of_bandwidth']:.1f}% of triad bandwidth")


def main(argv=None) -> int:
    from bench_cli import Defaults, kernel_parser, parse_kernel_args, quick_or, write_json_atomic

    defaults = Defaults(sizes="64,128,192", quick_sizes="32", min_time=2.0, quick_min_time=0.2)
    ap = kernel_parser("Thermal solver speed benchmark", "thermal", defaults)
    ap.add_argument("--bw-mib", type=int, default=None, help="MiB per array for the bandwidth probe (default 512, quick 64)")
    ap.add_argument("--numpy-steps", type=int, default=None, help="NumPy reference steps timed per size (default 2, quick 1)")
    ap.add_argument("--radiating-faces", action="store_true",
                    help="the constant and production steps with ThermalSolver.radiating_faces (solver.radiating_faces)")
    ap.add_argument("--cold-cache", action="store_true",
                    help="compile into a fresh kernel cache so compile_s is a cold compile")
    args = parse_kernel_args(ap, defaults, argv)

    sizes, min_time = args.sizes, args.min_time
    bw_mib = quick_or(args.bw_mib, args.quick, 64, 512)
    numpy_steps = quick_or(args.numpy_steps, args.quick, 1, 2)
    if args.cold_cache:
        os.environ["REGOLITH_SIM_CACHE"] = tempfile.mkdtemp(prefix="regolith_bench_cache_")

    t0 = time.perf_counter()
    arch = backend.init(args.arch, args.precision)
    init_s = time.perf_counter() - t0
    F = 8 if args.precision == "f64" else 4
    data = {"benchmark": "thermal", "machine": machine_info(arch, args.precision),
            "settings": {"sizes": sizes, "min_time_s": min_time, "quick": args.quick, "dx_m": DX,
                         "numpy_steps": numpy_steps, "cold_cache": args.cold_cache,
                         "radiating_faces": args.radiating_faces},
            "byte_counting": ("per cell per step, each array once (neighbours from cache), writes once, no "
                              "write-allocate (STREAM convention); F = bytes per float, state int8: "
                              "diffuse 6F+1, update_properties 9F+2, step 15F+3, minimal_7pt 2F; source not counted"),
            "compile_s": {"runtime_init": init_s}}

    import membw
    print(f"[bench] bandwidth probe ({bw_mib} MiB arrays) ...", flush=True)
    bw = membw.measure_bandwidth(bw_mib, reps=3 if args.quick else 5)
    data["bandwidth"] = bw
    data["compile_s"]["membw_kernels"] = bw["compile_s"]
    bw_ref = bw["triad_GB_s"]

    print("[bench] agreement of numpy_reference_step with the kernels ...", flush=True)
    t0 = time.perf_counter()
    data["agreement"] = agreement_check(args.precision)
    data["compile_s"]["thermal_kernels_first_step"] = time.perf_counter() - t0  # dominated by first compile
    ag = data["agreement"]
    print(f"[bench]   worst relative difference {ag['worst_rel_diff']:.2e} (tolerance {ag['tolerance']:.0e}), "
          f"{'OK' if ag['passed'] else 'FAILED'}", flush=True)

    results = []
    for n in sizes:
        for variant in ("minimal_7pt", "constant", "production"):
            print(f"[bench] n={n} {variant} ...", flush=True)
            r = bench_size(n, variant, min_time, bw_ref, F, numpy_steps, breakdown=(variant == "production"),
                           radiating_faces=args.radiating_faces)
            if variant == "minimal_7pt" and "minimal_7pt" not in data["compile_s"]:
                data["compile_s"]["minimal_7pt"] = r["warmup_s"]
            results.append(r)
    data["results"] = results
    print("[bench] cost per step vs domain height at a fixed active region ...", flush=True)
    data["active_region"] = bench_active_region(min(sizes[0], 64), 16, (16, 64, 128), min_time)
    for r in data["active_region"]:
        print(f"[bench]   {r['n']}x{r['n']}x{r['nz']} ({r['active_layers']} layers active): "
              f"{r['s_per_step'] * 1e3:.2f} ms/step, {r['active_cell_updates_per_s'] / 1e6:.1f} M active cells/s")
    print("[bench] cost per step of a small moving spot vs bed area, multirate 1 and 16 ...", flush=True)
    edges = (32, 64) if args.quick else (64, 128, 256)
    data["bed_area"] = bench_bed_area(edges, 8, min_time)
    for r in data["bed_area"]:
        print(f"[bench]   {r['n']}x{r['n']}x{r['nz']} multirate {r['multirate']:>2}: {r['s_per_step'] * 1e3:.2f} ms/step, "
              f"{r['cells_updated_per_step'] / r['cells']:.2f} of the cells per step "
              f"({r['slow_tiles']}/{r['tiles']} tiles slow)")
    prod = [r for r in results if r["variant"] == "production"]
    best = max(prod, key=lambda r: r["cell_updates_per_s"])
    data["aims"] = {
        "bandwidth_fraction_target": 0.5, "cell_updates_per_s_target": 0.5e9,
        "best_production_cell_updates_per_s": best["cell_updates_per_s"],
        "best_production_fraction_of_bandwidth": best["fraction_of_bandwidth"],
        "met_bandwidth": bool(best["fraction_of_bandwidth"] >= 0.5),
        "met_cell_updates": bool(best["cell_updates_per_s"] >= 0.5e9),
        "bandwidth_bound_cell_updates_per_s": bw_ref * 1e9 / best["bytes_per_cell"],
    }
    data["machine"]["loadavg_1min_at_end"] = _loadavg()
    print_table(data)
    l0, l1, nc = data["machine"]["loadavg_1min_at_start"], data["machine"]["loadavg_1min_at_end"], os.cpu_count() or 1
    if (l0 or 0) > 0.5 * nc or (l1 or 0) > 1.5 * nc:  # the benchmark itself adds about nc to the end value
        data["machine"]["shared_machine_warning"] = True
        print(f"WARNING: 1-min load average {l0} at start, {l1} at end on {nc} cores: other processes shared the "
              f"machine, timings are pessimistic")
    out = Path(args.out)
    write_json_atomic(out, data)
    print(f"\nwrote {out}")
    return 0 if data["agreement"]["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
