"""Simple and exponential moving averages over one asset or many.

Equations
    ``SMA_t = (x_{t-n+1} + ... + x_t) / n``

    ``EMA_t = EMA_{t-1} + alpha * (x_t - EMA_{t-1})`` with ``alpha = 2 / (n + 1)``.

Seeding (the part that makes two EMA implementations disagree)
    TA-Lib (``TA_EMA``) and most charting packages seed the recursion with the SMA of the
    first ``n`` values, so the first EMA value appears at bar ``n - 1``. pandas
    ``ewm(span=n, adjust=False)`` seeds with the first value itself and reports from bar 0;
    the two series converge only as ``(1 - alpha)^t`` shrinks. :func:`ema` uses the TA-Lib
    seed by default and offers ``seed="first"`` for the pandas convention.

Why the EMA recursion is hand-written
    TA-Lib works on one column at a time and is a C dependency we use only as the test
    reference; pandas ``ewm`` seeds differently (above). The numba kernel below runs the
    TA-Lib recursion over every column of a wide frame in one compiled loop.

Missing values
    A NaN ends a run of valid values and every run is computed on its own: leading NaN
    (an asset listed later) simply delays the start, and after an interior NaN the output
    is NaN until a new warm-up of ``n`` valid values is complete. On each run the result
    equals TA-Lib on that run alone.
"""

from __future__ import annotations

import logging
from typing import Literal

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
from quantlib_local.indicators._rolling import MEAN, rolling_window_kernel

logger = logging.getLogger(__name__)

__all__ = ["ema", "sma"]


def sma(values: IndicatorInput, window: int) -> IndicatorInput:
    """Simple moving average: the mean of the last ``window`` values.

    Parameters
    ----------
    values
        Prices of one asset (Series, 1-D array) or many (wide DataFrame, 2-D array of
        shape ``(bars, assets)``). NaN marks a missing bar.
    window
        Number of bars averaged, ``>= 1``.

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape, index and columns as ``values``; NaN for the first ``window - 1`` valid
        bars of each column (and again after a gap, see the module notes).

    Raises
    ------
    ValidationError
        If ``window`` is not an int ``>= 1`` or ``values`` is not numeric.

    Notes
    -----
    Matches ``talib.SMA`` to about 1e-15 relative. The rolling sums are re-anchored every
    ``window`` bars (see :mod:`quantlib_local.indicators._rolling`), so the error does not
    grow with the length of the history as a plain running sum's does.

    Examples
    --------
    >>> import pandas as pd
    >>> sma(pd.Series([1.0, 2.0, 3.0, 4.0]), window=2).tolist()
    [nan, 1.5, 2.5, 3.5]
    """
    window = check_window(window, "window", minimum=1)
    block, layout = to_column_block(values)
    mean, _, _ = rolling_window_kernel(block, window, MEAN, 0.0, 0)
    return from_column_block(mean, layout)  # type: ignore[no-any-return]


def ema(values: IndicatorInput, window: int, *, seed: Literal["sma", "first"] = "sma") -> IndicatorInput:
    """Exponential moving average with ``alpha = 2 / (window + 1)``.

    Parameters
    ----------
    values
        Prices of one asset (Series, 1-D array) or many (wide DataFrame, 2-D array of
        shape ``(bars, assets)``). NaN marks a missing bar.
    window
        Span ``n`` of the average, ``>= 1``; ``alpha = 2 / (n + 1)``.
    seed
        ``"sma"`` (default, as TA-Lib): the first value is the SMA of the first ``window``
        values, reported at bar ``window - 1``. ``"first"`` (as pandas
        ``ewm(span=window, adjust=False).mean()``): the recursion starts from the first
        value and reports from the first bar.

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape, index and columns as ``values``.

    Raises
    ------
    ValidationError
        If ``window`` is not an int ``>= 1``, ``seed`` is unknown or ``values`` is not
        numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> ema(pd.Series([1.0, 2.0, 3.0, 4.0]), window=3).tolist()
    [nan, nan, 2.0, 3.0]
    """
    window = check_window(window, "window", minimum=1)
    if seed not in ("sma", "first"):
        raise ValidationError(
            "seed", seed, "pass seed='sma' (TA-Lib convention) or seed='first' (pandas ewm adjust=False)"
        )
    block, layout = to_column_block(values)
    result = ema_kernel(block, window, seed == "sma")
    return from_column_block(result, layout)  # type: ignore[no-any-return]


@njit(cache=True)
def ema_kernel(block: Float64Array, window: int, seed_with_sma: bool) -> Float64Array:
    """EMA of each row of a ``(n_columns, n_rows)`` block, restarting after every NaN.

    Follows ``TA_INT_EMA`` operation for operation: the seed is a left-to-right sum of the
    first ``window`` values divided by ``window``; each step is
    ``ema = (x - ema) * k + ema`` with ``k = 2 / (window + 1)``.
    """
    n_columns, n_rows = block.shape
    out = np.empty((n_columns, n_rows))
    k = 2.0 / (window + 1)
    warm_up = window if seed_with_sma else 1
    for j in range(n_columns):
        x = block[j]
        row = out[j]
        run_length = 0
        seed_sum = 0.0
        average = 0.0
        for t in range(n_rows):
            value = x[t]
            if value != value:  # NaN: a gap ends the run
                run_length = 0
                seed_sum = 0.0
                row[t] = np.nan
                continue
            run_length += 1
            if run_length < warm_up:
                seed_sum += value
                row[t] = np.nan
            elif run_length == warm_up:
                seed_sum += value
                average = seed_sum / warm_up
                row[t] = average
            else:
                average = (value - average) * k + average
                row[t] = average
    return out
