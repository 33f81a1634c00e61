"""The case file: one TOML document with sections material, site, geometry, process, solver, output.

Each field states its unit and allowed range; the README's configuration reference is generated
from these classes (``regolith-sim config-reference``), so it cannot drift from the code.
Quantities accept a bare number in the SI unit shown or a string with a unit ("0.5 mm").
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Optional

from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..materials.laws import TABLE_T_HIGH, TABLE_T_LOW
from .fields import (
    Angle, Area, Flux, Frequency, HeatTransfer, Length, Power, Section, Temperature, Time, Velocity, quantity,
)

#: Highest temperature a case may set or stop at [K]: below the property tables' top, where a temperature would
#: stop rising instead of diverging
MAX_SET_TEMPERATURE = TABLE_T_HIGH - 10.0

ARCH = Literal["auto", "cpu", "cuda", "vulkan", "metal"]
SITES = Literal["lunar-south-pole", "lunar-equator", "lab-vacuum", "lab-air", "lab-argon"]
PROFILES = Literal["gaussian", "top-hat", "super-gaussian", "uniform"]
STRATEGIES = Literal["raster", "alternating-raster", "contour-hatch", "chessboard", "spiral"]
SOURCES = Literal["solar", "laser", "microwave"]
MESH_FORMATS = Literal["stl", "3mf", "obj", "ply", "glb", "vtu", "inp", "msh"]


class MaterialSection(Section):
    """Which regolith is processed."""

    name: str = Field(
        "LHS-1",
        description="Built-in material (see `regolith-sim materials`) or path to a material TOML file",
        json_schema_extra={"unit": ""},
    )
    overrides: dict[str, float] = Field(
        default_factory=dict,
        description="Single-property overrides in SI, keyed by property path as listed by "
        "`regolith-sim materials show NAME` (e.g. `overrides = { \"optical.emissivity\" = 0.9, \"conductivity.dense_W_mK\" = 2.0 }`)",
        json_schema_extra={"unit": "SI of each property"},
    )
    initial_relative_density: Optional[float] = quantity(
        None, "Relative density of freshly spread powder (default: bulk/particle density of the material)",
        "1", gt=0.05, le=1.0,
    )

    @field_validator("overrides", mode="before")
    @classmethod
    def _dotted_keys(cls, v):
        # TOML reads `conductivity.dense_W_mK = 2.0` as a nested table: take it as the dotted key it reads as
        from ..materials.record import flatten

        return flatten(v) if isinstance(v, dict) else v


class SiteSection(Section):
    """Where the print happens: gravity, sky and the substrate's initial temperatures."""

    name: SITES = Field("lunar-south-pole", description="Named site", json_schema_extra={"unit": ""})
    latitude: Optional[Angle] = quantity(None, "Selenographic latitude (default: the site's)", "deg", ge=-90, le=90)
    local_time: Time = quantity(
        12 * 3600.0, "Lunar local solar time on a 24-hour clock (12 h = noon), as hours, e.g. '6 h'", "s",
        ge=0, le=24 * 3600,
    )
    substrate_depth: Length = quantity(0.02, "Thickness of regolith substrate simulated under the part", "m", gt=0, le=2)
    sky_temperature: Optional[Temperature] = quantity(
        None, "Radiative sink temperature (default: the site's: 3 K in space, 293 K in a lab)", "K", ge=0, le=400
    )
    convection_coefficient: Optional[HeatTransfer] = quantity(
        None, "Convective heat-transfer coefficient to the ambient (default: 0 in vacuum, 10 in lab air)",
        "W/(m^2 K)", ge=0, le=1e4,
    )

    initial_temperature: Optional[Temperature] = quantity(
        None, "Uniform initial temperature of the substrate and of every powder layer spread (default: the site's "
        "temperature profile at local_time); above the 3 K floor of the property tables", "K", gt=TABLE_T_LOW,
        le=3000)
    bottom: Literal["held", "insulated"] = Field(
        "held", description="Bottom face of the substrate: 'held' at its initial temperature, or 'insulated' "
        "(adiabatic: no heat crosses it)", json_schema_extra={"unit": ""})
    top_temperature: Optional[Temperature] = quantity(
        None, "Temperature at which the top face of the domain (the top of the last layer) is held, through half a "
        "cell, instead of radiating (default: not held); above the 3 K floor of the property tables", "K",
        gt=TABLE_T_LOW, le=MAX_SET_TEMPERATURE)

    @field_validator("local_time", mode="before")
    @classmethod
    def _local_time_with_unit(cls, v):
        # Every bare number is SI (s), but a clock time up to 24 reads as an hour: '12' meaning 12 s is a trap.
        # Above 24 it can only be seconds (a case written back from Python gives 43200.0 for noon).
        # (a NaN or infinity goes on to be refused as not finite)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 24:
            raise ValueError(f"give the hour with its unit, e.g. '{v:g} h' (a bare number is read as seconds: "
                             f"'{v:g} s' if seconds are meant)")
        return v


