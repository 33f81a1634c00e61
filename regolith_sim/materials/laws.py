"""Temperature laws of regolith, each with the equation and the paper it comes from.

All functions take NumPy arrays (or floats) in SI units and are vectorised.
"""
from __future__ import annotations

import numpy as np

#: Temperature span [K] of every property table the kernels read (thermal, sintering, microwave): from deep-space
#: cold to well above any regolith liquidus. The config bounds temperatures a case may set by it.
TABLE_T_LOW, TABLE_T_HIGH = 3.0, 5000.0

# --- heat capacity -----------------------------------------------------------------------------

#: Hayne et al. (2017) Eq. A6 polynomial, J/(kg K), T in K, fit to Hemingway (1981) and Ledlow (1992).
HAYNE_CP = (-3.6125, 2.7431, 2.3616e-3, -1.2340e-5, 8.9093e-9)
#: Biele et al. (2022) Eq. 24 rational fit in x = ln T, stated valid to ~1000 K.
BIELE_P = (3.0, -54.45, 306.8, -376.6)
BIELE_Q = (-16.81, 87.32)


def cp_hayne(T):
    """Specific heat of lunar regolith, Hayne et al. 2017 (JGR Planets 122:2371) Eq. A6 [J/(kg K)]."""
    T = np.asarray(T, dtype=float)
    c0, c1, c2, c3, c4 = HAYNE_CP
    return c0 + T * (c1 + T * (c2 + T * (c3 + T * c4)))


def cp_biele(T):
    """Specific heat, Biele et al. 2022 (Int J Thermophys 43:144) Eq. 24:
    ln c = (p1 x^3 + p2 x^2 + p3 x + p4)/(x^2 + q1 x + q2), x = ln T [J/(kg K)]."""
    x = np.log(np.maximum(np.asarray(T, dtype=float), 1.0))
    p1, p2, p3, p4 = BIELE_P
    q1, q2 = BIELE_Q
    return np.exp((((p1 * x + p2) * x + p3) * x + p4) / ((x + q1) * x + q2))


def melt_fraction(T, solidus, liquidus):
    """Equilibrium melt fraction, linear between solidus and liquidus (lever-rule simplification)."""
    T = np.asarray(T, dtype=float)
    return np.clip((T - solidus) / (liquidus - solidus), 0.0, 1.0)


def cp_sensible(T, *, low_model: str, T_high: float, cp_liquid: float, solidus: float, liquidus: float,
                constant: float | None = None):
    """Sensible heat capacity from 3 K to above melting [J/(kg K)].

    Below ``T_high`` (1000 K) the low-temperature law (Biele 2022 or Hayne 2017). Between ``T_high``
    and the solidus the value at ``T_high`` is held: silicate heat capacity approaches its
    Dulong-Petit plateau near 1000 K (Biele 2022, Sec. 3). Across the melting range it rises
    linearly with melt fraction to the liquid value (Lange & Navrotsky 1992), which holds above.
    ``constant`` replaces all of this for textbook checks.
    """
    T = np.asarray(T, dtype=float)
    if constant is not None:
        return np.full_like(T, constant)
    law = cp_biele if low_model == "biele2022" else cp_hayne
    c_low = law(np.minimum(T, T_high))
    c_high = float(law(T_high))
    f = melt_fraction(T, solidus, liquidus)
    solid = np.where(T < T_high, c_low, c_high)
    return (1.0 - f) * solid + f * cp_liquid


# --- thermal conductivity ----------------------------------------------------------------------

def conductivity(T, rel_density, *, contact, chi, dense, melt, rel_density0, solidus, liquidus,
                 constant: float | None = None, gas: tuple[float, float] | None = None):
    """Effective conductivity of regolith from loose powder to dense rock and melt [W/(m K)].

    k = (1 - s) (Kc + Kg(T)) + s k_dense (1 - 3/2 phi) + Kc chi (T/350)^3 phi/phi0,   s = (rho - rho0)/(1 - rho0)

    - Loose powder (s = 0): Hayne et al. 2017 Eq. A4, K = Kc (1 + chi (T/350 K)^3): contact
      conduction through point contacts plus radiation across pores, which scales with porosity.
    - Under a gas, the gas-filled bed adds Kg(T) = k300 (T/300 K)^m, ``gas`` = (k300, m)
      (:func:`gas_bed_power_law`: Zehner & Schluender's bed in the gas's conductivity); None in vacuum.
    - Densified material: the solid matrix with spherical non-conducting pores by Landauer's (1952)
      effective-medium rule k_dense (1 - 3 phi/2) (J Appl Phys 23:779), reached as necks grow; the
      linear blend in the sintered fraction s is this code's interpolation between the two limits.
    - The dense phase itself goes from solid to melt conductivity with the melt fraction.
    """
    T = np.asarray(T, dtype=float)
    rho = np.clip(np.asarray(rel_density, dtype=float), 1e-3, 1.0)
    if constant is not None:
        return np.full(np.broadcast(T, rho).shape, constant)
    phi, phi0 = 1.0 - rho, max(1.0 - rel_density0, 1e-9)
    s = np.clip((rho - rel_density0) / max(1.0 - rel_density0, 1e-9), 0.0, 1.0)
    f = melt_fraction(T, solidus, liquidus)
    k_dense = (1.0 - f) * dense + f * melt
    matrix = k_dense * np.maximum(1.0 - 1.5 * phi, 0.0)
    radiative = contact * chi * (T / 350.0) ** 3 * np.minimum(phi / phi0, 1.0)
    powder = contact + (0.0 if gas is None else gas[0] * (np.maximum(T, 1.0) / 300.0) ** gas[1])
    return (1.0 - s) * powder + s * matrix + radiative


