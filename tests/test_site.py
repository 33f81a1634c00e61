"""Site model: the lunar regolith diurnal thermal model (Hayne et al. 2017) and the named sites.

Sources of the numbers checked here:
* Williams J.-P. et al. (2017), Icarus 283:300 (Diviner global temperatures): equatorial daytime
  maxima "~387-397 K" depending on albedo, "dropping to ~95 K just before sunrise".
* Hayne P.O. et al. (2017), JGR Planets 122:2371: standard model; mean temperature ~250 K below
  the diurnally active layer at the equator.
* Langseth M.G. et al. (1972), The Moon 4:390 (Apollo 15 heat flow, 26.1 deg N, mare): mean
  temperature at 1 m depth 250.7 and 252.4 K at the two probes, ~35 K above the mean surface.
* Carslaw & Jaeger (1959), Conduction of Heat in Solids, sec. 2.6: a periodic surface temperature
  penetrates as A exp(-z/delta) sin(w t - z/delta), delta = sqrt(kappa P / pi).
* Cengel, Heat Transfer, table of convection coefficients: natural convection of gases 2-25 W/(m^2 K).
"""
from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from regolith_sim.errors import UserError
from regolith_sim.site import (
    Column, absorbed_flux, cached_diurnal, cos_incidence, geometric_grid, get_site, load_hayne_params, run_cycle,
    site_names, site_report, solve_diurnal, sun_elevation_max_deg,
)
from regolith_sim.site.diurnal import DATA_DIR, mean_profile_correction, read_data_toml

P = load_hayne_params()


@pytest.fixture(scope="module")
def equator():
    t0 = time.perf_counter()
    sol = solve_diurnal(0.0)
    return sol, time.perf_counter() - t0


# ------------------------------------------------------------------------------------------
# Data files
# ------------------------------------------------------------------------------------------
def _numbers(node, path=""):
    """Yield (path, entry) for every {value, ...} inline table in a parsed data file."""
    if isinstance(node, dict):
        if "value" in node:
            yield path, node
            return
        for k, v in node.items():
            if k != "sources":
                yield from _numbers(v, f"{path}.{k}" if path else k)


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_every_number_in_the_data_files_is_cited(path):
    data = read_data_toml(path)
    sources = data.get("sources", {})
    entries = list(_numbers(data))
    assert entries, f"{path.name} holds no values"
    for where, entry in entries:
        assert entry.get("source") in sources, f"{path.name}:{where} cites an undefined source {entry.get('source')!r}"
        assert sources[entry["source"]].strip()
    # No bare numbers outside value tables (schema_version is bookkeeping, not physics).
    def bare(node, where=""):
        for k, v in node.items():
            if k in ("sources", "schema_version"):
                continue
            if isinstance(v, dict) and "value" not in v:
                bare(v, f"{where}.{k}")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                raise AssertionError(f"{path.name}:{where}.{k} is a number without a source")
    bare(data)


def test_hayne_parameters_are_the_published_ones():
    # Hayne et al. (2017) abstract: K 7.4e-4 -> 3.4e-3 W/(m K), rho 1100 -> 1800 kg/m^3.
    assert (P.Ks, P.Kd, P.rho_s, P.rho_d) == (7.4e-4, 3.4e-3, 1100.0, 1800.0)
    assert (P.H, P.chi, P.T_rad, P.emissivity, P.Qb) == (0.06, 2.7, 350.0, 0.95, 0.018)
    assert P.period_s == pytest.approx(29.53059 * 86400.0)
    assert P.density(0.0) == pytest.approx(1100.0) and P.density(10.0) == pytest.approx(1800.0)
    assert P.contact_conductivity(0.06) == pytest.approx(3.4e-3 - (3.4e-3 - 7.4e-4) / math.e)
    assert P.conductivity(350.0, 0.0) == pytest.approx(7.4e-4 * 3.7)


def test_heat_capacity_positive_continuous_and_consistent_with_enthalpy():
    T = np.concatenate([np.linspace(0.5, 20.0, 400), np.linspace(20.0, 1000.0, 981)])
    c = P.heat_capacity(T)
    assert np.all(c > 0)
    # Continuous at the 10 K switch to the Debye law.
    assert P.heat_capacity(10.0 - 1e-9) == pytest.approx(P.heat_capacity(10.0 + 1e-9), rel=1e-6)
    # Lunar soil near room temperature: ~0.7-0.8 kJ/(kg K) (Hemingway et al.; Hayne 2017 fit).
    assert 650.0 < P.heat_capacity(300.0) < 800.0
    # de/dT = c, including across 10 K.
    Tm = np.array([3.0, 9.99, 10.01, 50.0, 250.0, 400.0])
    dT = 1e-4
    num = (P.enthalpy(Tm + dT) - P.enthalpy(Tm - dT)) / (2 * dT)
    np.testing.assert_allclose(num, P.heat_capacity(Tm), rtol=1e-6)


