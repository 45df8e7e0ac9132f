"""Calibration to an implied-volatility surface: recovers known parameters, tolerates noise, errors."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.black_scholes import implied_volatility
from quantlib_local.volatility.heston_calibration import HestonCalibration, calibrate_heston
from quantlib_local.volatility.heston_params import HestonParams
from quantlib_local.volatility.heston_pricing import heston_price

TRUE = HestonParams(v0=0.05, kappa=1.8, theta=0.06, xi=0.6, rho=-0.65)
SPOT, RATE, DIVIDEND = 100.0, 0.03, 0.01


def synthetic_surface(params: HestonParams, noise: float = 0.0, seed: int = 0):
    """SYNTHETIC: 5 maturities x 20 strikes of implied vols from our own pricer, plus Gaussian noise."""
    maturities = np.array([0.1, 0.25, 0.5, 1.0, 2.0])
    strikes = SPOT * np.exp(np.linspace(-0.35, 0.25, 20))
    strike, maturity = (a.ravel() for a in np.meshgrid(strikes, maturities, indexing="ij"))
    forward = SPOT * np.exp((RATE - DIVIDEND) * maturity)
    kinds = np.where(strike < forward, "put", "call")
    prices = heston_price(params, SPOT, strike, maturity, RATE, DIVIDEND, kinds)
    vols = implied_volatility(prices, SPOT, strike, maturity, RATE, DIVIDEND, kinds)
    return strike, maturity, vols + np.random.default_rng(seed).normal(0.0, noise, vols.shape)


def test_recovers_known_parameters_from_a_clean_surface():
    strike, maturity, vols = synthetic_surface(TRUE)
    started = time.perf_counter()
    fit = calibrate_heston(SPOT, strike, maturity, vols, RATE, DIVIDEND)
    elapsed = time.perf_counter() - started
    assert isinstance(fit, HestonCalibration) and fit.success and not fit.feller
    np.testing.assert_allclose(fit.params.to_array(), TRUE.to_array(), rtol=1e-6, atol=1e-7)
    assert fit.rmse < 1e-6  # vol points
    assert fit.iterations >= 1 and fit.function_evaluations >= fit.iterations and fit.message
    assert elapsed < 20.0  # typically well under a second; generous for shared CI machines


def test_noisy_surface_gives_parameters_near_the_truth():
    strike, maturity, vols = synthetic_surface(TRUE, noise=0.002, seed=3)  # 0.2 vol point noise
    fit = calibrate_heston(SPOT, strike, maturity, vols, RATE, DIVIDEND)
    assert fit.success
    assert 0.15 < fit.rmse < 0.25  # the residual is the noise (0.2 vol points), not model error
    assert fit.params.v0 == pytest.approx(TRUE.v0, rel=0.05)
    assert fit.params.theta == pytest.approx(TRUE.theta, rel=0.1)
    assert fit.params.rho == pytest.approx(TRUE.rho, abs=0.05)
    assert fit.params.xi == pytest.approx(TRUE.xi, rel=0.1)
    assert fit.params.kappa == pytest.approx(TRUE.kappa, rel=0.25)


def test_error_table_has_one_row_per_quote():
    strike, maturity, vols = synthetic_surface(TRUE, noise=0.002, seed=1)
    fit = calibrate_heston(SPOT, strike, maturity, vols, RATE, DIVIDEND)
    errors = fit.errors
    assert isinstance(errors, pd.DataFrame) and len(errors) == 100
    assert list(errors.columns) == ["strike", "maturity", "option_type", "market_vol", "model_vol", "vol_error",
                                    "market_price", "model_price"]
    np.testing.assert_allclose(errors["vol_error"], 100 * (errors["model_vol"] - errors["market_vol"]), atol=1e-12)
    assert fit.rmse == pytest.approx(float(np.sqrt(np.mean(errors["vol_error"] ** 2))))
    otm_put = errors["strike"] < SPOT * np.exp((RATE - DIVIDEND) * errors["maturity"])
    assert set(errors.loc[otm_put, "option_type"]) == {"put"} and set(errors.loc[~otm_put, "option_type"]) == {"call"}


def test_feller_constraint_holds_and_recovers_a_feller_model():
    feller_true = HestonParams(v0=0.04, kappa=2.5, theta=0.05, xi=0.4, rho=-0.6)  # 2*2.5*0.05 = 0.25 >= 0.16
    strike, maturity, vols = synthetic_surface(feller_true)
    fit = calibrate_heston(SPOT, strike, maturity, vols, RATE, DIVIDEND, feller=True)
    assert fit.feller and fit.params.feller_satisfied
    np.testing.assert_allclose(fit.params.to_array(), feller_true.to_array(), rtol=1e-5, atol=1e-6)
    # a surface from a model that violates Feller: the constrained fit stays on the boundary side
    strike, maturity, vols = synthetic_surface(TRUE)  # 2*1.8*0.06 = 0.216 < 0.36
    constrained = calibrate_heston(SPOT, strike, maturity, vols, RATE, DIVIDEND, feller=True)
    assert constrained.params.feller_satisfied and constrained.rmse > 0.01


def test_multiple_starts_and_curves():
    strike, maturity, vols = synthetic_surface(TRUE)
    fit = calibrate_heston(SPOT, strike, maturity, vols, lambda t: np.exp(-RATE * t), lambda t: np.exp(-DIVIDEND * t),
                           n_starts=2, seed=7, initial=HestonParams(v0=0.1, kappa=1.0, theta=0.1, xi=1.0, rho=0.0))
    np.testing.assert_allclose(fit.params.to_array(), TRUE.to_array(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strike": [90.0, 100.0, 110.0], "maturity": 1.0, "market_vol": 0.2}, "strike"),
        ({"market_vol": -0.2}, "market_vol"),
        ({"maturity": [1.0, 2.0]}, "strike, maturity, market_vol"),
        ({"bounds": {"sigma": (0.1, 1.0)}}, "bounds"),
        ({"bounds": {"rho": (0.5, -0.5)}}, "bounds['rho']"),
        ({"n_starts": 0}, "n_starts"),
        ({"spot": [100.0, 101.0]}, "spot"),
        ({"weights": [1.0, 2.0]}, "weights"),
        ({"initial": {"v0": 0.04}}, "initial"),
    ],
)
def test_bad_inputs_raise_naming_the_field(kwargs, field):
    args = {"spot": SPOT, "strike": np.linspace(80, 120, 10), "maturity": 0.5, "market_vol": 0.2}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        calibrate_heston(**args)
    assert info.value.field == field
