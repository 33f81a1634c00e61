"""The print simulation: a case in, thermal + sintering stepped through the process plan, a result out.

Each step: spread the layers whose time has come -> place the source from the plan -> deposit
heat -> conduct and radiate -> densify. The step is the explicit stability limit, shortened so the
spot moves at most half a cell and lands exactly on layer-spreading times; with
``solver.super_time_stepping`` a step lasts as long as the spot takes to move half a cell of the
unrefined grid, taken in RKL2 stages.
"""
from __future__ import annotations

import time as _time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gpu_kernels.thermal import VOID

from ..config import Case, load_case
from ..errors import SimulationDiverged, UserError
from ..thermal import Boundary, SurfaceSource, ThermalSolver, ThermalTables
from ..thermal.evaporation import evaporation_for, spot_mass_transfer
from .domain import Domain


#: A super-time-step lasts as long as the spot takes to travel this many cells of the unrefined grid.
STS_SPOT_TRAVEL = 0.5
#: Health checks between two tests of whether evaporation took a whole column (each reads two fields to the host).
BOILED_THROUGH_CHECK_EVERY = 10
#: With a moving spot the densified columns settle once per this many super-time-steps' worth of time, whatever
#: the integrator: how often they settle moves a print's result by percents (the demo's consolidated fraction
#: 0.867, 0.861 and 0.840 settling every 0.025, 0.25 and 1 s), so it is set in time, not in steps (every 10
#: steps put super-time-steps 2.8 % below explicit ones). 0.25 s in the demo: what 10 explicit steps were there.
SETTLE_SPOT_STEPS = 2.5
#: Largest temperature change [K] a source-off super-time-step aims at (implicit_dt; the implicit steps' target).
STS_DT_TARGET_K = 20.0
#: A run whose volumetric source's heating limits the step so that the rest of the run would take more steps than
#: this stops with a message (at the 0.1-2 ms a step of a small grid costs on a CPU, minutes to hours): no published
#: heating of regolith comes near (1,000 K/s over 1,000 s would take 1e5 steps of 10 K).
MAX_HEATING_STEPS = 1e6
#: Source-off steps are super-time-steps while the accuracy-chosen step spans at most this many of the longest
#: ones, implicit beyond (an implicit step costs a few dozen CG sweeps; benchmarks/RESULTS.md, session 8).
IMPLICIT_AFTER_STS_STEPS = 2.0


@dataclass
class MeltPoolTrack:
    """Largest extent of the region above the solidus seen during the run [m]."""

    max_length: float = 0.0
    max_width: float = 0.0
    max_depth: float = 0.0
    history: list = field(default_factory=list)   # (t, length, width, depth)

    def sample(self, t: float, ext) -> None:
        length, width, depth = ext if ext is not None else (0.0, 0.0, 0.0)
        self.history.append((t, length, width, depth))
        self.max_length, self.max_width, self.max_depth = (max(self.max_length, length), max(self.max_width, width),
                                                           max(self.max_depth, depth))

    def checkpoint_state(self) -> dict:
        return {"history": self.history}

    def restore_checkpoint_state(self, state: dict) -> None:
        self.history = [tuple(r) for r in state["history"]]


