"""Material laws against their cited formulas, and the database's behaviour for users."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from regolith_sim.errors import MaterialError
from regolith_sim.materials import get_material, list_materials
from regolith_sim.materials import laws


def hayne_by_hand(T):
    # Hayne et al. 2017 Eq. A6, coefficients copied from the paper's appendix
    return -3.6125 + 2.7431 * T + 2.3616e-3 * T**2 - 1.2340e-5 * T**3 + 8.9093e-9 * T**4


@pytest.mark.parametrize("T, expected", [(100.0, 282.9), (250.0, 671.8), (350.0, 850.4)])
def test_hayne_heat_capacity(T, expected):
    # Expected values evaluated from Eq. A6 to 0.1 J/(kg K); regolith cp ~ 600-840 J/(kg K) at 250-350 K
    assert laws.cp_hayne(T) == pytest.approx(hayne_by_hand(T), rel=1e-12)
    assert laws.cp_hayne(T) == pytest.approx(expected, abs=0.1)


def test_biele_matches_hayne_where_both_hold():
    # Biele et al. 2022 Eq. 24 and Hayne 2017 fit the same lunar data between 100 and 350 K: within 6 %
    T = np.linspace(100, 350, 26)
    assert np.max(np.abs(laws.cp_biele(T) / laws.cp_hayne(T) - 1)) < 0.06


def test_heat_capacity_is_positive_and_continuous_over_the_whole_range():
    m = get_material("LHS-1")
    T = np.linspace(3, 4000, 40000)
    c = m.cp(T)
    assert np.all(c > 0)
    assert np.max(np.abs(np.diff(c))) < 5.0  # J/(kg K) per 0.1 K: no jumps at 1000 K, solidus or liquidus


def test_enthalpy_includes_latent_heat_and_inverts():
    m = get_material("LHS-1")
    Ts, Tl, L = m.solidus_K, m.liquidus_K, m.latent_heat
    sensible = np.trapezoid(m.cp(np.linspace(Ts, Tl, 20001)), np.linspace(Ts, Tl, 20001))
    assert m.enthalpy(Tl) - m.enthalpy(Ts) == pytest.approx(sensible + L, rel=2e-4)
    T = np.array([20.0, 300.0, 1200.0, 1600.0, 2500.0])
    assert m.temperature_from_enthalpy(m.enthalpy(T)) == pytest.approx(T, rel=1e-6)


def test_powder_conductivity_is_hayne_law_and_dense_limit_is_solid():
    m = get_material("LHS-1")
    Kc, chi = m.get("conductivity.contact_W_mK"), m.get("conductivity.radiative_chi")
    T = np.array([100.0, 350.0, 1000.0])
    rho0 = m.powder_relative_density
    # Hayne 2017 Eq. A4 for loose powder
    assert m.conductivity(T, rho0) == pytest.approx(Kc * (1 + chi * (T / 350) ** 3), rel=1e-12)
    assert m.conductivity(300.0, 1.0) == pytest.approx(m.get("conductivity.dense_W_mK"), rel=1e-12)
    assert m.conductivity(m.liquidus_K + 10, 1.0) == pytest.approx(m.get("conductivity.melt_W_mK"), rel=1e-12)
    # Landauer (1952) effective medium at 10 % porosity: k_dense (1 - 0.15)
    s = (0.9 - rho0) / (1 - rho0)
    expected = (1 - s) * Kc + s * 0.85 * m.get("conductivity.dense_W_mK") + Kc * chi * (300 / 350) ** 3 * 0.1 / (1 - rho0)
    assert m.conductivity(300.0, 0.9) == pytest.approx(expected, rel=1e-12)


def test_a_gas_in_the_pores_conducts_as_zehner_schlunder_within_the_hashin_shtrikman_bounds():
    """Zehner & Schluender (1970): equal conductivities give the fluid's; for porosities 0.3-0.6 and solid-to-gas
    ratios 5-1,000 (a gas-filled bed of regolith: 10-100) the bed lies inside the Hashin-Shtrikman (1962) bounds of
    an isotropic two-phase medium, rises with the solid's conductivity and falls with porosity."""
    assert laws.zehner_schlunder(0.44, 0.03, 0.03) == pytest.approx(0.03, rel=1e-9)
    kf = 1.0
    for psi in (0.3, 0.45, 0.6):
        ks = np.geomspace(5.0, 1000.0, 12)
        k = laws.zehner_schlunder(psi, kf, ks)
        lower = kf + (1 - psi) / (1 / (ks - kf) + psi / (3 * kf))
        upper = ks + psi / (1 / (kf - ks) + (1 - psi) / (3 * ks))
        assert np.all(k > lower) and np.all(k < upper)
        assert np.all(np.diff(k) > 0)
    assert laws.zehner_schlunder(0.5, kf, 50.0) < laws.zehner_schlunder(0.4, kf, 50.0)


