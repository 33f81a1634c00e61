"""What the thermo-mechanics adds to a print's wall time (issue target: at most 2x the run without it).

    python benchmarks/mechanics_overhead.py [CASE.toml] [--arch auto|cpu|cuda|vulkan] [--quick]
                                           [--out benchmarks/results/mechanics_overhead.json]

One run of the case (default: the demo, examples/change8_brick.toml) with ``solver.mechanics = "layers"``,
in one process: the time spent in the per-layer updates is measured around each call, the thermal and
sintering run is the rest, and a 'final' analysis (one solve of the cooled part, ``part_mechanics``) is
timed on the same fields. Printed: the run without mechanics, each mode's mechanics time, and the ratio
(run + mechanics) / run for 'final' and 'layers'; CG iterations per solve. ``--quick`` shrinks the brick
(smoke test). Needs the whole package (regolith_sim and its dependencies), unlike the kernel benchmarks.
"""
import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_cli import add_out_option  # noqa: E402

QUICK = {"geometry.params.length": 8e-3, "geometry.params.width": 5e-3, "geometry.params.height": 1.5e-3,
         "solver.cooldown": 5.0}


def measure(case_path: Path, arch: str, quick: bool) -> dict:
    from gpu_kernels import backend
    from regolith_sim.config import load_case
    from regolith_sim.mechanics.coupling import part_mechanics
    from regolith_sim.simulation import Simulation

    backend.init(arch)
    over = {"solver.mechanics": "layers", **(QUICK if quick else {})}
    sim = Simulation(load_case(case_path, **over))
    mech = sim.mechanics
    update, solves = mech.update, []

    def timed_update(fields, T_final=None):
        t0 = time.perf_counter()
        out = update(fields, T_final)
        solves.append({"seconds": time.perf_counter() - t0, "cg_iterations": out["summary"]["cg_iterations"],
                       "load_bearing_cells": out["summary"]["load_bearing_cells"]})
        return out

    mech.update = timed_update
    t0 = time.perf_counter()
    result = sim.run(progress=False)  # its Result solves the cooled part once more, timed as a layer update
    total = time.perf_counter() - t0
    layers_s = sum(s["seconds"] for s in solves)
    run_s = total - layers_s
    g = sim.domain.grid
    t0 = time.perf_counter()
    final = part_mechanics(dict(result.fields, origin=g.origin), g.dx, sim.material,
                           support=sim.case.solver.mechanics_support, route=sim.case.process.source)
    final_s = time.perf_counter() - t0
    return {"case": str(case_path), "quick": quick, "arch": sim.arch,
            "grid": list(g.shape), "layers": sim.domain.n_layers, "run_without_mechanics_s": run_s,
            "final": {"seconds": final_s, "cg_iterations": final["summary"]["cg_iterations"],
                      "ratio": (run_s + final_s) / run_s},
            "layers_mode": {"seconds": layers_s, "solves": solves, "ratio": (run_s + layers_s) / run_s},
            "target_ratio": 2.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Wall time the thermo-mechanics adds to a print")
    ap.add_argument("case", nargs="?", default=str(ROOT / "examples" / "change8_brick.toml"))
    ap.add_argument("--arch", default="auto", help="Taichi backend (default auto)")
    ap.add_argument("--quick", action="store_true", help="a smaller brick (smoke test)")
    add_out_option(ap, "mechanics_overhead")
    args = ap.parse_args(argv)
    from bench_cli import write_json_atomic

    r = measure(Path(args.case), args.arch, args.quick)
    print(f"[bench] {r['case']} ({'quick' if args.quick else 'as given'}), grid {r['grid']}, {r['layers']} layers")
    print(f"[bench]   run without mechanics {r['run_without_mechanics_s']:.1f} s")
    f, lay = r["final"], r["layers_mode"]
    print(f"[bench]   final : one solve {f['seconds']:.2f} s ({f['cg_iterations']} CG iterations): "
          f"x{f['ratio']:.3f} (target <= x{r['target_ratio']:g})")
    print(f"[bench]   layers: {len(lay['solves'])} solves {lay['seconds']:.2f} s: x{lay['ratio']:.3f} "
          f"(target <= x{r['target_ratio']:g})")
    write_json_atomic(Path(args.out), r)
    print(f"[bench] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