class PartEntry(Section):
    """One part: a parametric part from `geometries/` or a mesh file, in its build orientation."""

    part: str = Field("brick", description="Parametric part name (see `regolith-sim geometry list`)",
                      json_schema_extra={"unit": ""})
    file: Optional[str] = Field(None, description="Path to an STL/OBJ/PLY/3MF part instead of `part`",
                                json_schema_extra={"unit": ""})
    params: dict[str, float | str | int] = Field(
        default_factory=dict,
        description="Parameters of the part (lengths in m or with units, e.g. `length = '40 mm'`)",
        json_schema_extra={"unit": "per parameter"},
    )
    scale: float = quantity(1.0, "Uniform scale applied to a mesh file's coordinates (e.g. 0.001 for mm)", "1",
                            gt=0, le=1e3)
    orientation: tuple[Angle, Angle, Angle] = Field(
        (0.0, 0.0, 0.0),
        description="Rotations about x, then y, then z applied to the part before it is set on the bed "
                    "(build orientation; e.g. `['90 deg', 0, 0]` lays a part on its side)",
        json_schema_extra={"unit": "deg"},
    )

    @field_validator("part")
    @classmethod
    def _known_part(cls, v: str) -> str:
        # Here, not when the part is built, so the error names the key the user wrote (geometry.part).
        from geometries.registry import get_part

        from ..errors import UserError

        try:
            get_part(v)
        except UserError as exc:
            raise ValueError(str(exc).removeprefix(f"{exc.key}: ")) from None
        return v

    @model_validator(mode="after")
    def _one_source(self):
        if self.file and "part" in self.model_fields_set:
            raise ValueError("give either part or file, not both")
        return self


#: The keys of one part; in [geometry] they describe the only part and exclude `parts`.
PART_KEYS = tuple(PartEntry.model_fields)

BedOffset = Annotated[Length, Field(ge=-100, le=100)]  # m: a bed, not a coordinate system of its own


class BedPart(PartEntry):
    """One of several parts on one bed, given instead of `[geometry]`'s single-part keys; scanned in this order.

    The keys of a single part (:class:`PartEntry`) plus the bed offset of its footprint.
    """

    offset: tuple[BedOffset, BedOffset] = Field(
        (0.0, 0.0),
        description="Bed position (x, y) of the minimum corner of the part's footprint (after `orientation`); "
                    "footprints of different parts must neither overlap nor touch",
        json_schema_extra={"unit": "m"},
    )


class GeometrySection(PartEntry):
    """What is printed: one part (the keys below) or several on one bed (`[[geometry.parts]]`)."""

    parts: list[BedPart] = Field(
        default_factory=list,
        description="Several parts printed together on one bed, each at its `offset`; every layer scans them "
                    "in the order given. Replaces the single-part keys above",
        json_schema_extra={"unit": ""},
    )

    @model_validator(mode="after")
    def _single_or_several(self):
        if "parts" in self.model_fields_set and not self.parts:
            raise ValueError("parts = [] lists no part: give at least one [[geometry.parts]] entry or leave parts out")
        given = [k for k in PART_KEYS if k in self.model_fields_set]
        if self.parts and given:
            raise ValueError(f"give either geometry.parts or the single-part keys, not both: move "
                             f"{', '.join('geometry.' + k for k in given)} into the [[geometry.parts]] entries")
        return self


