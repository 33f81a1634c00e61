"""Writes the notebooks of this folder from the cells below (committed without outputs).

Run `python notebooks/make_notebooks.py` after editing; tests/test_notebooks.py executes them."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

SETUP = '''import os
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt

# The repository root (holds examples/); notebooks run from notebooks/.
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "examples").is_dir())
OUT = Path(os.environ.get("REGOLITH_SIM_NOTEBOOK_OUT", ROOT / "results" / "notebooks"))
# The test suite sets this to run every notebook on a small grid in seconds.
SMALL = os.environ.get("REGOLITH_SIM_NOTEBOOK_SMALL") == "1"
SMALL_BRICK = {"geometry.params": {"length": "6 mm", "width": "4 mm", "height": "1 mm"},
               "site.substrate_depth": "2 mm", "process.spot_diameter": "2 mm", "process.hatch_spacing": "1.2 mm",
               "process.dwell": "1 s", "solver.cooldown": "2 s", "output.probes": [],
               "solver.resolution": 1} if SMALL else {}'''

QUICK_START = [
    new_markdown_cell("""# Quick start: print a Chang'e-8-style brick

Load the reference case, run it, and look at what came out: the summary numbers, the temperature
and density fields, and the as-built part. Every quantity is SI (K, m, s, W, J)."""),
    new_code_cell(SETUP),
    new_code_cell('''from regolith_sim.config import load_case

case = load_case(ROOT / "examples" / "change8_brick.toml", **SMALL_BRICK)
print(case.material.name, "at", case.site.name)
print(f"source {case.process.source}: {case.process.power} W on a {case.process.spot_diameter * 1e3:g} mm spot "
      f"at {case.process.scan_speed * 1e3:g} mm/s, layers of {case.process.layer_thickness * 1e3:g} mm")'''),
    new_markdown_cell("Change any number in code before building the simulation, e.g. `case.process.power = 25.0`. "
                      "The case resolves each 0.5 mm layer by three cells (`case.solver.resolution`), where what "
                      "consolidates has settled: about eight minutes on 2 CPU cores. `case.solver.resolution = 1` "
                      "previews it in under a minute, within 4 % of what consolidates; the bonding between layers "
                      "differs more, and settles only from four cells per layer, where it is about half of what "
                      "three give (README, *What it does not model yet*)."),
    new_code_cell('''from regolith_sim.simulation import Simulation

sim = Simulation(case)
print("grid", sim.domain.grid.shape, "cells of", sim.domain.grid.dx * 1e3, "mm;", sim.domain.n_layers, "layers;",
      f"{sim.t_end:.1f} s to simulate on {sim.arch}")
result = sim.run(progress=False)
result.summary["part"], result.summary["melt_pool"]'''),
    new_code_cell('''s = result.summary
print(f"peak temperature {s['peak_temperature_K']:.0f} K; energy balance error {s['energy']['balance_error']:.1e}")
print(f"part: relative density {s['part']['mean_relative_density']:.3f}, "
      f"{100 * s['part']['consolidated_fraction']:.0f} % of the part consolidated")'''),
    new_markdown_cell("## Fields\n`result.fields` holds NumPy arrays on the grid: `T` [K], `rho_rel`, `state` "
                      "(0 void, 1 powder, 2 sintered, 3 molten, 4 re-solidified), `T_peak` [K], `t_hot` [s]."),
    new_code_cell('''f, g = result.fields, result.grid
j = f["part_mask"].any(axis=(0, 2)).nonzero()[0].mean().astype(int)   # mid-width of the part
ext = [g.origin[0] * 1e3, (g.origin[0] + g.extent[0]) * 1e3, g.origin[2] * 1e3, (g.origin[2] + g.extent[2]) * 1e3]
fig, ax = plt.subplots(2, 1, figsize=(8, 5), constrained_layout=True)
for a, name, label in ((ax[0], "T_peak", "peak temperature [K]"), (ax[1], "rho_rel", "relative density")):
    data = np.where(f["state"][:, j, :] > 0, f[name][:, j, :], np.nan)
    im = a.imshow(data.T, origin="lower", extent=ext, aspect="equal")
    fig.colorbar(im, ax=a, label=label)
    a.set(xlabel="x [mm]", ylabel="z [mm]")'''),
    new_markdown_cell("## Controlling the run step by step\n`Simulation.step()` advances one stable step "
                      "and returns it, for control loops (e.g. a pyrometer feedback on power)."),
    new_code_cell('''ctl = Simulation(case)
x, y, z = 3e-3, 2e-3, case.process.layer_thickness - 0.25e-3   # a point in the first layer
trace = []
while ctl.thermal.time < 2.0:
    ctl.step()
    trace.append((ctl.thermal.time, ctl.thermal.temperature_at(x, y, z)))
t, T = np.array(trace).T
plt.plot(t, T); plt.xlabel("time [s]"); plt.ylabel("temperature at the probe [K]");'''),
    new_markdown_cell("## The as-built part\nThe isosurface of the consolidated material where it lies after "
                      "settling (`volume_fill`: the share of each cell it fills, its vesicles' volume included), "
                      "watertight, ready for CAD: the STL in "
                      "millimetres, as slicers and CAD read it. `run_job` (what `regolith-sim run` calls) writes it "
                      "with every other output."),
    new_code_cell('''import geometries
from regolith_sim.io.part_mesh import as_built_mesh

mesh = as_built_mesh(f["state"], g.origin, g.dx, f["volume_fill"], f["part_mask"])  # loose bed fragments left out
print(f"watertight: {mesh.is_watertight}, volume {mesh.volume * 1e9:.1f} mm^3, extents {mesh.extents * 1e3} mm, "
      f"height {result.summary['part']['height_m'] * 1e3:.2f} mm")
OUT.mkdir(parents=True, exist_ok=True)
geometries.export(mesh, OUT / "quick_start_part.stl", units="mm")'''),
]

PROCESS_MAP = [
    new_markdown_cell("""# Process map: power x scan speed

