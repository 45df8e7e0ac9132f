"""HestonParams: domain checks that name the field, the Feller condition, conversions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.heston_params import HestonParams

GOOD = {"v0": 0.04, "kappa": 2.0, "theta": 0.05, "xi": 0.4, "rho": -0.7}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("v0", -0.01),
        ("kappa", 0.0),
        ("kappa", -1.0),
        ("theta", 0.0),
        ("xi", 0.0),
        ("xi", -0.3),
        ("rho", -1.0),
        ("rho", 1.0),
        ("rho", 1.5),
        ("theta", float("nan")),
        ("kappa", float("inf")),
        ("v0", "0.04"),
        ("rho", True),
    ],
)
def test_out_of_domain_values_raise_naming_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        HestonParams(**{**GOOD, field: value})
    assert info.value.field == field
    assert f"{field}=" in str(info.value) and "Fix:" in str(info.value)


def test_boundary_values_that_are_allowed():
    params = HestonParams(**{**GOOD, "v0": 0.0, "rho": -0.999999})
    assert params.v0 == 0.0


def test_feller_condition():
    satisfied = HestonParams(v0=0.04, kappa=2.5, theta=0.04, xi=0.4, rho=-0.5)  # 2*2.5*0.04 = 0.2 >= 0.16
    violated = HestonParams(v0=0.04, kappa=1.0, theta=0.04, xi=0.5, rho=-0.5)  # 0.08 < 0.25
    assert satisfied.feller_satisfied and satisfied.feller_ratio == pytest.approx(1.25)
    assert not violated.feller_satisfied and violated.feller_ratio == pytest.approx(0.32)


def test_frozen_and_converts():
    params = HestonParams(**GOOD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.v0 = 0.1  # type: ignore[misc]
    np.testing.assert_array_equal(params.to_array(), [0.04, 2.0, 0.05, 0.4, -0.7])
    assert HestonParams.from_array(params.to_array()) == params
    assert params.to_dict() == GOOD
    assert isinstance(HestonParams(v0=1, kappa=2, theta=1, xi=1, rho=0).kappa, float)


def test_from_array_needs_five_values():
    with pytest.raises(ValidationError, match="five numbers"):
        HestonParams.from_array([0.04, 1.0, 0.04])
