"""Concentrated sunlight from collector data (regolith_sim.thermal.solar): the collector's power
budget and measured flux fluctuations."""
import copy
from pathlib import Path

import numpy as np
import pytest

from regolith_sim.config import load_case
from regolith_sim.errors import UserError
from regolith_sim.thermal.solar import Fluctuation, SolarSupply

CASE = {
    "name": "solar-tiny",
    "material": {"name": "LHS-1"},
    "site": {"name": "lunar-south-pole", "substrate_depth": "2 mm", "local_time": "12 h"},
    "geometry": {"part": "brick", "params": {"length": "6 mm", "width": "4 mm", "height": "1 mm"}},
    "process": {"source": "solar", "power": "15 W", "spot_diameter": "2 mm", "scan_speed": "6 mm/s",
                "layer_thickness": "1 mm", "hatch_spacing": "1.5 mm", "dwell": "1 s",
                "solar": {"collector_area": "0.05 m2", "optical_efficiency": 0.6}},
    "solver": {"arch": "cpu", "cell_size": "0.5 mm", "cooldown": "0.5 s", "sintering": "none",
               "implicit_cooldown": False},
}


def _case(tmp_path, **over):
    data = copy.deepcopy(CASE)
    case = load_case(data, **over)
    case._base_dir = tmp_path
    return case


def test_fluctuation_mean_is_the_exact_integral():
    f = Fluctuation(np.array([0.0, 1.0, 3.0]), np.array([1.0, 0.5, 1.5]))
    # int_0^3 = 0.75 + 2.0 = 2.75 (trapezoids of a piecewise-linear series); held at the ends outside
    assert f.mean(0.0, 3.0) == pytest.approx(2.75 / 3.0, rel=1e-12)
    assert f.mean(0.5, 2.0) == pytest.approx((0.5 * (0.75 + 0.5) * 0.5 + 0.5 * (0.5 + 1.0) * 1.0) / 1.5, rel=1e-12)
    assert f.mean(4.0, 5.0) == pytest.approx(1.5)
    assert SolarSupply(available=40.8, fluctuation=f).power(60.0, 0.0, 3.0) == pytest.approx(40.8 * 2.75 / 3.0)


def test_delivered_energy_is_the_integral_of_power_times_fluctuation(ti_runtime, tmp_path):
    from regolith_sim.simulation import Simulation

    t = np.linspace(0.0, 20.0, 81)
    rel = 1.0 + 0.3 * np.sin(2 * np.pi * t / 1.7)
    (tmp_path / "flux.csv").write_text("time_s,relative_flux\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(t.tolist(), rel.tolist())))
    sim = Simulation(_case(tmp_path, **{"process.solar.fluctuation_file": "flux.csv"}))
    while not sim.finished:
        sim.step()
    p = sim.plan
    f = Fluctuation(t, rel)
    # the plan's power on each on-segment times the exact integral of the piecewise-linear fluctuation
    expected = sum(p.power[i] * (f.integral(p.t[i + 1]) - f.integral(p.t[i]))
                   for i in range(len(p.t) - 1) if p.on[i])
    L = sim.thermal.sync_ledger()
    assert expected != pytest.approx(p.energy(), rel=1e-3)  # the fluctuation matters here
    assert L.delivered == pytest.approx(expected, rel=1e-9)
    assert L.balance_error < 0.005


def test_collector_caps_the_plan_power_with_a_warning(ti_runtime, tmp_path):
    from regolith_sim.simulation import Simulation

    # 1361 W/m^2 x 0.01 m^2 x 0.6 = 8.166 W available < 15 W asked
    with pytest.warns(UserWarning, match="collector delivers at most 8.166 W"):
        sim = Simulation(_case(tmp_path, **{"process.solar.collector_area": "0.01 m2"}))
    for _ in range(5):
        sim.step()
    assert sim.source.power == pytest.approx(1361 * 0.01 * 0.6, rel=1e-12)


def test_sun_below_horizon_and_bad_fluctuation_file_are_one_line_errors(ti_runtime, tmp_path):
    from regolith_sim.simulation import Simulation

    with pytest.raises(UserError, match="site.local_time: .*below the horizon"):
        Simulation(_case(tmp_path, **{"site.local_time": "0 h"}))
    (tmp_path / "bad.csv").write_text("time_s,relative_flux\n0,1\n1,x\n")
    with pytest.raises(UserError, match=r"process.solar.fluctuation_file: .*bad.csv, line 3"):
        Simulation(_case(tmp_path, **{"process.solar.fluctuation_file": "bad.csv"}))
    (tmp_path / "dec.csv").write_text("0,1\n2,1\n1,1\n")
    with pytest.raises(UserError, match="time_s must increase"):
        Simulation(_case(tmp_path, **{"process.solar.fluctuation_file": "dec.csv"}))
    with pytest.raises(UserError, match=r"process.solar.fluctuation_file: fluctuation file '.*missing.csv' not found"):
        Simulation(_case(tmp_path, **{"process.solar.fluctuation_file": "missing.csv"}))
