"""Checks and coercion of quote input: a frame with ``QUOTE_COLUMNS`` becomes plain arrays.

Hand-written because every entry point (the bulk quote matrix, the replay, the tracker's
bulk feed) promises the same contract and the same errors: the columns of
:data:`~quantlib_local.data.synthetic.QUOTE_COLUMNS`, UTC (or naive, taken as UTC)
timestamps with ``timestamp_received >= timestamp_exchange``, ``0 < bid < ask``, sizes
``>= 0`` and taker fees in ``[0, 1)``, nothing missing. Rows are put in received-time order
(stable, so ties keep the frame's order); timestamps become int64 nanoseconds so that
freshness is decided on exact integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.data.synthetic import QUOTE_COLUMNS
from quantlib_local.exceptions import ValidationError

_PRICE_COLUMNS = ("bid", "ask", "bid_size", "ask_size", "taker_fee")


@dataclass(frozen=True)
class QuoteArrays:
    """A validated quote stream in received-time order, as arrays (one entry per quote)."""

    symbols: tuple[str, ...]
    venues: tuple[str, ...]
    symbol: np.ndarray
    venue: np.ndarray
    bid: Float64Array
    ask: Float64Array
    bid_size: Float64Array
    ask_size: Float64Array
    taker_fee: Float64Array
    exchange_ns: np.ndarray
    received_ns: np.ndarray

    def __len__(self) -> int:
        return len(self.bid)


def quote_arrays(quotes: Any, *, name: str = "quotes") -> QuoteArrays:
    """Validate ``quotes`` (see the module docstring) and return it as :class:`QuoteArrays`.

    Symbol and venue codes number the names in order of first appearance in received time.
    """
    if not isinstance(quotes, pd.DataFrame):
        raise ValidationError(name, type(quotes).__name__,
                              "pass a DataFrame with the QUOTE_COLUMNS of multi_venue_quotes")
    missing = [column for column in QUOTE_COLUMNS if column not in quotes.columns]
    if missing:
        raise ValidationError(name, sorted(quotes.columns.astype(str)),
                              f"add the columns {missing} (QUOTE_COLUMNS: {list(QUOTE_COLUMNS)})")
    exchange = _nanoseconds(quotes["timestamp_exchange"], f"{name}.timestamp_exchange")
    received = _nanoseconds(quotes["timestamp_received"], f"{name}.timestamp_received")
    order = np.argsort(received, kind="stable")
    values = {column: _floats(quotes[column], f"{name}.{column}")[order] for column in _PRICE_COLUMNS}
    exchange, received = exchange[order], received[order]
    labels = {column: _labels(quotes[column], f"{name}.{column}")[order] for column in ("symbol", "venue")}
    _check_rows(values, exchange, received, name)
    codes, names = {}, {}
    for column, array in labels.items():
        codes[column], uniques = pd.factorize(array, sort=False)
        names[column] = tuple(str(label) for label in uniques)
    return QuoteArrays(
        names["symbol"], names["venue"], codes["symbol"].astype(np.int64), codes["venue"].astype(np.int64),
        values["bid"], values["ask"], values["bid_size"], values["ask_size"], values["taker_fee"], exchange, received,
    )


def check_quote_values(
    symbol: Any, venue: Any, bid: Any, ask: Any, bid_size: Any, ask_size: Any, taker_fee: Any,
    exchange_ns: int, received_ns: int,
) -> None:
    """The rules of :func:`quote_arrays` for one quote (scalars); raises ValidationError naming the field."""
    for field, label in (("symbol", symbol), ("venue", venue)):
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(field, label, "use a non-empty name such as 'BTC/USDT' or 'binance'")
    for field, value in (("bid", bid), ("ask", ask), ("bid_size", bid_size), ("ask_size", ask_size),
                         ("taker_fee", taker_fee)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value):
            raise ValidationError(field, value, "use a finite number")
    if bid <= 0:
        raise ValidationError("bid", bid, "use a positive price")
    if ask <= bid:
        raise ValidationError("ask", ask, f"use an ask above the bid ({bid}): a venue's own book cannot be crossed")
    for field, value in (("bid_size", bid_size), ("ask_size", ask_size)):
        if value < 0:
            raise ValidationError(field, value, "use a size >= 0 (base units at the touch)")
    if not 0 <= taker_fee < 1:
        raise ValidationError("taker_fee", taker_fee, "use a decimal fee in [0, 1), e.g. 0.001 for 10 bps")
    if received_ns < exchange_ns:
        raise ValidationError("timestamp_received", pd.Timestamp(received_ns, tz="UTC"),
                              "stamp receipt no earlier than the exchange timestamp (correct the clock skew)")


def to_utc_timestamp(value: Any, field: str) -> pd.Timestamp:
    """A UTC :class:`pandas.Timestamp` (naive values are taken as UTC)."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, "use a timestamp such as '2024-03-13 11:10:45Z'") from None
    if pd.isna(stamp):
        raise ValidationError(field, value, "use a timestamp such as '2024-03-13 11:10:45Z'")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def timestamp_ns(value: Any, field: str) -> int:
    """Integer nanoseconds since the epoch of a timestamp (see :func:`to_utc_timestamp`)."""
    return int(to_utc_timestamp(value, field).as_unit("ns").value)


