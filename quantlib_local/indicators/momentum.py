"""Momentum oscillators: RSI (Wilder) and MACD, with TA-Lib's seeding.

RSI equations (Wilder 1978, as ``TA_RSI``)
    With ``d_t = x_t - x_{t-1}``, ``gain_t = max(d_t, 0)`` and ``loss_t = max(-d_t, 0)``:
    the first average gain and loss are the simple means of the first ``n`` changes (so
    the first RSI is at bar ``n``), then Wilder smoothing
    ``avg_t = (avg_{t-1} * (n - 1) + gain_t) / n`` (an EMA with ``alpha = 1/n``).
    ``RS = avg_gain / avg_loss`` and ``RSI = 100 - 100 / (1 + RS)``, computed in the
    algebraically equal form ``100 * avg_gain / (avg_gain + avg_loss)`` that needs no
    special case when ``avg_loss`` is 0. When both averages are exactly 0 (a flat price
    for the whole memory of the average) the RSI is 0, as TA-Lib reports it. TA-Lib's
    "unstable period" for RSI defaults to 0, which is what we match: nothing is dropped
    after the first value.

MACD equations (as ``TA_MACD``)
    ``macd = EMA_fast - EMA_slow``, ``signal = EMA_signal(macd)``,
    ``histogram = macd - signal``, every EMA seeded with an SMA (see
    :mod:`quantlib_local.indicators.moving_averages`). TA-Lib aligns the two price EMAs
    on the slow one's first bar: the fast EMA is *not* started at the first price but is
    seeded with the SMA of the ``fast`` prices that end at bar ``slow - 1``. The signal
    EMA is seeded with the SMA of the first ``signal`` MACD values, and all three outputs
    start together at bar ``slow + signal - 2`` (33 for 12/26/9).

Why the recursions are hand-written
    TA-Lib works on one column at a time and is a C dependency we use only as the test
    reference; pandas ``ewm`` seeds differently from TA-Lib, so its RSI and MACD differ
    in the first few hundred bars. The numba kernels below run TA-Lib's recursions over
    every column of a wide frame in one compiled loop, operation for operation.

Missing values
    A NaN ends a run of valid values and every run is computed on its own (leading NaN
    just delays the start; after an interior NaN the warm-up starts again). On each run
    the result equals TA-Lib on that run alone.
"""

from __future__ import annotations

import logging
from typing import Generic, NamedTuple

import numpy as np
from numba import njit

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators._inputs import (
    IndicatorInput,
    check_window,
    from_column_block,
    to_column_block,
)

logger = logging.getLogger(__name__)

__all__ = ["MACDResult", "macd", "rsi"]


class MACDResult(NamedTuple, Generic[IndicatorInput]):
    """The three MACD lines, each with the shape, index and columns of the input.

    Attributes
    ----------
    macd
        Fast EMA minus slow EMA.
    signal
        EMA of ``macd`` over the signal window.
    histogram
        ``macd - signal``.
    """

    macd: IndicatorInput
    signal: IndicatorInput
    histogram: IndicatorInput


def rsi(values: IndicatorInput, window: int = 14) -> IndicatorInput:
    """Relative Strength Index with Wilder smoothing, on a 0-100 scale.

    Parameters
    ----------
    values
        Prices of one asset (Series, 1-D array) or many (wide DataFrame, 2-D array of
        shape ``(bars, assets)``). NaN marks a missing bar.
    window
        Number of price changes ``n`` in the Wilder averages, ``>= 2``.

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape, index and columns as ``values``; NaN for the first ``window`` valid
        bars of each column (``window`` changes are needed for the first value).

    Raises
    ------
    ValidationError
        If ``window`` is not an int ``>= 2`` or ``values`` is not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> rsi(pd.Series([1.0, 2.0, 1.0, 2.0]), window=2).round(6).tolist()
    [nan, nan, 50.0, 75.0]
    """
    window = check_window(window, "window", minimum=2)
    block, layout = to_column_block(values)
    return from_column_block(rsi_kernel(block, window), layout)  # type: ignore[no-any-return]


def macd(
    values: IndicatorInput, fast: int = 12, slow: int = 26, signal: int = 9
) -> MACDResult[IndicatorInput]:
    """Moving Average Convergence/Divergence, as TA-Lib's ``MACD``.

    Parameters
    ----------
    values
        Prices of one asset (Series, 1-D array) or many (wide DataFrame, 2-D array of
        shape ``(bars, assets)``). NaN marks a missing bar.
    fast
        Span of the fast EMA, ``>= 1``.
    slow
        Span of the slow EMA, ``> fast``.
    signal
        Span of the signal EMA of the MACD line, ``>= 1``.

    Returns
    -------
    MACDResult
        ``(macd, signal, histogram)``, each with the shape, index and columns of
        ``values``; all three are NaN for the first ``slow + signal - 2`` valid bars of
        each column, as in TA-Lib.

    Raises
    ------
    ValidationError
        If a span is not an int, is too small, or ``fast >= slow``.

    Examples
    --------
    >>> import numpy as np
    >>> lines = macd(np.arange(40.0))
    >>> round(float(lines.macd[-1]), 6), round(float(lines.histogram[-1]), 6)
    (7.0, 0.0)
    """
    fast = check_window(fast, "fast", minimum=1)
    slow = check_window(slow, "slow", minimum=2)
    signal = check_window(signal, "signal", minimum=1)
    if fast >= slow:
        raise ValidationError(
            "fast",
            fast,
            f"pass a fast span shorter than slow={slow}, e.g. fast=12, slow=26",
            detail="the fast EMA must be shorter than the slow one",
        )
    block, layout = to_column_block(values)
    macd_line, signal_line, histogram = macd_kernel(block, fast, slow, signal)
    return MACDResult(
        from_column_block(macd_line, layout),
        from_column_block(signal_line, layout),
        from_column_block(histogram, layout),
    )


