"""Rolling z-score against an independent two-pass window computation and pandas."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from quantlib_local.indicators import rolling_zscore

from ._reference import apply_per_run, assert_matches

# z is dimensionless and of order 1: absolute tolerance ...
ATOL = 1e-9
# ... plus the conditioning of the float64 reference itself: rounding the window mean
# to one ulp moves ``x - mean`` by eps * |x|, i.e. z by eps * |x| / std. For three
# 5-minute closes one tick apart (std 5e-9 on a price of 0.09) that is ~4e-9.
REFERENCE_ULPS = 4


def _two_pass_zscore(column: np.ndarray, window: int, ddof: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference: mean and std of each full window by numpy's two-pass formulas.

    Returns the z-scores and the reference's own rounding bound ``eps * |x| / std``.
    """
    out = np.full(len(column), np.nan)
    bound = np.full(len(column), np.nan)
    if len(column) >= window:
        windows = sliding_window_view(column, window)
        std = windows.std(axis=1, ddof=ddof)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (column[window - 1 :] - windows.mean(axis=1)) / std
        # A flat window has no z-score; numpy's two-pass std leaves a 1e-16 residue there.
        z[windows.max(axis=1) == windows.min(axis=1)] = np.nan
        out[window - 1 :] = z
        with np.errstate(divide="ignore"):
            bound[window - 1 :] = np.finfo(np.float64).eps * np.abs(column[window - 1 :]) / std
    return out, bound


@pytest.mark.parametrize(("window", "ddof"), [(20, 0), (20, 1), (3, 0), (100, 1)])
def test_zscore_matches_two_pass_reference_on_every_real_column(
    close_datasets: dict[str, pd.DataFrame], window: int, ddof: int
) -> None:
    for name, closes in close_datasets.items():
        per_column = [apply_per_run(lambda x: _two_pass_zscore(x, window, ddof), closes[c].to_numpy()) for c in closes]
        expected = np.column_stack([z for z, _ in per_column])
        reference_rounding = np.column_stack([bound for _, bound in per_column])
        result = rolling_zscore(closes, window, ddof=ddof)
        assert_matches(
            result,
            expected,
            atol=ATOL,
            rtol=REFERENCE_ULPS,
            scale=np.nan_to_num(reference_rounding, posinf=0.0),
            label=f"{name} zscore({window}, ddof={ddof})",
        )


def test_zscore_is_exact_when_the_spread_is_one_tick_on_a_large_price() -> None:
    # Real ETH/BTC closes (crypto/ETH_BTC-5m.csv, bars 448-455): a 0.16% jump, then
    # three closes one tick (1e-8) apart. Reference: exact rational arithmetic.
    closes = np.array([0.08900001, 0.08894978, 0.08905944, 0.08891885, 0.0890449, 0.08904491, 0.08904493])
    window = 3
    result = rolling_zscore(closes, window)
    for t in range(window - 1, len(closes)):
        values = [Fraction(float(v)) for v in closes[t - window + 1 : t + 1]]
        mean = sum(values, Fraction(0)) / window
        variance = sum(((v - mean) ** 2 for v in values), Fraction(0)) / window
        exact = float((values[-1] - mean) / Fraction(math.sqrt(variance)))
        assert abs(result[t] - exact) <= 1e-12, (t, result[t], exact)


def test_zscore_ddof_one_matches_pandas_rolling(random_walk_closes: pd.DataFrame) -> None:
    closes = random_walk_closes
    rolling = closes.rolling(30)
    expected = (closes - rolling.mean()) / rolling.std(ddof=1)
    assert_matches(rolling_zscore(closes, 30, ddof=1), expected, atol=1e-10, label="zscore vs pandas")


def test_zscore_of_a_flat_window_is_nan_not_inf() -> None:
    prices = np.array([1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 4.0])
    result = rolling_zscore(prices, 3)
    assert np.isnan(result[4]) and np.isnan(result[5])
    assert np.isfinite(result[[2, 3, 6]]).all()


def test_zscore_hand_values() -> None:
    # Window [1, 3]: mean 2, population std 1 -> z(3) = +1; window [3, 1] -> z(1) = -1.
    np.testing.assert_array_equal(rolling_zscore(np.array([1.0, 3.0, 1.0]), 2), [np.nan, 1.0, -1.0])
