"""The DEM system: owns the grain arrays and drives the kernels of :mod:`gpu_kernels.particles`.

Only Taichi and numpy are imported here (the benchmark and the GPU machine use this module).
All quantities SI. Typical use::

    dem = DEMSystem(positions, radii, ContactModel(...), walls=container(lo, hi))
    dem.run(0.2)                  # seconds of simulated time
    x = dem.positions             # numpy copies

Integration is velocity Verlet (kick-drift-kick) with a step from the Rayleigh time of the
smallest grain; neighbours come from a cell-list counting sort into a Verlet list with a skin,
rebuilt whenever a grain has moved half the skin (so the cost stays linear in N).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from gpu_kernels import backend
from gpu_kernels import particles as K
from gpu_kernels import particles_thermal as KT
from gpu_kernels.backend import ti

from ..errors import UserError
from ..memory import available_memory
from .physics import G_MOON, ContactModel, SinterModel, ThermalModel, hertz_damping_factor, rayleigh_time

_FAR = 1.0e20  # parked walls sit this far away
#: Largest time step accepted for a dynamic run, as a fraction of the Rayleigh time of the smallest
#: grain. Explicit DEM with Hertz contacts is run at 0.1-0.3 t_R (Li, Xu & Thornton 2005, Powder
#: Technol. 160:219; LIGGGHTS warns above 0.2 t_R); beyond about half of it a grain crosses a
#: large part of the contact in one step and collisions gain energy.
DT_RAYLEIGH_MAX = 0.5
#: on a CPU, systems of at most this many grains step in one serial launch per chunk of steps
#: (kernels.dem_run_serial): below it a step's launch costs more than its work on one thread
SERIAL_MAX_GRAINS = 4000
#: at most this many steps per serial launch: Ctrl-C is seen between launches (a few tenths of a second)
SERIAL_CHUNK_STEPS = 1000


def memory_estimate(n: int, slots: int, n_walls: int, f_bytes: int) -> int:
    """Bytes the arrays of :class:`DEMSystem` take for ``n`` grains: per grain 6 vec3 and 2 vec4 of
    state, 5 scalars, the wall history (2 vec3 per wall) and two neighbour lists (live and spare) of
    ``slots`` partners, each an int and 7 floats of history; the cell grid is at most 8 ints per grain."""
    own = 26 * f_bytes + 4 * 4 + f_bytes + 8 * 4
    walls = 6 * f_bytes * n_walls
    lists = 2 * (slots * (4 + 7 * f_bytes) + 4)
    return int(n * (own + walls + lists))


@dataclass
class BoxWall:
    """Axis-aligned box obstacle (plate, side wall, recoater blade) [m], moving at ``velocity`` [m/s]."""

    lo: Sequence[float]
    hi: Sequence[float]
    velocity: Sequence[float] = (0.0, 0.0, 0.0)
    name: str = ""
    friction: float | None = None  #: sliding friction; None: ContactModel.friction_wall
    rolling_friction: float | None = None  #: None: ContactModel.rolling_friction_wall
    cohesive: bool | None = None  #: None: ContactModel.cohesion_walls


def plate(lo_xy: Sequence[float], hi_xy: Sequence[float], z: float = 0.0, thickness: float = 1e-3,
          name: str = "plate") -> BoxWall:
    """A build plate: its top face at height ``z`` [m] over the rectangle lo_xy-hi_xy."""
    return BoxWall((lo_xy[0], lo_xy[1], z - thickness), (hi_xy[0], hi_xy[1], z), name=name)


def container(lo: Sequence[float], hi: Sequence[float], thickness: float = 1e-3) -> list[BoxWall]:
    """Open-top box of inner extent lo-hi [m]: a floor and four side walls (names plate, x-, x+, y-, y+)."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    t = thickness
    return [
        BoxWall((x0 - t, y0 - t, z0 - t), (x1 + t, y1 + t, z0), name="plate"),
        BoxWall((x0 - t, y0 - t, z0 - t), (x0, y1 + t, z1), name="x-"),
        BoxWall((x1, y0 - t, z0 - t), (x1 + t, y1 + t, z1), name="x+"),
        BoxWall((x0 - t, y0 - t, z0 - t), (x1 + t, y0, z1), name="y-"),
        BoxWall((x0 - t, y1, z0 - t), (x1 + t, y1 + t, z1), name="y+"),
    ]


def blade(x_front: float, y0: float, y1: float, z_bottom: float, height: float, thickness: float,
          speed: float, name: str = "blade") -> BoxWall:
    """A recoater blade: a box whose front face is at ``x_front`` [m], bottom edge at ``z_bottom``,
    moving along +x at ``speed`` [m/s]."""
    return BoxWall((x_front - thickness, y0, z_bottom), (x_front, y1, z_bottom + height), (speed, 0.0, 0.0), name)