#: Shape factor C of Zehner & Schluender's deformation parameter B = C ((1 - psi)/psi)^(10/9): 1.25 for
#: spheres, 1.4 for crushed (broken) particles, 2.5 for cylinders (Zehner & Schluender 1970, Chem. Ing. Tech.
#: 42:933; the values the VDI Heat Atlas, ch. D6.3, tabulates). Regolith grains are angular fragments.
ZS_SHAPE_CRUSHED = 1.4


def zehner_schlunder(porosity, k_fluid, k_solid, shape: float = ZS_SHAPE_CRUSHED):
    """Conductivity [W/(m K)] of a bed of grains (``k_solid``) in a stagnant fluid (``k_fluid``) at ``porosity``
    psi: Zehner & Schluender (1970), without contact flattening or radiation,

    k/k_f = 1 - sqrt(1 - psi) + 2 sqrt(1 - psi)/(1 - l B) [(1 - l) B/(1 - l B)^2 ln(1/(l B)) - (B + 1)/2
            - (B - 1)/(1 - l B)],   l = k_f/k_s,  B = C ((1 - psi)/psi)^(10/9).

    Kandula (2011, J. Porous Media 14:919) checked it against packed beds with k_s/k_f from 8 to 1,200.
    Equal conductivities give k_f (the bracket then is (1 - B)/2); the limit 1 - l B -> 0 is removable."""
    psi = np.asarray(porosity, float)
    kf, ks = np.asarray(k_fluid, float), np.asarray(k_solid, float)
    lam = kf / ks
    B = shape * ((1.0 - psi) / psi) ** (10.0 / 9.0)
    d = 1.0 - lam * B
    d = np.where(np.abs(d) < 1e-9, 1e-9, d)
    bracket = (1.0 - lam) * B / d**2 * np.log(1.0 / (lam * B)) - 0.5 * (B + 1.0) - (B - 1.0) / d
    root = np.sqrt(1.0 - psi)
    return kf * (1.0 - root + 2.0 * root / d * bracket)


#: Temperatures [K] over which :func:`gas_bed_power_law` fits the bed: room temperature to the melting range
#: (above it the bed has densified and the gas term is blended out).
GAS_FIT_T = (300.0, 2000.0)


def gas_bed_power_law(porosity: float, k_solid: float, gas: tuple[float, float, float]) -> tuple[float, float]:
    """(k300 [W/(m K)], m): the power law k300 (T/300 K)^m fitted (least squares in log k, 300-2,000 K) to the
    conductivity of the gas-filled bed, :func:`zehner_schlunder` with the gas's conductivity k_g(T) =
    k_ref (T/T_ref)^n, ``gas`` = (k_ref, T_ref, n). The kernels evaluate one power per cell, not the model.
    The Knudsen number of the pores (mean free path over pore size) is at most ~0.02 at 1 atm for the
    database's grains (pores of ~10 um, air's mean free path 0.07 um at 300 K, ~0.35 um at 1,500 K), so the gas
    is taken as a continuum: the bed's gas term is then overestimated by at most a few per cent."""
    k_ref, T_ref, n = gas
    T = np.geomspace(*GAS_FIT_T, 64)
    k = zehner_schlunder(porosity, k_ref * (T / T_ref) ** n, k_solid)
    m, ln_k300 = np.polyfit(np.log(T / 300.0), np.log(k), 1)
    return float(np.exp(ln_k300)), float(m)


# --- melt viscosity: Giordano, Russell & Dingwell (2008) --------------------------------------

MOLAR_MASS = {  # g/mol
    "SiO2": 60.0843, "TiO2": 79.8658, "Al2O3": 101.9613, "FeO": 71.8444, "Fe2O3": 159.6882,
    "MnO": 70.9374, "MgO": 40.3044, "CaO": 56.0774, "Na2O": 61.9789, "K2O": 94.1960,
    "P2O5": 141.9445, "H2O": 18.0153, "F2O_1": 37.9968, "Cr2O3": 151.9904,
}
GRD_A = -4.55


