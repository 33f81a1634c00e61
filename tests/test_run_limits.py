"""What a run says about settings it accepts but cannot serve as asked: a cell the layer thickness forces
smaller, a spot path off the domain, microwave heating too fast to follow, a divergence with evaporation off,
and an energy balance with nothing flowing."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from regolith_sim.config import load_case
from regolith_sim.errors import SimulationDiverged

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny_brick.toml"
MICROWAVE = ROOT / "examples" / "microwave_brick.toml"


HEATED_DEPTH = "heats the powder about"


def _warnings(case, depth: bool = False):
    """The set-up's warnings; the tiny case's 0.5 mm cells are coarser than the depth its spot heats, so that
    warning (tested on its own below) is left out unless ``depth``."""
    from regolith_sim.simulation.preflight import setup, setup_warnings

    return [w for w in setup_warnings(case, setup(case)) if depth or HEATED_DEPTH not in w]


def _depth_notes(case):
    """The set-up's heated-depth warnings alone."""
    return [w for w in _warnings(case, depth=True) if HEATED_DEPTH in w]


def test_a_top_cell_deeper_than_the_heated_skin_is_reported():
    """sqrt(alpha d / v) (Carslaw & Jaeger 1959, Sec. 2.9) with the powder's diffusivity at the solidus, from the
    material's own laws: the tiny case's 2 mm spot at 5 mm/s heats LHS-1 powder about 0.26 mm deep, less than its
    0.5 mm cells; at resolution 2 (0.25 mm) the peak is resolved but what consolidates is not (it settles below half
    the heated depth: the demo at 0.69, 0.46 and 0.35 of it), and at resolution 4 (0.125 mm) the warning goes."""
    from regolith_sim.materials import get_material
    from regolith_sim.simulation.preflight import heated_depth

    m = get_material("LHS-1")
    T, rho0 = np.array([m.solidus_K]), m.powder_relative_density
    alpha = m.conductivity(T, np.array([rho0]))[0] / (m.particle_density * rho0 * m.cp(T)[0])
    assert heated_depth(m, 2e-3, 5e-3) == pytest.approx(math.sqrt(alpha * 2e-3 / 5e-3), rel=1e-12)
    assert 0.25e-3 < heated_depth(m, 2e-3, 5e-3) < 0.5e-3
    lines = _depth_notes(load_case(TINY))
    assert len(lines) == 1 and lines[0].startswith("solver.cell_size: a 2 mm spot at 5 mm/s")
    assert "0.5 mm top cell" in lines[0] and "cells of at most 0.26 mm resolve it and of 0.13 mm settle" in lines[0]
    lines = _warnings(load_case(TINY, **{"solver.resolution": 2}), depth=True)
    assert len(lines) == 1 and "0.25 mm top cell averages that over 0.97 of it" in lines[0]
    assert "the peak has converged" in lines[0] and "cells of at most 0.13 mm settle it" in lines[0]
    assert not _warnings(load_case(TINY, **{"solver.resolution": 4}), depth=True)


def test_cells_that_settle_what_consolidates_but_not_the_bonding_between_layers_are_reported():
    """The demo (0.5 mm layers under a 3 mm spot at 2.5 mm/s, which heats JSC-1A powder about 0.36 mm deep): at three
    cells per layer (0.17 mm, 0.46 of that depth) what consolidates has settled but the bonded area between layers has
    not (it fell from 28 % to 14 % at four cells, docs/outcomes.md): the note says so and what settles it; at four
    cells (0.125 mm, 0.35 of it) it goes, and a part of one layer on the same cells has no layers to bond."""
    demo = ROOT / "examples" / "change8_brick.toml"
    lines = _depth_notes(load_case(demo))
    assert len(lines) == 1 and "0.1667 mm top cell averages that over 0.46 of it" in lines[0]
    assert "what consolidates have converged, the bonding between layers has not" in lines[0]
    assert "cells of at most 0.13 mm settle it" in lines[0]
    assert not _depth_notes(load_case(demo, **{"solver.resolution": 4}))
    one_layer = load_case(demo, **{"geometry.params.height": 1e-3, "process.layer_thickness": 1e-3,
                                   "output.probes": []})
    assert not _depth_notes(one_layer)
    # on cells of 0.25 mm the note names both limits
    lines = _depth_notes(load_case(demo, **{"solver.resolution": 2}))
    assert len(lines) == 1 and "settle it, and of 0.13 mm the bonding between layers" in lines[0]


