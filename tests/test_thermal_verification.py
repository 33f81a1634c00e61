"""The thermal solver against closed-form solutions (each tolerance is stated in the case)."""
from pathlib import Path

import numpy as np
import pytest

from regolith_sim.verification import CASES, load_verification_case, run_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "verification"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_verification_case_passes(ti_runtime, path):
    check = run_file(path)
    assert np.isfinite(check.error)
    assert check.error <= check.tolerance, check.as_dict()


def test_every_case_has_a_file():
    assert {p.stem for p in EXAMPLES.glob("*.toml")} == set(CASES)


def test_semi_infinite_surface_rise_matches_closed_form(ti_runtime):
    # q = 1e4 W/m^2, k = 1, alpha = 5e-7 m^2/s, t = 20 s, at the top cell centre x = 0.25 mm
    from math import erfc, exp, pi, sqrt

    x, a, t = 2.5e-4, 5e-7, 20.0
    by_hand = 2e4 * sqrt(a * t / pi) * exp(-x * x / (4 * a * t)) - 1e4 * x * erfc(x / (2 * sqrt(a * t)))
    check = CASES["semi-infinite-flux"]()
    assert check.details["exact_surface_rise_K"] == pytest.approx(by_hand, rel=1e-9)
    assert check.details["surface_rise_K"] == pytest.approx(33.238, rel=2e-3)


def test_radiative_slab_cools_to_closed_form(ti_runtime):
    # T0 = 1000 K, L = 2 mm, eps = 1, rho c = 2e6: T(60 s) = 1000 (1 + 3 sigma 1e9 60/4000)^(-1/3) = 655.4 K
    check = CASES["radiative-slab"]()
    assert check.details["exact_K"] == pytest.approx(655.42, abs=0.01)
    assert check.details["T_K"] == pytest.approx(655.42, rel=1e-3)


def test_wrong_verification_parameter_is_named(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('kind = "rosenthal"\n[params]\npowr = 5\n')
    from regolith_sim.errors import ConfigError

    with pytest.raises(ConfigError, match="params.powr: unknown parameter"):
        load_verification_case(f)
    f.write_text('kind = "rosenthol"\n')
    with pytest.raises(ConfigError, match="did you mean 'rosenthal'"):
        load_verification_case(f)
