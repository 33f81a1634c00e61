"""Concentrated sunlight from collector data: the power budget of the collector and measured flux
fluctuations (``process.solar``).

Power rule. The collector is taken to track the sun (as Chang'e-8's concentrator must: near the lunar
south pole the sun stays within ~1.5 deg of the horizon, so a fixed collector would intercept almost
nothing), so no cosine factor applies while the sun is above the horizon:

    P_available = irradiance x collector_area x optical_efficiency

and the spot receives min(plan power, P_available) (a warning says when the plan asks for more).
Without ``collector_area`` the plan's power is used as given. At a lunar site whose sun is below the
horizon at ``site.local_time`` there is no sunlight: that is a user error. A ``fluctuation_file``
(CSV ``time_s, relative_flux``, linear between samples, held at the end values outside them)
multiplies the power; over a step [t0, t1] the exact mean of the piecewise-linear series is used,
so the energy delivered is the integral of power x fluctuation whatever the step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError


@dataclass(frozen=True)
class Fluctuation:
    """A relative-flux series f(t) [-], piecewise linear; ``mean(t0, t1)`` is its exact average."""

    t: np.ndarray
    f: np.ndarray

    def __post_init__(self):
        # cumulative integral at the samples (trapezoids are exact for a piecewise-linear series)
        object.__setattr__(self, "_cum", np.concatenate([[0.0], np.cumsum(0.5 * (self.f[1:] + self.f[:-1])
                                                                          * np.diff(self.t))]))

    def integral(self, t: float) -> float:
        """int_{t_0}^{t} f dt' [s], f held constant before the first and after the last sample."""
        ts, fs, cum = self.t, self.f, self._cum
        if t <= ts[0]:
            return float(fs[0] * (t - ts[0]))
        if t >= ts[-1]:
            return float(cum[-1] + fs[-1] * (t - ts[-1]))
        i = int(np.searchsorted(ts, t, side="right") - 1)
        ft = fs[i] + (fs[i + 1] - fs[i]) * (t - ts[i]) / (ts[i + 1] - ts[i])
        return float(cum[i] + 0.5 * (fs[i] + ft) * (t - ts[i]))

    def mean(self, t0: float, t1: float) -> float:
        if t1 <= t0:
            return float(np.interp(t0, self.t, self.f))
        return (self.integral(t1) - self.integral(t0)) / (t1 - t0)

    @classmethod
    def from_csv(cls, path: str | Path, key: str = "process.solar.fluctuation_file") -> "Fluctuation":
        """Read ``time_s, relative_flux`` rows (an optional header line, '#' comments); times strictly
        increasing, fluxes finite and >= 0. Any problem is a one-line :class:`UserError` naming ``key``.

        The file is read by :mod:`regolith_sim.io.safe_read` (a regular UTF-8 file of bounded size), and no
        message quotes more of it than a short field: the path may name anyone's file."""
        from ..io.safe_read import MAX_TABLE_BYTES, read_text, shown_token

        path = Path(path)
        what = f"fluctuation file {path}"
        allowed = "allowed: lines of two numbers 'time_s, relative_flux' (one header line, '#' comments)"
        lines = read_text(path, what="fluctuation file", key=key, max_bytes=MAX_TABLE_BYTES).splitlines()
        rows, first = [], True
        for n, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            parts = [p.strip() for p in text.split(",")]
            bad = next((p for p in parts if not _is_float(p)), None)
            if bad is not None:
                if first:  # a header line
                    first = False
                    continue
                raise UserError(f"{what}, line {n}: {shown_token(bad)} is not a number; {allowed}", key=key)
            first = False
            if len(parts) != 2:
                raise UserError(f"{what}, line {n}: {len(parts)} columns; {allowed}", key=key)
            rows.append([float(p) for p in parts])
        if len(rows) < 2:
            raise UserError(f"{what} has {len(rows)} rows of numbers; {allowed}, at least 2 rows", key=key)
        a = np.asarray(rows, float)
        if not np.all(np.isfinite(a)):
            raise UserError(f"{what}: NaN or infinite values; allowed: finite numbers", key=key)
        if np.any(np.diff(a[:, 0]) <= 0):
            i = int(np.argmax(np.diff(a[:, 0]) <= 0)) + 1
            raise UserError(f"{what}: time_s must increase strictly (row {i + 1}: {a[i, 0]!r} s after "
                            f"{a[i - 1, 0]!r} s)", key=key)
        if np.any(a[:, 1] < 0):
            raise UserError(f"{what}: relative_flux must be >= 0 (found {a[:, 1].min()!r})", key=key)
        return cls(a[:, 0].copy(), a[:, 1].copy())


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class SolarSupply:
    """Turns the plan's power into the power at the spot (module docstring): the collector's limit
    ``available`` [W] (None: no limit) times the fluctuation series (None: steady)."""

    available: float | None = None
    fluctuation: Fluctuation | None = None

    def power(self, plan_power: float, t0: float, t1: float) -> float:
        p = plan_power if self.available is None else min(plan_power, self.available)
        if self.fluctuation is not None:
            p *= self.fluctuation.mean(t0, t1)
        return p


def sun_elevation_deg(site, local_time_s: float) -> float | None:
    """Elevation of the sun above a flat horizon at the site's local time [deg]; None for a lab."""
    if not getattr(site, "is_lunar", False):
        return None
    from ..site import cos_incidence

    mu = float(cos_incidence(site.latitude_deg, local_time_s / 3600.0, site.solar_declination_deg))
    return math.degrees(math.asin(max(-1.0, min(1.0, mu))))


def collector_power(solar_cfg) -> float | None:
    """Most power [W] the collector delivers to the spot, irradiance x collector_area x optical_efficiency (None
    without a collector area: the spot gets process.power)."""
    if solar_cfg.collector_area is None:
        return None
    return solar_cfg.irradiance * solar_cfg.collector_area * solar_cfg.optical_efficiency


def check_sun_up(solar_cfg, site, local_time_s: float) -> None:
    """Refuse a solar collector (``process.solar.collector_area``) at a local time with the sun below the horizon."""
    if solar_cfg.collector_area is None:
        return
    elevation = sun_elevation_deg(site, local_time_s)
    if elevation is not None and elevation <= 0.0:
        raise UserError(f"{local_time_s / 3600:g} h: the sun is {-elevation:.2f} deg below the horizon at "
                        f"{site.name} (latitude {site.latitude_deg:g} deg), so a solar collector gets no light; "
                        f"choose a local time with the sun up", key="site.local_time")


def solar_supply(solar_cfg, plan_max_power: float, site, local_time_s: float, resolve_path) -> SolarSupply:
    """The :class:`SolarSupply` of a case's ``process.solar`` section (rule in the module docstring)."""
    available = None
    check_sun_up(solar_cfg, site, local_time_s)
    if solar_cfg.collector_area is not None:
        # (a plan asking for more is capped to it: preflight.setup_warnings says so before the run)
        available = collector_power(solar_cfg)
    fluct = None
    if solar_cfg.fluctuation_file:
        fluct = Fluctuation.from_csv(resolve_path(solar_cfg.fluctuation_file))
    return SolarSupply(available, fluct)
