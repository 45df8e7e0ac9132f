"""Validation of the OHLCV bar contract, gap reports and gap filling.

The contract itself is described in :mod:`quantlib_local.core.bars`. ``validate_ohlcv``
checks every rule with vectorised NumPy masks (one pass per rule over the whole
timestamp x symbol block), so many-asset frames cost the same per row as one asset.
It is hand-written because neither pandas nor the data vendors' libraries validate
bars: pandera could express the column rules, but not the per-asset listing window,
the error wording we promise (column, first offending timestamp, row count) or the
gap report, and it would be one more runtime dependency for a few masks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from quantlib_local.core.bars import (
    FIELD_LEVEL,
    INDEX_NAME,
    OHLCV_COLUMNS,
    SYMBOL_LEVEL,
)
from quantlib_local.data._contract_kernel import any_value_rule_broken
from quantlib_local.exceptions import OHLCVValidationError, ValidationError

logger = logging.getLogger(__name__)

Calendar = Literal["24/7", "business"]
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")


@dataclass(frozen=True)
class OHLCVReport:
    """What :func:`validate_ohlcv` found.

    Attributes
    ----------
    frame
        The validated frame: float64 columns, UTC index named ``timestamp``; gaps filled
        when that was asked for.
    n_rows, n_symbols
        Size of the frame (``n_symbols`` is 1 for a single-asset frame).
    start, end
        First and last timestamp.
    bar_frequency
        The bar spacing (given, or inferred as the most common spacing).
    calendar
        ``"24/7"`` (every bar expected) or ``"business"`` (weekends are not gaps).
    gaps
        One row per gap: ``after`` (last bar before it), ``before`` (first bar after it)
        and ``missing_bars``.
    filled_bars
        Number of bars inserted by gap filling (0 unless ``fill_gaps=True``).
    """

    frame: pd.DataFrame
    n_rows: int
    n_symbols: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    bar_frequency: pd.Timedelta | None
    calendar: Calendar
    gaps: pd.DataFrame
    filled_bars: int = 0

    @property
    def missing_bars(self) -> int:
        """Total number of bars missing inside the gaps."""
        return int(self.gaps["missing_bars"].sum()) if len(self.gaps) else 0

    def summary(self) -> str:
        """One line for logs and the CLI."""
        freq = _format_timedelta(self.bar_frequency) if self.bar_frequency is not None else "n/a"
        text = (
            f"{self.n_rows} bars x {self.n_symbols} symbol(s), {self.start} .. {self.end}, "
            f"bar {freq} ({self.calendar}), {len(self.gaps)} gap(s) with {self.missing_bars} missing bar(s)"
        )
        if self.filled_bars:
            text += f", {self.filled_bars} bar(s) filled"
        return text


def is_multi_asset(frame: pd.DataFrame) -> bool:
    """True when ``frame`` uses the many-asset shape (columns ``(field, symbol)``)."""
    return isinstance(frame.columns, pd.MultiIndex)


def validate_ohlcv(
    frame: pd.DataFrame,
    *,
    bar_frequency: str | pd.Timedelta | None = None,
    calendar: Calendar | None = None,
    fill_gaps: bool = False,
) -> OHLCVReport:
    """Check ``frame`` against the OHLCV contract and report its gaps.

    Parameters
    ----------
    frame
        One asset (columns ``open, high, low, close, volume``) or many assets (columns
        ``(field, symbol)``). Extra columns are dropped from the returned frame.
    bar_frequency
        Expected bar spacing such as ``"1D"`` or ``"5min"``; inferred when None.
    calendar
        ``"24/7"`` or ``"business"``; inferred when None (daily or slower bars with no
        weekend timestamps are taken as business days).
    fill_gaps
        Insert the missing bars: close carried forward, open = high = low = that close,
        volume 0. Never done unless asked.

    Returns
    -------
    OHLCVReport

    Raises
    ------
    OHLCVValidationError
        Missing columns, non-numeric columns, a non-UTC or non-datetime index, NaN or
        inf, timestamps not strictly increasing or duplicated, high < low, open or close
        outside [low, high], non-positive prices or negative volume. The message names
        the column, the first offending timestamp and the number of offending rows.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError("frame", type(frame).__name__, "pass a pandas DataFrame of bars")
    multi = is_multi_asset(frame)
    canonical = _canonical_columns(frame, multi)
    index = _check_index(canonical.index)
    canonical.index = index

    blocks = {name: _field_block(canonical, name, multi) for name in OHLCV_COLUMNS}
    symbols = list(canonical["close"].columns) if multi else [None]
    if any_value_rule_broken(*(blocks[name] for name in OHLCV_COLUMNS), multi):
        _check_values(blocks, _listing_window(blocks, multi), index, symbols)  # raises with the details
    spacing = np.diff(index.asi8)  # the index is in nanoseconds after _check_index
    _check_timestamps(index, spacing)

    freq = _resolve_frequency(spacing, bar_frequency)
    cal = _resolve_calendar(index, freq, calendar)
    gaps = _find_gaps(index, spacing, freq, cal) if freq is not None else _empty_gaps()
    filled = 0
    if fill_gaps and len(gaps):
        before = len(canonical)
        canonical = fill_ohlcv_gaps(canonical, freq, cal)
        filled = len(canonical) - before
        logger.info("filled %d missing bar(s) in %d gap(s)", filled, len(gaps))
    elif len(gaps):
        logger.debug("%d gap(s) found (%d missing bars); not filled", len(gaps), int(gaps["missing_bars"].sum()))

    return OHLCVReport(
        frame=canonical,
        n_rows=len(canonical),
        n_symbols=len(symbols),
        start=canonical.index[0] if len(canonical) else None,
        end=canonical.index[-1] if len(canonical) else None,
        bar_frequency=freq,
        calendar=cal,
        gaps=gaps,
        filled_bars=filled,
    )