class SolarSection(Section):
    """Concentrated sunlight delivered by a collector and fibre bundle (Chang'e-8-style)."""

    concentration: float = quantity(3000.0, "Geometric concentration ratio at the spot", "1", gt=1, le=2e4)
    collector_area: Optional[Area] = quantity(None, "Collector aperture area (sets the power budget)", "m^2",
                                              gt=0, le=1e3)
    optical_efficiency: float = quantity(0.6, "Fraction of intercepted sunlight reaching the spot", "1", gt=0, le=1)
    irradiance: Flux = quantity(1361.0, "Direct solar irradiance at 1 AU", "W/m^2", gt=0, le=2000)
    fluctuation_file: Optional[str] = Field(
        None, description="CSV of (time_s, relative_flux) measured fluctuations applied to the power",
        json_schema_extra={"unit": ""},
    )


class MicrowaveSection(Section):
    """Volumetric microwave heating with a temperature-dependent loss factor (regolith_sim.thermal.microwave)."""

    frequency: Frequency = quantity(2.45e9, "Microwave frequency", "Hz", gt=1e8, le=1e11)
    applicator: Literal["cavity", "fixed-field", "fixed-absorbed-power"] = Field(
        "cavity", description="What sets the field in the load: 'cavity' shares the coupled forward power between "
        "the cavity walls (quality_factor, cavity_volume) and the load, so a low-loss load sits in a nearly fixed "
        "field and its absorbed power rises with its loss factor (thermal runaway); 'fixed-field' holds "
        "field_strength; 'fixed-absorbed-power' gives the load absorbed_fraction of the forward power whatever "
        "its loss (no runaway of the load as a whole)", json_schema_extra={"unit": ""})
    coupling: float = quantity(1.0, "cavity: fraction of the forward power entering the cavity (1 - reflected "
                               "fraction; 1 for a matched applicator)", "1", gt=0, le=1)
    quality_factor: float = quantity(1000.0, "cavity: unloaded quality factor Q0 of the cavity with its fixtures "
                                     "(walls, ports, crucible, insulation), from its empty resonance width", "1",
                                     ge=10, le=1e6)
    cavity_volume: float = quantity(0.01, "cavity: volume of the cavity", "m^3", gt=1e-6, le=100)
    field_strength: Optional[float] = quantity(None, "fixed-field: rms electric field in the load", "V/m",
                                               gt=0, le=1e7)
    absorbed_fraction: float = quantity(0.8, "fixed-absorbed-power: fraction of the forward power absorbed by "
                                        "the load", "1", gt=0, le=1)

    @model_validator(mode="after")
    def _applicator_keys(self):
        if self.applicator == "fixed-field" and self.field_strength is None:
            raise ValueError("applicator = 'fixed-field' needs field_strength (rms V/m, e.g. 5000)")
        used = {"cavity": ("coupling", "quality_factor", "cavity_volume"), "fixed-field": ("field_strength",),
                "fixed-absorbed-power": ("absorbed_fraction",)}[self.applicator]
        unused = [k for k in ("coupling", "quality_factor", "cavity_volume", "field_strength", "absorbed_fraction")
                  if k in self.model_fields_set and k not in used]
        if unused:
            raise ValueError(f"{', '.join(unused)} not used by applicator = '{self.applicator}' (it uses "
                             f"{', '.join(used)})")
        return self


