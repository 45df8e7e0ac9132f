"""Cross-checks of quantlib_local.risk against empyrical on real returns.

Reference: empyrical-reloaded (``import empyrical``; the dev extra pins >=0.5.10, checked
with 0.7.1), run in the same process on the same returns. Data: daily closes of 20 US
stocks (each column from its listing date), SPY as the benchmark, and Binance 5-minute and
1-minute candles (see tests/risk/conftest.py).

Where the definitions coincide we require a relative difference of at most 1e-10 (what is
left is floating-point summation order; measured differences are ~1e-13 or smaller).
Convention differences are bridged explicitly, never by loosening the tolerance:

* empyrical takes per-bar risk-free rates and MARs; we take annual ones and convert them
  geometrically, so empyrical gets ``(1 + rate) ** (1 / periods_per_year) - 1``.
* empyrical's ``value_at_risk`` and ``conditional_value_at_risk`` return the (negative)
  return quantile / tail mean for ``cutoff = 1 - confidence``; ours are losses, so
  ``ours == -empyrical``.
* empyrical's ``annualization`` is our ``periods_per_year`` (252 for the stocks, 105,120
  for 5-minute and 525,600 for 1-minute crypto bars, as inferred from the index).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import quantlib_local.risk as risk

empyrical = pytest.importorskip("empyrical", reason="empyrical-reloaded is the reference; install the dev extra")

RTOL = 1e-10
RISK_FREE_RATE = 0.03  # annual, nonzero so the per-bar conversion is exercised
MAR = 0.02  # annual minimum acceptable return for Sortino / downside deviation
CONFIDENCE = 0.95

Metric = Callable[[pd.Series, float], float]


def per_bar(rate: float, periods_per_year: float) -> float:
    """``(1 + rate) ** (1 / periods_per_year) - 1``, evaluated without cancellation.

    The naive power form loses ~1e-16 absolute to the final subtraction, which is a
    1e-9 relative error on the 1.9e-7 per-bar rate of 5-minute crypto bars; written as
    ``expm1(log1p(rate) / n)`` it is exact to rounding.
    """
    return float(np.expm1(np.log1p(rate) / periods_per_year))


def relative_difference(ours: float, reference: float) -> float:
    if ours == reference:  # covers equal infinities
        return 0.0
    scale = abs(reference)
    return abs(ours - reference) / scale if scale > 0 else abs(ours - reference)


# name -> (ours, empyrical), each called with (returns, periods_per_year)
METRICS: dict[str, tuple[Metric, Metric]] = {
    "annual_return": (
        lambda r, n: risk.annual_return(r),
        lambda r, n: empyrical.annual_return(r, annualization=n),
    ),
    "annual_volatility": (
        lambda r, n: risk.annual_volatility(r),
        lambda r, n: empyrical.annual_volatility(r, annualization=n),
    ),
    "sharpe_ratio": (
        lambda r, n: risk.sharpe_ratio(r, RISK_FREE_RATE),
        lambda r, n: empyrical.sharpe_ratio(r, risk_free=per_bar(RISK_FREE_RATE, n), annualization=n),
    ),
    "sharpe_ratio_rf0": (
        lambda r, n: risk.sharpe_ratio(r),
        lambda r, n: empyrical.sharpe_ratio(r, annualization=n),
    ),
    "sortino_ratio": (
        lambda r, n: risk.sortino_ratio(r, MAR),
        lambda r, n: empyrical.sortino_ratio(r, required_return=per_bar(MAR, n), annualization=n),
    ),
    "downside_deviation": (
        lambda r, n: risk.downside_deviation(r, MAR),
        lambda r, n: empyrical.downside_risk(r, required_return=per_bar(MAR, n), annualization=n),
    ),
    "calmar_ratio": (
        lambda r, n: risk.calmar_ratio(r),
        lambda r, n: empyrical.calmar_ratio(r, annualization=n),
    ),
    "max_drawdown": (
        lambda r, n: risk.max_drawdown(r),
        lambda r, n: empyrical.max_drawdown(r),
    ),
    "value_at_risk_historical": (
        lambda r, n: risk.value_at_risk(r, CONFIDENCE, "historical"),
        lambda r, n: -empyrical.value_at_risk(r, cutoff=1.0 - CONFIDENCE),
    ),
    "value_at_risk_historical_99": (
        lambda r, n: risk.value_at_risk(r, 0.99, "historical"),
        lambda r, n: -empyrical.value_at_risk(r, cutoff=1.0 - 0.99),
    ),
    "conditional_value_at_risk_historical": (
        lambda r, n: risk.conditional_value_at_risk(r, CONFIDENCE, "historical"),
        lambda r, n: -empyrical.conditional_value_at_risk(r, cutoff=1.0 - CONFIDENCE),
    ),
    "conditional_value_at_risk_historical_99": (
        lambda r, n: risk.conditional_value_at_risk(r, 0.99, "historical"),
        lambda r, n: -empyrical.conditional_value_at_risk(r, cutoff=1.0 - 0.99),
    ),
    "tail_ratio": (
        lambda r, n: risk.tail_ratio(r),
        lambda r, n: empyrical.tail_ratio(r),
    ),
}


def _worst(series: dict[str, pd.Series], metric: str, periods_per_year: Callable[[str], float]) -> tuple[str, float, float, float]:
    ours, reference = METRICS[metric]
    worst = ("", 0.0, 0.0, -1.0)
    for name, returns in series.items():
        n = periods_per_year(name)
        a, b = float(ours(returns, n)), float(reference(returns, n))
        diff = relative_difference(a, b)
        assert np.isfinite(a) == np.isfinite(b), f"{name}: ours={a!r}, empyrical={b!r}"
        if diff > worst[3]:
            worst = (name, a, b, diff)
    return worst


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_stocks_match_empyrical(metric: str, stock_returns: dict[str, pd.Series]) -> None:
    name, ours, reference, diff = _worst(stock_returns, metric, lambda _: 252.0)
    assert diff <= RTOL, f"{metric} on {name}: ours={ours!r}, empyrical={reference!r}, rel diff {diff:.2e}"


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_crypto_bars_match_empyrical(metric: str, crypto_returns: dict[str, pd.Series]) -> None:
    def bars_per_year(name: str) -> float:
        return 525_600.0 if name.endswith("-1m") else 105_120.0

    name, ours, reference, diff = _worst(crypto_returns, metric, bars_per_year)
    assert diff <= RTOL, f"{metric} on {name}: ours={ours!r}, empyrical={reference!r}, rel diff {diff:.2e}"


def test_crypto_annualisation_is_inferred_from_the_bars(crypto_returns: dict[str, pd.Series]) -> None:
    # Binance trades 24/7: 365 days x 288 five-minute bars, 365 x 1,440 one-minute bars.
    for name, returns in crypto_returns.items():
        expected = 525_600.0 if name.endswith("-1m") else 105_120.0
        assert risk.periods_per_year(returns.index) == expected, name


def test_stock_annualisation_is_inferred_from_the_bars(stock_returns: dict[str, pd.Series]) -> None:
    for name, returns in stock_returns.items():
        assert risk.periods_per_year(returns.index) == 252.0, name


@pytest.mark.parametrize("risk_free_rate", [0.0, RISK_FREE_RATE])
def test_beta_and_alpha_match_empyrical(
    risk_free_rate: float, stock_returns: dict[str, pd.Series], spy_returns: pd.Series
) -> None:
    for name, returns in stock_returns.items():
        ours_beta = risk.beta(returns, spy_returns)
        ours_alpha = risk.alpha(returns, spy_returns, risk_free_rate)
        # empyrical's alpha_beta expects aligned inputs; restrict both to the common dates.
        own, market = returns.align(spy_returns, join="inner")
        ref_alpha, ref_beta = empyrical.alpha_beta(
            own, market, risk_free=per_bar(risk_free_rate, 252.0), annualization=252
        )
        assert relative_difference(ours_beta, ref_beta) <= RTOL, (name, ours_beta, ref_beta)
        assert relative_difference(ours_alpha, ref_alpha) <= RTOL, (name, ours_alpha, ref_alpha)


def test_wide_frame_beta_matches_empyrical_per_column(
    stock_returns_frame: pd.DataFrame, spy_returns: pd.Series
) -> None:
    ours = risk.beta(stock_returns_frame, spy_returns)
    assert list(ours.index) == list(stock_returns_frame.columns)
    for name in stock_returns_frame.columns:
        own, market = stock_returns_frame[name].dropna().align(spy_returns, join="inner")
        reference = empyrical.beta(own, market)
        assert relative_difference(ours[name], reference) <= RTOL, (name, ours[name], reference)


@pytest.mark.parametrize("metric", ["annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio", "calmar_ratio", "max_drawdown"])
def test_wide_frame_with_listing_gaps_matches_empyrical_per_column(
    metric: str, stock_returns_frame: pd.DataFrame
) -> None:
    ours_func, reference_func = METRICS[metric]
    ours = ours_func(stock_returns_frame, 252.0)
    assert isinstance(ours, pd.Series)
    for name in stock_returns_frame.columns:
        reference = float(reference_func(stock_returns_frame[name].dropna(), 252.0))
        assert relative_difference(ours[name], reference) <= RTOL, (metric, name, ours[name], reference)


def test_drawdown_series_matches_empyrical(stock_returns: dict[str, pd.Series]) -> None:
    for name, returns in stock_returns.items():
        ours = risk.drawdown_series(returns)
        reference = empyrical.stats.drawdown_series(returns)  # not re-exported at top level
        pd.testing.assert_index_equal(ours.index, reference.index)
        np.testing.assert_allclose(ours.to_numpy(), reference.to_numpy(), rtol=0, atol=1e-12, err_msg=name)