def test_a_power_too_weak_to_reach_the_sintering_onset_is_reported_with_what_it_takes():
    """'30 mW' for '30 W' passed silently. The estimate is the lower of the steady centre temperature of a spot held
    still with conduction into the bed alone (a disc of radius a at absorbed flux q: T0 + q a / k, Carslaw & Jaeger
    1959) and with radiation alone (eps sigma (T^4 - T_sky^4) = q); below the sintering onset a warning names the
    power and the least that reaches it."""
    import re

    from regolith_sim.simulation.preflight import setup, spot_temperature_bound

    # textbook material, k = 1 W/(m K), a 2 mm top-hat 50 % absorbed on a bed at 300 K, radiation off: q a / k exactly
    case = load_case(TINY, **{"material.name": "textbook-constant", "material.overrides": {"optical.emissivity": 0.0},
                              "process.profile": "top-hat", "process.absorptivity": 0.5,
                              "site.initial_temperature": 300.0})
    a, su = 1e-3, setup(case)
    T, needed = spot_temperature_bound(case, su, 1.0, 4000.0)
    assert T == pytest.approx(300.0 + 0.5 * 1.0 / (math.pi * a * a) * a / 1.0, rel=1e-9)
    assert needed == pytest.approx((4000.0 - 300.0) * math.pi * a / 0.5, rel=1e-9)
    # a black body conducting 100 times less: radiation alone holds it lower, sigma (T^4 - T_sky^4) = q
    case = load_case(TINY, **{"material.name": "textbook-constant",
                              "material.overrides": {"conductivity.constant_W_mK": 0.01}, "process.profile": "top-hat",
                              "process.absorptivity": 0.5, "site.initial_temperature": 300.0})
    T, _ = spot_temperature_bound(case, setup(case), 1.0, 4000.0)
    assert T == pytest.approx((0.5 / (math.pi * a * a) / 5.670374419e-8 + 3.0 ** 4) ** 0.25, rel=1e-9)

    lines = _warnings(load_case(TINY, **{"process.power": "30 mW"}))
    assert len(lines) == 1 and lines[0].startswith("process.power = 0.03 W on a 2 mm spot, 60 % absorbed, brings LHS-1")
    assert "below its sintering onset, 981 K: nothing consolidates" in lines[0]
    least = float(re.search(r"takes at least about ([0-9.e+-]+) W", lines[0]).group(1))
    assert 0.03 < least < 16.0  # the tiny case's own 16 W sinters
    assert _warnings(load_case(TINY, **{"process.power": 0.9 * least}))
    assert not _warnings(load_case(TINY, **{"process.power": 1.1 * least}))
    assert not _warnings(load_case(MICROWAVE, **{"process.power": "30 mW"}))  # heats the volume: no surface spot


def test_a_cell_thicker_than_a_layer_is_reported_with_the_cell_used():
    case = load_case(TINY, **{"process.layer_thickness": "0.1 mm", "solver.cell_size": "1 mm"})
    lines = _warnings(case)
    assert len(lines) == 1 and "1 mm asked, 0.1 mm used" in lines[0] and "1e+03x the cells" in lines[0]
    assert not _warnings(load_case(TINY))


def test_more_layers_than_the_part_has_are_reported():
    # the tiny brick is one 1 mm layer: asking for 50 prints that one; asking for 1 says nothing
    lines = _warnings(load_case(TINY, **{"process.layers": 50}))
    assert len(lines) == 1 and "process.layers = 50" in lines[0] and "only 1 layer of 1 mm" in lines[0]
    assert not _warnings(load_case(TINY, **{"process.layers": 1}))


def test_a_spot_the_cells_do_not_resolve_is_reported_with_the_peak_flux_it_keeps():
    from regolith_sim.thermal.sources import centre_cell_share

    # The cell under a gaussian's centre averages exp(-2 r^2 / w^2) over a square of side dx: per axis
    # sqrt(pi/8) (w/a) erf(sqrt(2) a/w), a = dx/2; over 2 cells of the 1/e^2 diameter (w = dx) 0.8556^2 = 0.732.
    a_over_w = 0.5
    per_axis = np.sqrt(np.pi / 8) / a_over_w * math.erf(np.sqrt(2) * a_over_w)
    assert centre_cell_share("gaussian", 2e-3, 1e-3) == pytest.approx(per_axis ** 2, rel=1e-4)
    assert centre_cell_share("top-hat", 2e-3, 1e-3) == 1.0  # the centre cell lies inside the disc
    assert centre_cell_share("top-hat", 1e-3, 1e-3) == pytest.approx(np.pi / 4, rel=1e-3)
    lines = _warnings(load_case(TINY, **{"process.spot_diameter": "1 mm", "process.hatch_spacing": "1 mm"}))
    assert len(lines) == 1 and "spans 2 cells of 0.5 mm" in lines[0] and "73 % of its peak flux" in lines[0]
    assert "at most 0.25 mm" in lines[0]
    # refined to 4 cells across the spot, the warning goes (0.92 of the peak)
    assert not _warnings(load_case(TINY, **{"process.spot_diameter": "1 mm", "process.hatch_spacing": "1 mm",
                                            "solver.resolution": 2}))


