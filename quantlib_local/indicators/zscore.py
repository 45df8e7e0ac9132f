"""Rolling z-score: how many rolling standard deviations a value sits from its rolling mean.

Equation
    ``z_t = (x_t - mean_t) / std_t`` where ``mean_t`` and ``std_t`` are taken over the
    ``n`` bars ending at ``t`` (the current bar included, so there is no look-ahead).
    ``std`` uses ``ddof=0`` by default, the same population convention as the Bollinger
    Bands, so ``z = 2`` means "on the upper band of ``bollinger_bands(x, n, 2)``"; pass
    ``ddof=1`` for the sample std that ``pandas.Series.rolling(n).std()`` uses.

Numerics
    ``x_t - mean_t`` is taken from the rolling kernel as a deviation from its anchor, not
    as the difference of two rounded prices, so z keeps its precision when a window's
    spread is 1e-7 of the price (three 5-minute closes one tick apart).

Undefined values
    A window with zero spread (a flat price) has no z-score: the result is NaN there,
    not +/-inf. A window that contains a NaN gives NaN; leading NaN (an asset listed
    later) delays the first value of that column only.
"""

from __future__ import annotations

import logging

import numpy as np

from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators._inputs import (
    IndicatorInput,
    check_window,
    from_column_block,
    to_column_block,
)
from quantlib_local.indicators._rolling import ZSCORE, rolling_window_kernel

logger = logging.getLogger(__name__)

__all__ = ["rolling_zscore"]


def rolling_zscore(values: IndicatorInput, window: int, *, ddof: int = 0) -> IndicatorInput:
    """Rolling z-score ``(x - rolling mean) / rolling std`` over ``window`` bars.

    Parameters
    ----------
    values
        One asset (Series, 1-D array) or many (wide DataFrame, 2-D array of shape
        ``(bars, assets)``). NaN marks a missing bar.
    window
        Number of bars in the rolling mean and std, ``>= 2``.
    ddof
        Delta degrees of freedom of the std: 0 (population, default) or 1 (sample);
        must be ``< window``.

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape, index and columns as ``values``; NaN for the first ``window - 1``
        valid bars of each column and wherever the window is flat.

    Raises
    ------
    ValidationError
        If ``window`` is not an int ``>= 2``, ``ddof`` is not an int in
        ``[0, window - 1]``, or ``values`` is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_zscore(np.array([1.0, 3.0, 1.0, 1.0]), window=2).tolist()
    [nan, 1.0, -1.0, nan]
    """
    window = check_window(window, "window", minimum=2)
    if isinstance(ddof, bool) or not isinstance(ddof, (int, np.integer)) or not 0 <= ddof < window:
        raise ValidationError(
            "ddof", ddof, f"pass ddof=0 (population std) or ddof=1 (sample std), below window={window}"
        )
    block, layout = to_column_block(values)
    zscore, _, _ = rolling_window_kernel(block, window, ZSCORE, 0.0, int(ddof))
    return from_column_block(zscore, layout)  # type: ignore[no-any-return]
