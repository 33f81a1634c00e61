"""The particle case file: one TOML document with a ``[particles]`` table, validated with pydantic.

Used by ``regolith-sim particles spread|heat|sinter CASE.toml`` and by
:func:`regolith_sim.particles.runner.run_particles`. Every key states its SI unit and range (see
:func:`reference_markdown`); quantities take a bare SI number or a string with a unit
("50 um", "1300 degC"). Material numbers (grain density and size, cohesion, thermal and melt
properties) default to the named material's cited data file; the keys here override them.

Layout::

    name = "spread-demo"
    [particles]            # material, gravity, seed
    [particles.grains]     # grain-size distribution (default: the material's)
    [particles.contact]    # DEM contact law (softened modulus, friction, rolling, cohesion)
    [particles.spread]     # recoater blade run        (verb: spread)
    [particles.bed]        # poured bed for heat/sinter (verbs: heat, sinter)
    [particles.heat]       # source heating + effective conductivity (verb: heat)
    [particles.sinter]     # temperature history + sintering law      (verb: sinter)
    [particles.repose]     # lifted-tube heap, static angle of repose (verb: repose)
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import BeforeValidator, Field, PrivateAttr, model_validator

from ..config.fields import Density, Length, Power, Section, Temperature, Time, Velocity, quantity
from ..units import parse_quantity

Acceleration = Annotated[float, BeforeValidator(lambda v: parse_quantity(v, "acceleration"))]
Pressure = Annotated[float, BeforeValidator(lambda v: parse_quantity(v, "pressure"))]


def _rolling_friction(v):
    """A rolling friction coefficient 0-2, or 'shape' (set from the grain shape data)."""
    if isinstance(v, str) and v.strip().lower() == "shape":
        return "shape"
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError("expected a number from 0 to 2 or 'shape'") from None
    if not 0.0 <= x <= 2.0:
        raise ValueError("expected a number from 0 to 2 or 'shape'")
    return x


RollingFriction = Annotated[Union[float, str], BeforeValidator(_rolling_friction)]


class GrainsSection(Section):
    """Grain sizes: a lognormal distribution (default: the material's d10/d50/d90) or one diameter."""

    diameter: Optional[Length] = quantity(None, "One diameter for all grains (monodisperse); overrides d50", "m",
                                          gt=1e-7, le=0.05)
    d50: Optional[Length] = quantity(None, "Median diameter of the distribution (default: the material's "
                                     "grain_size.d50_m)", "m", gt=1e-7, le=0.05)
    sigma_g: Optional[float] = quantity(None, "Geometric standard deviation (default: from the material's d10/d90, "
                                        "else 1.3)", "1", ge=1.0, le=5.0)
    basis: Literal["volume", "number"] = Field("volume", description="Whether d50 is by volume (sieve, laser "
                                               "diffraction) or by number", json_schema_extra={"unit": ""})
    d_min: Optional[Length] = quantity(None, "Smallest grain kept (default 0.5 d50: fines set the DEM time step)",
                                       "m", gt=1e-8, le=0.05)
    d_max: Optional[Length] = quantity(None, "Largest grain kept (default 2 d50)", "m", gt=1e-7, le=0.05)

    @model_validator(mode="after")
    def _order(self):
        if self.d_min is not None and self.d_max is not None and self.d_min >= self.d_max:
            raise ValueError(f"d_min = {self.d_min:g} m must be below d_max = {self.d_max:g} m")
        return self


class ContactSection(Section):
    """Contact law of the grains (Hertz-Mindlin, rolling resistance, van der Waals cohesion)."""

    density: Optional[Density] = quantity(None, "Grain density (default: the material's particle density)",
                                          "kg/m^3", gt=100, le=2e4)
    youngs_modulus: Pressure = quantity(1e7, "Young's modulus used by the DEM: softened for a longer time step "
                                        "(overlaps stay < 1 % of d); heat transfer scales contact radii back",
                                        "Pa", gt=1e4, le=1e12)
    true_youngs_modulus: Pressure = quantity(7e10, "Young's modulus of the real grains (contact radius in heat "
                                             "transfer)", "Pa", gt=1e6, le=1e12)
    poisson_ratio: float = quantity(0.25, "Poisson's ratio", "1", ge=0.0, lt=0.5)
    restitution: float = quantity(0.5, "Normal coefficient of restitution", "1", ge=0.05, le=1.0)
    friction: float = quantity(0.7, "Sliding friction grain-grain", "1", ge=0.0, le=2.0)
    friction_wall: Optional[float] = quantity(None, "Sliding friction grain-wall (default: friction)", "1",
                                              ge=0.0, le=2.0)
    rolling_friction: RollingFriction = Field(
        0.4, description="Rolling friction coefficient (stands for grain angularity), or 'shape': from the "
        "measured 3D axial ratios of lunar grains: mu_r R* = the grains' normal-force offset "
        "(docs/particles.md, 'Grain shape')",
        json_schema_extra={"unit": "1"})
    cohesion: Literal["material", "bond-number", "none"] = Field(
        "material", description="Van der Waals cohesion: the material's Hamaker constant and cleanliness "
        "(Perko et al. 2001), a granular Bond number, or none", json_schema_extra={"unit": ""})
    bond_number: float = quantity(2.0, "Pull-off force of two median grains over their weight (cohesion = "
                                  "'bond-number')", "1", ge=0.0, le=1e6)
    cleanliness: Optional[float] = quantity(None, "Surface cleanliness S of Perko et al. 2001 (default: the "
                                            "material's value for the lunar surface)", "1", gt=0.0, le=1.0)


class SpreadSection(Section):
    """Recoater blade run (verb `spread`)."""

    layer_thickness: Optional[Length] = quantity(None, "Gap under the blade (default 2 volume-mean diameters)",
                                                 "m", gt=1e-7, le=0.05)
    blade_speed: Velocity = quantity(0.05, "Blade speed", "m/s", gt=1e-5, le=10.0)
    length: Optional[Length] = quantity(None, "Length of the spread strip (default 30 d50)", "m", gt=1e-6, le=1.0)
    width: Optional[Length] = quantity(None, "Width of the strip between frictionless side planes (default 10 d50)",
                                       "m", gt=1e-6, le=1.0)
    fill_gravity: Optional[Acceleration] = quantity(None, "Gravity while the reservoir settles (default max(g, "
                                                    "20 m/s^2): only its final state matters)", "m/s^2",
                                                    gt=0.0, le=1e4)


class BedSection(Section):
    """A poured bed of grains (verbs `heat` and `sinter`)."""

    n_grains: int = quantity(1500, "Number of grains", "1", ge=20, le=5_000_000)
    length: Optional[Length] = quantity(None, "Bed length along x (default 12 d50)", "m", gt=1e-6, le=1.0)
    width: Optional[Length] = quantity(None, "Bed width along y (default 12 d50)", "m", gt=1e-6, le=1.0)
    fill_gravity: Optional[Acceleration] = quantity(None, "Gravity while pouring (default max(g, 20 m/s^2)); "
                                                    "heat transfer scales contact radii back to g", "m/s^2",
                                                    gt=0.0, le=1e4)


class HeatSection(Section):
    """Heating a bed with a gaussian spot, and its effective conductivity (verb `heat`)."""

    power: Power = quantity(0.05, "Source power reaching the bed", "W", gt=0.0, le=1e5)
    spot_radius: Optional[Length] = quantity(None, "1/e^2 radius of the gaussian spot (default a quarter of the "
                                             "bed's smaller side)", "m", gt=1e-7, le=1.0)
    x: Optional[Length] = quantity(None, "Spot centre x (default: bed centre)", "m", ge=-1.0, le=1.0)
    y: Optional[Length] = quantity(None, "Spot centre y (default: bed centre)", "m", ge=-1.0, le=1.0)
    duration: Time = quantity(0.5, "Heating time", "s", gt=0.0, le=1e5)
    initial_temperature: Temperature = quantity(250.0, "Grain temperature at the start", "K", gt=2.0, le=3000.0)
    sink_temperature: Temperature = quantity(3.0, "Radiative sink seen by exposed grains (3 K: space)", "K",
                                             ge=0.0, le=3000.0)
    conductivity: Optional[float] = quantity(None, "Solid conductivity of a grain (default: the material's dense "
                                             "conductivity)", "W/(m K)", gt=0.0, le=500.0)
    heat_capacity: Optional[float] = quantity(None, "Specific heat (default: the material's cp at the initial "
                                              "temperature)", "J/(kg K)", gt=10.0, le=1e4)
    radiation: bool = Field(True, description="Radiation between neighbouring grain surfaces",
                            json_schema_extra={"unit": ""})
    conductivity_temperatures: list[Temperature] = Field(
        default_factory=lambda: [250.0, 400.0],
        description="Temperatures at which the bed's effective conductivity in vacuum is computed and compared "
        "with the material law (empty: skip)", json_schema_extra={"unit": "K"})
    n_records: int = quantity(20, "Time-series records", "1", ge=1, le=10000)


class SinterSection(Section):
    """Sintering a bed over a temperature history (verb `sinter`)."""

    times: list[Time] = Field(default_factory=lambda: [0.0, 600.0], description="Times of the temperature "
                              "history, from 0", json_schema_extra={"unit": "s"})
    temperatures: list[Temperature] = Field(default_factory=lambda: [1400.0, 1400.0], description="Temperatures "
                                            "of the history (piecewise linear)", json_schema_extra={"unit": "K"})
    heating: Literal["uniform", "plate"] = Field(
        "uniform", description="uniform: every grain follows the history (furnace); plate: the bottom grains "
        "follow it, the rest conduct through contacts and necks and radiate from the top",
        json_schema_extra={"unit": ""})
    viscosity: Optional[float] = quantity(None, "Constant viscosity of the necks (default: the material's "
                                          "effective viscosity: master-curve sub-solidus branch below the solidus, plus "
                                          "the Giordano 2008 melt x Costa 2009 liquid phase from it on)", "Pa s",
                                          gt=1.0, le=1e20)
    surface_tension: Optional[float] = quantity(None, "Surface tension of the melt (default: the material's)",
                                                "N/m", gt=0.01, le=3.0)
    eta_bond: float = quantity(1e12, "Contacts become necks below this viscosity (glass transition)", "Pa s",
                               gt=1.0, le=1e20)
    n_records: int = quantity(40, "Time-series records", "1", ge=2, le=10000)
    step_approach: float = quantity(3e-5, "Largest approach of a free pair per sintering step, as a fraction of "
                                    "the smallest radius: smaller follows the continuum closer (the quasi-static "
                                    "relaxation lags by a fixed number of steps), larger runs faster", "1",
                                    ge=1e-7, le=1e-2)

    @model_validator(mode="after")
    def _history(self):
        t, T = self.times, self.temperatures
        if len(t) < 2 or len(t) != len(T):
            raise ValueError(f"times ({len(t)} values) and temperatures ({len(T)} values) need the same "
                             "length, at least 2")
        if t[0] != 0.0 or any(b <= a for a, b in zip(t, t[1:])):
            raise ValueError(f"times = {t}: must start at 0 s and increase")
        if min(T) <= 2.0:
            raise ValueError(f"temperatures = {T}: every temperature must be above 2 K")
        return self


class ReposeSection(Section):
    """Lifted-tube heap: the static angle of repose at the site's gravity (verb `repose`)."""

    n_grains: int = quantity(1500, "Number of grains poured into the tube", "1", ge=50, le=5_000_000)
    tube_width: Optional[Length] = quantity(None, "Inner side of the square tube (default 8 d50)", "m",
                                            gt=1e-6, le=1.0)
    lift_speed: Optional[Velocity] = quantity(None, "Speed the tube is lifted at (default 0.1 sqrt(g d50), slow enough "
                                              "that the angle no longer depends on it; faster lifts collapse the "
                                              "column into a flatter heap)", "m/s", gt=1e-6, le=10.0)
    floor_width: float = quantity(4.0, "Side of the rough floor the heap forms on, in tube widths", "1",
                                  ge=2.0, le=20.0)
    fill_gravity: Optional[Acceleration] = quantity(None, "Gravity while the tube is filled (default max(g, "
                                                    "20 m/s^2): only the filled state matters)", "m/s^2",
                                                    gt=0.0, le=1e4)


class ParticlesSection(Section):
    """Grain-scale (DEM) runs: material, gravity, and one table per scenario."""

    material: str = Field("LHS-1", description="Material (see `regolith-sim materials`) or path to a material TOML "
                          "file: grain density/size, cohesion, thermal and melt data", json_schema_extra={"unit": ""})
    gravity: Acceleration = quantity(1.62, "Gravity of the site (1.62 m/s^2: the Moon)", "m/s^2", ge=0.0, le=100.0)
    seed: int = quantity(0, "Random seed (grain sizes, initial positions)", "1", ge=0)
    grains: GrainsSection = Field(default_factory=GrainsSection)
    contact: ContactSection = Field(default_factory=ContactSection)
    spread: SpreadSection = Field(default_factory=SpreadSection)
    bed: BedSection = Field(default_factory=BedSection)
    heat: HeatSection = Field(default_factory=HeatSection)
    sinter: SinterSection = Field(default_factory=SinterSection)
    repose: ReposeSection = Field(default_factory=ReposeSection)


class ParticleCase(Section):
    """A particle case file."""

    name: str = Field("particles", description="Case name, used for the default output folder")
    description: str = Field("", description="Free text")
    particles: ParticlesSection = Field(default_factory=ParticlesSection)
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)


def load_particle_case(source: str | Path | dict) -> ParticleCase:
    """Read and validate a particle case (TOML path or dict); mistakes raise a one-line
    :class:`~regolith_sim.errors.ConfigError` naming the key, the value and what is allowed."""
    from ..config.loader import parse_case, read_toml

    if isinstance(source, dict):
        data, base = dict(source), Path.cwd()
    else:
        data, base = read_toml(source, "particle case file"), Path(source).resolve().parent
    case = parse_case(data, ParticleCase)
    case._base_dir = base
    return case


def reference_markdown() -> str:
    """The key reference of the particle case file (markdown tables, generated from the schema)."""
    from ..config.reference import _section

    lines = ["| key | unit | default | allowed | meaning |", "|---|---|---|---|---|",
             "| `name` | - | 'particles' | | Case name, used for the default output folder |",
             "| `description` | - | '' | | Free text |"]
    lines.extend(_section(ParticlesSection, "particles"))
    return "\n".join(lines) + "\n"