def test_a_spot_path_off_the_domain_is_reported_with_the_energy_lost(tmp_path):
    plan = tmp_path / "far.csv"
    plan.write_text("t_s,x_m,y_m,z_m,power_W\n0,0,0.002,0.0005,20\n0.5,5.0,0.002,0.0005,20\n"
                    "1.0,0.006,0.002,0.0005,0\n")
    case = load_case(TINY, **{"process.plan_file": str(plan), "process.power": "20 W"})
    lines = _warnings(case)
    assert len(lines) == 1 and "outside the domain" in lines[0]
    # 20 W for 1 s, out to x = 5 m and back: every point the check samples on both segments lies off the domain
    assert "20 J of the 20 J it delivers" in lines[0]


def test_microwave_heating_too_fast_to_follow_stops_with_the_setting_to_lower(ti_runtime):
    from regolith_sim.simulation.simulation import Simulation

    case = load_case(MICROWAVE, **{"process.power": "1 MW", "solver.mechanics": "off"})
    sim = Simulation(case)
    with pytest.raises(SimulationDiverged, match="too fast to follow.*lower process.power = 1e"):
        sim.advance(1.0, progress=False)
    assert sim.thermal.time < 0.1   # stopped at once, not after hours


def test_a_divergence_with_evaporation_off_says_nothing_holds_the_melt(ti_runtime):
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables
    from regolith_sim.verification.cases import constant_material

    g = Grid((2, 2, 4), 1e-3, (0.0, 0.0, 0.0))
    s = ThermalSolver(g, ThermalTables.from_material(constant_material(1.0, 2000.0, 1000.0), rho_rel0=1.0),
                      Boundary(T_sky=0.0))
    s.fill_region(np.ones(g.shape, bool), 500.0, 1.0)
    with pytest.raises(SimulationDiverged, match="evaporation is not modelled in this run"):
        s.check_health(400.0)


def test_a_cell_driven_to_the_tables_floor_stops_the_run(ti_runtime):
    """A cell that loses more heat than it holds (here an explicit step 20x past its limit) is clamped at the
    3 K floor of the property tables: the health check stops the run there and says so (it ran on with such cells
    before: a checkerboard of 3 K cells beside cells 900 K hotter, the step then held at 13 us by their bound)."""
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables
    from regolith_sim.verification.cases import constant_material

    g = Grid((6, 6, 6), 1e-3, (0.0, 0.0, 0.0))
    s = ThermalSolver(g, ThermalTables.from_material(constant_material(1.0, 2000.0, 1000.0), rho_rel0=1.0),
                      Boundary(T_sky=300.0))
    s.fill_region(np.ones(g.shape, bool), 300.0, 1.0)
    hot = np.zeros(g.shape, bool)
    hot[3, 3, 2] = True
    s.fill_region(hot, 1000.0, 1.0)
    s.check_health(4000.0)  # a healthy field passes
    s.step(20.0 * s.stable_dt(0.9))
    assert s.field("T").max() < 4000.0  # nothing above the limit: the floor alone stops it
    with pytest.raises(SimulationDiverged, match=r"T = 3 K, the floor of the property tables.* in cell \(\d, \d, \d\)"
                                                 r".*time step above the stability limit") as err:
        s.check_health(4000.0)
    assert "boiling point" not in str(err.value)  # (the note on evaporation is for a melt running hot)


