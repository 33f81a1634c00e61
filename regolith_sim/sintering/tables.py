"""Sintering laws of a :class:`~regolith_sim.materials.Material` turned into the tables and scalars
that :func:`gpu_kernels.sintering.densify` reads (see :mod:`regolith_sim.sintering.models`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MaterialError
from ..materials.laws import TABLE_T_HIGH as T_HIGH
from ..materials.laws import TABLE_T_LOW as T_LOW  # (the viscosity table spans the thermal tables' range)
from . import models

MODELS = ("viscous", "master-curve")
MODEL_CODES = {"viscous": 0, "master-curve": 1}
#: ln eta for "rigid": stands for every temperature where the VFT law or the crystal-fraction law saturate.
LN_ETA_RIGID = np.log(1e30) + np.log(models.ETA_REL_CAP)
#: Cells colder than T_active are skipped: there the accumulator would move the density by less
#: than DRHO_NEGLIGIBLE over T_ACTIVE_HORIZON seconds of heating (longer than any print).
T_ACTIVE_HORIZON, DRHO_NEGLIGIBLE = 1e7, 1e-9

#: how far short of full density the master curve's progress counts as full (SinteringTables.acc_full)
MSC_FULL = 1e-6


@dataclass(frozen=True)
class SinteringTables:
    """Everything the densify kernel needs for one material and model.

    ``ln_eta`` is ln eta_eff(T) [ln Pa s] on a uniform T grid (T0, dT); ``rho_visc`` is the
    Mackenzie-Shuttleworth density on a uniform tau grid from tau0 = TAU_SWITCH (step dtau); below
    it the kernel uses Frenkel's closed form. ``T_active`` [K] and ``theta_lo`` [s/K] bound where
    the kernel may skip work (see T_ACTIVE_HORIZON). The master-curve scalars are Q/R [K], the sigmoid mid
    and width in ln Theta. Arrays not used by ``model`` hold two dummy entries. ``acc_of_rho`` is the inverse
    of either law, the accumulator that brings a fresh powder to each density on a uniform grid from rho_rel0
    to 1 (:meth:`acc_of_density`): the settling kernel gives a cell merged from parcels of different densities
    the accumulator of its merged density."""

    model: str
    rho_rel0: float
    liquidus: float
    ln_eta: np.ndarray
    T0: float
    dT: float
    gamma_over_a: float
    rho_visc: np.ndarray
    tau0: float
    dtau: float
    tau_full: float
    T_active: float
    theta_lo: float
    q_over_r: float
    ln_theta_mid: float
    ln_theta_width: float
    acc_of_rho: np.ndarray

    @property
    def model_code(self) -> int:
        return MODEL_CODES[self.model]

    @property
    def acc_full(self) -> float:
        """The accumulator at full density (the faces' ceiling, gpu_kernels.sintering): the viscous table's
        tau_full, or the Theta [s/K] where the master curve's progress is within MSC_FULL of 1 (its sigmoid
        never reaches 1)."""
        if self.model == "viscous":
            return float(self.tau_full)
        return self._msc_full(self.ln_theta_mid, self.ln_theta_width)

    @staticmethod
    def _msc_full(mid: float, width: float) -> float:
        return float(np.exp(mid + width * np.log(1.0 / MSC_FULL - 1.0)))

    @property
    def inv_drho(self) -> float:
        """1 / the spacing of ``acc_of_rho`` in relative density (0 for a dense start, whose table is constant)."""
        return (self.acc_of_rho.size - 1) / (1.0 - self.rho_rel0) if self.rho_rel0 < 1.0 else 0.0

    def acc_of_density(self, rho):
        """The accumulator (reduced time tau, or Theta [s/K]) at which a fresh powder reaches the relative density
        ``rho``, from ``acc_of_rho`` as the settling kernel reads it (linear, clamped to [rho_rel0, 1])."""
        grid = np.linspace(self.rho_rel0, 1.0, self.acc_of_rho.size)
        return np.interp(np.asarray(rho, float), grid, self.acc_of_rho)

    @classmethod
    def from_material(cls, m, model: str = "viscous", rho_rel0: float | None = None,
                      n_T: int = 8192, n_tau: int = 4096, n_rho: int = 4096) -> "SinteringTables":
        if model not in MODELS:
            raise MaterialError(f"sintering model {model!r}: allowed values are {', '.join(MODELS)}",
                                key="sintering.model")
        rho0 = float(rho_rel0 if rho_rel0 is not None else m.powder_relative_density)
        dummy = np.zeros(2)
        ln_eta, T0, dT, g_a, rho_visc, tau0, dtau, tau_full = dummy, T_LOW, 1.0, 0.0, dummy, 1.0, 1.0, np.inf
        q_over_r, mid, width, theta_lo = 0.0, 0.0, 1.0, 0.0
        T_scan = np.linspace(T_LOW, T_HIGH, 50001)
        if model == "viscous":
            for key in ("melt.surface_tension_N_m", "melt.glass_fraction"):
                if not m.has(key):
                    raise MaterialError(f"material '{m.name}' lacks '{key}' needed by viscous sintering; "
                                        f"use model='master-curve'", key="material")
            T = np.linspace(T_LOW, T_HIGH, n_T)
            with np.errstate(divide="ignore"):
                ln_eta = np.minimum(np.log(models.effective_viscosity(m, T, rho0)), LN_ETA_RIGID)
            T0, dT = float(T[0]), float(T[1] - T[0])
            g_a = m.get("melt.surface_tension_N_m") / (0.5 * m.get("grain_size.d50_m"))
            tau0, dtau, rho_visc, tau_full = models.viscous_density_table(rho0, n=n_tau)
            # Frenkel: d rho/d tau = 9/8 rho0 at small tau
            rate = g_a * np.exp(-np.interp(T_scan, T, ln_eta))
            negligible = rate * T_ACTIVE_HORIZON * 1.125 * rho0 < DRHO_NEGLIGIBLE
        else:
            Q, mid, width = models.msc_parameters(m)
            q_over_r = Q / models.R_GAS
            # the sigmoid's excess over rho0 is (1-rho0) exp((ln Theta - mid)/width) when small
            theta_lo = float(np.exp(mid + width * np.log(DRHO_NEGLIGIBLE)))
            negligible = T_ACTIVE_HORIZON / T_scan * np.exp(-q_over_r / T_scan) < theta_lo
        # the first temperature from which on the rate is never negligible (rates rise with T)
        T_active = float(T_scan[max(int(np.argmin(negligible)) - 1, 0)]) if negligible[0] else T_LOW
        rho_grid = np.linspace(rho0, 1.0, n_rho)
        if rho0 >= 1.0:  # a dense start (material.initial_relative_density = 1): every cell is at full density
            acc_of_rho = np.full(2, tau_full if model == "viscous" else cls._msc_full(mid, width))
        elif model == "viscous":
            acc_of_rho = np.array([models.reduced_time_of_density(r, rho0, (tau0, dtau, rho_visc, tau_full))
                                   for r in rho_grid[:-1]] + [tau_full])
        else:
            with np.errstate(divide="ignore"):
                ln_theta = mid + width * (np.log(rho_grid - rho0) - np.log(1.0 - rho_grid))
            acc_of_rho = np.exp(np.clip(ln_theta, -np.inf, np.log(cls._msc_full(mid, width))))
        return cls(model=model, rho_rel0=rho0, liquidus=float(m.liquidus_K), ln_eta=np.ascontiguousarray(ln_eta),
                   T0=T0, dT=dT, gamma_over_a=float(g_a), rho_visc=np.ascontiguousarray(rho_visc), tau0=tau0, dtau=dtau,
                   tau_full=float(tau_full), T_active=T_active, theta_lo=theta_lo, q_over_r=float(q_over_r), ln_theta_mid=float(mid),
                   ln_theta_width=float(width), acc_of_rho=np.ascontiguousarray(acc_of_rho))

    def reduced_time_rate(self, T):
        """d tau/dt = gamma / (eta_eff(T) a) from the same table the kernel reads [1/s]."""
        lne = np.interp(np.asarray(T, float), self.T0 + self.dT * np.arange(self.ln_eta.size), self.ln_eta)
        return self.gamma_over_a * np.exp(-lne)

    def density_of_tau(self, tau):
        """rho_visc(tau) as the kernel evaluates it (Frenkel closed form, then the table; 1 beyond)."""
        return models.viscous_density(tau, self.rho_rel0, (self.tau0, self.dtau, self.rho_visc, self.tau_full))

    def progress(self, acc):
        """Fraction of the way from the powder's density to full density that the densify kernel's
        accumulator ``acc`` (reduced time tau for 'viscous', Theta [s/K] for 'master-curve') gives a fresh
        powder: (rho(acc) - rho0) / (1 - rho0), in [0, 1]."""
        acc = np.maximum(np.nan_to_num(np.asarray(acc, float), nan=0.0), 0.0)
        if self.model == "viscous":
            rho = self.density_of_tau(acc)
        else:
            rho = models.msc_density(acc, self.rho_rel0, self.ln_theta_mid, self.ln_theta_width)
        return np.clip((rho - self.rho_rel0) / (1.0 - self.rho_rel0), 0.0, 1.0)
