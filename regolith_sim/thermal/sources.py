"""Heat sources that deposit energy into the thermal solver each step."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gpu_kernels import backend
from gpu_kernels import thermal as K
from gpu_kernels.backend import ti

PROFILE_CODES = {"gaussian": K.PROFILE_GAUSSIAN, "top-hat": K.PROFILE_TOPHAT,
                 "super-gaussian": K.PROFILE_SUPERGAUSSIAN, "uniform": K.PROFILE_UNIFORM}
#: Extent of the spot box in units of the radius: beyond it the profile is below 1e-3 of its peak.
_BOX_RADII = {"gaussian": 2.0, "top-hat": 1.0, "super-gaussian": 1.6}


@dataclass
class SurfaceSource:
    """A spot of power ``power`` [W] with ``absorptivity`` at (x, y), set before each step.

    ``diameter`` is the 1/e^2 diameter of a gaussian, the edge of a top-hat, the 1/e^2 diameter of a
    super-gaussian exp(-2 (r/w)^n); 'uniform' puts the flux power / ``area`` [W/m^2] on the whole domain top
    (``area`` None: the power spread over the domain top, whose area changes with the cell size).
    Inside the powder, energy is extinguished with depth (Beer-Lambert, see the kernel) with
    beta = 3 rho_rel/(2 d50) for a grain size d50 [m].
    """

    profile: str = "gaussian"
    diameter: float = 4e-3
    absorptivity: float = 1.0
    grain_size: float = 50e-6
    order: float = 4.0
    x: float = 0.0
    y: float = 0.0
    power: float = 0.0
    on: bool = False
    delivered: float = 0.0   #: energy emitted so far [J]
    supply: object = None    #: optional power limit/modulation with ``power(plan_power, t0, t1)`` [W]
    area: float | None = None  #: 'uniform': the area the power is spread over [m^2] (process.uniform_area)

    #: the spot travels along the plan (the step is shortened so it moves at most half a cell)
    moves = True

    def step_limit(self, solver) -> float:
        """No limit beyond the spot's motion (half a cell per step, applied by the caller)."""
        return math.inf

    def drive(self, x: float, y: float, power: float, spot: float, on: bool, t: float, dt: float) -> None:
        """Set the spot from the plan sampled at mid-step; ``supply`` turns the plan's power into the
        power available over [t, t + dt] (e.g. a solar collector's limit times measured fluctuations)."""
        self.x, self.y, self.diameter, self.on = x, y, spot, on
        self.power = self.supply.power(power, t, t + dt) if (self.supply is not None and on) else power

    def footprint(self, grid) -> tuple[int, int, int, int] | None:
        """Cell index box (i_lo, i_hi, j_lo, j_hi) the spot heats (it may stick out of the grid; the
        weights are normalised over all of it); None for a 'uniform' profile, which heats the whole top."""
        if self.profile == "uniform":
            return None
        dx, (x0, y0, _) = grid.dx, grid.origin
        r = _BOX_RADII[self.profile] * 0.5 * self.diameter
        return (int(math.floor((self.x - r - x0) / dx)), int(math.ceil((self.x + r - x0) / dx)),
                int(math.floor((self.y - r - y0) / dx)), int(math.ceil((self.y + r - y0) / dx)))

    def _spot_constants(self, solver):
        """The constants of ``K.deposit_surface`` (``K.SPOT_PARAMS``) in one small array, uploaded again only
        when one of them changed (a plain attribute, not a field: checkpoints and ``asdict`` leave it out)."""
        g = solver.grid
        values = (PROFILE_CODES[self.profile], self.order, g.origin[0], g.origin[1], g.dx, solver.tables.rho_p,
                  1.5 / self.grain_size, 0.98)
        if getattr(self, "_spot_values", None) != values:
            self._spot = ti.ndarray(backend.float_type(), shape=len(K.SPOT_PARAMS))
            self._spot.from_numpy(np.array(values, dtype=backend.np_float()))
            self._spot_values = values
        return self._spot

    def deposit(self, solver, dt: float) -> None:
        if not self.on or self.power <= 0.0:
            return
        g = solver.grid
        box = self.footprint(g)
        i_lo, i_hi, j_lo, j_hi = box if box is not None else (0, g.shape[0], 0, g.shape[1])
        delivered = self.power * dt  # what lands on the domain
        if box is None and self.area is not None:  # 'uniform': a flux power / area over the domain top
            delivered *= g.shape[0] * g.shape[1] * g.dx * g.dx / self.area
        energy = delivered * self.absorptivity
        K.deposit_surface(solver.h, solver.rho_rel, solver.mass, solver.state, solver.top, solver.ledger_arr,
                          self._spot_constants(solver), self.x, self.y, 0.5 * self.diameter, energy, i_lo, i_hi, j_lo,
                          j_hi)
        self.delivered += delivered
        solver.ledger.delivered += delivered