class ProcessSection(Section):
    """The heat source and how it moves."""

    source: SOURCES = Field("solar", description="Heat source kind", json_schema_extra={"unit": ""})
    power: Power = quantity(60.0, "Source power delivered to the spot (before absorption)", "W", gt=0, le=1e6)
    spot_diameter: Length = quantity(4e-3, "Spot diameter (1/e^2 diameter for gaussian)", "m", gt=1e-6, le=1.0)
    profile: PROFILES = Field("gaussian", description="Spot intensity profile", json_schema_extra={"unit": ""})
    super_gaussian_order: float = quantity(4.0, "Exponent of a super-gaussian profile", "1", ge=2, le=20)
    uniform_area: Optional[Area] = quantity(
        None, "profile = 'uniform': the area over which the power is spread; the flux power/area falls on the whole "
        "top of the domain, whatever its size (required with 'uniform')", "m^2", gt=1e-12, le=100)
    scan_speed: Velocity = quantity(2e-3, "Travel speed of the spot", "m/s", gt=0, le=10)
    layer_thickness: Length = quantity(1e-3, "Thickness of each spread powder layer", "m", gt=1e-6, le=0.05)
    hatch_spacing: Optional[Length] = quantity(None, "Distance between neighbouring tracks (default 0.7 x spot)",
                                               "m", gt=1e-6, le=0.1)
    strategy: STRATEGIES = Field("alternating-raster", description="Toolpath strategy per layer",
                                 json_schema_extra={"unit": ""})
    island_size: Length = quantity(5e-3, "Island edge for the chessboard strategy", "m", gt=1e-4, le=1)
    dwell: Time = quantity(5.0, "Pause between layers (spreading and cooling)", "s", ge=0, le=1e6)
    layers: Optional[int] = quantity(None, "Print only the first N layers (default: all)", "1", ge=1, le=100000)
    absorptivity: Optional[float] = quantity(None, "Absorbed fraction at the source wavelength (default: material's)",
                                             "1", gt=0, le=1)
    solar: SolarSection = Field(default_factory=SolarSection, description="Concentrated-sunlight settings")
    microwave: MicrowaveSection = Field(default_factory=MicrowaveSection, description="Microwave settings")
    plan_file: Optional[str] = Field(
        None, description="CSV event series or G-code file that replaces the generated toolpaths",
        json_schema_extra={"unit": ""},
    )

    @model_validator(mode="after")
    def _uniform_area_with_uniform(self):
        # The domain's top grows with the bed margins and the cell size: a 'uniform' flux needs its own area.
        if (self.profile == "uniform") != (self.uniform_area is not None):
            raise ValueError("uniform_area (m^2) is required with profile = 'uniform' and used by no other profile")
        return self


