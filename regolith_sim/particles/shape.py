"""Grain shape of regolith as rolling resistance on spheres (the ``rolling_friction = "shape"`` setting).

Angular, elongated grains resist rolling because the normal force of a contact does not pass through
their centre: on an ellipse of semi-axes a >= c the normal line at a surface point passes the centre
at up to a - c, so a grain that rolls over a neighbour (or over the floor) must lift its centre against
a moment up to e F_n with e = a - c. Rolling resistance on spheres (Ai, Chen, Rotter & Ooi 2011, Powder
Technol. 206:269, model C: an elastic-plastic rolling spring-dashpot) caps the contact moment at
mu_r R* F_n, R* the effective radius of the contact; Wensrich & Katterfeld (2012, Powder Technol.
217:409) showed that this rotational resistance stands for shape in bulk flow and heaps (not for the
packing of angular grains). Setting the cap equal to the shape's moment, mu_r R* = e, gives

* grain-grain (two equal grains, R* = R/2): mu_r = 2 e/R,
* grain-wall (a flat wall, R* = R): mu_r = e/R,

with e/R = (a - c) / R_v from the material's measured 3D axial ratios (data/granular_reference.toml,
[shape]; R_v the radius of the sphere of equal volume, a = L/2, c = S/2). No factor is fitted: the
heap angles it gives are compared with published ones in `regolith-sim validate --suite particles`.
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
    """mu_r of ``rolling_friction = "shape"`` for grain-grain contacts (e/R* with R* = R/2: 2 e/R) and for
    walls (R* = R: e/R), from the recorded lunar grain shape, with the numbers and source."""
    s = reference()["shape"]
    e = eccentricity_ratio(s["i_over_l"], s["s_over_l"])
    return dict(rolling_friction=2.0 * e, rolling_friction_wall=e, eccentricity_ratio=e,
                i_over_l=s["i_over_l"], s_over_l=s["s_over_l"], source=s["source"])
