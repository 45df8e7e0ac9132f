"""Expected-return estimators on hand-computed tables (the PyPortfolioOpt cross-check on real
data is in test_against_pypfopt.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local import portfolio as pf
from quantlib_local.exceptions import ValidationError

YEARLY = pd.date_range("2020-01-01", periods=4, freq="YS", tz="UTC")


def test_geometric_mean_is_the_compound_annual_growth_rate() -> None:
    # A: 100 -> 110 -> 99 -> 108.9: growth 1.089 over 3 years -> 1.089 ** (1/3) - 1.
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0, 108.9]}, index=YEARLY)
    mu = pf.mean_historical_return(prices, periods_per_year=1)
    assert mu["A"] == pytest.approx(1.089 ** (1 / 3) - 1, rel=1e-13)


def test_arithmetic_mean_scales_the_bar_mean() -> None:
    # returns +10 %, -10 %, +10 % -> mean 1/30 per bar; 12 bars a year -> 0.4.
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0, 108.9]}, index=YEARLY)
    mu = pf.mean_historical_return(prices, method="arithmetic", periods_per_year=12)
    assert mu["A"] == pytest.approx(12 * (0.1 - 0.1 + 0.1) / 3, rel=1e-13)


def test_prices_and_returns_give_the_same_answer() -> None:
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0, 108.9], "B": [50.0, 51.0, 52.0, 50.0]}, index=YEARLY)
    returns = prices.pct_change().iloc[1:]
    for method in ("geometric", "arithmetic"):
        from_prices = pf.mean_historical_return(prices, method=method, periods_per_year=1)
        from_returns = pf.mean_historical_return(returns, method=method, kind="returns", periods_per_year=1)
        pd.testing.assert_series_equal(from_prices, from_returns, rtol=1e-14)


def test_annualisation_is_inferred_from_a_business_day_index() -> None:
    # 253 prices on business days -> 252 returns of +0.1 %: arithmetic mean 0.001 * 252.
    index = pd.bdate_range("2023-01-02", periods=253, tz="UTC")
    prices = pd.DataFrame({"A": 100 * 1.001 ** np.arange(253)}, index=index)
    mu = pf.mean_historical_return(prices, method="arithmetic")
    assert mu["A"] == pytest.approx(0.252, rel=1e-10)


def test_late_listing_uses_own_history_pairwise_and_shared_bars_in_common_window() -> None:
    # B lists at the third row. Pairwise: A over all three returns, B over its one return.
    prices = pd.DataFrame({"A": [100.0, 110.0, 121.0, 133.1], "B": [np.nan, np.nan, 10.0, 12.0]}, index=YEARLY)
    pairwise = pf.mean_historical_return(prices, periods_per_year=1)
    assert pairwise["A"] == pytest.approx(0.1, rel=1e-13)
    assert pairwise["B"] == pytest.approx(0.2, rel=1e-13)
    common = pf.mean_historical_return(prices, periods_per_year=1, window="common")
    assert common["A"] == pytest.approx(0.1, rel=1e-13)  # only the last bar is common: +10 %
    assert common["B"] == pytest.approx(0.2, rel=1e-13)


def test_capm_with_the_asset_as_its_own_market_returns_the_market_mean() -> None:
    # beta of the market on itself is 1, so rf + 1 * (E[R_m] - rf) = E[R_m].
    prices = pd.DataFrame({"M": [100.0, 104.0, 101.0, 107.0]}, index=YEARLY)
    mu = pf.capm_return(prices, market=prices["M"], risk_free_rate=0.02, periods_per_year=1)
    assert mu["M"] == pytest.approx((1.07) ** (1 / 3) - 1, rel=1e-12)


def test_capm_beta_is_the_ols_slope() -> None:
    # market returns m = [0.01, -0.02, 0.03, 0.00]; asset r = 2 m + 0.001 -> beta exactly 2.
    m = pd.Series([0.01, -0.02, 0.03, 0.0], index=pd.bdate_range("2024-01-01", periods=4, tz="UTC"))
    r = pd.DataFrame({"X": 2 * m + 0.001})
    mu = pf.capm_return(r, market=m, kind="returns", risk_free_rate=0.01, method="arithmetic", periods_per_year=252)
    market_mean = float(m.mean()) * 252
    assert mu["X"] == pytest.approx(0.01 + 2 * (market_mean - 0.01), rel=1e-12)


def test_returns_from_prices_drops_the_first_bar() -> None:
    prices = pd.DataFrame({"A": [100.0, 125.0, 100.0]}, index=YEARLY[:3])
    returns = pf.returns_from_prices(prices)
    np.testing.assert_allclose(returns["A"].to_numpy(), [0.25, -0.2], rtol=1e-15)


@pytest.mark.parametrize(
    ("prices", "field"),
    [
        (pd.DataFrame({"A": [100.0, np.nan, 99.0, 108.9]}, index=YEARLY), "A"),  # blank after listing
        (pd.DataFrame({"A": [100.0, -1.0, 99.0, 108.9]}, index=YEARLY), "A"),  # non-positive price
        (pd.DataFrame({"A": [100.0, math.inf, 99.0, 108.9]}, index=YEARLY), "A"),  # infinite price
    ],
)
def test_bad_price_tables_name_the_column(prices: pd.DataFrame, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        pf.mean_historical_return(prices, periods_per_year=1)
    assert info.value.field == field


def test_unknown_method_is_rejected() -> None:
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0]}, index=YEARLY[:3])
    with pytest.raises(ValidationError, match="method='geometric'"):
        pf.mean_historical_return(prices, method="harmonic", periods_per_year=1)  # type: ignore[arg-type]
