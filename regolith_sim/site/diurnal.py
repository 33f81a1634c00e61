"""One-dimensional diurnal thermal model of the lunar regolith column.

The physics is the standard model of Hayne et al. (2017, JGR Planets 122:2371), written here from
its equations (not from any existing code):

* density and contact conductivity rise with depth, ``X(z) = X_d - (X_d - X_s) exp(-z/H)``;
* ``K(T, z) = Kc(z) (1 + chi (T/350 K)^3)`` adds the radiative heat transfer across pores;
* ``c(T)`` is the Hayne polynomial fit to lunar-sample heat capacities;
* the surface balances ``eps sigma T^4 = (1 - A(i)) S cos(i) / r^2 + K dT/dz`` with the
  incidence-dependent albedo ``A(i) = A0 + a (i/45 deg)^3 + b (i/90 deg)^8``;
* the basal heat flow ``Qb`` enters at the bottom of the column.

Numerics: vertex-centred finite volumes on a geometrically stretched grid (the first layer a
fraction of the diurnal skin depth), a theta time scheme (backward Euler by default) solved by
Newton iterations on the full nonlinear system (T^4, K(T), c(T)) with a tridiagonal Jacobian, and
an accelerated spin-up that corrects the slowly-relaxing deep mean profile from the cycle-mean
heat flux, so a periodic state is reached in tens of lunar days instead of hundreds.

Everything is SI; times start at local midnight; local time is on a 24-hour clock (12 = noon).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
from scipy.linalg import solve_banded

from ..errors import SimulationDiverged, UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Depths reported by :meth:`DiurnalSolution.profile` and :func:`site_report` (those inside the grid).
PROFILE_DEPTHS_M: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.10, 0.20, 0.50, 1.0, 2.0)

_SECONDS_PER_DAY = 86400.0


def read_data_toml(path: Path) -> dict:
    """Parse one of the package's TOML data files."""
    with Path(path).open("rb") as fh:
        return tomllib.load(fh)


def _v(table: dict, key: str) -> float:
    entry = table[key]
    return float(entry["value"] if isinstance(entry, dict) else entry)


# --------------------------------------------------------------------------------------------
# Parameters and material laws
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HayneParams:
    """Parameters of the Hayne et al. (2017) model; load the cited values with :func:`load_hayne_params`."""

    rho_s: float            # kg/m^3, surface density
    rho_d: float            # kg/m^3, deep density
    H: float                # m, e-folding scale of density and conductivity
    Ks: float               # W/(m K), surface contact conductivity
    Kd: float               # W/(m K), deep contact conductivity
    chi: float              # radiative conductivity factor at T_rad
    T_rad: float            # K
    cp: tuple[float, ...]   # c(T) polynomial coefficients c0..c4, J/(kg K)
    cp_T_min: float         # K, lower validity of the polynomial
    emissivity: float
    A0: float               # albedo at normal incidence
    albedo_a: float
    albedo_b: float
    solar_constant: float   # W/m^2 at 1 au
    r_au: float
    Qb: float               # W/m^2, basal heat flow
    period_s: float         # synodic day
    obliquity_deg: float
    sigma: float            # W/(m^2 K^4)

    # Material laws ------------------------------------------------------------------------
    def density(self, z):
        z = np.asarray(z, dtype=float)
        return self.rho_d - (self.rho_d - self.rho_s) * np.exp(-z / self.H)

    def mass_between(self, za, zb):
        """Integral of rho(z) from za to zb [kg/m^2]: exact, so the column's energy sums are exact."""
        za, zb = np.asarray(za, float), np.asarray(zb, float)
        return self.rho_d * (zb - za) - (self.rho_d - self.rho_s) * self.H * (
            np.exp(-za / self.H) - np.exp(-zb / self.H))

    def contact_conductivity(self, z):
        z = np.asarray(z, dtype=float)
        return self.Kd - (self.Kd - self.Ks) * np.exp(-z / self.H)

    def conductivity(self, T, z):
        return self.contact_conductivity(z) * (1.0 + self.chi * (np.asarray(T, float) / self.T_rad) ** 3)

    def heat_capacity(self, T):
        """Hayne c(T) [J/(kg K)]; below its 10 K validity a Debye T^3 law matched at 10 K keeps it positive."""
        return _HeatCapacity.of(self.cp, self.cp_T_min).c(T)

    def enthalpy(self, T):
        """Specific enthalpy [J/kg] relative to 0 K, the exact integral of :meth:`heat_capacity`."""
        return _HeatCapacity.of(self.cp, self.cp_T_min).e(T)

    def albedo(self, incidence_rad):
        """Bond albedo A(i) (Keihm 1984; Vasavada 2012), capped below 1."""
        i_deg = np.degrees(np.asarray(incidence_rad, float))
        A = self.A0 + self.albedo_a * (i_deg / 45.0) ** 3 + self.albedo_b * (i_deg / 90.0) ** 8
        return np.minimum(A, 1.0)

    def skin_depth(self, T: float = 250.0, surface: bool = True) -> float:
        """Diurnal thermal skin depth sqrt(kappa P / pi) [m] with contact conductivity at T."""
        K = (self.Ks if surface else self.Kd) * (1 + self.chi * (T / self.T_rad) ** 3)
        rho = self.rho_s if surface else self.rho_d
        kappa = K / (rho * float(self.heat_capacity(T)))
        return math.sqrt(kappa * self.period_s / math.pi)


