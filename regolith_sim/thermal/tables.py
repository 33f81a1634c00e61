"""Material laws turned into the tables and scalars the thermal kernels read."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..materials import Material
from ..materials.laws import TABLE_T_HIGH as T_HIGH
from ..materials.laws import TABLE_T_LOW as T_LOW
from ..materials.laws import gas_bed_power_law


@dataclass(frozen=True)
class ThermalTables:
    """h(T) inverted on a uniform enthalpy grid, cp(T) on a uniform temperature grid, and the
    scalar parameters of k(T, relative density) (see :func:`regolith_sim.materials.laws.conductivity`)."""

    T_of_h: np.ndarray
    h0: float
    dh: float
    cp_of_T: np.ndarray
    T0: float
    dT: float
    contact: float
    chi: float
    k_dense: float
    k_melt: float
    k_const: float
    rho_rel0: float
    rho_p: float
    solidus: float
    liquidus: float
    eps_solid: float
    eps_melt: float
    h_of_T: np.ndarray | None = None  #: h(T) [J/kg] on a uniform T grid from T_LOW to T_HIGH (implicit step)
    #: the gas-filled bed's conduction k_gas (T/300 K)^gas_exp [W/(m K)] (laws.gas_bed_power_law; 0 in vacuum)
    k_gas: float = 0.0
    gas_exp: float = 0.0

    @classmethod
    def from_material(cls, m: Material, rho_rel0: float | None = None, n: int = 16384,
                      gas: tuple[float, float, float] | None = None) -> "ThermalTables":
        """``gas``: (k [W/(m K)] at T [K], exponent) of the gas in the powder's pores (Site.gas_conductivity),
        None in vacuum."""
        T_fine = np.geomspace(T_LOW, T_HIGH, 20001)
        h_fine = m.enthalpy(T_fine)
        h_grid = np.linspace(h_fine[0], h_fine[-1], n)
        T_grid = np.linspace(T_LOW, T_HIGH, 4096)
        T_h = np.linspace(T_LOW, T_HIGH, n)
        k_const = m.get("conductivity.constant_W_mK", 0.0) if m.has("conductivity.constant_W_mK") else 0.0
        rho0 = float(rho_rel0 if rho_rel0 is not None else m.powder_relative_density)
        k_gas, gas_exp = (0.0, 0.0) if gas is None or rho0 >= 1.0 else \
            gas_bed_power_law(1.0 - rho0, m.get("conductivity.dense_W_mK"), gas)
        return cls(
            T_of_h=np.interp(h_grid, h_fine, T_fine), h0=float(h_grid[0]), dh=float(h_grid[1] - h_grid[0]),
            cp_of_T=np.asarray(m.cp(T_grid), dtype=float), T0=T_LOW, dT=float(T_grid[1] - T_grid[0]),
            contact=m.get("conductivity.contact_W_mK"), chi=m.get("conductivity.radiative_chi"),
            k_dense=m.get("conductivity.dense_W_mK"), k_melt=m.get("conductivity.melt_W_mK"), k_const=k_const,
            rho_rel0=rho0, k_gas=k_gas, gas_exp=gas_exp,
            rho_p=m.particle_density, solidus=m.solidus_K, liquidus=m.liquidus_K,
            eps_solid=m.emissivity, eps_melt=m.emissivity_melt,
            h_of_T=np.asarray(m.enthalpy(T_h), dtype=float),
        )

    @property
    def hT0(self) -> float:
        """First temperature of the h_of_T table [K]."""
        return T_LOW

    @property
    def hdT(self) -> float:
        """Spacing of the h_of_T table [K]."""
        return (T_HIGH - T_LOW) / (self.h_of_T.size - 1)

    def temperature(self, h):
        """T(h) from the same table the kernels use [K]."""
        idx = (np.asarray(h, dtype=float) - self.h0) / self.dh
        return np.interp(idx, np.arange(self.T_of_h.size), self.T_of_h)
