"""Grain shape of regolith as rolling resistance on spheres (the ``rolling_friction = "shape"`` setting).

Angular, elongated grains resist rolling because the normal force of a contact does not pass through
their centre: on an ellipse of semi-axes a >= c the normal line at a surface point passes the centre
at up to a - c, so a grain that rolls over a neighbour must lift its centre against a moment up to
(a - c) F_n. Rolling resistance on spheres (Ai, Chen, Rotter & Ooi 2011, Powder Technol. 206:269,
model C) caps the contact moment at mu_r R F_n; Wensrich & Katterfeld (2012, Powder Technol. 217:409)
showed that this rotational resistance stands for shape in bulk flow and heaps (not for the packing of
angular grains). The geometric coefficient is taken from the material's measured 3D axial ratios
(data/granular_reference.toml, [shape]): e/R = (a - c) / R_v with R_v the radius of the sphere of equal
volume, a = L/2, c = S/2. One factor, calibrated once on a published angle of repose ([shape.calibration];
the dataset is named there), scales it to the DEM's mu_r (which also absorbs the R* = R/2 of a
grain-grain contact in model C and the averaging over contact orientations).
"""
from __future__ import annotations

from .reference import reference


def eccentricity_ratio(i_over_l: float, s_over_l: float) -> float:
    """Largest offset of the normal force from the centre of an ellipsoid with axial ratios I/L and S/L,
    over the radius of the sphere of equal volume: (1 - S/L) / (I/L S/L)^(1/3) (0 for a sphere)."""
    if not 0.0 < s_over_l <= i_over_l <= 1.0:
        raise ValueError(f"need 0 < S/L <= I/L <= 1, got S/L = {s_over_l}, I/L = {i_over_l}")
    return (1.0 - s_over_l) / (i_over_l * s_over_l) ** (1.0 / 3.0)


def shape_rolling_friction() -> dict:
    """mu_r of ``rolling_friction = "shape"``: the calibrated factor times the eccentricity ratio of the
    recorded lunar grain shape, with the numbers and sources it comes from."""
    s = reference()["shape"]
    cal = s["calibration"]
    e = eccentricity_ratio(s["i_over_l"], s["s_over_l"])
    return dict(rolling_friction=cal["factor"] * e, eccentricity_ratio=e, factor=cal["factor"],
                i_over_l=s["i_over_l"], s_over_l=s["s_over_l"], source=s["source"], calibration=cal["dataset"])
