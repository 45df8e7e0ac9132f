"""One-pass check of the OHLCV value rules (numba).

:func:`any_value_rule_broken` answers only whether some value rule breaks, reading each
number once; :mod:`quantlib_local.data.contract` then builds the exact error (column,
first timestamp, row count) with NumPy masks, which costs a dozen passes but runs only on
failure. Hand-written because the valid case is the common one on large frames, and no
library checks these rules in one pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def any_value_rule_broken(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, multi_asset: bool
) -> bool:  # pragma: no cover - compiled
    """True when a value rule of the contract breaks anywhere in the ``(rows, symbols)`` blocks.

    Rules: no NaN inside an asset's listing window (every row for one asset), all five
    fields NaN outside it, no inf, positive prices, non-negative volume, high >= low, open
    and close within [low, high].
    """
    n_rows, n_symbols = close.shape
    for j in range(n_symbols):
        first, last = 0, n_rows - 1
        if multi_asset:
            first, last = n_rows, -1
            for i in range(n_rows):
                if not (np.isnan(open_[i, j]) and np.isnan(high[i, j]) and np.isnan(low[i, j])
                        and np.isnan(close[i, j]) and np.isnan(volume[i, j])):
                    if first == n_rows:
                        first = i
                    last = i
        for i in range(first, last + 1):
            o, h, lo, c, v = open_[i, j], high[i, j], low[i, j], close[i, j], volume[i, j]
            # comparisons with NaN are False, so "not (x > 0)" also catches NaN
            if not (o > 0 and h > 0 and lo > 0 and c > 0 and v >= 0):
                return True
            if np.isinf(o) or np.isinf(h) or np.isinf(lo) or np.isinf(c) or np.isinf(v):
                return True
            if h < lo or o > h or o < lo or c > h or c < lo:
                return True
    return False