def test_albedo_and_solar_geometry():
    A0, a, b = P.A0, P.albedo_a, P.albedo_b
    assert P.albedo(0.0) == pytest.approx(A0)
    assert P.albedo(math.radians(45.0)) == pytest.approx(A0 + a + b * 0.5 ** 8)
    assert P.albedo(math.radians(90.0)) == pytest.approx(A0 + 8 * a + b)
    assert cos_incidence(0.0, 12.0) == pytest.approx(1.0)
    assert cos_incidence(0.0, 6.0) == pytest.approx(0.0, abs=1e-12)
    assert cos_incidence(45.0, 12.0) == pytest.approx(math.cos(math.radians(45.0)))
    assert absorbed_flux(P, 0.0, 0.0) == 0.0  # midnight
    assert absorbed_flux(P, 0.0, 12.0) == pytest.approx((1 - A0) * 1361.0)
    # Lunar south pole: the sun grazes the horizon (obliquity 1.54 deg; Williams et al. 2019).
    assert sun_elevation_max_deg(-89.5, 0.0) == pytest.approx(0.5)
    assert sun_elevation_max_deg(-89.5, -1.54) == pytest.approx(2.04)


# ------------------------------------------------------------------------------------------
# Solver core against an analytic solution
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("theta", [1.0, 0.5], ids=["backward-euler", "crank-nicolson"])
def test_damped_thermal_wave_matches_analytic(theta):
    """Constant properties, T(0, t) = Tm + A sin(w t): amplitude A exp(-z/delta), lag z/delta (Carslaw & Jaeger)."""
    k, rho, c, period, steps = 1.0e-3, 1500.0, 600.0, P.period_s, 720
    delta = math.sqrt(k / (rho * c) * period / math.pi)
    col = Column.constant(geometric_grid(delta / 40.0, 1.04, 8.0 * delta), k, rho, c)
    Tm, A = 250.0, 100.0
    wt = 2.0 * np.pi * np.arange(steps) / steps
    top = Tm + A * np.sin(wt)
    T = np.full(col.z.size, Tm)
    for _ in range(60):
        res = run_cycle(col, T, period_s=period, steps=steps, surface_T=top, theta=theta)
        change = np.max(np.abs(res.T_end - T))
        T = res.T_end + mean_profile_correction(col, res.T, res.mean_flux, 0.0)
        if change < 1e-4:
            break
    assert change < 1e-4, "did not reach the periodic state"
    harmonic = (res.T * np.exp(-1j * wt)[:, None]).sum(axis=0) * 2.0 / steps
    log_amp = np.log(np.abs(harmonic) / A)
    lag = -np.unwrap(np.angle(harmonic) - np.angle(harmonic[0]))
    for n in (1.0, 2.0, 3.0):
        ratio = math.exp(np.interp(n * delta, col.z, log_amp))
        assert ratio == pytest.approx(math.exp(-n), rel=0.02), f"amplitude at {n} skin depths"
        assert np.interp(n * delta, col.z, lag) == pytest.approx(n, abs=0.03), f"phase lag at {n} skin depths"
    # The mean is carried unchanged (no sources): within 0.01 K.
    assert np.allclose(res.T.mean(axis=0), Tm, atol=0.01)


# ------------------------------------------------------------------------------------------
# Lunar diurnal model against Diviner and Apollo
# ------------------------------------------------------------------------------------------
def test_equator_runs_fast_and_reaches_a_periodic_state(equator):
    sol, seconds = equator
    assert sol.converged and sol.last_cycle_change_K < 0.1
    assert seconds < 5.0, f"one latitude took {seconds:.2f} s (target < 5 s on one core)"
    assert sol.T.shape == (sol.time_s.size, sol.depth_m.size) and sol.time_s.size >= 200
    assert sol.depth_m[0] == 0.0 and sol.depth_m[-1] >= 2.0
    assert not sol.T.flags.writeable  # shared through the cache