def check_spot_fits(diameter: float, extent_xy: tuple[float, float], key: str = "process.spot_diameter") -> None:
    """A spot wider than the domain cannot be represented: say so instead of losing its energy."""
    from ..errors import UserError

    if diameter > min(extent_xy):
        raise UserError(f"{diameter:g} m is larger than the domain footprint {extent_xy[0]:g} x {extent_xy[1]:g} m; "
                        f"use a smaller spot or a larger part", key=key)


def peak_flux(profile: str, power: float, diameter: float, order: float = 4.0) -> float:
    """Peak intensity [W/m^2] of a spot: 2P/(pi w^2) for a gaussian, P/(pi w^2) for a top-hat,
    P n/(pi w^2 2^(1-2/n) Gamma(2/n)) for a super-gaussian of order n."""
    w = 0.5 * diameter
    if profile == "gaussian":
        return 2.0 * power / (math.pi * w * w)
    if profile == "top-hat":
        return power / (math.pi * w * w)
    if profile == "super-gaussian":
        return power * order / (math.pi * w * w * 2 ** (1 - 2 / order) * math.gamma(2 / order))
    raise ValueError(profile)


def radial_reach(profile: str, diameter: float, order: float = 4.0) -> float:
    """int_0^inf I(r) dr / I(0) [m] of a spot's profile (``diameter`` [m] as SurfaceSource defines it): the centre
    of a semi-infinite solid of conductivity k under the flux q(r) = q_peak I(r) / I(0) rises by q_peak x this / k
    at steady state (rings of radius r each add q(r) dr / k; a disc of radius a at flux q gives q a / k, Carslaw &
    Jaeger 1959, Conduction of Heat in Solids): a for a top-hat, w sqrt(pi/8) for a gaussian of 1/e^2 radius w."""
    n, edge = 6000, 3.0  # in units of w: past 3 w a gaussian is below 1e-7 of its peak
    r = (np.arange(n) + 0.5) / n * edge
    return float(_relative_intensity(profile, r * r, order).sum() * (edge / n) * 0.5 * diameter)


def centre_cell_share(profile: str, diameter: float, dx: float, order: float = 4.0) -> float:
    """The mean of a spot's relative intensity over the cell under its centre, a square of side ``dx`` [m] (1 when
    the cell resolves the peak; ``diameter`` [m] as SurfaceSource defines it per profile)."""
    n = 200
    u = ((np.arange(n) + 0.5) / n - 0.5) * dx
    r2 = (u[:, None] ** 2 + u[None, :] ** 2) / (0.5 * diameter) ** 2  # (r / w)^2
    return float(_relative_intensity(profile, r2, order).mean())


def _relative_intensity(profile: str, r2: np.ndarray, order: float) -> np.ndarray:
    """A spot's intensity relative to its peak at (r/w)^2 = ``r2`` (w: its radius as SurfaceSource defines it)."""
    if profile == "gaussian":
        return np.exp(-2.0 * r2)
    if profile == "super-gaussian":
        return np.exp(-2.0 * r2 ** (0.5 * order))
    return (r2 <= 1.0).astype(float)  # top-hat


def share_on_rectangle(profile: str, diameter: float, x, y, rect: tuple[float, float, float, float],
                       order: float = 4.0) -> np.ndarray:
    """Share of the power of a spot centred at (``x``, ``y``) [m] (arrays) that falls on the rectangle ``rect`` =
    (x_lo, x_hi, y_lo, y_hi) [m], the profile cut at its box as the deposit cuts it (``footprint``): the product
    of its marginal distributions along x and along y. Exact for a gaussian, which separates; for a top-hat or
    super-gaussian near a corner of the rectangle an approximation (exact across one straight edge)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if profile == "uniform":
        return np.ones(np.broadcast(x, y).shape)
    w, edges, cdf = 0.5 * diameter, *_marginal_cdf(profile, order)

    def inside(lo, hi, c):
        return np.interp((hi - c) / w, edges, cdf) - np.interp((lo - c) / w, edges, cdf)

    x_lo, x_hi, y_lo, y_hi = rect
    return inside(x_lo, x_hi, x) * inside(y_lo, y_hi, y)


def _marginal_cdf(profile: str, order: float, n: int = 800) -> tuple[np.ndarray, np.ndarray]:
    """(u, F(u)): the cumulative share of a profile's power at x/w <= u over its box, at the box's cell edges."""
    R = _BOX_RADII[profile]
    edges = np.linspace(-R, R, n + 1)
    u = 0.5 * (edges[1:] + edges[:-1])
    marginal = _relative_intensity(profile, u[:, None] ** 2 + u[None, :] ** 2, order).sum(axis=1)
    return edges, np.concatenate([[0.0], np.cumsum(marginal) / marginal.sum()])
