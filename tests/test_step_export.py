"""STEP export of the parametric parts from their B-rep (geometries.brep, the cad extra).

Each part is written to STEP, read back with build123d's STEP reader and checked against the
closed-form volume of its shape and against the trimesh part (same parameters, same frame).
The B-rep is exact up to the cubic-spline interpolation of the catenary and ellipse
parallels (< 1e-9 of the radius) and OpenCascade's numerical volume integration (measured
< 3e-7 here), hence a 1e-6 relative tolerance against closed forms; the trimesh parts are
faceted and get the facet tolerance stated at each check.
"""
import importlib.util
import math
import re

import numpy as np
import pytest

import geometries
from geometries import arch as arch_geometry
from geometries.bricks import interlocking_volume
from geometries.dome import layer_offsets
from regolith_sim.errors import UserError

needs_cad = pytest.mark.skipif(importlib.util.find_spec("build123d") is None,
                               reason="build123d (the cad extra) is not installed")

#: B-rep against closed form: spline interpolation + OpenCascade volume integration (see above)
EXACT = 1e-6
#: bounding boxes (m): every extreme of these parts is a vertex of the trimesh (on the exact
#: surface); OpenCascade enlarges a box by the shape tolerance, 1e-7 m
BOX_TOL = 1e-6


def read_step(path):
    """(solids, volumes m^3, bounds m) of a STEP file read back by build123d (which reads mm)."""
    from build123d import import_step

    shape = import_step(str(path))
    solids = shape.solids()
    box = shape.bounding_box()
    bounds = np.array([[box.min.X, box.min.Y, box.min.Z], [box.max.X, box.max.Y, box.max.Z]]) * 1e-3
    return solids, [s.volume * 1e-9 for s in solids], bounds


def closed_solid(solid) -> bool:
    """Valid by OpenCascade's checker and bounded by closed shells only."""
    from OCP.BRep import BRep_Tool
    from OCP.BRepCheck import BRepCheck_Analyzer

    shells = solid.shells()
    return (BRepCheck_Analyzer(solid.wrapped).IsValid() and len(shells) >= 1
            and all(BRep_Tool.IsClosed_s(shell.wrapped) for shell in shells))


def hemisphere_layer_volume(v, inner, outer):
    """Hemispherical layer between radii inner_radius + inner and + outer: (2 pi / 3)(R2^3 - R1^3)."""
    r1, r2 = v["inner_radius"] + inner, v["inner_radius"] + outer
    return 2 * math.pi / 3 * (r2 ** 3 - r1 ** 3)


def berm_volume(v):
    """Closed-form berm volume (m^3) from the frame in geometries/cylinder.py.

    Section above the ground: trapezoid between the flank feet and the tangent points plus
    the circular segment of the crown, minus the part of the module circle above the ground
    (its full area less the segment of depth ``embedment`` below the ground).
    """
    r, t, e, alpha = v["module_radius"], v["berm_thickness"], v["embedment"], math.radians(v["slope_angle"])
    rho, h = r + t, r - e
    y_tan, z_tan = rho * math.sin(alpha), h + rho * math.cos(alpha)
    y_foot = y_tan + z_tan / math.tan(alpha)
    outer = (y_foot + y_tan) * z_tan + rho ** 2 / 2 * (2 * alpha - math.sin(2 * alpha))
    below = r * r * math.acos(h / r) - h * math.sqrt(r * r - h * h)
    return v["module_length"] * (outer - (math.pi * r * r - below))


def tile_volume(v):
    """Hexagon area 3 sqrt(3)/2 a^2 plus three dovetail tabs minus three notches, times thickness.

    A dovetail of neck n, depth d and flank angle q is a trapezoid of area d (n + d tan q); a
    notch is the tab grown by the clearance c: neck n + 2c, depth d + c.
    """
    a, c, q = v["edge_length"], v["clearance"], math.radians(v["dovetail_angle"])

    def dovetail(neck, depth):
        return depth * (neck + depth * math.tan(q))

    keys = 3 * (dovetail(v["key_width"], v["key_depth"]) - dovetail(v["key_width"] + 2 * c, v["key_depth"] + c))
    return v["thickness"] * (3 * math.sqrt(3) / 2 * a * a + keys)


