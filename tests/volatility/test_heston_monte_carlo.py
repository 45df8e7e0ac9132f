"""QE Monte Carlo: agrees with the analytic price within 3 standard errors, is a martingale, is seeded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.heston_monte_carlo import price_european_mc, simulate_heston_qe
from quantlib_local.volatility.heston_params import HestonParams
from quantlib_local.volatility.heston_pricing import heston_price

MC_CASES = {
    # equity-like, Feller satisfied
    "equity": (HestonParams(v0=0.04, kappa=2.0, theta=0.04, xi=0.3, rho=-0.7), 1.0),
    # Alan Lewis's set (Feller fails: 2 kappa theta = 2 = xi^2), short maturity
    "lewis_short": (HestonParams(v0=0.04, kappa=4.0, theta=0.25, xi=1.0, rho=-0.5), 0.25),
    # high vol of vol, strong Feller violation: the variance sits at zero often (exponential branch)
    "high_vol_of_vol": (HestonParams(v0=0.09, kappa=1.2, theta=0.08, xi=1.8, rho=-0.45), 2.0),
    # positive correlation (QuantLib testMcVsCached parameters)
    "positive_rho": (HestonParams(v0=0.3, kappa=1.16, theta=0.2, xi=0.8, rho=0.8), 0.5),
}
STRIKES = np.array([70.0, 85.0, 100.0, 115.0, 130.0])


@pytest.mark.parametrize("name", list(MC_CASES))
def test_mc_price_within_three_standard_errors_of_analytic(name):
    params, maturity = MC_CASES[name]
    kinds = np.where(STRIKES < 100.0, "put", "call")
    mc = price_european_mc(params, 100.0, STRIKES, maturity, 0.03, 0.01, kinds, n_paths=50_000, n_steps=50, seed=11)
    analytic = heston_price(params, 100.0, STRIKES, maturity, 0.03, 0.01, kinds)
    assert mc.price.shape == STRIKES.shape and mc.n_paths == 50_000 and mc.n_steps == 50
    assert np.all(mc.standard_error > 0)
    np.testing.assert_array_less(np.abs(mc.price - analytic), 3.0 * mc.standard_error)


def test_martingale_corrected_forward_is_matched():
    params, maturity = MC_CASES["high_vol_of_vol"]
    paths = simulate_heston_qe(params, 100.0, maturity, 20, 40_000, 0.03, 0.01, seed=5)
    terminal = paths.spot[:, -1]
    forward = 100.0 * math.exp((0.03 - 0.01) * maturity)
    standard_error = terminal.std(ddof=1) / math.sqrt(terminal.size)
    assert abs(terminal.mean() - forward) < 3.0 * standard_error


def test_paths_shape_and_variance_is_never_negative():
    params = MC_CASES["lewis_short"][0]
    paths = simulate_heston_qe(params, 50.0, 0.5, 10, 1_000, seed=1)
    assert paths.spot.shape == paths.variance.shape == (1_000, 11)
    np.testing.assert_allclose(paths.times, np.linspace(0.0, 0.5, 11))
    assert np.all(paths.spot[:, 0] == 50.0) and np.all(paths.variance[:, 0] == params.v0)
    assert np.all(paths.variance >= 0.0) and np.all(np.isfinite(paths.spot))
    assert paths.params == params and paths.martingale_correction


def test_seeded_runs_repeat_and_differ_across_seeds():
    params, maturity = MC_CASES["equity"]
    first = price_european_mc(params, 100.0, 100.0, maturity, n_paths=5_000, n_steps=10, seed=42)
    again = price_european_mc(params, 100.0, 100.0, maturity, n_paths=5_000, n_steps=10,
                              seed=np.random.default_rng(42))
    other = price_european_mc(params, 100.0, 100.0, maturity, n_paths=5_000, n_steps=10, seed=43)
    assert first.price == again.price
    assert first.price != other.price


def test_rate_curve_drift_matches_flat_rate():
    params, maturity = MC_CASES["equity"]
    flat = price_european_mc(params, 100.0, 100.0, maturity, 0.03, 0.01, n_paths=5_000, n_steps=10, seed=3)
    curves = price_european_mc(params, 100.0, 100.0, maturity, lambda t: np.exp(-0.03 * t), lambda t: np.exp(-0.01 * t),
                               n_paths=5_000, n_steps=10, seed=3)
    np.testing.assert_allclose(curves.price, flat.price, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_paths": 0}, "n_paths"),
        ({"n_steps": 2.5}, "n_steps"),
        ({"maturity": 0.0}, "maturity"),
        ({"maturity": [1.0, 2.0]}, "maturity"),
        ({"spot": -1.0}, "spot"),
        ({"strike": [100.0, -5.0]}, "strike"),
        ({"option_type": "binary"}, "option_type"),
        ({"params": None}, "params"),
    ],
)
def test_bad_inputs_raise_naming_the_field(kwargs, field):
    args = {"params": MC_CASES["equity"][0], "spot": 100.0, "strike": 100.0, "maturity": 1.0, "n_paths": 100,
            "n_steps": 5}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        price_european_mc(**args)
    assert info.value.field == field