def ohlcv_from_rows(rows: list[list[float]] | np.ndarray, *, validate: bool = True) -> pd.DataFrame:
    """Turn ccxt/freqtrade-style rows ``[[epoch_ms, open, high, low, close, volume], ...]`` into a bar frame.

    Parameters
    ----------
    rows
        Sequence of 6-element rows; timestamps in epoch milliseconds (UTC).
    validate
        Run :func:`validate_ohlcv` on the result (default).
    """
    array = np.asarray(rows, dtype="float64") if len(rows) else np.empty((0, 6))
    if array.ndim != 2 or array.shape[1] < 6:
        raise ValidationError(
            "rows", f"array of shape {array.shape}", "pass rows of [epoch_ms, open, high, low, close, volume]"
        )
    index = pd.DatetimeIndex(pd.to_datetime(array[:, 0].astype("int64"), unit="ms", utc=True), name=INDEX_NAME)
    frame = pd.DataFrame(array[:, 1:6], index=index, columns=list(OHLCV_COLUMNS))
    return validate_ohlcv(frame).frame if validate else frame


def find_gaps(index: pd.DatetimeIndex, bar_frequency: pd.Timedelta, calendar: Calendar = "24/7") -> pd.DataFrame:
    """List the gaps of a bar index.

    Returns
    -------
    DataFrame
        Columns ``after``, ``before`` and ``missing_bars``, one row per gap.
    """
    return _find_gaps(index, np.diff(index.as_unit("ns").asi8), bar_frequency, calendar)


