"""Evaporation of hot material: the Hertz-Knudsen-Langmuir flux, its suppression under a gas, the
kernel's steady surface against the closed-form balance, and the energy ledger with evaporation on."""
from __future__ import annotations

import math

import numpy as np
import pytest

from regolith_sim.errors import MaterialError
from regolith_sim.materials import get_material
from regolith_sim.thermal import Boundary, Grid, SurfaceSource, ThermalSolver, ThermalTables
from dataclasses import replace

from regolith_sim.thermal.evaporation import (
    disc_mass_transfer, evaporation_for, heat_flux, source_flux, spot_mass_transfer, vapour_pressure,
)
from regolith_sim.thermal.solver import Evaporation, VapourSource

R = 8.314462618
# a vapour whose pressure is 1 Pa at 2000 K and rises with B = 50,000 K; no alkalis
VAPOUR = VapourSource(ln_A=50000.0 / 2000.0, B_K=50000.0, molar_mass_kg_mol=0.023, latent_heat_J_kg=5e6)
EV = Evaporation(alkali=VAPOUR, refractory=VAPOUR, alkali_fraction=0.0)


def test_hertz_knudsen_langmuir_flux_at_a_given_vapour_pressure():
    assert vapour_pressure(VAPOUR, 2000.0) == pytest.approx(1.0, rel=1e-12)
    # J = p sqrt(M / (2 pi R T)) (Langmuir 1913): Na vapour at 1 Pa and 2000 K
    expected = 1.0 * math.sqrt(0.023 / (2 * math.pi * R * 2000.0))
    assert float(source_flux(EV, VAPOUR, 2000.0)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(4.70e-4, rel=2e-3)
    # without alkalis left only the refractory vapour carries heat
    assert float(heat_flux(EV, 2000.0, 0.0)) == pytest.approx(5e6 * expected, rel=1e-12)


def test_a_gas_suppresses_evaporation_by_diffusion_in_series():
    # lab air: h_c = 10 W/(m^2 K), rho c_p = 1169.5 J/(m^3 K) -> h_m = 8.55e-3 m/s (Chilton-Colburn, Le = 1)
    # at 1 atm; p_v = 1 Pa << P, where the Stefan-flow factor ln(1/(1 - p/P)) is p/P to 5e-6
    air = replace(EV, h_mass_m_s=10.0 / 1169.5, gas_pressure_Pa=101325.0)
    j_hkl = float(source_flux(EV, VAPOUR, 2000.0))
    j_diff = 10.0 / 1169.5 * 0.023 * 1.0 / (R * 2000.0)
    assert float(source_flux(air, VAPOUR, 2000.0)) == pytest.approx(1.0 / (1.0 / j_hkl + 1.0 / j_diff), rel=1e-5)
    assert float(source_flux(air, VAPOUR, 2000.0)) < 1e-3 * j_hkl      # in air the loss is diffusion-limited
    # the Stefan flow grows the flux as p_v -> P; at and above the boiling point the vapour pushes the gas
    # away and the melt evaporates freely
    T_boil = VAPOUR.B_K / (VAPOUR.ln_A - math.log(101325.0))
    near = [float(source_flux(air, VAPOUR, T_boil * (1 - d))) for d in (1e-2, 1e-4, 1e-8)]
    assert near[0] < near[1] < near[2] < float(source_flux(EV, VAPOUR, T_boil))
    assert float(source_flux(air, VAPOUR, T_boil * 1.01)) == float(source_flux(EV, VAPOUR, T_boil * 1.01))


def test_steady_evaporating_surface_matches_its_energy_balance(ti_runtime):
    from regolith_sim.verification.cases import evaporating_surface

    check = evaporating_surface()
    assert check.passed, check.as_dict()
    assert check.details["evaporated_J"] > 0.0


def _spot_run(boundary: Boundary, power: float = 60.0) -> ThermalSolver:
    mat = get_material("LHS-1")
    dx, shape = 5e-4, (24, 16, 10)
    g = Grid(shape, dx, (0.0, 0.0, -shape[2] * dx))
    s = ThermalSolver(g, ThermalTables.from_material(mat), boundary)
    s.fill_region(np.ones(shape, bool), 250.0, mat.powder_relative_density)
    s.set_bottom_temperature(250.0)
    src = SurfaceSource(profile="gaussian", diameter=2e-3, power=power, absorptivity=mat.absorptivity("solar"),
                        grain_size=mat.get("grain_size.d50_m"), on=True, y=shape[1] * dx / 2)
    t = 0.0
    while t < 2.0:
        dt = min(s.stable_dt(0.9), 0.02)
        src.x = 3e-3 + 3e-3 * t
        s.step(dt, [src])
        t += dt
    return s


@pytest.mark.parametrize("site", ["vacuum", "lab-air"])
def test_energy_balance_closes_with_evaporation(ti_runtime, site):
    h_c = 0.0 if site == "vacuum" else 10.0
    ev = replace(EV, h_mass_m_s=h_c / 1169.5, gas_pressure_Pa=101325.0 if h_c else 0.0)
    s = _spot_run(Boundary(T_sky=3.0 if h_c == 0 else 293.0, h_conv=h_c, T_amb=293.0, evaporation=ev))
    L = s.sync_ledger()
    assert L.evaporated > 0.0
    assert L.balance_error < 5e-3, L.as_dict()
    # the evaporated mass booked per cell carries exactly the latent heat booked in the ledger
    lost_kg = float(s.field("mass_lost").sum()) * s.tables.rho_p * s.grid.dx ** 3
    assert lost_kg * VAPOUR.latent_heat_J_kg == pytest.approx(L.evaporated, rel=1e-9)


def test_under_a_gas_the_melt_cannot_pass_its_boiling_point(ti_runtime):
    # a spot that would reach ~2,900 K: under 1 atm the vapour (1 Pa at 2000 K) boils near 2,700 K
    ev = replace(EV, h_mass_m_s=10.0 / 1169.5, gas_pressure_Pa=101325.0)
    s = _spot_run(Boundary(T_sky=293.0, h_conv=10.0, T_amb=293.0, evaporation=ev), power=400.0)
    T_boil = VAPOUR.B_K / (VAPOUR.ln_A - math.log(101325.0))
    assert float(s.field("T_peak").max()) < T_boil + 30.0
    assert s.sync_ledger().balance_error < 5e-3


def test_evaporation_caps_the_peak_temperature(ti_runtime):
    hot = _spot_run(Boundary(T_sky=3.0), power=60.0)
    capped = _spot_run(Boundary(T_sky=3.0, evaporation=EV), power=60.0)
    T_hot, T_cap = float(hot.field("T_peak").max()), float(capped.field("T_peak").max())
    assert T_cap < T_hot - 100.0
    # at the capped peak the evaporation flux alone carries of the order of the spot's peak flux
    peak_flux = 2 * 60.0 * 0.8 / (math.pi * 1e-3 ** 2)
    assert float(heat_flux(EV, T_cap, 0.0)) > 0.1 * peak_flux


def test_alkalis_evaporate_no_more_than_the_inventory(ti_runtime):
    # a volatile alkali vapour (1 kPa at 2000 K) and a negligible refractory one: a hot cell loses its
    # alkalis, 3 % of its mass, then stops
    alkali = VapourSource(ln_A=math.log(1e3) + 30000.0 / 2000.0, B_K=30000.0, molar_mass_kg_mol=0.025,
                          latent_heat_J_kg=1e7)
    inert = VapourSource(ln_A=0.0, B_K=2e5, molar_mass_kg_mol=0.04, latent_heat_J_kg=1e7)
    ev = Evaporation(alkali=alkali, refractory=inert, alkali_fraction=0.03)
    s = _spot_run(Boundary(T_sky=3.0, evaporation=ev), power=60.0)
    lost, alk, mass = s.field("mass_lost"), s.field("alkali_lost"), s.field("mass")
    assert lost.max() > 0.0
    np.testing.assert_allclose(lost, alk, rtol=1e-9, atol=1e-15)
    assert np.all(alk <= 0.03 * mass * (1 + 1e-9))
    assert np.isclose(alk / np.where(mass > 0, mass, 1.0), 0.03, rtol=1e-6).any()   # some cell is spent
    assert s.sync_ledger().balance_error < 5e-3


def test_unphysical_evaporation_override_is_refused_with_the_key():
    with pytest.raises(MaterialError, match="evaporation.coefficient"):
        get_material("LHS-1", {"evaporation": {"coefficient": -0.5}})
    with pytest.raises(MaterialError, match="evaporation.alkali_vapour_pressure_B_K"):
        get_material("LHS-1", {"evaporation": {"alkali_vapour_pressure_B_K": -3.0}})
    with pytest.raises(MaterialError, match="porosity.vesicle_fraction"):
        get_material("LHS-1", {"porosity": {"vesicle_fraction": 1.2}})
    # each number within its range, together a melt that boils at room temperature (3e34 Pa at the liquidus)
    with pytest.raises(MaterialError, match="boil before it is molten") as err:
        get_material("LHS-1", {"evaporation": {"alkali_vapour_pressure_ln_A": 80.0,
                                               "alkali_vapour_pressure_B_K": 1000.0}})
    assert err.value.key.startswith("material.overrides.evaporation.alkali_vapour_pressure")


def test_vapour_leaves_a_small_hot_spot_by_diffusion_faster_than_by_convection():
    """In room air the vapour of a millimetre spot diffuses into still gas at the disc's 4 D / (pi r) (Saito 1968),
    D of the lab-air file (1.6e-5 m^2/s at 293.15 K, ~ T^1.75: Marrero & Mason 1972, Fuller et al. 1966) at the film
    temperature between a JSC-1A liquidus of 1,773 K and the room's 293.15 K, scaled to the surface's gas density;
    the convective limit h_c / (rho c_p) = 10 / 1169.5 m/s governs only for a hot region of several centimetres."""
    from regolith_sim.site import get_site

    jsc, air, vac = get_material("JSC-1A"), get_site("lab-air"), get_site("lab-vacuum")
    T_s = jsc.get("melting.liquidus_K")
    T_f = 0.5 * (T_s + 293.15)
    by_hand = 4.0 * 1.6e-5 * (T_f / 293.15) ** 1.75 / (math.pi * 0.5e-3) * T_s / T_f
    assert spot_mass_transfer(jsc, air, 0.5e-3) == pytest.approx(by_hand, rel=1e-3)
    assert 0.5 < by_hand < 0.8     # m/s: ~70 times the convective 8.6 mm/s for a 1 mm spot
    assert disc_mass_transfer(2e-4, 1e-3) == pytest.approx(2.0 * disc_mass_transfer(2e-4, 2e-3), rel=1e-12)
    assert spot_mass_transfer(jsc, vac, 0.5e-3) == 0.0
    convective = 10.0 / 1169.5
    small = evaporation_for(jsc, 10.0, 1169.5, 101325.0, spot_mass_transfer(jsc, air, 0.5e-3))
    large = evaporation_for(jsc, 10.0, 1169.5, 101325.0, spot_mass_transfer(jsc, air, 0.1))
    assert small.h_mass_m_s == pytest.approx(by_hand, rel=1e-3)
    assert large.h_mass_m_s == pytest.approx(convective, rel=1e-12)
    assert evaporation_for(jsc, 0.0, None, None, 1.0).h_mass_m_s == 0.0   # vacuum: Hertz-Knudsen alone


@pytest.mark.parametrize("site", ["lunar-south-pole", "lab-air"])
def test_a_print_books_evaporation_and_still_closes_its_energy_balance(ti_runtime, site):
    """A tiny JSC-1A brick under a spot hot enough to boil off alkalis, in vacuum and in room air."""
    from pathlib import Path

    from regolith_sim.config import load_case
    from regolith_sim.simulation import Simulation

    def run(site):
        case = load_case(Path(__file__).parents[1] / "examples" / "sweeps" / "tiny_brick.toml",
                         **{"material.name": "JSC-1A", "site.name": site, "process.power": 40.0,
                            "output.probes": []})
        sim = Simulation(case)
        return sim, sim.run(progress=False)

    sim, result = run(site)
    summary = result.summary
    e = summary["energy"]
    assert e["evaporated_J"] > 0.0 and summary["part"]["mass_lost_kg"] > 0.0
    assert e["balance_error"] < 5e-3
    # the latent heat booked is that of the mass lost: between the alkali and the refractory heat per kg
    per_kg = e["evaporated_J"] / summary["part"]["mass_lost_kg"]
    assert 1.0e7 <= per_kg <= 1.35e7
    # the material the outputs show (meshes, fragments, height: fields["fill"]) is what is left after evaporation
    mass, lost = sim.thermal.field("mass"), sim.thermal.field("mass_lost")
    left = float(np.sum(result.fields["fill"] * result.fields["rho_rel"]))
    assert left == pytest.approx(float(mass.sum() - lost.sum()), rel=1e-9)
    if site == "lab-air":
        # the vapour diffuses away from the 3 mm spot at the disc's rate, not the convective one
        m = sim.material
        assert sim.thermal.boundary.evaporation.h_mass_m_s == pytest.approx(
            spot_mass_transfer(m, sim.site, 1.5e-3), rel=1e-12)
        # and the gas holds it back: the same print in a vacuum chamber loses over ten times as much (the cap
        # its latent heat puts on the melt's temperature: test_evaporation_caps_the_peak_temperature; here the air in
        # the powder's pores also conducts the heat away, so the peaks are not comparable)
        _, vacuum = run("lab-vacuum")
        assert summary["part"]["mass_lost_kg"] < 0.1 * vacuum.summary["part"]["mass_lost_kg"]


def _melt_block(mat, ev, shape, dx) -> ThermalSolver:
    """Fully dense melt at 3,400 K on an insulated base, radiating to a 3 K sky from its top."""
    s = ThermalSolver(Grid(shape, dx, (0.0, 0.0, -shape[2] * dx)), ThermalTables.from_material(mat),
                      Boundary(T_sky=3.0, bottom="adiabatic", evaporation=ev))
    s.fill_region(np.ones(shape, bool), 3400.0, 1.0)
    return s


def test_a_melt_inside_the_material_boils_down_to_its_boiling_point(ti_runtime):
    """A block of JSC-1A melt at 3,400 K in vacuum: above both boiling points inside (2,564 K for the alkalis,
    3,013 K for SiO + O2 at the 11 kPa Laplace pressure of a 65 um bubble nucleus), every cell loses its whole alkali inventory and then the heat above the refractory boiling point, and the vapour
    booked carries exactly that heat (closed form of gpu_kernels.evaporation.boil_cell)."""
    from regolith_sim.thermal.evaporation import boiling_pressure

    mat = get_material("JSC-1A")
    ev = evaporation_for(mat, 0.0, None, None)
    laplace = 2 * mat.get("melt.surface_tension_N_m") / (0.5 * mat.get("grain_size.d50_m"))
    assert ev.boiling_pressure_Pa == pytest.approx(laplace, rel=1e-12)
    assert boiling_pressure(mat, 101325.0) == pytest.approx(101325.0 + laplace, rel=1e-12)
    T_b1, T_b2 = ev.boiling_points()
    for v, T_b in ((ev.alkali, T_b1), (ev.refractory, T_b2)):   # p_v(T_b) = P_b
        assert float(vapour_pressure(v, T_b)) == pytest.approx(ev.boiling_pressure_Pa, rel=1e-9)
    assert 2400.0 < T_b1 < T_b2 < 3100.0

    dx, shape = 1e-3, (4, 4, 6)
    s = _melt_block(mat, ev, shape, dx)
    stored0 = s.stored_energy()
    s.step(1e-6)   # conduction, radiation and surface evaporation move the interior by far less than 1e-3 K
    full = s.tables.rho_p * dx ** 3
    h0, h_b1, h_b2 = (float(s.h_of_T(T)) for T in (3400.0, T_b1, T_b2))
    e_alkali = ev.alkali_fraction * full * ev.alkali.latent_heat_J_kg        # the whole inventory, J per cell
    assert e_alkali < full * (h0 - h_b1)
    e_refractory = full * (h0 - h_b2) - e_alkali
    inside = (slice(None), slice(None), slice(0, shape[2] - 1))
    h = s.field("h")[inside]
    np.testing.assert_allclose(h, h_b2, rtol=2e-6)
    np.testing.assert_allclose(s.field("alkali_lost")[inside], ev.alkali_fraction, rtol=1e-9)
    m_lost = e_alkali / (ev.alkali.latent_heat_J_kg * full) + e_refractory / (ev.refractory.latent_heat_J_kg * full)
    np.testing.assert_allclose(s.field("mass_lost")[inside], m_lost, rtol=2e-5)
    L = s.sync_ledger()
    # the top cells boil too, after their surface evaporation (which takes ~1e-7 of it in 1 us)
    assert L.evaporated == pytest.approx(s.field("h").size * (e_alkali + e_refractory), rel=1e-5)
    assert abs(stored0 - s.stored_energy() - L.evaporated - L.radiated) < 1e-6 * L.evaporated


def test_every_joule_of_vapour_heat_is_booked_as_vapour_mass(ti_runtime):
    """With latent heats of 1e5 J/kg (about a hundredth of JSC-1A's), the heat a 3,400 K melt holds above its
    boiling points would boil each cell more than twice over. The cells hold at the boiling point and book all
    that vapour, beyond their own mass (the cavity's wall boils on into the material around it): the ledger's
    evaporated heat is the booked mass times the latent heat, never heat without mass."""

    mat = get_material("JSC-1A")
    ev = evaporation_for(mat, 0.0, None, None)
    ev = replace(ev, alkali=replace(ev.alkali, latent_heat_J_kg=1e5),
                 refractory=replace(ev.refractory, latent_heat_J_kg=1e5))
    T_b1, T_b2 = ev.boiling_points()
    dx, shape = 1e-3, (4, 4, 6)
    s = _melt_block(mat, ev, shape, dx)
    stored0 = s.stored_energy()
    full = s.tables.rho_p * dx ** 3
    excess = full * (float(s.h_of_T(3400.0)) - float(s.h_of_T(T_b2)))
    assert excess > 2.0 * full * 1e5                          # more than twice the latent heat of the whole cell
    s.step(1e-6)
    inside = (slice(None), slice(None), slice(0, shape[2] - 1))
    np.testing.assert_allclose(s.field("h")[inside], float(s.h_of_T(T_b2)), rtol=2e-6)
    np.testing.assert_allclose(s.field("mass_lost")[inside], excess / (full * 1e5), rtol=2e-5)
    L = s.sync_ledger()
    assert L.evaporated == pytest.approx(float(s.field("mass_lost").sum()) * full * 1e5, rel=1e-12)
    assert abs(stored0 - s.stored_energy() - L.evaporated - L.radiated) < 1e-9 * stored0


def test_a_super_time_step_boils_the_melt_inside_as_well(ti_runtime):
    """The same block stepped by one super-time-step of 20 explicit limits (the evaporation and boiling
    are applied once to the step's end enthalpy): the cells a diffusion length below the radiating top
    end at the refractory boiling point with their alkalis gone, and the ledger closes."""

    mat = get_material("JSC-1A")
    ev = evaporation_for(mat, 0.0, None, None)
    s = _melt_block(mat, ev, (3, 3, 14), 1e-3)
    s.step(1e-6)
    stages = s.step_sts(20 * s.stable_dt(1.0))
    assert stages > 1
    deep = (slice(None), slice(None), slice(0, 4))
    np.testing.assert_allclose(s.field("h")[deep], float(s.h_of_T(ev.boiling_points()[1])), rtol=2e-6)
    np.testing.assert_allclose(s.field("alkali_lost")[deep], ev.alkali_fraction, rtol=1e-9)
    assert s.sync_ledger().balance_error < 1e-9