def arch_turn_tolerance(v):
    """Relative volume error of the faceted voussoir: Delta_phi^2 / 6 for a turn Delta_phi per chord.

    The extrados chords cut off (2/3) chord x sagitta of the ring and the intrados chords add
    as much on the other side; with sagitta R Delta_phi^2 / 8 the net is Delta_phi^2 / 6 of the
    ring's area. Doubled for margin.
    """
    a = arch_geometry.catenary_constant(v["span"], v["rise"])
    total = arch_geometry.arc_length(v["span"], v["rise"])
    s = np.linspace(0, total, v["n_segments"] * v["samples_per_segment"] + 1)
    phi = np.arctan((s - total / 2) / a)  # tangent angle of the catenary at arc length s
    return 2 * np.max(np.diff(phi)) ** 2 / 6


def revolve_tolerance(segments):
    """Relative volume error of a faceted surface of revolution with angular step D = 2 pi / segments.

    Facets lie up to R D^2 / 8 inside the exact surface around the axis and as much again
    along the meridian (same angular step); an area ~ R^2 then shrinks by up to D^2 / 2.
    """
    step = 2 * math.pi / segments
    return step ** 2 / 2


#: part -> (closed-form volume of the default part, relative tolerance of the trimesh volume)
CASES = {
    "brick": (lambda v: v["length"] * v["width"] * v["height"], lambda v: 1e-12),
    "interlocking-brick": (interlocking_volume, lambda v: 1e-12),
    "arch-segment": (lambda v: arch_geometry.arch_volume(v["span"], v["rise"], v["thickness"], v["depth"])
                     / v["n_segments"], arch_turn_tolerance),
    "dome-habitat": (lambda v: hemisphere_layer_volume(v, *layer_offsets(v)["shield"]),
                     lambda v: revolve_tolerance(v["segments"])),
    "cylinder-habitat": (berm_volume, lambda v: revolve_tolerance(v["segments"])),
    "landing-pad-tile": (tile_volume, lambda v: 1e-12),
}


def test_every_part_has_a_brep_builder():
    from geometries.brep import BUILDERS

    assert set(BUILDERS) == set(geometries.list_parts()) == set(CASES)


@needs_cad
@pytest.mark.parametrize("name", list(CASES))
def test_step_round_trip_is_one_closed_solid_with_the_exact_volume(tmp_path, name):
    closed_form, mesh_tolerance = CASES[name]
    v = geometries.resolve_params(name)
    path = geometries.export_step(name, tmp_path / f"{name}.step")
    solids, volumes, bounds = read_step(path)
    assert len(solids) == 1 and closed_solid(solids[0])
    exact = closed_form(v)
    assert volumes[0] == pytest.approx(exact, rel=EXACT)
    mesh = geometries.build(name)
    assert mesh.volume == pytest.approx(volumes[0], rel=mesh_tolerance(v))
    np.testing.assert_allclose(bounds, mesh.bounds, atol=BOX_TOL)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left beside it


@needs_cad
def test_brep_is_exact_geometry_not_facets():
    from geometries.brep import build_solids

    # a faceted dome would have ~10^4 planar faces; the B-rep has two surfaces of revolution
    # and the ground annulus, the habitat module a true cylinder and two end discs
    kinds = {name: sorted(f.geom_type.name for f in solid.faces())
             for part in ("dome-habitat", "cylinder-habitat", "arch-segment")
             for name, solid in build_solids(part).items()}
    assert kinds["shield"] == ["PLANE", "REVOLUTION", "REVOLUTION"]
    assert kinds["module"] == ["CYLINDER", "PLANE", "PLANE"]
    assert kinds["arch-segment"] == ["EXTRUSION", "EXTRUSION", "PLANE", "PLANE", "PLANE", "PLANE"]
    # the tile outline is one face per straight edge: 6 sides split at 6 keys (12) + 3 per key (18)
    tile = build_solids("landing-pad-tile")["landing-pad-tile"]
    assert len(tile.faces()) == 12 + 18 + 2