@dataclass
class Packing:
    """A static arrangement of grains: centres (N, 3) [m], radii (N,) [m] and the inner box
    (container) they fill [m]; what the scenario functions pass to each other."""

    positions: np.ndarray
    radii: np.ndarray
    box_lo: np.ndarray
    box_hi: np.ndarray
    contact: ContactModel | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.positions = np.asarray(self.positions, float).reshape(-1, 3)
        self.radii = np.asarray(self.radii, float).reshape(-1)
        self.box_lo = np.asarray(self.box_lo, float)
        self.box_hi = np.asarray(self.box_hi, float)

    @property
    def n(self) -> int:
        return len(self.radii)

    @property
    def solid_volume(self) -> float:
        return float(np.sum(4.0 / 3.0 * np.pi * self.radii**3))


def _npf():
    return np.float32 if backend.current_precision() == "f32" else np.float64


class _Lists:
    """One neighbour-list buffer (slots, counts and the per-contact history)."""

    def __init__(self, n: int, slots: int):
        self.slots = slots
        self.nbr = ti.ndarray(ti.i32, (n, slots))
        self.nnbr = ti.ndarray(ti.i32, n)
        self.ht = ti.ndarray(ti.math.vec3, (n, slots))
        self.hr = ti.ndarray(ti.math.vec3, (n, slots))
        self.neck = ti.ndarray(float, (n, slots))
        for a in (self.nbr, self.nnbr, self.ht, self.hr, self.neck):
            a.fill(0)


