"""`regolith-sim materials`: list the database and show one material with its sources."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..materials import get_material, list_materials
from .app import JsonOption, app

materials_app = typer.Typer(help="The materials database: `materials` lists them, `materials show NAME` shows one",
                            no_args_is_help=False,
                            invoke_without_command=True)
app.add_typer(materials_app, name="materials")


@materials_app.callback(invoke_without_command=True)
def _materials(ctx: typer.Context) -> None:
    """List the materials (built-in and user folder); `materials show NAME` for one."""
    if ctx.invoked_subcommand is None:
        for m in list_materials():
            origin = "built-in" if m.path and "regolith_sim" in str(m.path.parent) else str(m.path)
            typer.echo(f"{m.name:<18} {m.kind:<10} {m.description}  [{origin}]")


@materials_app.command("show")
def show(
    name: str = typer.Argument(..., help="Material name, alias or path to a material TOML file"),
    as_json: bool = JsonOption,
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG of k(T), cp(T), h(T) and viscosity"),
) -> None:
    """Show every property of a material with its source."""
    m = get_material(name)
    if plot is not None:
        from ..plots.materials import plot_material

        plot_material(m, plot)
    from ..outcomes.routes import strength_by_route

    routes = strength_by_route(m)
    if as_json:
        typer.echo(json.dumps({**m.summary(), "compressive_strength_by_route": routes}, indent=2))
        return
    s = m.summary()
    typer.echo(f"{m.name} ({m.kind}): {m.description}")
    if m.composition_wt_pct:
        comp = ", ".join(f"{k} {v:g}" for k, v in m.composition_wt_pct.items())
        typer.echo(f"  composition wt%: {comp}  [{m.composition_source}]")
    for key, v in s["properties"].items():
        note = f"  ({v['note']})" if v.get("note") else ""
        typer.echo(f"  {key:<34} {v['value']:<12.6g} [{v['source']}]{note}")
    if s["glass_transition_K"]:
        A, B, C = m.vft
        typer.echo(f"  {'glass_transition_K (GRD 2008)':<34} {s['glass_transition_K']:<12.6g} "
                   f"[log10 eta = {A} + {B:.1f}/(T - {C:.1f})]")
    typer.echo("Compressive strength of the consolidated matrix, by route (regolith_sim.outcomes.routes):")
    for route, r in routes.items():
        if r["law"] is None:
            typer.echo(f"  {route:<10} none: {r['reason']}")
        elif r["shared_from"]:
            typer.echo(f"  {route:<10} the {r['shared_from']} route's law: {r['reason'] or '(the data file gives no reason)'}")
        else:
            typer.echo(f"  {route:<10} {r['law']}: sigma0 {r['sigma0_Pa'] * 1e-6:.4g} MPa, P_c {r['critical_porosity']:.3g}, "
                       f"n {r['exponent']:.3g}, b_v {r['vesicle_b']:.3g}, fitted over P = "
                       f"{r['porosity_range_of_fit'][0]:.3g}-{r['porosity_range_of_fit'][1]:.3g}, log-scatter "
                       f"{r['scatter_ln']:.2g}")
    typer.echo("Sources:")
    for key, text in m.sources.items():
        typer.echo(f"  [{key}] {text}")
    if plot is not None:
        typer.echo(f"plot written to {plot}")
