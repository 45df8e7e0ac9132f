"""Return and ratio metrics (quantlib_local.risk.performance) on hand-computed series.

The empyrical cross-checks on real data are in test_against_empyrical.py; here every
reference value is derived in a comment.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local import risk

# r = [0.01, -0.01, 0.02, 0.0]: mean 0.005; deviations +-0.005, +-0.015 -> sum of squares 5e-4,
# sample variance 5e-4 / 3 = 1 / 6000, so mean / std = 0.005 * sqrt(6000) = sqrt(0.15).
FOUR_BARS = pd.Series([0.01, -0.01, 0.02, 0.0], index=pd.bdate_range("2024-01-01", periods=4))


def test_sharpe_hand_computed() -> None:
    # sqrt(0.15) * sqrt(252) = sqrt(37.8)
    assert risk.sharpe_ratio(FOUR_BARS, periods_per_year=252) == pytest.approx(math.sqrt(37.8), rel=1e-14)


def test_sharpe_subtracts_the_per_bar_risk_free_rate() -> None:
    # An annual 10.25 % is exactly 5 % per half-year bar; r - 0.05 = [0.05, 0.15, 0.05, 0.15]:
    # mean 0.1, sample std sqrt(4 * 0.05**2 / 3) -> Sharpe 0.1 / 0.0577350... * sqrt(2).
    returns = pd.Series([0.10, 0.20, 0.10, 0.20])
    expected = 0.1 / math.sqrt(4 * 0.05**2 / 3) * math.sqrt(2)
    assert risk.sharpe_ratio(returns, risk_free_rate=0.1025, periods_per_year=2) == pytest.approx(expected, rel=1e-12)


def test_sharpe_is_invariant_to_leverage_without_risk_free_rate() -> None:
    rng = np.random.default_rng(11)
    returns = pd.Series(rng.normal(0.0005, 0.01, 1_000))
    assert risk.sharpe_ratio(3 * returns, periods_per_year=252) == pytest.approx(
        risk.sharpe_ratio(returns, periods_per_year=252), rel=1e-12
    )


def test_sortino_and_downside_deviation_hand_computed() -> None:
    # min(r, 0) = [0, -0.01, 0, 0]: mean square 1e-4 / 4 -> per-bar downside deviation 0.005.
    assert risk.downside_deviation(FOUR_BARS, periods_per_year=252) == pytest.approx(0.005 * math.sqrt(252), rel=1e-14)
    # Sortino = 0.005 * 252 / (0.005 * sqrt(252)) = sqrt(252)
    assert risk.sortino_ratio(FOUR_BARS, periods_per_year=252) == pytest.approx(math.sqrt(252), rel=1e-14)


def test_sortino_with_no_downside_is_infinite() -> None:
    assert risk.sortino_ratio(pd.Series([0.01, 0.02, 0.03]), periods_per_year=252) == math.inf


def test_annual_return_is_cagr() -> None:
    # Four bars of +10 % with one bar a year: 1.1 ** 4 over 4 years -> 10 % a year.
    assert risk.annual_return(pd.Series([0.1] * 4), periods_per_year=1) == pytest.approx(0.1, rel=1e-14)
    # Two bars of +10 % with two bars a year: 1.21 in one year -> 21 %.
    assert risk.annual_return(pd.Series([0.1, 0.1]), periods_per_year=2) == pytest.approx(0.21, rel=1e-14)
    assert risk.total_return(pd.Series([0.1, 0.1])) == pytest.approx(0.21, rel=1e-14)


def test_annual_volatility_hand_computed() -> None:
    assert risk.annual_volatility(FOUR_BARS, periods_per_year=252) == pytest.approx(
        math.sqrt(252 / 6000), rel=1e-14
    )


def test_calmar_hand_computed() -> None:
    # W = 1.5, 0.75, 1.125 over one year (3 bars a year): CAGR 0.125, max drawdown -0.5 -> 0.25.
    assert risk.calmar_ratio(pd.Series([0.5, -0.5, 0.5]), periods_per_year=3) == pytest.approx(0.25, rel=1e-14)
    # No drawdown: undefined (NaN), as in empyrical.
    assert math.isnan(risk.calmar_ratio(pd.Series([0.01, 0.02]), periods_per_year=252))


def test_win_rate_profit_factor_and_payoff_ratio() -> None:
    # wins 0.01, 0.03; loss -0.02; a flat bar and a missing bar are neither.
    returns = pd.Series([0.01, -0.02, 0.0, 0.03, np.nan])
    assert risk.win_rate(returns) == pytest.approx(2 / 3, rel=1e-15)
    assert risk.profit_factor(returns) == pytest.approx(0.04 / 0.02, rel=1e-14)
    assert risk.payoff_ratio(returns) == pytest.approx(0.02 / 0.02, rel=1e-14)


def test_profit_factor_without_losses_is_infinite_and_without_moves_nan() -> None:
    assert risk.profit_factor(pd.Series([0.01, 0.0])) == math.inf
    assert math.isnan(risk.profit_factor(pd.Series([0.0, 0.0])))
    assert math.isnan(risk.win_rate(pd.Series([0.0, 0.0])))


def test_constant_returns_give_infinite_not_huge_sharpe() -> None:
    assert risk.sharpe_ratio(pd.Series([0.001] * 50), periods_per_year=252) == math.inf


def test_single_bar_sharpe_is_nan() -> None:
    assert math.isnan(risk.sharpe_ratio(pd.Series([0.01]), periods_per_year=252))
    assert math.isnan(risk.sortino_ratio(pd.Series([0.01]), periods_per_year=252))


@pytest.mark.parametrize(
    "metric",
    [
        risk.total_return,
        risk.annual_return,
        risk.annual_volatility,
        risk.sharpe_ratio,
        risk.sortino_ratio,
        risk.downside_deviation,
        risk.calmar_ratio,
        risk.max_drawdown,
        risk.win_rate,
        risk.profit_factor,
        risk.payoff_ratio,
        risk.value_at_risk,
        risk.conditional_value_at_risk,
        risk.tail_ratio,
        risk.kelly_fraction_from_returns,
    ],
    ids=lambda f: f.__name__,
)
def test_wide_frame_equals_each_column_without_its_missing_bars(metric) -> None:
    rng = np.random.default_rng(3)
    index = pd.bdate_range("2020-01-01", periods=600)
    frame = pd.DataFrame(rng.normal(0.0004, 0.015, (600, 4)), index=index, columns=["a", "b", "c", "d"])
    frame.iloc[:250, 1] = np.nan  # listed later
    frame.iloc[300:310, 2] = np.nan  # a suspension
    result = metric(frame)
    assert isinstance(result, pd.Series) and list(result.index) == list(frame.columns)
    for column in frame.columns:
        alone = metric(frame[column].dropna()) if metric not in _NEEDS_PPY else metric(frame[column].dropna(), periods_per_year=252)
        assert result[column] == pytest.approx(alone, rel=1e-12, abs=1e-15), column


_NEEDS_PPY = {risk.annual_return, risk.annual_volatility, risk.sharpe_ratio, risk.sortino_ratio, risk.downside_deviation, risk.calmar_ratio}
