"""GarchFit.forecast (quantlib_local.volatility.garch_forecast).

References: the closed-form GARCH(1,1) and GJR forecasts written out here from the fitted
parameters and the last residual and variance (Bollerslev 1986; Glosten, Jagannathan &
Runkle 1993), and the simulation forecast checked against the analytic one.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import load_bundled
from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.garch import fit_garch


@pytest.fixture(scope="module")
def sp500() -> pd.Series:
    """Real daily S&P 500 simple returns, 1999-2018 (bundled with arch)."""
    return load_bundled("sp500")["close"].pct_change().dropna()


@pytest.fixture(scope="module")
def garch_fit(sp500: pd.Series):
    return fit_garch(sp500)


def _next_variance(fit, leverage: bool) -> float:
    p = fit.params
    eps = fit.residuals.iloc[-1]
    sigma2 = fit.conditional_volatility.iloc[-1] ** 2
    gamma = p["gamma"] * (eps < 0) if leverage else 0.0
    return p["omega"] + (p["alpha"] + gamma) * eps**2 + p["beta"] * sigma2


def test_garch_forecast_is_the_closed_form(garch_fit) -> None:
    # sigma^2_{T+h} = sigma_bar^2 + (alpha + beta)^(h-1) (sigma^2_{T+1} - sigma_bar^2)
    horizon = 30
    forecast = garch_fit.forecast(horizon)
    long_run = garch_fit.unconditional_variance
    first = _next_variance(garch_fit, leverage=False)
    expected = long_run + garch_fit.persistence ** np.arange(horizon) * (first - long_run)
    np.testing.assert_allclose(forecast.variance.to_numpy(), expected, rtol=1e-9)
    assert forecast.method == "analytic"
    assert forecast.origin == garch_fit.conditional_volatility.index[-1]
    assert forecast.table["mean"].eq(garch_fit.params["mu"]).all()


def test_gjr_forecast_is_the_closed_form(sp500: pd.Series) -> None:
    fit = fit_garch(sp500, "gjr")
    forecast = fit.forecast(5)
    expected = [_next_variance(fit, leverage=True)]
    for _ in range(4):  # beyond one bar a shock is negative half the time
        expected.append(fit.params["omega"] + fit.persistence * expected[-1])
    np.testing.assert_allclose(forecast.variance.to_numpy(), expected, rtol=1e-9)


def test_term_structure_columns(garch_fit) -> None:
    table = garch_fit.forecast(10).table
    steps = np.arange(1, 11)
    np.testing.assert_allclose(table["volatility"], np.sqrt(table["variance"]), rtol=1e-15)
    np.testing.assert_allclose(table["cumulative_variance"], np.cumsum(table["variance"]), rtol=1e-15)
    np.testing.assert_allclose(table["term_volatility"], np.sqrt(table["cumulative_variance"] / steps), rtol=1e-15)
    np.testing.assert_allclose(table["annualised_volatility"], table["volatility"] * math.sqrt(252), rtol=1e-15)
    np.testing.assert_allclose(table["annualised_term_volatility"], table["term_volatility"] * math.sqrt(252), rtol=1e-15)
    assert table.index.tolist() == steps.tolist()
    # Far ahead the forecast is the long-run volatility; the term structure (an average) heads there
    # as sigma_bar^2 + (sigma^2_{T+1} - sigma_bar^2) (1 - p^H) / ((1 - p) H).
    horizon = 3_000
    far = garch_fit.forecast(horizon).table
    long_run, p = garch_fit.unconditional_variance, garch_fit.persistence
    assert far["annualised_volatility"].iloc[-1] == pytest.approx(math.sqrt(long_run * 252), rel=1e-9)
    first = _next_variance(garch_fit, leverage=False)
    term = long_run + (first - long_run) * (1 - p**horizon) / ((1 - p) * horizon)
    assert far["annualised_term_volatility"].iloc[-1] == pytest.approx(math.sqrt(term * 252), rel=1e-9)


def test_annualising_needs_the_bar_frequency(sp500: pd.Series) -> None:
    fit = fit_garch(sp500.reset_index(drop=True))
    forecast = fit.forecast(5)
    assert "annualised_volatility" not in forecast.table
    with pytest.raises(ValidationError, match="periods_per_year"):
        forecast.term_structure
    assert "annualised_volatility" in fit.forecast(5, periods_per_year=252).table


def test_simulated_forecast_agrees_with_the_analytic_one_and_is_reproducible(garch_fit) -> None:
    analytic = garch_fit.forecast(10).variance
    simulated = garch_fit.forecast(10, method="simulation", simulations=20_000, seed=3)
    np.testing.assert_allclose(simulated.variance, analytic, rtol=0.03)
    again = garch_fit.forecast(10, method="simulation", simulations=20_000, seed=3)
    pd.testing.assert_frame_equal(simulated.cone, again.cone)
    cone = simulated.cone
    assert cone.columns.tolist() == [0.05, 0.25, 0.5, 0.75, 0.95]
    assert (cone.diff(axis=1).iloc[:, 1:] > 0).all().all()  # quantiles increase
    # Realised volatility over more bars averages out: the cone narrows with the horizon.
    assert cone[0.95].iloc[-1] - cone[0.05].iloc[-1] < cone[0.95].iloc[0] - cone[0.05].iloc[0]
    np.testing.assert_allclose(simulated.annualised_cone(), cone * math.sqrt(252), rtol=1e-15)


def test_analytic_forecast_has_no_cone(garch_fit) -> None:
    forecast = garch_fit.forecast(3)
    assert forecast.cone is None
    with pytest.raises(ValidationError, match="method"):
        forecast.annualised_cone()


def test_egarch_beyond_one_bar_is_simulated(sp500: pd.Series) -> None:
    fit = fit_garch(sp500, "egarch", "t")
    one = fit.forecast(1)
    assert one.method == "analytic"
    several = fit.forecast(5, simulations=2_000, seed=1)
    assert several.method == "simulation"
    assert several.cone is not None
    # One bar ahead the simulated mean variance is the known next-bar variance.
    assert several.variance.iloc[0] == pytest.approx(one.variance.iloc[0], rel=1e-9)
