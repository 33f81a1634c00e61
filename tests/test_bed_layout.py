"""Several parts on one bed (`[[geometry.parts]]`): placement, the layout check, the plan of the whole
bed, its voxels, the CLI and one coarse print.

Hand rules as in tests/test_planning.py: a raster layer of an L x W brick with hatch h has
floor(W/h + 1/2) tracks, each L - h long (h/2 short of both ends).
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from regolith_sim.config import load_case
from regolith_sim.errors import ConfigError, UserError
from regolith_sim.planning import make_plan, voxelize
from regolith_sim.simulation import build_part, build_parts

MM = 1e-3
L, W, H = 8 * MM, 5 * MM, 1 * MM
HATCH = 2 * MM
GAP_OFFSET = 11 * MM  # the second brick's x offset: a 3 mm gap
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "two_bricks_one_bed.toml"
BRICK = {"part": "brick", "params": {"length": "8 mm", "width": "5 mm", "height": "1 mm"}}
PROCESS = {"power": "20 W", "spot_diameter": "3 mm", "scan_speed": "4 mm/s", "layer_thickness": "0.5 mm",
           "hatch_spacing": "2 mm", "strategy": "raster", "dwell": "1 s"}


def bed_case(*offsets, geometry_extra=None, **entry):
    parts = [{**BRICK, **entry, "offset": list(o)} for o in offsets]
    return load_case({"geometry": {"parts": parts, **(geometry_extra or {})}, "process": PROCESS})


def layer_scan_length(plan, k):
    idx = plan.layer_segments(k)
    return float(plan.segment_lengths()[idx[plan.on[idx]]].sum())


def test_parts_are_placed_at_their_offsets_standing_on_the_bed():
    parts = build_parts(bed_case((0, 0), ("11 mm", "2 mm")))
    assert len(parts) == 2
    np.testing.assert_allclose(parts[0].bounds, [[0, 0, 0], [L, W, H]], atol=1e-15)
    np.testing.assert_allclose(parts[1].bounds, [[GAP_OFFSET, 2 * MM, 0], [GAP_OFFSET + L, 2 * MM + W, H]],
                               atol=1e-15)
    # orientation first, then the footprint's minimum corner goes to the offset: a brick turned 90 deg
    # about z has its 8 mm side along y
    turned = build_parts(bed_case(("3 mm", "4 mm"), orientation=[0, 0, "90 deg"]))[0]
    np.testing.assert_allclose(turned.bounds, [[3 * MM, 4 * MM, 0], [3 * MM + W, 4 * MM + L, H]], atol=1e-15)
    # the single-part form is one part at the origin, the same mesh as build_part
    single = load_case({"geometry": BRICK, "process": PROCESS})
    (only,) = build_parts(single)
    np.testing.assert_allclose(only.bounds, [[0, 0, 0], [L, W, H]], atol=1e-15)
    assert np.array_equal(build_part(single).vertices, only.vertices)


def test_two_bricks_plan_twice_one_brick_and_scan_both_footprints():
    one = make_plan(build_parts(bed_case((0, 0))), load_case({"process": PROCESS}).process)
    case = bed_case((0, 0), ("11 mm", 0))
    plan = make_plan(build_parts(case), case.process)
    n_tracks = math.floor(W / HATCH + 0.5)
    assert n_tracks == 3
    per_brick = n_tracks * (L - HATCH)  # 3 x 6 mm per layer
    assert plan.n_layers == one.n_layers == 2
    for k in range(2):
        assert layer_scan_length(one, k) == pytest.approx(per_brick, rel=1e-9)
        assert layer_scan_length(plan, k) == pytest.approx(2 * per_brick, rel=1e-9)
        idx = plan.layer_segments(k)
        idx = idx[plan.on[idx]]
        x = np.concatenate([plan.x[idx], plan.x[idx + 1]])
        # tracks stop h/2 inside each brick's ends; none lies in the gap between the bricks
        assert x.min() == pytest.approx(HATCH / 2, abs=1e-12)
        assert x.max() == pytest.approx(GAP_OFFSET + L - HATCH / 2, abs=1e-12)
        assert not np.any((x > L) & (x < GAP_OFFSET))
        assert np.any(x < L) and np.any(x > GAP_OFFSET)
    assert plan.path_length() == pytest.approx(2 * 2 * per_brick, rel=1e-9)
    assert plan.energy() == pytest.approx(2 * one.energy(), rel=1e-9)
    assert plan.warnings == []


def test_voxelised_union_has_the_volume_of_the_parts():
    tile = {"part": "landing-pad-tile", "params": {"edge_length": "20 mm", "thickness": "3 mm",
                                                   "key_width": "5 mm", "key_depth": "3 mm",
                                                   "clearance": "0.5 mm"}}
    case = load_case({"geometry": {"parts": [{**BRICK, "offset": [0, 0]}, {**tile, "offset": ["12 mm", 0]}]},
                      "process": PROCESS})
    parts = build_parts(case)
    union = build_part(case)
    assert union.is_watertight and len(union.faces) == sum(len(p.faces) for p in parts)
    occ, origin, cell = voxelize(union, 0.25 * MM)
    # same tolerance as tests/test_planning.py::test_voxelised_volumes
    assert occ.sum() * cell**3 == pytest.approx(sum(p.volume for p in parts), rel=0.02)


def test_footprints_are_exact_shadows_so_a_brick_fits_in_a_ring(tmp_path):
    # a ring (r 6..10 mm) drawn in mm as an STL file; its offset puts the centre at (10, 10) mm
    ring = trimesh.creation.annulus(r_min=6, r_max=10, height=2, sections=64)
    ring.export(tmp_path / "ring.stl")
    small = {"part": "brick", "params": {"length": "3 mm", "width": "3 mm", "height": "1 mm"}}
    geometry = {"parts": [{"file": "ring.stl", "scale": 0.001, "offset": [0, 0]},
                          {**small, "offset": ["8.5 mm", "8.5 mm"]}]}
    case = load_case({"geometry": geometry, "process": PROCESS})
    case._base_dir = tmp_path
    parts = build_parts(case)  # inside the hole: the convex hulls overlap, the shadows do not
    assert parts[1].bounds[0, :2] == pytest.approx([8.5 * MM, 8.5 * MM], abs=1e-15)
    geometry["parts"][1]["offset"] = ["15 mm", "8.5 mm"]  # x 15..18 mm cuts the ring's wall (x 16..20 mm)
    case = load_case({"geometry": geometry, "process": PROCESS})
    case._base_dir = tmp_path
    with pytest.raises(ConfigError, match=r"geometry\.parts\[0\].*geometry\.parts\[1\].*overlap"):
        build_parts(case)


def test_overlapping_or_touching_parts_are_one_line_errors():
    with pytest.raises(ConfigError) as err:
        build_parts(bed_case((0, 0), ("5 mm", 0)))
    msg = str(err.value)
    # brick 1 starts 3 mm before brick 0 ends: 3 mm x 5 mm = 15 mm^2 at x 5..8 mm
    assert "geometry.parts[0]" in msg and "geometry.parts[1]" in msg and "\n" not in msg
    assert "overlap by 15 mm^2 (x 5..8 mm, y 0..5 mm)" in msg
    with pytest.raises(ConfigError, match=r"geometry\.parts\[0\].*geometry\.parts\[2\].*touch"):
        build_parts(bed_case((0, 0), ("0 mm", "10 mm"), ("8 mm", 0)))


def test_parts_and_single_part_keys_are_exclusive():
    with pytest.raises(ConfigError, match=r"geometry\.parts or the single-part keys.*geometry\.part\b"):
        bed_case((0, 0), geometry_extra={"part": "brick"})
    with pytest.raises(ConfigError, match=r"geometry\.params"):
        bed_case((0, 0), geometry_extra={"params": {"length": 0.01}})
    with pytest.raises(ConfigError, match=r"^geometry: parts = \[\] lists no part"):
        load_case({"geometry": {"parts": []}})
    with pytest.raises(ConfigError, match=r"geometry\.parts\.0\.offset\.0 = '3 kg'"):
        bed_case(("3 kg", 0))


def test_a_bad_part_parameter_names_its_entry():
    case = load_case({"geometry": {"parts": [{**BRICK, "offset": [0, 0]},
                                             {"part": "brick", "params": {"length": "-1 mm"}, "offset": [0.02, 0]}]},
                      "process": PROCESS})
    with pytest.raises(UserError) as err:
        build_parts(case)
    assert err.value.key == "geometry.parts[1].params.length"


def test_plan_cli_on_the_example(tmp_path):
    run = subprocess.run([sys.executable, "-m", "regolith_sim", "plan", str(EXAMPLE), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    budget = json.loads(run.stdout[: run.stdout.rindex("}") + 1])
    # 2 layers x 2 bricks x 5 tracks x 7 mm at 4 mm/s (the example hatches at 1 mm; printed to 6 digits)
    assert budget["scan_time_s"] == pytest.approx(2 * 2 * 5 * 7 / 4, rel=1e-6)
    assert (tmp_path / "events.csv").is_file() and len(list((tmp_path / "layers").glob("*.png"))) == 2
    assert "warning" not in run.stderr


def test_check_cli_finds_overlapping_parts_before_a_run(tmp_path):
    bad = tmp_path / "overlap.toml"
    bad.write_text(EXAMPLE.read_text().replace('offset = ["11 mm", "0 mm"]', 'offset = ["5 mm", "0 mm"]'))
    ok = subprocess.run([sys.executable, "-m", "regolith_sim", "check", str(EXAMPLE)], capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0 and "2 part(s) on the bed" in ok.stdout, ok.stderr
    run = subprocess.run([sys.executable, "-m", "regolith_sim", "check", str(bad)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 2
    assert "geometry.parts[0]" in run.stderr and "overlap by 15 mm^2" in run.stderr
    assert "Traceback" not in run.stderr


def test_two_bricks_print_and_both_consolidate(ti_runtime, tmp_path):
    from scipy import ndimage

    from regolith_sim.materials import get_material
    from regolith_sim.simulation import run_job

    case = load_case(EXAMPLE, **{"solver.cooldown": "1 s", "output.plots": False, "output.render": False,
                                 "output.mesh_formats": ["stl"]})
    result, files = run_job(case, tmp_path)
    s = result.summary
    assert s["part"]["count"] == 2
    # the example hatches at 1 mm: 5 tracks of 8 - 1 = 7 mm per brick and layer; the source is on only along
    # the tracks: 20 W x (2 layers x 2 bricks x 5 x 7 mm) / 4 mm/s = 700 J
    assert s["energy"]["delivered_J"] == pytest.approx(700.0, rel=1e-9)
    assert s["energy"]["balance_error"] < 0.005
    rho0 = get_material("LHS-1").powder_relative_density
    f, grid = result.fields, result.grid
    x = grid.origin[0] + (np.arange(f["part_mask"].shape[0]) + 0.5) * grid.dx
    for lo, hi in ((0.0, L), (GAP_OFFSET, GAP_OFFSET + L)):
        in_part = f["part_mask"] & ((x > lo) & (x < hi))[:, None, None]
        assert in_part.sum() == pytest.approx(L * W * H / grid.dx**3, rel=1e-9)  # 16 x 10 x 2 cells
        # each brick densifies: well above the spread powder's density, with sintered cells
        assert f["rho_rel"][in_part].mean() > rho0 + 0.05
        # a brick, not strips: most of it consolidated, as one connected body (issue 18: 35 %, 3 strips)
        assert np.mean(f["state"][in_part] >= 2) > 0.7
        assert ndimage.label((f["state"] >= 2) & in_part)[1] == 1
    assert json.loads((tmp_path / "summary.json").read_text())["part"]["count"] == 2
