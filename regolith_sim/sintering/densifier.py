"""Per-cell densification driven by a :class:`~regolith_sim.thermal.solver.ThermalSolver`'s temperatures."""
from __future__ import annotations

import numpy as np

from gpu_kernels import backend
from gpu_kernels import sintering as K
from gpu_kernels.backend import ti
from gpu_kernels.thermal import VOID

from ..outcomes.bonding import face_pair
from .capillary import CapillaryUptake
from .tables import SinteringTables


class Densifier:
    """Owns the sintering accumulator of every cell and updates ``solver.rho_rel`` in place.

    ``model``: 'viscous' (Frenkel / Mackenzie-Shuttleworth in reduced time, eta_eff from Giordano 2008
    and Costa et al. 2009) or 'master-curve' (Su & Johnson 1996). The solver needs only the ndarrays
    ``T``, ``rho_rel``, ``state`` (all the same shape) and ``tables.rho_rel0``. Call :meth:`step` after
    the thermal step with the same dt; ``rho_before`` then holds the densities before that update. With
    ``capillary``, melt takes up the powder under it each time the columns settle (:class:`CapillaryUptake`)."""

    #: Settle a column once the cells under its top have this much room [cells]; above 0.5 so that
    #: a settled column (whose top two cells may share a remainder, leaving < 0.5) is not moved again.
    MIN_GAP = 0.5
    #: Smallest fill of a settled column's top cell [cells] (a sliver would set a tiny time step).
    MIN_FILL = 0.5

    def __init__(self, solver, material, model: str = "viscous", tables: SinteringTables | None = None,
                 settle_every: int = 10, settle_interval: float = 0.0, capillary: bool = False):
        backend.ensure_init()
        self.solver = solver
        self.material = material
        rho0 = getattr(getattr(solver, "tables", None), "rho_rel0", None)
        self.tables = tables or SinteringTables.from_material(material, model=model, rho_rel0=rho0)
        self.model = self.tables.model
        shape = tuple(solver.T.shape)
        fp = backend.float_type()
        # The accumulator sums tiny increments (Theta spans ~1e-40..1e-10 s/K), like the energy ledger: f64
        # wherever the backend has it. In f32 (no f64 on the device) Theta below ~1e-38 is lost, where the
        # density is within 1e-9 of rho0 anyway (tables.theta_lo).
        self.acc = ti.ndarray(backend.ledger_type(), shape=shape)
        #: the accumulator of each cell's faces to +x, +y, +z, run at the contact temperature since both sides
        #: held material (gpu_kernels.sintering): how far the material across the face sintered together
        self.acc_face = ti.ndarray(backend.ledger_type(), shape=shape + (3,))
        #: the share of each cell's face to +z that joins the material of two successive spreads (:meth:`new_contacts`),
        #: carried by settling: the area between layers wherever settling moved it
        self.layer_face = ti.ndarray(fp, shape=shape)
        self.rho_before = ti.ndarray(fp, shape=shape)
        self.acc.fill(0.0)
        self.acc_face.fill(0.0)
        self.layer_face.fill(0.0)
        self.rho_before.fill(0.0)
        #: the cells' conductivities, which place a face's temperature between its two cells; a bare field
        #: holder (tests) without them gets equal ones (the face at the mean temperature)
        self._kcond = getattr(solver, "kcond", None)
        if self._kcond is None:
            self._kcond = ti.ndarray(fp, shape=shape)
            self._kcond.fill(1.0)
        t = self.tables
        # The pass covers the box of cells at or above T_active (or molten) that the solver keeps as it
        # updates them (ThermalSolver.watch_above); a bare field holder (tests) gets the whole grid.
        if hasattr(solver, "watch_above"):
            solver.watch_above(min(solver.T_watch, t.T_active))
            self._box = solver.hot_box
        else:
            self._box = whole_grid_box(shape)
        #: [lo, hi) per axis of the box the last step covered (outside it no density changed)
        self.last_box = ti.ndarray(ti.i32, shape=6)
        self.last_box.fill(0)
        self._ln_eta = ti.ndarray(fp, shape=t.ln_eta.size)
        self._ln_eta.from_numpy(t.ln_eta.astype(backend.np_float()))
        self._rho_visc = ti.ndarray(fp, shape=t.rho_visc.size)
        self._rho_visc.from_numpy(t.rho_visc.astype(backend.np_float()))
        self._acc_of_rho = ti.ndarray(fp, shape=t.acc_of_rho.size)
        self._acc_of_rho.from_numpy(t.acc_of_rho.astype(backend.np_float()))
        values = dict(T0=t.T0, inv_dT=1.0 / t.dT, gamma_over_a=t.gamma_over_a, tau_switch=t.tau0, inv_dtau=1.0 / t.dtau,
                      q_over_r=t.q_over_r, ln_theta_mid=t.ln_theta_mid, inv_width=1.0 / t.ln_theta_width,
                      theta_lo=t.theta_lo, rho0=t.rho_rel0, liquidus=t.liquidus, T_active=t.T_active,
                      acc_full=t.acc_full, inv_drho=t.inv_drho)
        self._par = ti.ndarray(fp, shape=len(K.PARAMS))  #: per-run constants of the densify kernel (K.PARAMS)
        self._par.from_numpy(np.array([values[name] for name in K.PARAMS], dtype=backend.np_float()))
        self.time = 0.0
        self.steps = 0
        #: settle the columns every this many steps (0: only when :meth:`settle` is called)
        self.settle_every = int(settle_every)
        #: ... or once this much time [s] has passed since they last settled (0: by steps only). A print's
        #: result depends on how often its columns settle (the spot then heats compacted columns), so a run
        #: settles by time: the same whatever its time step (super-time-steps are several explicit ones long).
        self.settle_interval = float(settle_interval)
        self.settled_at = 0.0  #: ``time`` of the last settling [s]
        self.columns_settled = 0
        #: capillary uptake of the powder under the melt (None where off or the material lacks its melt data)
        self.capillary = CapillaryUptake.build(solver, material) if capillary else None
        #: the columns melt drained from at the last settling (the uptake's front; zeros without it): their top
        #: cell is merged with the one under it where draining left it a sliver
        self._drained = self.capillary.front if self.capillary is not None else ti.ndarray(fp, shape=shape[:2])
        if self.capillary is None:
            self._drained.fill(0.0)

    def new_contacts(self, filled: np.ndarray) -> None:
        """Powder was spread into the cells ``filled`` (bool, the grid's shape): their faces to the material
        already there are new contacts, which bond only by what they sinter from now on (accumulator 0);
        their faces to void cells have no contact (K.NO_CONTACT). The faces up from the material already there
        into the powder are the new layer's interface with the one below (``layer_face`` 1); the powder's own
        faces up are inside its layer (0)."""
        filled = np.asarray(filled, bool)
        if not filled.any():
            return
        faces = self.acc_face.to_numpy()
        solid = self.solver.state.to_numpy() != VOID
        share = self.layer_face.to_numpy()
        share[filled] = 0.0
        lo, hi = face_pair(2)
        share[lo][solid[lo] & ~filled[lo] & filled[hi]] = 1.0
        self.layer_face.from_numpy(share)
        for axis in range(3):
            lo, hi = face_pair(axis)
            touched = np.zeros(filled.shape, bool)
            touched[lo] = filled[lo] | filled[hi]
            contact = np.zeros(filled.shape, bool)
            contact[lo] = solid[lo] & solid[hi]
            face = faces[..., axis]
            face[touched] = np.where(contact[touched], 0.0, K.NO_CONTACT)
        self.acc_face.from_numpy(faces)

    def step(self, dt: float) -> None:
        """Accumulate dt [s] at the solver's current temperatures and raise its relative densities;
        every ``settle_every`` steps or ``settle_interval`` seconds let the densified columns settle
        (:meth:`settle`)."""
        t, s = self.tables, self.solver
        K.densify(s.T, self._kcond, s.rho_rel, s.state, self.acc, self.acc_face, self.rho_before, self._ln_eta,
                  self._rho_visc, self._par, t.model_code, float(dt), self._box, self.last_box)
        self.time += dt
        self.steps += 1
        by_steps = self.settle_every > 0 and self.steps % self.settle_every == 0
        if by_steps or (self.settle_interval > 0.0 and self.time >= self.settled_at + self.settle_interval * (1 - 1e-9)):
            self.settle()

    def settle(self) -> int:
        """Let melt take up the powder under it over the time since the last settling (with ``capillary``), then
        move material down the columns where densification left room (gpu_kernels.sintering.settle:
        mass and enthalpy conserved to round-off), empty the cells it left, and refresh the solver's
        column tops, temperatures, conductivities and states. Returns the number of columns moved."""
        s = self.solver
        since, self.settled_at = self.time - self.settled_at, self.time
        if not hasattr(s, "mass"):  # a bare field holder (tests) has nothing to settle
            return 0
        if s.lagging:  # lagging cells catch up on the geometry they lagged on (the refresh then maps the tiles anew)
            s.sync(remap=False)
        took_up = self.capillary is not None and self.capillary(since, self) > 0.0
        n = round(K.settle(s.state, s.rho_rel, s.mass, s.h, s.T, s.T_peak, s.t_hot, self.acc, self.acc_face,
                         self.layer_face, self.rho_before, s.t_liq, s.cool_rate, s.mass_lost, s.alkali_lost,
                         self._acc_of_rho, self._par, self._drained, self.MIN_GAP, self.MIN_FILL))
        if n or took_up:
            s._refresh()
            self.columns_settled += n
        return n

    @property
    def accumulator_name(self) -> str:
        return "reduced_time" if self.model == "viscous" else "sintering_work_s_per_K"

    def fields(self) -> dict[str, np.ndarray]:
        """Copies: relative density now and before the last step, and the accumulator
        ('reduced_time' [-] or 'sintering_work_s_per_K'; it runs on in dense and molten cells and ignores
        time spent below ``tables.T_active``)."""
        rho = self.solver.rho_rel.to_numpy()
        before = rho.copy()  # outside the box the last step covered, nothing changed
        i0, i1, j0, j1, k0, k1 = (int(v) for v in self.last_box.to_numpy())
        before[i0:i1, j0:j1, k0:k1] = self.rho_before.to_numpy()[i0:i1, j0:j1, k0:k1]
        return {"rel_density": rho, "rel_density_before": before, self.accumulator_name: self.acc.to_numpy()}


def whole_grid_box(shape):
    """A box in the layout of ThermalSolver.hot_box that covers every cell of a grid of ``shape``."""
    box = ti.ndarray(ti.i32, shape=(2, 6))
    box.from_numpy(np.array([[0, shape[0] - 1, 0, shape[1] - 1, 0, shape[2] - 1], [1, 0, 1, 0, 1, 0]], np.int32))
    return box