def test_powder_in_air_adds_its_gas_filled_bed_and_vacuum_does_not():
    """Under lab air the loose powder's conductivity gains the gas-filled bed (Zehner & Schluender with air's
    k(T) from the site file), which the kernels evaluate as a power law in T fitted within 3 % over 300-2,000 K;
    at 300 K that is ~0.2 W/(m K), some hundred times the vacuum contact conductivity. Dense material is unchanged."""
    from regolith_sim.site import get_site

    m, air = get_material("JSC-1A"), get_site("lab-air").gas_conductivity
    assert get_site("lab-vacuum").gas_conductivity is None
    rho0 = m.powder_relative_density
    T = np.array([300.0, 800.0, 1400.0, 2000.0])
    k_ref, T_ref, n = air
    bed = laws.zehner_schlunder(1 - rho0, k_ref * (T / T_ref) ** n, m.get("conductivity.dense_W_mK"))
    added = m.conductivity(T, rho0, air) - m.conductivity(T, rho0)
    assert added == pytest.approx(bed, rel=0.03)
    assert 0.1 < added[0] < 0.4 and added[0] > 50 * m.get("conductivity.contact_W_mK")
    assert m.conductivity(T, 1.0, air) == pytest.approx(m.conductivity(T, 1.0), rel=1e-12)


def test_giordano_viscosity_by_hand():
    # Giordano et al. 2008 for an anhydrous melt of 60 SiO2, 20 Al2O3, 20 CaO mol %, hand-evaluated:
    # B = 159.56*60 - 173.34*20 - 38.98*20 = 5327.2 ; C = 2.75*60 + 15.72*20 + 10.20*20 = 683.4
    wt = {"SiO2": 60 * 60.0843, "Al2O3": 20 * 101.9613, "CaO": 20 * 56.0774}
    A, B, C = laws.giordano2008_VFT(wt)
    assert (A, B, C) == pytest.approx((-4.55, 5327.2, 683.4), rel=1e-9)
    assert math.log10(laws.vft_viscosity(1673.15, A, B, C)) == pytest.approx(-4.55 + 5327.2 / (1673.15 - 683.4),
                                                                            rel=1e-12)
    assert laws.glass_transition(A, B, C) == pytest.approx(683.4 + 5327.2 / 16.55, rel=1e-12)


def test_ferric_iron_counts_as_feo_total():
    a = laws.oxide_mole_percent({"SiO2": 50, "FeO": 10})
    b = laws.oxide_mole_percent({"SiO2": 50, "Fe2O3": 10 / 0.8998})
    assert a["FeO"] == pytest.approx(b["FeO"], rel=1e-3)


def test_strength_fit_reproduces_indyk_benaroya_points():
    # Indyk & Benaroya 2017: porosity 1.44 % -> 218.8 MPa, 11.78 % -> 84.6 MPa (sintered JSC-1A); 0.5 %
    from regolith_sim.outcomes import matrix_strength

    law = matrix_strength(get_material("JSC-1A"), "furnace")
    assert law.at(0.0144) / 1e6 == pytest.approx(218.8, rel=5e-3)
    assert law.at(0.1178) / 1e6 == pytest.approx(84.6, rel=5e-3)
    # LHS-1 has no specimens of its own: no law, and the reason says so
    assert "LHS-1 has no furnace" in matrix_strength(get_material("LHS-1"), "furnace")