@njit(cache=True)
def rsi_kernel(block: Float64Array, window: int) -> Float64Array:
    """Wilder RSI of each row of a ``(n_columns, n_rows)`` block, restarting after NaN.

    Follows ``TA_RSI`` (unstable period 0, default compatibility) operation for operation.
    """
    n_columns, n_rows = block.shape
    out = np.empty((n_columns, n_rows))
    for j in range(n_columns):
        x = block[j]
        row = out[j]
        run_length = 0
        previous = 0.0
        average_gain = 0.0
        average_loss = 0.0
        for t in range(n_rows):
            value = x[t]
            row[t] = np.nan  # overwritten below once the warm-up is complete
            if value != value:  # NaN: a gap ends the run
                run_length = 0
                continue
            run_length += 1
            if run_length == 1:
                previous = value
                average_gain = 0.0
                average_loss = 0.0
                continue
            change = value - previous
            previous = value
            if run_length <= window + 1:
                # Accumulate the first `window` changes, then take their simple mean.
                if change < 0.0:
                    average_loss -= change
                else:
                    average_gain += change
                if run_length < window + 1:
                    continue
                average_loss /= window
                average_gain /= window
            else:
                average_loss *= window - 1
                average_gain *= window - 1
                if change < 0.0:
                    average_loss -= change
                else:
                    average_gain += change
                average_loss /= window
                average_gain /= window
            total = average_gain + average_loss
            row[t] = 100.0 * (average_gain / total) if total != 0.0 else 0.0
    return out


@njit(cache=True)
def macd_kernel(
    block: Float64Array, fast: int, slow: int, signal: int
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """MACD, signal and histogram of each row of a ``(n_columns, n_rows)`` block.

    Follows ``TA_MACD``: both price EMAs are first reported at run bar ``slow - 1`` (the
    fast one seeded with the SMA of the ``fast`` prices ending there), the signal EMA is
    seeded with the SMA of the first ``signal`` MACD values. Restarts after every NaN.
    """
    n_columns, n_rows = block.shape
    macd_out = np.empty((n_columns, n_rows))
    signal_out = np.empty((n_columns, n_rows))
    histogram_out = np.empty((n_columns, n_rows))
    k_fast = 2.0 / (fast + 1)
    k_slow = 2.0 / (slow + 1)
    k_signal = 2.0 / (signal + 1)
    fast_start = slow - fast  # run bars before the fast EMA's seed window begins
    for j in range(n_columns):
        x = block[j]
        macd_row = macd_out[j]
        signal_row = signal_out[j]
        histogram_row = histogram_out[j]
        run_length = 0
        slow_sum = 0.0
        fast_sum = 0.0
        signal_sum = 0.0
        slow_ema = 0.0
        fast_ema = 0.0
        signal_ema = 0.0
        for t in range(n_rows):
            value = x[t]
            # NaN until the warm-up is complete; overwritten below after that.
            macd_row[t] = np.nan
            signal_row[t] = np.nan
            histogram_row[t] = np.nan
            if value != value:  # NaN: a gap ends the run
                run_length = 0
                slow_sum = 0.0
                fast_sum = 0.0
                signal_sum = 0.0
                continue
            run_length += 1
            if run_length < slow:
                slow_sum += value
                if run_length > fast_start:
                    fast_sum += value
                continue
            if run_length == slow:
                slow_sum += value
                fast_sum += value
                slow_ema = slow_sum / slow
                fast_ema = fast_sum / fast
            else:
                slow_ema = (value - slow_ema) * k_slow + slow_ema
                fast_ema = (value - fast_ema) * k_fast + fast_ema
            macd_value = fast_ema - slow_ema
            signal_bar = run_length - slow + 1  # 1-based position in the MACD series
            if signal_bar < signal:
                signal_sum += macd_value
                continue
            if signal_bar == signal:
                signal_sum += macd_value
                signal_ema = signal_sum / signal
            else:
                signal_ema = (macd_value - signal_ema) * k_signal + signal_ema
            macd_row[t] = macd_value
            signal_row[t] = signal_ema
            histogram_row[t] = macd_value - signal_ema
    return macd_out, signal_out, histogram_out