@needs_cad
def test_step_declares_millimetres_and_a_40_mm_brick_reads_40_mm(tmp_path):
    path = geometries.export_step("brick", tmp_path / "brick.stp", length="40 mm", width="20 mm", height="10 mm")
    text = path.read_text()
    assert "SI_UNIT(.MILLI.,.METRE.)" in text
    # a corner of the brick, written in millimetres (the brick spans x = -20..20 mm)
    assert re.search(r"CARTESIAN_POINT\('',\(-20\.,-10\.,", text)
    solids, volumes, bounds = read_step(path)
    assert np.ptp(bounds, axis=0) * 1e3 == pytest.approx([40.0, 20.0, 10.0], abs=1e-6)
    assert volumes[0] == pytest.approx(8e-6, rel=1e-12)


@needs_cad
def test_dome_all_bodies_are_three_named_hemispherical_layers(tmp_path):
    from build123d import import_step

    v = geometries.resolve_params("dome-habitat", shield_thickness="0.3 m")
    path = geometries.export_step("dome-habitat", tmp_path / "dome.step", all_bodies=True, shield_thickness="0.3 m")
    shape = import_step(str(path))
    layers = {child.label: child for child in shape.children}
    assert shape.label == "dome-habitat" and list(layers) == ["shield", "inner_shell", "outer_shell"]
    for name, (inner, outer) in layer_offsets(v).items():
        assert closed_solid(layers[name])
        assert layers[name].volume * 1e-9 == pytest.approx(hemisphere_layer_volume(v, inner, outer), rel=EXACT)


@needs_cad
def test_egg_dome_matches_pappus_of_its_exact_section():
    from geometries.brep import build_solids

    params = {"elongation": 1.8, "shield_thickness": 1.0, "segments": 64}
    v = geometries.resolve_params("dome-habitat", **params)
    inner, outer = layer_offsets(v)["shield"]
    # Pappus: V = pi |closed integral of r^2 dz| around the section; the section is bounded by
    # the parallels at normal distances inner/outer of r^2/a^2 + z^2/c^2 = 1, sampled densely
    a, c = v["inner_radius"], v["elongation"] * v["inner_radius"]
    theta = np.linspace(0, np.pi / 2, 200_001)
    normal = np.column_stack([c * np.sin(theta), a * np.cos(theta)])
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    base = np.column_stack([a * np.sin(theta), c * np.cos(theta)])
    r, z = np.vstack([base + outer * normal, (base + inner * normal)[::-1]]).T
    r2, z2 = np.roll(r, -1), np.roll(z, -1)
    pappus = abs(math.pi * np.sum((r * r + r * r2 + r2 * r2) / 3 * (z2 - z)))  # exact for each straight piece
    shield = build_solids("dome-habitat", **params)["shield"]
    assert shield.volume == pytest.approx(pappus, rel=EXACT)
    mesh = geometries.build("dome-habitat", **params)
    assert mesh.volume == pytest.approx(pappus, rel=revolve_tolerance(64))


@needs_cad
def test_crown_voussoir_of_a_tall_arch_keeps_the_exact_volume():
    from geometries.brep import build_solids

    params = {"span": 2.0, "rise": 2.0, "thickness": 0.3, "n_segments": 5, "segment_index": 2}
    v = geometries.resolve_params("arch-segment", **params)
    solid = build_solids("arch-segment", **params)["arch-segment"]
    exact = arch_geometry.arch_volume(v["span"], v["rise"], v["thickness"], v["depth"]) / v["n_segments"]
    assert solid.volume == pytest.approx(exact, rel=EXACT)
    # symmetric about x = 0, crown extrados at rise + thickness / 2
    box = solid.bounding_box()
    assert box.min.X == pytest.approx(-box.max.X, abs=BOX_TOL)
    assert box.max.Z == pytest.approx(2.0 + 0.15, abs=BOX_TOL)


