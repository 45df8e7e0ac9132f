"""RSI and MACD against TA-Lib on real data, plus the seeding details TA-Lib uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.indicators import MACDResult, ema, macd, rsi

from ._reference import assert_matches, talib_by_column

talib = pytest.importorskip("talib", reason="TA-Lib (the reference implementation) is not installed")

# RSI lives on a 0-100 scale: absolute tolerance.
RSI_ATOL = 1e-9
# MACD lines cross zero, so their error is measured relative to the price at the same bar.
MACD_RTOL_OF_PRICE = 1e-9


@pytest.mark.parametrize("window", [2, 14, 30])
def test_rsi_matches_talib_on_every_real_column(close_datasets: dict[str, pd.DataFrame], window: int) -> None:
    for name, closes in close_datasets.items():
        (reference,) = talib_by_column(lambda x: talib.RSI(x, window), closes)
        assert_matches(rsi(closes, window), reference, atol=RSI_ATOL, label=f"{name} RSI({window})")


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (3, 10, 1)])
def test_macd_matches_talib_on_every_real_column(
    close_datasets: dict[str, pd.DataFrame], fast: int, slow: int, signal: int
) -> None:
    for name, closes in close_datasets.items():
        references = talib_by_column(lambda x: talib.MACD(x, fast, slow, signal), closes)
        result = macd(closes, fast, slow, signal)
        for line, ours, reference in zip(MACDResult._fields, result, references):
            assert_matches(
                ours,
                reference,
                rtol=MACD_RTOL_OF_PRICE,
                scale=closes,
                label=f"{name} MACD({fast},{slow},{signal}).{line}",
            )


def test_macd_aligns_the_fast_ema_on_the_slow_emas_first_bar(random_walk_closes: pd.DataFrame) -> None:
    # TA_MACD seeds the fast EMA with the SMA of the `fast` prices ending at bar slow-1,
    # not with the first `fast` prices; the MACD line is then that EMA minus the slow EMA.
    closes = random_walk_closes["AAA"]
    fast, slow = 12, 26
    aligned_fast = ema(closes.iloc[slow - fast :], fast).reindex(closes.index)
    expected_line = aligned_fast - ema(closes, slow)
    result = macd(closes, fast, slow, 9)
    first = slow + 9 - 2
    assert result.macd.iloc[:first].isna().all()
    np.testing.assert_allclose(result.macd.iloc[first:], expected_line.iloc[first:], rtol=1e-12)
    unaligned_line = ema(closes, fast) - ema(closes, slow)
    assert abs(result.macd.iloc[first] - unaligned_line.iloc[first]) > 1e-6


def test_macd_of_a_straight_line_is_the_lag_difference() -> None:
    # For x_t = t an SMA-seeded EMA of span n lags by (n - 1) / 2 exactly, so
    # MACD = (26 - 12) / 2 = 7, the signal is 7 and the histogram is 0 (hand computation).
    result = macd(np.arange(60.0), 12, 26, 9)
    np.testing.assert_allclose(result.macd[33:], 7.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.histogram[33:], 0.0, rtol=0, atol=1e-12)
    assert np.isnan(result.signal[:33]).all()


def test_rsi_of_a_flat_price_is_zero_as_in_talib() -> None:
    prices = np.concatenate([np.full(20, 5.0), [5.5, 5.25]])
    np.testing.assert_array_equal(rsi(prices, 14), talib.RSI(prices, 14))
    assert rsi(prices, 14)[19] == 0.0


def test_rsi_hand_values() -> None:
    # Changes +1, -1 give average gain = average loss = 0.5 -> RSI 50; then a +1 change:
    # gain (0.5 * 1 + 1) / 2 = 0.75, loss 0.25 -> RSI 75. Rising only -> 100.
    np.testing.assert_allclose(rsi(np.array([1.0, 2.0, 1.0, 2.0]), 2), [np.nan, np.nan, 50.0, 75.0])
    assert rsi(np.arange(1.0, 30.0), 14)[-1] == 100.0