Run the brick print over a grid of spot powers and scan speeds and map the outcome: the consolidated
fraction of the part and the melt-pool depth (the table also holds the mean relative density and the peak
temperature). (For large maps on many cores or GPUs use `regolith-sim sweep`.)"""),
    new_code_cell(SETUP),
    new_code_cell('''import pandas as pd

from regolith_sim.config import load_case
from regolith_sim.simulation import Simulation

powers = [10.0, 16.0] if SMALL else [10.0, 15.0, 20.0, 25.0]          # W
speeds = [3e-3, 6e-3] if SMALL else [1e-3, 2e-3, 4e-3, 8e-3]            # m/s
rows = []
for P in powers:
    for v in speeds:
        case = load_case(ROOT / "examples" / "change8_brick.toml",
                         # one layer, one cell deep: the map in minutes (check chosen points at resolution 3)
                         **{"solver.resolution": 1, **SMALL_BRICK, "process.power": P, "process.scan_speed": v,
                            "process.layers": 1})
        s = Simulation(case).run(progress=False).summary
        h = case.process.hatch_spacing
        rows.append({"power_W": P, "speed_m_s": v, "areal_energy_density_J_m2": P / (v * h),
                     "density": s["part"]["mean_relative_density"],
                     "consolidated": s["part"]["consolidated_fraction"],
                     "melt_depth_m": s["melt_pool"]["max_depth_m"], "peak_K": s["peak_temperature_K"]})
df = pd.DataFrame(rows)
df'''),
    new_code_cell('''fig, ax = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
for a, z, label in ((ax[0], "consolidated", "consolidated fraction of the part"),
                    (ax[1], "melt_depth_m", "melt-pool depth [m]")):
    grid = df.pivot(index="speed_m_s", columns="power_W", values=z)
    cs = a.contourf(grid.columns, grid.index * 1e3, grid.values, levels=12)
    fig.colorbar(cs, ax=a, label=label)
    a.set(xlabel="spot power [W]", ylabel="scan speed [mm/s]")'''),
    new_markdown_cell("More of the part consolidates, and the melt pools run deeper, towards high power and low "
                      "speed, i.e. high areal energy density `P / (v h)`:"),
    new_code_cell('df.sort_values("areal_energy_density_J_m2")'
                  '[["areal_energy_density_J_m2", "consolidated", "melt_depth_m"]]'),
]

HABITAT = [
    new_markdown_cell("""# A habitat from printed bricks

