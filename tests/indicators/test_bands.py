"""Bollinger Bands against TA-Lib on real data, and the precision of the band width."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from quantlib_local.indicators import BollingerBands, bollinger_bands

from ._reference import assert_matches, talib_by_column

talib = pytest.importorskip("talib", reason="TA-Lib (the reference implementation) is not installed")

RTOL = 1e-9  # relative to the reference band value


@pytest.mark.parametrize(("window", "num_std"), [(20, 2.0), (5, 1.0), (50, 2.5), (2, 0.0)])
def test_bollinger_matches_talib_on_every_real_column(
    close_datasets: dict[str, pd.DataFrame], window: int, num_std: float
) -> None:
    for name, closes in close_datasets.items():
        references = talib_by_column(
            lambda x: talib.BBANDS(x, window, num_std, num_std, talib.MA_Type.SMA), closes
        )
        result = bollinger_bands(closes, window, num_std)
        for band, ours, reference in zip(BollingerBands._fields, result, references):
            assert_matches(ours, reference, rtol=RTOL, label=f"{name} BBANDS({window},{num_std}).{band}")


def test_band_half_width_is_the_population_std_even_for_tiny_spreads(
    close_datasets: dict[str, pd.DataFrame],
) -> None:
    # 5-minute crypto closes near 5e-5 with spreads near 1e-4 of the price: the naive
    # E[x^2] - E[x]^2 loses about half the digits here. Reference: numpy two-pass std
    # (ddof=0) over each window. Tolerance: 1e-9 relative to the std itself.
    window = 20
    for name in ("crypto/ADA_BTC-5m", "crypto/XLM_BTC-5m", "stock_prices_20"):
        column = close_datasets[name].iloc[:, 0].dropna().to_numpy()
        bands = bollinger_bands(column, window, 1.0)
        half_width = bands.upper[window - 1 :] - bands.middle[window - 1 :]
        std = np.std(sliding_window_view(column, window), axis=1)
        moving = std > 0
        np.testing.assert_allclose(half_width[moving], std[moving], rtol=1e-9, err_msg=name)


def test_flat_window_has_zero_width() -> None:
    prices = np.array([1.0, 2.0, 3.0] + [0.1] * 25)
    bands = bollinger_bands(prices, 20, 2.0)
    assert (bands.upper[22:] == bands.lower[22:]).all()
    assert (bands.upper[22:] == 0.1).all()


def test_bands_hand_values() -> None:
    # Window [1, 3]: mean 2, population std 1 -> bands 2 +/- 2 * 1.
    bands = bollinger_bands(np.array([1.0, 3.0, 1.0]), 2, 2.0)
    np.testing.assert_array_equal(bands.upper[1:], [4.0, 4.0])
    np.testing.assert_array_equal(bands.middle[1:], [2.0, 2.0])
    np.testing.assert_array_equal(bands.lower[1:], [0.0, 0.0])