def _nanoseconds(column: pd.Series, field: str) -> np.ndarray:
    try:
        stamps = pd.to_datetime(column)
    except (TypeError, ValueError):
        raise ValidationError(field, column.iloc[0] if len(column) else column,
                              "use UTC timestamps (datetime64 or ISO strings)") from None
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize("UTC")
    stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns")
    if stamps.isna().any():
        raise ValidationError(field, "NaT", "fill every timestamp", detail=f"{int(stamps.isna().sum())} missing")
    return stamps.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _floats(column: pd.Series, field: str) -> Float64Array:
    if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
        raise ValidationError(field, str(column.dtype), "use a numeric column")
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValidationError(field, values[bad][0], "use finite numbers", detail=f"{int(bad.sum())} rows")
    return values


def _labels(column: pd.Series, field: str) -> np.ndarray:
    if not pd.api.types.is_string_dtype(column):
        raise ValidationError(field, str(column.dtype), "use names (strings) in every row, e.g. 'binance'")
    blank = column.isna().to_numpy() | (column.fillna("").str.strip() == "").to_numpy()
    if blank.any():
        first = column[blank].iloc[0]
        raise ValidationError(field, None if pd.isna(first) else first, "use non-empty names in every row",
                              detail=f"{int(blank.sum())} rows")
    return column.to_numpy(dtype=object)


def _check_rows(values: dict[str, Float64Array], exchange: np.ndarray, received: np.ndarray, name: str) -> None:
    bid, ask = values["bid"], values["ask"]
    rules = (
        ("bid", bid, bid <= 0, "use positive prices"),
        ("ask", ask, ask <= bid, "use asks above the bids: a venue's own book cannot be crossed or locked"),
        ("bid_size", values["bid_size"], values["bid_size"] < 0, "use sizes >= 0"),
        ("ask_size", values["ask_size"], values["ask_size"] < 0, "use sizes >= 0"),
        ("taker_fee", values["taker_fee"], (values["taker_fee"] < 0) | (values["taker_fee"] >= 1),
         "use decimal fees in [0, 1), e.g. 0.001 for 10 bps"),
    )
    for column, array, bad, fix in rules:
        if bad.any():
            raise ValidationError(f"{name}.{column}", float(array[bad][0]), fix, detail=f"{int(bad.sum())} rows")
    early = received < exchange
    if early.any():
        first = pd.Timestamp(int(received[early][0]), tz="UTC")
        raise ValidationError(f"{name}.timestamp_received", first,
                              "stamp receipt no earlier than the exchange timestamp (correct the clock skew)",
                              detail=f"{int(early.sum())} rows")
