"""The thermal solver: owns the field arrays and steps the enthalpy equation with the kernels of
:mod:`gpu_kernels.thermal`. The physics and boundary conditions are documented there.

Two integrators share the arrays and the energy ledger: :meth:`ThermalSolver.step` (explicit Euler at
the stability limit, for heating) and :meth:`ThermalSolver.step_implicit` (for dwells and cool-down,
with a step chosen by accuracy: :meth:`ThermalSolver.implicit_dt`): backward Euler, or, with
``second_order``, the variable-step second-order backward differentiation formula (BDF2) after a first
backward-Euler step. Both only update the
cells below the highest active layer.

Multirate (``ThermalSolver.multirate`` = N > 1): so that a step near a small spot costs in proportion
to the heated region, tiles of columns whose own explicit stability limit is at least N steps long
(cold powder away from the spot and from the heated part) are stepped once every N explicit steps
with the time accumulated since their last update (:meth:`ThermalSolver.sync`); the spot's tiles and
every tile next to a fast one stay fast. In the fast tiles the deep layers that pass the same test
lag as well (``k_split``, :meth:`ThermalSolver.remap`): the substrate under the part, most of each
column. The interfaces are conservative (the kernel docstring says how), so the energy balance still
closes to round-off.

Super-time-steps (:meth:`ThermalSolver.step_sts`): RKL2 stages many explicit limits long, with the region
around the spot (and, with ``rough_hot_cells``, the hot cells) stepped again by Euler steps at the limit (the
rough region), where the stages would damp the melt's sharp contrasts too little.

The step's stability bound is not a pass of its own: the property update keeps it for the cells it
updates (:meth:`ThermalSolver.stable_dt`, exact: tests/test_thermal_watch.py), with the box of the
cells at or above the densifier's threshold, the only region its pass covers."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gpu_kernels import backend
from gpu_kernels import evaporation as KE
from gpu_kernels import thermal as K
from gpu_kernels.backend import ti

from ..errors import SimulationDiverged
from . import sts
from .grid import Grid
from .tables import ThermalTables

#: Largest temperature change [K] an implicit cool-down step aims at. Backward Euler's error grows
#: with it (first order): 20 K keeps the semi-infinite and radiative-cooling cases within 1 %
#: (tests/test_thermal_implicit.py) while dwells take a few dozen steps.
COOLDOWN_DT_TARGET_K = 20.0
#: An implicit step costs about as much as this many explicit steps (a few Newton iterations of a few
#: CG sweeps each); shorter source-off intervals (travel moves between tracks) are stepped explicitly.
IMPLICIT_MIN_SPAN_STEPS = 10
#: Variable-step BDF2 is zero-stable for step ratios below 1 + sqrt(2) (Grigorieff 1983, Numer. Math.
#: 42:359); beyond this ratio the step falls back to backward Euler.
BDF2_MAX_RATIO = 2.4
#: A slow tile's accumulated step is at most this fraction of the radiative bound of its explicit limit (and
#: ``safety`` x its conduction bound): near that bound explicit Euler is stable but a cooling tile's radiation
#: is integrated with an O(dt/tau) error (tau its radiative relaxation time, which the bound is); a quarter keeps
#: a cooling track's radiated energy within 0.5 % of stepping every cell every step
#: (tests/test_thermal_multirate.py). Conduction needs no such fraction, as the deep layers show
#: (``DEPTH_STEP_FRACTION``): at a quarter of it, cold powder at resolution 3 could lag one spot step at most,
#: and the slow tiles were synced at nearly every step.
SLOW_STEP_FRACTION = 0.25
#: ... and the deep layers' (depth multirate) at most this fraction (times ``safety``): they have no exposed
#: face (they lie ``DEPTH_KEEP_TOP`` layers under the lowest column top), so no radiation to integrate, and heat
#: crosses sqrt(f safety / 6) of a cell of them in a step of f limits (0.39 at 1; ``DEPTH_BUFFER`` layers
#: separate them from the cells that must not lag). At SLOW_STEP_FRACTION they were synced at every step of the
#: demo at resolution 2 (their limit scales with the cell squared); the demo moved by under 0.1 %
#: (benchmarks/RESULTS.md).
DEPTH_STEP_FRACTION = 1.0
#: Depth multirate: the lagging deep layers stop this many layers under the lowest cell (of any column)
#: that must not lag; heat from above crosses less than 0.4 of a cell of them between two syncs
#: (their own limit is at least 1 / (DEPTH_STEP_FRACTION x safety) times the sync interval), so two layers
#: separate them from any cell that changes fast.
DEPTH_BUFFER = 2
#: ... and this many layers under the lowest column top, which the sources heat directly.
DEPTH_KEEP_TOP = 2
#: The quiet bottom (ThermalSolver._place_quiet) stops this many layers further down than heat can reach in a step.
QUIET_BUFFER = 2
#: A super-time-step takes at most this fraction of what its stage count allows: its stage count is chosen
#: from the diffusivities at its start, and cells the source or conduction warm within the step raise k
#: (the pores' radiative T^3 term) and the radiative surface coefficient.
STS_MARGIN = 0.8
#: The simulation's super-time-steps take at most this many stages (about 100 explicit limits).
STS_MAX_STAGES = 20
#: The rough region of a super-time-step (ThermalSolver._rough_box) reaches this many cells past the spot and
#: the hot cells, and this many layers under them: its faces to the rest are integrated by the stages, so they
#: should lie where the field is already smooth (the demo's consolidated fraction and density were the same to four
#: digits with 2 and with the whole grid as the region).
ROUGH_MARGIN = 2
R_GAS = 8.314462618  #: molar gas constant [J/(mol K)]
#: On backends without f64 the ledger's f32 increments go to the host's f64 totals every this many explicit
#: steps (ThermalSolver._fold_ledger): a device read per 64 steps costs nothing measurable.
LEDGER_FOLD_STEPS = 64

#: Ledger slots that hold energy flows (absorbed, radiated, convected, bottom, held top, evaporated).
LEDGER_FLOWS = [K.LEDGER_ABSORBED, K.LEDGER_RADIATED, K.LEDGER_CONVECTED, K.LEDGER_BOTTOM, K.LEDGER_TOP,
                KE.LEDGER_EVAPORATED]

STATE_NAMES = {0: "void", 1: "powder", 2: "sintered", 3: "molten", 4: "re-solidified"}


@dataclass
class EnergyLedger:
    """Energy bookkeeping of a run [J]. ``balance_error`` compares the change of stored enthalpy
    with what came in and went out; it closes to round-off for the explicit scheme."""

    delivered: float = 0.0   #: emitted by the heat source
    absorbed: float = 0.0    #: absorbed by the material
    radiated: float = 0.0    #: lost by radiation from exposed faces
    convected: float = 0.0   #: lost to a gas (lab-air sites)
    bottom: float = 0.0      #: conducted out through the bottom of the substrate
    top: float = 0.0         #: conducted out through a held top face (Boundary.T_top)
    evaporated: float = 0.0  #: latent heat carried off by evaporating melt
    added: float = 0.0       #: enthalpy (from 3 K) of all material put into the domain
    stored: float = 0.0      #: enthalpy (from 3 K) of the material now in the domain

    @property
    def heat_stored(self) -> float:
        """Heat stored by the material beyond what it held when it was put in [J]."""
        return self.stored - self.added

    @property
    def balance_residual(self) -> float:
        return self.heat_stored - (self.absorbed - self.radiated - self.convected - self.bottom - self.top
                                   - self.evaporated)

    @property
    def balance_error(self) -> float:
        """|residual| relative to the largest energy flow of the run."""
        # (a floor of 1e-6 of the material's whole enthalpy: a run with no flows, a spot that never reaches the
        # domain, has only round-off to compare)
        scale = max(self.absorbed, self.radiated + self.convected + abs(self.bottom) + abs(self.top) + self.evaporated,
                    abs(self.heat_stored), 1e-6 * abs(self.added), 1e-30)
        return abs(self.balance_residual) / scale

    def as_dict(self) -> dict:
        return {"delivered_J": self.delivered, "absorbed_J": self.absorbed, "radiated_J": self.radiated,
                "convected_J": self.convected, "conducted_to_substrate_bottom_J": self.bottom,
                "conducted_out_through_held_top_J": self.top,
                "evaporated_J": self.evaporated, "stored_J": self.heat_stored,
                "balance_error": self.balance_error}


@dataclass
class Boundary:
    """Exposed-face and bottom conditions."""

    T_sky: float = 3.0          #: radiative sink temperature [K]
    h_conv: float = 0.0         #: convection coefficient [W/(m^2 K)]
    T_amb: float = 293.0        #: gas temperature for convection [K]
    bottom: str = "dirichlet"   #: 'dirichlet' (held at T_bottom) or 'adiabatic'
    #: the domain's top face held at this temperature [K] through half a cell, as the bottom (None: it
    #: radiates and convects like every exposed face)
    T_top: float | None = None
    #: evaporation of hot material from exposed faces (None: off); see gpu_kernels.evaporation
    evaporation: "Evaporation | None" = None


@dataclass(frozen=True)
class VapourSource:
    """One vapour of a melt: p_v = exp(ln_A - B/T) [Pa], molar mass [kg/mol], latent heat [J/kg]."""

    ln_A: float
    B_K: float
    molar_mass_kg_mol: float
    latent_heat_J_kg: float


@dataclass(frozen=True)
class Evaporation:
    """Constants of the evaporation sink (gpu_kernels.evaporation, which names the equations): the
    alkali vapour, limited by the alkali inventory (mass fraction of the material), the refractory vapour,
    the evaporation coefficient [-], the gas-side mass-transfer coefficient [m/s] and the gas pressure [Pa]
    (both 0 in vacuum)."""

    alkali: VapourSource
    refractory: VapourSource
    alkali_fraction: float
    coefficient: float = 1.0
    h_mass_m_s: float = 0.0
    gas_pressure_Pa: float = 0.0   #: pressure of the gas the vapour diffuses through (0 in vacuum) [Pa]
    #: pressure a vapour bubble inside the melt must reach to grow [Pa]: the gas pressure plus the Laplace
    #: pressure of a bubble nucleus (gpu_kernels.evaporation); 0: no boiling inside the material
    boiling_pressure_Pa: float = 0.0

    def T_min(self) -> float:
        """Temperature [K] below which both pressures are under 1e-6 Pa (a loss under 1e-9 W/m^2)."""
        return min(v.B_K / (v.ln_A - np.log(1e-6)) for v in (self.alkali, self.refractory))

    def boiling_points(self) -> tuple[float, float]:
        """(alkali, refractory) temperatures [K] where each vapour's pressure reaches ``boiling_pressure_Pa``,
        T_b = B/(A - ln P_b); 1e30 (never) without a boiling pressure."""
        if self.boiling_pressure_Pa <= 0.0:
            return 1e30, 1e30
        return tuple(v.B_K / max(v.ln_A - np.log(self.boiling_pressure_Pa), 1e-30)  # type: ignore[return-value]
                     for v in (self.alkali, self.refractory))

    def packed(self) -> np.ndarray:
        out = []
        for v in (self.alkali, self.refractory):
            out += [v.ln_A, v.B_K, self.coefficient * np.sqrt(v.molar_mass_kg_mol / (2 * np.pi * R_GAS)),
                    v.molar_mass_kg_mol / R_GAS, v.latent_heat_J_kg]
        return np.array(out + [self.h_mass_m_s, self.alkali_fraction, self.T_min(), self.gas_pressure_Pa,
                               *self.boiling_points()], float)


@dataclass
class ThermalSolver:
    """Temperature (enthalpy), relative density and state on a voxel grid."""

    grid: Grid
    tables: ThermalTables
    boundary: Boundary = field(default_factory=Boundary)
    T_hot: float = 1273.0  #: threshold for the time-above-temperature field [K]
    lag_conductivity: bool = True  #: implicit step: k at the start of the step (else Picard-updated)
    multirate: int = 1  #: slow tiles are stepped once per this many explicit steps (1: every cell every step)
    #: implicit steps use BDF2 when the previous step allows it, else backward Euler throughout. Off by
    #: default: BDF2 is 10x more accurate on smooth cooling (tests/test_thermal_implicit.py) but not
    #: monotone, and through solidification, where h(T) has kinks, it was 3x less accurate at the same steps.
    second_order: bool = False
    safety: float = 0.9  #: fraction of a slow tile's stability limit its accumulated step may reach
    #: super-time-steps step the spot's and the melt's region by Euler steps (ThermalSolver._rough_box)
    rough_region: bool = True
    #: the rough region takes in the box of the hot cells (``hot_box``: at or above ``T_watch`` or molten) as well
    #: as the sources' footprints. Off by default: with the densifier's T_active as T_watch that box is most of a
    #: hot part (twice the spot's region on the demo, 20 % of its run time) and the demo's consolidated fraction
    #: and density moved by 0.06 % and 0.03 % without it (benchmarks/RESULTS.md)
    rough_hot_cells: bool = False
    #: the stages after the first leave out the rough cells no later stage's interface flux reaches
    #: (K.rough_stage_top: the same result to the bit, less work; False for tests)
    skip_deep_rough: bool = True
    #: explicit and super-time-steps with no source on and no cell lagging leave out the bottom layers that no heat
    #: has reached yet (:meth:`_place_quiet`): the same result to ~1e-9 K, less work where a heated region is a
    #: small part of a deep domain (False: every active layer every step)
    quiet_bottom: bool = True
    #: a porous cell's radiative term is taken over each face's temperatures, with the jump at an opaque neighbour
    #: (K.radiating_face_k; verified against Deissler's slab, tests/test_thermal_radiative_faces.py). It implies
    #: ``rough_hot_cells``: RKL2's stages weight the strongly nonlinear exchange with coefficients of both signs, and
    #: a cold powder cell under a hot one stepped by them fell below its neighbours within a step (a loss-free bed
    #: at 500 K reached 479 K; with the hot cells stepped by Euler steps it stays at 500 K). Off by default
    #: (``solver.radiating_faces``): 1.7x the demo's run time. False: each cell's k at its own temperature
    radiating_faces: bool = False

    def __post_init__(self) -> None:
        backend.ensure_init()
        fp = backend.float_type()
        shape = self.grid.shape
        nx, ny, _ = shape
        nd = lambda dt=fp, s=shape: ti.ndarray(dt, shape=s)  # noqa: E731
        self.h = nd()
        self.T, self.kcond, self.rho_rel, self.T_peak, self.t_hot = nd(), nd(), nd(), nd(), nd()
        self.kside = nd()  #: conductivity of the side faces, k x the share of the cell the material fills [W/(m K)]
        self.krad = nd()  #: share of k per K^3 the pores' radiation carries [1/K^3] (K.store_conductivity)
        self.t_liq = nd()      #: last time [s] each cell was at or above the liquidus
        self.cool_rate = nd()  #: mean cooling rate through the freezing range at the last solidification [K/s]
        self.mass = nd()  # mass fraction: relative density at deposition, conserved by densification
        self.state = nd(ti.i8)
        self.top = nd(ti.i32, (nx, ny))
        self.T_bottom = nd(fp, (nx, ny))
        self.dh_prev = nd()  #: enthalpy change of the last implicit step [J/kg] (BDF2 history)
        self.mass_lost = nd()    #: evaporated mass, as a fraction of a full-density cell's mass
        self.alkali_lost = nd()  #: its alkali share (the inventory that sets the alkali vapour pressure)
        # Ledger sums: f64 where the backend has it, else f32 increments folded into host totals (_fold_ledger).
        self.ledger_arr = ti.ndarray(backend.ledger_type(), shape=6)
        self._ledger_host = (0.0,) * self.ledger_arr.shape[0]  #: f64 totals of folded f32 ledger increments [J]
        self._folds = self.ledger_arr.dtype != ti.f64
        self._scratch = ti.ndarray(fp, shape=(1, 4))
        self._ext = ti.ndarray(ti.i32, shape=6)
        self._T_of_h = ti.ndarray(fp, shape=self.tables.T_of_h.size)
        self._T_of_h.from_numpy(self.tables.T_of_h.astype(backend.np_float()))
        self._cp_of_T = ti.ndarray(fp, shape=self.tables.cp_of_T.size)
        self._cp_of_T.from_numpy(self.tables.cp_of_T.astype(backend.np_float()))
        # Made here, not with the implicit work arrays: a checkpoint restores every array attribute, so
        # each must exist on a freshly built solver.
        self._h_of_T = ti.ndarray(fp, shape=self.tables.h_of_T.size)
        self._h_of_T.from_numpy(self.tables.h_of_T.astype(backend.np_float()))
        for a in (self.h, self.T, self.kcond, self.kside, self.krad, self.rho_rel, self.mass, self.T_peak, self.t_hot,
                  self.t_liq, self.cool_rate, self.T_bottom, self.mass_lost, self.alkali_lost):
            a.fill(0.0)
        self.rho_rel.fill(1.0)
        self.state.fill(0)
        self.top.fill(-1)
        self.ledger_arr.fill(0.0)
        self.ledger = EnergyLedger()
        self.time = 0.0
        self.steps = 0
        self.cell_updates = 0
        self.k_active = (0, 0)   #: cell layers [k0, k1) that hold material (kernels skip the rest)
        #: the layers under this one are the quiet bottom: left out of the passes while no heat reaches them
        self.k_quiet = 0
        self._quiet_placed = False  #: since the quiet bottom was last given up
        self._quiet_out = ti.ndarray(fp, shape=1)  #: K.quiet_front's output
        #: the largest diffusivity and surface coefficient of the quiet layers when they were left out (stable_dt)
        self._quiet_alpha, self._quiet_surf = 0.0, 0.0
        self._implicit: dict | None = None   # work arrays of the implicit step, made on first use
        self._sts: dict | None = None        # work arrays of the super-time-step, made on first use
        self._sts_coef: dict = {}            # device RKL2 coefficients by stage count
        self.sts_stats = {"steps": 0, "stages": 0, "rough_steps": 0}
        self.implicit_stats = {"steps": 0, "bdf2": 0, "newton": 0, "cg": 0, "halvings": 0, "last_dT": 0.0,
                               "last_dt": 0.0, "max_defect_K": 0.0}
        n_tiles = (-(-nx // K.TILE), -(-ny // K.TILE))
        self.tiles = ti.ndarray(ti.i8, shape=n_tiles)   #: multirate map, K.FAST or K.SLOW per tile
        self.tiles.fill(K.FAST)
        self._slow_map: np.ndarray | None = None  #: host copy of the slow tiles (None: read it from ``tiles``)
        self._evap_par = ti.ndarray(fp, shape=len(KE.PARAMS))
        if self.boundary.evaporation is not None:
            self._evap_par.from_numpy(self.boundary.evaporation.packed().astype(backend.np_float()))
        #: What bounds the next explicit step and where sintering can act, kept by ``update_properties`` as it
        #: updates the cells (one row per tile group, FAST and SLOW: see that kernel): ``watch`` holds the
        #: maxima of the explicit rates, the highest T and a non-finite flag, ``hot_box`` the box of cells at
        #: or above ``T_watch`` [K] (set by :meth:`watch_above`; none by default) or molten.
        self.watch = ti.ndarray(fp, shape=(2, K.WATCH_COLUMNS))
        self.hot_box = ti.ndarray(ti.i32, shape=(2, 6))
        self.watch.fill(0.0)
        #: host copies of the rows of ``watch`` read since the last update ((alpha, surf) or None; a list, so
        #: checkpoints leave it out): stable_dt is asked two or three times a step, each read costs 10-25 us
        self._watch_read: list = [None, None]
        self.hot_box.from_numpy(np.tile(np.array([K.BOX_EMPTY, -1], np.int32), (2, 3)))
        self.T_watch = np.inf
        self._par = ti.ndarray(fp, shape=len(K.PARAMS))  #: per-run constants of the explicit step (K.PARAMS)
        self._pack_params()
        self._tile_limit = ti.ndarray(fp, shape=n_tiles)
        self._tile_Tmax = ti.ndarray(fp, shape=n_tiles)
        self.slow_tiles = 0      #: number of slow tiles in the current map
        #: layers under this one lag in the fast tiles too (the deep, cold substrate: see :meth:`remap`)
        self.k_split = 0
        self._depth = ti.ndarray(fp, shape=2)  #: tile_limits' depth output (first layer that must not lag, limit)
        self._top_min = 0   #: lowest column top [layer] at the last refresh
        self._tops = np.full((nx, ny), -1, dtype=np.int32)  #: column tops [layer] at the last refresh (-1: none)
        self.slow_pending = 0.0  #: time [s] the slow tiles are behind the fast ones
        self.slow_steps = 0      #: fast steps since the slow tiles were last stepped
        self.slow_limit = 0.0    #: longest step the slow tiles may take [s]
        self.last_dt = 0.0       #: the latest explicit step [s]: slow tiles must allow multirate x this
        self.last_sts_stages = 0  #: stages of the latest explicit step if it was a super-time-step, else 0
        self.since_remap = 0     #: explicit steps since the tile map was last chosen
        self.spot_box: tuple = ()  #: cells (i_lo, i_hi, j_lo, j_hi) the sources last heated; kept fast
        self.heats_everywhere = False  #: the last source heated the whole domain: no slow tiles
        self.history_dt = 0.0    #: step [s] of the last implicit step if BDF2 may follow it, else 0
        self.history_ledger = (0.0,) * len(LEDGER_FLOWS)  #: that step's ledger increments (LEDGER_FLOWS) [J]

    # -- set-up -------------------------------------------------------------------------------
    def _pack_params(self) -> None:
        """Upload the per-run constants of the explicit step in the layout of ``K.PARAMS``."""
        t = self.tables
        values = dict(zip(("contact", "chi", "k_dense", "k_melt", "rho_rel0", "inv_phi0", "solidus", "inv_melt_range",
                           "k_const", "k_gas", "gas_exp"), self._k_params()))
        values.update(zip(("eps_solid", "eps_melt", "solidus", "liquidus", "T_sky", "h_conv", "T_amb",
                           "bottom_dirichlet", "top_held", "T_top"), self._surface_params()))
        values.update(h0=t.h0, inv_dh=1.0 / t.dh, T_hot=self.T_hot, cp_T0=t.T0, cp_inv_dT=1.0 / t.dT, hT0=t.hT0,
                      inv_hdT=1.0 / t.hdT, rho_p=t.rho_p, dx=self.grid.dx, T_watch=self.T_watch)
        values.update(self.radiation_params())
        #: the kernels' compile-time switch of the radiating faces (their K.rad_at): off, they compile without them
        self._faces = values["c_rad"] > 0.0
        self._par.from_numpy(np.array([values[name] for name in K.PARAMS], dtype=backend.np_float()))

    def radiation_params(self) -> dict:
        """The constants of the radiating faces (K.radiating_face_k): the loose powder's radiative coefficient c_rad =
        contact chi / 350^3 [W/(m K^4)] (as materials.laws.conductivity's term) and the jump constants
        (1/eps - 1/2) / (2 sigma dx) [m K^4/W] of the solid's and the melt's emissivity."""
        t = self.tables
        c_rad = t.contact * t.chi / 350.0 ** 3 if self.radiating_faces and t.k_const <= 0.0 else 0.0
        # (a surface that emits nothing passes no radiation: the jump's resistance is then unbounded)
        jump = lambda eps: (1.0 / eps - 0.5) / (2.0 * K.SIGMA * self.grid.dx) if eps > 0.0 else 1e30  # noqa: E731
        return {"c_rad": c_rad, "inv_c_rad": 1.0 / c_rad if c_rad > 0.0 else 0.0,
                "jump_solid": jump(t.eps_solid), "jump_melt": jump(t.eps_melt)}

    def watch_above(self, T_watch: float) -> None:
        """Keep the box of the cells at or above ``T_watch`` [K] (or molten) in ``hot_box`` from the next
        update on (the densifier's ``T_active``: it updates only that box)."""
        self.T_watch = float(T_watch)
        self._pack_params()
        self._refresh()

    def h_of_T(self, T) -> np.ndarray:
        t = self.tables
        h_grid = t.h0 + t.dh * np.arange(t.T_of_h.size)
        return np.interp(np.asarray(T, dtype=float), t.T_of_h, h_grid)

    def fill_region(self, mask: np.ndarray, T: np.ndarray | float, rho_rel: np.ndarray | float,
                    state: int = K.POWDER) -> None:
        """Put material (state, relative density, temperature) into the cells of a 3D mask."""
        self.sync(remap=False)  # (on the geometry the cells lagged on; _refresh maps the tiles afresh)
        mask = np.asarray(mask, dtype=bool)
        st, rr, h = self.state.to_numpy(), self.rho_rel.to_numpy(), self.h.to_numpy()
        Tn = self.T.to_numpy()
        T_full = np.broadcast_to(np.asarray(T, dtype=float), mask.shape)
        r_full = np.broadcast_to(np.asarray(rho_rel, dtype=float), mask.shape)
        added_before = self._stored_np(st, rr, h)
        st[mask] = state
        rr[mask] = r_full[mask]
        h[mask] = self.h_of_T(T_full[mask])
        Tn[mask] = T_full[mask]
        for arr, val in ((self.state, st), (self.rho_rel, rr), (self.mass, rr), (self.h, h), (self.T, Tn),
                         (self.T_peak, Tn)):
            arr.from_numpy(val.astype(arr.to_numpy().dtype) if arr is self.state else val)
        self.ledger.added += self._stored_np(st, rr, h) - added_before
        self._refresh()

    def _stored_np(self, st, rr, h) -> float:
        return float(np.sum(np.where(st > 0, h.astype(np.float64) * rr, 0.0)) * self.tables.rho_p * self.grid.dx ** 3)

    def set_bottom_temperature(self, T_bottom: float | np.ndarray) -> None:
        self._give_up_quiet()  # the bottom cells may no longer be at rest
        self.T_bottom.from_numpy(np.broadcast_to(np.asarray(T_bottom, float), self.T_bottom.shape).copy())

    def activate_layer(self, mask2d: np.ndarray, k_lo: int, k_hi: int, T_init: float) -> None:
        """Spread powder over the columns of ``mask2d`` in cell layers k_lo..k_hi-1 (cheap: one kernel)."""
        k_lo, k_hi = max(k_lo, 0), min(k_hi, self.grid.shape[2])
        if k_hi <= k_lo:
            return
        self.sync(remap=False)  # (as in fill_region)
        mask8 = np.asarray(mask2d, dtype=np.int8)
        m = ti.ndarray(ti.i8, shape=mask2d.shape)
        m.from_numpy(mask8)
        t = self.tables
        h_init = float(self.h_of_T(T_init))
        empty = self.state.to_numpy()[:, :, k_lo:k_hi] == K.VOID
        n = int(np.count_nonzero(empty & (mask8 != 0)[:, :, None]))  # the cells the kernel fills
        K.activate(self.state, self.rho_rel, self.mass, self.h, self.T, self.T_peak, m, k_lo, k_hi, t.rho_rel0,
                   h_init, T_init)
        held = backend.np_float()  # book what the cells hold: f32 rounds h and the density
        self.ledger.added += n * float(held(h_init)) * float(held(t.rho_rel0)) * t.rho_p * self.grid.dx ** 3
        self._refresh()

    def _refresh(self) -> None:
        self.history_dt = 0.0  # the geometry changed: the next implicit step starts afresh (backward Euler)
        self._give_up_quiet()
        K.column_tops(self.state, self.top)
        tops = self.top.to_numpy()
        self._tops = tops
        top = int(tops.max())
        self._top_min = int(tops[tops >= 0].min()) if top >= 0 else 0
        # Refresh up to the old top too: cells emptied by settling get k = 0, which diffuse reads as void.
        k_hi = max(self.k_active[1], top + 1)
        self.k_active = (0, k_hi)
        self.update_properties(0.0)
        self.k_active = (0, top + 1)
        if self.lagging:  # the tile map's limits were measured on the old geometry (a settled column, new powder)
            self.sync()

    # -- stepping -----------------------------------------------------------------------------
    def _k_params(self) -> tuple:
        """The constants of k(T, relative density) as ``K.conductivity_of`` takes them (reciprocals precomputed)."""
        t = self.tables
        # (1 - rho_rel0 floored at 1e-9 as materials.laws.conductivity does: a dense start has no powder)
        return (t.contact, t.chi, t.k_dense, t.k_melt, t.rho_rel0, 1.0 / max(1.0 - t.rho_rel0, 1e-9), t.solidus,
                1.0 / (t.liquidus - t.solidus), t.k_const, t.k_gas, t.gas_exp)

    def update_properties(self, dt: float, group: int = K.ALL, now: float | None = None,
                          evaporate: bool = False, h_start=None) -> None:
        """T, k and states from h after a step of dt [s] that ends at ``now`` [s] (default: the current time);
        with ``evaporate`` (and evaporation on) each cell's evaporation sink of the step first; with ``h_start``
        (the cells' enthalpy at the step's start) the step's largest temperature change into ``watch`` [W_DT]."""
        K.update_properties(self.h, self.rho_rel, self.state, self.T, self.kcond, self.kside, self.krad, self.T_peak,
                            self.t_hot, self.t_liq, self.cool_rate, self.mass, self._T_of_h, self._cp_of_T, self._par,
                            dt, self.time if now is None else now, *self._k_range(), self.tiles, self.k_split, group,
                            self.watch, self.hot_box, evaporate and self.boundary.evaporation is not None,
                            self.mass_lost, self.alkali_lost, self._h_of_T, self._evap_par, self.ledger_arr,
                            self.h if h_start is None else h_start, h_start is not None, self._faces)
        self._watch_read = [None, None]

    def _surface_params(self) -> tuple:
        t, b = self.tables, self.boundary
        return (t.eps_solid, t.eps_melt, t.solidus, t.liquidus, b.T_sky, b.h_conv, b.T_amb,
                int(b.bottom == "dirichlet"), int(b.T_top is not None), float(b.T_top or 0.0))

    def diffuse(self, dt: float, T=None, group: int = K.ALL) -> None:
        """h += dt x (net heat flow evaluated from the temperatures ``T``, default the current ones), then,
        with evaporation on, each exposed cell's evaporation sink of the step (in the same pass)."""
        K.diffuse(self.h, self.T if T is None else T, self.kcond, self.kside, self.krad, self.mass, self.T_bottom,
                  self.ledger_arr, self._par, dt, *self._k_range(), self.tiles, self.k_split, group,
                  self.boundary.evaporation is not None,
                  self.mass_lost, self.alkali_lost, self._T_of_h, self._h_of_T, self._cp_of_T, self._evap_par,
                  self._faces)

    def step(self, dt: float, sources=(), controlled: bool = False) -> None:
        """Advance by dt [s]: deposit source energy, conduct/radiate, then refresh T, k and states.
        An explicit step restarts the step control of the implicit integrator (a source was on), unless it is
        ``controlled``: a source-off step that control chose (shorter than the explicit limit), whose largest
        temperature change then feeds the control as a source-off super-time-step's does. (Restarted, the
        control took 4 explicit limits next: a held top face's cell rose 220-420 K in such steps against a
        20 K aim, and ended 200 K below the explicit run's.)
        With multirate, only the fast tiles are stepped here; the slow ones catch up in :meth:`sync`."""
        feed = controlled and not any(getattr(src, "on", True) for src in sources)
        if not feed:
            self.implicit_stats["last_dt"] = 0.0
        self.history_dt = 0.0
        group = self._prepare_multirate(dt, sources)
        self._place_quiet(1, sources)
        h_start = None
        if feed:
            h_start = self._sts_arrays()["h0"]
            K.copy_active(self.h, h_start, self.state, *self._k_range())
        for src in sources:
            src.deposit(self, dt)
        self.diffuse(dt, group=group)
        self._end_explicit(dt, group, 1, h_start=h_start)
        if feed:
            self._feed_step_control(dt)

    def _feed_step_control(self, dt: float) -> None:
        """The step control of source-off steps (:meth:`implicit_dt`) gets this step's length and its largest
        temperature change, from the enthalpy at its start (``update_properties``' h_start) to its end."""
        self.implicit_stats["last_dt"] = dt
        self.implicit_stats["last_dT"] = float(self.watch[K.FAST, K.W_DT])

    def step_sts(self, dt: float, sources=(), margin: float = STS_MARGIN) -> int:
        """Advance by dt [s], which may be many explicit limits long, by one RKL2 super-time-step
        (:mod:`regolith_sim.thermal.sts`; kernel ``sts_stage``): the sources' energy
        of the step enters every stage as a constant rate; the stage count s is the fewest with
        dt <= ``margin`` x ``safety`` x the forward-Euler limit x (s^2 + s - 2) / 4; after the s stages come, in
        one pass, the evaporation sink of the step (split off, applied once to the step's end enthalpy) and the
        full property update (states, peak temperatures, the bound of the next step). Returns s.

        With ``rough_region`` the cells around the spot (:meth:`_rough_box`) are then stepped
        again from the step's start by Euler steps within the same limit (``K.rough_step``), taking what the
        stages moved across the region's faces as a constant inflow: RKL2 damps the sharp cell-to-cell
        contrasts a spot leaves in the melt only partly (its amplification stays within [0, 1] where e^z is
        about 0), Euler steps at the limit as the heat equation does; the region is a few percent of the cells.
        The ledger closes as before: each face's heat enters both of its cells once."""
        self.implicit_stats["last_dt"] = 0.0
        self.history_dt = 0.0
        group = self._prepare_multirate(dt, sources)
        dt_fe = self.stable_dt(1.0)  # over the cells this step updates, as update_properties left them
        s = sts.stages_for(dt / (margin * self.safety * dt_fe))
        self._place_quiet(s, sources)
        w = self._sts_arrays()
        rough = self._rough_box(sources, group) if self.rough_region else None
        # rbox[6]: the stages may leave out the rough cells deep in the region (K.rough_stage_top) when every
        # column of its box is rough (no lagging tile in it) and nothing but void lies above it.
        whole = self.skip_deep_rough and rough is not None and rough[5] >= self.k_active[1] and \
            (self.slow_tiles == 0 or not self._touches_slow(rough[:4]))
        w["rbox"].from_numpy(np.asarray((*(rough if rough is not None else (0,) * 6), int(whole)), dtype=np.int32))
        self._clear_src(w["src"], sources)
        h = self.h
        self.h = w["src"]  # the sources deposit into src, not into the enthalpy (see sts_stage)
        try:
            for src in sources:
                src.deposit(self, dt)
        finally:
            self.h = h
        k0, k1 = self._k_range()
        coef = self._sts_coefficients(s)
        # Y_j goes over Y_{j-2} (cell-local), so Y_s lands in self.h: stage 1 in place for odd s (Y_0 is kept in
        # h0), into the spare array for even s; stage 2 of an odd s reads Y_0 from h0. The stages after the first
        # go K.STS_BATCH to a launch, alternating between the arrays of Y_{j-1} and Y_{j-2} (sts_stage).
        spare = w["spare"]
        bufs = {0: self.h, 1: self.h if s % 2 else spare}
        args = (w["h0"], w["m0"], w["src"], self.T, self.kcond, self.kside, self.krad, self.mass, self.T_bottom,
                self.ledger_arr, self._par, coef)
        tail = (k0, k1, self.tiles, self.k_split, group, w["rbox"], w["inflow"], self.rho_rel, self._T_of_h,
                self._faces)
        K.sts_stage(self.h, self.h, bufs[1], self.h, *args, 1, 1, True, dt, *tail)
        for j in range(2, s + 1, K.STS_BATCH):
            count = min(K.STS_BATCH, s + 1 - j)
            prev, two = bufs[j - 1], (w["h0"] if j == 2 and s % 2 else bufs[j - 2])
            out = spare if j == 2 and s % 2 else two
            K.sts_stage(self.h, prev, out, two, *args, j, count, False, dt, *tail)
            for m in range(count):
                bufs[j + m] = out if m % 2 == 0 else prev
        if rough is not None:
            self._rough_steps(dt, dt_fe, margin, rough)
        off = not any(getattr(src, "on", True) for src in sources)
        # The step's evaporation, in the property update, which takes the step's start from h0 (the stages
        # overwrote T): where the melt froze within it, and its largest temperature change.
        self._end_explicit(dt, group, s, evaporate=True, h_start=w["h0"])
        self.sts_stats["steps"] += 1
        self.sts_stats["stages"] += s
        if off:
            # A source-off step feeds the step control the implicit steps use (implicit_dt) with the same measure:
            # its largest temperature change, from the enthalpy at its start (h0) to its end. (The fastest rate at
            # its start times dt, used before, overstated it where a thin top cell cools fast at first: at
            # resolution 2 the demo's dwells took 4x the steps of resolution 1.)
            self._feed_step_control(dt)
        return s

    def _rough_box(self, sources, group: int) -> tuple | None:
        """The rough region of a super-time-step (``K.rough_code``): the box of the cells the sources heat (and,
        with ``rough_hot_cells``, of the cells at or above ``T_watch`` or molten: ``hot_box``, as the last update
        left it), widened by ``ROUGH_MARGIN`` cells, from ``ROUGH_MARGIN`` layers under the lowest of them (or of
        the heated columns' tops) up; None if there is none or a source heats the whole top (no region to set
        apart)."""
        boxes = [src.footprint(self.grid) for src in sources if getattr(src, "on", True)]
        if any(b is None for b in boxes):
            return None
        nx, ny, _ = self.grid.shape
        k0, k1 = self.k_active
        rough_hot = self.rough_hot_cells or self._faces  # (the faces' stages undershoot: radiating_faces)
        hot = [int(v) for v in self.hot_box.to_numpy()[K.FAST]] if rough_hot else [0, -1]
        lows = []
        if hot[1] >= 0:
            boxes.append((hot[0], hot[1] + 1, hot[2], hot[3] + 1))
            lows.append(hot[4])
        if not boxes:
            return None
        m = ROUGH_MARGIN
        i_lo, i_hi = max(min(b[0] for b in boxes) - m, 0), min(max(b[1] for b in boxes) + m, nx)
        j_lo, j_hi = max(min(b[2] for b in boxes) - m, 0), min(max(b[3] for b in boxes) + m, ny)
        if i_hi <= i_lo or j_hi <= j_lo:
            return None
        tops = self._tops[i_lo:i_hi, j_lo:j_hi]
        if (tops >= 0).any():
            lows.append(int(tops[tops >= 0].min()))
        k_lo = max(min(lows, default=k0) - m, k0, self.k_quiet, self.k_split if group == K.FAST else 0)
        return (i_lo, i_hi, j_lo, j_hi, k_lo, k1) if k_lo < k1 else None

    def _rough_steps(self, dt: float, dt_fe: float, margin: float, rough: tuple) -> None:
        """Step the rough region of a super-time-step again from its start, by Euler steps within the explicit
        limit (``K.rough_step``, ``K.ROUGH_BATCH`` of them per launch): the same limit and margin the stage
        count was chosen with."""
        w = self._sts
        n = max(int(np.ceil(dt / (margin * self.safety * dt_fe))), 1)
        k1 = self.k_active[1]
        for m in range(0, n, K.ROUGH_BATCH):
            K.rough_step(self.h, w["h0"], self.T, self.kcond, self.kside, self.krad, self.mass, self.rho_rel,
                         self._T_of_h, self.T_bottom, self.ledger_arr, self._par, w["inflow"], dt / n, 1.0 / n, k1,
                         self.tiles, w["rbox"], int(m == 0), min(K.ROUGH_BATCH, n - m), self._faces)
        i_lo, i_hi, j_lo, j_hi, k_lo, k_hi = rough
        self.cell_updates += n * (i_hi - i_lo) * (j_hi - j_lo) * (min(k_hi, k1) - k_lo)
        self.sts_stats["rough_steps"] += n

    def _sts_arrays(self) -> dict:
        if self._sts is None:
            fp = backend.float_type()
            self._sts = {n: ti.ndarray(fp, shape=self.grid.shape) for n in ("spare", "h0", "m0", "src", "inflow")}
            for a in self._sts.values():
                a.fill(0.0)
            self._sts["rbox"] = ti.ndarray(ti.i32, shape=7)  # the rough region's box and K.rough_stage_top's flag
            self._src_columns = ()
        return self._sts

    def _clear_src(self, src, sources) -> None:
        """Zero a super-time-step's deposit array ``src`` where the last step's sources put their energy (the
        columns of their footprints, kept in ``_src_columns``; the whole grid after a source without one)."""
        last = getattr(self, "_src_columns", None)
        if last is None:
            src.fill(0.0)
        elif last:
            K.zero_columns(src, *last)
        boxes = [s.footprint(self.grid) for s in sources if getattr(s, "on", True)]
        if any(b is None for b in boxes):
            self._src_columns = None
        elif boxes:
            nx, ny, _ = self.grid.shape
            box = (max(min(b[0] for b in boxes), 0), min(max(b[1] for b in boxes), nx),
                   max(min(b[2] for b in boxes), 0), min(max(b[3] for b in boxes), ny))
            self._src_columns = box if box[0] < box[1] and box[2] < box[3] else ()
        else:
            self._src_columns = ()

    def _sts_coefficients(self, s: int):
        """The device copy of ``sts.coefficients(s)`` (made once per stage count)."""
        if s not in self._sts_coef:
            a = ti.ndarray(backend.float_type(), shape=(s + 1, 5))
            a.from_numpy(sts.coefficients(s).astype(backend.np_float()))
            self._sts_coef[s] = a
        return self._sts_coef[s]

    def _end_explicit(self, dt: float, group: int, sweeps: int, evaporate: bool = False, h_start=None) -> None:
        """The end of an explicit or super-time-step of dt over ``group`` made of ``sweeps`` flux passes (with
        ``evaporate``, the step's evaporation is applied first; ``h_start``: ``update_properties``)."""
        self.update_properties(dt, group=group, now=self.time + dt, evaporate=evaporate, h_start=h_start)
        self.time += dt
        self.steps += 1
        if self._folds and self.steps % LEDGER_FOLD_STEPS == 0:
            self._fold_ledger()
        self.cell_updates += sweeps * self._cells_in(group)
        self.last_dt = dt
        self.last_sts_stages = 0 if sweeps == 1 else sweeps
        if self.multirate > 1:
            self.since_remap += 1
            self.slow_pending += dt if group == K.FAST else 0.0
            self.slow_steps += 1
            if self.slow_steps >= self.multirate:
                self.sync()

    # -- quiet bottom -----------------------------------------------------------------------------
    def _k_range(self) -> tuple[int, int]:
        """The layers [k0, k1) the explicit and super-time-step passes update: the active ones above the quiet
        bottom."""
        return self.k_quiet, self.k_active[1]

    def _give_up_quiet(self) -> None:
        """Every active layer in the passes again, until the next step places the quiet bottom afresh."""
        self.k_quiet, self._quiet_placed = 0, False

    def _place_quiet(self, stages: int, sources) -> None:
        """Before an explicit or super-time-step of ``stages`` flux evaluations: the quiet bottom, the layers more
        than ``stages`` + ``QUIET_BUFFER`` under the lowest one heat is moving in. Heat crosses at most one cell
        per flux evaluation, so it cannot reach them within the step; the face on top of them is the pass's,
        which moves its heat into the cell under it (``K.column_start``), so the ledger closes as before.
        Placed from the net heat flux of every cell (``K.quiet_front``: exactly 0 in a uniform region; a cell at
        or above ``T_hot`` or ``T_watch`` counts as moving, as it densifies or boils on its own), then,
        from step to step, lowered to the reach of the lowest layer the last update changed by more than
        ``K.QUIET_REL`` of its temperature (``watch`` [W_MOVED]); never raised (a layer that heat reached is
        never left out again: its slow change would be lost). Given up with a source on (a deposit may reach
        any cell), lagging cells (the multirate groups keep their own layers), an implicit step and a change of
        geometry."""
        on = any(getattr(src, "on", True) for src in sources)
        if not self.quiet_bottom or on or self.lagging:
            self._give_up_quiet()
            return
        k1 = self.k_active[1]
        placing = not self._quiet_placed
        if placing:
            K.quiet_front(self.h, self.T, self.kcond, self.kside, self.krad, self.mass, self.T_bottom, self.ledger_arr,
                          self._par, 0, k1, self.tiles, self._quiet_out, self._faces)
            moved = float(self._quiet_out[0])
            self._quiet_placed = True
            self.k_quiet = k1
        else:
            moved = float(self.watch[K.FAST, K.W_MOVED])
        front = self.grid.shape[2] - int(round(moved)) if moved > 0 else k1
        self.k_quiet = min(self.k_quiet, max(front - stages - QUIET_BUFFER, 0))
        if placing and self.k_quiet > 0:
            # What bounds the step in the layers set aside, as they are (and stay: only the face on top of them
            # moves heat, into the cell under it): stable_dt keeps it while any of them is left out.
            self._stability_bounds(K.ALL, self._scratch, 0, (0, self.k_quiet))
            self._quiet_alpha, self._quiet_surf = (float(v) for v in self._scratch.to_numpy()[0, :2])

    # -- multirate -------------------------------------------------------------------------------
    @property
    def lagging(self) -> bool:
        """Whether some cells lag (slow tiles, or the deep layers of the fast ones)."""
        return self.slow_tiles > 0 or self.k_split > 0

    def _cells_in(self, group: int) -> int:
        """Cells a pass over ``group`` visits (its share of the active layers)."""
        nx, ny, _ = self.grid.shape
        k0, k1 = self._k_range()
        every = nx * ny * (k1 - k0)
        if group == K.ALL:
            return every
        n_tiles = self.tiles.shape[0] * self.tiles.shape[1]
        fast = int(round((n_tiles - self.slow_tiles) / n_tiles * nx * ny * max(k1 - max(k0, self.k_split), 0)))
        return fast if group == K.FAST else every - fast

    def _prepare_multirate(self, dt: float, sources) -> int:
        """The tile group an explicit step of dt updates (ALL without slow tiles, else FAST), after
        bringing the slow tiles up to date when a source is about to reach one or when dt would take
        them past their stability limit."""
        if self.multirate <= 1:
            return K.ALL
        boxes = [src.footprint(self.grid) for src in sources if getattr(src, "on", True)]
        self.heats_everywhere = any(b is None for b in boxes) or (self.heats_everywhere and not boxes)
        if self.heats_everywhere:   # a source over the whole domain: no tile may lag
            if self.lagging:
                self.sync()
            return K.ALL
        if boxes:
            self.spot_box = (min(b[0] for b in boxes), max(b[1] for b in boxes),
                             min(b[2] for b in boxes), max(b[3] for b in boxes))
        if self.lagging and any(self._touches_slow(b) for b in boxes):
            self.sync(dt_next=dt)
        elif self.lagging and self.slow_pending + dt > self.slow_limit:
            # After super-time-steps the slow tiles may have to catch up every step or two (they lag at least
            # one step): the map is then chosen again once per ``multirate`` steps, as after explicit ones, and
            # whenever this step is longer than the slow cells' limit.
            self.sync(remap=self.since_remap >= self.multirate or self.last_sts_stages == 0 or dt > self.slow_limit,
                      dt_next=dt)
        elif self.last_dt == 0.0:   # the first explicit step: map the tiles now
            self.last_dt = dt
            self.remap(dt)
        if self.lagging and self.slow_pending + dt > self.slow_limit:
            # The slow cells catch up in one explicit step, so they may not lag past their limit. A map chosen for
            # dt allows it (remap); this guards any other path, at the cost of stepping every cell this once.
            self.sync(remap=False)
            self._all_fast()
        return K.FAST if self.lagging else K.ALL

    def _tiles_under(self, i_lo: int, i_hi: int, j_lo: int, j_hi: int):
        """Index of the tiles holding the cells [i_lo, i_hi) x [j_lo, j_hi) (clipped to the grid), or None."""
        nx, ny, _ = self.grid.shape
        i_lo, i_hi, j_lo, j_hi = max(i_lo, 0), min(i_hi, nx), max(j_lo, 0), min(j_hi, ny)
        if i_hi <= i_lo or j_hi <= j_lo:
            return None
        return slice(i_lo // K.TILE, (i_hi - 1) // K.TILE + 1), slice(j_lo // K.TILE, (j_hi - 1) // K.TILE + 1)

    def _touches_slow(self, box) -> bool:
        under = self._tiles_under(*box)
        if under is None:
            return False
        if self._slow_map is None:  # a device read only after the map was restored from a checkpoint
            self._slow_map = self.tiles.to_numpy() == K.SLOW
        return bool(self._slow_map[under].any())

    def _all_fast(self) -> None:
        self.tiles.fill(K.FAST)
        self._slow_map = None
        self.slow_tiles, self.slow_limit, self.k_split = 0, 0.0, 0

    def sync(self, remap: bool = True, dt_next: float = 0.0) -> None:
        """Bring the slow tiles up to the current time (one explicit step of the time they are behind,
        within their stability limit), then choose the slow tiles again (:meth:`remap`, for a coming step of
        ``dt_next``) unless ``remap`` is False (the map stays valid: its slow cells change slowly, and a source
        about to reach one forces a remap)."""
        if self.lagging and self.slow_pending > 0.0:
            self.diffuse(self.slow_pending, group=K.SLOW)
            self.update_properties(self.slow_pending, group=K.SLOW)
            self.cell_updates += self._cells_in(K.SLOW)
        self.slow_pending, self.slow_steps = 0.0, 0
        if self.multirate > 1 and remap:
            self.remap(dt_next)

    def remap(self, dt_next: float = 0.0) -> None:
        """Choose the slow tiles: those whose own explicit limit (``safety`` x ``tile_limits``) spans at
        least ``multirate`` of the latest explicit steps (the step is often set by the spot's motion,
        far below the stability limit) and the coming step ``dt_next``, holding no cell above ``T_hot``
        (where sintering runs), away from the spot (its box widened by the half cell per step it may travel
        over ``multirate`` steps) and not next to a fast tile. In the fast tiles, the layers under ``k_split``
        lag too: the deep substrate, whose cells pass the same test in every column, kept
        ``DEPTH_BUFFER`` layers under the lowest cell that fails it and ``DEPTH_KEEP_TOP`` layers under
        the lowest column top (the source heats the top cells). The interface between a fast tile's deep
        and upper cells is conservative as between tiles."""
        k0, k1 = self.k_active
        if k1 <= k0 or self.heats_everywhere:
            self._all_fast()
            return
        t, b = self.tables, self.boundary
        dt_ref = self.last_dt if self.last_dt > 0.0 else self.stable_dt(self.safety, K.ALL)
        lag = self.multirate * dt_ref  # how long a slow tile may lag
        if self.last_sts_stages:
            # After a super-time-step (many explicit limits long) a tile lags as long as it would behind the
            # explicit steps the stages stand for, but at least one step: measured in steps, cold powder and
            # substrate would hardly ever qualify.
            lag = max(self.multirate * min(dt_ref, self.stable_dt(self.safety, K.ALL)), dt_ref)
        # ... and at least the coming step, which they sit out (after a step cut short by an event the latest one
        # can be far shorter: a map chosen for it let resolidified cells lag a 0.5 s step, 12x their limit)
        lag = max(lag, dt_next)
        self.since_remap = 0
        scale = self.safety  # a lagging cell's step: safety x its conduction bound, x SLOW_STEP_FRACTION its radiative
        deep_scale = DEPTH_STEP_FRACTION * self.safety
        K.tile_limits(self.T, self.kcond, self.kside, self.krad, self.mass, self._par, self.state, self._cp_of_T,
                      t.T0, 1.0 / t.dT, t.rho_p, max(t.eps_solid, t.eps_melt), b.h_conv, self.grid.dx, k0, k1,
                      self._tile_limit, self._tile_Tmax, lag / deep_scale, self.T_hot, self._depth, SLOW_STEP_FRACTION,
                      self._faces)
        limit = scale * self._tile_limit.to_numpy()
        fast = (limit < lag) | (self._tile_Tmax.to_numpy() > self.T_hot)
        reach = self.multirate // 2 + 1
        if self.spot_box:
            i_lo, i_hi, j_lo, j_hi = self.spot_box
            under = self._tiles_under(i_lo - reach, i_hi + reach + 1, j_lo - reach, j_hi + reach + 1)
            if under is not None:
                fast[under] = True
        slow = ~_grow(fast)
        self.tiles.from_numpy(np.where(slow, K.SLOW, K.FAST).astype(np.int8))
        self._slow_map = slow
        self.slow_tiles = int(slow.sum())
        first, deep_limit = self._depth.to_numpy()
        self.k_split = max(0, min(int(first) - DEPTH_BUFFER, self._top_min + 1 - DEPTH_KEEP_TOP))
        limits = ([float(limit[slow].min())] if self.slow_tiles else []) + \
            ([deep_scale * float(deep_limit)] if self.k_split else [])
        self.slow_limit = min(limits, default=0.0)
        self._rewatch()

    def _rewatch(self) -> None:
        """After the tile map changed: the FAST row of ``watch`` for the new fast tiles (one pass over them;
        a remap comes once per ``multirate`` steps at most), and the SLOW row of ``hot_box`` widened to
        both rows (cells that were fast and are now slow keep their temperatures until the next SLOW pass)."""
        if self.lagging:  # (with nothing lagging, stable_dt takes both rows, which cover every cell already)
            self._stability_bounds(K.FAST, self.watch, K.FAST)
            self._watch_read = [None, None]
        K.keep_slow_box(self.hot_box)

    # -- implicit step (backward Euler; equations and references in gpu_kernels.thermal) ----------
    def _implicit_arrays(self) -> dict:
        if self._implicit is None:
            fp = backend.float_type()
            names = ("T_old", "h_old", "Tm", "x", "diag", "rhs", "c_eff", "h_m", "r", "p", "Ap")
            self._implicit = {n: ti.ndarray(fp, shape=self.grid.shape) for n in names}
            for a in self._implicit.values():
                a.fill(1.0)  # void cells are never read as divisors, but keep them finite
        return self._implicit

    def _pcg(self, w: dict, k0: int, k1: int, diag_sum: float, tol_K: float, max_iter: int) -> int | None:
        """Solve A x = rhs by Jacobi-preconditioned CG from the guess in x; the iteration count, or None
        if it did not converge. Stops when r . D^-1 r <= tol_K^2 x trace(A), i.e. when the diagonally
        scaled residual (a temperature) is below tol_K in the mean."""
        dx = self.grid.dx
        K.implicit_matvec(w["x"], w["Ap"], self.kcond, self.kside, self.krad, w["Tm"], self._par, self.state, w["diag"],
                          dx, k0, k1, self._faces)
        rz = K.cg_start(w["Ap"], w["rhs"], w["diag"], w["r"], w["p"], self.state, k0, k1)
        target = tol_K * tol_K * diag_sum
        if rz <= target:
            return 0
        for it in range(1, max_iter + 1):
            pAp = K.implicit_matvec(w["p"], w["Ap"], self.kcond, self.kside, self.krad, w["Tm"], self._par, self.state,
                                    w["diag"], dx, k0, k1, self._faces)
            if not pAp > 0.0:
                return None
            rz_new = K.cg_advance(w["x"], w["r"], w["p"], w["Ap"], w["diag"], self.state, rz / pAp, k0, k1)
            if rz_new <= target:
                return it
            K.cg_direction(w["r"], w["p"], w["diag"], self.state, rz_new / rz, k0, k1)
            rz = rz_new
        return None

    def _implicit_conductivity(self, Tm) -> None:
        """k, kside and krad of the active cells for the implicit step's iterate ``Tm``: at Tm (Picard), or with
        ``lag_conductivity`` at the step's start but for the pores' radiative term, which the faces take over their
        temperatures at Tm (K.radiating_face_k needs k to hold that term at the temperatures it is given)."""
        if not self.lag_conductivity:
            K.conductivity_from(Tm, Tm, self.rho_rel, self.state, self.kcond, self.kside, self.krad, self.mass,
                                self._par, *self.k_active, self._faces)
        elif self._faces:
            K.conductivity_from(self.T, Tm, self.rho_rel, self.state, self.kcond, self.kside, self.krad, self.mass,
                                self._par, *self.k_active, self._faces)

    def _implicit_solve(self, dt: float, tol_K: float, max_newton: int, max_cg: int) -> bool:
        """Iterate T* for one backward-Euler step from the current h (kept unchanged); True if converged."""
        w, t = self._implicit_arrays(), self.tables
        k0, k1 = self.k_active
        K.copy_active(self.T, w["Tm"], self.state, k0, k1)
        for _ in range(max_newton):
            self.implicit_stats["newton"] += 1
            self._implicit_conductivity(w["Tm"])
            diag_sum = K.implicit_assemble(
                self.h, w["Tm"], self.kcond, self.kside, self.krad, self._par, self.mass, self.state, self.T_bottom,
                w["diag"], w["rhs"], w["c_eff"], w["h_m"], self._h_of_T, t.hT0, 1.0 / t.hdT, dt, self.grid.dx, t.rho_p,
                *self._surface_params(), k0, k1, self._faces)
            K.copy_active(w["Tm"], w["x"], self.state, k0, k1)
            its = self._pcg(w, k0, k1, diag_sum, 1e-3 * tol_K, max_cg)
            if its is None:
                return False
            self.implicit_stats["cg"] += its
            change = K.implicit_source_update(w["Tm"], w["x"], w["c_eff"], w["h_m"], self.state, self._T_of_h,
                                              t.h0, 1.0 / t.dh, k0, k1)
            if not np.isfinite(change):
                return False
            if change <= tol_K:
                return True
        return False

    def _implicit_advance(self, dt: float, depth: int, tol_K: float, t0: float) -> None:
        """One implicit solve of length dt starting at time t0 [s], halved (recursively) where it fails."""
        if not self._implicit_solve(dt, tol_K, max_newton=25, max_cg=4000):
            if depth >= 12:
                raise SimulationDiverged(
                    f"the implicit step did not converge at step {self.steps} (t = {self.time:.4g} s) even at "
                    f"dt = {dt:.3g} s; set solver.implicit_cooldown = false to use explicit steps")
            self.implicit_stats["halvings"] += 1
            self._implicit_advance(0.5 * dt, depth + 1, tol_K, t0)
            self._implicit_advance(0.5 * dt, depth + 1, tol_K, t0 + 0.5 * dt)
            return
        w = self._implicit
        k0, k1 = self.k_active
        # Conservative update: the fluxes of the converged temperatures T* move the enthalpy and enter the
        # ledger exactly as applied, so the balance closes to round-off whatever the iteration tolerance.
        self._implicit_conductivity(w["Tm"])
        self.diffuse(dt, T=w["Tm"])
        # With BDF2 the solve is c dt long (c >= 2/3) for dt of time: its clock may run early by dt / 3.
        self.update_properties(dt, now=t0 + dt)
        defect = K.max_abs_difference(self.T, w["Tm"], self.state, k0, k1)
        self.implicit_stats["max_defect_K"] = max(self.implicit_stats["max_defect_K"], float(defect))

    def step_implicit(self, dt: float, sources=(), tol_K: float = 0.05) -> None:
        """Advance by dt [s] implicitly, unconditionally stable: sources deposit their energy first
        (explicitly, as in :meth:`step`), then conduction, radiation and convection are implicit.

        Backward Euler, M (h^{n+1} - h^n) = dt F(T^{n+1}), after heating, a change of geometry, or a
        step more than ``BDF2_MAX_RATIO`` times the last; otherwise (with ``second_order``) the
        variable-step BDF2 (Hairer, Norsett & Wanner 1993, Solving ODEs I, Sec. III.5):
        h^{n+1} - h^n = b (h^n - h^{n-1}) + c dt F(T^{n+1}) / M, w = dt_n / dt_{n-1},
        b = w^2 / (1 + 2w), c = (1 + w) / (1 + 2w) -- a backward-Euler solve of length c dt from
        h^n + b (h^n - h^{n-1}). The history term moves the energy the last step's boundary fluxes moved,
        times b, so the ledger books b x that step's increments and still closes to round-off.
        ``tol_K`` is the convergence tolerance of the nonlinear iteration [K]; a step that does not
        converge is split in halves. The step's largest temperature change is kept for :meth:`implicit_dt`."""
        self.sync()
        self._give_up_quiet()
        w = self._implicit_arrays()
        k0, k1 = self.k_active
        for src in sources:
            src.deposit(self, dt)
        K.copy_active(self.T, w["T_old"], self.state, k0, k1)
        K.copy_active(self.h, w["h_old"], self.state, k0, k1)
        ledger_before = self.ledger_arr.to_numpy()[LEDGER_FLOWS].copy()
        ratio = dt / self.history_dt if self.history_dt > 0.0 else np.inf
        if self.second_order and not sources and ratio <= BDF2_MAX_RATIO:
            b, c = ratio * ratio / (1.0 + 2.0 * ratio), (1.0 + ratio) / (1.0 + 2.0 * ratio)
            K.add_scaled(self.h, self.dh_prev, b, self.state, k0, k1)
            book = self.ledger_arr.to_numpy()
            book[LEDGER_FLOWS] += b * np.asarray(self.history_ledger)
            self.ledger_arr.from_numpy(book)
            self._implicit_advance(c * dt, 0, tol_K, self.time)
            self.implicit_stats["bdf2"] += 1
        else:
            self._implicit_advance(dt, 0, tol_K, self.time)
        K.subtract_into(self.h, w["h_old"], self.dh_prev, self.state, k0, k1)
        self.history_ledger = tuple(float(v) for v in self.ledger_arr.to_numpy()[LEDGER_FLOWS] - ledger_before)
        self.history_dt = 0.0 if sources else dt
        st = self.implicit_stats
        st["last_dT"] = float(K.max_abs_difference(self.T, w["T_old"], self.state, k0, k1))
        st["last_dt"] = dt
        st["steps"] += 1
        self.time += dt
        self.steps += 1
        if self._folds:  # one implicit step books as much as many explicit ones
            self._fold_ledger()
        self.cell_updates += self._cells_in(K.ALL)

    def implicit_dt(self, dT_target: float = COOLDOWN_DT_TARGET_K, growth: float = 2.0) -> float:
        """Next source-off step [s] chosen by accuracy: scale the last one (implicit, or a source-off
        super-time-step: :meth:`step_sts`) so the largest temperature change per step is about ``dT_target`` [K]
        (at most ``growth`` times longer); the first one after a source-on or an uncontrolled explicit step is 4 x
        the explicit limit (controlled explicit steps feed the control: :meth:`step`). (Until this session a run
        without implicit steps yet took that first step every time: the demo's dwells and cool-down went at 4
        explicit limits a step, 4x more steps at resolution 2 than at 1.)"""
        st = self.implicit_stats
        if st["last_dt"] <= 0.0:
            return 4.0 * self.stable_dt()
        ratio = dT_target / max(st["last_dT"], 1e-12)
        return st["last_dt"] * float(np.clip(0.9 * ratio, 0.2, growth))

    def _stability_bounds(self, group: int, out, row: int, layers: tuple[int, int] | None = None) -> None:
        """K.stability_bounds over the cells of tile group ``group`` in ``layers`` [k0, k1) (default: the active
        ones) into row ``row`` of ``out``."""
        t, b = self.tables, self.boundary
        K.stability_bounds(self.T, self.kcond, self.kside, self.krad, self.mass, self._par, self.state,
                           self._cp_of_T, t.T0, 1.0 / t.dT, t.rho_p, max(t.eps_solid, t.eps_melt), b.h_conv,
                           *(layers or self.k_active), self.tiles, self.k_split, group, out, row, self._faces)

    def _bounds(self, group: int = K.ALL) -> tuple[float, float, float, float]:
        """(max diffusivity, max surface coefficient, max T, non-finite flag) over the active cells of
        tile group ``group``, computed from the stored fields (a pass of its own)."""
        self._stability_bounds(group, self._scratch, 0)
        return tuple(float(v) for v in self._scratch.to_numpy()[0])  # type: ignore[return-value]

    def _watched_bounds(self, group: int) -> tuple[float, float]:
        """(max diffusivity, max surface coefficient) over tile group ``group`` as ``update_properties`` left
        them in ``watch`` (no pass): row FAST is exact for the fast tiles (the last FAST or ALL pass covered
        them, or :meth:`remap` recomputed it for a new map); for ALL both rows, which together cover every
        cell's latest update."""
        # Element reads, not to_numpy: two or four numbers cost less than a copy of the array (~40 vs ~200 us),
        # once per row and update (_watch_read).
        rows = (K.FAST, K.SLOW) if group == K.ALL else (group,)
        for r in rows:
            if self._watch_read[r] is None:
                self._watch_read[r] = (float(self.watch[r, K.W_ALPHA]), float(self.watch[r, K.W_SURF]))
        alpha, surf = max(self._watch_read[r][0] for r in rows), max(self._watch_read[r][1] for r in rows)
        if self.k_quiet > 0:  # the quiet bottom's cells, left out of the updates, as they were set aside
            alpha, surf = max(alpha, self._quiet_alpha), max(surf, self._quiet_surf)
        return alpha, surf

    def stable_dt(self, safety: float = 0.9, group: int | None = None, from_fields: bool = False) -> float:
        """Largest explicit step: dx^2/(6 alpha_max) for conduction (von Neumann bound of the 7-point
        scheme) and rho c dx/(4 eps sigma T^3 + h) for a radiating face, times ``safety``; with slow
        tiles mapped, over the fast tiles only (the slow ones keep to their own limit, see :meth:`remap`).
        The maxima are those ``update_properties`` kept as it last updated the cells (:meth:`_watched_bounds`):
        the numbers a pass over the stored fields gives (``from_fields``: :meth:`_bounds`, for checks), or,
        for the one step after a whole-grid refresh with slow tiles mapped, a larger maximum (a shorter step)."""
        if group is None:
            group = K.FAST if self.lagging else K.ALL
        alpha, surf = self._bounds(group)[:2] if from_fields else self._watched_bounds(group)
        dx = self.grid.dx
        limits = [dx * dx / (6.0 * alpha) if alpha > 0 else np.inf,
                  dx / (5.0 * surf) if surf > 0 else np.inf]  # 5 exposed faces at most
        return safety * min(limits)

    def check_health(self, T_max: float) -> float:
        """Raise :class:`SimulationDiverged` if any temperature is not finite, above ``T_max`` or at the property
        tables' floor (``tables.T0``, 3 K: only a step past the stability limit takes a cell there);
        return the current maximum temperature. Read from ``watch``, whose two rows hold every cell as the
        property update last left it (the stored temperatures), so the check costs no pass."""
        w = self.watch.to_numpy()
        Tmax, bad = float(w[:, K.W_TMAX].max()), bool(w[:, K.W_BAD].max())
        if bad or not np.isfinite(Tmax) or Tmax > T_max:
            self._ext.fill(-1)
            floor = self.tables.T0
            K.hot_cell(self.T, self.state, T_max, floor, self._ext)
            i, j, k = (int(self._ext[n]) for n in range(3))
            x, y, z = (self.grid.origin[a] + (v + 0.5) * self.grid.dx for a, v in enumerate((i, j, k)))
            cold = bad and min(i, j, k) >= 0 and float(self.T[i, j, k]) <= floor
            what = (f"T = {floor:.0f} K, the floor of the property tables (the cell lost more heat than it held)"
                    if cold else
                    "a non-finite temperature" if bad or not np.isfinite(Tmax) else f"T = {Tmax:.0f} K > {T_max:.0f} K")
            where = (f"{what} at step {self.steps} (t = {self.time:.4g} s) in cell ({i}, {j}, {k}) at "
                     f"x = {x * 1e3:.2f} mm, y = {y * 1e3:.2f} mm, z = {z * 1e3:.2f} mm")
            # the hottest a melt can get: its liquidus without evaporation, else the boiling point of its vapours
            ev = self.boundary.evaporation
            caps = [] if ev is None else [t for t in ev.boiling_points() if t < 1e29]
            reachable = max([self.tables.liquidus, *caps])
            cause = (f"solver.max_temperature = {T_max:.0f} K, below what the melt can reach ({reachable:.0f} K, "
                     "where it boils, or its liquidus without evaporation): raise it, or lower process.power"
                     if T_max < reachable and not bad and np.isfinite(Tmax) else
                     "a time step above the stability limit, or a power density too high for the spot (power, "
                     "spot_diameter)")
            raise SimulationDiverged(
                f"{where}. Likely cause: {cause}"
                + ("" if self.boundary.evaporation is not None or cold else
                   "; evaporation is not modelled in this run (solver.evaporation = false, or the material has no "
                   "[evaporation] data), so nothing holds the melt at its boiling point")
                + "; the outputs written before the stop (field frames, run_status.json) are kept")
        return Tmax

    def boiled_through(self) -> int:
        """Number of columns that have lost more material to evaporation than they hold: the surface (an exposed
        cell stands for it as it recedes, gpu_kernels.evaporation) went through the whole column."""
        if self.boundary.evaporation is None:
            return 0
        lost = self.mass_lost.to_numpy().sum(axis=2)
        held = np.where(self.state.to_numpy() != K.VOID, self.mass.to_numpy(), 0.0).sum(axis=2)
        return int(np.count_nonzero(lost > held))

    def extent_above(self, threshold: float) -> tuple[float, float, float] | None:
        """Size (x, y, z) [m] of the bounding box of cells at or above ``threshold``, or None."""
        big = np.iinfo(np.int32).max
        self._ext.from_numpy(np.array([big, -1, big, -1, big, -1], dtype=np.int32))
        K.region_extent(self.T, self.state, threshold, self._ext)
        e = self._ext.to_numpy()
        if e[1] < 0:
            return None
        dx = self.grid.dx
        return ((e[1] - e[0] + 1) * dx, (e[3] - e[2] + 1) * dx, (e[5] - e[4] + 1) * dx)

    # -- results ------------------------------------------------------------------------------
    def stored_energy(self) -> float:
        if self.h.dtype != ti.f64:  # an f32 sum over ~1e6 cells would carry ~1e-4 of the total: sum on the host
            st, m = self.state.to_numpy(), self.mass.to_numpy().astype(np.float64)
            return float(np.sum(np.where(st != K.VOID, self.h.to_numpy() * m, 0.0)) * self.tables.rho_p
                         * self.grid.dx ** 3)
        return float(K.stored_energy(self.h, self.mass, self.state, self.tables.rho_p, self.grid.dx))

    def checkpoint_state(self) -> dict:
        return {}  # every array and number is saved generically (simulation.checkpoint)

    def restore_checkpoint_state(self, state: dict) -> None:
        self._slow_map = None  # the tile map was just restored on the device
        self._watch_read = [None, None]  # and watch
        self._src_columns = None  # a super-time-step's deposit array may hold anything: clear all of it

    def _fold_ledger(self) -> None:
        """Backends without f64 (f32 ``ledger_arr``): add the device's ledger increments to the host's f64
        totals and restart them from 0, so that no step's increment (~1e-6 of a run's total) is rounded
        against the total in f32: the error stays that of an f32 sum of LEDGER_FOLD_STEPS steps (~1e-5)."""
        a = self.ledger_arr.to_numpy().astype(np.float64)
        self._ledger_host = tuple(float(v) for v in np.asarray(self._ledger_host) + a)
        self.ledger_arr.fill(0.0)

    def _ledger_totals(self) -> np.ndarray:
        return self.ledger_arr.to_numpy().astype(np.float64) + np.asarray(self._ledger_host)

    def sync_ledger(self) -> EnergyLedger:
        a = self._ledger_totals()
        L = self.ledger
        L.absorbed, L.radiated, L.convected, L.bottom = (float(a[K.LEDGER_ABSORBED]), float(a[K.LEDGER_RADIATED]),
                                                         float(a[K.LEDGER_CONVECTED]), float(a[K.LEDGER_BOTTOM]))
        L.top = float(a[K.LEDGER_TOP])
        L.evaporated = float(a[KE.LEDGER_EVAPORATED])
        L.stored = self.stored_energy()
        return L

    def field(self, name: str) -> np.ndarray:
        """A copy of a field as a NumPy array: T, h, rho_rel, mass, state, kcond, kside, krad, T_peak, t_hot, t_liq,
        cool_rate, mass_lost, alkali_lost."""
        arrays = {"T": self.T, "h": self.h, "rho_rel": self.rho_rel, "mass": self.mass, "state": self.state,
                  "kcond": self.kcond, "kside": self.kside, "krad": self.krad, "T_peak": self.T_peak,
                  "t_hot": self.t_hot, "t_liq": self.t_liq, "cool_rate": self.cool_rate, "mass_lost": self.mass_lost,
                  "alkali_lost": self.alkali_lost}
        return arrays[name].to_numpy()

    def temperature_at(self, x: float, y: float, z: float) -> float:
        """Temperature [K] of the cell holding the point (x, y, z) [m]; NaN where that cell holds no material
        (before its layer is spread, or emptied by settling). A point outside the grid is an error."""
        from ..errors import UserError

        lo = np.asarray(self.grid.origin, float)
        hi = lo + np.asarray(self.grid.extent, float)
        if not np.all((lo <= (x, y, z)) & ((x, y, z) <= hi)):
            raise UserError(f"point ({x:g}, {y:g}, {z:g}) m lies outside the simulated domain "
                            f"({', '.join(f'{v:g}' for v in lo)})..({', '.join(f'{v:g}' for v in hi)}) m",
                            key="temperature_at")
        i, j, k = self.grid.index_of(x, y, z)
        if int(self.state[i, j, k]) == K.VOID:
            return float("nan")
        return float(self.T[i, j, k])


def _grow(mask: np.ndarray) -> np.ndarray:
    """``mask`` dilated by one tile in each direction, diagonals included."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    rows = out.copy()
    out[:, 1:] |= rows[:, :-1]
    out[:, :-1] |= rows[:, 1:]
    return out
