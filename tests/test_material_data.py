"""The packaged material data files: they load, every number cites a listed source, the numbers are ordered
sensibly, and the derived numbers (melt viscosity, master sintering curve) reproduce their cited inputs.

Independent of ``laws.py`` where it matters: the Giordano et al. (2008) viscosity and the master-sintering-curve
Theta are written out here by hand, so a slip in the library or in a data file shows up as a mismatch.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from regolith_sim.config.loader import read_toml
from regolith_sim.materials import get_material, load_file
from regolith_sim.materials.database import BUILTIN_DIR

R_GAS = 8.314462618  # J/(mol K)
FILES = sorted(BUILTIN_DIR.glob("*.toml"))
MATERIALS = {p.stem: load_file(p) for p in FILES}
WITH_MELT = [s for s, m in MATERIALS.items() if m.composition_wt_pct]
SIMULANTS = [s for s, m in MATERIALS.items() if m.kind == "simulant"]
EXPECTED = {"jsc-1a", "lhs-1", "lms-1", "cas-1", "cug-1a", "nao-1", "bh-1", "polyu-1", "change-5",
            "hayne-standard", "textbook-constant"}


@pytest.fixture(autouse=True)
def _no_user_materials(tmp_path, monkeypatch):
    """Look only at the packaged files, whatever the user's material folder holds."""
    monkeypatch.setenv("REGOLITH_SIM_MATERIALS", str(tmp_path / "none"))


# --- loading and citations ------------------------------------------------------------------------

