"""Bad input to the GARCH entry points: one test per rule, each naming the field it blames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import garch_bars
from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.garch import fit_garch
from quantlib_local.volatility.garch_many import fit_garch_many
from quantlib_local.volatility.garch_rolling import rolling_garch_forecast


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    """SYNTHETIC: 300 daily GARCH(1,1) log returns."""
    return garch_bars(300, omega=2e-6, alpha=0.08, beta=0.9, seed=1).log_returns


@pytest.fixture(scope="module")
def fit(returns: pd.Series):
    return fit_garch(returns)


def _raises(field: str, call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}=")
    assert "Fix:" in str(caught.value)
    return caught.value


# --- returns -----------------------------------------------------------------------------


def test_empty_returns() -> None:
    _raises("returns", fit_garch, pd.Series([], dtype=float))


def test_nan_only_returns() -> None:
    _raises("returns", fit_garch, pd.Series([np.nan] * 500))


def test_too_short_returns(returns: pd.Series) -> None:
    error = _raises("returns", fit_garch, returns.iloc[:99])
    assert "at least 100 observed returns" in str(error)


def test_too_few_observed_returns_after_dropping_nan(returns: pd.Series) -> None:
    gappy = returns.copy()
    gappy.iloc[::2] = np.nan  # 150 bars left of 300
    fit_garch(gappy)
    gappy.iloc[1:220:2] = np.nan
    _raises("returns", fit_garch, gappy)


def test_constant_returns() -> None:
    _raises("returns", fit_garch, pd.Series(np.full(500, 0.001)))


def test_infinite_returns(returns: pd.Series) -> None:
    bad = returns.copy()
    bad.iloc[10] = np.inf
    _raises("returns", fit_garch, bad)


def test_non_numeric_returns() -> None:
    _raises("returns", fit_garch, pd.Series(["0.01"] * 200))


def test_a_frame_is_not_one_asset(returns: pd.Series) -> None:
    error = _raises("returns", fit_garch, returns.to_frame())
    assert "fit_garch_many" in str(error)


def test_not_a_series() -> None:
    _raises("returns", fit_garch, [0.01, -0.02] * 100)


def test_unsorted_index(returns: pd.Series) -> None:
    _raises("returns.index", fit_garch, returns.iloc[::-1])


# --- specification -----------------------------------------------------------------------


def test_unknown_model_lists_the_valid_ones(returns: pd.Series) -> None:
    error = _raises("model", fit_garch, returns, model="figarch")
    assert "['garch', 'gjr', 'egarch']" in str(error)


def test_unknown_distribution_lists_the_valid_ones(returns: pd.Series) -> None:
    error = _raises("distribution", fit_garch, returns, distribution="skewt")
    assert "['normal', 't']" in str(error)


def test_unknown_mean_lists_the_valid_ones(returns: pd.Series) -> None:
    error = _raises("mean", fit_garch, returns, mean="ar1")
    assert "['constant', 'zero']" in str(error)


@pytest.mark.parametrize("scale", [0.0, -100.0, "percent", float("nan")])
def test_bad_scale(returns: pd.Series, scale) -> None:
    _raises("scale", fit_garch, returns, scale=scale)


@pytest.mark.parametrize("backcast", ["first", -1.0, 0.0])
def test_bad_backcast(returns: pd.Series, backcast) -> None:
    _raises("backcast", fit_garch, returns, backcast=backcast)


def test_unknown_covariance(returns: pd.Series) -> None:
    _raises("cov_type", fit_garch, returns, cov_type="hac")


def test_non_positive_iterations(returns: pd.Series) -> None:
    _raises("max_iterations", fit_garch, returns, max_iterations=0)


def test_non_positive_tolerance(returns: pd.Series) -> None:
    _raises("tol", fit_garch, returns, tol=-1e-8)


def test_non_positive_periods_per_year(returns: pd.Series) -> None:
    _raises("periods_per_year", fit_garch, returns, periods_per_year=-252)


# --- forecasts ---------------------------------------------------------------------------


@pytest.mark.parametrize("horizon", [0, -5, 2.5])
def test_non_positive_horizon(fit, horizon) -> None:
    _raises("horizon", fit.forecast, horizon)


def test_unknown_forecast_method(fit) -> None:
    _raises("method", fit.forecast, 5, method="bootstrap")


def test_analytic_egarch_beyond_one_bar(returns: pd.Series) -> None:
    egarch = fit_garch(returns, "egarch")
    error = _raises("method", egarch.forecast, 5, method="analytic")
    assert "simulation" in str(error)


def test_non_positive_simulations(fit) -> None:
    _raises("simulations", fit.forecast, 5, method="simulation", simulations=0)


@pytest.mark.parametrize("quantiles", [(0.0, 0.5), (0.5, 1.2), (), "median"])
def test_bad_cone_quantiles(fit, quantiles) -> None:
    _raises("quantiles", fit.forecast, 5, method="simulation", quantiles=quantiles)


# --- rolling forecasts -------------------------------------------------------------------


def test_window_longer_than_the_data(returns: pd.Series) -> None:
    error = _raises("window", rolling_garch_forecast, returns, 301, progress=False)
    assert "longer than the data" in str(error)


def test_window_too_short(returns: pd.Series) -> None:
    _raises("window", rolling_garch_forecast, returns, 50, progress=False)


def test_non_positive_refit_interval(returns: pd.Series) -> None:
    _raises("refit_every", rolling_garch_forecast, returns, 200, refit_every=0, progress=False)


def test_unknown_refit_scheme(returns: pd.Series) -> None:
    _raises("scheme", rolling_garch_forecast, returns, 200, scheme="anchored", progress=False)


def test_rolling_horizon(returns: pd.Series) -> None:
    _raises("horizon", rolling_garch_forecast, returns, 200, horizon=0, progress=False)


# --- many assets -------------------------------------------------------------------------


def test_many_needs_a_frame(returns: pd.Series) -> None:
    _raises("returns_frame", fit_garch_many, returns, scheduler="serial")


def test_many_needs_unique_columns(returns: pd.Series) -> None:
    frame = pd.concat([returns, returns], axis=1, keys=["a", "a"])
    _raises("returns_frame", fit_garch_many, frame, scheduler="serial")


def test_many_rejects_an_unknown_scheduler(returns: pd.Series) -> None:
    error = _raises("scheduler", fit_garch_many, returns.to_frame("a"), scheduler="gpu")
    assert "tcp://" in str(error)


def test_many_rejects_non_positive_workers(returns: pd.Series) -> None:
    _raises("n_workers", fit_garch_many, returns.to_frame("a"), n_workers=0)


def test_many_checks_the_specification_before_any_work(returns: pd.Series) -> None:
    _raises("model", fit_garch_many, returns.to_frame("a"), model="arch", scheduler="serial")
