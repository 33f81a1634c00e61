"""`regolith-sim geometry`: list and build parametric parts (meshes, or STEP B-reps with the cad extra)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UserError
from .app import JsonOption, app

geometry_app = typer.Typer(help="Parametric parts: list, build (STL/3MF/OBJ/GLB/PLY meshes, or STEP B-reps "
                                  "with the cad extra)", no_args_is_help=True)
app.add_typer(geometry_app, name="geometry")


def parse_params(pairs: List[str] | None) -> dict:
    """``key=value`` pairs; values stay strings so units ('40 mm') are parsed by the part."""
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UserError(f"--param {pair!r}: write key=value, e.g. --param length=40mm", key="geometry.params")
        key, value = pair.split("=", 1)
        try:
            out[key.strip()] = float(value)
        except ValueError:
            out[key.strip()] = value.strip()
    return out


@geometry_app.command("list")
def list_cmd(as_json: bool = JsonOption) -> None:
    """List the parts with their parameters (unit, default, range); each builds to a mesh or a STEP B-rep."""
    import geometries

    if as_json:
        typer.echo(json.dumps({n: [p.as_dict() for p in geometries.part_params(n)] for n in geometries.list_parts()},
                              indent=2, default=str))
        return
    for name in geometries.list_parts():
        spec = geometries.PARTS[name]
        typer.echo(f"{name}: {spec.description}")
        for p in geometries.part_params(name):
            rng = f"[{p.minimum:g}..{p.maximum:g}]" if p.minimum is not None and p.maximum is not None else ""
            typer.echo(f"    {p.name:<20} {p.default!s:<10} {p.unit:<4} {rng:<18} {p.description}")
    typer.echo("Build one with `regolith-sim geometry build NAME --out part.stl` (or .3mf .obj .glb .ply); "
               "`--out part.step` writes an exact B-rep STEP in mm (needs the cad extra: "
               "pip install regolith-sim[cad]).")


@geometry_app.command("build")
def build_cmd(
    name: str = typer.Argument(..., help="Part name (see `geometry list`)"),
    param: Optional[List[str]] = typer.Option(None, "--param", help="Parameter as key=value (SI or with units)"),
    out: Path = typer.Option(..., "--out", help="Output mesh: .stl .3mf .obj .glb .ply; or .step/.stp: "
                                                "exact B-rep in mm (needs the cad extra)"),
    density: float = typer.Option(1600.0, "--density", help="Density for the mass report (kg/m^3)"),
    units: str = typer.Option("mm", "--units", help="Unit of the coordinates in STL, OBJ and PLY files, which "
                                                     "carry none: mm (slicers, CAD) or m; 3MF declares mm, GLB "
                                                     "is in metres (glTF)"),
    all_bodies: bool = typer.Option(False, "--all-bodies", help="STEP only: also write the part's other "
                                                                "bodies (dome shells, habitat module) as named solids"),
) -> None:
    """Build a part, write it, and print its volume, mass and shielding (areal density along the part's rays).

    A .step/.stp output is the part's exact B-rep in mm, not a triangle mesh (needs the cad extra).
    """
    import geometries
    from geometries.brep.step_file import STEP_SUFFIXES

    params = parse_params(param)
    step = out.suffix.lower() in STEP_SUFFIXES
    if all_bodies and not step:
        raise UserError(f"applies to STEP output (.step/.stp) only, not {out.suffix or out.name!r}",
                        key="--all-bodies")
    if step:
        path = geometries.export_step(name, out, all_bodies=all_bodies, **params)
    else:
        from geometries.mesh_files import EXPORT_UNITS

        if units not in EXPORT_UNITS:
            raise UserError(f"{units!r}; allowed: {', '.join(EXPORT_UNITS)}", key="--units")
        mesh = geometries.build(name, **params)
        try:
            path = geometries.export(mesh, out, units)
        except OSError as exc:  # it writes a hidden temporary beside out: the user asked for out
            if exc.errno is None:
                raise
            raise type(exc)(exc.errno, exc.strerror, str(out)) from None
    report = geometries.part_report(name, params, density)
    typer.echo(f"{name}: volume {report['volume_m3']:.6g} m^3, mass {report['mass_kg']:.4g} kg at "
               f"{density:g} kg/m^3, extents {', '.join(f'{e:.4g}' for e in report['extents_m'])} m")
    if report["areal_density_g_cm2"]:
        typer.echo("shielding: " + ", ".join(f"{ray} {report['areal_density_g_cm2'][ray]:.4g} g/cm^2 "
                                             f"({_length(report['thickness_m'][ray])})"
                                             for ray in report["areal_density_g_cm2"]))
    typer.echo(f"written {path}")


def _length(m: float) -> str:
    """A length for the reader: mm below a metre, m from one up (a shield's 20 m, not '2e+04 mm')."""
    return f"{m:.4g} m" if m >= 1.0 else f"{m * 1e3:.4g} mm"