def test_all_expected_materials_are_packaged():
    assert EXPECTED <= set(MATERIALS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_file_loads_validates_and_is_found_by_name(path):
    m = load_file(path)  # material_from_dict validates: required keys, bounds, sources, solidus < liquidus
    assert m.name and m.kind in {"simulant", "regolith", "model"} and m.description
    assert get_material(m.name).path == path.resolve()
    for alias in m.aliases:
        assert get_material(alias).path == path.resolve(), alias


def _numbers(table, prefix=""):
    """Every { value, source } inline table of a parsed data file, with its dotted key."""
    for key, val in table.items():
        if isinstance(val, dict) and "value" in val:
            yield prefix + key, val
        elif isinstance(val, dict) and key not in ("sources", "composition_wt_pct"):
            yield from _numbers(val, prefix + key + ".")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_number_cites_a_source_listed_in_the_file(path):
    data = read_toml(path, "material file")
    sources = data["sources"]
    assert all(isinstance(v, str) and len(v) > 40 for v in sources.values()), "a [sources] entry is not a citation"
    numbers = dict(_numbers(data))
    assert numbers
    for key, entry in numbers.items():
        assert entry.get("source") in sources, f"{path.name}: {key} cites {entry.get('source')!r}"
        assert isinstance(entry["value"], (int, float)), key
    comp = data.get("composition_wt_pct", {})
    if comp:
        assert comp["source"] in sources
        assert 95.0 <= sum(v for k, v in comp.items() if k != "source") <= 101.0, "oxides should sum to ~100 wt%"
    # every key that is not a plain number is one of the few documented strings
    for section, table in data.items():
        if isinstance(table, dict) and section not in ("sources", "composition_wt_pct"):
            for key, val in table.items():
                if not isinstance(val, dict):
                    assert (section, key) in {("heat_capacity", "low_T_model")}, (section, key)


def test_densities_are_ordered():
    for stem, m in MATERIALS.items():
        if stem == "textbook-constant":
            assert m.bulk_density == m.particle_density  # a fully dense body by construction
        else:
            assert 0.3 < m.bulk_density / m.particle_density < 0.75, stem  # loose powder: porosity 25-70 %


def test_simulants_carry_the_process_properties():
    keys = ["melt.surface_tension_N_m", "melt.glass_fraction",
            "sintering.msc_activation_energy_J_mol", "sintering.msc_ln_theta_mid", "sintering.msc_ln_theta_width",
            "optical.emissivity_melt", "porosity.vesicle_fraction", "porosity.vesicle_fraction_vacuum",
            "evaporation.alkali_vapour_pressure_ln_A", "evaporation.refractory_vapour_pressure_ln_A"]
    for stem in set(SIMULANTS) - {"lhs-1"}:  # lhs-1.toml predates the [sintering] section
        m = MATERIALS[stem]
        missing = [k for k in keys if not m.has(k)]
        assert not missing, (stem, missing)


def test_every_route_has_its_own_strength_law_or_says_why_not():
    from regolith_sim.outcomes import ROUTES, matrix_strength

    for stem in SIMULANTS:
        m = MATERIALS[stem]
        for route in ROUTES:
            law = matrix_strength(m, route)
            if isinstance(law, str):
                assert m.name in law and len(law) > 60, (stem, route, law)   # a reason, not a bare "missing"
            else:  # a law cites specimens of this very material
                assert m.name.replace("-", "").lower() in law.source.replace("-", "").lower() or law.shared_from, \
                    (stem, route, law.source)


# --- melt viscosity: Giordano, Russell & Dingwell (2008), by hand -----------------------------------

# GRD 2008 Table 1 (A = -4.55; coefficients as in the authors' calculator, e.g. 159.56 for the printed 159.6).
# The b6 term multiplies Na2O + V only (K2O enters through b12 and b13 and the C terms): this is how the model is
# printed and how independent implementations code it (J.K. Russell's Matlab code as translated in
# kellertobs/SilicateMeltProps Giordano08.jl; MagmaPandas giordano2008). V = H2O + F2O-1 = 0 for lunar material.
GRD_A = -4.55
GRD_B = {"b1": 159.56, "b2": -173.34, "b3": 72.13, "b4": 75.69, "b5": -38.98, "b6": -84.08, "b7": 141.54,
         "b11": -2.43, "b12": -0.91, "b13": 17.62}
GRD_C = {"c1": 2.75, "c2": 15.72, "c3": 8.32, "c4": 10.20, "c5": -12.29, "c6": -99.54, "c11": 0.30}
MOLAR_MASS = {"SiO2": 60.0843, "TiO2": 79.8658, "Al2O3": 101.9613, "FeO": 71.8444, "Fe2O3": 159.6882,
              "MnO": 70.9374, "MgO": 40.3044, "CaO": 56.0774, "Na2O": 61.9789, "K2O": 94.1960, "P2O5": 141.9445}

# JSC-1A bulk chemistry, Schrader et al. 2010 (NASA/TM-2010-216446), wt%
JSC1A_WT = {"SiO2": 47.71, "TiO2": 1.59, "Al2O3": 15.02, "FeO": 7.35, "Fe2O3": 3.44, "MnO": 0.18, "MgO": 9.01,
            "CaO": 10.42, "Na2O": 2.70, "K2O": 0.82, "P2O5": 0.66}


def grd_by_hand(wt):
    """(A, B, C) of log10 eta = A + B/(T - C), all iron as FeO(T), oxides in mol %."""
    w = dict(wt)
    w["FeO"] = w.get("FeO", 0.0) + w.pop("Fe2O3", 0.0) * 2 * MOLAR_MASS["FeO"] / MOLAR_MASS["Fe2O3"]
    moles = {k: v / MOLAR_MASS[k] for k, v in w.items()}
    total = sum(moles.values())
    x = {k: 100.0 * moles.get(k, 0.0) / total for k in MOLAR_MASS}
    V = 0.0
    st, fm, nk = x["SiO2"] + x["TiO2"], x["FeO"] + x["MnO"] + x["MgO"], x["Na2O"] + x["K2O"]
    B = (GRD_B["b1"] * st + GRD_B["b2"] * x["Al2O3"] + GRD_B["b3"] * (x["FeO"] + x["MnO"] + x["P2O5"])
         + GRD_B["b4"] * x["MgO"] + GRD_B["b5"] * x["CaO"] + GRD_B["b6"] * (x["Na2O"] + V)
         + GRD_B["b7"] * (V + math.log(1 + V)) + GRD_B["b11"] * st * fm
         + GRD_B["b12"] * (st + x["Al2O3"] + x["P2O5"]) * (nk + V) + GRD_B["b13"] * x["Al2O3"] * nk)
    C = (GRD_C["c1"] * x["SiO2"] + GRD_C["c2"] * (x["TiO2"] + x["Al2O3"]) + GRD_C["c3"] * fm + GRD_C["c4"] * x["CaO"]
         + GRD_C["c5"] * nk + GRD_C["c6"] * math.log(1 + V)
         + GRD_C["c11"] * (x["Al2O3"] + fm + x["CaO"] - x["P2O5"]) * (nk + V))
    return GRD_A, B, C


def test_jsc1a_melt_viscosity_by_hand_at_1400C():
    m = MATERIALS["jsc-1a"]
    assert m.composition_wt_pct == pytest.approx(JSC1A_WT)
    A, B, C = grd_by_hand(JSC1A_WT)
    T = 1400.0 + 273.15
    log_eta = A + B / (T - C)
    # Hand value: B = 5104.4, C = 625.4 K, log10(eta / Pa s) = 0.322 at 1673.15 K (a fluid basaltic melt)
    assert (B, C, log_eta) == pytest.approx((5104.4, 625.4, 0.322), abs=0.05)
    assert math.log10(float(m.viscosity(T))) == pytest.approx(log_eta, rel=1e-6)


@pytest.mark.parametrize("stem", WITH_MELT)
def test_glass_transition_in_physical_band(stem):
    # GRD 2008 define Tg as the temperature of eta = 1e12 Pa s; anhydrous natural melts from basalt to rhyolite
    # fall roughly in 900-1100 K (GRD 2008, Tg discussion; figure number not checked here). 850-1100 K catches a
    # unit or oxide slip in a composition table without judging the model.
    assert 850.0 < MATERIALS[stem].glass_transition_K < 1100.0


# --- master sintering curve (Su & Johnson 1996) ------------------------------------------------------

def theta_isothermal(T, t, Q):
    """Theta = int (1/T) exp(-Q/(R T)) dt for a hold of t seconds at T kelvin [s/K] (heating ramp neglected)."""
    return t / T * math.exp(-Q / (R_GAS * T))


def msc_density(m, T, t):
    Q = m.get("sintering.msc_activation_energy_J_mol")
    mid, width = m.get("sintering.msc_ln_theta_mid"), m.get("sintering.msc_ln_theta_width")
    rho0 = m.powder_relative_density
    return rho0 + (1 - rho0) / (1 + math.exp(-(math.log(theta_isothermal(T, t, Q)) - mid) / width))


def test_msc_reproduces_the_cited_cug1a_furnace_point():
    # Chen et al. 2024 (Crystals 14:110), abstract: CUG-1A doped with 6 wt% TiO2 and sintered at 1100 degC reaches
    # 91.06 % relative density, 12.28 % above the undoped material -> undoped 91.06/1.1228 = 81.1 %. Hold time not
    # in the abstract; the fit assumes 2 h. Tolerance 0.005 in relative density (the fit passes through the point).
    m = MATERIALS["cug-1a"]
    assert 91.06 / 1.1228 == pytest.approx(81.10, abs=0.005)
    assert msc_density(m, 1373.15, 7200.0) == pytest.approx(0.8110, abs=0.005)


@pytest.mark.parametrize("stem", [s for s in MATERIALS if MATERIALS[s].has("sintering.msc_ln_theta_mid")])
def test_msc_matches_the_furnace_sintering_window(stem):
    # Furnace sintering of simulants needs ~1100 degC for ~2 h (Allen et al. 1994) and works best at 1100-1200 degC
    # (Warren et al. 2022): little densification after 2 h at 1000 degC, most of it after 2 h at 1150 degC.
    m = MATERIALS[stem]
    rho0 = m.powder_relative_density
    progress = lambda T: (msc_density(m, T, 7200.0) - rho0) / (1 - rho0)  # noqa: E731
    assert progress(1273.15) < 0.10
    assert progress(1423.15) > 0.80
    assert progress(1273.15) < progress(1373.15) < progress(1423.15)


@pytest.mark.parametrize("stem", [s for s in WITH_MELT if MATERIALS[s].has("sintering.msc_activation_energy_J_mol")])
def test_msc_activation_energy_is_the_melt_viscosity_slope(stem):
    # Q = d ln(eta)/d(1/T) R = ln(10) R B T^2/(T - C)^2 of the GRD 2008 melt at 1373 K, rounded to 1 kJ/mol in the files
    m = MATERIALS[stem]
    _, B, C = grd_by_hand(m.composition_wt_pct)
    T = 1373.15
    Q = math.log(10) * R_GAS * B * T**2 / (T - C) ** 2
    assert m.get("sintering.msc_activation_energy_J_mol") == pytest.approx(Q, abs=600.0)


# --- the two model materials ------------------------------------------------------------------------

def test_hayne_standard_is_the_published_model():
    # Hayne et al. 2017, Table A1: rho_s = 1100 kg/m3, Ks = 7.4e-4 W/(m K), chi = 2.7, emissivity 0.95, A0 = 0.12
    m = get_material("Hayne-standard")
    assert m.bulk_density == 1100.0 and m.emissivity == 0.95 and m.low_T_cp_model == "hayne2017"
    assert m.absorptivity("solar") == pytest.approx(1 - 0.12)
    Kc, chi = m.get("conductivity.contact_W_mK"), m.get("conductivity.radiative_chi")
    assert (Kc, chi) == (7.4e-4, 2.7)
    T = np.array([100.0, 250.0, 350.0])
    assert m.conductivity(T, m.powder_relative_density) == pytest.approx(Kc * (1 + chi * (T / 350.0) ** 3), rel=1e-12)
    assert m.get("hayne_profile.rho_deep_kg_m3") == 1800.0 and m.get("hayne_profile.contact_deep_W_mK") == 3.4e-3


def test_change5_soil_densities_are_the_published_ones():
    # Li C. et al. 2022 (Natl Sci Rev 9:nwab188), abstract: bulk 1.2387, true density 3.1952 g/cm3
    m = get_material("ce5")
    assert (m.bulk_density, m.particle_density) == (1238.7, 3195.2)


def test_textbook_constant_material_is_constant():
    m = get_material("textbook-constant")
    T = np.array([3.0, 300.0, 1500.0, 3900.0])
    assert np.all(m.cp(T) == 1000.0)
    assert np.all(m.conductivity(T, 1.0) == 1.0) and np.all(m.conductivity(T, 0.5) == 1.0)
    assert m.particle_density == m.bulk_density == 2000.0
    assert float(m.melt_fraction(3900.0)) == 0.0
    # diffusivity k/(rho c) = 5e-7 m^2/s; enthalpy is exactly c (T - 3 K) with no latent heat below the solidus
    assert m.enthalpy(1003.0) == pytest.approx(1000.0 * 1000.0, rel=1e-9)
