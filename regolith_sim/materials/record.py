"""A material: its cited numbers (from a data file) and its temperature laws.

A data file holds every number as ``{ value = ..., source = "<key of [sources]>" }``; the loader
refuses a number without a source. Properties are addressed by dotted paths such as
``conductivity.dense_W_mK``, which is also how a case file overrides one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import MaterialError
from . import laws

#: Properties every material must define (dotted path -> meaning with unit).
REQUIRED = {
    "density.particle_kg_m3": "grain (particle) density [kg/m^3]",
    "density.bulk_kg_m3": "loose bulk density of the powder [kg/m^3]",
    "grain_size.d50_m": "median grain diameter [m]",
    "optical.emissivity": "hemispherical emissivity of the powder [-]",
    "optical.absorptivity_solar": "absorbed fraction of concentrated sunlight [-]",
    "optical.absorptivity_laser": "absorbed fraction of near-IR laser light [-]",
    "conductivity.contact_W_mK": "solid (contact) conductivity Kc of loose powder in vacuum [W/(m K)]",
    "conductivity.radiative_chi": "radiative-conductivity ratio chi at 350 K [-]",
    "conductivity.dense_W_mK": "conductivity of fully dense solid [W/(m K)]",
    "conductivity.melt_W_mK": "conductivity of melt [W/(m K)]",
    "heat_capacity.T_high_K": "upper validity of the low-temperature cp law [K]",
    "heat_capacity.liquid_J_kgK": "heat capacity of melt [J/(kg K)]",
    "melting.solidus_K": "solidus temperature [K]",
    "melting.liquidus_K": "liquidus temperature [K]",
    "melting.latent_heat_J_kg": "latent heat of fusion [J/kg]",
}
#: Bounds that catch a unit slip in a data file or an override (value must lie inside).
BOUNDS = {
    "density.particle_kg_m3": (500, 8000), "density.bulk_kg_m3": (200, 8000), "grain_size.d50_m": (1e-7, 1e-2),
    "optical.emissivity": (0, 1), "optical.emissivity_melt": (0, 1),  # 0: no radiation (loss-free checks) "optical.absorptivity_solar": (0.01, 1),
    "optical.absorptivity_laser": (0.01, 1), "conductivity.contact_W_mK": (1e-5, 500),
    "conductivity.radiative_chi": (0, 100), "conductivity.dense_W_mK": (1e-3, 500),
    "conductivity.melt_W_mK": (1e-3, 500), "heat_capacity.T_high_K": (100, 3000),
    "heat_capacity.liquid_J_kgK": (100, 1e4), "heat_capacity.constant_J_kgK": (1, 1e5),
    "conductivity.constant_W_mK": (1e-5, 1e4), "melting.solidus_K": (300, 1e4), "melting.liquidus_K": (300, 1e4),
    "melting.latent_heat_J_kg": (0, 1e7), "melt.surface_tension_N_m": (0.01, 3), "melt.glass_fraction": (0, 1),
    "elastic.youngs_modulus_Pa": (1e8, 1e12), "elastic.youngs_modulus_T_coeff_1_K": (-2e-3, 2e-3),
    "elastic.poisson_ratio": (0, 0.49), "elastic.thermal_expansion_1_K": (0, 1e-4),
    "elastic.youngs_modulus_porosity_b": (0, 20), "elastic.tensile_to_compressive": (1e-3, 1),
    # microwave loss: eps' of a dielectric is at least the vacuum's 1; tan delta of silicate powders and melts
    # lies well inside (1e-5, 5) (lossy foods reach ~0.3-1); the frequency spans the ISM bands 0.433-24 GHz
    "dielectric.frequency_Hz": (1e8, 1e11), "dielectric.T_low_K": (3, 5000), "dielectric.T_high_K": (3, 5000),
    "dielectric.tan_delta_low": (1e-5, 5), "dielectric.tan_delta_high": (1e-5, 5),
    "dielectric.permittivity_low": (1, 100), "dielectric.permittivity_high": (1, 100),
}
#: What the bounded keys without a REQUIRED description measure, for their errors.
BOUND_UNITS = {"dielectric.frequency_Hz": "Hz", "dielectric.T_low_K": "K", "dielectric.T_high_K": "K",
               **{f"dielectric.{k}_{end}": "dimensionless" for k in ("tan_delta", "permittivity")
                  for end in ("low", "high")}}
#: Pressure [Pa] no vapour of a regolith melt reaches below its liquidus, nor below BOIL_CHECK_K: one standard
#: atmosphere (silicate melts boil near 3,000 K, far above their liquidus: the vapour data of the material files
#: give 3,150-3,360 K; constructed verification materials move the liquidus far up, hence the cap).
BOIL_CHECK_PA, BOIL_CHECK_K = 101325.0, 2000.0
BOUNDS.update({
    **{f"evaporation.{s}_{key}": rng for s in ("alkali", "refractory")
       for key, rng in (("vapour_pressure_ln_A", (0.0, 80.0)), ("vapour_pressure_B_K", (1e3, 2e5)),
                        ("molar_mass_kg_mol", (1e-3, 0.5)), ("latent_heat_J_kg", (1e5, 5e7)))},
    "evaporation.coefficient": (1e-4, 1.0),
    **{f"cracking.retained_strength_fraction{end}": (0.0, 1.0) for end in ("", "_low", "_high")},
    **{f"porosity.vesicle_fraction{v}{end}": (0.0, 0.95) for v in ("", "_vacuum") for end in ("", "_low", "_high")},
    **{f"strength.{route}.{key}": rng for route in ("solar", "laser", "microwave", "furnace")
       for key, rng in (("sigma0_Pa", (1e4, 1e10)), ("critical_porosity", (0.05, 0.95)), ("exponent", (0.5, 20.0)),
                        ("vesicle_b", (0.0, 50.0)), ("porosity_min", (0.0, 0.99)), ("porosity_max", (0.0, 0.99)),
                        ("scatter_ln", (0.0, 3.0)))},
})
#: Text entries a data table may hold besides numbers (see :attr:`Material.text`).
TEXT_KEYS = ("missing", "same_as", "reason")
T_MIN, T_MAX = 3.0, 5000.0


@dataclass(frozen=True)
class Value:
    """One cited number."""

    value: float
    source: str
    note: str = ""


@dataclass
class Material:
    """A regolith or simulant: cited properties plus the laws that use them."""

    name: str
    kind: str
    description: str
    sources: dict[str, str]
    props: dict[str, Value]
    composition_wt_pct: dict[str, float]
    composition_source: str = ""
    low_T_cp_model: str = "biele2022"
    aliases: tuple[str, ...] = ()
    path: Path | None = None
    overridden: dict[str, float] = field(default_factory=dict)
    #: text entries of the data tables, by dotted key: why data is missing (``strength.solar.missing``), which
    #: route's law a route shares (``strength.solar.same_as``) and why (``strength.solar.reason``)
    text: dict[str, str] = field(default_factory=dict)
    #: the data file's values of the properties a case overrode (what a calibration in the file was made with)
    file_values: dict[str, float] = field(default_factory=dict)

    # -- access ---------------------------------------------------------------------------
    def get(self, key: str, default: float | None = None) -> float:
        if key in self.props:
            return self.props[key].value
        if default is not None:
            return default
        raise MaterialError(f"material '{self.name}' has no property '{key}'", key="material")

    def has(self, key: str) -> bool:
        return key in self.props

    def file_value(self, key: str) -> float:
        """The data file's value of ``key``, before any case override: the state a fit in the file (the master
        sintering curve's furnace point) was made in."""
        return self.file_values.get(key, self.get(key))

    def source_of(self, key: str) -> str:
        v = self.props[key]
        return self.sources.get(v.source, v.source)

    def with_overrides(self, overrides: dict[str, float]) -> "Material":
        """A copy with single properties replaced (source 'case file override')."""
        props = dict(self.props)
        for key, val in overrides.items():
            allowed = set(REQUIRED) | set(BOUNDS) | set(self.props)
            if key not in allowed:
                import difflib

                guess = difflib.get_close_matches(key, sorted(allowed), n=3)
                hint = f"; did you mean {' or '.join(repr(g) for g in guess)}?" if guess else ""
                # (the whole list, 80+ names, buried the message: `materials show` lists them with sources)
                raise MaterialError(f"unknown property '{key}'{hint} (allowed: the {len(allowed)} properties "
                                    f"`regolith-sim materials show {self.name}` lists)",
                                    key=f"material.overrides.{key}")
            _check_bounds(key, val, f"material.overrides.{key}")
            props[key] = Value(float(val), "override", "set in the case file")
        m = Material(self.name, self.kind, self.description, {**self.sources, "override": "case file override"},
                     props, self.composition_wt_pct, self.composition_source, self.low_T_cp_model, self.aliases,
                     self.path, {**self.overridden, **{k: float(v) for k, v in overrides.items()}}, self.text,
                     {**{k: self.props[k].value for k in overrides if k in self.props}, **self.file_values})
        m.validate()
        return m

    def validate(self) -> None:
        where = f"material '{self.name}'" + (f" ({self.path})" if self.path else "")
        for key in REQUIRED:
            if key not in self.props:
                raise MaterialError(f"{where} lacks required property '{key}' ({REQUIRED[key]})", key="material")
        for key, v in self.props.items():
            if v.source not in self.sources:
                raise MaterialError(f"{where}: property '{key}' cites unknown source '{v.source}'", key="material")
            _check_bounds(key, v.value, f"{where}: {key}")
        if self.solidus_K >= self.liquidus_K:
            key, where = self._blame(where, "melting.solidus_K", "melting.liquidus_K")
            raise MaterialError(f"{where}: solidus {self.solidus_K:g} K must be below liquidus {self.liquidus_K:g} K",
                                key=key)
        if self.has("dielectric.T_low_K") and self.has("dielectric.T_high_K") and \
                self.get("dielectric.T_low_K") >= self.get("dielectric.T_high_K"):
            key, where = self._blame(where, "dielectric.T_low_K", "dielectric.T_high_K")
            raise MaterialError(f"{where}: dielectric.T_low_K {self.get('dielectric.T_low_K'):g} K must be below "
                                f"dielectric.T_high_K {self.get('dielectric.T_high_K'):g} K", key=key)
        for vapour in ("alkali", "refractory"):
            A, B = (f"evaporation.{vapour}_vapour_pressure_ln_A", f"evaporation.{vapour}_vapour_pressure_B_K")
            if self.has(A) and self.has(B):
                T = min(self.liquidus_K, BOIL_CHECK_K)
                p = float(np.exp(min(self.get(A) - self.get(B) / T, 700.0)))
                if p > BOIL_CHECK_PA:
                    key, where = self._blame(where, A, B)
                    raise MaterialError(
                        f"{where}: the {vapour} vapour pressure exp({A.split('.')[1]} - {B.split('.')[1]}/T) = "
                        f"{p:.3g} Pa at {T:g} K (the liquidus, or 2000 K if lower) exceeds one atmosphere "
                        f"({BOIL_CHECK_PA:g} Pa): the melt would boil before it is molten; silicate melts boil "
                        "near 3,000 K (ln A of order 20-30, B of order 3e4-7e4 K)", key=key)
        if self.bulk_density > self.particle_density:
            key, where = self._blame(where, "density.bulk_kg_m3", "density.particle_kg_m3")
            raise MaterialError(f"{where}: bulk density {self.bulk_density:g} kg/m^3 exceeds particle density "
                                f"{self.particle_density:g} kg/m^3", key=key)

    def _blame(self, where: str, *keys: str) -> tuple[str, str]:
        """The error key and subject of a failed check between ``keys``: the case's override of one of them
        when there is one (the data file was consistent before it), else the material itself."""
        over = next((k for k in keys if k in self.overridden), None)
        if over is None:
            return "material", where
        return f"material.overrides.{over}", f"material '{self.name}' as overridden by the case"

    # -- the numbers the solvers use ---------------------------------------------------------
    particle_density = property(lambda self: self.get("density.particle_kg_m3"))
    bulk_density = property(lambda self: self.get("density.bulk_kg_m3"))
    emissivity = property(lambda self: self.get("optical.emissivity"))
    solidus_K = property(lambda self: self.get("melting.solidus_K"))
    liquidus_K = property(lambda self: self.get("melting.liquidus_K"))
    latent_heat = property(lambda self: self.get("melting.latent_heat_J_kg"))

    @property
    def emissivity_melt(self) -> float:
        return self.get("optical.emissivity_melt", self.emissivity)

    @property
    def powder_relative_density(self) -> float:
        """Relative density of loose powder: bulk / particle density."""
        return self.bulk_density / self.particle_density

    def modulus_porosity_factor(self, porosity, vesicles=0.0, green_porosity: float | None = None):
        """E/E0 [-] at a porosity between grains and a vesicle fraction (laws.porous_modulus_factor, with
        ``elastic.youngs_modulus_porosity_b`` and the green porosity of the bed, by default this powder's)."""
        P_c = 1.0 - self.powder_relative_density if green_porosity is None else green_porosity
        return laws.porous_modulus_factor(porosity, vesicles, self.get("elastic.youngs_modulus_porosity_b"), P_c)

    def absorptivity(self, source: str) -> float:
        """Absorbed fraction for a heat-source kind ('solar', 'laser'; microwaves are volumetric)."""
        return self.get("optical.absorptivity_laser" if source == "laser" else "optical.absorptivity_solar")

    def cp(self, T):
        """Sensible specific heat cp(T) [J/(kg K)] (see :func:`laws.cp_sensible`)."""
        return laws.cp_sensible(
            T, low_model=self.low_T_cp_model, T_high=self.get("heat_capacity.T_high_K"),
            cp_liquid=self.get("heat_capacity.liquid_J_kgK"), solidus=self.solidus_K, liquidus=self.liquidus_K,
            constant=self.props["heat_capacity.constant_J_kgK"].value if self.has("heat_capacity.constant_J_kgK")
            else None,
        )

    def dielectric_loss(self, T):
        """Dielectric loss factor eps''(T) = eps'(T) tan delta(T) of the powder [-] at the frequency
        ``dielectric.frequency_Hz``. tan delta is interpolated log-linearly between the two measured
        temperatures (an exponential rise, the form used in thermal-runaway analyses of microwave-heated
        ceramics, Kriegsmann 1992, J. Appl. Phys. 71:1960) and eps' linearly; both are held constant
        outside the measured range."""
        keys = ("T_low_K", "tan_delta_low", "permittivity_low", "T_high_K", "tan_delta_high", "permittivity_high")
        missing = [k for k in keys if not self.has(f"dielectric.{k}")]
        if missing:
            raise MaterialError(f"material '{self.name}' has no microwave dielectric data (dielectric.{missing[0]}); "
                                f"use a material with a [dielectric] section, e.g. JSC-1A", key="material")
        T0, t0, e0, T1, t1, e1 = (self.get(f"dielectric.{k}") for k in keys)
        u = np.clip((np.asarray(T, dtype=float) - T0) / (T1 - T0), 0.0, 1.0)
        return (e0 + u * (e1 - e0)) * np.exp(np.log(t0) + u * (np.log(t1) - np.log(t0)))

    def melt_fraction(self, T):
        return laws.melt_fraction(T, self.solidus_K, self.liquidus_K)

    def conductivity(self, T, rel_density, gas: tuple[float, float, float] | None = None):
        """k(T, relative density) [W/(m K)] (see :func:`laws.conductivity`); ``gas``: (k [W/(m K)] at T [K],
        exponent) of a gas in the pores (Site.gas_conductivity), None in vacuum."""
        bed = None if gas is None else laws.gas_bed_power_law(1.0 - self.powder_relative_density,
                                                              self.get("conductivity.dense_W_mK"), gas)
        return laws.conductivity(
            T, rel_density, gas=bed, contact=self.get("conductivity.contact_W_mK"),
            chi=self.get("conductivity.radiative_chi"), dense=self.get("conductivity.dense_W_mK"),
            melt=self.get("conductivity.melt_W_mK"), rel_density0=self.powder_relative_density,
            solidus=self.solidus_K, liquidus=self.liquidus_K,
            constant=self.props["conductivity.constant_W_mK"].value if self.has("conductivity.constant_W_mK")
            else None,
        )

    @cached_property
    def _enthalpy_table(self):
        T = np.geomspace(T_MIN, T_MAX, 20001)
        integrand = self.cp(T)
        h = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(T))])
        h = h + self.latent_heat * self.melt_fraction(T)
        return T, h

    def enthalpy(self, T):
        """Specific enthalpy h(T) = int_3K^T cp dT + L f_melt(T) [J/kg], referenced to 3 K."""
        T_tab, h_tab = self._enthalpy_table
        return np.interp(np.asarray(T, dtype=float), T_tab, h_tab)

    def temperature_from_enthalpy(self, h):
        """Inverse of :meth:`enthalpy` [K] (h is strictly increasing since cp > 0)."""
        T_tab, h_tab = self._enthalpy_table
        return np.interp(np.asarray(h, dtype=float), h_tab, T_tab)

    @cached_property
    def vft(self) -> tuple[float, float, float]:
        """Giordano 2008 VFT (A, B, C) of the melt from the bulk composition."""
        if not self.composition_wt_pct:
            raise MaterialError(f"material '{self.name}' has no composition, so no melt viscosity", key="material")
        return laws.giordano2008_VFT(self.composition_wt_pct)

    def viscosity(self, T):
        """Crystal-free melt viscosity eta(T) [Pa s], Giordano et al. 2008."""
        return laws.vft_viscosity(T, *self.vft)

    @property
    def glass_transition_K(self) -> float:
        """Temperature where the melt viscosity is 1e12 Pa s [K]."""
        return laws.glass_transition(*self.vft)

    @property
    def sintering_onset_K(self) -> float:
        """Where viscous flow, and so sintering, starts [K]: the glass transition of the melt where the
        composition gives one, else (a material without composition, e.g. a textbook solid) the solidus."""
        return self.glass_transition_K if self.composition_wt_pct else self.solidus_K

    def summary(self) -> dict:
        """Every property with its value and source, for `materials show --json`."""
        out = {
            "name": self.name, "kind": self.kind, "description": self.description,
            "particle_density_kg_m3": self.particle_density, "bulk_density_kg_m3": self.bulk_density,
            "glass_transition_K": self.glass_transition_K if self.composition_wt_pct else None,
            "solidus_K": self.solidus_K, "liquidus_K": self.liquidus_K, "emissivity": self.emissivity,
            "absorptivity": self.absorptivity("solar"),
            "absorptivity_laser": self.absorptivity("laser"),
            "composition_wt_pct": self.composition_wt_pct,
            "properties": {k: {"value": v.value, "source": v.source, **({"note": v.note} if v.note else {})}
                           for k, v in sorted(self.props.items())},
            "sources": self.sources,
        }
        if self.path:
            out["file"] = str(self.path)
        return out


