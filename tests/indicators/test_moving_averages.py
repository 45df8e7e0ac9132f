"""SMA and EMA against TA-Lib on real data, pandas for the alternative seed, and hand values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local.indicators import ema, sma

from ._reference import assert_matches, talib_by_column

talib = pytest.importorskip("talib", reason="TA-Lib (the reference implementation) is not installed")

# Tolerance against TA-Lib: relative to the reference value (prices span 3e-5 to 1.6e3).
RTOL = 1e-9


@pytest.mark.parametrize("window", [1, 2, 20, 200])
def test_sma_matches_talib_on_every_real_column(close_datasets: dict[str, pd.DataFrame], window: int) -> None:
    for name, closes in close_datasets.items():
        (reference,) = talib_by_column(lambda x: talib.SMA(x, window), closes)
        assert_matches(sma(closes, window), reference, rtol=RTOL, label=f"{name} SMA({window})")


@pytest.mark.parametrize("window", [2, 12, 20, 26, 200])
def test_ema_matches_talib_on_every_real_column(close_datasets: dict[str, pd.DataFrame], window: int) -> None:
    for name, closes in close_datasets.items():
        (reference,) = talib_by_column(lambda x: talib.EMA(x, window), closes)
        assert_matches(ema(closes, window), reference, rtol=RTOL, label=f"{name} EMA({window})")


def test_ema_first_value_is_the_sma_of_the_first_window() -> None:
    # Hand computation: SMA seed (1+2+3)/3 = 2 at bar 2, then 2 + 0.5 * (4 - 2) = 3, 3 + 0.5 * (8 - 3) = 5.5.
    result = ema(np.array([1.0, 2.0, 3.0, 4.0, 8.0]), 3)
    np.testing.assert_allclose(result, [np.nan, np.nan, 2.0, 3.0, 5.5], rtol=0, atol=0)


def test_ema_seed_first_matches_pandas_ewm_adjust_false(random_walk_closes: pd.DataFrame) -> None:
    closes = random_walk_closes
    expected = closes.apply(lambda column: column.dropna().ewm(span=20, adjust=False).mean()).reindex(closes.index)
    assert_matches(ema(closes, 20, seed="first"), expected, rtol=1e-12, label="EMA seed='first' vs pandas ewm")


def test_ema_default_seed_differs_from_pandas_during_warm_up(random_walk_closes: pd.DataFrame) -> None:
    # Guards the default: the TA-Lib seed is not what pandas ewm(adjust=False) produces.
    closes = random_walk_closes["AAA"]
    ours = ema(closes, 20)
    pandas_style = closes.ewm(span=20, adjust=False).mean()
    assert abs(ours.iloc[19] - pandas_style.iloc[19]) > 1e-6


def test_window_one_is_the_identity(random_walk_closes: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(sma(random_walk_closes, 1), random_walk_closes)
    pd.testing.assert_frame_equal(ema(random_walk_closes, 1), random_walk_closes)


def test_sma_error_does_not_grow_with_the_length_of_the_history() -> None:
    # A running sum carried over 300,000 bars of a price near 1e6 drifts; the re-anchored
    # sums must stay within a few ulps of the exact mean (math.fsum) at the end of the history.
    rng = np.random.default_rng(7)
    prices = 1e6 + np.cumsum(rng.normal(0.0, 1.0, 300_000))
    window = 50
    result = sma(prices, window)
    for t in (window - 1, 150_000, 299_999):
        exact = math.fsum(prices[t - window + 1 : t + 1]) / window
        assert abs(result[t] - exact) <= 4 * np.spacing(exact), t


def test_sma_of_a_flat_window_is_exactly_the_price() -> None:
    prices = np.array([0.1, 0.3, 0.7] + [0.1] * 30)
    result = sma(prices, 20)
    assert (result[22:] == 0.1).all()
