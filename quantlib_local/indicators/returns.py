"""Simple and log returns over one asset or many.

Equations
    ``simple_t = x_t / x_{t-p} - 1`` and ``log_t = ln(x_t / x_{t-p})`` for a lag of ``p``
    bars (``p = 1`` by default), computed as ``(x_t - x_{t-p}) / x_{t-p}`` and
    ``log1p`` of that, which keep full relative precision for small returns. Following
    the package's units convention, "returns" without a prefix are simple decimal returns.

Missing values
    The lag is positional: the value at ``t`` compares row ``t`` with row ``t - p``, and is
    NaN when either is NaN (``pandas.DataFrame.pct_change(fill_method=None)`` gives the
    same). Nothing is forward-filled, so a missing bar gives NaN at that bar and at the
    bar ``p`` rows later, whose lag points at it; the bars in between reach back over
    the gap. Leading NaN only delays a column's first return.
"""

from __future__ import annotations

import logging

import numpy as np

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators._inputs import (
    IndicatorInput,
    check_window,
    from_column_block,
    to_column_block,
)

logger = logging.getLogger(__name__)

__all__ = ["log_returns", "simple_returns"]


def _relative_change(block: Float64Array, periods: int) -> Float64Array:
    """``(x_t - x_{t-p}) / x_{t-p}`` along each row; NaN in the first ``p`` columns.

    The difference is taken first: for nearby prices it is exact (Sterbenz), whereas
    ``x_t / x_{t-p} - 1`` loses the last digits of a small return to cancellation.
    """
    change = np.empty(block.shape)
    change[:, :periods] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        np.subtract(block[:, periods:], block[:, :-periods], out=change[:, periods:])
        np.divide(change[:, periods:], block[:, :-periods], out=change[:, periods:])
    return change


def simple_returns(values: IndicatorInput, periods: int = 1) -> IndicatorInput:
    """Simple (arithmetic) returns ``x_t / x_{t-periods} - 1``.

    Parameters
    ----------
    values
        Prices of one asset (Series, 1-D array) or many (wide DataFrame, 2-D array of
        shape ``(bars, assets)``). NaN marks a missing bar.
    periods
        Lag in bars, ``>= 1``.

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape, index and columns as ``values``; the first ``periods`` rows are NaN.
        A zero price at ``t - periods`` gives +/-inf (or NaN for 0/0).

    Raises
    ------
    ValidationError
        If ``periods`` is not an int ``>= 1`` or ``values`` is not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> simple_returns(pd.Series([100.0, 110.0, 99.0])).round(12).tolist()
    [nan, 0.1, -0.1]
    """
    periods = check_window(periods, "periods", minimum=1)
    block, layout = to_column_block(values)
    return from_column_block(_relative_change(block, periods), layout)  # type: ignore[no-any-return]


def log_returns(values: IndicatorInput, periods: int = 1) -> IndicatorInput:
    """Log returns ``ln(x_t / x_{t-periods})``.

    Parameters
    ----------
    values
        Strictly positive prices of one asset (Series, 1-D array) or many (wide
        DataFrame, 2-D array of shape ``(bars, assets)``). NaN marks a missing bar.
    periods
        Lag in bars, ``>= 1``.

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape, index and columns as ``values``; the first ``periods`` rows are NaN.

    Raises
    ------
    ValidationError
        If ``periods`` is not an int ``>= 1``, ``values`` is not numeric, or a price is
        zero or negative (its logarithm does not exist).

    Examples
    --------
    >>> import numpy as np
    >>> log_returns(np.array([1.0, np.e, 1.0])).round(12).tolist()
    [nan, 1.0, -1.0]
    """
    periods = check_window(periods, "periods", minimum=1)
    block, layout = to_column_block(values)
    # fmin ignores NaN; its reduction allocates no temporary the size of the data.
    if block.size and np.fmin.reduce(block, axis=None) <= 0.0:
        column, row = np.argwhere(block <= 0.0)[0]
        raise ValidationError(
            "values",
            float(block[column, row]),
            "pass strictly positive prices; use simple_returns for series that can be zero or negative",
            detail=f"first non-positive price at row {row}, column {column}",
        )
    change = _relative_change(block, periods)
    # log1p of the relative change keeps full relative precision for small returns.
    return from_column_block(np.log1p(change, out=change), layout)  # type: ignore[no-any-return]
