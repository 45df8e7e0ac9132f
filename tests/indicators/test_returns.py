"""Simple and log returns against TA-Lib's ROCP/ROCR, and their NaN convention."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pandas as pd
import pytest

from quantlib_local.indicators import log_returns, simple_returns

from ._reference import assert_matches

talib = pytest.importorskip("talib", reason="TA-Lib (the reference implementation) is not installed")

# Returns are dimensionless and of order 1e-2: absolute tolerance.
ATOL = 1e-14


@pytest.mark.parametrize("periods", [1, 5])
def test_simple_returns_match_talib_rocp(close_datasets: dict[str, pd.DataFrame], periods: int) -> None:
    for name, closes in close_datasets.items():
        # Whole columns, NaN included: ROCP is not recursive, so TA-Lib's NaN handling is
        # the same positional lag as ours (NaN where x_t or x_{t-periods} is missing).
        reference = closes.apply(lambda column: talib.ROCP(column.to_numpy(), periods))
        assert_matches(simple_returns(closes, periods), reference, atol=ATOL, label=f"{name} simple({periods})")


@pytest.mark.parametrize("periods", [1, 5])
def test_log_returns_match_talib_rocr(close_datasets: dict[str, pd.DataFrame], periods: int) -> None:
    for name, closes in close_datasets.items():
        reference = closes.apply(lambda column: np.log(talib.ROCR(column.to_numpy(), periods)))
        assert_matches(log_returns(closes, periods), reference, atol=ATOL, label=f"{name} log_returns({periods})")


def test_log_returns_keep_relative_precision_for_tiny_moves() -> None:
    # Reference: 50-digit Decimal ln(x_t / x_{t-1}) of the exact binary values.
    prices = np.array([3.0, 3.0 * (1 + 1e-11), 3.0 * (1 + 1e-11) * (1 - 3e-12)])
    result = log_returns(prices)
    with localcontext() as context:
        context.prec = 50
        for t in (1, 2):
            exact = float((Decimal(prices[t]) / Decimal(prices[t - 1])).ln())
            assert abs(result[t] - exact) <= 1e-15 * abs(exact), t


def test_returns_compare_positionally_across_a_gap() -> None:
    prices = pd.Series([100.0, 110.0, np.nan, 121.0, 133.1])
    pd.testing.assert_series_equal(simple_returns(prices), prices.pct_change(fill_method=None))
    # Lag 2 reaches over the missing bar: 121 / 110 - 1 = 0.1 at bar 3; bar 4 looks at the gap.
    two_bar = simple_returns(prices, 2)
    pd.testing.assert_series_equal(two_bar, prices.pct_change(2, fill_method=None))
    assert two_bar.iloc[3] == pytest.approx(0.1, rel=1e-15) and np.isnan(two_bar.iloc[4])


def test_simple_returns_hand_values() -> None:
    np.testing.assert_allclose(simple_returns(np.array([100.0, 110.0, 99.0])), [np.nan, 0.1, -0.1], rtol=1e-15)