class _HeatCapacity:
    """Polynomial c(T), its integral, and the low-temperature continuation; built once per coefficient set."""

    _cache: dict = {}

    def __init__(self, coeffs: tuple[float, ...], T_min: float):
        self.p = np.asarray(coeffs[::-1], float)                       # highest power first, for polyval
        self.q = np.polyint(self.p)                                    # enthalpy polynomial, e(0) = 0
        self.T_min = float(T_min)
        self.c_min = float(np.polyval(self.p, T_min))
        self.e_min = float(np.polyval(self.q, T_min))
        if self.c_min <= 0:
            raise ValueError("heat-capacity polynomial must be positive at its lower validity limit")

    @classmethod
    def of(cls, coeffs, T_min) -> "_HeatCapacity":
        key = (tuple(coeffs), float(T_min))
        hc = cls._cache.get(key)
        if hc is None:
            hc = cls._cache[key] = cls(tuple(coeffs), T_min)
        return hc

    def c(self, T):
        T = np.asarray(T, float)
        hi = np.polyval(self.p, np.maximum(T, self.T_min))
        # Below ~10 K the polynomial is unfitted (it turns negative near 1.3 K); crystalline solids
        # follow the Debye T^3 law there, so continue with it, matched in value at T_min.
        lo = self.c_min * (np.maximum(T, 0.0) / self.T_min) ** 3
        return np.where(T >= self.T_min, hi, lo)

    def e(self, T):
        T = np.asarray(T, float)
        hi = np.polyval(self.q, np.maximum(T, self.T_min))
        lo = self.e_min - self.c_min * self.T_min / 4.0 * (1.0 - (np.maximum(T, 0.0) / self.T_min) ** 4)
        return np.where(T >= self.T_min, hi, lo)