Print one brick, take its as-built volume, and work out what a regolith-shielded habitat needs:
the dome's shielding, the number of printed bricks, an arch of catenary voussoirs, and its export for CAD
(STL, 3MF). A printed part's FEA meshes (VTU, Abaqus, Gmsh) come from a run: `output.mesh_formats`."""),
    new_code_cell(SETUP),
    new_code_cell('''import geometries

dome = geometries.part_report("dome-habitat", {"inner_radius": "2.5 m", "shield_thickness": "0.5 m"}, "1500 kg/m3")
print(f"shield volume {dome['volume_m3']:.1f} m^3, mass {dome['mass_kg'] / 1e3:.1f} t")
for ray, g_cm2 in dome["areal_density_g_cm2"].items():
    print(f"  shielding along {ray}: {g_cm2:.0f} g/cm^2")'''),
    new_markdown_cell("## Print one brick and measure it\nThe as-built brick is what consolidated, not the nominal box."),
    new_code_cell('''from regolith_sim.config import load_case
from regolith_sim.simulation import run_job

case = load_case(ROOT / "examples" / "change8_brick.toml",
                 **{**SMALL_BRICK, "output.plots": False, "output.render": False, "output.mesh_formats": ["stl"]})
result, files = run_job(case, OUT / "habitat_brick")
brick = geometries.load_mesh(files["part_stl"], scale=0.001)  # part.stl is in mm
nominal = geometries.build(case.geometry.part, **case.geometry.params)
print(f"nominal brick {nominal.volume * 1e9:.1f} mm^3; as-built {brick.volume * 1e9:.1f} mm^3 at relative density "
      f"{result.summary['part']['mean_relative_density']:.2f}")'''),
    new_code_cell('''shell = geometries.build("dome-habitat", inner_radius="2.5 m", shield_thickness="0.5 m")
n = geometries.bricks_needed(shell, brick, joint_fraction=0.02)
print(f"{n:.3g} printed bricks of {brick.volume * 1e9:.0f} mm^3 for the shield")'''),
    new_markdown_cell("## An arch of voussoirs\nThe arch is cut into voussoirs that a printer makes one by one."),
    new_code_cell('''params = {"span": "1 m", "rise": "0.5 m", "thickness": "0.1 m", "depth": "0.2 m", "n_segments": 9}
voussoirs = geometries.build_arch_segments(**params)
arch = geometries.build_whole_arch(**params)
print(f"{len(voussoirs)} voussoirs, arch volume {arch.volume:.4f} m^3 = sum of voussoirs "
      f"{sum(v.volume for v in voussoirs):.4f} m^3; all watertight: {all(v.is_watertight for v in voussoirs)}")
OUT.mkdir(parents=True, exist_ok=True)
for fmt in ("stl", "3mf"):  # (STL in mm, as CAD reads it; 3MF declares its mm)
    geometries.export(arch, OUT / f"arch.{fmt}", units="mm")
fig = plt.figure(figsize=(6, 4)); ax = fig.add_subplot(projection="3d")
for v in voussoirs:
    ax.plot_trisurf(*v.vertices.T, triangles=v.faces, alpha=0.8)
ax.set_box_aspect(np.array(arch.extents));'''),
]


def main() -> None:
    for name, cells in (("01_quick_start", QUICK_START), ("02_process_map", PROCESS_MAP), ("03_habitat", HABITAT)):
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                "language": "python"}})
        nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