def test_equator_surface_temperatures_match_diviner(equator):
    sol, _ = equator
    s = sol.surface_stats()
    # Williams et al. 2017: equatorial maxima ~387-397 K (albedo dependent). The default is the
    # bright highland albedo A0 = 0.12, the low end of that range: allow 5 K below it.
    assert 382.0 <= s["max"] <= 397.0
    # "~95 K just before sunrise": +/- 5 K.
    assert 90.0 <= s["min"] <= 100.0
    assert s["min"] < s["midnight"] < 110.0
    # The maximum is near noon (thermal inertia delays it by well under an hour).
    lt_max = sol.local_time_h[np.argmax(sol.T[:, 0])]
    assert 11.5 <= lt_max <= 13.0
    # The pre-dawn minimum comes just before sunrise (6 h).
    assert 5.0 <= sol.local_time_h[np.argmin(sol.T[:, 0])] <= 6.05


def test_equator_mare_albedo_inside_diviner_range():
    s = solve_diurnal(0.0, albedo=0.07).surface_stats()   # mare A0 ~0.06-0.07 (Hayne 2017)
    assert 387.0 <= s["max"] <= 397.0                       # Williams et al. 2017
    assert 90.0 <= s["min"] <= 100.0


def test_equator_constant_temperature_depth_and_mean(equator):
    sol, _ = equator
    prof = {row["depth_m"]: row for row in sol.profile()}
    assert list(prof)[:3] == [0.0, 0.01, 0.02]
    swing = {d: r["max_K"] - r["min_K"] for d, r in prof.items()}
    # The diurnal wave dies within a few skin depths (~4-7 cm): below 0.5 m it is gone.
    assert swing[0.0] > 250.0 and swing[0.1] > 20.0
    assert swing[0.5] < 0.5 and swing[1.0] < 0.01
    # Hayne 2017: ~250 K at depth at the equator; allow 248-258 K.
    for d in (0.5, 1.0):
        assert 248.0 <= prof[d]["mean_K"] <= 258.0
    # Below that the geotherm Qb / K(T) ~ 2.7 K/m takes over.
    grad = (prof[2.0]["mean_K"] - prof[1.0]["mean_K"]) / 1.0
    assert grad == pytest.approx(P.Qb / P.conductivity(255.0, 1.5), rel=0.1)
    # Temperature-dependent conductivity pumps heat down: deep mean > surface mean by tens of K.
    assert 30.0 < prof[1.0]["mean_K"] - prof[0.0]["mean_K"] < 55.0


def test_apollo15_subsurface_temperature():
    """Apollo 15 (26.1 N, mare): 1 m mean 250.7-252.4 K, ~35 K above the surface mean (Langseth et al. 1972)."""
    sol = solve_diurnal(26.1, albedo=0.07)
    prof = {row["depth_m"]: row["mean_K"] for row in sol.profile()}
    assert prof[1.0] == pytest.approx(251.5, abs=6.0)
    assert 25.0 < prof[1.0] - prof[0.0] < 50.0


def test_energy_balance_at_periodic_state(equator):
    sol, _ = equator
    Qb = sol.basal_flux_W_m2
    # Independent of the solver's own bookkeeping: recompute fluxes from the stored temperatures.
    z, T = sol.depth_m, sol.T
    zi = 0.5 * (z[1:] + z[:-1])
    F = (P.conductivity(0.5 * (T[:, 1:] + T[:, :-1]), zi) * np.diff(T, axis=1) / np.diff(z)).mean(axis=0)
    deep = zi > 0.3
    np.testing.assert_allclose(F[deep], Qb, rtol=0.05)
    # At the surface: mean emitted - mean absorbed = Qb, to 10 % of Qb, i.e. ~5e-6 of the ~350 W/m^2 emitted.
    absorbed = absorbed_flux(P, 0.0, sol.local_time_h)
    emitted = P.emissivity * P.sigma * (T[:, 0] ** 4 - 3.0 ** 4)
    assert np.mean(emitted) > 300.0
    assert np.mean(emitted - absorbed) == pytest.approx(Qb, rel=0.10)
    assert sol.mean_surface_net_W_m2 == pytest.approx(-Qb, rel=0.10)


def test_polar_regolith_is_much_colder():
    """Near the poles the sun grazes the horizon; flat ground stays far colder than at the equator.

    Bound from physics: at noon heat flows into the ground, so the surface cannot exceed radiative
    equilibrium with the noon flux. Williams et al. (2017) need A(i) rising with incidence to fit
    the observed fall of temperature with latitude (the model used here).
    """
    for lat in (-85.0, -89.5):
        sol = solve_diurnal(lat)
        s = sol.surface_stats()
        t_eq_noon = (float(absorbed_flux(P, lat, 12.0)) / (P.emissivity * P.sigma)) ** 0.25
        assert s["max"] < 250.0
        assert s["max"] <= t_eq_noon + 1.0
        assert s["min"] > 20.0  # the basal heat flow and stored heat keep it off the sky temperature
        assert sol.profile()[-1]["mean_K"] < 150.0
    assert solve_diurnal(-89.5).surface_stats()["max"] < 80.0


