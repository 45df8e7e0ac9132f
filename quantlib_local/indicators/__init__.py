"""Technical indicators over one asset or a wide frame of many.

Every function takes a pandas Series (one asset), a wide DataFrame (timestamp x asset,
one column per asset) or a 1-D/2-D NumPy array, and returns the same shape with the
same index and columns, NaN during each column's warm-up.

Conventions shared by all of them
    * **TA-Lib compatible.** SMA, EMA, RSI, MACD, Bollinger Bands and ATR reproduce
      TA-Lib's output (seeding included) to better than 1e-9 relative; the test suite
      checks this against ``talib`` on real daily and 5-minute data.
    * **Each column starts at its own first valid value.** An asset listed later than the
      others gets exactly what TA-Lib gives on its history with the leading NaN removed.
    * **Interior NaN restarts the computation.** A missing bar gives NaN and the warm-up
      starts again after it (returns instead compare positionally with the row ``periods``
      earlier). No value is ever filled in.
    * **No look-ahead.** The value at bar ``t`` depends only on bars ``<= t``.
    * **Bad input raises** :class:`~quantlib_local.exceptions.ValidationError` naming the
      argument, its value and the fix.

The recursive indicators run in numba kernels over ``(assets, bars)`` float64 blocks; see
each module's notes for why they are hand-written rather than delegated to TA-Lib or
pandas.
"""

from quantlib_local.indicators.average_true_range import atr
from quantlib_local.indicators.bands import BollingerBands, bollinger_bands
from quantlib_local.indicators.momentum import MACDResult, macd, rsi
from quantlib_local.indicators.moving_averages import ema, sma
from quantlib_local.indicators.returns import log_returns, simple_returns
from quantlib_local.indicators.zscore import rolling_zscore

__all__ = [
    "BollingerBands",
    "MACDResult",
    "atr",
    "bollinger_bands",
    "ema",
    "log_returns",
    "macd",
    "rolling_zscore",
    "rsi",
    "simple_returns",
    "sma",
]
