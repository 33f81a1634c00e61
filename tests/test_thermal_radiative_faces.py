"""The radiative conductivity of powder across a face to a hotter cell (gpu_kernels.thermal.radiative_lift): taken
at the mean of T^3 over the face's temperatures (the Kirchhoff transform of k ~ T^3), not at the cold cell's
centre, so melt on cold powder heats it as the pores' radiation does."""
import numpy as np
import pytest

from regolith_sim.materials import get_material


def _column(material, T, rho):
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables

    shape = (1, 1, len(T))
    s = ThermalSolver(Grid(shape, 1e-4, (0.0, 0.0, 0.0)), ThermalTables.from_material(material),
                      Boundary(T_sky=3.0, bottom="adiabatic"))
    s.fill_region(np.ones(shape, bool), np.asarray(T, float).reshape(shape), np.asarray(rho, float).reshape(shape))
    return s


def test_powder_under_melt_conducts_at_the_mean_of_t3_across_the_face(ti_runtime):
    """Powder at 300 K under melt at 2,700 K: its k is the law's at 300 K plus kc chi ((T_a + T_b)(T_a^2 + T_b^2)/4
    - T_a^3) / 350^3, to round-off; the melt's own k is the law's (it is the hotter cell). The face between them
    then conducts ~100 times what the two centre values give. A powder cell between two colder ones keeps the law's
    value."""
    m = get_material("JSC-1A")
    rho0 = m.powder_relative_density
    kc, chi = m.get("conductivity.contact_W_mK"), m.get("conductivity.radiative_chi")
    s = _column(m, [300.0, 300.0, 2700.0], [rho0, rho0, 1.0])
    T, k = s.field("T"), s.field("kcond")[0, 0]
    ta, tb = T[0, 0, 1], T[0, 0, 2]
    lift = kc * chi * (0.25 * (ta + tb) * (ta * ta + tb * tb) - ta**3) / 350.0**3
    assert k[1] == pytest.approx(float(m.conductivity(ta, rho0)) + lift, rel=1e-9)
    assert k[2] == pytest.approx(float(m.conductivity(tb, 1.0)), rel=1e-9)
    assert k[0] == pytest.approx(float(m.conductivity(T[0, 0, 0], rho0)), rel=1e-9)
    harmonic = lambda a, b: 2 * a * b / (a + b)  # noqa: E731
    centre = harmonic(float(m.conductivity(ta, rho0)), k[2])
    assert harmonic(k[1], k[2]) > 50.0 * centre