def _check_bounds(key: str, value: float, where: str) -> None:
    lo, hi = BOUNDS.get(key, (-np.inf, np.inf))
    if not (np.isfinite(value) and lo <= value <= hi):
        what = "is outside the allowed range" if np.isfinite(value) else "is not a finite number; allowed:"
        raise MaterialError(f"{key} = {value!r} {what} [{lo:g}, {hi:g}] "
                            f"({REQUIRED.get(key) or BOUND_UNITS.get(key, 'SI units')})", key=where if ":" not in where else None)


def flatten(table: dict, prefix: str = "") -> dict:
    """Nested dicts -> dotted keys (``{'a': {'b': 1}}`` -> ``{'a.b': 1}``)."""
    out = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "value" not in v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


#: Top-level keys of a material data file that are not property tables, with the type each must have.
_TOP_TEXT = {"name": "a non-empty string", "kind": "a string", "description": "a string"}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _type_error(where: str, key: str, value, allowed: str) -> MaterialError:
    shown = "a table" if isinstance(value, dict) else repr(value)
    return MaterialError(f"{where}: {key} = {shown}: wrong type; allowed: {allowed}", key="material.name")


def _check_types(data: dict, where: str) -> None:
    """Refuse a data file whose entries have the wrong type, naming the entry, the value and what is allowed
    (as a case file's errors do), before anything reads a value."""
    if data.get("schema_version") != 1 or not _is_number(data.get("schema_version")):
        raise MaterialError(f"{where}: schema_version = {data.get('schema_version')!r}; allowed: 1",
                            key="material.name")
    for key, allowed in _TOP_TEXT.items():
        if key in data and not isinstance(data[key], str):
            raise _type_error(where, key, data[key], allowed)
    if not str(data.get("name", "")).strip():
        raise MaterialError(f"{where}: missing key 'name' (a non-empty string)", key="material.name")
    aliases = data.get("aliases", [])
    if not (isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)):
        raise _type_error(where, "aliases", aliases, "a list of strings")
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise _type_error(where, "sources", sources, "a table of source key = \"citation\"")
    for k, v in sources.items():
        if not isinstance(v, str):
            raise _type_error(where, f"sources.{k}", v, "a citation string")
    comp = data.get("composition_wt_pct", {})
    if not isinstance(comp, dict):
        raise _type_error(where, "composition_wt_pct", comp, "a table of oxide = wt% and source = \"key\"")
    for k, v in comp.items():
        if k == "source":
            if not isinstance(v, str):
                raise _type_error(where, "composition_wt_pct.source", v, "a source key (string)")
        elif not (_is_number(v) and 0 <= v <= 100):
            raise _type_error(where, f"composition_wt_pct.{k}", v, "a number of wt% in [0, 100]")
    for key, v in data.items():
        if key in (*_TOP_TEXT, "schema_version", "aliases", "sources", "composition_wt_pct"):
            continue
        if not isinstance(v, dict):
            raise _type_error(where, key, v, "a table of properties, each { value = <number>, source = \"key\" }")
        _check_group(v, key, where)


