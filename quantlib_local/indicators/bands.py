"""Bollinger Bands: a simple moving average with bands a multiple of the rolling std away.

Equations (as ``TA_BBANDS`` with ``matype=SMA``)
    ``middle = SMA_n(x)``, ``sigma = sqrt(mean((x - middle)^2))`` over the same ``n``
    bars (the *population* standard deviation, ddof=0, as TA-Lib uses), and
    ``upper = middle + k * sigma``, ``lower = middle - k * sigma``.

Numerics
    The mean and variance come from one re-anchored rolling pass
    (:mod:`quantlib_local.indicators._rolling`), which keeps ``sigma`` accurate even when
    the spread is 1e-4 of the price level, as it is for 5-minute crypto bars, and gives a
    band width of exactly 0 on a flat stretch.

Missing values
    A window that contains a NaN gives NaN; leading NaN (an asset listed later) delays
    the first value of that column only.
"""

from __future__ import annotations

import logging
import math
from typing import Generic, NamedTuple

import numpy as np

from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators._inputs import (
    IndicatorInput,
    check_window,
    from_column_block,
    to_column_block,
)
from quantlib_local.indicators._rolling import BANDS, rolling_window_kernel

logger = logging.getLogger(__name__)

__all__ = ["BollingerBands", "bollinger_bands"]


class BollingerBands(NamedTuple, Generic[IndicatorInput]):
    """Upper, middle and lower band, each with the shape, index and columns of the input.

    Attributes
    ----------
    upper
        ``middle + num_std * sigma``.
    middle
        Simple moving average.
    lower
        ``middle - num_std * sigma``.
    """

    upper: IndicatorInput
    middle: IndicatorInput
    lower: IndicatorInput


def bollinger_bands(values: IndicatorInput, window: int = 20, num_std: float = 2.0) -> BollingerBands[IndicatorInput]:
    """Bollinger Bands around a simple moving average, with the population std.

    Parameters
    ----------
    values
        Prices of one asset (Series, 1-D array) or many (wide DataFrame, 2-D array of
        shape ``(bars, assets)``). NaN marks a missing bar.
    window
        Number of bars in the average and the std, ``>= 2``.
    num_std
        Width of each band in standard deviations (TA-Lib's ``nbdevup`` = ``nbdevdn``),
        finite and ``>= 0``.

    Returns
    -------
    BollingerBands
        ``(upper, middle, lower)``, each with the shape, index and columns of ``values``;
        NaN for the first ``window - 1`` valid bars of each column.

    Raises
    ------
    ValidationError
        If ``window`` is not an int ``>= 2``, ``num_std`` is not a finite number ``>= 0``,
        or ``values`` is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> bands = bollinger_bands(np.array([1.0, 3.0, 1.0, 3.0]), window=2, num_std=1.0)
    >>> bands.upper.tolist(), bands.lower.tolist()
    ([nan, 3.0, 3.0, 3.0], [nan, 1.0, 1.0, 1.0])
    """
    window = check_window(window, "window", minimum=2)
    if isinstance(num_std, bool) or not isinstance(num_std, (int, float, np.integer, np.floating)):
        raise ValidationError("num_std", num_std, "pass a number of standard deviations, e.g. num_std=2.0")
    if not math.isfinite(num_std) or num_std < 0:
        raise ValidationError("num_std", num_std, "pass a finite number of standard deviations >= 0, e.g. 2.0")
    block, layout = to_column_block(values)
    upper, middle, lower = rolling_window_kernel(block, window, BANDS, float(num_std), 0)
    return BollingerBands(
        from_column_block(upper, layout),
        from_column_block(middle, layout),
        from_column_block(lower, layout),
    )
