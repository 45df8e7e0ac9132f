"""Average True Range (Wilder), as TA-Lib's ``ATR``.

Equations
    ``TR_t = max(high_t - low_t, |high_t - close_{t-1}|, |low_t - close_{t-1}|)``, the
    bar's range widened to include a gap from the previous close; it needs the previous
    close, so the first bar has none. The first ATR, at bar ``n``, is the simple mean of
    ``TR_1 .. TR_n``; after that Wilder smoothing
    ``ATR_t = (ATR_{t-1} * (n - 1) + TR_t) / n`` (an EMA with ``alpha = 1/n``). TA-Lib's
    unstable period for ATR defaults to 0, which is what we match.

Why the recursion is hand-written
    TA-Lib works on one column at a time and is a C dependency we use only as the test
    reference; pandas ``ewm(alpha=1/n)`` seeds with the first true range instead of the
    mean of the first ``n``. The numba kernel below runs TA-Lib's recursion over every
    column of wide high/low/close frames in one compiled loop.

Missing values
    A bar counts as valid when its high, low and close are all present. A NaN in any of
    them ends a run of valid bars and every run is computed on its own: the first bar of
    a run has no previous close, and the output is NaN until a new warm-up of ``n + 1``
    bars is complete. On each run the result equals TA-Lib on that run alone.
"""

from __future__ import annotations

import logging

import numpy as np
from numba import njit

from quantlib_local._typing import Float64Array
from quantlib_local.indicators._inputs import (
    IndicatorInput,
    check_aligned,
    check_window,
    from_column_block,
    to_column_block,
)

logger = logging.getLogger(__name__)

__all__ = ["atr"]


def atr(high: IndicatorInput, low: IndicatorInput, close: IndicatorInput, window: int = 14) -> IndicatorInput:
    """Average True Range with Wilder smoothing.

    Parameters
    ----------
    high, low, close
        Bar highs, lows and closes of one asset (Series, 1-D arrays) or many (wide
        DataFrames or 2-D arrays of shape ``(bars, assets)``). All three must be the same
        kind of object with the same shape, index and columns. NaN marks a missing bar.
    window
        Number of bars ``n`` in the Wilder average, ``>= 1`` (``window=1`` gives the true
        range itself).

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape, index and columns as ``close``; NaN for the first ``window`` valid
        bars of each column.

    Raises
    ------
    ValidationError
        If ``window`` is not an int ``>= 1``, an input is not numeric, or the three
        inputs are not aligned (the message names the first one that differs).

    Examples
    --------
    >>> import numpy as np
    >>> high, low, close = np.array([2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.5, 3.5])
    >>> atr(high, low, close, window=1).tolist()
    [nan, 1.5, 1.5]
    """
    window = check_window(window, "window", minimum=1)
    check_aligned({"close": close, "high": high, "low": low})
    high_block, _ = to_column_block(high, "high")
    low_block, _ = to_column_block(low, "low")
    close_block, layout = to_column_block(close, "close")
    result = atr_kernel(high_block, low_block, close_block, window)
    return from_column_block(result, layout)  # type: ignore[no-any-return]


@njit(cache=True)
def atr_kernel(high: Float64Array, low: Float64Array, close: Float64Array, window: int) -> Float64Array:
    """Wilder ATR of each row of ``(n_columns, n_rows)`` blocks, restarting after NaN.

    Follows ``TA_ATR`` / ``TA_TRANGE`` operation for operation: the true range is the
    largest of ``high - low``, ``|close_prev - high|`` and ``|close_prev - low|``; the seed is
    a left-to-right sum of the first ``window`` true ranges divided by ``window``; each
    step is ``atr *= window - 1; atr += tr; atr /= window``.
    """
    n_columns, n_rows = close.shape
    out = np.empty((n_columns, n_rows))
    for j in range(n_columns):
        row = out[j]
        run_length = 0
        previous_close = 0.0
        average = 0.0
        for t in range(n_rows):
            bar_high = high[j, t]
            bar_low = low[j, t]
            bar_close = close[j, t]
            row[t] = np.nan  # overwritten below once the warm-up is complete
            if np.isnan(bar_high) or np.isnan(bar_low) or np.isnan(bar_close):
                run_length = 0
                continue
            run_length += 1
            if run_length == 1:
                previous_close = bar_close
                average = 0.0
                continue
            true_range = bar_high - bar_low
            gap_to_high = abs(previous_close - bar_high)
            if gap_to_high > true_range:
                true_range = gap_to_high
            gap_to_low = abs(previous_close - bar_low)
            if gap_to_low > true_range:
                true_range = gap_to_low
            previous_close = bar_close
            if run_length <= window + 1:
                average += true_range
                if run_length < window + 1:
                    continue
                average /= window
            else:
                average *= window - 1
                average += true_range
                average /= window
            row[t] = average
    return out