def test_overrides_and_errors():
    m = get_material("lhs1", {"optical": {"emissivity": 0.5}})
    assert m.emissivity == 0.5 and m.source_of("optical.emissivity") == "case file override"
    with pytest.raises(MaterialError, match="did you mean 'optical.emissivity'") as err:
        get_material("LHS-1", {"optical.emisivity": 0.5})
    assert "materials show LHS-1" in str(err.value) and len(str(err.value)) < 300  # not all 80+ names
    with pytest.raises(MaterialError, match=r"outside the allowed range \[0, 1\]"):
        get_material("LHS-1", {"optical.emissivity": 95})
    with pytest.raises(MaterialError, match="did you mean 'LHS-1'"):
        get_material("LHS1x")


def test_user_material_folder(tmp_path, monkeypatch):
    from regolith_sim.materials.database import BUILTIN_DIR

    text = (BUILTIN_DIR / "lhs-1.toml").read_text().replace('name = "LHS-1"', 'name = "My-Regolith"')
    text = text.replace('aliases = ["lhs1", "lhs"]', 'aliases = []')
    (tmp_path / "mine.toml").write_text(text)
    monkeypatch.setenv("REGOLITH_SIM_MATERIALS", str(tmp_path))
    assert "My-Regolith" in [m.name for m in list_materials()]
    assert get_material("my-regolith").particle_density == 2770.0
    assert get_material(str(tmp_path / "mine.toml")).name == "My-Regolith"
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('particle_kg_m3 = { value = 2770.0, source = "exolith_lhs1"',
                                'particle_kg_m3 = { value = 2770.0, source = "nowhere"'))
    with pytest.raises(MaterialError, match="cites unknown source 'nowhere'"):
        get_material(str(bad))


def test_materials_show_json_cli():
    run = subprocess.run([sys.executable, "-m", "regolith_sim", "materials", "show", "LHS-1", "--json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    for key in ("name", "particle_density_kg_m3", "bulk_density_kg_m3", "glass_transition_K", "solidus_K",
                "liquidus_K", "emissivity", "absorptivity", "sources"):
        assert key in data
    assert 850 < data["glass_transition_K"] < 1100  # GRD 2008 Tg of basaltic to andesitic melts
    # the strength per route: LHS-1 has none for any route, each with the reason its data file gives
    routes = data["compressive_strength_by_route"]
    assert set(routes) == {"solar", "laser", "microwave", "furnace"}
    assert all(r["law"] is None and "LHS-1 has no" in r["reason"] for r in routes.values())


def test_materials_show_names_each_routes_strength_law_or_why_there_is_none():
    """JSC-1A: the furnace route's own fit (Indyk & Benaroya's two points) and the three routes that share it,
    each with its reason, as the data file holds them."""
    from regolith_sim.materials import get_material

    run = subprocess.run([sys.executable, "-m", "regolith_sim", "materials", "show", "JSC-1A"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    m = get_material("JSC-1A")
    lines = {x.split()[0]: x for x in run.stdout.split("by route", 1)[1].splitlines()[1:5]}
    assert f"sigma0 {m.get('strength.furnace.sigma0_Pa') * 1e-6:.4g} MPa" in lines["furnace"]
    for route in ("solar", "laser", "microwave"):
        assert "the furnace route's law: " + m.text[f"strength.{route}.reason"][:40] in lines[route]


def test_the_kernels_conduct_as_the_law_in_air(ti_runtime):
    """The thermal kernels' k(T, relative density) in a lab-air bed equals Material.conductivity with the site's
    gas (the gas-filled bed blended out as the powder sinters) to round-off in f64."""
    from regolith_sim.site import get_site
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables

    m, air = get_material("JSC-1A"), get_site("lab-air").gas_conductivity
    rho0 = m.powder_relative_density
    shape = (4, 3, 1)
    T = np.linspace(300.0, 2400.0, 12).reshape(shape)
    rho = np.linspace(rho0, 1.0, 12).reshape(shape)
    s = ThermalSolver(Grid(shape, 1e-3, (0.0, 0.0, 0.0)), ThermalTables.from_material(m, gas=air),
                      Boundary(T_sky=300.0, bottom="adiabatic"))
    s.fill_region(np.ones(shape, bool), T, rho)
    T_cells = s.field("T")
    np.testing.assert_allclose(s.field("kcond"), m.conductivity(T_cells, rho, air), rtol=1e-9)