@functools.lru_cache(maxsize=8)
def load_hayne_params(path: Optional[str] = None) -> HayneParams:
    """Read the cited Hayne et al. (2017) parameters (``data/hayne2017.toml`` unless ``path``)."""
    d = read_data_toml(Path(path) if path else DATA_DIR / "hayne2017.toml")
    dens, cond, hc, surf, forc = d["density"], d["conductivity"], d["heat_capacity"], d["surface"], d["forcing"]
    return HayneParams(
        rho_s=_v(dens, "surface_kg_m3"), rho_d=_v(dens, "deep_kg_m3"), H=_v(dens, "scale_height_m"),
        Ks=_v(cond, "surface_W_mK"), Kd=_v(cond, "deep_W_mK"),
        chi=_v(cond, "radiative_chi"), T_rad=_v(cond, "radiative_reference_K"),
        cp=tuple(_v(hc, f"c{n}") for n in range(5)), cp_T_min=_v(hc, "valid_above_K"),
        emissivity=_v(surf, "emissivity"), A0=_v(surf, "albedo_A0_highlands"),
        albedo_a=_v(surf, "albedo_a"), albedo_b=_v(surf, "albedo_b"),
        solar_constant=_v(forc, "solar_constant_W_m2"), r_au=_v(forc, "heliocentric_distance_au"),
        Qb=_v(forc, "basal_heat_flow_W_m2"), period_s=_v(forc, "synodic_day_d") * _SECONDS_PER_DAY,
        obliquity_deg=_v(forc, "obliquity_to_ecliptic_deg"),
        sigma=_v(d["constants"], "stefan_boltzmann_W_m2K4"),
    )


# --------------------------------------------------------------------------------------------
# Solar geometry
# --------------------------------------------------------------------------------------------
def cos_incidence(latitude_deg: float, local_time_h, solar_declination_deg: float = 0.0):
    """Cosine of the solar incidence angle on flat ground (negative when the sun is below the horizon).

    The hour angle is 15 deg per hour from local noon; the Moon's rotation is uniform over the
    synodic day, so local time maps linearly to hour angle.
    """
    phi, dec = math.radians(latitude_deg), math.radians(solar_declination_deg)
    h = np.radians(15.0 * (np.asarray(local_time_h, float) - 12.0))
    return math.sin(phi) * math.sin(dec) + math.cos(phi) * math.cos(dec) * np.cos(h)


def sun_elevation_max_deg(latitude_deg: float, solar_declination_deg: float = 0.0) -> float:
    """Highest solar elevation of the day above a flat horizon [deg] (at local noon)."""
    return 90.0 - abs(latitude_deg - solar_declination_deg)


def absorbed_flux(params: HayneParams, latitude_deg: float, local_time_h, solar_declination_deg: float = 0.0):
    """Absorbed solar flux (1 - A(i)) S cos(i) / r^2 [W/m^2] at the given local times."""
    mu = np.clip(cos_incidence(latitude_deg, local_time_h, solar_declination_deg), 0.0, 1.0)
    A = params.albedo(np.arccos(mu))
    return (1.0 - A) * params.solar_constant / params.r_au ** 2 * mu