class SolverSection(Section):
    """Numerics: where kernels run and how time advances."""

    arch: ARCH = Field("auto", description="Kernel architecture: auto tries CUDA, Vulkan/Metal, then CPU",
                       json_schema_extra={"unit": ""})
    precision: Literal["auto", "f32", "f64"] = Field(
        "auto", description="Floating-point precision of the fields: auto is f64 on CPU and CUDA, f32 on Vulkan "
                            "and Metal (no f64 on Metal; on Vulkan exp/log/pow are f32 whatever is chosen)",
        json_schema_extra={"unit": ""})
    cell_size: Optional[Length] = quantity(None, "Voxel edge (default: from spot size and layer thickness)", "m",
                                           gt=1e-6, le=0.05)
    resolution: float = quantity(1.0, "Refinement factor applied to the cell size, given or automatic (2 halves it)", "1",
                                 gt=0.05, le=16)
    time_step: Optional[Time] = quantity(None, "Fixed time step; must not exceed the stability limit", "s",
                                         gt=0, le=100)
    safety: float = quantity(0.9, "Fraction of the explicit stability limit used for the step", "1", gt=0, le=1)
    implicit_cooldown: bool = Field(True, description="Use the implicit integrator for dwells and cool-down",
                                    json_schema_extra={"unit": ""})
    implicit_order: int = quantity(1, "Order of the implicit step: 1 backward Euler (monotone; the default), 2 BDF2 "
                                      "(10x more accurate on smooth cooling, less so through solidification)", "1",
                                   ge=1, le=2)
    super_time_stepping: bool = Field(
        True, description="Step conduction by RKL2 super-time-steps as long as a moving spot takes to travel half a "
        "cell of the unrefined grid, and dwells by them while that is cheaper than implicit steps; the cells under "
        "the spot's footprint, where the stages would damp the melt's sharp contrasts too little, by Euler "
        "steps at the stability limit: the demo's consolidated fraction and density stay within 0.3 % of explicit "
        "steps at a fraction of their cost (benchmarks/RESULTS.md); "
        "false: explicit steps at the stability limit throughout",
        json_schema_extra={"unit": ""})
    multirate: int = quantity(16, "Cold powder tiles away from the spot and the heated part (8 x 8 columns each), "
                                  "and the cold deep layers under it, are stepped once per this many explicit "
                                  "steps, within their own stability limit; 1 steps every cell every step", "1",
                              ge=1, le=256)
    cooldown: Time = quantity(60.0, "Simulated cooling after the last layer", "s", ge=0, le=1e7)
    sintering: Literal["master-curve", "viscous", "none"] = Field(
        "viscous", description="Densification model", json_schema_extra={"unit": ""})
    capillary_uptake: bool = Field(
        True, description="Melt takes up the powder under it by capillarity, down each column: the front advances "
        "as Washburn (1921) has it, at the viscosity of the melt (Giordano 2008) at the temperature it mixes to with "
        "the grains, and stops where that mixture would freeze; needs the material's surface tension, grain size and "
        "melt viscosity (else off). false: the powder under a pool is heated by conduction only",
        json_schema_extra={"unit": ""})
    checkpoint_interval: Optional[Time] = quantity(None, "Simulated time between checkpoints (default: none)", "s",
                                                   gt=0, le=1e7)
    evaporation: bool = Field(True, description="Evaporation of hot material from exposed faces (Hertz-Knudsen-"
                                                "Langmuir flux of the material's vapour pressure, latent heat sink, "
                                                "slowed by diffusion through a gas) and boiling of melt inside "
                                                "the material above the boiling point of its vapours (gas "
                                                "pressure plus a bubble nucleus' Laplace pressure); off only "
                                                "for comparisons",
                              json_schema_extra={"unit": ""})
    radiating_faces: bool = Field(
        False, description="Take a porous cell's radiative conductivity (its pores' c T^3) over each face's two "
        "temperatures, with Deissler's jump at an opaque neighbour, instead of each cell's at its own: powder "
        "beside a melt then takes up the melt's radiation (gpu_kernels.thermal.radiating_face_k). Super-time-steps "
        "then step the hot cells by Euler steps too. Off by default: 1.7x the demo's run time for a consolidated "
        "fraction 5 % lower (benchmarks/RESULTS.md)", json_schema_extra={"unit": ""})
    mechanics: Literal["off", "final", "layers"] = Field(
        "off", description="Thermo-mechanics of the part (regolith_sim.mechanics): 'final' solves the residual "
        "stress, crack risk and distortion of the cooled part (a voxel's crack risk in the strength is then the "
        "larger of the residual stress's and the thermal-shock estimate's, the transient stress while it froze); 'layers' also solves at the end of each layer, each voxel joining the body "
        "stress-free where and when it consolidates and annealing when reheated (stress fields in every VTK "
        "frame; one solve per layer); 'off' skips it", json_schema_extra={"unit": ""})
    mechanics_support: Literal["free", "clamped"] = Field(
        "free", description="How the part is held: 'free' resting on powder, 'clamped' bonded to a rigid base",
        json_schema_extra={"unit": ""})
    max_temperature: Temperature = quantity(4000.0, "A run stops as diverged above this temperature; at most "
                                            "4,990 K, below the 5,000 K end of the property tables, where a "
                                            "temperature would stop rising instead", "K", gt=500,
                                            le=MAX_SET_TEMPERATURE)


class ProbeSpec(Section):
    """A named point whose temperature and density are recorded over time."""

    name: str = Field(..., description="Probe name", json_schema_extra={"unit": ""})
    position: tuple[Length, Length, Length] = Field(
        ..., description="Point (x, y, z) on the bed: x, y from the footprint corner of a single part (or the "
                         "bed origin of `geometry.parts` offsets), z up from the bed",
        json_schema_extra={"unit": "m"})


