"""Microwave heating of the load in a multimode cavity, with a temperature-dependent loss factor.

The absorbed power density of a dielectric in a field E is p = 2 pi f eps0 eps''(T) |E|^2 (Metaxas &
Meredith 1983, Industrial Microwave Heating, Eq. 2.19). Cavity model: the forward power times
``absorbed_fraction`` (``process.microwave``) is absorbed by the load, and the field is assumed
uniform over the load (a well-stirred multimode cavity: the standing-wave pattern and the skin
depth are not resolved), so each active cell takes the share eps''(T_i) V_i / sum_j
eps''(T_j) V_j, V the solid volume of the cell (eps'' taken proportional to the solid fraction).
With eps'' rising steeply with temperature (JSC-1AC: tan delta 0.02 at 25 degC to 0.31 at 1100 degC,
Allan et al. 2013) the hotter cells take ever more of the power: thermal runaway (Kriegsmann 1992,
J. Appl. Phys. 71:1960). The rms field strength implied by the absorbed power is reported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gpu_kernels import thermal as K
from gpu_kernels.backend import ti

from .tables import T_HIGH, T_LOW

EPS0 = 8.8541878128e-12  #: vacuum permittivity [F/m]
#: Largest temperature rise [K] of the hottest (most absorbing) cell per explicit step: the absorbed
#: power follows eps''(T), so the step must resolve the change of T for the runaway to come out right.
MICROWAVE_DT_TARGET_K = 10.0


@dataclass
class MicrowaveSource:
    """Volumetric heating of every active cell; ``power`` is the forward power [W] when ``on``."""

    loss_factor: np.ndarray          #: eps''(T) on a uniform grid from T_LOW to T_HIGH
    frequency: float = 2.45e9        #: [Hz]
    absorbed_fraction: float = 0.8   #: of the forward power, coupled into the load
    power: float = 0.0
    on: bool = False
    delivered: float = 0.0           #: forward energy so far [J]
    field_rms: float = 0.0           #: rms field in the load during the last step [V/m]
    _table: object = field(default=None, repr=False)

    #: the field fills the cavity: no spot to move (no half-a-cell limit on the step)
    moves = False

    @classmethod
    def from_material(cls, material, frequency: float, absorbed_fraction: float, n: int = 4096) -> "MicrowaveSource":
        T = np.linspace(T_LOW, T_HIGH, n)
        return cls(loss_factor=np.asarray(material.dielectric_loss(T), float), frequency=frequency,
                   absorbed_fraction=absorbed_fraction)

    def footprint(self, grid) -> None:
        """The field heats every cell: no tile may lag behind (multirate steps all of them)."""
        return None

    def drive(self, x: float, y: float, power: float, spot: float, on: bool, t: float, dt: float) -> None:
        """The plan's power and on/off switch the magnetron; position and spot are irrelevant."""
        self.power, self.on = power, on

    def _ensure_table(self) -> None:
        if self._table is None:
            self._table = ti.ndarray(ti.f64, shape=self.loss_factor.size)
            self._table.from_numpy(self.loss_factor)

    def _weight(self, solver) -> float:
        self._ensure_table()
        inv_dT = (self.loss_factor.size - 1) / (T_HIGH - T_LOW)
        return K.loss_weight(solver.T, solver.mass, solver.state, self._table, T_LOW, inv_dT, solver.grid.dx,
                             *solver.k_active)

    def step_limit(self, solver, dT: float = MICROWAVE_DT_TARGET_K) -> float:
        """Longest step [s] in which the hottest cell (the largest eps'', as eps'' rises with T) warms by
        about ``dT``: dh = dt P_abs eps''_max / (rho_p W) <= cp dT, W = sum eps'' x solid volume."""
        if not self.on or self.power <= 0.0:
            return math.inf
        weight = self._weight(solver)
        if weight <= 0.0:
            return math.inf
        _, _, T_max, _ = solver._bounds()
        t = solver.tables
        eps_max = float(np.interp(T_max, np.linspace(T_LOW, T_HIGH, self.loss_factor.size), self.loss_factor))
        cp = float(np.interp(T_max, t.T0 + t.dT * np.arange(t.cp_of_T.size), t.cp_of_T))
        rate = self.power * self.absorbed_fraction * eps_max / (t.rho_p * weight)  # [J/(kg s)]
        return cp * dT / rate

    def deposit(self, solver, dt: float) -> None:
        if not self.on or self.power <= 0.0:
            return
        weight = self._weight(solver)
        k0, k1 = solver.k_active
        inv_dT = (self.loss_factor.size - 1) / (T_HIGH - T_LOW)
        if weight <= 0.0:
            return
        absorbed = self.power * self.absorbed_fraction
        K.deposit_volumetric(solver.h, solver.T, solver.mass, solver.state, solver.ledger_arr, self._table, T_LOW,
                             inv_dT, absorbed * dt / weight, solver.tables.rho_p, solver.grid.dx, k0, k1)
        self.field_rms = math.sqrt(absorbed / (2.0 * math.pi * self.frequency * EPS0 * weight))
        self.delivered += self.power * dt
        solver.ledger.delivered += self.power * dt