# --------------------------------------------------------------------------------------------
# Column and periodic time marching (the solver core)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A discretised regolith column: nodes z[0] = 0 (the surface) .. z[-1] (bottom).

    Node i owns the control volume between the midpoints of its neighbouring intervals, so node 0
    carries half a first layer: the surface has heat capacity and the scheme conserves energy.
    """

    z: np.ndarray                 # node depths [m], N+1
    mass: np.ndarray              # kg/m^2 in each node's control volume, N+1
    kc: np.ndarray                # contact conductivity at interval midpoints [W/(m K)], N
    chi: float                    # radiative conductivity factor (0 for constant K)
    T_rad: float                  # K
    heat_capacity: object         # T -> c [J/(kg K)]
    enthalpy: object              # T -> e [J/kg], de/dT = c

    @property
    def h(self) -> np.ndarray:
        return np.diff(self.z)

    @property
    def z_interface(self) -> np.ndarray:
        return 0.5 * (self.z[:-1] + self.z[1:])

    @classmethod
    def hayne(cls, params: HayneParams, z: np.ndarray) -> "Column":
        z = np.asarray(z, float)
        zi = 0.5 * (z[:-1] + z[1:])
        edges = np.concatenate([[0.0], zi, [z[-1]]])
        hc = _HeatCapacity.of(params.cp, params.cp_T_min)
        return cls(z=z, mass=params.mass_between(edges[:-1], edges[1:]), kc=params.contact_conductivity(zi),
                   chi=params.chi, T_rad=params.T_rad, heat_capacity=hc.c, enthalpy=hc.e)

    @classmethod
    def constant(cls, z: np.ndarray, k: float, rho: float, c: float) -> "Column":
        """Constant properties (for analytic checks of the solver core)."""
        z = np.asarray(z, float)
        h = np.diff(z)
        vol = np.concatenate([[h[0] / 2], (h[:-1] + h[1:]) / 2, [h[-1] / 2]])
        return cls(z=z, mass=rho * vol, kc=np.full(h.shape, float(k)), chi=0.0, T_rad=350.0,
                   heat_capacity=lambda T: np.full(np.shape(T), float(c)),
                   enthalpy=lambda T: float(c) * np.asarray(T, float))


def geometric_grid(first_layer_m: float, growth: float, bottom_m: float) -> np.ndarray:
    """Node depths from 0 with layer thickness growing by ``growth`` until ``bottom_m`` is reached."""
    if not (first_layer_m > 0 and growth >= 1.0 and bottom_m > first_layer_m):
        raise ValueError("grid needs first_layer_m > 0, growth >= 1 and bottom_m > first_layer_m")
    z = [0.0]
    dz = first_layer_m
    while z[-1] + dz < bottom_m:
        z.append(z[-1] + dz)
        dz *= growth
    # A sliver as the last layer would cost accuracy for nothing: merge it into its neighbour.
    if bottom_m - z[-1] < 0.5 * dz / growth and len(z) > 2:
        z[-1] = bottom_m
    else:
        z.append(bottom_m)
    return np.asarray(z)


@dataclass
class CycleResult:
    T: np.ndarray            # [steps, N+1]: state at t = j dt, j = 0..steps-1
    T_end: np.ndarray        # state at t = period
    mean_flux: np.ndarray    # cycle-mean upward conductive flux at interval midpoints [W/m^2], N
    mean_surface_net: float  # cycle-mean absorbed - emitted at the surface [W/m^2] (radiative top only)
    newton_iterations: int


def run_cycle(column: Column, T_start: np.ndarray, *, period_s: float, steps: int,
              absorbed: Optional[np.ndarray] = None, emissivity: float = 0.95, sigma: float = 5.670374419e-8,
              sky_K: float = 0.0, surface_T: Optional[np.ndarray] = None, basal_flux: float = 0.0,
              theta: float = 1.0, tol_K: float = 1e-4, max_newton: int = 40) -> CycleResult:
    """March one period from ``T_start`` with a theta scheme; returns the history and cycle-mean fluxes.

    Top boundary: either radiative (``absorbed[j]`` = absorbed solar flux at t = j dt, periodic) or
    Dirichlet (``surface_T[j]`` at t = j dt). Bottom: ``basal_flux`` [W/m^2] flowing upward into the
    column. ``theta = 1`` is backward Euler: L-stable, so the sunrise jump cannot ring, and a step
    always has a positive solution. ``theta = 0.5`` (Crank-Nicolson) is second order but, with the
    stiff T^4 surface and a thin first layer, a long step can ask for a negative surface
    temperature (Newton then fails): use it only with a Dirichlet top or short steps.
    """
    if (absorbed is None) == (surface_T is None):
        raise ValueError("give exactly one of absorbed (radiative top) or surface_T (Dirichlet top)")
    dirichlet = surface_T is not None
    forcing = np.asarray(surface_T if dirichlet else absorbed, float)
    if forcing.shape != (steps,):
        raise ValueError(f"forcing must have {steps} values (one per step)")
    n = column.z.size
    h = column.h
    kc, chi, Tr = column.kc, column.chi, column.T_rad
    m = column.mass
    enth, cap = column.enthalpy, column.heat_capacity
    dt = period_s / steps
    es = emissivity * sigma
    sky4 = es * sky_K ** 4
    th = float(theta)

    def fluxes(T):
        dT = T[1:] - T[:-1]
        if chi:
            Tm3 = (0.5 * (T[:-1] + T[1:]) / Tr) ** 3
            k = kc * (1.0 + chi * Tm3)
        else:
            k = kc
        return k * dT / h, k, dT

    def gain(T, F, src):
        g = np.empty(n)
        g[:-1] = F
        g[-1] = basal_flux
        g[1:] -= F
        g[0] += src
        return g

    hist = np.empty((steps, n))
    T = np.array(T_start, float)
    if dirichlet:
        T[0] = forcing[0]
    F_old, _, _ = fluxes(T)
    src_old = 0.0 if dirichlet else forcing[0] - es * T[0] ** 4 + sky4
    F_sum = np.zeros(n - 1)
    src_sum = 0.0
    ab = np.zeros((3, n))
    its = 0
    T_prev = T.copy()
    for j in range(steps):
        hist[j] = T
        e_old = enth(T)
        g_old = gain(T, F_old, src_old)
        f_new = forcing[(j + 1) % steps]
        # Extrapolating the last change is a cheap, usually close, first Newton guess.
        Tn = T + (T - T_prev) if j else T.copy()
        np.maximum(Tn, 1.0, out=Tn)
        if dirichlet:
            Tn[0] = f_new
        for it in range(max_newton):
            F, k, dT = fluxes(Tn)
            if chi:
                dk = kc * chi * 3.0 * (0.5 * (Tn[:-1] + Tn[1:])) ** 2 / Tr ** 3
                corr = 0.5 * dk * dT / h
            else:
                corr = 0.0
            a = -k / h + corr          # dF/dT_upper
            b = k / h + corr           # dF/dT_lower
            src = 0.0 if dirichlet else f_new - es * Tn[0] ** 4 + sky4
            r = m * (enth(Tn) - e_old) / dt - th * gain(Tn, F, src) - (1.0 - th) * g_old
            diag = m * cap(Tn) / dt
            diag[:-1] -= th * a
            diag[1:] += th * b
            ab[0, 1:] = -th * b
            ab[1] = diag
            ab[2, :-1] = th * a
            if dirichlet:
                r[0] = 0.0
                ab[1, 0] = 1.0
                ab[0, 1] = 0.0
            else:
                ab[1, 0] += th * 4.0 * es * Tn[0] ** 3
            step = solve_banded((1, 1), ab, -r, overwrite_ab=False, overwrite_b=True, check_finite=False)
            Tn += step
            its += 1
            if not np.all(np.isfinite(Tn)):
                raise SimulationDiverged(f"regolith column: non-finite temperature at step {j} of {steps}")
            np.maximum(Tn, 1.0, out=Tn)
            if np.max(np.abs(step)) < tol_K:
                break
        else:
            raise SimulationDiverged(
                f"regolith column: Newton did not converge in {max_newton} iterations at step {j} of {steps}")
        F_new, _, _ = fluxes(Tn)
        src_new = 0.0 if dirichlet else f_new - es * Tn[0] ** 4 + sky4
        F_sum += th * F_new + (1.0 - th) * F_old
        src_sum += th * src_new + (1.0 - th) * src_old
        F_old, src_old = F_new, src_new
        T_prev, T = T, Tn
    return CycleResult(T=hist, T_end=T, mean_flux=F_sum / steps,
                       mean_surface_net=(src_sum / steps) if not dirichlet else float("nan"),
                       newton_iterations=its)


def mean_profile_correction(column: Column, T_hist: np.ndarray, mean_flux: np.ndarray, basal_flux: float,
                            relax: float = 1.0) -> np.ndarray:
    """Temperature shift delta(z), delta(0) = 0, that would make the cycle-mean flux equal ``basal_flux``.

    At a periodic state the cycle-mean conductive flux equals the basal flow at every depth; a
    deficit means the layers below were still absorbing heat. Below the diurnal skin layer the
    relaxation time (z^2/kappa: ~500 lunar days at 2 m) is far beyond any affordable spin-up, but
    there the mean profile obeys K dT/dz = flux quasi-statically, so correcting its gradient by
    (Qb - <F>)/<K> is a Newton-like step towards the periodic state.
    """
    Tm = 0.5 * (T_hist[:, :-1] + T_hist[:, 1:])
    k_mean = column.kc * (1.0 + column.chi * np.mean((Tm / column.T_rad) ** 3, axis=0))
    grad = relax * (basal_flux - mean_flux) / k_mean
    return np.concatenate([[0.0], np.cumsum(grad * column.h)])


# --------------------------------------------------------------------------------------------
# The diurnal solution
# --------------------------------------------------------------------------------------------
def _frozen(a) -> np.ndarray:
    a = np.array(a, float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class DiurnalSolution:
    """The periodic (spun-up) diurnal temperature field of one latitude.

    The solar declination is held fixed while spinning up, so deep temperatures are those of a
    perpetual season: at the poles, declination 0 approximates the annual mean, +/-1.54 deg the
    solstices' upper/lower bounds.
    """

    latitude_deg: float
    albedo: float                     # A0 used
    solar_declination_deg: float
    period_s: float
    time_s: np.ndarray                # [steps], from local midnight
    depth_m: np.ndarray               # [nz] node depths
    T: np.ndarray                     # [steps, nz] K
    mean_flux_W_m2: np.ndarray        # cycle-mean upward conductive flux at interval midpoints
    interface_depth_m: np.ndarray
    mean_surface_net_W_m2: float      # cycle-mean (absorbed - emitted); -Qb at a periodic state
    basal_flux_W_m2: float
    cycles: int                       # lunar days simulated during spin-up
    converged: bool
    last_cycle_change_K: float        # max |T(end) - T(start)| over the final cycle
    sun_elevation_max_deg: float
    params: HayneParams = field(repr=False)

    @property
    def local_time_h(self) -> np.ndarray:
        return 24.0 * self.time_s / self.period_s

    @property
    def steps(self) -> int:
        return self.time_s.size

    def surface_stats(self) -> dict:
        """Surface temperature over the day [K]: max, min, mean (time average) and at local midnight."""
        Ts = self.T[:, 0]
        return {"max": float(Ts.max()), "min": float(Ts.min()), "mean": float(Ts.mean()),
                "midnight": float(self.at_local_time(0.0)[0])}

    def profile(self, depths_m=None) -> list[dict]:
        """Per depth: diurnal mean, min and max temperature [K] (default depths: PROFILE_DEPTHS_M in the grid)."""
        depths = self._depths(depths_m)
        mean, tmin, tmax = (np.interp(depths, self.depth_m, x)
                            for x in (self.T.mean(axis=0), self.T.min(axis=0), self.T.max(axis=0)))
        return [{"depth_m": float(d), "mean_K": float(a), "min_K": float(b), "max_K": float(c)}
                for d, a, b, c in zip(depths, mean, tmin, tmax)]

    def at_local_time(self, hours: float) -> np.ndarray:
        """Temperature at every grid depth (``depth_m``) at local time ``hours`` (24-h clock, 12 = noon)."""
        if not np.isfinite(hours):
            raise UserError(f"local time must be a finite number of hours, got {hours!r}", key="site.local_time")
        x = (float(hours) % 24.0) / 24.0 * self.steps
        j = int(math.floor(x)) % self.steps
        w = x - math.floor(x)
        return (1.0 - w) * self.T[j] + w * self.T[(j + 1) % self.steps]

    def temperature(self, depth_m, local_time_h: float) -> np.ndarray:
        """T [K] at arbitrary depths (linear in depth; below the grid, the basal gradient continues)."""
        depth = np.asarray(depth_m, float)
        if np.any(depth < 0) or not np.all(np.isfinite(depth)):
            raise UserError("depths must be finite and >= 0 m", key="site.substrate_depth")
        Tz = self.at_local_time(local_time_h)
        out = np.interp(depth, self.depth_m, Tz)
        below = depth > self.depth_m[-1]
        if np.any(below):
            z1, z0 = self.depth_m[-1], self.depth_m[-2]
            grad = (Tz[-1] - Tz[-2]) / (z1 - z0)
            out = np.where(below, Tz[-1] + grad * (depth - z1), out)
        return out

    def _depths(self, depths_m) -> np.ndarray:
        if depths_m is None:
            return np.array([d for d in PROFILE_DEPTHS_M if d <= self.depth_m[-1] + 1e-12])
        return np.asarray(depths_m, float)


def solve_diurnal(latitude_deg: float, *, albedo: Optional[float] = None, params: Optional[HayneParams] = None,
                  solar_declination_deg: float = 0.0, sky_temperature_K: float = 3.0,
                  steps_per_day: int = 480, layers_per_skin_depth: float = 20.0, growth: float = 1.12,
                  bottom_depth_m: float = 2.5, tol_K: float = 0.1,
                  flux_tol_fraction: float = 0.02, max_cycles: int = 200) -> DiurnalSolution:
    """Periodic diurnal temperatures of the regolith column at ``latitude_deg`` (flat ground).

    ``albedo`` overrides the normal-incidence albedo A0 (default: the Hayne highlands value).
    ``solar_declination_deg`` is the sun's declination in the lunar sky, within +/- the 1.54 deg
    obliquity (0: equinox). Spin-up stops when, over one lunar day, the profile changes by less than
    ``tol_K`` everywhere and the cycle-mean conducted flux matches the basal flow to
    ``flux_tol_fraction`` at every depth; otherwise a RuntimeWarning says it did not converge.
    """
    p = params or load_hayne_params()
    _check_inputs(latitude_deg, albedo, solar_declination_deg, p)
    if albedo is not None:
        p = dataclasses.replace(p, A0=float(albedo))
    lat, dec = float(latitude_deg), float(solar_declination_deg)

    # First layer a fraction of the surface skin depth; cold (polar) regolith has a larger
    # diffusivity (c falls faster than K), so size it from the conditions it will actually see.
    skin = min(p.skin_depth(250.0), p.skin_depth(100.0))
    z = geometric_grid(skin / layers_per_skin_depth, growth, bottom_depth_m)
    col = Column.hayne(p, z)
    es = p.emissivity * p.sigma

    def forcing(steps):
        lt = 24.0 * np.arange(steps) / steps
        return absorbed_flux(p, lat, lt, dec)

    # Initial guess: radiative equilibrium of the day-mean absorbed flux (an upper bound of the
    # mean surface temperature) scaled towards the typical deep/equilibrium ratio, plus the
    # conductive geotherm. The accelerated spin-up removes the error; a good guess saves cycles.
    mean_abs = float(np.mean(forcing(720)))
    T_guess = 0.85 * ((mean_abs + p.Qb) / es) ** 0.25
    T = T_guess + p.Qb / p.Kd * z
    common = dict(period_s=p.period_s, emissivity=p.emissivity, sigma=p.sigma, sky_K=sky_temperature_K,
                  basal_flux=p.Qb, theta=1.0)
    flux_tol = flux_tol_fraction * p.Qb

    # Stage 1: coarse time steps with the deep-profile correction (cheap spin-up).
    coarse = max(48, steps_per_day // 5)
    f_coarse = forcing(coarse)
    cycles = 0
    for _ in range(max_cycles):
        res = run_cycle(col, T, steps=coarse, absorbed=f_coarse, **common)
        cycles += 1
        imbalance = np.max(np.abs(res.mean_flux - p.Qb))
        T = res.T_end + mean_profile_correction(col, res.T, res.mean_flux, p.Qb)
        if imbalance < 0.5 * flux_tol:
            break

    # Stage 2: the requested resolution until periodic (corrections continue while needed).
    f_fine = forcing(steps_per_day)
    converged = False
    change = float("inf")
    for _ in range(max_cycles):
        res = run_cycle(col, T, steps=steps_per_day, absorbed=f_fine, **common)
        cycles += 1
        change = float(np.max(np.abs(res.T_end - T)))
        imbalance = float(np.max(np.abs(res.mean_flux - p.Qb)))
        if change < tol_K and imbalance < flux_tol:
            converged = True
            break
        T = res.T_end
        if imbalance >= flux_tol:
            T = T + mean_profile_correction(col, res.T, res.mean_flux, p.Qb)
    if not converged:
        warnings.warn(f"diurnal model at latitude {lat} deg did not reach a periodic state in {cycles} lunar days "
                      f"(last change {change:.3g} K, flux imbalance {imbalance:.3g} W/m^2)", RuntimeWarning,
                      stacklevel=2)
    return DiurnalSolution(
        latitude_deg=lat, albedo=p.A0, solar_declination_deg=dec, period_s=p.period_s,
        time_s=_frozen(np.arange(steps_per_day) * p.period_s / steps_per_day), depth_m=_frozen(z),
        T=_frozen(res.T), mean_flux_W_m2=_frozen(res.mean_flux), interface_depth_m=_frozen(col.z_interface),
        mean_surface_net_W_m2=res.mean_surface_net, basal_flux_W_m2=p.Qb, cycles=cycles, converged=converged,
        last_cycle_change_K=change, sun_elevation_max_deg=sun_elevation_max_deg(lat, dec), params=p,
    )


def _check_inputs(latitude_deg, albedo, solar_declination_deg, p: HayneParams) -> None:
    if latitude_deg is None or not np.isfinite(latitude_deg) or not -90.0 <= latitude_deg <= 90.0:
        raise UserError(f"latitude = {latitude_deg!r} deg; allowed: -90 to 90 deg", key="site.latitude")
    if albedo is not None and not (np.isfinite(albedo) and 0.0 <= albedo < 1.0):
        raise UserError(f"albedo = {albedo!r}; allowed: 0 <= albedo < 1", key="site.albedo")
    if not (np.isfinite(solar_declination_deg) and abs(solar_declination_deg) <= p.obliquity_deg + 1e-9):
        raise UserError(f"solar declination = {solar_declination_deg!r} deg; allowed: within +/- the "
                        f"{p.obliquity_deg} deg lunar obliquity", key="site.solar_declination")


@functools.lru_cache(maxsize=64)
def cached_diurnal(latitude_deg: float, albedo: Optional[float] = None,
                   solar_declination_deg: float = 0.0) -> DiurnalSolution:
    """:func:`solve_diurnal` with default numerics, memoised per (latitude, albedo, declination).

    The arrays of the returned solution are read-only, so sharing it between callers is safe.
    """
    return solve_diurnal(latitude_deg, albedo=albedo, solar_declination_deg=solar_declination_deg)


def site_report(latitude_deg: float, local_time_h: Optional[float] = None, *, albedo: Optional[float] = None,
                solar_declination_deg: float = 0.0) -> dict:
    """JSON-ready summary of the diurnal model at a latitude.

    ``{"surface_temperature_K": {"max", "min", "mean", "midnight"}, "profile": [{"depth_m", "mean_K",
    "min_K", "max_K"}, ...]}`` plus, when ``local_time_h`` is given, ``"at_local_time": {"local_time_h",
    "profile": [{"depth_m", "T_K"}, ...]}``. Temperatures are rounded to 0.01 K.
    """
    sol = cached_diurnal(float(latitude_deg), None if albedo is None else float(albedo),
                         float(solar_declination_deg))
    r2 = lambda x: round(float(x), 2)  # noqa: E731
    report = {
        "surface_temperature_K": {k: r2(v) for k, v in sol.surface_stats().items()},
        "profile": [{"depth_m": row["depth_m"], "mean_K": r2(row["mean_K"]), "min_K": r2(row["min_K"]),
                     "max_K": r2(row["max_K"])} for row in sol.profile()],
    }
    if local_time_h is not None:
        depths = sol._depths(None)
        T = sol.temperature(depths, float(local_time_h))
        report["at_local_time"] = {"local_time_h": float(local_time_h),
                                   "profile": [{"depth_m": float(d), "T_K": r2(t)} for d, t in zip(depths, T)]}
    return report
