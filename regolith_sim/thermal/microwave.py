"""Microwave heating of the load in an applicator, with a temperature-dependent loss factor.

Power density. A dielectric in an rms field E absorbs p = 2 pi f eps0 eps''(T) E^2 per unit volume
(Metaxas & Meredith 1983, Industrial Microwave Heating, Eq. 2.19). The material's loss data are those
of the loose powder, so a cell of relative density rho takes eps''(T) rho/rho0 (rho0 the powder's
relative density; linear in the solid fraction, the simplest mixing rule). The field is taken uniform
over the load and tangential to it (no depolarisation): the load is far thinner than the half-power
depth (JSC-1AC: 286 mm at 110 degC, 13 mm at 1100 degC, Allan et al. 2013), which
:meth:`MicrowaveSource.step_limit` checks (one warning when a load outgrows it). The load's
conductance is then G_l = 2 pi f eps0 sum_i eps''(T_i) V_i rho_i/rho0 [W/(V/m)^2] and it absorbs
P_l = G_l E^2, cell i the share eps''(T_i) V_i rho_i / sum_j eps''(T_j) V_j rho_j.

The load is the sample: in a print, the cells over the part's footprint above the substrate
(:meth:`MicrowaveSource.set_load`), followed down as the support under it settles (the first layer's bottom
face, which settling carries with the material). The bed margin and the substrate of the domain stand for what holds
the sample (crucible, insulating bed); they conduct and radiate but are not in the field. Were they, the
load's mass would follow the bed margin, which is set by the cell size, and so would its heating: with
the whole domain in the field, a 35 g load melted at 3 mm cells and stayed solid at 6 mm.

What sets E is the applicator (``process.microwave.applicator``):

* ``cavity`` (default): a resonant (multimode) cavity of volume V_c and unloaded quality factor Q_0
  fed with the forward power P_f, of which the fraction ``coupling`` enters it (the rest reflected).
  The power entering is shared between the walls, P_w = G_w E^2 with G_w = 2 pi f eps0 V_c / Q_0 (the
  stored energy eps0 E^2 V_c of a mode with mean-square field E^2, lost at omega W / Q_0), and the load:
  E^2 = coupling P_f / (G_w + G_l), P_l = coupling P_f G_l / (G_w + G_l). That is the cavity efficiency
  eta = 1 - Q_L/Q_0 with 1/Q_L = 1/Q_0 + eps'' V_load/V_c (small-load perturbation; the applicator
  chapters of Metaxas & Meredith 1983, chapter not re-checked here). A weakly absorbing load
  (G_l << G_w) sits in a nearly fixed field and takes P_l proportional to eps''(T): as JSC-1AC's loss
  tangent rises from 0.02 at 25 degC to 0.31 at 1100 degC (Allan et al. 2013), the whole load heats
  ever faster: thermal runaway, as measured. Once the load dominates the losses (G_l >> G_w) it takes
  all the coupled power and the runaway saturates. Detuning of the cavity by the load (Wu, Thomas &
  Davis 2002, "Control of thermal runaway in microwave resonant cavities", J. Appl. Phys.) is not
  modelled: ``coupling`` stays constant.
* ``fixed-field``: E = ``field_strength`` whatever the load (the low-loss limit of the cavity, or a
  field held by a controller); the forward power only switches it on and off.
* ``fixed-absorbed-power``: the load absorbs ``absorbed_fraction`` x P_f whatever eps'' is. Hot cells
  still take more than cold ones, but the load as a whole heats at P / (m cp): no runaway of the load,
  which decelerates as cp and radiation grow. Kept for comparisons (this was the only model before,
  and the reason a JSC-1A load warmed at a flat 3.7-4.7 K/s from 25 to 730 degC).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from gpu_kernels import backend
from gpu_kernels import thermal as K
from gpu_kernels.backend import ti

from .tables import T_HIGH, T_LOW

EPS0 = 8.8541878128e-12  #: vacuum permittivity [F/m]
C0 = 299792458.0         #: speed of light in vacuum [m/s]
#: Largest temperature rise [K] of the hottest (most absorbing) cell per explicit step: the absorbed
#: power follows eps''(T), so the step must resolve the change of T for the runaway to come out right.
MICROWAVE_DT_TARGET_K = 10.0
APPLICATORS = ("cavity", "fixed-field", "fixed-absorbed-power")


#: A column's first layer in the field when it holds none of the load: past any grid.
NO_LOAD = 2 ** 30


def dielectric_frequency_note(material, frequency: float) -> list[str]:
    """A warning when the material's dielectric data were measured at another frequency than ``frequency`` [Hz]
    (they are used as they are: loss factors change with frequency)."""
    f_data = material.get("dielectric.frequency_Hz", frequency)
    if abs(f_data - frequency) <= 0.01 * f_data:
        return []
    return [f"process.microwave.frequency = {frequency:.4g} Hz but the dielectric data of {material.name} were "
            f"measured at {f_data:.4g} Hz; they are used as they are"]


def permittivity(material, T):
    """eps'(T) of the powder: linear between the two measured temperatures of ``[dielectric]``, held constant
    outside them, as in Material.dielectric_loss (which multiplies it by tan delta(T))."""
    T0, e0, T1, e1 = (material.get(f"dielectric.{k}") for k in ("T_low_K", "permittivity_low", "T_high_K",
                                                                 "permittivity_high"))
    return e0 + np.clip((np.asarray(T, float) - T0) / (T1 - T0), 0.0, 1.0) * (e1 - e0)


def half_power_depth(eps_real, eps_loss, frequency: float):
    """Depth [m] at which a plane wave in a lossy dielectric has lost half its power: ln 2 / (2 alpha),
    alpha = (2 pi / lambda0) sqrt(eps'/2 (sqrt(1 + tan^2 delta) - 1)) (Metaxas & Meredith 1983, Ch. 2)."""
    eps_real, eps_loss = np.asarray(eps_real, float), np.asarray(eps_loss, float)
    tan = eps_loss / eps_real
    alpha = 2.0 * math.pi * frequency / C0 * np.sqrt(0.5 * eps_real * (np.sqrt(1.0 + tan * tan) - 1.0))
    return math.log(2.0) / (2.0 * alpha)


@dataclass
class MicrowaveSource:
    """Volumetric heating of every active cell; ``power`` is the forward power [W] when ``on``.
    The applicator and its parameters are described in the module docstring."""

    loss_factor: np.ndarray          #: eps''(T) of the loose powder on a uniform grid from T_LOW to T_HIGH
    frequency: float = 2.45e9        #: [Hz]
    applicator: str = "cavity"
    absorbed_fraction: float = 0.8   #: 'fixed-absorbed-power': of the forward power, absorbed by the load
    coupling: float = 1.0            #: 'cavity': of the forward power, entering the cavity (not reflected)
    quality_factor: float = 1000.0   #: 'cavity': unloaded Q_0 (walls, ports, fixtures) [-]
    cavity_volume: float = 0.01      #: 'cavity': V_c [m^3]
    field_strength: float = 0.0      #: 'fixed-field': rms field in the load [V/m]
    rho_rel0: float = 1.0            #: relative density of the powder the loss data describe
    depth_table: np.ndarray | None = None  #: half-power depth [m] on the loss_factor grid (None: no check)
    power: float = 0.0
    on: bool = False
    delivered: float = 0.0           #: forward energy so far [J] (absorbed energy for 'fixed-field')
    field_rms: float = 0.0           #: rms field in the load during the last step [V/m]
    absorbed_power: float = 0.0      #: power absorbed by the load during the last step [W]
    #: the load: columns (2-D bool over the grid's i, j) and the first cell layer in the field. None: every
    #: active cell. A print sets it to the part's footprint above the substrate (:meth:`set_load`).
    load_columns: np.ndarray | None = None
    load_k0: int = 0
    #: what tells where the load's bottom went as the columns settled (a Densifier: ``columns_settled``,
    #: ``layer_face``); None: the load stays from ``load_k0`` up
    follow: object = field(default=None, repr=False)
    _table: object = field(default=None, repr=False)
    _load: object = field(default=None, repr=False)   #: per column, the first layer in the field (NO_LOAD: none)
    _bottom: int = field(default=0, repr=False)        #: the lowest of them
    _followed: int = field(default=-1, repr=False)     #: ``follow.columns_settled`` when ``_load`` was last set
    _warned_depth: bool = field(default=False, repr=False)

    #: the field fills the cavity: no spot to move (no half-a-cell limit on the step)
    moves = False

    def __post_init__(self) -> None:
        if self.applicator not in APPLICATORS:
            raise ValueError(f"applicator {self.applicator!r}: use one of {', '.join(APPLICATORS)}")
        if self.applicator == "fixed-field" and not self.field_strength > 0.0:
            raise ValueError("applicator 'fixed-field' needs field_strength > 0 V/m")

    @classmethod
    def from_material(cls, material, frequency: float, absorbed_fraction: float | None = None, n: int = 4096,
                      **applicator) -> "MicrowaveSource":
        """The source for ``material``'s loss data. Called as before (frequency, absorbed_fraction) it is the
        'fixed-absorbed-power' model; keyword ``applicator`` and its parameters select another one."""
        T = np.linspace(T_LOW, T_HIGH, n)
        loss = np.asarray(material.dielectric_loss(T), float)
        if absorbed_fraction is not None:
            applicator.setdefault("applicator", "fixed-absorbed-power")
            applicator["absorbed_fraction"] = absorbed_fraction
        return cls(loss_factor=loss, frequency=frequency, rho_rel0=float(material.powder_relative_density),
                   depth_table=half_power_depth(permittivity(material, T), loss, frequency),
                   **applicator)

    @classmethod
    def from_section(cls, material, mw) -> "MicrowaveSource":
        """The source a case's ``process.microwave`` section describes."""
        return cls.from_material(material, mw.frequency, applicator=mw.applicator,
                                 absorbed_fraction=mw.absorbed_fraction, coupling=mw.coupling,
                                 quality_factor=mw.quality_factor, cavity_volume=mw.cavity_volume,
                                 field_strength=mw.field_strength or 0.0)

    def footprint(self, grid) -> None:
        """The field heats every cell: no tile may lag behind (multirate steps all of them)."""
        return None

    def drive(self, x: float, y: float, power: float, spot: float, on: bool, t: float, dt: float) -> None:
        """The plan's power and on/off switch the magnetron; position and spot are irrelevant."""
        self.power, self.on = power, on

    def set_load(self, columns: np.ndarray, k0: int) -> None:
        """Put only ``columns`` (2-D bool) from cell layer ``k0`` up in the field: the sample. The bed margin
        and substrate around it stand for its support (crucible, insulating bed) and only conduct and radiate;
        were they in the field, the load would grow with the margin, which is set by the cell size. With
        ``follow`` set (the run's Densifier), where the support under the sample sinters and settles, the sample
        moves down with it; its bottom is then the face that joined it to the support when it was spread
        (``layer_face``), wherever settling carried that face, so the whole sample stays in the field."""
        self.load_columns, self.load_k0, self._load = np.asarray(columns, bool), int(k0), None

    def _ensure_table(self, shape2d) -> None:
        if self._table is None:
            self._table = ti.ndarray(backend.float_type(), shape=self.loss_factor.size)
            self._table.from_numpy(self.loss_factor.astype(backend.np_float()))
        settled = -1 if self.follow is None else int(self.follow.columns_settled)
        if self._load is None or settled != self._followed:
            cols = np.ones(shape2d, bool) if self.load_columns is None else self.load_columns
            if cols.shape != tuple(shape2d):
                raise ValueError(f"load columns {cols.shape} do not match the grid's {tuple(shape2d)}")
            bottom = np.full(cols.shape, self.load_k0, np.int32)
            if self.follow is not None and self.load_k0 > 0:
                joined = self.follow.layer_face.to_numpy() > 0.5  # faces up from the support into a spread
                first = np.argmax(joined, axis=2)
                moved = cols & joined.any(axis=2) & (first + 1 < self.load_k0)
                bottom[moved] = first[moved] + 1
            bottom = np.where(cols, bottom, NO_LOAD).astype(np.int32)
            if self._load is None:
                self._load = ti.ndarray(ti.i32, shape=cols.shape)
            self._load.from_numpy(bottom)
            self._bottom, self._followed = int(bottom.min()) if cols.any() else self.load_k0, settled

    def _k_range(self, solver) -> tuple[int, int]:
        k0, k1 = solver.k_active
        return max(k0, self._bottom), k1

    def _weight(self, solver) -> float:
        """sum over active cells of eps''(T) x solid volume [m^3] (the kernel weights by ``mass``)."""
        self._ensure_table(solver.grid.shape[:2])
        inv_dT = (self.loss_factor.size - 1) / (T_HIGH - T_LOW)
        return K.loss_weight(solver.T, solver.mass, solver.state, self._load, self._table, T_LOW, inv_dT,
                             solver.grid.dx, *self._k_range(solver))

    @property
    def wall_conductance(self) -> float:
        """G_w = 2 pi f eps0 V_c / Q_0 [W/(V/m)^2]: what the empty cavity dissipates per unit E^2."""
        return 2.0 * math.pi * self.frequency * EPS0 * self.cavity_volume / self.quality_factor

    def load_power(self, weight: float) -> tuple[float, float]:
        """(power absorbed by the load [W], mean-square field in it [(V/m)^2]) for a load of
        ``weight`` = sum eps'' x solid volume [m^3] at the current forward power."""
        G_load = 2.0 * math.pi * self.frequency * EPS0 * weight / self.rho_rel0
        if self.applicator == "fixed-field":
            E2 = self.field_strength ** 2
            return G_load * E2, E2
        if self.applicator == "fixed-absorbed-power":
            P = self.power * self.absorbed_fraction
            return P, (P / G_load if G_load > 0.0 else 0.0)
        E2 = self.coupling * self.power / (self.wall_conductance + G_load)
        return G_load * E2, E2

    def step_limit(self, solver, dT: float = MICROWAVE_DT_TARGET_K) -> float:
        """Longest step [s] in which the hottest cell (the largest eps'', as eps'' rises with T) warms by
        about ``dT``: dh = dt P_abs eps''_max / (rho_p W) <= cp dT, W = sum eps'' x solid volume."""
        if not self.on or self.power <= 0.0:
            return math.inf
        weight = self._weight(solver)
        if weight <= 0.0:
            return math.inf
        _, _, T_max, _ = solver._bounds()
        self._check_depth(solver, T_max)
        t = solver.tables
        T_grid = np.linspace(T_LOW, T_HIGH, self.loss_factor.size)
        eps_max = float(np.interp(T_max, T_grid, self.loss_factor))
        cp = float(np.interp(T_max, t.T0 + t.dT * np.arange(t.cp_of_T.size), t.cp_of_T))
        P, _ = self.load_power(weight)
        if P <= 0.0:
            return math.inf
        rate = P * eps_max / (t.rho_p * weight)  # [J/(kg s)] in the hottest cell
        return cp * dT / rate

    def _check_depth(self, solver, T_max: float) -> None:
        """Warn once when the load's thickness exceeds the half-power depth at its hottest: the field
        is then far from uniform over it and the hot part shields the rest."""
        if self.depth_table is None or self._warned_depth:
            return
        k0, k1 = self._k_range(solver)
        thickness = (k1 - k0) * solver.grid.dx
        depth = float(np.interp(T_max, np.linspace(T_LOW, T_HIGH, self.depth_table.size), self.depth_table))
        if thickness > depth:
            self._warned_depth = True
            warnings.warn(f"the microwave load is {thickness * 1e3:.3g} mm thick but its half-power depth at "
                          f"{T_max:.0f} K is {depth * 1e3:.3g} mm: the uniform-field model overstates the "
                          f"heating of its far side", UserWarning, stacklevel=2)

    def deposit(self, solver, dt: float) -> None:
        if not self.on or self.power <= 0.0:
            return
        weight = self._weight(solver)
        if weight <= 0.0:
            return
        inv_dT = (self.loss_factor.size - 1) / (T_HIGH - T_LOW)
        absorbed, E2 = self.load_power(weight)
        K.deposit_volumetric(solver.h, solver.T, solver.mass, solver.state, self._load, solver.ledger_arr,
                             self._table, T_LOW, inv_dT, absorbed * dt / weight, solver.tables.rho_p, solver.grid.dx,
                             *self._k_range(solver))
        self.field_rms, self.absorbed_power = math.sqrt(E2), absorbed
        # the energy the source put out: the magnetron's forward power, or (field held by something
        # outside the model) what the load took
        emitted = (absorbed if self.applicator == "fixed-field" else self.power) * dt
        self.delivered += emitted
        solver.ledger.delivered += emitted