class Simulation:
    """A print of one case. ``run()`` to the end of the cool-down, or ``step()`` for control loops."""

    def __init__(self, case: Case, arch: str | None = None, setup=None):
        """``case``: a :class:`Case`, or a case file's path or a dict of its sections (read by ``load_case``);
        ``setup``: the case's :class:`~regolith_sim.simulation.preflight.Setup` when already built."""
        if isinstance(case, (str, Path, dict)):
            case = load_case(case)
        elif not isinstance(case, Case):
            raise UserError(f"Simulation(case): got a {type(case).__name__}; allowed: a Case (load_case), a case "
                            "file's path or a dict of its sections", key="case")
        from gpu_kernels import backend
        from gpu_kernels.backend import ti

        from .preflight import convection_coefficient, setup_warnings, sky_temperature
        from .preflight import setup as build_setup

        self.case = case
        # (a second case in the same process that asks for another arch or precision is refused, in one line:
        # the runtime starts once per process)
        self.arch = backend.init(arch or case.solver.arch, case.solver.precision)
        m, s = case.material, case.site
        su = setup or build_setup(case)  # material, site, parts, plan, domain (regolith_sim.simulation.preflight)
        #: what the set-up warned of (a grid too coarse for the heated depth, ...): printed, and kept in the summary
        #: (``run.warnings``), where a sweep's table and a notebook find it beside the numbers it qualifies
        self.setup_warnings = setup_warnings(case, su)
        for line in self.setup_warnings:
            warnings.warn(line, UserWarning, stacklevel=2)
        self.material, self.site = su.material, su.site
        #: the parts placed on the bed, and their union (the domain, voxels and outputs cover all of them)
        self.parts, self.part = su.parts, su.part
        self.plan = su.plan
        self.domain: Domain = su.domain
        g = self.domain.grid
        rho0 = m.initial_relative_density or self.material.powder_relative_density
        self.tables = ThermalTables.from_material(self.material, rho_rel0=rho0, gas=self.site.gas_conductivity)
        sky = sky_temperature(case, self.site)
        h_conv = convection_coefficient(case, self.site)
        evap = evaporation_for(self.material, h_conv, self.site.gas_heat_capacity_J_m3K, self.site.gas_pressure_Pa,
                               spot_mass_transfer(self.material, self.site, self._heated_radius())) \
            if case.solver.evaporation else None
        self.thermal = ThermalSolver(g, self.tables, Boundary(T_sky=sky, h_conv=h_conv,
                                                               T_amb=self.site.ambient_temperature_K,
                                                               evaporation=evap,
                                                               bottom={"held": "dirichlet",
                                                                       "insulated": "adiabatic"}[s.bottom],
                                                               T_top=s.top_temperature),
                                     T_hot=self.material.sintering_onset_K, multirate=case.solver.multirate,
                                     safety=case.solver.safety, second_order=case.solver.implicit_order == 2,
                                     radiating_faces=case.solver.radiating_faces)
        self._init_substrate(rho0)
        self.source = self._make_source()
        self.densifier = self._make_densifier()
        if self.densifier is not None and hasattr(self.source, "follow"):
            self.source.follow = self.densifier  # a microwave sample moves down as the support under it settles
        self.mechanics = self._make_mechanics()
        self.melt_pool = MeltPoolTrack()
        self.layers_spread = 0
        self.mechanics_layers = 0  #: layers whose per-layer thermo-mechanics ran (at the end of their dwell)
        self.t_end = self.plan.t[-1] + case.solver.cooldown
        self.wall_time = 0.0
        self.n_steps = 0
        self._health_checks = 0
        self.peak_temperature = float(self.thermal.field("T").max())
        self._check_time_step()  # before a run folder is touched (run_job builds the Simulation first)
        #: Objects with ``due(t)`` and ``record(sim)`` (probes, field frames), called as the run goes.
        self.recorders: list = []

    # -- set-up ------------------------------------------------------------------------------------
    def _initial_T(self, depths) -> np.ndarray:
        from .preflight import initial_temperature

        return initial_temperature(self.case, self.site, depths)

    def _heated_radius(self) -> float:
        """Radius [m] of the region the source heats, which sets how fast its vapour diffuses away into a gas
        (:func:`~regolith_sim.thermal.evaporation.spot_mass_transfer`): the spot's for a beam; a disc of the
        area heated as a whole otherwise, the load's footprint for microwaves, the domain's top for a uniform
        flux."""
        p, g = self.case.process, self.domain.grid
        if p.source == "microwave":
            area = self.domain.part_mask.any(axis=2).sum() * g.dx ** 2
        elif p.profile == "uniform":
            area = g.extent[0] * g.extent[1]
        else:
            return 0.5 * p.spot_diameter
        return float(np.sqrt(area / np.pi))

    def _init_substrate(self, rho0: float) -> None:
        d, g = self.domain, self.domain.grid
        depths = d.depth_of_substrate_cells()
        T_sub = self._initial_T(depths)
        mask = np.zeros(g.shape, bool)
        mask[:, :, :d.substrate_cells] = True
        T = np.zeros(g.shape)
        T[:, :, :d.substrate_cells] = T_sub[None, None, :]
        self.thermal.fill_region(mask, T, rho0)
        bottom = float(self._initial_T([depths[0] + 0.5 * g.dx])[0])
        self.thermal.set_bottom_temperature(bottom)
        self.powder_temperature = float(self._initial_T([0.0])[0])

    def _make_source(self):
        """The heat source of ``process.source``: a surface spot for 'solar' and 'laser' (for 'solar'
        limited by the collector and modulated by measured fluctuations, :mod:`regolith_sim.thermal.solar`),
        the cavity model of :mod:`regolith_sim.thermal.microwave` for 'microwave'. Each is driven by the
        plan in :meth:`step` through ``drive``."""
        from ..errors import MaterialError

        p = self.case.process
        if p.source == "microwave":
            from ..thermal.microwave import MicrowaveSource

            try:
                src = MicrowaveSource.from_section(self.material, p.microwave)
            except MaterialError as exc:
                raise UserError(str(exc).removeprefix("material: "), key="process.source") from None
            src.set_load(self.domain.part_mask.any(axis=2), self.domain.substrate_cells)
            return src
        from .preflight import absorptivity

        src = SurfaceSource(profile=p.profile, diameter=p.spot_diameter,
                            absorptivity=absorptivity(self.case, self.material),
                            grain_size=self.material.get("grain_size.d50_m"), order=p.super_gaussian_order,
                            area=p.uniform_area)
        if p.source == "solar":
            from ..thermal.solar import solar_supply

            plan_power = float(np.max(self.plan.power[self.plan.on], initial=0.0))
            src.supply = solar_supply(p.solar, plan_power, self.site, self.case.site.local_time,
                                      self.case.resolve_path)
        return src

    def _make_densifier(self):
        model = self.case.solver.sintering
        if model == "none":
            return None
        from ..sintering import Densifier

        capillary = self.case.solver.capillary_uptake
        if self.source.moves:
            return Densifier(self.thermal, self.material, model=model, settle_every=0,
                             settle_interval=SETTLE_SPOT_STEPS * self.spot_step(), capillary=capillary)
        return Densifier(self.thermal, self.material, model=model, capillary=capillary)

    def spot_step(self) -> float:
        """How long [s] the spot takes to travel ``STS_SPOT_TRAVEL`` cells of the unrefined grid (cell size x
        ``solver.resolution``): a super-time-step with the spot on."""
        return STS_SPOT_TRAVEL * self.thermal.grid.dx * self.case.solver.resolution / self.case.process.scan_speed

    def _make_mechanics(self):
        """The per-layer thermo-mechanics of ``solver.mechanics = 'layers'`` (None otherwise: 'final' solves
        once, on the finished part, in the Result)."""
        if self.case.solver.mechanics != "layers":
            return None
        from ..errors import MaterialError
        from ..mechanics.coupling import LayerwiseMechanics
        from .result import bed_green_porosity

        g = self.domain.grid
        try:
            return LayerwiseMechanics(g.shape, g.dx, self.material, support=self.case.solver.mechanics_support,
                                      part_mask=self.domain.part_mask, origin=np.asarray(g.origin),
                                      route=self.case.process.source, green_porosity=bed_green_porosity(self))
        except MaterialError as exc:
            raise UserError(str(exc).removeprefix("material: "), key="solver.mechanics") from None

    def mechanics_fields(self) -> dict:
        """What the thermo-mechanics reads of the current state (regolith_sim.mechanics.coupling)."""
        from ..outcomes import vesicle_porosity

        th = self.thermal
        state, T_peak = th.field("state"), th.field("T_peak")
        return {"state": state, "T": th.field("T"), "T_peak": T_peak, "rho_rel": th.field("rho_rel"),
                "part_mask": self.domain.part_mask,
                "vesicle_porosity": vesicle_porosity(state, T_peak, self.material, self.site.is_vacuum)}

    # -- stepping ----------------------------------------------------------------------------------
    def _spread_due_layers(self, t: float) -> None:
        """Spread each layer whose time has come. The recoater rises one layer per layer, so powder
        fills every empty cell up to the layer's nominal top: the columns settle first, and the
        powder lands on the real (settled) surface, filling what the densified layers below gave up.
        activate_layer books the enthalpy of all powder it adds in ledger.added and settling conserves
        the stored enthalpy, so the energy balance still closes."""
        while self._layer_due(t):
            if self.densifier is not None:
                self.densifier.settle()
            _, hi = self.domain.layer_cells(self.layers_spread)
            self._finish_layer_mechanics()
            bed = np.ones(self.domain.grid.shape[:2], bool)
            empty = self.thermal.field("state") == VOID if self.densifier is not None else None
            self.thermal.activate_layer(bed, 0, hi, self.powder_temperature)
            if empty is not None:  # the fresh powder's contacts with what lay there bond from now on
                self.densifier.new_contacts(empty & (self.thermal.field("state") != VOID))
            self.layers_spread += 1

    def _finish_layer_mechanics(self, settle: bool = False) -> None:
        """The per-layer thermo-mechanics of the layer whose dwell ends now (once per layer): before the next one
        is spread, and before the field frame of that moment (which shows its stress). ``settle``: the columns
        settle first, as before a spread (a frame comes before it), so the mechanics sees the same body."""
        if self.mechanics is None or self.layers_spread == 0 or self.mechanics_layers >= self.layers_spread:
            return
        if settle and self.densifier is not None:
            self.densifier.settle()
        self.thermal.sync()
        self.mechanics.update(self.mechanics_fields())
        self.mechanics_layers = self.layers_spread

    def _layer_due(self, t: float) -> bool:
        """Whether the next layer's spread time has come at ``t`` [s]."""
        return self.layers_spread < self.domain.n_layers and self.plan.layer_times[self.layers_spread] <= t + 1e-12

    def face_density(self) -> np.ndarray | None:
        """Relative density [-] of each cell's faces to +x, +y, +z (grid shape + (3,)): what the sintering each
        contact saw since both sides held material gives a fresh powder of the bed (the bed's density where
        there was no contact, 1 once fused; regolith_sim.outcomes.bonding); None without a sintering model."""
        if self.densifier is None:
            return None
        d = self.densifier
        acc = np.maximum(d.acc_face.to_numpy(), 0.0)  # no contact: nothing sintered
        rho0 = d.tables.rho_rel0
        return rho0 + (1.0 - rho0) * d.tables.progress(acc)

    def interlayer_share(self) -> np.ndarray | None:
        """Share [0-1] of each cell's face to +z that joins the material of two successive spreads (the area
        between layers, wherever settling moved it; gpu_kernels.sintering); None without a sintering model."""
        return None if self.densifier is None else self.densifier.layer_face.to_numpy().astype(float)

    def _next_event(self, t: float) -> float:
        """The next time a layer is spread, the path changes or a field frame is due (steps end there, so
        the energy delivered equals the plan's to round-off and a frame holds the fields at its time)."""
        nxt = min([self.t_end] + [r.next_time(t) for r in self.recorders if r.timed])
        if self.layers_spread < self.domain.n_layers:
            nxt = min(nxt, float(self.plan.layer_times[self.layers_spread]))
        i = int(np.searchsorted(self.plan.t, t + 1e-12, side="right"))
        if i < len(self.plan.t):
            nxt = min(nxt, float(self.plan.t[i]))
        return nxt

    def step(self, dt_max: float | None = None) -> float:
        """Advance one step (at most ``dt_max`` s); return the step taken [s].

        While the source is on (or always, with ``solver.implicit_cooldown = false``): with a moving spot and
        ``solver.super_time_stepping``, an RKL2 super-time-step (:meth:`ThermalSolver.step_sts`) as long as the
        spot takes to move half a cell of the unrefined grid (cell size x ``solver.resolution``), or over a
        whole source-off gap, at most ``STS_MAX_STAGES`` stages long; otherwise an explicit step at the
        stability limit (or ``solver.time_step``), shortened so a spot moves at most half a cell and a
        volumetric (microwave) source heats its hottest cell by at most ~10 K.
        While the source is off (dwells between layers, cool-down) with ``solver.implicit_cooldown``:
        a step whose length is chosen by accuracy (:meth:`ThermalSolver.implicit_dt`: the largest
        temperature change per step about ``thermal.solver.COOLDOWN_DT_TARGET_K``), not by stability: a
        super-time-step while that is at most twice the longest one (with ``solver.super_time_stepping``
        and a spot; an explicit step where it is shorter than the stability limit), else one backward-Euler
        step (:meth:`ThermalSolver.step_implicit`). The control keeps an interval it steps to its end (its
        20 K aim can take steps well under the stability limit where a held face heats cold powder). Off
        intervals shorter than ``IMPLICIT_MIN_SPAN_STEPS`` explicit steps (travel between tracks) that the
        control does not step stay explicit (one super-time-step with ``solver.super_time_stepping``).
        Either way a step never passes the next plan event or layer time."""
        from ..thermal.solver import IMPLICIT_MIN_SPAN_STEPS, STS_MARGIN, STS_MAX_STAGES
        from ..thermal.sts import reach as sts_reach

        th = self.thermal
        cfg = self.case.solver
        t = th.time
        self._spread_due_layers(t)
        limit = min(max(self._next_event(t) - t, 1e-9), dt_max or np.inf, self.t_end - t)
        on = bool(self.plan.position_at(t)[5])  # constant until the next plan event
        stable = th.stable_dt(cfg.safety)
        sts = cfg.super_time_stepping and not cfg.time_step and self.source.moves
        sts_cap = STS_MARGIN * stable * sts_reach(STS_MAX_STAGES)  # the longest super-time-step
        # Once the control steps a source-off interval it keeps it to its end: its last stretch, shorter than
        # IMPLICIT_MIN_SPAN_STEPS limits, went in one super-time-step (0.7 s over a melting cell, 200 K off).
        controlling = th.implicit_stats["last_dt"] > 0.0
        if cfg.implicit_cooldown and not on and (limit > IMPLICIT_MIN_SPAN_STEPS * stable or controlling):
            control = th.implicit_stats["last_dt"], th.implicit_stats["last_dT"]
            wanted = th.implicit_dt()
            if sts and min(wanted, limit) <= IMPLICIT_AFTER_STS_STEPS * sts_cap:
                # Super-time-steps while the accuracy-chosen step is within IMPLICIT_AFTER_STS_STEPS of them (an
                # implicit step costs a few dozen sweeps of CG; a super-time-step at most STS_MAX_STAGES).
                wanted = min(th.implicit_dt(STS_DT_TARGET_K), sts_cap)
                dt = min(wanted, limit)
                th.step_sts(dt) if dt > stable else th.step(dt, controlled=True)
            else:
                dt = min(wanted, limit)
                th.step_implicit(dt)
            if dt < wanted:
                # Cut short by the interval's end (a plan event, a frame, a layer's spread): the control stays as
                # it was, so a following source-off interval starts at the step it wanted (fed a remainder of
                # 1e-9 s, it doubled back from there over some 25 steps).
                th.implicit_stats["last_dt"], th.implicit_stats["last_dT"] = control
        else:
            dt = cfg.time_step or stable
            self._check_time_step()
            # Super-time-steps: as long as the spot takes to travel half a cell of the unrefined grid (so a
            # refined run samples the spot's path as the default one does), or the whole short source-off gap.
            if sts:
                dt = min(self.spot_step() if on else limit, sts_cap)
            elif on and self.source.moves:
                dt = min(dt, 0.5 * th.grid.dx / self.case.process.scan_speed)
            dt = min(dt, limit)
            x, y, _, power, spot, on = self.plan.position_at(t + 0.5 * dt)
            self.source.drive(float(x), float(y), float(power), float(spot), bool(on), t, dt)
            if on and not self.source.moves:  # a volumetric source limits the heating per step
                dt = min(dt, self.source.step_limit(th))
                self._check_heating_step(dt)
                self.source.drive(float(x), float(y), float(power), float(spot), bool(on), t, dt)
            if sts and dt > stable:
                th.step_sts(dt, [self.source])
            else:
                th.step(dt, [self.source])
        if self.densifier is not None:
            self.densifier.step(dt)
        return dt

    def _check_time_step(self) -> None:
        """Refuse a ``solver.time_step`` above the explicit stability limit of the grid as it is now (it falls as
        material densifies and melts: a step stable at the start can stop the run later)."""
        dt = self.case.solver.time_step
        if not dt:
            return
        limit = self.thermal.stable_dt(1.0)
        if dt > limit:
            raise UserError(f"{dt:g} s exceeds the stability limit {limit:.3g} s of this grid at t = "
                            f"{self.thermal.time:.4g} s (dx^2 / (6 alpha) of its most diffusive cell, and its radiating "
                            "faces'); allowed: at most that, or leave it unset for the largest stable step",
                            key="solver.time_step")

    def _check_heating_step(self, dt: float) -> None:
        """Stop a run whose volumetric heating is so fast that the steps resolving it (each warms the hottest
        cell by ~10 K: MicrowaveSource.step_limit) would not finish: a field or an absorbed power far above
        what a load of this size takes (the cells then boil away within milliseconds)."""
        left = self.plan.on_time(after=self.thermal.time)  # (the heating limits only the steps with the source on)
        if dt > 0.0 and left / dt > MAX_HEATING_STEPS:
            mw = self.case.process.microwave
            what = (f"process.microwave.field_strength = {mw.field_strength:g} V/m" if mw.applicator == "fixed-field"
                    else f"process.power = {self.source.power:g} W")
            raise SimulationDiverged(
                f"the microwave heating is too fast to follow: at t = {self.thermal.time:.4g} s the hottest cell warms "
                f"by 10 K every {dt:.3g} s ({10.0 / dt:.3g} K/s), so the {left:.4g} s the source is still on would "
                f"take {left / dt:.3g} steps (more than {MAX_HEATING_STEPS:.0e}): lower {what}")

    def _check(self) -> None:
        """Stop a diverging run, track the melt pool and feed the recorders."""
        self.peak_temperature = max(self.peak_temperature, self.thermal.check_health(self.case.solver.max_temperature))
        self._health_checks += 1
        if self._health_checks % BOILED_THROUGH_CHECK_EVERY == 0:
            self._stop_if_boiled_through()
        self.melt_pool.sample(self.thermal.time, self.thermal.extent_above(self.material.solidus_K))
        self._record()

    def _stop_if_boiled_through(self) -> None:
        """Stop the run once evaporation has taken more material from a column than it held: the surface receded
        through the whole column (gpu_kernels.evaporation), which the grid no longer represents."""
        n = self.thermal.boiled_through()
        if n:
            p = self.case.process
            # what sets the heating: a fixed-field microwave applicator's field strength, else the power on its spot
            lower = "lower process.microwave.field_strength" if p.source == "microwave" and \
                p.microwave.applicator == "fixed-field" else "lower process.power (or widen process.spot_diameter)"
            raise SimulationDiverged(
                f"at t = {self.thermal.time:.4g} s the heat source has boiled away more material than {n} column(s) "
                "of the grid held: the surface receded through the part and the bed (a beam drilling), which the "
                f"model does not follow; {lower}; the outputs written before the stop (field frames, run_status.json) "
                "are kept")

    def _record(self, timed_only: bool = False) -> None:
        """Feed the recorders that are due (with ``timed_only``, the field frames only)."""
        due = [r for r in self.recorders if (r.timed or not timed_only) and r.due(self.thermal.time)]
        if due:
            if self._layer_due(self.thermal.time):
                self._finish_layer_mechanics(settle=True)
            self.thermal.sync()  # recorders read every cell at the current time
        for r in due:
            r.record(self)

    def advance(self, t_stop: float | None = None, progress: bool = True, check_every: int = 20,
                checkpoint=None) -> None:
        """Step until ``t_stop`` [s] (default: the end of the cool-down). ``checkpoint`` is an object
        with ``due(t)`` and ``save(sim)``, consulted after every health check."""
        t_stop = self.t_end if t_stop is None else min(t_stop, self.t_end)
        t0 = _time.perf_counter()
        bar = _progress_bar(self) if progress else None
        updates0, wall0 = self.thermal.cell_updates, self.wall_time
        since = None  # (wall, simulated) time at the first update: the remaining time is timed from there
        try:
            while self.thermal.time < t_stop - 1e-9:
                self.step(dt_max=t_stop - self.thermal.time)
                self.n_steps += 1
                self._record(timed_only=True)  # a frame at its time, not at the next health check
                if self.n_steps % check_every == 0 or self.thermal.time >= t_stop - 1e-9:
                    self._check()
                    if bar is not None:
                        # over this call's whole wall time (t0 restarts at each checkpoint)
                        elapsed = self.wall_time - wall0 + _time.perf_counter() - t0
                        rate = (self.thermal.cell_updates - updates0) / max(elapsed, 1e-9)
                        bar.n = round(self.thermal.time, 3)
                        # not from the start: the first steps compile the kernels (the first estimate was 7x long)
                        since = since or (elapsed, self.thermal.time)
                        done = self.thermal.time - since[1]
                        left = (_format_seconds((t_stop - self.thermal.time) * (elapsed - since[0]) / done)
                                if done > 0 else "?")
                        bar.set_postfix_str(f"layer {self.layers_spread}/{self.domain.n_layers}, "
                                            f"{rate / 1e6:.3g} Mcell/s, {left} left", refresh=False)  # one write
                        bar.refresh()
                    if checkpoint is not None and checkpoint.due(self.thermal.time):
                        self.wall_time += _time.perf_counter() - t0
                        t0 = _time.perf_counter()
                        checkpoint.save(self)
            self._stop_if_boiled_through()
            self.thermal.sync()  # every cell at t_stop, for whoever looks at the fields next
        finally:
            if bar is not None:
                bar.close()
            self.wall_time += _time.perf_counter() - t0

    @property
    def finished(self) -> bool:
        return self.thermal.time >= self.t_end - 1e-9

    def run(self, progress: bool = True, check_every: int = 20, checkpoint=None) -> "Result":
        """Step to the end of the cool-down and return the :class:`Result`."""
        from .result import Result

        self.advance(None, progress, check_every, checkpoint)
        if self.densifier is not None:
            # the as-built part stands settled, whatever the step count; where nothing moved, the states still
            # follow the last densification (a step's states are set before its densify: a cell that sintered
            # in the last step, e.g. under a held top, still read powder)
            if not self.densifier.settle():
                self.thermal.update_properties(0.0)
        result = Result.from_simulation(self)
        for r in self.recorders:  # the last frame as the finished run stands (settled, its final stress)
            if hasattr(r, "rewrite_last"):
                r.rewrite_last(self)
        return result


def _progress_bar(sim):
    from tqdm import tqdm

    return tqdm(total=round(sim.t_end, 3), initial=round(sim.thermal.time, 3), unit="s(sim)", desc="print",
                dynamic_ncols=True, bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s [{elapsed}] {postfix}")


def _format_seconds(seconds: float) -> str:
    from tqdm import tqdm

    return tqdm.format_interval(seconds)