# --------------------------------------------------------------------------- refusals


def test_mesh_to_step_is_refused_with_the_way_to_make_one(tmp_path):
    mesh = geometries.build("brick")
    with pytest.raises(UserError, match=r"triangle mesh .* cannot become a STEP B-rep.*"
                                        r"geometry build NAME --out x\.step") as err:
        geometries.export(mesh, tmp_path / "asbuilt.STEP")
    assert err.value.key == "geometry.export"
    assert list(tmp_path.iterdir()) == []


def test_without_build123d_step_asks_for_the_cad_extra(tmp_path, monkeypatch):
    import geometries.brep
    import geometries.mesh_files

    monkeypatch.setattr(geometries.brep, "have_cad", lambda: False)
    monkeypatch.setattr(geometries.mesh_files, "have_cad", lambda: False)
    with pytest.raises(UserError, match=r"pip install regolith-sim\[cad\]"):
        geometries.export(geometries.build("brick"), tmp_path / "x.step")
    with pytest.raises(UserError, match=r"x\.step.*needs the CAD extra \(pip install regolith-sim\[cad\]"):
        geometries.export_step("brick", tmp_path / "x.step")
    assert list(tmp_path.iterdir()) == []


def test_export_step_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match=r"'\.stl'.*allowed: \.step, \.stp"):
        geometries.export_step("brick", tmp_path / "x.stl")
    with pytest.raises(UserError, match="does not exist"):
        geometries.export_step("brick", tmp_path / "missing" / "x.step")
    with pytest.raises(UserError, match=r"did you mean 'length'") as err:
        geometries.export_step("brick", tmp_path / "x.step", lenght="4 cm")
    assert err.value.key == "geometry.params.lenght"
    assert list(tmp_path.iterdir()) == []


@needs_cad
def test_failed_step_write_leaves_no_file(tmp_path, monkeypatch):
    import build123d

    def broken_writer(shape, path, **kwargs):
        with open(path, "w") as handle:
            handle.write("ISO-10303-21;\nHEADER;")  # half a file, then the writer dies
        raise RuntimeError("Failed to write STEP file")

    monkeypatch.setattr(build123d, "export_step", broken_writer)
    with pytest.raises(RuntimeError):
        geometries.export_step("brick", tmp_path / "x.step")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- command line


def cli(capsys, *args):
    """Run ``regolith-sim ARGS`` in this process: (exit code, stdout, stderr)."""
    from regolith_sim.cli import main

    with pytest.raises(SystemExit) as done:
        main(list(args))
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


@needs_cad
def test_cli_builds_a_step_part(tmp_path, capsys):
    out = tmp_path / "key.step"
    code, stdout, stderr = cli(capsys, "geometry", "build", "interlocking-brick", "--param", "length=50 mm",
                               "--out", str(out))
    assert code == 0, stderr
    assert f"written {out}" in stdout
    solids, volumes, _ = read_step(out)
    v = geometries.resolve_params("interlocking-brick", length="50 mm")
    assert len(solids) == 1 and volumes[0] == pytest.approx(interlocking_volume(v), rel=1e-12)


def test_cli_step_options_and_help(tmp_path, capsys):
    code, _, stderr = cli(capsys, "geometry", "build", "brick", "--all-bodies", "--out", str(tmp_path / "x.stl"))
    assert code == 2 and "--all-bodies" in stderr and ".step" in stderr and stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    code, stdout, _ = cli(capsys, "geometry", "list")
    assert code == 0 and "--out part.step" in stdout and "B-rep" in stdout