class OutputSection(Section):
    """What is written and where."""

    dir: Optional[str] = Field(None, description="Output folder; a relative path is read from the case file's "
                                                 "folder (default: results/<case name> in the current folder)",
                               json_schema_extra={"unit": ""})
    field_interval: Optional[Time] = quantity(None, "Simulated time between VTK field frames, plus one at the end "
                                              "(default: one at the end of each layer's dwell and at the end); the "
                                              "run's steps end at each frame time, so a short interval adds steps",
                                              "s", gt=0, le=1e7)
    mesh_formats: list[MESH_FORMATS] = Field(
        default_factory=lambda: ["stl", "3mf", "obj", "ply", "glb", "vtu", "inp", "msh"],
        description="As-built part exports", json_schema_extra={"unit": ""})
    mesh_units: Literal["mm", "m"] = Field(
        "mm", description="Unit of the coordinates in the surface meshes without a unit of their own (part.stl, "
        ".obj, .ply, part_distorted.stl), as slicers and CAD expect; part.3mf declares mm, part.glb is in metres "
        "(the glTF unit) and the FEA meshes (vtu, inp, msh) in SI metres whatever this is",
        json_schema_extra={"unit": ""})
    probes: list[ProbeSpec] = Field(default_factory=list, description="Temperature probes",
                                    json_schema_extra={"unit": ""})
    plots: bool = Field(True, description="Write PNG plots", json_schema_extra={"unit": ""})
    render: bool = Field(True, description="Write an off-screen render of the as-built part",
                         json_schema_extra={"unit": ""})
    distortion_scale: float = quantity(1.0, "Factor on the computed displacement in part_distorted.stl (with "
                                            "solver.mechanics = 'final' or 'layers'); >1 exaggerates the warp", "1",
                                       gt=0, le=1e4)

    @field_validator("probes")
    @classmethod
    def _unique_probe_names(cls, probes: list[ProbeSpec]) -> list[ProbeSpec]:
        # probes.csv columns and summary.json's probes.<name> are keyed by name: a twin would be lost
        names = [p.name for p in probes]
        twin = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if twin is not None:
            raise ValueError(f"two probes are named {twin!r}; allowed: a different name for each probe")
        return probes


class Case(Section):
    """A whole run."""

    name: str = Field("case", description="Case name, used for the default output folder",
                      json_schema_extra={"unit": ""})
    description: str = Field("", description="Free text", json_schema_extra={"unit": ""})
    material: MaterialSection = Field(default_factory=MaterialSection, description="Material")
    site: SiteSection = Field(default_factory=SiteSection, description="Site")
    geometry: GeometrySection = Field(default_factory=GeometrySection, description="Geometry")
    process: ProcessSection = Field(default_factory=ProcessSection, description="Process")
    solver: SolverSection = Field(default_factory=SolverSection, description="Solver")
    output: OutputSection = Field(default_factory=OutputSection, description="Output")
    experiment: Optional[dict] = Field(
        None, description="The published experiment this case reproduces: source, measured outcomes, verdict "
        "(read by `regolith-sim validate --suite experiments`, checked there; `run` ignores it)",
        json_schema_extra={"unit": ""})

    #: Folder that relative paths in the case (material file, mesh, plan) are read from.
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    #: Keys the case gave as bare numbers (no unit string), with their values (config.loader.bare_numbers).
    _bare: dict = PrivateAttr(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def to_dict(self) -> dict:
        """The case as plain data that :func:`load_case` reads back to the same case: the keys the file and the
        overrides set, values in SI (a full ``model_dump()`` also lists every default, and some keys refuse to
        be given beside others, e.g. ``geometry.parts`` beside the single part's keys)."""
        return self.model_dump(mode="json", exclude_unset=True)

    def resolve_path(self, path: str) -> Path:
        """A path from the case file, relative to the case file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self._base_dir / p