class DEMSystem:
    """Polydisperse spheres with Hertz-Mindlin contacts, rolling resistance, van der Waals cohesion,
    viscous sintering necks and lumped grain temperatures.

    Parameters
    ----------
    positions, radii : (N, 3) centres [m] and (N,) radii [m].
    contact : :class:`ContactModel`.
    walls : boxes (plate, side walls, blade); indices follow the order given.
    gravity : acceleration vector [m/s^2] or its z magnitude (default lunar, 1.62 m/s^2 down).
    domain : (lo, hi) of the cell grid [m]; grains outside are clamped into the border cells
        (still correct, only slower). Default: the grains' bounding box with a margin.
    skin : Verlet skin [m] (default 0.4 r_min).
    dt : time step [s]; default ``dt_safety`` x the Rayleigh time of the smallest grain.
    sinter : :class:`SinterModel` or None (no necks).
    thermal : :class:`ThermalModel` (used by :meth:`heat_step`); None gives the defaults.
    quasi_static : fictitious Gershgorin masses so that ``dt`` may be set by a slow process
        (sintering) instead of the Rayleigh time; inertia is then meaningless.
    z_kill : grains whose centre falls below this height [m] are removed.
    temperature : initial grain temperature(s) [K].
    resort_steps : every this many steps the grains are re-ordered in memory by cell (the order of
        the last neighbour-list build), so that contact partners sit close in memory and their data
        comes from cache; 0 never. Default: every 1000 steps from 4096 grains up (smaller runs fit
        in cache). The public arrays (positions, velocities, masks) keep the caller's order.
    """

    def __init__(self, positions, radii, contact: ContactModel | None = None, *, walls: Sequence[BoxWall] = (),
                 gravity: float | Sequence[float] = G_MOON, domain=None, skin: float | None = None,
                 dt: float | None = None, dt_safety: float = 0.2, sinter: SinterModel | None = None,
                 thermal: ThermalModel | None = None, quasi_static: bool = False, z_kill: float | None = None,
                 temperature: float | np.ndarray = 300.0, velocities=None, max_neighbours: int | None = None,
                 resort_steps: int | None = None):
        backend.ensure_init()
        self.contact = contact or ContactModel()
        self.sinter = sinter
        self.thermal = thermal or ThermalModel()
        x = np.asarray(positions, float).reshape(-1, 3)
        r = np.asarray(radii, float).reshape(-1)
        if len(r) != len(x):
            raise ValueError(f"{len(x)} positions but {len(r)} radii")
        if len(r) == 0 or np.any(r <= 0):
            raise ValueError("need at least one grain and positive radii")
        self.n = n = len(r)
        f = _npf()
        self._f = f
        c = self.contact
        self.radii = r.copy()
        self.masses = c.density * 4.0 / 3.0 * np.pi * r**3
        self.r_min, self.r_max = float(r.min()), float(r.max())
        self.gravity = np.array([0.0, 0.0, -abs(gravity)]) if np.isscalar(gravity) else np.asarray(gravity, float)
        self.quasi_static = quasi_static
        self.dt = self._checked_dt(dt) if dt else dt_safety * self.rayleigh_time
        self.skin = float(skin) if skin else 0.4 * self.r_min
        self.time = 0.0
        slots = max_neighbours or (16 if self.r_max / self.r_min < 1.5 else 32)
        self._check_memory(n, slots, max(len(walls), 1), np.dtype(f).itemsize)

        # --- particle arrays -------------------------------------------------------------
        nd = ti.ndarray
        self.x = nd(ti.math.vec3, n)
        self.v = nd(ti.math.vec3, n)
        self.w = nd(ti.math.vec3, n)
        self.f = nd(ti.math.vec3, n)
        self.tq = nd(ti.math.vec3, n)
        self.x_ref = nd(ti.math.vec3, n)
        self.pm = nd(ti.math.vec4, n)
        self.sums = nd(ti.math.vec4, n)
        self.active = nd(ti.i32, n)
        self.temp = nd(float, n)
        for a in (self.v, self.w, self.f, self.tq, self.sums):
            a.fill(0)
        self.x.from_numpy(x.astype(f))
        self.x_ref.from_numpy(x.astype(f))
        if velocities is not None:
            self.v.from_numpy(np.asarray(velocities, float).reshape(-1, 3).astype(f))
        inert = 0.4 * self.masses * r**2
        self.pm.from_numpy(np.stack([r, self.masses, self.masses, inert], axis=1).astype(f))
        self.active.from_numpy(np.ones(n, np.int32))
        self.temp.from_numpy((np.ones(n) * temperature).astype(f))
        self.stat = nd(ti.i32, 8)
        self.stat.fill(0)

        # --- walls ------------------------------------------------------------------------
        self.wall_names = [wl.name for wl in walls]
        self._wall_specs = list(walls) or [BoxWall((_FAR,) * 3, (_FAR,) * 3, name="none")]
        wl = self._wall_specs
        self.walls = nd(ti.math.vec3, (len(wl), 4))
        self.walls.from_numpy(np.array([[w.lo, w.hi, w.velocity, self._wall_props(w)] for w in wl], float).astype(f))
        self.wht = nd(ti.math.vec3, (n, len(wl)))
        self.whr = nd(ti.math.vec3, (n, len(wl)))
        self.wht.fill(0)
        self.whr.fill(0)

        # --- parameters -------------------------------------------------------------------
        self.z_kill = -_FAR if z_kill is None else float(z_kill)
        self.prm = nd(float, K.N_PRM)
        self.eta_tab = nd(float, 2)
        self._reach_extra = 0.0
        self._write_params()

        # --- cell grid and neighbour lists ------------------------------------------------
        self._setup_grid(domain, x)
        self._lists = _Lists(n, slots)
        self._spare = _Lists(n, slots)
        self._need_rebuild = True
        self._primed = False
        self._thermal_ready = False
        self._host_checks = backend.current_arch() in ("cpu", "x64", "arm64")
        # few grains on a CPU: steps run in one serial launch per chunk (see _run_serial)
        self._serial = self._host_checks and n <= SERIAL_MAX_GRAINS
        # memory order: device slot k holds the caller's grain _order[k]; _slot is its inverse
        self._order = np.arange(n)
        self._slot = np.arange(n)
        self.resort_steps = (1000 if n >= 4096 else 0) if resort_steps is None else int(resort_steps)
        self._since_sort = 0
        self.n_resorts = 0

    @property
    def rayleigh_time(self) -> float:
        """Rayleigh time of the smallest grain [s] (sets the stable time step)."""
        c = self.contact
        return rayleigh_time(self.r_min, c.density, c.youngs_modulus, c.poisson_ratio)

    def _checked_dt(self, dt: float) -> float:
        """``dt`` [s] if a dynamic run stays stable with it, else a one-line error with the limit."""
        dt = float(dt)
        limit = DT_RAYLEIGH_MAX * self.rayleigh_time
        if not dt > 0:
            raise UserError(f"dt = {dt!r} s; allowed: a positive time step up to {limit:.3g} s", key="dt")
        if dt > limit and not self.quasi_static:
            c = self.contact
            raise UserError(
                f"dt = {dt:.3g} s is above the stability limit {limit:.3g} s ({DT_RAYLEIGH_MAX:g} x the Rayleigh time "
                f"{self.rayleigh_time:.3g} s of the smallest grain, r = {self.r_min:.3g} m, E = {c.youngs_modulus:.3g} "
                f"Pa, rho = {c.density:.4g} kg/m^3); allowed: dt <= {limit:.3g} s (0.1-0.3 t_R usual), a softer "
                "youngs_modulus, or a quasi-static run", key="dt")
        return dt

    def _check_memory(self, n: int, slots: int, n_walls: int, f_bytes: int) -> None:
        need = memory_estimate(n, slots, n_walls, f_bytes)
        have = available_memory() if backend.current_arch() in ("cpu", "x64", "arm64", None) else None
        if have is not None and need > 0.8 * have:
            raise UserError(f"n = {n} grains need about {need / 2**30:.2f} GiB ({need / n / 1024:.1f} KiB per grain: "
                            f"state, {n_walls} wall histories, 2 x {slots} neighbour slots), more than 80 % of the "
                            f"{have / 2**30:.2f} GiB available; allowed: n <= {int(0.8 * have / (need / n))} grains "
                            "here, f32 precision or fewer grains", key="n_grains")

    def _wall_props(self, w: BoxWall) -> tuple[float, float, float]:
        c = self.contact
        mu = c.friction_wall if w.friction is None else w.friction
        mur_default = c.rolling_friction if c.rolling_friction_wall is None else c.rolling_friction_wall
        mur = mur_default if w.rolling_friction is None else w.rolling_friction
        coh = c.cohesion_walls if w.cohesive is None else w.cohesive
        return (mu, mur, 1.0 if coh else 0.0)

    # ---------------------------------------------------------------------------------------
    def _write_params(self):
        c, s = self.contact, self.sinter
        p = np.zeros(K.N_PRM)
        p[K.P_GX:K.P_GZ + 1] = self.gravity
        p[K.P_ESTAR] = p[K.P_ESTAR_W] = c.e_star
        p[K.P_GSTAR] = p[K.P_GSTAR_W] = c.g_star
        p[K.P_DAMP] = hertz_damping_factor(c.restitution)
        p[K.P_MU] = c.friction
        p[K.P_MUR] = c.rolling_friction
        p[K.P_ETAR] = c.rolling_damping
        p[K.P_HAMAKER] = c.hamaker
        p[K.P_D0] = c.separation
        dcut = c.cohesion_cutoff if c.cohesion_cutoff is not None else 0.05 * self.r_min
        p[K.P_DCUT] = dcut if c.hamaker > 0 else 0.0
        p[K.P_QS] = 1.0 if self.quasi_static else 0.0
        p[K.P_QS_BETA] = 2.0
        # viscous necks: the Gershgorin bound itself, still 2x inside the explicit limit dt c / m <= 2,
        # halves the relaxation lag of sintering against a 2x safety factor
        p[K.P_QS_BETA_VISC] = 1.0
        p[K.P_QS_DAMP] = 0.7
        p[K.P_QS_STEP] = 0.02
        p[K.P_ZKILL] = self.z_kill
        tab = np.zeros(2)
        p[K.P_ETA_DT] = 1.0
        if s is not None:
            t0, dtt, tab = s.table
            p[K.P_SINTER] = 1.0
            p[K.P_GAMMA] = s.surface_tension
            p[K.P_ETA_BOND] = s.eta_bond
            p[K.P_ETA_T0] = t0
            p[K.P_ETA_DT] = dtt
            p[K.P_NECK_MAX] = s.neck_max
            p[K.P_BOND_GAP] = s.bond_gap
        self.prm.from_numpy(p.astype(self._f))
        walls_mur = [self._wall_props(w)[1] for w in getattr(self, "_wall_specs", ())]
        # contact-model branches compiled into the step (ti.template flags): what this run uses
        self._flags = (bool(c.hamaker > 0), s is not None, bool(c.rolling_friction > 0 or any(walls_mur)),
                       bool(self.quasi_static))
        if hasattr(self, "walls"):  # wall friction/cohesion defaults follow the contact model
            wa = self.walls.to_numpy()
            wa[:, 3] = [self._wall_props(w) for w in self._wall_specs]
            self.walls.from_numpy(wa)
        if self.eta_tab.shape[0] != len(tab):
            self.eta_tab = ti.ndarray(float, len(tab))
        self.eta_tab.from_numpy(np.asarray(tab, float).astype(self._f))
        th = self.thermal
        rad = th.rad_gap * self.r_max if (th.rad_factor > 0) else 0.0
        extra = max(p[K.P_DCUT], rad)
        if extra > self._reach_extra:
            self._reach_extra = extra
            self._need_rebuild = True
        self._primed = False

    def set_contact(self, contact: ContactModel):
        """Change the contact parameters (e.g. switch cohesion on after filling a column)."""
        self.contact = contact
        self._write_params()

    def set_sinter(self, sinter: SinterModel | None):
        self.sinter = sinter
        self._write_params()

    def set_quasi_static(self, on: bool, dt: float | None = None):
        was = self.quasi_static
        self.quasi_static = on
        if dt:
            self.dt = dt if on else self._checked_dt(dt)
        if was and not on:  # the step writes the fictitious masses only in quasi-static runs: restore
            pm = self.pm.to_numpy()
            pm[:, 2] = pm[:, 1]
            pm[:, 3] = 0.4 * pm[:, 1] * pm[:, 0] ** 2
            self.pm.from_numpy(pm)
        self._write_params()

    def set_gravity(self, g):
        self.gravity = np.array([0.0, 0.0, -abs(g)]) if np.isscalar(g) else np.asarray(g, float)
        self._write_params()

    @property
    def reach(self) -> float:
        """Neighbour-list reach beyond touching [m]: skin plus the cohesion/radiation range."""
        return self.skin + self._reach_extra

    def _setup_grid(self, domain, x):
        h0 = 2.0 * self.r_max + self.skin + max(self._reach_extra, 0.5 * self.r_max)
        if domain is None:
            lo, hi = x.min(0) - 2 * h0, x.max(0) + 2 * h0
        else:
            lo, hi = (np.asarray(d, float) for d in domain)
        h = h0
        dims = np.maximum(np.ceil((hi - lo) / h).astype(int), 1)
        # a sparse domain must not cost more cells than ~8 per grain
        while dims.prod() > 8 * self.n + 4096:
            h *= 1.25
            dims = np.maximum(np.ceil((hi - lo) / h).astype(int), 1)
        self.domain = (lo, hi)
        self.cell_h = h
        self.dims = dims
        nc = int(dims.prod())
        self.cell_count = ti.ndarray(ti.i32, nc)
        self.cell_start = ti.ndarray(ti.i32, nc + 1)
        self.block_sum = ti.ndarray(ti.i32, max(1, math.ceil(nc / 256)))
        self.cell_id = ti.ndarray(ti.i32, self.n)
        self.rank = ti.ndarray(ti.i32, self.n)
        self.sorted_ids = ti.ndarray(ti.i32, self.n)
        for a in (self.cell_id, self.rank, self.sorted_ids):
            a.fill(0)

    # ---------------------------------------------------------------------------------------
    def _build(self, force: bool):
        L, S = self._lists, self._spare
        K.build_neighbours(self.x, self.pm, self.active, self.x_ref, self.cell_id, self.rank, self.cell_count,
                           self.cell_start, self.sorted_ids, self.block_sum, L.nbr, L.nnbr, L.ht, L.hr, L.neck,
                           S.nbr, S.nnbr, S.ht, S.hr, S.neck, self.stat, ti.math.vec3(*self.domain[0]), self.cell_h,
                           ti.math.ivec3(*self.dims), self.reach, 1 if force else 0)

    def _stat(self) -> np.ndarray:
        return self.stat.to_numpy()

    def rebuild(self):
        """Counting-sort the grains into cells and rebuild the neighbour list now (history kept)."""
        if 2.0 * self.r_max + self.reach > self.cell_h:
            self._setup_grid(self.domain, None)
        self._build(True)
        self._need_rebuild = False
        self._fix_overflow(self._stat())

    def _fix_overflow(self, st) -> int:
        """If a build found more partners than slots (``stat[3]``), enlarge the lists (keeping the
        live history), rebuild and return the number of steps the kernels skipped meanwhile."""
        if st[3] == 0:
            return 0
        slots = int(st[1]) + 8
        old, new = self._lists, _Lists(self.n, slots)
        for name in ("nbr", "ht", "hr", "neck"):
            a = getattr(new, name).to_numpy()
            a[:, :old.slots] = getattr(old, name).to_numpy()
            getattr(new, name).from_numpy(a)
        new.nnbr.from_numpy(old.nnbr.to_numpy())
        self._lists, self._spare = new, _Lists(self.n, slots)
        st = st.copy()
        skipped = int(st[4])
        st[3] = st[4] = 0
        self.stat.from_numpy(st)
        self._build(True)
        return skipped

    @property
    def n_rebuilds(self) -> int:
        """Neighbour-list builds so far (read from the device)."""
        return int(self._stat()[6])

    def _call_step(self, dt: float, mode: int):
        L = self._lists
        K.dem_step(self.x, self.v, self.w, self.f, self.tq, self.pm, self.sums, self.active, self.x_ref,
                   self.temp, L.nbr, L.nnbr, L.ht, L.hr, L.neck, self.walls, self.wht, self.whr, self.eta_tab,
                   self.prm, self.stat, dt, 0.5 * self.skin, mode, *self._flags)

    def _run_serial(self, n_steps: int, mode: int = 0):
        L, S = self._lists, self._spare
        K.dem_run_serial(self.x, self.v, self.w, self.f, self.tq, self.pm, self.sums, self.active, self.x_ref,
                         self.temp, L.nbr, L.nnbr, L.ht, L.hr, L.neck, self.walls, self.wht, self.whr, self.eta_tab,
                         self.prm, self.stat, self.cell_id, self.rank, self.cell_count, self.cell_start,
                         self.sorted_ids, self.block_sum, S.nbr, S.nnbr, S.ht, S.hr, S.neck,
                         ti.math.vec3(*self.domain[0]), self.cell_h, ti.math.ivec3(*self.dims), self.reach,
                         self.dt, 0.5 * self.skin, n_steps, mode, *self._flags)

    def prime(self):
        """Evaluate forces (and quasi-static masses) without moving: needed before the first kick."""
        if self._need_rebuild:
            self.rebuild()
        if self._serial and not self.resort_steps:  # the serial kernel, so that no per-step one is compiled
            self._run_serial(1, mode=1)
        else:
            self._call_step(self.dt, 1)
        self._primed = True

    def step(self, n_steps: int = 1, dt: float | None = None):
        """Advance ``n_steps`` velocity-Verlet steps of ``dt`` [s] (default ``self.dt``).

        On a GPU each step launches the neighbour-list build (it works only when a grain has moved
        half the skin, decided on the device) and the step kernel, and the host reads the flags back
        once, at the end, to catch a list that ran out of slots (the kernels then skipped steps, redone
        here). On the CPU, where every launch is synchronous, the moved flag is read after each step
        and the build launched only when needed (a launch costs more than the read for small N); a
        system of at most ``SERIAL_MAX_GRAINS`` grains runs up to ``SERIAL_CHUNK_STEPS`` steps per
        launch on one thread instead (``dem_run_serial``: the same steps, without the launches)."""
        if dt is not None:
            self.dt = self._checked_dt(dt)
        if not self._primed:
            self.prime()
        todo = n_steps
        while todo > 0 and self._serial and not self.resort_steps:
            if self._need_rebuild:
                self.rebuild()
            chunk = min(todo, SERIAL_CHUNK_STEPS)
            self._run_serial(chunk)
            todo += self._fix_overflow(self._stat()) - chunk
        while todo > 0:
            host = self._host_checks
            moved = True
            for _ in range(todo):
                if self._need_rebuild:
                    self.rebuild()  # positions or reach changed on the host
                if moved:
                    self._build(False)
                self._call_step(self.dt, 0)
                if host:  # CPU: launches are synchronous anyway, and a 1-int read costs less than a launch
                    moved = bool(self.stat[0])
                self._since_sort += 1
                if self.resort_steps and self._since_sort >= self.resort_steps:
                    self.resort()
            todo = self._fix_overflow(self._stat())
        self.time += n_steps * self.dt

    # --- memory order -----------------------------------------------------------------------------
    def resort(self) -> bool:
        """Re-order the grains in memory by cell of the neighbour grid (removed grains last), so that
        a grain's contact partners are its neighbours in memory too and the contact loop reads them
        from cache. Every per-grain array is permuted, and each listed pair is moved to the row of its
        new lower index with its contact history (the tangential spring and rolling moment change
        sign when the pair's roles swap: they are stored as seen from the row's grain), so the run
        continues exactly as before up to the order of the force sums. Returns False (nothing done)
        while a list overflow is pending."""
        self._since_sort = 0
        st = self._stat()
        if st[3] != 0:
            return False
        n = self.n
        x = self.x.to_numpy()
        act = self.active.to_numpy()
        lo = np.asarray(self.domain[0], float)
        c = np.clip(np.floor((x - lo) / self.cell_h).astype(np.int64), 0, self.dims - 1)
        key = (c[:, 0] * self.dims[1] + c[:, 1]) * self.dims[2] + c[:, 2]
        key[act == 0] = np.iinfo(np.int64).max
        p = np.argsort(key, kind="stable")  # new slot k holds old slot p[k]
        if np.array_equal(p, np.arange(n)):
            return True
        inv = np.empty(n, np.int64)
        inv[p] = np.arange(n)
        arrays = [self.x, self.v, self.w, self.f, self.tq, self.x_ref, self.pm, self.sums, self.active, self.temp,
                  self.wht, self.whr]
        if self._thermal_ready:
            arrays += [self.heat, self.gsum, self.fixed, self.exposed]
        for a in arrays:
            a.from_numpy((x if a is self.x else a.to_numpy())[p])
        L = self._lists
        nbr, nn = L.nbr.to_numpy(), L.nnbr.to_numpy()
        ht, hr, neck = L.ht.to_numpy(), L.hr.to_numpy(), L.neck.to_numpy()
        valid = np.arange(L.slots)[None, :] < nn[:, None]
        i_old = np.broadcast_to(np.arange(n)[:, None], nbr.shape)[valid]
        a, b = inv[i_old], inv[nbr[valid]]
        ht, hr, neck = ht[valid], hr[valid], neck[valid]
        swap = a > b
        row, col = np.where(swap, b, a), np.where(swap, a, b)
        ht[swap] *= -1.0
        hr[swap] *= -1.0
        order = np.argsort(row, kind="stable")
        row, col, ht, hr, neck = row[order], col[order], ht[order], hr[order], neck[order]
        counts = np.bincount(row, minlength=n)
        slot = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
        slots = max(L.slots, int(counts.max(initial=0)))
        if slots > L.slots:  # rows hold pairs differently now: room for the fullest
            slots += 8
            self._spare = _Lists(n, slots)
        new = _Lists(n, slots) if slots > L.slots else L
        for k, v in (("nbr", col.astype(nbr.dtype)), ("ht", ht), ("hr", hr), ("neck", neck)):
            full = np.zeros((n, slots) + v.shape[1:], v.dtype)
            full[row, slot] = v
            getattr(new, k).from_numpy(full)
        new.nnbr.from_numpy(counts.astype(np.int32))
        self._lists = new
        self._order = self._order[p]
        self._slot[self._order] = np.arange(n)
        self.n_resorts += 1
        return True

    def _to_caller(self, a: np.ndarray) -> np.ndarray:
        """A per-grain array in memory order -> the caller's grain order."""
        return a[self._slot]

    def _to_memory(self, a: np.ndarray) -> np.ndarray:
        """A per-grain array in the caller's order -> memory order."""
        return a[self._order]

    def run(self, duration: float, callback: Callable[["DEMSystem"], bool | None] | None = None,
            every: int = 200) -> int:
        """Advance ``duration`` seconds; ``callback(self)`` runs every ``every`` steps and stops
        the run by returning True. Returns the number of steps taken."""
        n_total = max(1, int(round(duration / self.dt)))
        done = 0
        while done < n_total:
            k = min(every, n_total - done)
            self.step(k)
            done += k
            if callback is not None and callback(self):
                break
        return done

    # --- state access (numpy copies) ---------------------------------------------------------
    @property
    def positions(self) -> np.ndarray:
        return self._to_caller(self.x.to_numpy().astype(float))

    @positions.setter
    def positions(self, val):
        self.x.from_numpy(self._to_memory(np.asarray(val, float).reshape(-1, 3)).astype(self._f))
        self._need_rebuild = True
        self._primed = False

    @property
    def velocities(self) -> np.ndarray:
        return self._to_caller(self.v.to_numpy().astype(float))

    @velocities.setter
    def velocities(self, val):
        self.v.from_numpy(self._to_memory(np.asarray(val, float).reshape(-1, 3)).astype(self._f))

    @property
    def angular_velocities(self) -> np.ndarray:
        return self._to_caller(self.w.to_numpy().astype(float))

    @property
    def forces(self) -> np.ndarray:
        return self._to_caller(self.f.to_numpy().astype(float))

    @property
    def temperatures(self) -> np.ndarray:
        return self._to_caller(self.temp.to_numpy().astype(float))

    @temperatures.setter
    def temperatures(self, val):
        self.temp.from_numpy(self._to_memory(np.ones(self.n) * np.asarray(val, float)).astype(self._f))

    @property
    def alive(self) -> np.ndarray:
        """Boolean mask of grains still in the run."""
        return self._to_caller(self.active.to_numpy().astype(bool))

    def deactivate(self, mask):
        """Remove grains (mask True) from the run."""
        a = self.active.to_numpy()
        a[self._to_memory(np.asarray(mask, bool))] = 0
        self.active.from_numpy(a)
        self._need_rebuild = True
        self._primed = False

    def walls_array(self) -> np.ndarray:
        """(W, 3, 3): lower corner, upper corner, velocity of each wall [m], [m/s]."""
        return self.walls.to_numpy().astype(float)[:, :3]

    def set_wall(self, index: int | str, lo=None, hi=None, velocity=None):
        """Move, resize or set the velocity of a wall (by index or name)."""
        k = self.wall_names.index(index) if isinstance(index, str) else index
        wa = self.walls.to_numpy()
        for row, val in ((0, lo), (1, hi), (2, velocity)):
            if val is not None:
                wa[k, row] = val
        self.walls.from_numpy(wa)
        self._primed = False

    def remove_wall(self, index: int | str):
        """Park a wall far away (its slot stays, so no array changes shape)."""
        self.set_wall(index, lo=(_FAR,) * 3, hi=(_FAR,) * 3, velocity=(0.0, 0.0, 0.0))

    # --- contacts and energies --------------------------------------------------------------------
    def neighbour_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All listed pairs i < j with their neck radius [m]: (i, j, neck)."""
        if self._need_rebuild:
            self.rebuild()
        L = self._lists
        nbr, nn, neck = L.nbr.to_numpy(), L.nnbr.to_numpy(), L.neck.to_numpy().astype(float)
        slot = np.arange(L.slots)[None, :]
        valid = slot < nn[:, None]
        ii = np.broadcast_to(np.arange(self.n)[:, None], nbr.shape)
        keep = valid & (nbr > ii)
        # memory slots -> the caller's grain numbers, lower first
        a, b = self._order[ii[keep]], self._order[nbr[keep]]
        return np.minimum(a, b), np.maximum(a, b), neck[keep]

    def contacts(self) -> dict:
        """Touching or necked pairs i < j: arrays i, j, overlap [m] (>0 in contact), neck [m]."""
        i, j, neck = self.neighbour_pairs()
        x = self.positions
        d = np.linalg.norm(x[j] - x[i], axis=1)
        ov = self.radii[i] + self.radii[j] - d
        alive = self.alive
        keep = ((ov > 0) | (neck > 0)) & alive[i] & alive[j]
        return dict(i=i[keep], j=j[keep], overlap=ov[keep], neck=neck[keep])

    def coordination(self) -> np.ndarray:
        """Number of touching partners of each grain."""
        c = self.contacts()
        z = np.zeros(self.n, int)
        np.add.at(z, c["i"], 1)
        np.add.at(z, c["j"], 1)
        return z

    def energies(self) -> dict:
        """Kinetic (translation + rotation), gravitational and Hertz elastic energy [J]."""
        alive = self.alive
        m = self.masses * alive
        v, w, x = self.velocities, self.angular_velocities, self.positions
        kin = 0.5 * np.sum(m * np.sum(v * v, 1)) + 0.5 * np.sum(0.4 * m * self.radii**2 * np.sum(w * w, 1))
        pot = -np.sum(m * (x @ self.gravity))
        c = self.contacts()
        ri, rj = self.radii[c["i"]], self.radii[c["j"]]
        rs = ri * rj / (ri + rj)
        d = np.maximum(c["overlap"], 0.0)
        el = np.sum(8.0 / 15.0 * self.contact.e_star * np.sqrt(rs) * d**2.5)
        wa = self.walls_array()
        for lo, hi, _ in wa:
            q = np.clip(x, lo, hi)
            gap = np.linalg.norm(x - q, axis=1) - self.radii
            dw = np.where(alive & (gap < 0), -gap, 0.0)
            el += np.sum(8.0 / 15.0 * self.contact.e_star * np.sqrt(self.radii) * dw**2.5)
        return dict(kinetic=float(kin), potential=float(pot), elastic=float(el), total=float(kin + pot + el))

    def to_packing(self, box_lo=None, box_hi=None) -> Packing:
        """The current arrangement of live grains as a :class:`Packing`."""
        a = self.alive
        x, r = self.positions[a], self.radii[a]
        lo = np.asarray(box_lo, float) if box_lo is not None else (x - r[:, None]).min(0)
        hi = np.asarray(box_hi, float) if box_hi is not None else (x + r[:, None]).max(0)
        return Packing(x, r, lo, hi, self.contact)

    # --- heat -----------------------------------------------------------------------------------
    def _thermal_setup(self):
        th = self.thermal
        t = np.zeros(KT.N_TPRM)
        t[KT.Q_K] = th.conductivity
        t[KT.Q_CP] = th.heat_capacity
        t[KT.Q_EPS] = th.emissivity
        t[KT.Q_ABS] = th.absorptivity
        t[KT.Q_TENV] = th.t_env
        t[KT.Q_RADGAP] = th.rad_gap
        t[KT.Q_RADF] = th.rad_factor
        e_true = th.true_youngs_modulus
        t[KT.Q_ASCALE] = (self.contact.youngs_modulus / e_true) ** (1.0 / 3.0) if e_true else 1.0
        lo, hi = self.domain
        h = 0.5 * self.r_min
        nxy = np.maximum(np.ceil((hi[:2] - lo[:2]) / h).astype(int), 1)
        while nxy.prod() > 4_000_000:
            h *= 1.25
            nxy = np.maximum(np.ceil((hi[:2] - lo[:2]) / h).astype(int), 1)
        if not th.surface:
            nxy = np.array([1, 1])  # no exposure test: do not pay for clearing a height map
        t[KT.Q_HM_X0], t[KT.Q_HM_Y0], t[KT.Q_HM_H] = lo[0], lo[1], h
        # heights are quantised in steps of r_min/1000 above this datum and stored as whole numbers in a
        # float map (i32 atomics inside a loop lose writes on Vulkan/llvmpipe; float atomic_max does not):
        # the step is coarsened where the levels would pass 2^23 (exact integers of f32)
        t[KT.Q_HM_Z0] = lo[2] - 100.0 * self.r_max
        t[KT.Q_HM_DZ] = max(1e-3 * self.r_min, (hi[2] - lo[2] + 200.0 * self.r_max) / 2.0**23)
        t[KT.Q_SURF] = 1.0 if th.surface else 0.0
        self.tprm = ti.ndarray(float, KT.N_TPRM)
        self.tprm.from_numpy(t.astype(self._f))
        self.hmap = ti.ndarray(float, (int(nxy[0]), int(nxy[1])))
        self.hown = ti.ndarray(float, (int(nxy[0]), int(nxy[1])))  # each column's grain (particles_thermal)
        self.absorbed = ti.ndarray(float, 1)
        self.absorbed.fill(0)
        self.heat = ti.ndarray(float, self.n)
        self.gsum = ti.ndarray(float, self.n)
        self.fixed = ti.ndarray(ti.i32, self.n)
        self.exposed = ti.ndarray(ti.i32, self.n)
        for a in (self.heat, self.gsum, self.fixed, self.exposed):
            a.fill(0)
        self._thermal_ready = True

    def set_thermal(self, thermal: ThermalModel):
        self.thermal = thermal
        self._write_params()
        self._thermal_ready = False

    def set_fixed_temperature(self, mask, temperature=None):
        """Hold the temperature of the grains in ``mask`` (boundary conditions)."""
        if not self._thermal_ready:
            self._thermal_setup()
        mask = np.asarray(mask, bool)
        self.fixed.from_numpy(self._to_memory(mask).astype(np.int32))
        if temperature is not None:
            t = self.temperatures
            t[mask] = np.broadcast_to(np.asarray(temperature, float), t.shape)[mask]
            self.temperatures = t

    def heat_step(self, dt: float, source: Sequence[float] | None = None, mode: int = 0, n_steps: int = 1):
        """``n_steps`` heat steps of ``dt`` [s] on the current packing (grains do not move).

        ``source`` = (x_c, y_c, q0 [W/m^2], w [m]) of a gaussian spot (1/e^2 radius w) or None.
        ``mode`` 1 does damped Jacobi sweeps towards the steady state instead (``dt`` is then the
        relaxation factor, <= 1).
        """
        if not self._thermal_ready:
            self._thermal_setup()
        if self._need_rebuild:
            self.rebuild()
        src = ti.math.vec4(*(source if source is not None else (0.0, 0.0, 0.0, 0.0)))
        L = self._lists
        for _ in range(n_steps):
            KT.heat_step(self.x, self.pm, self.active, self.temp, self.heat, self.gsum, self.fixed, self.exposed,
                         L.nbr, L.nnbr, L.neck, self.hmap, self.hown, self.absorbed, self.tprm, src, dt,
                         mode)

    def thermal_time_step(self, safety: float = 0.4) -> float:
        """Largest stable explicit heat step [s]: safety x min(m c_p / sum G) (needs one heat_step)."""
        if not self._thermal_ready:
            self._thermal_setup()
            self.heat_step(0.0)
        g = self._to_caller(self.gsum.to_numpy())
        c = self.masses * self.thermal.heat_capacity
        ok = g > 0
        return float(safety * np.min(c[ok] / g[ok])) if ok.any() else math.inf

    @property
    def heat_flows(self) -> np.ndarray:
        """Heat flow into each grain from the last heat step [W]."""
        return self._to_caller(self.heat.to_numpy().astype(float))

    @property
    def exposed_mask(self) -> np.ndarray:
        """Grains that own a column of the top surface's height map (gpu_kernels.particles_thermal)."""
        return self._to_caller(self.exposed.to_numpy().astype(bool))

    @property
    def absorbed_power(self) -> float:
        """Power the exposed grains absorbed from the source in the last heat step [W]."""
        return float(self.absorbed.to_numpy()[0])