def _check_group(table: dict, prefix: str, where: str) -> None:
    """A property table: entries are { value, source[, note] } tables, nested tables, or text entries."""
    stack = [(table, prefix)]
    while stack:
        node, pre = stack.pop()
        for k, v in node.items():
            key = f"{pre}.{k}"
            if isinstance(v, dict) and "value" in v:
                extra = sorted(set(v) - {"value", "source", "note"})
                if extra:
                    raise MaterialError(f"{where}: unknown key '{key}.{extra[0]}'; valid keys here: note, source, "
                                        "value", key="material.name")
                unit = REQUIRED.get(key, "SI units")
                if not _is_number(v["value"]):
                    raise _type_error(where, f"{key}.value", v["value"], f"a number ({unit})")
                for part in ("source", "note"):
                    if part in v and not isinstance(v[part], str):
                        raise _type_error(where, f"{key}.{part}", v[part], "a string")
            elif isinstance(v, dict):
                stack.append((v, key))
            elif k in (*TEXT_KEYS, "low_T_model"):
                if not isinstance(v, str):
                    raise _type_error(where, key, v, "a string")
            else:
                raise _type_error(where, key, v, f"{{ value = <number>, source = \"key\" }} "
                                                 f"({REQUIRED.get(key) or BOUND_UNITS.get(key, 'SI units')})")


