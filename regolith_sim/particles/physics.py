"""Contact, heat and sintering parameters of regolith grains, and the closed-form laws they use.

Plain Python/numpy (no Taichi, no SciPy): the benchmark and the GPU machine import this module.
SI units throughout. Each dataclass maps one-to-one onto the parameter vectors of
:mod:`gpu_kernels.particles` / :mod:`gpu_kernels.particles_thermal`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

#: Lunar surface gravity [m/s^2].
G_MOON = 1.62
#: Default separation of perfectly clean surfaces [m] (Perko et al. 2001, the O2- ion radius); the
#: case-file drivers take it, the Hamaker constant and the cleanliness from the material's
#: [cohesion] data (regolith_sim/materials/data/*.toml).
OMEGA_CLEAN = 1.32e-10


# ---------------------------------------------------------------------------------------------
# Contact mechanics
# ---------------------------------------------------------------------------------------------
@dataclass
class ContactModel:
    """Grain material and contact-law parameters.

    Attributes
    ----------
    density : grain (particle) density [kg/m^3].
    youngs_modulus : E [Pa]. DEM runs often use a softened E to afford a longer time step
        (the Rayleigh step scales with sqrt(rho/E)); keep the overlaps below ~1 % of d.
    poisson_ratio : nu [-].
    restitution : normal coefficient of restitution e in (0, 1]; the Tsuji damping is
        calibrated to return it exactly for a binary Hertz collision (:func:`hertz_damping_factor`).
    friction, friction_wall : Coulomb sliding friction grain-grain / grain-wall [-].
    rolling_friction, rolling_friction_wall : mu_r of the Ai et al. (2011) model C [-]; angular
        lunar grains are commonly represented by mu_r ~ 0.1-0.4 on spheres.
    rolling_damping : eta_r, viscous damping ratio of the rolling spring (Ai et al. use 0.3).
    hamaker : Hamaker constant A [J] (0 switches cohesion off).
    cleanliness : Perko et al. (2001) surface cleanliness S in (0, 1]: the gap at contact is
        D0 = omega / S (S ~ 0.1 for air-exposed simulants, approaching 1 on the lunar surface).
    omega : separation of clean surfaces [m].
    cohesion_cutoff : gap beyond which the van der Waals pull is neglected [m].
    cohesion_walls : whether walls attract grains as well.
    """

    density: float = 3100.0
    youngs_modulus: float = 7.0e10
    poisson_ratio: float = 0.25
    restitution: float = 0.5
    friction: float = 0.5
    friction_wall: float = 0.5
    rolling_friction: float = 0.0
    rolling_friction_wall: float | None = None
    rolling_damping: float = 0.3
    hamaker: float = 0.0
    cleanliness: float = 0.75
    omega: float = OMEGA_CLEAN
    cohesion_cutoff: float | None = None
    cohesion_walls: bool = True

    def __post_init__(self):
        if not 0.0 < self.restitution <= 1.0:
            raise ValueError(f"restitution = {self.restitution}: must lie in (0, 1]")
        if not 0.0 < self.cleanliness <= 1.0:
            raise ValueError(f"cleanliness = {self.cleanliness}: must lie in (0, 1]")
        for name in ("density", "youngs_modulus"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} = {getattr(self, name)}: must be positive")

    @property
    def shear_modulus(self) -> float:
        return self.youngs_modulus / (2.0 * (1.0 + self.poisson_ratio))

    @property
    def e_star(self) -> float:
        """Effective modulus of two grains of this material [Pa]: 1/E* = 2 (1 - nu^2) / E."""
        return self.youngs_modulus / (2.0 * (1.0 - self.poisson_ratio**2))

    @property
    def g_star(self) -> float:
        """Effective shear modulus [Pa]: 1/G* = 2 (2 - nu) / G (Mindlin)."""
        return self.shear_modulus / (2.0 * (2.0 - self.poisson_ratio))

    @property
    def separation(self) -> float:
        """Gap D0 of touching grains in the van der Waals law [m] (Perko et al. 2001)."""
        return self.omega / self.cleanliness

    def pull_off_force(self, r1: float, r2: float | None = None) -> float:
        """Van der Waals pull between two touching spheres [N]: A R* / (6 D0^2).

        For equal spheres of radius R this is A R / (12 D0^2) (Hamaker 1937); ``r2=None``
        gives the sphere-plane value A R / (6 D0^2).
        """
        rs = r1 if r2 is None else r1 * r2 / (r1 + r2)
        return self.hamaker * rs / (6.0 * self.separation**2)

    def hamaker_for_bond_number(self, bond: float, radius: float, gravity: float) -> float:
        """Hamaker constant [J] giving a granular Bond number F_pull / (m g) = ``bond`` for two
        equal grains of ``radius``: the similarity rule used when grains are scaled up."""
        m = self.density * 4.0 / 3.0 * math.pi * radius**3
        return bond * m * abs(gravity) * 6.0 * self.separation**2 / (0.5 * radius)


def rayleigh_time(radius: float, density: float, youngs_modulus: float, poisson_ratio: float) -> float:
    """Rayleigh-wave transit time across a grain [s]:
    t_R = pi R sqrt(rho/G) / (0.1631 nu + 0.8766) (Li, Xu & Thornton 2005, Powder Technol.
    160:219; the usual DEM step is 10-30 % of it for the smallest grain)."""
    g = youngs_modulus / (2.0 * (1.0 + poisson_ratio))
    return math.pi * radius * math.sqrt(density / g) / (0.1631 * poisson_ratio + 0.8766)


def hertz_damping_factor_linear(e: float) -> float:
    """g_n from the linear-spring relation used in LIGGGHTS/EDEM:
    g_n = 2 sqrt(5/6) (-ln e) / sqrt(ln^2 e + pi^2) (Tsuji, Tanaka & Ishida 1992 damping form).
    Only approximate for a Hertz spring; :func:`hertz_damping_factor` is exact."""
    if e >= 1.0:
        return 0.0
    le = math.log(e)
    return 2.0 * math.sqrt(5.0 / 6.0) * (-le) / math.sqrt(le * le + math.pi**2)


@lru_cache(maxsize=1)
def _restitution_table() -> tuple[np.ndarray, np.ndarray]:
    """e(alpha) for s'' = -s^1.5 - alpha s^0.25 s', s(0) = 0, s'(0) = 1, force clamped at 0.

    This is the Tsuji et al. (1992) Hertz contact with damping c = alpha sqrt(m k) delta^(1/4)
    made dimensionless (delta scaled by (m v0^2/k)^(2/5)): e depends on alpha only, not on the
    impact speed. Integrated with RK4 for all alpha at once (numpy only).
    """
    alpha = np.concatenate([np.linspace(0.0, 1.0, 201)[:-1], np.geomspace(1.0, 60.0, 200)])
    s = np.zeros_like(alpha)
    u = np.ones_like(alpha)
    e = np.full_like(alpha, np.nan)
    live = np.ones(alpha.shape, bool)
    h = 4e-4

    def acc(s_, u_):
        sp = np.maximum(s_, 0.0)
        return -(sp**1.5 + alpha * sp**0.25 * u_)

    t = 0.0
    while live.any() and t < 50.0:
        k1s, k1u = u, acc(s, u)
        k2s, k2u = u + 0.5 * h * k1u, acc(s + 0.5 * h * k1s, u + 0.5 * h * k1u)
        k3s, k3u = u + 0.5 * h * k2u, acc(s + 0.5 * h * k2s, u + 0.5 * h * k2u)
        k4s, k4u = u + h * k3u, acc(s + h * k3s, u + h * k3u)
        s = np.where(live, s + h / 6 * (k1s + 2 * k2s + 2 * k3s + k4s), s)
        u = np.where(live, u + h / 6 * (k1u + 2 * k2u + 2 * k3u + k4u), u)
        t += h
        sp = np.maximum(s, 0.0)
        force = sp**1.5 + alpha * sp**0.25 * u
        # the grain leaves once the (non-adhesive) force vanishes on the way out
        done = live & (u < 0) & ((s <= 0) | (force <= 0))
        e[done] = -u[done]
        live &= ~done
    return alpha, e


def hertz_damping_factor(e: float) -> float:
    """g_n in F_d = g_n sqrt(S_n m*) v_n (S_n = 2 E* sqrt(R* delta)) that gives restitution e.

    With k = 4/3 E* sqrt(R*), F_d = g_n sqrt(1.5) sqrt(m* k) delta^(1/4) v_n, i.e. Tsuji et al.'s
    (1992, Powder Technol. 71:239) alpha = sqrt(1.5) g_n; alpha(e) is inverted from the
    dimensionless collision integral (:func:`_restitution_table`), accurate to ~1e-3 in e.
    """
    if e >= 1.0:
        return 0.0
    alpha, et = _restitution_table()
    ok = np.isfinite(et)
    a, ev = alpha[ok], et[ok]
    if e < ev.min():
        raise ValueError(f"restitution {e} below the tabulated range (min {ev.min():.3f})")
    order = np.argsort(ev)
    return float(np.interp(e, ev[order], a[order])) / math.sqrt(1.5)


# ---------------------------------------------------------------------------------------------
# Heat
# ---------------------------------------------------------------------------------------------
@dataclass
class ThermalModel:
    """Grain heat-transfer parameters (see :mod:`gpu_kernels.particles_thermal`).

    conductivity : solid conductivity k_s [W/(m K)] (contact conductance 2 k_s a).
    heat_capacity : c_p [J/(kg K)].
    emissivity : grain surface emissivity [-].
    absorptivity : absorptivity for the heat source radiation [-].
    t_env : radiative sink temperature for exposed grains [K] (deep space ~ 3 K).
    rad_gap : neighbour radiation acts across surface gaps below rad_gap * r_min.
    rad_factor : multiplier of the neighbour radiation (0: off).
    true_youngs_modulus : E of the real grains [Pa]; when the DEM used a softened E the contact
        radius is scaled by (E_sim / E_true)^(1/3). None: no correction.
    surface : whether exposed grains absorb the source and radiate to ``t_env``.
    """

    conductivity: float = 2.0
    heat_capacity: float = 800.0
    emissivity: float = 0.86
    absorptivity: float = 0.85
    t_env: float = 3.0
    rad_gap: float = 0.5
    rad_factor: float = 1.0
    true_youngs_modulus: float | None = None
    surface: bool = True


# ---------------------------------------------------------------------------------------------
# Sintering
# ---------------------------------------------------------------------------------------------
Viscosity = float | Callable[[np.ndarray], np.ndarray] | tuple[Sequence[float], Sequence[float]]


def arrhenius_viscosity(eta_ref: float, t_ref: float, activation_energy: float) -> Callable[[np.ndarray], np.ndarray]:
    """eta(T) = eta_ref exp(Ea/R (1/T - 1/T_ref)) [Pa s]; Ea [J/mol], T [K]."""
    r_gas = 8.314462618

    def eta(t):
        t = np.asarray(t, float)
        return eta_ref * np.exp(activation_energy / r_gas * (1.0 / t - 1.0 / t_ref))

    return eta


def viscosity_table(viscosity: Viscosity, t_min: float, t_max: float, n: int = 512) -> tuple[float, float, np.ndarray]:
    """Tabulate eta(T) as (T0 [K], dT [K], log10 eta [log10 Pa s]) for the kernels.

    ``viscosity``: a constant [Pa s], a callable eta(T) (e.g. the Giordano et al. 2008 melt
    model supplied by the material layer), or a pair (T [K], eta [Pa s]) interpolated in log eta.
    """
    if t_max <= t_min:
        t_max = t_min + 1.0
    temps = np.linspace(t_min, t_max, n)
    if callable(viscosity):
        eta = np.asarray(viscosity(temps), float) * np.ones_like(temps)
    elif isinstance(viscosity, tuple):
        tt, ee = (np.asarray(a, float) for a in viscosity)
        eta = 10.0 ** np.interp(temps, tt, np.log10(ee))
    else:
        eta = np.full_like(temps, float(viscosity))
    if np.any(~np.isfinite(eta)) or np.any(eta <= 0):
        raise ValueError("the viscosity must be finite and positive over the temperature range")
    return float(temps[0]), float(temps[1] - temps[0]), np.log10(eta)


@dataclass
class SinterModel:
    """Viscous sintering of grain contacts (Frenkel 1945 neck growth, see :mod:`gpu_kernels.particles`).

    surface_tension : gamma of the melt/glass [N/m] (basaltic melts ~0.35 N/m).
    viscosity : constant [Pa s], callable eta(T) or (T, eta) table.
    eta_bond : a contact becomes a viscous neck once eta < eta_bond [Pa s]
        (~1e12 Pa s, the glass transition).
    neck_max : neck growth stops at x = neck_max * a, the end of Frenkel's early stage.
    bond_gap : grains whose surfaces are closer than bond_gap * R* count as touching and bond
        (real contacts touch at asperities; an elastic packing relieved of its load opens its
        contacts by round-off amounts).
    t_min, t_max : temperature range of the viscosity table [K].
    """

    surface_tension: float = 0.36
    viscosity: Viscosity = 1.0e8
    eta_bond: float = 1.0e12
    neck_max: float = 0.8
    bond_gap: float = 0.01
    t_min: float = 200.0
    t_max: float = 2200.0
    table: tuple[float, float, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self):
        self.table = viscosity_table(self.viscosity, self.t_min, self.t_max)

    def eta(self, t: float) -> float:
        t0, dt, tab = self.table
        s = np.clip((t - t0) / dt, 0.0, len(tab) - 1 - 1e-9)
        k = int(s)
        return float(10.0 ** (tab[k] * (1 - (s - k)) + tab[k + 1] * (s - k)))

    def frenkel_rate(self, t: float) -> float:
        """Approach speed of a free pair [m/s]: 3 gamma / (4 eta) (Frenkel 1945 shrinkage
        dL/L0 = 3 gamma t / (8 eta a) with L0 = 2a)."""
        return 0.75 * self.surface_tension / self.eta(t)


def frenkel_neck_radius(t, grain_radius: float, surface_tension: float, viscosity: float, x0: float = 0.0):
    """Frenkel (1945) neck radius [m]: x^2 = x0^2 + 3 gamma a t / (2 eta) (isothermal)."""
    t = np.asarray(t, float)
    return np.sqrt(x0**2 + 1.5 * surface_tension * grain_radius * t / viscosity)
