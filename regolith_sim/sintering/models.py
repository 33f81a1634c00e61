"""Closed-form sintering laws in NumPy: the reference the kernels are tested against.

Two densification models are offered:

* the master sintering curve (Su & Johnson 1996, J. Am. Ceram. Soc. 79:3211), an empirical
  one-parameter-family fit: density is one function of the work of sintering
  Theta = int (1/T) exp(-Q/(R T)) dt, here a sigmoid in ln Theta;
* viscous sintering of glass-bearing grains: Frenkel (1945, J. Phys. USSR 9:385) neck growth,
  then Mackenzie & Shuttleworth (1949, Proc. Phys. Soc. B 62:833) closure of isolated pores. Both
  depend on time only through the reduced time tau = int gamma/(eta_eff a) dt, so density is a single
  function rho_visc(tau) tabulated once per material. The effective viscosity (:func:`effective_viscosity`)
  combines two mechanisms whose rates add (as the mechanisms of a sintering diagram do, Ashby 1974,
  Acta Metall. 22:275): below the solidus only the sub-solidus branch, the master curve above read as an
  equivalent viscosity (:func:`sub_solidus_viscosity`); from the solidus on also liquid-phase sintering, the
  Giordano et al. (2008) melt viscosity of the bulk composition times the relative viscosity of a
  crystal-bearing melt of Costa, Caricchi & Bagdassarov (2009) at the crystal fraction
  phi_s (1 - melt fraction(T)) (:func:`liquid_phase_viscosity`), phi_s at least 1 - glass fraction and no less
  than keeps the rate continuous at the solidus (:func:`solidus_crystal_fraction`).

SI units throughout; temperatures in K unless a name ends in ``_C``.

The tables the kernels read (:mod:`.tables`) are built with NumPy and the standard library only, so
the kernels and their benchmarks run without SciPy; SciPy is imported inside the reference functions
that need it (:func:`msc_theta_ramp`, :func:`msc_density`).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import MaterialError

#: Molar gas constant [J/(mol K)] (CODATA 2018, exact).
R_GAS = 8.314462618
#: Frenkel's law holds while the neck radius is below ~0.3 grain radii (regolith-data.md Sec. 6).
NECK_RATIO_SWITCH = 0.3
#: Reduced time at the Frenkel -> Mackenzie-Shuttleworth switch: (x/a)^2 = 3 tau/2 = 0.09.
TAU_SWITCH = 2.0 * NECK_RATIO_SWITCH**2 / 3.0
#: Upper bound on the relative viscosity (the Costa 2009 law saturates near 1e7-1e10 below it).
ETA_REL_CAP = 1e12
#: Strain rate at which the crystal-bearing melt is taken to deform while it sinters [1/s] (used where the
#: material gives no ``melt.sintering_strain_rate_1_s``). A physical estimate, not a fit: a furnace hold
#: densifies powder by ~0.3 in relative density over ~2 h (Allen et al. 1994; Warren et al. 2022), a
#: volumetric strain rate of ~0.3/7200 s = 4e-5 1/s; 1e-4 1/s is the round order of magnitude.
SINTERING_STRAIN_RATE = 1e-4


_ERF = np.frompyfunc(math.erf, 1, 1)


def _erf(z):
    """The error function elementwise (the C library's erf; NumPy has none)."""
    return np.asarray(_ERF(np.asarray(z, float)), dtype=float)


def _cumulative_simpson(f, h: float):
    """Running integral of samples f on a uniform grid of step h, starting at 0 (composite Simpson 1/3:
    each interval is integrated under the parabola through it and a neighbouring interval,
    h/12 (5 f0 + 8 f1 - f2) forwards for even intervals and the mirror image for odd ones and the
    last, so each pair of intervals sums to Simpson's h/3 (f0 + 4 f1 + f2)). Needs 3 samples or more."""
    f = np.asarray(f, float)
    forward = h / 12.0 * (5.0 * f[:-2] + 8.0 * f[1:-1] - f[2:])   # interval i from samples i, i+1, i+2
    backward = h / 12.0 * (-f[:-2] + 8.0 * f[1:-1] + 5.0 * f[2:])  # interval i+1 from the same samples
    parts = np.empty(f.size - 1)
    parts[0:-1:2] = forward[0::2]
    parts[1::2] = backward[0::2]
    parts[-1] = backward[-1]
    return np.concatenate(([0.0], np.cumsum(parts)))


# --- viscous sintering ------------------------------------------------------------------------

def frenkel_neck_ratio(gamma, eta, a, t):
    """Neck radius over grain radius for two equal viscous spheres, Frenkel (1945):
    (x/a)^2 = 3 gamma t / (2 eta a)  [-]  (valid for x/a < ~0.3)."""
    return np.sqrt(1.5 * np.asarray(gamma, float) * np.asarray(t, float) / (np.asarray(eta, float) * a))


def frenkel_density(tau, rho0):
    """Relative density in the Frenkel stage as a function of reduced time tau = gamma t/(eta a).

    Centre approach of two spheres gives the linear shrinkage dL/L = (x/a)^2/4 = 3 tau/8
    (Frenkel 1945), so with isotropic shrinkage rho = rho0 / (1 - 3 tau/8)^3."""
    return rho0 / (1.0 - 0.375 * np.asarray(tau, float)) ** 3


def pore_number_density(d):
    """Pores per unit volume of solid with one pore per grain of diameter d: n = 6/(pi d^3) [1/m^3]."""
    return 6.0 / (np.pi * d**3)


def mackenzie_shuttleworth_rate(rho, gamma, eta, d):
    """Densification rate of Mackenzie & Shuttleworth (1949), eq. for isolated equal pores:

        d rho/dt = (3/2) (4 pi/3)^(1/3) gamma n^(1/3) / eta (1 - rho)^(2/3) rho^(1/3)   [1/s]

    with n = 6/(pi d^3). Since (4 pi/3)^(1/3) (6/pi)^(1/3) = 2, this is
    (3/2) gamma/(eta a) (1-rho)^(2/3) rho^(1/3) with a = d/2, i.e. d rho/d tau = 1.5 (...)."""
    rho = np.asarray(rho, float)
    n = pore_number_density(d)
    return 1.5 * (4.0 * np.pi / 3.0) ** (1.0 / 3.0) * gamma * n ** (1.0 / 3.0) / eta \
        * (1.0 - rho) ** (2.0 / 3.0) * rho ** (1.0 / 3.0)


def mackenzie_shuttleworth_reduced_rate(rho):
    """d rho / d tau = 1.5 (1 - rho)^(2/3) rho^(1/3) (tau = gamma t/(eta a), a = grain radius)."""
    rho = np.clip(np.asarray(rho, float), 0.0, 1.0)
    return 1.5 * (1.0 - rho) ** (2.0 / 3.0) * rho ** (1.0 / 3.0)


def viscous_density_table(rho0: float, n: int = 4096):
    """Mackenzie-Shuttleworth density on a uniform tau grid from TAU_SWITCH (the Frenkel stage
    below it is closed form, :func:`frenkel_density`) to a little past full density.

    The MS stage is integrated exactly by quadrature rather than by stepping: with u = (1-rho)^(1/3),
    d tau = d rho / (1.5 (1-rho)^(2/3) rho^(1/3)) becomes d tau = -2 du / (1 - u^3)^(1/3), which is
    smooth up to full density (u = 0), reached at a finite tau_full. Returns
    (tau0 = TAU_SWITCH, d_tau, rho array, tau_full); beyond the grid the density is 1 (clamped)."""
    if not 0.0 < rho0 < 1.0:
        raise MaterialError(f"powder relative density {rho0} must lie in (0, 1)", key="material")
    rho_s = float(frenkel_density(TAU_SWITCH, rho0))
    if rho_s >= 1.0:  # pragma: no cover - needs rho0 > 0.93
        raise MaterialError(f"powder relative density {rho0} too high for the Frenkel stage", key="material")
    u_s = (1.0 - rho_s) ** (1.0 / 3.0)
    u = np.linspace(u_s, 0.0, 20001)
    g = 2.0 / (1.0 - u**3) ** (1.0 / 3.0)
    tau_ms = TAU_SWITCH + _cumulative_simpson(g, float(u[0] - u[1]))
    tau_full = float(tau_ms[-1])
    tau = np.linspace(TAU_SWITCH, tau_full * 1.02, n)  # a margin of flat rho = 1 keeps the clamp exact
    rho = np.interp(tau, tau_ms, 1.0 - u**3, right=1.0)
    return TAU_SWITCH, float(tau[1] - tau[0]), np.minimum(rho, 1.0), tau_full


def viscous_density(tau, rho0: float, table=None):
    """rho_visc(tau): Frenkel closed form below TAU_SWITCH, the MS table above (as the kernel does)."""
    tau0, dtau, rho_tab, _ = table if table is not None else viscous_density_table(rho0)
    tau = np.asarray(tau, float)
    grid = tau0 + dtau * np.arange(rho_tab.size)
    return np.where(tau < tau0, frenkel_density(np.minimum(tau, tau0), rho0), np.interp(tau, grid, rho_tab))


def costa2009_parameters(strain_rate: float) -> tuple[float, float, float, float]:
    """(phi_star, delta, alpha, gamma) of the Costa et al. (2009) relative viscosity at a strain rate
    [1/s], from their fit to the strain-rate-dependent experiments of Caricchi et al. (2007, EPSL
    264:402) on crystal-bearing haplogranitic melts: with x = log10(strain rate),
    phi* = 0.066499 tanh(0.913424 x + 3.850623) + 0.591806,
    delta = -6.301095 tanh(0.818496 x + 2.86) + 7.462405,
    alpha = -0.000378 tanh(1.148101 x + 3.92) + 0.999572,
    gamma = 3.987815 tanh(0.8908 x + 3.24) + 5.099645."""
    x = np.log10(strain_rate)
    return (0.066499 * np.tanh(0.913424 * x + 3.850623) + 0.591806,
            -6.301095 * np.tanh(0.818496 * x + 2.86) + 7.462405,
            -0.000378 * np.tanh(1.148101 * x + 3.92) + 0.999572,
            3.987815 * np.tanh(0.8908 * x + 3.24) + 5.099645)


def costa2009_relative_viscosity(phi, strain_rate: float = SINTERING_STRAIN_RATE):
    """Relative viscosity of a melt carrying a crystal volume fraction phi, Costa, Caricchi &
    Bagdassarov (2009, Geochem. Geophys. Geosyst. 10:Q03010, eq. 3):

        eta_r = [1 + (phi/phi*)^delta] / [1 - alpha erf(sqrt(pi)/(2 alpha) (phi/phi*) (1 + (phi/phi*)^gamma))]^(B phi*)

    with the Einstein coefficient B = 2.5. It reduces to Einstein's 1 + 2.5 phi for dilute
    suspensions, rises steeply near the maximum packing phi*, and saturates at a finite value
    ~ (1 - alpha)^(-B phi*) when the crystals form a framework (partly molten rock), unlike the
    divergent Krieger & Dougherty (1959) / Einstein-Roscoe laws. Parameters at ``strain_rate`` from
    :func:`costa2009_parameters`."""
    phi_star, delta, alpha, gamma = costa2009_parameters(strain_rate)
    x = np.asarray(phi, float) / phi_star
    eta_r = (1.0 + x**delta) / (1.0 - alpha * _erf(np.sqrt(np.pi) / (2.0 * alpha) * x * (1.0 + x**gamma))) \
        ** (2.5 * phi_star)
    return np.minimum(eta_r, ETA_REL_CAP)


def crystal_fraction(material, T):
    """Crystal volume fraction the liquid-phase branch sees at T: phi_c = phi_s (1 - f_melt(T)), phi_s the
    fraction at the solidus (:func:`solidus_crystal_fraction`: 1 - glass_fraction unless the furnace-calibrated
    rate says the glass carries more)."""
    return solidus_crystal_fraction(material) * (1.0 - material.melt_fraction(T))


def solidus_crystal_fraction(material) -> float:
    """Crystal fraction [-] the liquid-phase branch starts from at the solidus, where nothing has melted yet:
    the larger of 1 - glass_fraction and :func:`skeleton_crystal_fraction`.

    Nothing changes in the powder at the solidus itself (the melt fraction starts from 0), so neither may its
    sintering rate: the liquid-phase branch may not sinter faster there than the sub-solidus branch, the rate a
    furnace hold measured for that very state (:func:`sub_solidus_viscosity`). Where the suspension law with all
    the glass as the liquid would (JSC-1A, g = 0.45, whose crystals lie below the Costa maximum packing), the
    glass does not flow as a free melt at that state (glass held inside lithic fragments and agglutinates adds to
    the skeleton), and the branch starts from the crystal fraction at which the two agree; the crystals then
    melt away from there. Either way the rate is continuous across the solidus (up to the factor 2 of adding the
    two branches' rates) and rises as melting dissolves the skeleton, the rheological transition of partly
    molten rock (Arzi 1978, Tectonophysics 44:173). A reading that would serve as well: the glass devitrifies as
    it is heated (glass-ceramic sintering with concurrent crystallisation, Prado, Zanotto & Mueller 2001), which
    would make the skeleton grow with the time at temperature; calibrated on an hours-long furnace hold, the
    skeleton may overstate the crystal load of a laser or solar exposure of seconds (slower sintering just above
    the solidus than such an exposure shows)."""
    return max(1.0 - material.get("melt.glass_fraction"), skeleton_crystal_fraction(material))


def skeleton_crystal_fraction(material) -> float:
    """Crystal fraction [-] at which the liquid-phase branch at the solidus, eta_melt(T_s) eta_r(phi), sinters
    as fast as the sub-solidus branch, eta_ss(T_s), both for the powder the data file describes (its own
    packing: the state of the calibration; the sub-solidus viscosity is the calibration's whatever a case sets):
    the root of the Costa (2009) relative viscosity, which rises with phi (bisection); 1 where even its plateau
    lies below (no material in the database comes within a factor 5 of it: tests/test_sintering.py)."""
    Ts, rate = material.solidus_K, sintering_strain_rate(material)
    rho0 = material.file_value("density.bulk_kg_m3") / material.file_value("density.particle_kg_m3")
    need = float(sub_solidus_viscosity(material, Ts, rho0)) / float(material.viscosity(Ts))
    lo, hi = 0.0, 1.0
    if float(costa2009_relative_viscosity(hi, rate)) < need:
        return hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if float(costa2009_relative_viscosity(mid, rate)) < need else (lo, mid)
    return hi


def sintering_strain_rate(material) -> float:
    """Strain rate [1/s] at which the Costa (2009) law is evaluated: the material's
    ``melt.sintering_strain_rate_1_s`` or :data:`SINTERING_STRAIN_RATE`."""
    key = "melt.sintering_strain_rate_1_s"
    return float(material.get(key)) if material.has(key) else SINTERING_STRAIN_RATE


def liquid_phase_viscosity(material, T):
    """Viscosity of the liquid phase that sinters partly molten regolith [Pa s].

    Rule: eta_lp(T) = eta_melt(T) x eta_r(phi_c(T)). eta_melt is the crystal-free melt viscosity of the
    bulk composition, Giordano et al. (2008, EPSL 271:123), for the liquid the new melt and the glass free to
    flow make from the solidus on. eta_r is the relative viscosity of a
    crystal-bearing melt of Costa, Caricchi & Bagdassarov (2009, G-cubed 10:Q03010)
    (:func:`costa2009_relative_viscosity`) at the crystal fraction
    phi_c = phi_s (1 - melt_fraction(T)) (:func:`crystal_fraction`; phi_s = 1 - glass_fraction unless the
    sub-solidus rate at the solidus bounds it: :func:`solidus_crystal_fraction`) and the material's sintering
    strain rate. The database's simulants hold 8-45 % glass and start from phi_s = 0.68-0.92: above the
    maximum packing (phi* ~0.6), where eta_r is 1e5-1e7; melting lowers phi_c and eta_lp sharply."""
    return material.viscosity(T) * costa2009_relative_viscosity(crystal_fraction(material, T),
                                                                sintering_strain_rate(material))


def reduced_time_of_density(rho, rho0: float, table=None) -> float:
    """The reduced time tau at which viscous sintering from rho0 reaches rho (the inverse of
    :func:`viscous_density`: Frenkel's closed form below the switch, the Mackenzie-Shuttleworth table above)."""
    tau0, dtau, rho_tab, _ = table if table is not None else viscous_density_table(rho0)
    rho_switch = float(frenkel_density(tau0, rho0))
    if rho <= rho_switch:
        return float(8.0 / 3.0 * (1.0 - (rho0 / rho) ** (1.0 / 3.0)))
    grid = tau0 + dtau * np.arange(rho_tab.size)
    first_dense = int(np.argmax(rho_tab >= 1.0)) if (rho_tab >= 1.0).any() else rho_tab.size - 1
    return float(np.interp(rho, rho_tab[:first_dense + 1], grid[:first_dense + 1]))


def ln_sub_solidus_viscosity(material, T, rho0: float | None = None):
    """ln of the sub-solidus branch's equivalent viscosity [ln Pa s] (:func:`sub_solidus_viscosity`)."""
    Q, mid, _ = msc_parameters(material, "the sub-solidus branch of viscous sintering")
    rho0 = material.powder_relative_density if rho0 is None else float(rho0)
    tau_mid = reduced_time_of_density(0.5 * (1.0 + rho0), rho0)
    # the viscosity is the calibration's: with the data file's gamma / a (a case that overrides the grain size or
    # the surface tension then sinters as viscous flow of that viscosity does, in a time proportional to a / gamma)
    gamma, a = material.file_value("melt.surface_tension_N_m"), 0.5 * material.file_value("grain_size.d50_m")
    T = np.maximum(np.asarray(T, float), 1.0)  # a law of absolute temperature: no log(0)
    return np.log(gamma / a) - np.log(tau_mid) + mid + np.log(T) + Q / (R_GAS * T)


def sub_solidus_viscosity(material, T, rho0: float | None = None):
    """Equivalent viscosity of sintering below the solidus [Pa s]: the master sintering curve read in
    reduced time, a calibrated branch (one furnace point), not a mechanism: its activation energy is that of
    the glass's viscosity, and it scales with the grain size as viscous flow does.

    Below the solidus the crystalline grains of regolith, 55-92 % of the solid, touch and form a rigid
    skeleton through which the glass has to flow (rigid inclusions retard the densification of a viscous
    matrix, and stop it once they form a network: Scherer 1987, J. Am. Ceram. Soc. 70:719, a glass matrix
    with a minority of inclusions, qualitative support here). The suspension law
    (:func:`liquid_phase_viscosity`) treats the glass as a melt carrying the crystals instead: for JSC-1A it
    sinters the powder fully at 900 degC, where brick sintering needs ~1100 degC for ~2 h (Allen, Graf &
    McKay 1994). The master curve (Su & Johnson 1996) is fitted to a furnace hold: the density of a history is
    rho_msc(Theta), Theta = int (1/T) exp(-Q/(R T)) dt. With gamma/(eta_ss a) = C (1/T) exp(-Q/(R T)) the
    reduced time is tau = C Theta; C = tau_mid / exp(ln Theta_mid) puts the viscous curve's midpoint,
    rho_visc(tau_mid) = (1 + rho0)/2, on the master curve's. The curves then agree to 0.03-0.07 in relative
    density for powders at 0.66-0.36 (the width was fitted to the Mackenzie-Shuttleworth shape), the most near
    full density, which that shape reaches at a finite reduced time and the sigmoid only asymptotically."""
    return np.exp(np.minimum(ln_sub_solidus_viscosity(material, T, rho0), 700.0))


def effective_viscosity(material, T, rho0: float | None = None):
    """Effective viscosity of sintering regolith [Pa s] for a powder of relative density ``rho0`` (None: the
    material's): the sub-solidus branch below the solidus, and from the solidus on the faster of it and the
    liquid-phase branch, eta_eff = min(eta_ss, eta_lp) (:func:`sub_solidus_viscosity`,
    :func:`liquid_phase_viscosity`): both describe the flow of the same glass, the calibrated one the state the
    furnace measured, the suspension law how melting changes it, so their rates are not added (that counted the
    glass's flow twice, a factor 2 in rate). The rate is continuous at the solidus, where nothing has melted yet:
    the liquid-phase branch starts from the crystal fraction at which it sinters as the sub-solidus branch does
    there where the glass alone would sinter faster (:func:`solidus_crystal_fraction`; before, the first melt was
    taken to connect all the glass into a free liquid, and JSC-1A's rate jumped ~3,600-fold across the solidus).
    It then rises as melting dissolves the crystal skeleton: for JSC-1A a densification time a eta / gamma of
    ~40 s 20 K above the solidus, ~0.5 s 50 K above it."""
    T = np.asarray(T, float)
    ss = sub_solidus_viscosity(material, T, rho0)
    return np.where(T >= material.solidus_K, np.minimum(ss, liquid_phase_viscosity(material, T)), ss)


#: Change of the glass fraction the viscous law's sensitivity is reported for [-]: simulant glass fractions are
#: quoted as ranges about this wide (JSC-1A's 40-50 %, in its data file's note).
GLASS_FRACTION_STEP = 0.05
#: Densification time [s] of the consolidation onset (:func:`consolidation_onset`): the order of the time a pass
#: of a spot keeps a point near its peak temperature.
ONSET_TIME_S = 1.0
#: A shift of the onset by more than this per glass-fraction step [K] is flagged in a run's summary.
ONSET_SHIFT_FLAG_K = 25.0


def consolidation_onset(material, seconds: float = ONSET_TIME_S, rho0: float | None = None) -> float:
    """Temperature [K] at which the viscous law densifies the material's powder (its grain size, ``rho0`` or its
    packing) within ``seconds``: where the densification time a eta_eff(T) / gamma falls to it (log-linear
    between 1 K steps; eta_eff falls with T). What a pass must reach for material to consolidate: for a 1 s
    pass 45-100 K above the solidus for the database's simulants. inf if not even the liquidus does."""
    T = np.arange(material.solidus_K - 200.0, material.liquidus_K + 1.0, 1.0)
    a, gamma = 0.5 * material.get("grain_size.d50_m"), material.get("melt.surface_tension_N_m")
    ln_t = np.log(a * effective_viscosity(material, T, rho0) / gamma)
    ln_s = np.log(seconds)
    fast = np.flatnonzero(ln_t <= ln_s)
    if fast.size == 0:
        return float("inf")
    i = int(fast[0])
    if i == 0:
        return float(T[0])
    return float(T[i - 1] + (ln_t[i - 1] - ln_s) / (ln_t[i - 1] - ln_t[i]))


def glass_fraction_onset_shift(material, step: float = GLASS_FRACTION_STEP) -> float | None:
    """How far [K] the consolidation onset (:func:`consolidation_onset`) moves when the glass fraction moves by
    ``step`` either way, the larger of the two (None without a glass fraction). More glass lowers the crystal
    fraction the liquid-phase branch starts from and the onset with it (10-16 K for most simulants); where the
    glass exceeds what the crystal skeleton leaves room for (:func:`solidus_crystal_fraction`: JSC-1A,
    Hayne-standard), it changes nothing and the onset hinges on the sub-solidus calibration instead. (Below the
    solidus the glass fraction does not enter: :func:`sub_solidus_viscosity`.)"""
    if not material.has("melt.glass_fraction"):
        return None
    g, onset = material.get("melt.glass_fraction"), consolidation_onset(material)
    shifts = [abs(consolidation_onset(material.with_overrides({"melt.glass_fraction": min(max(x, 0.0), 1.0)}))
                  - onset) for x in (g - step, g + step)]
    return float(max(shifts))


def viscous_density_isothermal(material, T, t, rho0=None, table=None):
    """rho_visc after holding at constant T for t [s]: tau = gamma t/(eta_eff(T) a)."""
    rho0 = material.powder_relative_density if rho0 is None else rho0
    a = 0.5 * material.get("grain_size.d50_m")
    tau = material.get("melt.surface_tension_N_m") * np.asarray(t, float) / (effective_viscosity(material, T, rho0) * a)
    return viscous_density(tau, rho0, table)


# --- master sintering curve -------------------------------------------------------------------

def msc_theta_isothermal(T, t, Q):
    """Work of sintering of an isothermal hold, Su & Johnson (1996) eq. (8) with T constant:
    Theta = (t/T) exp(-Q/(R T)) [s/K]."""
    T = np.asarray(T, float)
    return np.asarray(t, float) / T * np.exp(-Q / (R_GAS * T))


def msc_theta_ramp(T0, T1, rate, Q):
    """Theta of a constant-rate ramp T = T0 + rate t from T0 to T1 [s/K], in closed form:
    with u = Q/(R T), int (1/T) exp(-Q/(RT)) dT / rate = [E1(Q/(R T1)) - E1(Q/(R T0))] / rate
    (E1 the exponential integral, scipy.special.exp1)."""
    from scipy.special import exp1

    u0, u1 = Q / (R_GAS * np.asarray(T0, float)), Q / (R_GAS * np.asarray(T1, float))
    return (exp1(u1) - exp1(u0)) / rate


def msc_density(theta, rho0, ln_theta_mid, ln_theta_width):
    """Relative density on the master curve, the sigmoid of Su & Johnson (1996):
    rho = rho0 + (1 - rho0) / (1 + exp(-(ln Theta - mid)/width))."""
    from scipy.special import expit

    theta = np.asarray(theta, float)
    with np.errstate(divide="ignore"):
        x = (np.log(np.maximum(theta, 1e-300)) - ln_theta_mid) / ln_theta_width
    return rho0 + (1.0 - rho0) * expit(x)


def msc_parameters(material, needed_by: str = "model='master-curve'") -> tuple[float, float, float]:
    """(Q [J/mol], ln Theta mid, width) from the material's [sintering] section."""
    keys = ("sintering.msc_activation_energy_J_mol", "sintering.msc_ln_theta_mid", "sintering.msc_ln_theta_width")
    missing = [k for k in keys if not material.has(k)]
    if missing:
        raise MaterialError(f"material '{material.name}' has no master sintering curve (missing "
                            f"{', '.join(missing)}), which {needed_by} needs: add a [sintering] section",
                            key="material")
    return tuple(material.get(k) for k in keys)  # type: ignore[return-value]


def furnace_window(material, temperatures_C, hold_s: float = 7200.0, rho0: float | None = None) -> list[dict]:
    """Relative density after an isothermal furnace hold at each temperature (heating and cooling
    neglected): the master-curve prediction (Su & Johnson 1996) and, where the material has a melt
    composition, the viscous-sintering prediction (Frenkel / Mackenzie-Shuttleworth with eta_eff).

    For comparison with furnace practice: LMS-1 and MGS-1 sinter best at 1100-1200 degC (Warren et al.
    2022, arXiv:2205.06855) and radiant-sintered bricks need 1100 degC for ~2 h (Allen, Graf & McKay
    1994). One row per temperature, keys with units."""
    rho0 = material.powder_relative_density if rho0 is None else rho0
    Q, mid, width = msc_parameters(material)
    has_visc = bool(material.composition_wt_pct) and material.has("melt.surface_tension_N_m") \
        and material.has("melt.glass_fraction")
    table = viscous_density_table(rho0) if has_visc else None
    rows = []
    for T_C in np.atleast_1d(np.asarray(temperatures_C, float)):
        T = T_C + 273.15
        theta = float(msc_theta_isothermal(T, hold_s, Q))
        row = {"T_C": float(T_C), "T_K": float(T), "hold_s": float(hold_s), "ln_theta_s_per_K": float(np.log(theta)),
               "rel_density_master_curve": float(msc_density(theta, rho0, mid, width))}
        if T >= material.liquidus_K:
            row["rel_density_master_curve"] = 1.0
        if has_visc:
            row["rel_density_viscous"] = float(viscous_density_isothermal(material, T, hold_s, rho0, table))
            row["eta_eff_Pa_s"] = float(effective_viscosity(material, T, rho0))
        rows.append(row)
    return rows
