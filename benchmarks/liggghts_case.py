"""The LIGGGHTS comparison case of issue 17, built identically for our DEM and for LIGGGHTS 3.8.0.

20,000 monodisperse spheres (d = 2 mm, rho_p = 3000 kg/m^3) start on a seeded jittered lattice
(35 x 35 columns, pitch 2.2 mm, 17 layers filled from the bottom, each centre moved by a uniform
+-0.08 mm per axis; seed 17) in a 78 mm x 78 mm box with a floor and four side walls, and settle
under lunar gravity (1.62 m/s^2) for 20,000 steps of dt = 1e-5 s (0.2 s). Contacts: Hertz-Mindlin
with history (E = 5e7 Pa, nu = 0.25, restitution 0.5, sliding friction 0.5) and elastic-plastic
spring-dashpot rolling resistance (mu_r = 0.3, viscous damping ratio 0.3: Ai et al. 2011 model C,
LIGGGHTS' ``rolling_friction epsd``); walls have the grains' properties. Neighbour skin 0.4 mm.

Known model differences (documented in benchmarks/README.md): the normal damping of LIGGGHTS'
Hertz model is Tsuji's with beta = ln e / sqrt(ln^2 e + pi^2), ours is calibrated to return e exactly;
LIGGGHTS' epsd rolling stiffness uses its own k_n = 4/3 E* sqrt(R* delta) (ours 2 E* sqrt(R* delta)).

Measured on the settled bed, the same way for both codes: the bed height H [m] is the mean of the
top-surface height map (cells of one diameter) away from the side walls (2 d margin), and the
packing fraction is the solid volume of all grains over the box footprint times H.
Only NumPy is needed here (LIGGGHTS is run as a subprocess when ``liggghts`` is on the PATH).
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

CASE = dict(n=20_000, d=2e-3, rho=3000.0, youngs=5e7, poisson=0.25, restitution=0.5, friction=0.5,
            rolling=0.3, rolling_damping=0.3, g=1.62, dt=1e-5, steps=20_000, box=0.078, box_height=0.08,
            columns=35, pitch=2.2e-3, jitter=0.08e-3, seed=17, skin=0.4e-3)


def lattice(case=CASE) -> np.ndarray:
    """Initial centres (n, 3) [m]: the seeded jittered lattice, filled layer by layer from the floor."""
    c, p = case["columns"], case["pitch"]
    layers = -(-case["n"] // (c * c))
    k, j, i = np.meshgrid(np.arange(layers), np.arange(c), np.arange(c), indexing="ij")
    margin = 0.5 * (case["box"] - c * p)
    x = np.stack([margin + (i + 0.5) * p, margin + (j + 0.5) * p, (k + 0.5) * p], -1).reshape(-1, 3)[:case["n"]]
    rng = np.random.default_rng(case["seed"])
    return x + rng.uniform(-case["jitter"], case["jitter"], x.shape)


def bed_metrics(x: np.ndarray, r: np.ndarray, case=CASE) -> dict:
    """Settled bed height [m] (mean top surface away from the walls) and packing fraction."""
    d, box = case["d"], case["box"]
    edges = np.arange(2 * d, box - 2 * d + 1e-12, d)
    nx = len(edges) - 1
    ix = np.searchsorted(edges, x[:, 0]) - 1
    iy = np.searchsorted(edges, x[:, 1]) - 1
    ok = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < nx)
    top = np.zeros((nx, nx))
    np.maximum.at(top, (ix[ok], iy[ok]), x[ok, 2] + r[ok])
    h = float(top.mean())
    solid = float(np.sum(4.0 / 3.0 * np.pi * r**3))
    return dict(height_m=h, packing=solid / (box * box * h))


def run_ours(case=CASE, steps: int | None = None, resort_steps: int | None = None) -> dict:
    """Our DEMSystem on the case (runtime already started); the kernels are compiled on an 8-grain
    copy of the case first, so the timed run excludes compilation. ``resort_steps``: steps between
    re-sorts of the grains by cell (None: DEMSystem's default, 0: never)."""
    from gpu_kernels import backend
    from regolith_sim.particles.dem import DEMSystem, container
    from regolith_sim.particles.physics import ContactModel

    steps = steps or case["steps"]
    c = ContactModel(density=case["rho"], youngs_modulus=case["youngs"], poisson_ratio=case["poisson"],
                     restitution=case["restitution"], friction=case["friction"], friction_wall=case["friction"],
                     rolling_friction=case["rolling"], rolling_damping=case["rolling_damping"])
    b = case["box"]
    walls = container((0, 0, 0), (b, b, case["box_height"]))
    domain = ((-1e-3, -1e-3, -1e-3), (b + 1e-3, b + 1e-3, case["box_height"]))
    x = lattice(case)
    r = np.full(len(x), 0.5 * case["d"])
    kw = dict(walls=walls, gravity=case["g"], dt=case["dt"], skin=case["skin"])
    DEMSystem(x[:8], r[:8], c, **kw).step(2)  # compile
    s = DEMSystem(x, r, c, domain=domain, resort_steps=resort_steps, **kw)
    backend.sync()
    t0 = time.perf_counter()
    s.step(steps)
    backend.sync()
    wall = time.perf_counter() - t0
    out = dict(code="regolith_sim", steps=steps, wall_s=wall, particle_steps_per_s=len(x) * steps / wall,
               rebuilds=s.n_rebuilds, slots=s._lists.slots, resort_steps=s.resort_steps, resorts=s.n_resorts)
    out.update(bed_metrics(s.positions, r, case))
    return out


LIGGGHTS_INPUT = """\
atom_style granular
atom_modify map array
boundary f f f
newton off
communicate single vel yes
units si
read_data data.case
neighbor {skin} bin
neigh_modify delay 0
fix m1 all property/global youngsModulus peratomtype {youngs}
fix m2 all property/global poissonsRatio peratomtype {poisson}
fix m3 all property/global coefficientRestitution peratomtypepair 1 {restitution}
fix m4 all property/global coefficientFriction peratomtypepair 1 {friction}
fix m5 all property/global coefficientRollingFriction peratomtypepair 1 {rolling}
fix m6 all property/global coefficientRollingViscousDamping peratomtypepair 1 {rolling_damping}
pair_style gran model hertz tangential history rolling_friction epsd
pair_coeff * *
timestep {dt}
fix gravi all gravity {g} vector 0.0 0.0 -1.0
fix w0 all wall/gran model hertz tangential history rolling_friction epsd primitive type 1 zplane 0.0
fix w1 all wall/gran model hertz tangential history rolling_friction epsd primitive type 1 xplane 0.0
fix w2 all wall/gran model hertz tangential history rolling_friction epsd primitive type 1 xplane {box}
fix w3 all wall/gran model hertz tangential history rolling_friction epsd primitive type 1 yplane 0.0
fix w4 all wall/gran model hertz tangential history rolling_friction epsd primitive type 1 yplane {box}
fix integr all nve/sphere
thermo 5000
run {steps}
write_dump all custom final.dump id x y z radius
"""


def liggghts_available() -> str | None:
    return shutil.which("liggghts")


def run_liggghts(case=CASE, steps: int | None = None, procs: int | None = None) -> dict:
    """LIGGGHTS on the same case (MPI with ``procs`` ranks when mpirun exists, default: all cores);
    the rate is from its own 'Loop time', which excludes reading the input."""
    steps = steps or case["steps"]
    exe = liggghts_available()
    procs = procs or os.cpu_count() or 1
    x = lattice(case)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        b = case["box"]
        lines = ["LIGGGHTS data file (regolith_sim benchmark case)", "", f"{len(x)} atoms", "1 atom types",
                 f"0 {b} xlo xhi", f"0 {b} ylo yhi", f"0 {case['box_height']} zlo zhi", "", "Atoms", ""]
        lines += [f"{i + 1} 1 {case['d']} {case['rho']} {p[0]:.9e} {p[1]:.9e} {p[2]:.9e}" for i, p in enumerate(x)]
        (t / "data.case").write_text("\n".join(lines) + "\n")
        (t / "in.case").write_text(LIGGGHTS_INPUT.format(**{**case, "steps": steps}))
        cmd = [exe, "-in", "in.case", "-log", "log.case", "-nocite"]
        if procs > 1 and shutil.which("mpirun"):
            cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(procs)] + cmd
        res = subprocess.run(cmd, cwd=t, capture_output=True, text=True)
        log = res.stdout + res.stderr
        m = re.search(r"Loop time of ([0-9.eE+-]+) on (\d+) procs", log)
        if res.returncode != 0 or not m:
            raise RuntimeError("liggghts failed:\n" + log[-3000:])
        loop = float(m.group(1))
        dump = (t / "final.dump").read_text().splitlines()
        start = next(k for k, ln in enumerate(dump) if ln.startswith("ITEM: ATOMS")) + 1
        a = np.array([ln.split() for ln in dump[start:]], float)
    out = dict(code="liggghts 3.8.0", procs=int(m.group(2)), steps=steps, wall_s=loop,
               particle_steps_per_s=len(x) * steps / loop)
    out.update(bed_metrics(a[:, 1:4], a[:, 4], case))
    return out
