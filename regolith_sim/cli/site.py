"""`regolith-sim site`: the diurnal temperatures of the lunar regolith at a latitude."""
from __future__ import annotations

import json
from typing import Optional

import typer

from ..errors import UserError
from .app import JsonOption, app


@app.command()
def site(
    latitude: Optional[float] = typer.Option(None, "--latitude", help="Selenographic latitude (deg), -90..90"),
    name: Optional[str] = typer.Option(None, "--name", help="Named site instead of a latitude "
                                       "(lunar-south-pole, lunar-equator, lab-vacuum, lab-air, lab-argon)"),
    local_time: Optional[float] = typer.Option(None, "--local-time", help="Lunar local time (h), 0..24 (12 = noon)"),
    as_json: bool = JsonOption,
) -> None:
    """Surface temperature extremes and the temperature profile with depth (Hayne et al. 2017 model)."""
    from ..site import get_site, site_report

    if latitude is None and name is None:
        raise UserError("give --latitude DEG (-90..90) or --name SITE", key="site")
    if latitude is not None and name is not None:
        raise UserError(f"--latitude {latitude:g} and --name {name}: a named site has its own latitude (or none, a "
                        "laboratory); give one of them", key="site")
    if latitude is not None and not -90.0 <= latitude <= 90.0:
        raise UserError(f"--latitude {latitude}: allowed -90..90 deg", key="site.latitude")
    if local_time is not None and not 0.0 <= local_time <= 24.0:
        raise UserError(f"--local-time {local_time}: allowed 0..24 h", key="site.local_time")
    if name is not None:
        s = get_site(name)
        if s.latitude_deg is None:
            typer.echo(json.dumps({"site": s.name, "ambient_temperature_K": s.ambient_temperature_K}) if as_json
                       else f"{s.name}: laboratory at a uniform {s.ambient_temperature_K:.2f} K")
            return
        latitude = s.latitude_deg
    report = site_report(latitude, local_time)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    st = report["surface_temperature_K"]
    typer.echo(f"latitude {latitude:g} deg: surface T max {st['max']:.1f} K, min {st['min']:.1f} K, "
               f"mean {st['mean']:.1f} K, midnight {st['midnight']:.1f} K")
    typer.echo(f"{'depth [m]':>10} {'mean [K]':>9} {'min [K]':>9} {'max [K]':>9}")
    for row in report["profile"]:
        typer.echo(f"{row['depth_m']:>10.3f} {row['mean_K']:>9.1f} {row['min_K']:>9.1f} {row['max_K']:>9.1f}")
    if "at_local_time" in report:
        at = report["at_local_time"]
        typer.echo(f"at local time {at['local_time_h']:g} h: " +
                   ", ".join(f"{p['depth_m']:g} m {p['T_K']:.1f} K" for p in at["profile"]))
