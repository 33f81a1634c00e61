"""`regolith-sim geometry`: list and build parametric parts."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UserError
from .app import JsonOption, app

geometry_app = typer.Typer(help="Parametric parts: list, build", no_args_is_help=True)
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
    """List the parts with their parameters (unit, default, range)."""
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


@geometry_app.command("build")
def build_cmd(
    name: str = typer.Argument(..., help="Part name (see `geometry list`)"),
    param: Optional[List[str]] = typer.Option(None, "--param", help="Parameter as key=value (SI or with units)"),
    out: Path = typer.Option(..., "--out", help="Output mesh: .stl .3mf .obj .glb .ply"),
    density: float = typer.Option(1600.0, "--density", help="Density for the mass report [kg/m^3]"),
) -> None:
    """Build a part, write it, and print its volume, mass and shielding."""
    import geometries

    params = parse_params(param)
    mesh = geometries.build(name, **params)
    path = geometries.export(mesh, out)
    report = geometries.part_report(name, params, density)
    typer.echo(f"{name}: volume {report['volume_m3']:.6g} m^3, mass {report['mass_kg']:.4g} kg at "
               f"{density:g} kg/m^3, extents {', '.join(f'{e:.4g}' for e in report['extents_m'])} m")
    typer.echo(f"written {path}")
