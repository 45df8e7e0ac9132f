"""The bar frame contract, as constants.

One asset
    A :class:`pandas.DataFrame` indexed by a UTC :class:`pandas.DatetimeIndex` named
    ``timestamp`` (strictly increasing, no duplicates) with float64 columns
    ``open, high, low, close, volume``.

Many assets
    The same, with two column levels ``(field, symbol)``: ``frame["close"]`` is then a
    timestamp x symbol frame of closes, which is the shape indicators, metrics and
    vectorbt consume directly. An asset listed later than the others has all five fields
    NaN before its first bar; that is the only NaN the contract allows.

Validation lives in :mod:`quantlib_local.data.contract`.
"""

from __future__ import annotations

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
INDEX_NAME = "timestamp"
FIELD_LEVEL = "field"
SYMBOL_LEVEL = "symbol"
