"""Issue 17, item 3: grain shape as rolling resistance (regolith_sim/particles/shape.py).

The geometric part is checked against the ellipse it rests on (the normal line at a surface point of
an ellipse with semi-axes a >= c passes the centre at most a - c away, a classical result), the mapping
onto model C's moment cap (mu_r R* F_n = e F_n for grain-grain and grain-wall contacts) against that
offset, the case key against its data file; the heap angles it gives are `validate --suite particles`
checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from regolith_sim.errors import ConfigError


def test_largest_normal_offset_of_an_ellipse_is_a_minus_c():
    """Distance from the centre to the normal line at (a cos t, c sin t), maximised over t, is a - c."""
    for a, c in ((1.0, 0.581), (1.0, 0.9), (2.0, 0.5)):
        t = np.linspace(0.0, 0.5 * math.pi, 200001)
        px, py = a * np.cos(t), c * np.sin(t)
        nx, ny = np.cos(t) / a, np.sin(t) / c  # gradient of x^2/a^2 + y^2/c^2
        norm = np.hypot(nx, ny)
        dist = np.abs(px * ny - py * nx) / norm  # |p x n|: offset of the normal line from the origin
        assert dist.max() == pytest.approx(a - c, rel=1e-6)


def test_eccentricity_ratio_of_sphere_and_lunar_grains():
    from regolith_sim.particles.shape import eccentricity_ratio, shape_rolling_friction

    assert eccentricity_ratio(1.0, 1.0) == 0.0
    # L:I:S = 1 : 0.758 : 0.581 (Apollo/Luna averages): semi-axes a = 1/2, c = 0.581/2 and the radius of
    # the sphere of equal volume (0.758 x 0.581)^(1/3) / 2
    assert eccentricity_ratio(0.758, 0.581) == pytest.approx((1 - 0.581) / (0.758 * 0.581) ** (1 / 3), rel=1e-12)
    s = shape_rolling_friction()
    assert s["eccentricity_ratio"] == pytest.approx(eccentricity_ratio(0.758, 0.581), rel=1e-12)
    assert "doi:" in s["source"]
    with pytest.raises(ValueError):
        eccentricity_ratio(0.5, 0.7)  # S/L above I/L: not ordered


def test_shape_moment_cap_equals_the_normal_force_offset():
    """Model C caps the rolling moment at mu_r R* F_n, R* = R1 R2 / (R1 + R2) (R for a flat wall): with the
    'shape' coefficients a grain of radius R resists rolling over an equal grain and over the floor with the
    same moment e F_n, e = (a - c) the largest normal-force offset of the ellipsoid of equal volume."""
    from regolith_sim.particles.shape import shape_rolling_friction

    s = shape_rolling_friction()
    R, fn = 0.5e-3, 1e-5
    i_l, s_l = 0.758, 0.581
    r_v = (i_l * s_l) ** (1 / 3) / 2  # equal-volume radius of the ellipsoid with L = 1
    e = R * (1 / 2 - s_l / 2) / r_v  # a - c scaled to the grain radius R
    assert s["rolling_friction"] * (R * R / (R + R)) * fn == pytest.approx(e * fn, rel=1e-12)
    assert s["rolling_friction_wall"] * R * fn == pytest.approx(e * fn, rel=1e-12)


def test_case_key_rolling_friction_shape():
    from regolith_sim.particles.config import load_particle_case
    from regolith_sim.particles.runner import _material, contact_for, grains_for
    from regolith_sim.particles.shape import shape_rolling_friction

    case = load_particle_case({"particles": {"grains": {"diameter": "1 mm"},
                                             "contact": {"rolling_friction": "shape", "cohesion": "none"}}})
    p = case.particles
    mat = _material(case)
    c = contact_for(p, mat, grains_for(p, mat))
    assert c.rolling_friction == pytest.approx(shape_rolling_friction()["rolling_friction"])
    assert c.rolling_friction_wall == pytest.approx(shape_rolling_friction()["rolling_friction_wall"])
    for bad in (3, "round", -0.1):
        with pytest.raises(ConfigError) as e:
            load_particle_case({"particles": {"contact": {"rolling_friction": bad}}})
        assert "'shape'" in str(e.value)