def test_a_stop_on_a_user_limit_below_the_boiling_point_names_the_limit(ti_runtime):
    """With evaporation a melt can reach its boiling point (~3,000 K in vacuum): a run stopped at a
    solver.max_temperature of 2,200 K hit the user's limit, not an unstable step, which the message said."""
    from regolith_sim.materials import get_material
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables
    from regolith_sim.thermal.evaporation import evaporation_for

    jsc = get_material("JSC-1A")
    ev = evaporation_for(jsc, 0.0, None)
    g = Grid((2, 2, 4), 1e-3, (0.0, 0.0, 0.0))
    s = ThermalSolver(g, ThermalTables.from_material(jsc, rho_rel0=1.0), Boundary(T_sky=3.0, evaporation=ev))
    s.fill_region(np.ones(g.shape, bool), 2500.0, 1.0)
    with pytest.raises(SimulationDiverged, match=r"solver.max_temperature = 2200 K, below what the melt can reach "
                                                 r"\(3013 K") as err:
        s.check_health(2200.0)
    assert max(ev.boiling_points()) == pytest.approx(3013.5, abs=0.5)
    assert "time step" not in str(err.value)


def test_balance_of_a_run_with_nothing_flowing_is_its_round_off():
    """No heat in or out (a spot that never reached the domain): the residual is round-off of the stored enthalpy,
    not 100 % of it."""
    from regolith_sim.thermal.solver import EnergyLedger

    L = EnergyLedger(delivered=20.0, added=3.0e3, stored=3.0e3 + 7e-13)
    assert L.balance_error < 1e-8
    L = EnergyLedger(absorbed=10.0, added=3.0e3, stored=3.0e3 + 9.0)  # a real imbalance is still one
    assert L.balance_error == pytest.approx(0.1)


def test_a_spot_whose_edge_hangs_over_the_domain_is_reported_with_the_share_lost(tmp_path):
    from regolith_sim.simulation.preflight import setup
    from regolith_sim.thermal.sources import share_on_rectangle

    # A gaussian of 1/e^2 radius w lands erf-shaped on a half-plane: share 0.5 (1 + erf(sqrt(2) a / w)) for its
    # centre a inside the edge; on a rectangle the product of the two axes' (the profile separates).
    w, a = 1e-3, 0.5e-3
    inside = 0.5 * (1.0 + math.erf(np.sqrt(2.0) * a / w))
    rect = (0.0, 1.0, -1.0, 1.0)
    assert share_on_rectangle("gaussian", 2 * w, a, 0.0, rect) == pytest.approx(inside, rel=2e-4)
    assert share_on_rectangle("gaussian", 2 * w, a, 1.0 - a, (0.0, 1.0, 0.0, 1.0)) == pytest.approx(inside ** 2,
                                                                                                     rel=4e-4)
    # a top-hat (a disc of radius w) with its centre on the edge: half of it
    assert share_on_rectangle("top-hat", 2 * w, 0.0, 0.0, rect) == pytest.approx(0.5, rel=1e-3)
    assert share_on_rectangle("top-hat", 2 * w, 2 * w, 0.0, rect) == pytest.approx(1.0, rel=1e-12)
    # A track along the domain's edge, spot centre on it: half its energy falls outside, which sampling the centre
    # alone (inside, on the edge) missed.
    case = load_case(TINY)
    g = setup(case).domain.grid
    (x0, y0, _), (lx, _, _) = g.origin, g.extent
    d = case.process.spot_diameter
    plan = tmp_path / "edge.csv"
    plan.write_text(f"t_s,x_m,y_m,z_m,power_W\n0,{x0 + d},{y0},0.0005,20\n1.0,{x0 + lx - d},{y0},0.0005,0\n")
    lines = _warnings(load_case(TINY, **{"process.plan_file": str(plan), "process.power": "20 W"}))
    assert len(lines) == 1 and "outside the domain" in lines[0] and "10 J of the 20 J it delivers" in lines[0]
    # moved in by two radii (the deposit's whole box), the track keeps all of it
    plan.write_text(f"t_s,x_m,y_m,z_m,power_W\n0,{x0 + d},{y0 + d},0.0005,20\n1.0,{x0 + lx - d},{y0 + d},0.0005,0\n")
    assert not _warnings(load_case(TINY, **{"process.plan_file": str(plan), "process.power": "20 W"}))


def test_a_drilled_through_column_names_what_sets_the_heating(ti_runtime):
    """A run that boiled through a column stops naming the setting that heats: the power on its spot, or a fixed-
    field microwave applicator's field strength (the power there only times the magnetron)."""
    from regolith_sim.simulation.simulation import Simulation

    over = {"process.microwave": {"applicator": "fixed-field", "field_strength": 1e5}, "solver.mechanics": "off"}
    for case, setting in ((load_case(MICROWAVE, **over), "lower process.microwave.field_strength"),
                          (load_case(TINY), "lower process.power")):
        sim = Simulation(case)
        sim.thermal.boiled_through = lambda: 1
        with pytest.raises(SimulationDiverged, match=setting):
            sim._stop_if_boiled_through()
