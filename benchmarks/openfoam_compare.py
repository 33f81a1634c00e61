"""Time to solution against OpenFOAM's laplacianFoam on issue 16's comparison case, each code at its best step.

    python benchmarks/openfoam_compare.py [--cells 128] [--multiples 0.9,5,10] [--foam-steps 10,20,40,80]
                                          [--ddt CrankNicolson] [--quick] [--out benchmarks/results/openfoam_compare.json]

The case (examples/verification/held-top-face.toml, regolith_sim.verification.cases.held_top_face): a 0.1 m
cube on ``--cells`` cells per edge, uniformly at 250 K, its top face held at 1500 K and the other faces
insulated, alpha = 5e-7 m2/s (k = 1 W/(m K), rho cp = 2e6 J/(m3 K)), 20.3 s simulated. The probe is the
temperature at depth sqrt(alpha t) = 3.19 mm under the centre of the top face, linearly interpolated between
the cell centres of the centre column (both codes the same way), against the erf solution
T = 1500 - 1250 erf(1/2) (Carslaw & Jaeger 1959, Sec. 2.4). Error = |T - T_exact| / 1250 K.

* regolith_sim: the full cube (``--cells``^3 cells, not the 2 x 2 column the verification case uses), one
  run per ``--multiples`` entry: dt = multiple x the explicit limit dx^2/(6 alpha), explicit steps up to 1,
  RKL2 super-time-steps above; timed after a warm-up run that compiles the kernels.
* OpenFOAM: laplacianFoam (Debian package ``openfoam``; blockMesh then the solver, serial, ``--ddt`` time
  scheme: ``Euler`` or ``CrankNicolson`` (0.9), PCG/DIC to 1e-8, Gauss linear corrected) with 20.3 s in each
  ``--foam-steps`` entry of equal steps; the time is the solver's wall time (blockMesh apart).

"Best step" of each code: the fastest of its runs whose probe error is at most ``--target`` (default: 1.5 x
regolith_sim's error with explicit steps, which is the grid's own error, 0.09 % at 128 cells). The ratio is
OpenFOAM's time / regolith_sim's, each at its best step (the issue aims at 30x). Both run on one thread
(REGOLITH_SIM_THREADS=1 is set here; laplacianFoam runs serially). Without laplacianFoam on the PATH the
script says so and exits 0 (nothing to compare), writing no JSON. ``--quick`` is 32 cells and short lists
(a smoke test of a few seconds each side).
"""
# no "from __future__ import annotations": Taichi reads kernel annotations as objects

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from math import erf, sqrt
from pathlib import Path