def material_from_dict(data: dict, path: Path | None = None) -> Material:
    """Build and validate a :class:`Material` from a parsed data file."""
    where = f"material file '{path}'" if path else f"material {data.get('name', '<material>')!r}"
    _check_types(data, where)
    comp = dict(data.get("composition_wt_pct", {}))
    comp_source = comp.pop("source", "")
    props: dict[str, Value] = {}
    text: dict[str, str] = {}
    for key, raw in flatten({k: v for k, v in data.items() if isinstance(v, dict)
                             and k not in ("sources", "composition_wt_pct")}).items():
        if isinstance(raw, dict):
            if "source" not in raw:
                raise MaterialError(f"{where}: '{key}' has no source", key="material")
            props[key] = Value(float(raw["value"]), str(raw["source"]), str(raw.get("note", "")))
        elif key.split(".")[-1] in TEXT_KEYS:
            text[key] = raw
    low_model = data.get("heat_capacity", {}).get("low_T_model", "biele2022")
    if low_model not in ("biele2022", "hayne2017"):
        raise MaterialError(f"{where}: heat_capacity.low_T_model = {low_model!r}; allowed: biele2022, hayne2017",
                            key="material")
    if comp and comp_source not in data.get("sources", {}):
        raise MaterialError(f"{where}: composition cites unknown source '{comp_source}'", key="material")
    m = Material(
        name=str(data.get("name", "")), kind=str(data.get("kind", "simulant")),
        description=str(data.get("description", "")), sources=dict(data.get("sources", {})), props=props,
        composition_wt_pct={k: float(v) for k, v in comp.items()}, composition_source=comp_source,
        low_T_cp_model=low_model, aliases=tuple(data.get("aliases", ())), path=path, text=text,
    )
    m.validate()
    return m
