"""Named sites: gravity, radiative sink, convection and the substrate's temperature profile.

Each site is a data file ``data/<name>.toml`` with ``kind = "site"`` and a cited value for every
number. Lunar sites take their substrate temperatures from the diurnal model (memoised per
latitude, albedo and solar declination); laboratory sites are uniform at room temperature.
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import UserError
from .diurnal import (
    DATA_DIR, DiurnalSolution, _check_inputs, cached_diurnal, load_hayne_params, read_data_toml,
    sun_elevation_max_deg,
)


@dataclass(frozen=True)
class Site:
    """Where a print happens. SI units; ``latitude_deg`` is None for laboratory sites."""

    name: str
    description: str
    gravity_m_s2: float
    sky_temperature_K: float
    convection_W_m2K: float
    ambient_temperature_K: float
    latitude_deg: Optional[float]
    is_vacuum: bool
    sun_elevation_max_deg: Optional[float]   # highest sun above a flat horizon (lunar sites)
    terrain: str = "flat"                    # "flat", "polar-low-sun" (sun grazes the ground) or "lab"
    albedo: Optional[float] = None           # normal-incidence albedo A0 of the regolith (lunar sites)
    solar_declination_deg: float = 0.0       # sun's declination in the lunar sky, within +/-1.54 deg
    convection_range_W_m2K: Optional[tuple[float, float]] = None
    #: rho c_p of the gas [J/(m^3 K)]: turns the convection coefficient into a mass-transfer one (None: vacuum)
    gas_heat_capacity_J_m3K: Optional[float] = None
    gas_pressure_Pa: Optional[float] = None  #: pressure of the gas over the bed (None: vacuum)
    #: (D [m^2/s] at T [K], exponent n) of a melt vapour diffusing through the gas, D ~ T^n (None: vacuum)
    vapour_diffusivity: Optional[tuple[float, float, float]] = None
    #: (k [W/(m K)] at T [K], exponent n) of the gas's own conductivity, k ~ T^n: the gas in the pores of the
    #: bed conducts (materials.laws.gas_bed_power_law); None in vacuum
    gas_conductivity: Optional[tuple[float, float, float]] = None

    @property
    def is_lunar(self) -> bool:
        return self.latitude_deg is not None

    @property
    def low_sun(self) -> bool:
        """True where the sun never climbs more than a few degrees: the ground is barely heated by it."""
        return self.sun_elevation_max_deg is not None and self.sun_elevation_max_deg < 5.0

    def diurnal(self) -> DiurnalSolution:
        """The periodic diurnal solution of this site (lunar sites only; memoised)."""
        if not self.is_lunar:
            raise UserError(f"site '{self.name}' is a laboratory: it has no lunar day", key="site.name")
        return cached_diurnal(float(self.latitude_deg), None if self.albedo is None else float(self.albedo),
                              float(self.solar_declination_deg))

    def vapour_diffusivity_at(self, T_K: float) -> Optional[float]:
        """Diffusivity [m^2/s] of the melt's vapour through the site's gas at ``T_K`` (None in vacuum)."""
        if self.vapour_diffusivity is None:
            return None
        D, T_ref, n = self.vapour_diffusivity
        return D * (float(T_K) / T_ref) ** n

    def substrate_profile(self, depth_m, local_time_h: float = 12.0) -> np.ndarray:
        """Temperature [K] of the undisturbed substrate at ``depth_m`` (m, >= 0) and local time (h, 12 = noon)."""
        depth = np.asarray(depth_m, float)
        if np.any(depth < 0) or not np.all(np.isfinite(depth)):
            raise UserError("substrate depths must be finite and >= 0 m", key="site.substrate_depth")
        if not self.is_lunar:
            return np.full(depth.shape, float(self.ambient_temperature_K))
        return self.diurnal().temperature(depth, local_time_h)


def _entry(table: dict, key: str, where: str):
    if key not in table:
        raise KeyError(f"site data file {where}: missing '{key}'")
    e = table[key]
    if isinstance(e, dict):
        if "source" not in e:
            raise KeyError(f"site data file {where}: '{key}' has no source")
        return e["value"]
    return e


@functools.lru_cache(maxsize=1)
def _site_files() -> dict[str, dict]:
    out = {}
    for path in sorted(DATA_DIR.glob("*.toml")):
        data = read_data_toml(path)
        if data.get("kind") == "site":
            out[data["name"]] = {"data": data, "path": path.name}
    return out


def site_names() -> list[str]:
    """Names accepted by :func:`get_site`."""
    return sorted(_site_files())


def _build(name: str) -> Site:
    rec = _site_files()[name]
    d, where = rec["data"], rec["path"]
    env, loc = d["environment"], d.get("location", {})
    lat = float(_entry(loc, "latitude_deg", where)) if "latitude_deg" in loc else None
    dec = float(_entry(loc, "solar_declination_deg", where)) if "solar_declination_deg" in loc else 0.0
    rng = _entry(env, "convection_range_W_m2K", where) if "convection_range_W_m2K" in env else None
    return Site(
        name=d["name"], description=d["description"],
        gravity_m_s2=float(_entry(env, "gravity_m_s2", where)),
        sky_temperature_K=float(_entry(env, "sky_temperature_K", where)),
        convection_W_m2K=float(_entry(env, "convection_W_m2K", where)),
        ambient_temperature_K=float(_entry(env, "ambient_temperature_K", where)),
        latitude_deg=lat, is_vacuum=bool(d["is_vacuum"]),
        sun_elevation_max_deg=None if lat is None else sun_elevation_max_deg(lat, dec),
        terrain=d.get("terrain", "flat"),
        albedo=float(_entry(loc, "albedo", where)) if "albedo" in loc else None,
        solar_declination_deg=dec,
        convection_range_W_m2K=None if rng is None else (float(rng[0]), float(rng[1])),
        gas_heat_capacity_J_m3K=float(_entry(env, "gas_heat_capacity_J_m3K", where))
        if "gas_heat_capacity_J_m3K" in env else None,
        gas_pressure_Pa=float(_entry(env, "gas_pressure_Pa", where)) if "gas_pressure_Pa" in env else None,
        vapour_diffusivity=_power_law(env, "vapour_diffusivity", "m2_s", where),
        gas_conductivity=_power_law(env, "gas_conductivity", "W_mK", where),
    )


def _power_law(env: dict, name: str, unit: str, where: str) -> Optional[tuple[float, float, float]]:
    """(value at T_ref, T_ref [K], exponent) of a gas property given as ``{name}_{unit}``, ``{name}_T_K`` and
    ``{name}_exponent`` in a site file (value ~ T^exponent); None where the site has no such gas (vacuum)."""
    if f"{name}_{unit}" not in env:
        return None
    return tuple(float(_entry(env, f"{name}_{k}", where)) for k in (unit, "T_K", "exponent"))  # type: ignore[return-value]


def get_site(name: str, *, latitude_deg: Optional[float] = None, albedo: Optional[float] = None,
             solar_declination_deg: Optional[float] = None) -> Site:
    """The named site, optionally moved to another latitude / albedo / solar declination (lunar sites).

    Unknown names raise :class:`~regolith_sim.errors.UserError` (key ``site.name``) listing the
    allowed names with the closest match.
    """
    names = site_names()
    if name not in names:
        guess = difflib.get_close_matches(str(name), names, n=1, cutoff=0.5)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        raise UserError(f"unknown site '{name}'{hint} Allowed: {', '.join(names)}", key="site.name")
    site = _build(name)
    changes = {"latitude_deg": latitude_deg, "albedo": albedo, "solar_declination_deg": solar_declination_deg}
    changes = {k: float(v) for k, v in changes.items() if v is not None}
    if not changes:
        return site
    if not site.is_lunar:
        key = "site." + next(iter(changes)).removesuffix("_deg")
        raise UserError(f"site '{name}' is a laboratory: {', '.join(changes)} applies only to lunar sites "
                        f"(lunar sites: {', '.join(n for n in names if _build(n).is_lunar)})", key=key)
    lat = changes.get("latitude_deg", site.latitude_deg)
    dec = changes.get("solar_declination_deg", site.solar_declination_deg)
    _validate(lat, changes.get("albedo"), dec)
    note = ", ".join(f"{k} = {v:g}" for k, v in changes.items())
    return dataclasses.replace(site, **changes, sun_elevation_max_deg=sun_elevation_max_deg(lat, dec),
                               terrain=site.terrain if "latitude_deg" not in changes else _terrain(lat, dec),
                               description=f"{site.description} [modified: {note}]")


def _terrain(lat: float, dec: float) -> str:
    return "polar-low-sun" if sun_elevation_max_deg(lat, dec) < 5.0 else "flat"


def _validate(lat, albedo, dec) -> None:
    _check_inputs(lat, albedo, dec, load_hayne_params())
