"""Parametric parts library: closed-form volumes, fits, shielding, errors and file round trips.

Tolerances: parts made of planar faces (bricks, tiles) must match their closed forms to
round-off (rel 1e-9; 1e-7 for outlines snapped to the 1 nm grid). Curved parts are
tessellated: the tolerance says which discretisation error it covers.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import trimesh
from scipy.optimize import brentq

import geometries
from geometries.solids import to_manifold
from regolith_sim.errors import UserError

RHO = 1800.0  # kg/m^3, a sintered-regolith-like density for the shielding checks


def overlap_volume(a: trimesh.Trimesh, b: trimesh.Trimesh) -> float:
    """Volume (m^3) common to two solids."""
    return (to_manifold(a) ^ to_manifold(b)).volume()


# --------------------------------------------------------------------------- registry


def test_registry_lists_the_six_parts_with_documented_params():
    assert set(geometries.list_parts()) >= {"brick", "interlocking-brick", "arch-segment", "dome-habitat",
                                            "cylinder-habitat", "landing-pad-tile"}
    for name in geometries.list_parts():
        assert geometries.PARTS[name].name == name
        for p in geometries.part_params(name):
            d = p.as_dict()
            assert set(d) == {"name", "default", "unit", "min", "max", "description"}
            assert d["min"] <= d["default"] <= d["max"], (name, d)
            assert d["description"]
            if p.kind == "length":
                assert d["unit"] == "m"
            if p.kind == "angle":
                assert d["unit"] == "deg"


def test_strings_with_units_equal_si_numbers():
    a = geometries.build("brick", length="40 mm", width="2 cm", height="0.01 m")
    b = geometries.build("brick", length=0.04, width=0.02, height=0.01)
    assert geometries.volume(a) == pytest.approx(geometries.volume(b), rel=1e-12)
    # angles are stored in degrees; radians convert
    v = geometries.resolve_params("cylinder-habitat", slope_angle="0.6 rad")
    assert v["slope_angle"] == pytest.approx(math.degrees(0.6), rel=1e-12)
    # underscores and case in the part name are forgiven
    assert geometries.build("Interlocking_Brick").is_volume


# --------------------------------------------------------------------------- bricks


@pytest.mark.parametrize("l, w, h", [(0.04, 0.02, 0.01), (0.24, 0.115, 0.053), (0.001, 2.0, 0.3)])
def test_brick_volume_is_l_w_h(l, w, h):
    mesh = geometries.build("brick", length=l, width=w, height=h)
    assert mesh.is_watertight and mesh.is_volume
    assert geometries.volume(mesh) == pytest.approx(l * w * h, rel=1e-9)
    assert mesh.bounds[0][2] == pytest.approx(0.0, abs=1e-15)  # bottom on z = 0


INTERLOCK_CASES = [{}, {"clearance": 0.0}, {"length": "60 mm", "tenon_length": "30 mm", "tenon_height": "6 mm",
                                            "clearance": "0.5 mm"}]


@pytest.mark.parametrize("given", INTERLOCK_CASES)
def test_interlocking_brick_volume_is_body_plus_tenon_minus_mortise(given):
    v = geometries.resolve_params("interlocking-brick", **given)
    mesh = geometries.build("interlocking-brick", **given)
    c = v["clearance"]
    body = v["length"] * v["width"] * v["height"]
    tenon = v["tenon_length"] * v["tenon_width"] * v["tenon_height"]
    mortise = (v["tenon_length"] + 2 * c) * (v["tenon_width"] + 2 * c) * (v["tenon_height"] + c)
    assert mesh.is_volume
    assert geometries.volume(mesh) == pytest.approx(body + tenon - mortise, rel=1e-9)
    # vertically through the axis: body, minus the mortise depth, plus the tenon
    chord = geometries.chord_length(mesh, (0, 0, -1), (0, 0, 1))
    assert chord == pytest.approx(v["height"] - c, rel=1e-9)


@pytest.mark.parametrize("given", INTERLOCK_CASES)
def test_stacked_interlocking_bricks_seat_without_overlap(given):
    v = geometries.resolve_params("interlocking-brick", **given)
    lower = geometries.build("interlocking-brick", **given)
    upper = lower.copy()
    upper.apply_translation((0, 0, v["height"]))
    # the tenon fills the mortise of the brick above but never cuts into it
    assert overlap_volume(lower, upper) == pytest.approx(0.0, abs=1e-12 * v["height"] ** 3)
    # ... and it really reaches in: the tenon lies inside the upper brick's envelope
    envelope = geometries.build("brick", length=v["length"], width=v["width"], height=v["height"])
    envelope.apply_translation((0, 0, v["height"]))
    tenon = v["tenon_length"] * v["tenon_width"] * v["tenon_height"]
    assert overlap_volume(lower, envelope) == pytest.approx(tenon, rel=1e-9)


# --------------------------------------------------------------------------- arch


def catenary_a(span: float, rise: float) -> float:
    """Catenary parameter solved directly in a (independent of the library's u-form)."""
    return brentq(lambda a: a * (math.cosh(span / (2 * a)) - 1) - rise, span / 200, span * 1e4, xtol=1e-15)


ARCH_CASES = [{}, {"span": 3.0, "rise": 1.0, "thickness": 0.25, "depth": 0.3, "n_segments": 7},
              {"span": "2 m", "rise": "3 m", "thickness": "15 cm", "n_segments": 12, "samples_per_segment": 8}]


@pytest.mark.parametrize("given", ARCH_CASES)
def test_arch_segments_sum_to_whole_arch_and_to_ring_integral(given):
    v = geometries.resolve_params("arch-segment", **given)
    whole = geometries.build_whole_arch(**given)
    segments = geometries.build_arch_segments(**given)
    assert len(segments) == v["n_segments"]
    assert whole.is_volume and all(s.is_volume for s in segments)
    # voussoirs share their joint vertices with the ring: exact sum up to round-off
    assert sum(geometries.volume(s) for s in segments) == pytest.approx(geometries.volume(whole), rel=1e-9)
    a = catenary_a(v["span"], v["rise"])
    arc = 2 * a * math.sinh(v["span"] / (2 * a))
    # chords of the tessellated centreline shorten the ring by O((ds/a)^2): 1 % covers it
    expected = v["thickness"] * v["depth"] * arc
    assert geometries.volume(whole) == pytest.approx(expected, rel=0.01)
    # crown extrados at rise + thickness/2 (a centreline sample lies on the crown)
    if v["n_segments"] * v["samples_per_segment"] % 2 == 0:
        assert whole.bounds[1][2] == pytest.approx(v["rise"] + v["thickness"] / 2, rel=1e-9)
    # the structure needs exactly n voussoirs (largest one >= mean, so no spare is counted)
    largest = max(segments, key=geometries.volume)
    assert geometries.bricks_needed(whole, largest) == v["n_segments"]


def test_arch_joint_faces_are_normal_to_the_catenary():
    v = geometries.resolve_params("arch-segment", n_segments=5, segment_index=1)
    seg = geometries.build("arch-segment", **v)
    a = catenary_a(v["span"], v["rise"])
    arc = 2 * a * math.sinh(v["span"] / (2 * a))
    joint_area = v["thickness"] * v["depth"]
    # planar facets lying across the ring with area thickness x depth are the two joints
    joints = [(normal, area) for normal, area in zip(seg.facets_normal, seg.facets_area)
              if abs(normal[1]) < 1e-9 and area == pytest.approx(joint_area, rel=1e-9)]
    assert len(joints) == 2
    for s_joint in (arc / 5, 2 * arc / 5):
        x = a * math.asinh((s_joint - arc / 2) / a)
        slope = -math.sinh(x / a)  # dz/dx of the centreline
        tangent = np.array([1.0, 0.0, slope]) / math.hypot(1.0, slope)
        assert max(abs(normal @ tangent) for normal, _ in joints) == pytest.approx(1.0, abs=1e-9)


def test_arch_radial_areal_density_is_thickness_times_density():
    rep = geometries.part_report("arch-segment", {"segment_index": 4, "thickness": "12 cm"}, RHO)
    assert rep["areal_density_g_cm2"]["radial"] == pytest.approx(RHO * 0.12 / 10, rel=1e-9)


# --------------------------------------------------------------------------- dome


def shell_of_revolution_volume(a, c, d_in, d_out, n=200_000):
    """Volume (m^3) between two offset surfaces of a half-ellipsoid, by quadrature of pi r^2 dz."""
    theta = np.linspace(0.0, np.pi / 2, n)

    def vol(d):
        g = np.hypot(c * np.sin(theta), a * np.cos(theta))
        r = a * np.sin(theta) + d * c * np.sin(theta) / g
        z = c * np.cos(theta) + d * a * np.cos(theta) / g
        return np.pi * np.trapezoid(r**2, -z)

    return vol(d_out) - vol(d_in)


def test_dome_hemispherical_shield_volume_against_closed_form():
    v = geometries.resolve_params("dome-habitat")
    bodies = geometries.build_bodies("dome-habitat")
    assert list(bodies) == ["shield", "inner_shell", "outer_shell"]
    r_in = v["inner_radius"] + 2 * v["shell_thickness"] + v["gap"]
    r_out = r_in + v["shield_thickness"]
    # an inscribed tessellation with 128 facets around (and 32 along a quarter meridian)
    # loses (2 pi / 128)^2 / 6 + ... ~ 0.1 % of the volume; 0.2 % covers it
    expected = 4 / 3 * math.pi * (r_out**3 - r_in**3) / 2
    assert geometries.volume(bodies["shield"]) == pytest.approx(expected, rel=0.002)
    r0, r1 = v["inner_radius"], v["inner_radius"] + v["shell_thickness"]
    assert geometries.volume(bodies["inner_shell"]) == pytest.approx(2 / 3 * math.pi * (r1**3 - r0**3), rel=0.002)
    # the layers touch nowhere but at faces: no shared volume
    assert overlap_volume(bodies["shield"], bodies["outer_shell"]) == pytest.approx(0.0, abs=1e-9)
    assert overlap_volume(bodies["outer_shell"], bodies["inner_shell"]) == pytest.approx(0.0, abs=1e-9)


def test_egg_dome_shield_is_a_uniform_offset_layer():
    v = geometries.resolve_params("dome-habitat", elongation=1.6, inner_radius="3 m", shield_thickness="0.8 m")
    shield = geometries.build("dome-habitat", **v)
    assert shield.is_volume
    d_in = 2 * v["shell_thickness"] + v["gap"]
    d_out = d_in + v["shield_thickness"]
    a, c = v["inner_radius"], v["elongation"] * v["inner_radius"]
    expected = shell_of_revolution_volume(a, c, d_in, d_out)
    assert geometries.volume(shield) == pytest.approx(expected, rel=0.01)
    assert shield.bounds[1][2] == pytest.approx(c + d_out, rel=1e-9)
    # zenith: exactly the shield thickness, whatever the elongation
    zenith = geometries.shielding_areal_density(shield, RHO, (0, 0, 0), (0, 0, 1))
    assert zenith == pytest.approx(RHO * v["shield_thickness"] / 10, rel=1e-9)


def test_dome_report_gives_zenith_areal_density():
    rep = geometries.part_report("dome-habitat", {"shield_thickness": "1 m"}, "1.5 g/cm3")
    assert rep["areal_density_g_cm2"]["zenith"] == pytest.approx(1500 * 1.0 / 10, rel=1e-9)
    # for a hemisphere the 45 deg ray from the centre is radial too
    assert rep["areal_density_g_cm2"]["elevation_45deg"] == pytest.approx(150.0, rel=2e-3)
    assert rep["mass_kg"] == pytest.approx(rep["volume_m3"] * 1500, rel=1e-12)


# --------------------------------------------------------------------------- cylinder habitat


def berm_area(r, t, slope_deg, embed):
    """Cross-section (m^2) of the berm: trapezoid under the flanks + crown segment - module above ground."""
    alpha = math.radians(slope_deg)
    h, rho = r - embed, r + t
    y_tan, z_tan = rho * math.sin(alpha), h + rho * math.cos(alpha)
    y_foot = y_tan + z_tan / math.tan(alpha)
    outer = (y_foot + y_tan) * z_tan + rho**2 / 2 * (2 * alpha - math.sin(2 * alpha))
    buried = r * r * math.acos(h / r) - h * math.sqrt(r * r - h * h)
    return outer - (math.pi * r * r - buried)


@pytest.mark.parametrize("r, L, t, slope, embed", [(2.0, 6.0, 1.0, 35.0, 0.1), (1.0, 3.0, 0.3, 60.0, 0.5),
                                                   (3.0, 10.0, 2.0, 15.0, 0.01)])
def test_cylinder_berm_volume_and_thickness(r, L, t, slope, embed):
    given = dict(module_radius=r, module_length=L, berm_thickness=t, slope_angle=slope, embedment=embed)
    bodies = geometries.build_bodies("cylinder-habitat", **given)
    berm, module = bodies["berm"], bodies["module"]
    assert berm.is_volume and module.is_volume
    # 128-gon circles: area error ~ (2 pi / 128)^2 / 6 of the circles, well under 0.1 %
    assert geometries.volume(berm) == pytest.approx(berm_area(r, t, slope, embed) * L, rel=1e-3)
    assert geometries.volume(module) == pytest.approx(math.pi * r * r * L, rel=1e-3)
    # they share the module surface; the 1 nm snapping of the outline leaves only round-off
    assert overlap_volume(berm, module) == pytest.approx(0.0, abs=1e-9 * geometries.volume(berm))
    h = r - embed
    axis = (0.0, 0.0, h)
    assert geometries.chord_length(berm, axis, (0, 0, 1)) == pytest.approx(t, rel=1e-9)
    # sideways from the axis the ray leaves through the flank (below the tangent point)
    alpha = math.radians(slope)
    y_foot = (r + t) * math.sin(alpha) + (h + (r + t) * math.cos(alpha)) / math.tan(alpha)
    side = y_foot - h / math.tan(alpha) - r
    assert geometries.chord_length(berm, axis, (0, 1, 0)) == pytest.approx(side, rel=1e-3)


# --------------------------------------------------------------------------- landing-pad tile


def tile_volume(v):
    n, a = v["sides"], v["edge_length"]
    area = n * a * a / (4 * math.tan(math.pi / n))
    if v["interlock"]:
        k, d, c = v["key_width"], v["key_depth"], v["clearance"]
        slope = math.tan(math.radians(v["dovetail_angle"]))
        tab = d * (k + d * slope)
        notch = (d + c) * (k + 2 * c + (d + c) * slope)
        area += n / 2 * (tab - notch)  # half of the edges carry tabs, the other half notches
    return area * v["thickness"]


TILE_CASES = [{}, {"interlock": False}, {"sides": 4}, {"sides": 4, "dovetail_angle": 0, "clearance": 0},
              {"edge_length": "30 cm", "thickness": "3 cm", "key_width": "6 cm", "key_depth": "4 cm",
               "dovetail_angle": "0.4 rad"}]


@pytest.mark.parametrize("given", TILE_CASES)
def test_tile_volume_against_closed_form(given):
    v = geometries.resolve_params("landing-pad-tile", **given)
    mesh = geometries.build("landing-pad-tile", **given)
    assert mesh.is_volume
    assert geometries.volume(mesh) == pytest.approx(tile_volume(v), rel=1e-7)
    assert geometries.chord_length(mesh, (0, 0, -1), (0, 0, 1)) == pytest.approx(v["thickness"], rel=1e-9)


@pytest.mark.parametrize("given", [{}, {"sides": 4}, {"clearance": 0.0}])
def test_neighbour_tiles_interlock_without_overlap(given):
    v = geometries.resolve_params("landing-pad-tile", **given)
    n, a, t = v["sides"], v["edge_length"], v["thickness"]
    tile = geometries.build("landing-pad-tile", **v)
    apothem = a / (2 * math.tan(math.pi / n))
    for k in range(n):  # the neighbour across every edge
        theta = 2 * math.pi * k / n
        other = tile.copy()
        other.apply_translation((2 * apothem * math.cos(theta), 2 * apothem * math.sin(theta), 0))
        # faces touch; snapping outlines to 1 nm may leave a sliver of 1 nm x perimeter x t
        assert overlap_volume(tile, other) == pytest.approx(0.0, abs=1e-9 * n * a * t)
    # the tab on edge 0 does reach across the edge into the neighbour's plain outline
    plain = geometries.build("landing-pad-tile", **{**v, "interlock": False})
    plain.apply_translation((2 * apothem, 0, 0))
    slope = math.tan(math.radians(v["dovetail_angle"]))
    tab = v["key_depth"] * (v["key_width"] + v["key_depth"] * slope) * t
    assert overlap_volume(tile, plain) == pytest.approx(tab, rel=1e-6)


# --------------------------------------------------------------------------- watertight sweep

SWEEP = [
    ("brick", {"length": "1 mm", "width": "1 mm", "height": "1 mm"}),
    ("interlocking-brick", {"length": 0.1, "width": 0.05, "height": 0.03, "tenon_length": 0.07,
                            "tenon_width": 0.03, "tenon_height": 0.02, "clearance": 0.001}),
    ("arch-segment", {"n_segments": 1, "samples_per_segment": 2}),
    ("arch-segment", {"span": 10, "rise": 0.5, "thickness": 0.5, "n_segments": 40, "segment_index": 39}),
    ("dome-habitat", {"elongation": 0.5, "gap": 0, "segments": 16}),
    ("dome-habitat", {"elongation": 2.5, "inner_radius": 0.1, "shield_thickness": 5, "segments": 48}),
    ("cylinder-habitat", {"embedment": 1.0, "slope_angle": 60, "segments": 16}),
    ("landing-pad-tile", {"sides": 4, "dovetail_angle": 30, "key_depth": 0.09, "key_width": 0.01}),
]


@pytest.mark.parametrize("name", sorted(geometries.PARTS))
def test_every_part_is_a_closed_solid_at_defaults(name):
    for mesh in geometries.build_bodies(name).values():
        assert mesh.is_watertight and mesh.is_winding_consistent and mesh.is_volume
        assert mesh.volume > 0


@pytest.mark.parametrize("name, given", SWEEP)
def test_parts_stay_closed_solids_across_parameters(name, given):
    for mesh in geometries.build_bodies(name, **given).values():
        assert mesh.is_watertight and mesh.is_volume
        assert len(mesh.split(only_watertight=False)) == 1  # one body, no loose pieces


# --------------------------------------------------------------------------- shielding & bricks


def test_slab_areal_density_is_rho_t_over_ten():
    t = 0.37
    slab = geometries.build("brick", length=2.0, width=2.0, height=t)
    assert geometries.shielding_areal_density(slab, RHO, (0.3, -0.2, -5.0), (0, 0, 1)) == pytest.approx(
        RHO * t / 10, rel=1e-12)
    # oblique at 60 deg from the normal: path t / cos(60 deg)
    d = (math.sin(math.radians(60)), 0.0, math.cos(math.radians(60)))
    assert geometries.shielding_areal_density(slab, RHO, (-0.5, 0.0, -0.1), d) == pytest.approx(
        RHO * 2 * t / 10, rel=1e-9)
    # starting inside the slab counts only what lies ahead
    assert geometries.shielding_areal_density(slab, "1.8 g/cm3", (0, 0, 0.1), (0, 0, 1)) == pytest.approx(
        RHO * (t - 0.1) / 10, rel=1e-9)
    # a ray that misses, and one pointing away
    assert geometries.shielding_areal_density(slab, RHO, (5.0, 0, -1), (0, 0, 1)) == 0.0
    assert geometries.shielding_areal_density(slab, RHO, (0, 0, -1), (0, 0, -1)) == 0.0


def test_bricks_needed_rule():
    brick = geometries.build("brick")  # 40 x 20 x 10 mm
    wall = geometries.build("brick", length=0.4, width=0.04, height=0.01)  # 10 x 2 bricks
    assert geometries.bricks_needed(wall, brick) == 20
    assert geometries.bricks_needed(wall, brick, joint_fraction=0.1) == 18
    longer = geometries.build("brick", length=0.41, width=0.04, height=0.01)  # 20.5 bricks
    assert geometries.bricks_needed(longer, brick) == 21
    assert geometries.bricks_needed(1.0, 0.3) == 4
    with pytest.raises(UserError, match="joint_fraction"):
        geometries.bricks_needed(wall, brick, joint_fraction=1.0)


def test_mass_is_volume_times_density():
    brick = geometries.build("brick")
    assert geometries.mass(brick, 2000) == pytest.approx(8e-6 * 2000, rel=1e-9)
    assert geometries.mass(brick, "2 g/cm3") == pytest.approx(8e-6 * 2000, rel=1e-9)
    with pytest.raises(UserError, match="density"):
        geometries.mass(brick, -5)


# --------------------------------------------------------------------------- errors


def test_unknown_part_suggests_nearest_name():
    with pytest.raises(UserError, match="did you mean 'interlocking-brick'") as err:
        geometries.build("interlocking-brik")
    assert err.value.key == "geometry.part"  # the case key that names the part


def test_unknown_parameter_suggests_nearest_name():
    with pytest.raises(UserError, match="did you mean 'length'") as err:
        geometries.build("brick", lenght=0.04)
    assert err.value.key == "geometry.params.lenght"


def test_out_of_range_value_says_value_range_and_unit():
    with pytest.raises(UserError, match=r"length = 5 m is out of range; allowed 0.001 m to 2 m") as err:
        geometries.build("brick", length="5 m")
    assert err.value.key == "geometry.params.length"
    with pytest.raises(UserError, match="unknown unit 'kg'"):
        geometries.build("brick", length="5 kg")
    with pytest.raises(UserError, match="whole number"):
        geometries.build("arch-segment", n_segments=2.5)


def test_tenon_larger_than_brick_is_refused():
    with pytest.raises(UserError, match=r"tenon_length = 0.039 m .* allowed tenon_length <= 0.0316 m") as err:
        geometries.build("interlocking-brick", tenon_length="39 mm")
    assert err.value.key == "geometry.params.tenon_length"


@pytest.mark.parametrize("name, given, key", [
    ("arch-segment", {"segment_index": 9}, "segment_index"),
    ("arch-segment", {"thickness": 0.7}, "thickness"),
    ("arch-segment", {"rise": 0.01}, "rise"),
    ("landing-pad-tile", {"sides": 5}, "sides"),
    ("landing-pad-tile", {"key_width": 0.4}, "key_width"),
    ("cylinder-habitat", {"embedment": 1.5}, "embedment"),
])
def test_impossible_combinations_name_the_parameter(name, given, key):
    with pytest.raises(UserError, match="allowed") as err:
        geometries.build(name, **given)
    assert err.value.key == f"geometry.params.{key}"


def test_open_mesh_is_refused_with_open_edge_count(tmp_path):
    box = trimesh.creation.box(extents=(1, 1, 1))
    box.update_faces(np.arange(len(box.faces)) != 0)  # drop one triangle: 3 edges open
    path = tmp_path / "open.stl"
    box.export(path)
    with pytest.raises(UserError, match="3 open"):
        geometries.load_mesh(path)


def test_missing_or_unreadable_files_name_the_path(tmp_path):
    with pytest.raises(UserError, match="nothere.stl"):
        geometries.load_mesh(tmp_path / "nothere.stl")
    bad = tmp_path / "junk.ply"
    bad.write_text("not a mesh")
    with pytest.raises(UserError, match="junk.ply"):
        geometries.load_mesh(bad)
    with pytest.raises(UserError, match=r"\.stl"):
        geometries.load_mesh(tmp_path / "model.dxf")


def test_export_refuses_unknown_suffix_and_step(tmp_path):
    mesh = geometries.build("brick")
    with pytest.raises(UserError, match=r"allowed: .*\.stl.*\.3mf"):
        geometries.export(mesh, tmp_path / "x.dxf")
    # STEP comes from the part's B-rep (tests/test_step_export.py), never from a mesh
    with pytest.raises(UserError, match=r"geometry build NAME --out x\.step"):
        geometries.export(mesh, tmp_path / "x.step")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("suffix", [".stl", ".obj", ".ply", ".3mf", ".glb"])
def test_export_round_trip_keeps_volume(tmp_path, suffix):
    mesh = geometries.build("interlocking-brick")  # non-convex: mortise and tenon
    path = geometries.export(mesh, tmp_path / f"brick{suffix}")
    geometries.export(mesh, path)  # overwriting works too
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind
    back = geometries.load_mesh(path)
    assert back.is_volume
    # STL, PLY and GLB store float32 coordinates: ~1e-7 relative
    assert geometries.volume(back) == pytest.approx(geometries.volume(mesh), rel=1e-6)
    assert np.allclose(back.bounds, mesh.bounds, atol=1e-8)


def test_3mf_is_written_in_millimetres_and_read_back_in_metres(tmp_path):
    mesh = geometries.build("brick")
    path = geometries.export(mesh, tmp_path / "brick.3mf")
    raw = trimesh.load(path, force="mesh")
    assert raw.units == "millimeter"
    assert raw.extents.max() == pytest.approx(40.0, rel=1e-6)  # 40 mm long
    assert geometries.load_mesh(path).extents.max() == pytest.approx(0.04, rel=1e-6)


def test_load_scale_converts_file_units(tmp_path):
    mm = trimesh.creation.box(extents=(40.0, 20.0, 10.0))  # drawn in millimetres
    mm.export(tmp_path / "mm.stl")
    mesh = geometries.load_mesh(Path(tmp_path / "mm.stl"), scale=0.001)
    assert geometries.volume(mesh) == pytest.approx(8e-6, rel=1e-6)
