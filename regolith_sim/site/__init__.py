"""Where a print happens: named sites and the lunar regolith diurnal thermal model.

* :func:`get_site` / :class:`Site`: gravity, radiative sink, convection and substrate temperatures
  of "lunar-south-pole", "lunar-equator", "lab-vacuum", "lab-air" and "lab-argon" (data in ``site/data/``).
* :func:`solve_diurnal` / :class:`DiurnalSolution`: the Hayne et al. (2017) 1D model of the
  regolith column, spun up to its periodic state; :func:`site_report` summarises it as JSON.
"""
from .diurnal import (
    PROFILE_DEPTHS_M, Column, DiurnalSolution, HayneParams, absorbed_flux, cached_diurnal, cos_incidence,
    geometric_grid, load_hayne_params, run_cycle, site_report, solve_diurnal, sun_elevation_max_deg,
)
from .sites import Site, get_site, site_names

__all__ = [
    "PROFILE_DEPTHS_M", "Column", "DiurnalSolution", "HayneParams", "Site", "absorbed_flux", "cached_diurnal",
    "cos_incidence", "geometric_grid", "get_site", "load_hayne_params", "run_cycle", "site_names", "site_report",
    "solve_diurnal", "sun_elevation_max_deg",
]