def _find_gaps(
    index: pd.DatetimeIndex, spacing_ns: np.ndarray, bar_frequency: pd.Timedelta, calendar: Calendar
) -> pd.DataFrame:
    if len(index) < 2:
        return _empty_gaps()
    if calendar == "business":
        days = index.tz_convert(None).normalize().to_numpy().astype("datetime64[D]")
        between = np.busday_count(days[:-1], days[1:]) - 1
        missing = between * max(int(pd.Timedelta(days=1) / bar_frequency), 1)
    else:
        step = bar_frequency.value
        missing = (spacing_ns + step // 2) // step - 1  # bars that fit in the spacing, rounded
    where = np.flatnonzero(missing > 0)
    return pd.DataFrame(
        {"after": index[where], "before": index[where + 1], "missing_bars": missing[where].astype("int64")}
    )


def fill_ohlcv_gaps(frame: pd.DataFrame, bar_frequency: pd.Timedelta, calendar: Calendar = "24/7") -> pd.DataFrame:
    """Insert missing bars: close carried forward, open = high = low = that close, volume 0.

    In a many-asset frame each asset is filled only inside its listing window.
    """
    index = frame.index
    if calendar == "business":
        grid = pd.bdate_range(index[0].normalize(), index[-1].normalize(), tz="UTC", freq="C")
        full = index.union(grid + (index[0] - index[0].normalize()))
    else:
        full = pd.date_range(index[0], index[-1], freq=bar_frequency, tz="UTC").union(index)
    return fill_missing_bars(frame.reindex(full.rename(INDEX_NAME)))


def fill_missing_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill all-NaN bars inside each asset's listing window with flat bars.

    A missing bar becomes open = high = low = close = the last close, volume 0. NaN
    before an asset's first bar or after its last bar (the listing window) stays NaN.
    """
    multi = is_multi_asset(frame)
    out = frame.copy()
    close = frame["close"]
    missing = close.isna()
    filled_close = close.ffill()
    if multi:
        listed = close.notna()
        live = listed.cummax() & listed[::-1].cummax()[::-1]
        missing &= live
        filled_close = filled_close.where(live)
    for name in PRICE_COLUMNS:
        out[name] = frame[name].where(~missing, filled_close)
    out["volume"] = frame["volume"].where(~missing, 0.0)
    return out


def infer_bar_frequency(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The most common spacing between consecutive timestamps, or None with fewer than 2 bars."""
    return _most_common_spacing(np.diff(index.as_unit("ns").asi8))


def _most_common_spacing(spacing_ns: np.ndarray) -> pd.Timedelta | None:
    positive = spacing_ns[spacing_ns > 0]
    if not len(positive):
        return None
    # Fast path: in real bars one spacing is nearly always the majority (an O(n) check);
    # otherwise count every distinct spacing (a sort).
    candidate = positive[len(positive) // 2]
    if 2 * int(np.count_nonzero(positive == candidate)) > len(positive):
        return pd.Timedelta(int(candidate), unit="ns")
    values, counts = np.unique(positive, return_counts=True)
    return pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")


# --- helpers -------------------------------------------------------------------------


def _canonical_columns(frame: pd.DataFrame, multi: bool) -> pd.DataFrame:
    if multi:
        if frame.columns.nlevels != 2:
            raise ValidationError(
                "columns", f"{frame.columns.nlevels} levels", "use two column levels (field, symbol) for many assets"
            )
        fields = [str(f).lower() for f in frame.columns.get_level_values(0)]
        frame = frame.copy()
        frame.columns = pd.MultiIndex.from_arrays(
            [fields, frame.columns.get_level_values(1)], names=[FIELD_LEVEL, SYMBOL_LEVEL]
        )
        present = set(fields)
    else:
        frame = frame.rename(columns=lambda c: str(c).lower())
        present = set(frame.columns)
    missing = [c for c in OHLCV_COLUMNS if c not in present]
    if missing:
        raise OHLCVValidationError(
            "missing_columns",
            "columns",
            missing,
            f"provide columns {list(OHLCV_COLUMNS)} (loaders map spellings such as 'Adj Close' and 'Date')",
            detail=f"missing {missing}",
        )
    if multi:
        symbols = frame["close"].columns
        frame = pd.concat({name: frame[name].reindex(columns=symbols) for name in OHLCV_COLUMNS}, axis=1)
        frame.columns = frame.columns.set_names([FIELD_LEVEL, SYMBOL_LEVEL])
    else:
        frame = frame[list(OHLCV_COLUMNS)]
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column].dtype) or pd.api.types.is_bool_dtype(frame[column].dtype):
            raise OHLCVValidationError(
                "non_numeric",
                _column_name(column),
                str(frame[column].dtype),
                "convert the column to numbers, e.g. pd.to_numeric(frame[col], errors='raise')",
                detail="column is not numeric",
            )
    return frame.astype("float64")


def _check_index(index: pd.Index) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise OHLCVValidationError(
            "index_not_datetime",
            "index",
            type(index).__name__,
            "index the frame by timestamp, e.g. frame.set_index(pd.to_datetime(frame['timestamp'], utc=True))",
        )
    if index.tz is None:
        raise OHLCVValidationError(
            "index_not_utc",
            "index",
            "timezone-naive",
            "localise the index to UTC with frame.tz_localize('UTC') (or tz_convert if it is in another zone)",
        )
    if str(index.tz) != "UTC":
        raise OHLCVValidationError(
            "index_not_utc", "index", str(index.tz), "convert the index with frame.tz_convert('UTC')"
        )
    # one resolution everywhere (pandas 3 infers "us" or "s" from many sources)
    return index.as_unit("ns").rename(INDEX_NAME)


def _field_block(frame: pd.DataFrame, name: str, multi: bool) -> np.ndarray:
    block = frame[name].to_numpy(dtype="float64")
    return block if multi else block.reshape(-1, 1)


def _listing_window(blocks: dict[str, np.ndarray], multi: bool) -> np.ndarray:
    """Rows x symbols mask of where each asset is listed (always all True for one asset)."""
    shape = blocks["close"].shape
    if not multi:
        return np.ones(shape, dtype=bool)
    present = np.zeros(shape, dtype=bool)
    for block in blocks.values():
        present |= ~np.isnan(block)
    seen_before = np.maximum.accumulate(present, axis=0)
    seen_after = np.maximum.accumulate(present[::-1], axis=0)[::-1]
    return seen_before & seen_after


