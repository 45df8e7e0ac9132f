"""ATR against TA-Lib on real 5-minute OHLC bars, single files and aligned with gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.indicators import atr

from ._reference import assert_matches, talib_by_column

talib = pytest.importorskip("talib", reason="TA-Lib (the reference implementation) is not installed")

RTOL = 1e-9  # relative to the reference ATR


@pytest.mark.parametrize("window", [1, 2, 14, 50])
def test_atr_matches_talib_on_every_real_ohlc_file(
    ohlc_datasets: dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]], window: int
) -> None:
    for name, (high, low, close) in ohlc_datasets.items():
        (reference,) = talib_by_column(lambda h, l, c: talib.ATR(h, l, c, window), high, low, close)
        assert_matches(atr(high, low, close, window), reference, rtol=RTOL, label=f"{name} ATR({window})")


def test_atr_window_one_is_the_true_range(
    ohlc_datasets: dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]],
) -> None:
    high, low, close = (frame.iloc[:, 0].to_numpy() for frame in ohlc_datasets["crypto/ETH_BTC-5m"])
    np.testing.assert_array_equal(atr(high, low, close, 1), talib.TRANGE(high, low, close))


def test_atr_hand_values() -> None:
    # Bar 1: range 1, gap from previous close |1.5 - 3| = 1.5 -> TR 1.5; bar 2: TR |2.5 - 6| = 3.5.
    # ATR(2) at bar 2 = (1.5 + 3.5) / 2 = 2.5; bar 3: TR = 1 -> (2.5 * 1 + 1) / 2 = 1.75 (Wilder).
    high = np.array([2.0, 3.0, 6.0, 6.0])
    low = np.array([1.0, 2.0, 5.0, 5.0])
    close = np.array([1.5, 2.5, 5.5, 5.5])
    np.testing.assert_array_equal(atr(high, low, close, 2), [np.nan, np.nan, 2.5, 1.75])


def test_missing_high_alone_makes_the_bar_missing() -> None:
    rng = np.random.default_rng(3)
    close = 100 + np.cumsum(rng.normal(size=60))
    high, low = close + 1.0, close - 1.0
    high[30] = np.nan
    result = atr(high, low, close, 5)
    assert np.isnan(result[30:36]).all()  # gap, then a new warm-up of 5 + 1 bars
    np.testing.assert_allclose(result[36:], atr(high[31:], low[31:], close[31:], 5)[5:], rtol=0, atol=0)