def oxide_mole_percent(wt_pct: dict[str, float]) -> dict[str, float]:
    """Convert oxide wt % to mol %, with all iron as FeO (FeOt = FeO + 0.8998 Fe2O3 by weight)."""
    w = {k: float(v) for k, v in wt_pct.items() if k in MOLAR_MASS}
    feot = w.pop("FeO", 0.0) + w.pop("Fe2O3", 0.0) * 2 * MOLAR_MASS["FeO"] / MOLAR_MASS["Fe2O3"]
    if feot:
        w["FeO"] = feot
    moles = {k: v / MOLAR_MASS[k] for k, v in w.items()}
    total = sum(moles.values())
    return {k: 100.0 * n / total for k, n in moles.items()}


def giordano2008_VFT(wt_pct: dict[str, float]) -> tuple[float, float, float]:
    """VFT parameters (A, B, C) of log10 eta = A + B/(T - C) for a melt of oxide wt % composition.

    Giordano D., Russell J.K., Dingwell D.B. (2008) Earth Planet Sci Lett 271:123, Table 1 model
    with A = -4.55 and water/fluorine V = 0 (anhydrous lunar material).
    """
    m = oxide_mole_percent(wt_pct)
    g = lambda k: m.get(k, 0.0)  # noqa: E731
    V = g("H2O") + g("F2O_1")
    ST = g("SiO2") + g("TiO2")
    FM = g("FeO") + g("MnO") + g("MgO")
    NK = g("Na2O") + g("K2O")
    B = (159.56 * ST - 173.34 * g("Al2O3") + 72.13 * (g("FeO") + g("MnO") + g("P2O5")) + 75.69 * g("MgO")
         - 38.98 * g("CaO") - 84.08 * (g("Na2O") + V) + 141.54 * (V + np.log1p(V)) - 2.43 * ST * FM
         - 0.91 * (ST + g("Al2O3") + g("P2O5")) * (NK + V) + 17.62 * g("Al2O3") * NK)
    C = (2.75 * g("SiO2") + 15.72 * (g("TiO2") + g("Al2O3")) + 8.32 * FM + 10.20 * g("CaO") - 12.29 * NK
         - 99.54 * np.log1p(V) + 0.30 * (g("Al2O3") + FM + g("CaO") - g("P2O5")) * (NK + V))
    return GRD_A, float(B), float(C)


def vft_viscosity(T, A, B, C):
    """eta = 10^(A + B/(T - C)) [Pa s]; below C the melt is taken as rigid (1e30 Pa s)."""
    T = np.asarray(T, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_eta = np.where(T > C + 1.0, A + B / np.maximum(T - C, 1.0), 30.0)
    return 10.0 ** np.minimum(log_eta, 30.0)


def glass_transition(A, B, C, log_eta_g: float = 12.0) -> float:
    """Temperature where the VFT viscosity reaches 10^12 Pa s [K] (Giordano 2008's Tg convention)."""
    return C + B / (log_eta_g - A)


# --- strength ------------------------------------------------------------------------------

def compressive_strength(porosity, sigma0, b):
    """Exponential porosity law sigma = sigma0 exp(-b P) [Pa] (Ryshkewitch 1953, J Am Ceram Soc 36:65)."""
    return sigma0 * np.exp(-b * np.asarray(porosity, dtype=float))


def porous_modulus_factor(porosity, vesicles, b, critical_porosity):
    """E/E0 [-] of a body with pores between grains ``porosity`` and closed vesicles ``vesicles``:
    (1 - P/P_c)^(b P_c) exp(-b phi_v). Between grains the critical-porosity form of Phani & Niyogi (1987,
    J. Mater. Sci. 22:257, written for Young's modulus), vanishing at the green porosity P_c where the grains
    only touch, with the exponent b P_c that gives it Spriggs's (1961) low-porosity slope b; isolated
    vesicles keep Spriggs's exp(-b phi) (closed pores in a continuous matrix)."""
    grains = percolation_strength(porosity, 1.0, critical_porosity, b * critical_porosity)
    return grains * compressive_strength(vesicles, 1.0, b)


def percolation_strength(porosity, sigma0, critical_porosity, exponent):
    """Critical-porosity law sigma = sigma0 (1 - P/P_c)^n [Pa], 0 from P_c on: the form of Phani & Niyogi
    (1987, J. Mater. Sci. 22:257) for porous solids whose load-bearing skeleton vanishes at P_c, read as
    percolation by Kovacik (1999, J. Mater. Sci. Lett. 18:1007); for a sintered powder P_c is the green
    porosity, where the grains only touch (Rice 1998, Porosity of Ceramics; Ternero et al. 2021, Metals
    11:730, fit strengths of sintered materials with it)."""
    x = 1.0 - np.asarray(porosity, dtype=float) / critical_porosity
    return sigma0 * np.maximum(x, 0.0) ** exponent