def _check_values(
    blocks: dict[str, np.ndarray], live: np.ndarray, index: pd.DatetimeIndex, symbols: list[object]
) -> None:
    for name, block in blocks.items():
        _raise_if(np.isnan(block) & live, block, "nan", name, index, symbols, "is NaN",
                  "drop or fill the missing rows before use (validate_ohlcv(..., fill_gaps=True) fills missing bars)")
        _raise_if(np.isinf(block), block, "inf", name, index, symbols, "is infinite",
                  "remove the infinite values; they usually come from a division by zero upstream")
    for name in PRICE_COLUMNS:
        _raise_if(blocks[name] <= 0, blocks[name], "non_positive_price", name, index, symbols,
                  "is zero or negative", "prices must be positive; drop those rows or correct the source")
    _raise_if(blocks["volume"] < 0, blocks["volume"], "negative_volume", "volume", index, symbols,
              "is negative", "volume must be non-negative; drop those rows or correct the source")
    high, low = blocks["high"], blocks["low"]
    _raise_if(high < low, high, "high_below_low", "high", index, symbols, "is below low",
              "high must be >= low; check for swapped columns or a bad tick")
    for name in ("open", "close"):
        outside = (blocks[name] > high) | (blocks[name] < low)
        _raise_if(outside, blocks[name], f"{name}_outside_range", name, index, symbols, "lies outside [low, high]",
                  f"{name} must lie within [low, high]; correct the bar or widen high/low at the source")


def _raise_if(
    mask: np.ndarray,
    values: np.ndarray,
    rule: str,
    field: str,
    index: pd.DatetimeIndex,
    symbols: list[object],
    what: str,
    fix: str,
) -> None:
    """Raise for the first row where ``mask`` holds, naming column, timestamp and row count."""
    if not mask.any():
        return
    rows = mask.any(axis=1)
    first_row = int(np.argmax(rows))
    first_col = int(np.argmax(mask[first_row]))
    symbol = symbols[first_col]
    column = field if symbol is None else f"{field}[{symbol}]"
    count = int(rows.sum())
    timestamp = index[first_row]
    raise OHLCVValidationError(
        rule,
        column,
        float(values[first_row, first_col]),
        fix,
        first_timestamp=timestamp,
        count=count,
        detail=f"{what} in {count} row(s), first at {timestamp}",
    )


def _check_timestamps(index: pd.DatetimeIndex, diffs: np.ndarray) -> None:
    for rule, bad, what, fix in (
        ("duplicate_timestamp", diffs == 0, "is repeated",
         "drop duplicates, e.g. frame[~frame.index.duplicated(keep='last')]"),
        ("not_increasing", diffs < 0, "goes backwards",
         "sort the bars by time with frame.sort_index()"),
    ):
        if bad.any():
            first = int(np.argmax(bad)) + 1
            count = int(bad.sum())
            raise OHLCVValidationError(
                rule, "index", str(index[first]), fix, first_timestamp=index[first], count=count,
                detail=f"timestamp {what} in {count} row(s), first at {index[first]}",
            )


def _resolve_frequency(spacing_ns: np.ndarray, bar_frequency: str | pd.Timedelta | None) -> pd.Timedelta | None:
    if bar_frequency is None:
        return _most_common_spacing(spacing_ns)
    try:
        freq = pd.Timedelta(bar_frequency)
    except (ValueError, TypeError):
        raise ValidationError("bar_frequency", bar_frequency, "use a pandas frequency such as '1D', '1h' or '5min'") from None
    if freq <= pd.Timedelta(0):
        raise ValidationError("bar_frequency", bar_frequency, "use a positive spacing such as '1D' or '5min'")
    return freq


def _resolve_calendar(index: pd.DatetimeIndex, freq: pd.Timedelta | None, calendar: Calendar | None) -> Calendar:
    if calendar is not None:
        if calendar not in ("24/7", "business"):
            raise ValidationError("calendar", calendar, "use '24/7' (crypto) or 'business' (exchange-traded)")
        return calendar
    if freq is None or freq < pd.Timedelta(days=1):
        return "24/7"
    day_of_week = (index.asi8 // 86_400_000_000_000 + 3) % 7  # 1970-01-01 was a Thursday (3)
    return "24/7" if bool((day_of_week >= 5).any()) else "business"


def _empty_gaps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "after": pd.DatetimeIndex([], tz="UTC"),
            "before": pd.DatetimeIndex([], tz="UTC"),
            "missing_bars": pd.Series([], dtype="int64"),
        }
    )


def _column_name(column: object) -> str:
    return f"{column[0]}[{column[1]}]" if isinstance(column, tuple) else str(column)


def _format_timedelta(value: pd.Timedelta) -> str:
    return str(value).replace("0 days ", "")