os.environ.setdefault("REGOLITH_SIM_THREADS", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import numpy as np  # noqa: E402

from bench_cli import add_out_option  # noqa: E402

SIZE, ALPHA, T_TOP, T_INIT, T_END = 0.1, 5e-7, 1500.0, 250.0, 20.3
PROBE_DEPTH = sqrt(ALPHA * T_END)
T_EXACT = T_TOP + (T_INIT - T_TOP) * erf(0.5)


def probe_error(column_T: np.ndarray, n: int) -> tuple[float, float]:
    """(probe temperature, relative error) from the centre column's temperatures, k = 0 at the bottom."""
    depth = (n - np.arange(n) - 0.5) * SIZE / n
    T = float(np.interp(PROBE_DEPTH, depth[::-1], np.asarray(column_T, float)[::-1]))
    return T, abs(T - T_EXACT) / (T_TOP - T_INIT)


# -- regolith_sim ---------------------------------------------------------------------------------------
def run_regolith(n: int, multiple: float, quiet: bool = True) -> dict:
    """One run on n^3 cells at ``multiple`` x the explicit limit; ``quiet``: leave out the layers heat has not
    reached yet (ThermalSolver.quiet_bottom, the default; off: every layer every step, as laplacianFoam)."""
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables
    from regolith_sim.verification.cases import _run, _run_sts, constant_material

    g = Grid((n, n, n), SIZE / n, (0.0, 0.0, -SIZE))
    s = ThermalSolver(g, ThermalTables.from_material(constant_material(1.0, 1.0 / (ALPHA * 1000.0), 1000.0),
                                                     rho_rel0=1.0), Boundary(T_sky=0.0, bottom="adiabatic",
                                                                             T_top=T_TOP),
                      quiet_bottom=quiet)
    s.fill_region(np.ones(g.shape, bool), T_INIT, 1.0)
    from gpu_kernels import backend

    backend.sync()
    w0, c0 = time.perf_counter(), time.process_time()
    if multiple > 1.0:
        info = _run_sts(s, T_END, multiple)
    else:
        info = {"dt_s": _run(s, T_END, safety=multiple), "steps": s.steps}
    backend.sync()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    T, err = probe_error(s.field("T")[n // 2, n // 2, :], n)
    return {"multiple": multiple, "quiet_bottom": quiet, "cell_updates": s.cell_updates, "wall_s": wall, "cpu_s": cpu, "probe_K": T, "error": err,
            "balance_error": s.sync_ledger().balance_error,
            **{k: v for k, v in info.items() if k in ("steps", "stages", "dt_s")}}


# -- OpenFOAM -------------------------------------------------------------------------------------------
HEADER = """FoamFile {{ version 2.0; format ascii; class {cls}; object {obj}; }}
"""


def write_foam_case(folder: Path, n: int, steps: int, ddt: str) -> None:
    dt = T_END / steps
    files = {
        "system/blockMeshDict": ("dictionary", "blockMeshDict", f"""convertToMeters {SIZE};
vertices ((0 0 0) (1 0 0) (1 1 0) (0 1 0) (0 0 1) (1 0 1) (1 1 1) (0 1 1));
blocks (hex (0 1 2 3 4 5 6 7) ({n} {n} {n}) simpleGrading (1 1 1));
boundary (
  top {{ type patch; faces ((4 5 6 7)); }}
  walls {{ type wall; faces ((0 3 2 1) (0 1 5 4) (1 2 6 5) (2 3 7 6) (3 0 4 7)); }}
);
"""),
        "system/controlDict": ("dictionary", "controlDict", f"""application laplacianFoam;
startFrom startTime; startTime 0; stopAt endTime; endTime {T_END}; deltaT {dt!r};
writeControl timeStep; writeInterval {steps}; purgeWrite 0; writeFormat ascii; writePrecision 12;
writeCompression off; timeFormat general; timePrecision 8; runTimeModifiable false;
"""),
        "system/fvSchemes": ("dictionary", "fvSchemes", f"""ddtSchemes {{ default {'CrankNicolson 0.9' if ddt == 'CrankNicolson' else 'Euler'}; }}
gradSchemes {{ default Gauss linear; }}
divSchemes {{ default none; }}
laplacianSchemes {{ default Gauss linear corrected; }}
interpolationSchemes {{ default linear; }}
snGradSchemes {{ default corrected; }}
"""),
        "system/fvSolution": ("dictionary", "fvSolution", """solvers { T { solver PCG; preconditioner DIC; tolerance 1e-08; relTol 0; } }
SIMPLE { nNonOrthogonalCorrectors 0; }
"""),
        "constant/transportProperties": ("dictionary", "transportProperties",
                                         f"DT DT [0 2 -1 0 0 0 0] {ALPHA};\n"),
        "0/T": ("volScalarField", "T", f"""dimensions [0 0 0 1 0 0 0];
internalField uniform {T_INIT};
boundaryField {{ top {{ type fixedValue; value uniform {T_TOP}; }} walls {{ type zeroGradient; }} }}
"""),
    }
    for rel, (cls, obj, body) in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER.format(cls=cls, obj=obj) + body)


def read_foam_column(folder: Path, n: int) -> np.ndarray:
    """The centre column of the last written T (blockMesh numbers cells x fastest, then y, then z)."""
    times = [d for d in folder.iterdir() if d.is_dir() and re.fullmatch(r"[0-9.eE+-]+", d.name) and d.name != "0"]
    last = max(times, key=lambda d: float(d.name))
    text = (last / "T").read_text()
    body = text[text.index("internalField"):]
    m = re.search(r"nonuniform\s+List<scalar>\s*(\d+)\s*\(", body)
    count = int(m.group(1))
    values = np.array(body[m.end():].split(")", 1)[0].split(), float)
    assert values.size == count == n ** 3, (values.size, count)
    return values.reshape(n, n, n)[:, n // 2, n // 2]  # [k, j, i]


def foam_env() -> dict:
    """The environment for OpenFOAM's tools: Debian's package finds its etc/ files through WM_PROJECT_DIR
    (what its etc/bashrc sets)."""
    env = dict(os.environ)
    if "WM_PROJECT_DIR" not in env and Path("/usr/share/openfoam/etc").is_dir():
        env["WM_PROJECT_DIR"] = "/usr/share/openfoam"
    return env


def run_foam(n: int, steps: int, ddt: str, work: Path) -> dict:
    folder = work / f"foam_{n}_{steps}_{ddt}"
    shutil.rmtree(folder, ignore_errors=True)
    write_foam_case(folder, n, steps, ddt)
    env = foam_env()
    mesh = subprocess.run(["blockMesh", "-case", str(folder)], capture_output=True, text=True, env=env)
    if mesh.returncode != 0:
        raise RuntimeError(f"blockMesh failed: {mesh.stdout[-2000:]}{mesh.stderr[-2000:]}")
    w0 = time.perf_counter()
    r = subprocess.run(["laplacianFoam", "-case", str(folder)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - w0
    if r.returncode != 0:
        raise RuntimeError(f"laplacianFoam failed: {r.stdout[-2000:]}{r.stderr[-2000:]}")
    T, err = probe_error(read_foam_column(folder, n), n)
    return {"steps": steps, "dt_s": T_END / steps, "ddt": ddt, "wall_s": wall, "probe_K": T, "error": err}


def best(runs: list, target: float) -> dict | None:
    ok = [r for r in runs if r["error"] <= target]
    return min(ok, key=lambda r: r["wall_s"]) if ok else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=None, help="cells per cube edge (default 128; --quick 32)")
    ap.add_argument("--multiples", default=None, help="regolith_sim steps / explicit limit (default 0.9,5,10)")
    ap.add_argument("--foam-steps", default=None, help="OpenFOAM step counts over 20.3 s (default 10,20,40,80)")
    ap.add_argument("--ddt", choices=("Euler", "CrankNicolson"), default="CrankNicolson")
    ap.add_argument("--target", type=float, default=None,
                    help="largest probe error accepted (default 1.5 x regolith_sim's explicit-step error)")
    ap.add_argument("--quick", action="store_true", help="32 cells, short step lists (a smoke test)")
    ap.add_argument("--keep", action="store_true", help="keep the OpenFOAM case folders (printed)")
    ap.add_argument("--every-layer", action="store_true",
                    help="also run regolith_sim over every layer every step (quiet bottom off), as laplacianFoam does")
    add_out_option(ap, "openfoam_compare")
    args = ap.parse_args(argv)
    if shutil.which("laplacianFoam") is None or shutil.which("blockMesh") is None:
        print("OpenFOAM's laplacianFoam/blockMesh are not on the PATH (Debian: apt-get install openfoam): "
              "nothing to compare")
        return 0
    n = args.cells or (32 if args.quick else 128)
    multiples = [float(x) for x in (args.multiples or ("0.9,5" if args.quick else "0.9,5,10")).split(",")]
    foam_steps = [int(x) for x in (args.foam_steps or ("10,20" if args.quick else "10,20,40,80")).split(",")]

    from gpu_kernels import backend
    from bench_cli import write_json_atomic
    from thermal import _loadavg, machine_info

    arch = backend.init("cpu", "f64")
    machine = machine_info(arch, backend.current_precision())
    run_regolith(8, 0.9), run_regolith(8, 5.0)  # compile the kernels (explicit and super-time-steps)
    ours, every = [], []
    for m in multiples:
        for quiet in (True, False) if args.every_layer else (True,):
            r = run_regolith(n, m, quiet)
            (ours if quiet else every).append(r)
            print(f"regolith_sim {n}^3, dt = {m:g} x explicit limit{'' if quiet else ', every layer'}: "
                  f"{r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s cpu, {r['cell_updates']:.3g} cell updates, "
                  f"probe {r['probe_K']:.3f} K (exact {T_EXACT:.3f}), error {r['error']:.2e}", flush=True)
    explicit = [r for r in ours if r["multiple"] <= 1.0]
    target = args.target or 1.5 * (explicit[0]["error"] if explicit else min(r["error"] for r in ours))
    work = Path(tempfile.mkdtemp(prefix="openfoam_compare_"))
    foam = []
    try:
        for steps in foam_steps:
            r = run_foam(n, steps, args.ddt, work)
            foam.append(r)
            print(f"laplacianFoam {n}^3 ({args.ddt}), {steps} steps: {r['wall_s']:.2f} s wall, probe "
                  f"{r['probe_K']:.3f} K, error {r['error']:.2e}", flush=True)
    finally:
        if args.keep:
            print(f"OpenFOAM cases kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    b_ours, b_foam = best(ours, target), best(foam, target)
    ratio = b_foam["wall_s"] / b_ours["wall_s"] if b_ours and b_foam else None
    print(f"target probe error {target:.2e}: regolith_sim best {b_ours and b_ours['wall_s']:.3g} s "
          if b_ours else f"target probe error {target:.2e}: no regolith_sim run within it ", end="")
    print(f"(dt = {b_ours['multiple']:g} x limit), OpenFOAM best " if b_ours else "", end="")
    print(f"{b_foam['wall_s']:.3g} s ({b_foam['steps']} steps)" if b_foam else "none within it (add --foam-steps)")
    if ratio is not None:
        print(f"time to solution, OpenFOAM / regolith_sim: {ratio:.2f}x (the issue aims at 30x)")
    b_every = best(every, target)
    if b_every and b_foam:
        print(f"... over every layer (quiet bottom off): {b_foam['wall_s'] / b_every['wall_s']:.2f}x")
    machine["loadavg_1min_at_end"] = _loadavg()
    write_json_atomic(Path(args.out), {
        "machine": machine, "case": {"size_m": SIZE, "cells": n, "alpha_m2_s": ALPHA, "T_top_K": T_TOP,
                                     "T_initial_K": T_INIT, "t_end_s": T_END, "probe_depth_m": PROBE_DEPTH,
                                     "probe_exact_K": T_EXACT},
        "settings": {"multiples": multiples, "foam_steps": foam_steps, "ddt": args.ddt, "target_error": target,
                     "threads": os.environ.get("REGOLITH_SIM_THREADS")},
        "regolith_sim": ours, "regolith_sim_every_layer": every, "openfoam": foam, "best": {"regolith_sim": b_ours, "openfoam": b_foam},
        "time_ratio_openfoam_over_regolith_sim": ratio})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