# ------------------------------------------------------------------------------------------
# API: solution accessors and JSON report
# ------------------------------------------------------------------------------------------
def test_at_local_time_interpolates_periodically(equator):
    sol, _ = equator
    np.testing.assert_allclose(sol.at_local_time(0.0), sol.T[0])
    np.testing.assert_allclose(sol.at_local_time(24.0), sol.T[0])
    np.testing.assert_allclose(sol.at_local_time(12.0), sol.T[sol.time_s.size // 2])
    noon = sol.at_local_time(12.0)
    assert noon[0] == pytest.approx(sol.surface_stats()["max"], abs=3.0)
    assert np.all(np.diff(noon[:5]) < 0)  # at noon the ground is heated from above
    midnight = sol.at_local_time(0.0)
    assert np.all(np.diff(midnight[:5]) > 0)


def test_site_report_json_shape():
    rep = site_report(0.0)
    assert set(rep) == {"surface_temperature_K", "profile"}
    assert set(rep["surface_temperature_K"]) == {"max", "min", "mean", "midnight"}
    depths = [row["depth_m"] for row in rep["profile"]]
    assert depths == [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    for row in rep["profile"]:
        assert set(row) == {"depth_m", "mean_K", "min_K", "max_K"}
        assert row["min_K"] <= row["mean_K"] <= row["max_K"]
    rep = site_report(0.0, local_time_h=9.5)
    assert set(rep) == {"surface_temperature_K", "profile", "at_local_time"}
    at = rep["at_local_time"]
    assert at["local_time_h"] == 9.5 and [r["depth_m"] for r in at["profile"]] == depths
    assert all(set(r) == {"depth_m", "T_K"} for r in at["profile"])
    json.loads(json.dumps(rep))  # plain JSON types only


def test_bad_inputs_are_user_errors():
    with pytest.raises(UserError) as e:
        solve_diurnal(91.0)
    assert e.value.key == "site.latitude"
    with pytest.raises(UserError) as e:
        solve_diurnal(0.0, solar_declination_deg=5.0)
    assert e.value.key == "site.solar_declination"
    with pytest.raises(UserError):
        solve_diurnal(0.0, albedo=1.2)


# ------------------------------------------------------------------------------------------
# Named sites
# ------------------------------------------------------------------------------------------
def test_named_sites_exist_with_their_environment():
    assert {"lunar-south-pole", "lunar-equator", "lab-vacuum", "lab-air"} <= set(site_names())
    pole, eq = get_site("lunar-south-pole"), get_site("lunar-equator")
    for s in (pole, eq):
        assert s.gravity_m_s2 == pytest.approx(1.62) and s.sky_temperature_K == pytest.approx(3.0)
        assert s.is_vacuum and s.convection_W_m2K == 0.0
    assert pole.latitude_deg == pytest.approx(-89.5) and eq.latitude_deg == 0.0
    assert pole.sun_elevation_max_deg < 1.5 and pole.low_sun and pole.terrain == "polar-low-sun"
    assert eq.sun_elevation_max_deg == pytest.approx(90.0) and not eq.low_sun
    vac, air = get_site("lab-vacuum"), get_site("lab-air")
    for s in (vac, air):
        assert s.latitude_deg is None and s.sun_elevation_max_deg is None
        assert s.gravity_m_s2 == pytest.approx(9.81)
        assert s.ambient_temperature_K == pytest.approx(293.0, abs=0.2)
        assert s.sky_temperature_K == pytest.approx(293.0, abs=0.2)
    assert vac.is_vacuum and vac.convection_W_m2K == 0.0
    assert not air.is_vacuum and air.convection_W_m2K == pytest.approx(10.0)
    lo, hi = air.convection_range_W_m2K
    assert (lo, hi) == (2.0, 25.0) and lo <= air.convection_W_m2K <= hi  # Cengel: gases 2-25


def test_lab_argon_reproduces_its_sources():
    """The argon chamber's gas: its k(T) law against the CRC table it was fitted to (argon at 100 kPa, Lemmon &
    Jacobsen 2004) within 1 %; rho c_p of a monatomic ideal gas, 5 p / (2 T); its natural convection scaled from
    air's by Nu = 0.54 Ra^(1/4) (Incropera et al. 2007, Eq. 9.30): h ~ k (nu alpha)^(-1/4) at equal size and
    temperature difference, with air's k, nu and alpha at 300 K from their Table A.4 and argon's viscosity
    22.7 uPa s; the vapour's diffusivity by Fuller et al.'s (1966) ratio of CO2-Ar to CO2-air."""
    ar, air = get_site("lab-argon"), get_site("lab-air")
    assert "lab-argon" in site_names() and not ar.is_vacuum
    assert ar.gravity_m_s2 == pytest.approx(9.81) and ar.sky_temperature_K == pytest.approx(293.15)
    k0, T0, n = ar.gas_conductivity
    for T, k_crc in ((300.0, 0.0179), (400.0, 0.0226), (500.0, 0.0268), (600.0, 0.0306)):
        assert k0 * (T / T0) ** n == pytest.approx(k_crc, rel=0.01)
    rho_cp = 2.5 * ar.gas_pressure_Pa / 300.0
    assert ar.gas_heat_capacity_J_m3K == pytest.approx(rho_cp, rel=1e-3)
    nu_ar, alpha_ar = 22.7e-6 / (ar.gas_pressure_Pa * 0.039948 / (8.314462618 * 300.0)), k0 / rho_cp
    ratio = k0 / 0.0263 * (15.89e-6 * 22.5e-6 / (nu_ar * alpha_ar)) ** 0.25
    assert ar.convection_W_m2K / air.convection_W_m2K == pytest.approx(ratio, rel=0.01)
    lo, hi = ar.convection_range_W_m2K
    assert lo == pytest.approx(2.0 * ratio, rel=0.02) and hi == pytest.approx(25.0 * ratio, rel=0.02)
    fuller = lambda m, v: (1.0 / 44.01 + 1.0 / m) ** 0.5 / (26.9 ** (1 / 3) + v ** (1 / 3)) ** 2  # noqa: E731
    assert ar.vapour_diffusivity_at(500.0) / air.vapour_diffusivity_at(500.0) == pytest.approx(
        fuller(39.948, 16.2) / fuller(28.97, 19.7), rel=0.01)


def test_lab_substrate_is_uniform_room_temperature():
    z = np.linspace(0.0, 0.05, 11)
    for name in ("lab-vacuum", "lab-air", "lab-argon"):
        site = get_site(name)
        for lt in (0.0, 12.0):
            T = site.substrate_profile(z, lt)
            assert T.shape == z.shape and np.all(T == site.ambient_temperature_K)


def test_lunar_substrate_profile_comes_from_the_cached_diurnal_solution(equator):
    sol, _ = equator
    site = get_site("lunar-equator")
    before = cached_diurnal.cache_info().hits
    T = site.substrate_profile(sol.depth_m[:10], 12.0)
    np.testing.assert_allclose(T, sol.at_local_time(12.0)[:10], atol=0.2)
    t0 = time.perf_counter()
    T2 = site.substrate_profile(np.array([0.0, 0.005, 0.02]), 12.0)
    assert time.perf_counter() - t0 < 0.05 and cached_diurnal.cache_info().hits > before
    assert T2[0] == pytest.approx(sol.surface_stats()["max"], abs=3.0) and T2[0] > T2[1] > T2[2]
    # Pole vs equator at noon: the low sun barely warms the polar ground.
    pole = get_site("lunar-south-pole").substrate_profile([0.0, 0.02], 12.0)
    assert np.all(pole < 100.0) and np.all(pole < T2[[0, 2]] - 200.0)
    with pytest.raises(UserError):
        site.substrate_profile([-0.01], 12.0)


def test_unknown_site_name_suggests_the_closest():
    with pytest.raises(UserError) as e:
        get_site("lunar-southpole")
    msg = str(e.value)
    assert e.value.key == "site.name" and "did you mean 'lunar-south-pole'" in msg
    for name in ("lunar-south-pole", "lunar-equator", "lab-vacuum", "lab-air"):
        assert name in msg
    with pytest.raises(UserError) as e:
        get_site("lab-air", latitude_deg=10.0)
    assert e.value.key == "site.latitude"


def test_site_can_move_latitude():
    s = get_site("lunar-equator", latitude_deg=-88.0)
    assert s.latitude_deg == -88.0 and s.sun_elevation_max_deg == pytest.approx(2.0) and s.low_sun
    assert get_site("lunar-equator").latitude_deg == 0.0  # the named site itself is unchanged
