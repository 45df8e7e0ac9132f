"""Load bars from CSV, Parquet and JSON files with the column spellings found in the wild.

Handled spellings: ``Date``/``Datetime``/``timestamp``/``time``/``open_time`` for the time
column; ``Open``/``High``/``Low``/``Close``/``Adj Close``/``Volume`` in any case, with
spaces or underscores; single-letter ``o, h, l, c, v``; epoch timestamps in seconds,
milliseconds, microseconds or nanoseconds (told apart by magnitude); freqtrade-style
JSON arrays ``[[epoch_ms, open, high, low, close, volume], ...]``; and wide price tables
(one close column per symbol, blanks before a listing). Every loader returns a frame
that passed :func:`~quantlib_local.data.contract.validate_ohlcv`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from quantlib_local.core.bars import (
    FIELD_LEVEL,
    INDEX_NAME,
    OHLCV_COLUMNS,
    SYMBOL_LEVEL,
)
from quantlib_local.data.contract import (
    fill_missing_bars,
    ohlcv_from_rows,
    validate_ohlcv,
)
from quantlib_local.exceptions import DataSourceError, ValidationError

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".csv", ".txt", ".parquet", ".pq", ".json", ".feather")

_TIME_NAMES = {"date", "datetime", "timestamp", "time", "opentime", "opentimestamp", "ts", "dt", "index"}
_FIELD_NAMES = {
    "open": "open", "o": "open", "openprice": "open",
    "high": "high", "h": "high", "highprice": "high",
    "low": "low", "l": "low", "lowprice": "low",
    "close": "close", "c": "close", "closeprice": "close", "last": "close", "price": "close",
    "adjclose": "adj_close", "adjustedclose": "adj_close",
    "volume": "volume", "v": "volume", "vol": "volume", "basevolume": "volume",
}


def load_ohlcv(
    path: str | Path,
    *,
    adjust: bool = True,
    timezone: str = "UTC",
    bar_frequency: str | None = None,
    fill_gaps: bool = False,
) -> pd.DataFrame:
    """Load one asset's bars from a CSV, Parquet, Feather or freqtrade JSON file.

    Parameters
    ----------
    path
        The file. The format follows the suffix.
    adjust
        When the file has an adjusted close (``Adj Close``), scale open, high, low and
        close by ``adj_close / close`` so that returns include splits and dividends.
    timezone
        Zone of timezone-naive timestamps (they are converted to UTC). Epoch numbers
        are always UTC.
    bar_frequency, fill_gaps
        Passed to :func:`validate_ohlcv`.

    Returns
    -------
    DataFrame
        A validated single-asset bar frame; ``frame.attrs["source"]`` names the file.
    """
    path = _existing_file(path)
    frame = read_ohlcv_unvalidated(path, adjust=adjust, timezone=timezone)
    report = validate_ohlcv(frame, bar_frequency=bar_frequency, fill_gaps=fill_gaps)
    out = report.frame
    out.attrs["source"] = f"file:{path}"
    logger.info("loaded %s: %s", path, report.summary())
    return out


def load_ohlcv_many(
    paths: Mapping[str, str | Path], *, adjust: bool = True, timezone: str = "UTC", fill_missing: bool = False
) -> pd.DataFrame:
    """Load several files, one per symbol, into one many-asset frame (columns ``(field, symbol)``).

    ``fill_missing`` is passed to :func:`combine_assets`.
    """
    if not paths:
        raise ValidationError("paths", dict(paths), "give at least one {symbol: path} entry")
    frames = {symbol: load_ohlcv(p, adjust=adjust, timezone=timezone) for symbol, p in paths.items()}
    return combine_assets(frames, fill_missing=fill_missing)


def combine_assets(frames: Mapping[str, pd.DataFrame], *, fill_missing: bool = False) -> pd.DataFrame:
    """Join single-asset bar frames on their timestamps into the many-asset shape.

    Parameters
    ----------
    frames
        ``{symbol: bar frame}``.
    fill_missing
        An asset without a bar at a timestamp where others have one gets NaN there, which
        the contract rejects inside the asset's listing window. With ``fill_missing`` those
        bars are filled flat (close carried forward, volume 0), as gap filling does.
    """
    if not frames:
        raise ValidationError("frames", {}, "give at least one {symbol: frame} entry")
    combined = pd.concat({symbol: frame[list(OHLCV_COLUMNS)] for symbol, frame in frames.items()}, axis=1, sort=True)
    combined = combined.swaplevel(0, 1, axis=1)
    combined.columns = combined.columns.set_names([FIELD_LEVEL, SYMBOL_LEVEL])
    ordered = pd.MultiIndex.from_product([list(OHLCV_COLUMNS), list(frames)], names=[FIELD_LEVEL, SYMBOL_LEVEL])
    combined = combined.reindex(columns=ordered).sort_index()
    if fill_missing:
        combined = fill_missing_bars(combined)
    return validate_ohlcv(combined).frame


def load_price_table(path: str | Path, *, timezone: str = "UTC") -> pd.DataFrame:
    """Load a wide table of prices (one column per symbol, e.g. daily adjusted closes).

    Returns
    -------
    DataFrame
        Timestamp x symbol float64 prices with a UTC index named ``timestamp``. Blanks
        before a symbol's first price stay NaN; blanks after it are an error.
    """
    path = _existing_file(path)
    raw = _read_table(path)
    time_column = _find_time_column(raw, path)
    index = _parse_timestamps(raw.pop(time_column) if time_column else raw.index.to_series(), timezone, path)
    prices = raw.apply(pd.to_numeric, errors="coerce").astype("float64")
    prices.index = index
    prices.columns = [str(c) for c in prices.columns]
    listed = prices.notna().cummax()
    holes = listed & prices.isna()
    if holes.to_numpy().any():
        column = holes.any()[lambda s: s].index[0]
        first = holes[column].idxmax()
        raise ValidationError(
            column, f"blank at {first}", "fill or drop interior blanks; only blanks before a listing are allowed",
            detail=f"{int(holes[column].sum())} blank(s) after the first price",
        )
    if (prices <= 0).to_numpy().any():
        column = (prices <= 0).any()[lambda s: s].index[0]
        raise ValidationError(column, float(prices[column][prices[column] <= 0].iloc[0]), "prices must be positive")
    if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
        raise ValidationError(
            "index", path.name, "sort the rows by time and drop duplicate dates", detail="timestamps not strictly increasing"
        )
    prices.attrs["source"] = f"file:{path}"
    return prices


def read_ohlcv_unvalidated(path: str | Path, *, adjust: bool = True, timezone: str = "UTC") -> pd.DataFrame:
    """Read and normalise a bar file without validating it (for ``qlab data validate``)."""
    path = _existing_file(path)
    if path.suffix.lower() == ".json":
        return _read_json_rows(path)
    return _normalise_table(_read_table(path), path, adjust=adjust, timezone=timezone)


# --- readers ---------------------------------------------------------------------


def _existing_file(path: str | Path) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataSourceError(f"path={str(path)!r} does not exist. Fix: give the path of an existing data file")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ValidationError(
            "path", str(path), f"use one of the supported formats {', '.join(SUPPORTED_SUFFIXES)}",
            detail=f"unknown suffix {path.suffix!r}",
        )
    return path


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix == ".feather":
            frame = pd.read_feather(path)
        else:
            frame = pd.read_csv(path, sep=None, engine="python") if suffix == ".txt" else pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataSourceError(f"path={str(path)!r} could not be read ({error}). Fix: check that the file is a valid {suffix[1:]} file") from error
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.reset_index()
    return frame


def _read_json_rows(path: Path) -> pd.DataFrame:
    try:
        rows = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise DataSourceError(f"path={str(path)!r} is not valid JSON ({error}). Fix: give a freqtrade-style [[ms, o, h, l, c, v], ...] file") from error
    if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
        raise ValidationError("path", str(path), "give a JSON array of [epoch_ms, open, high, low, close, volume] rows")
    return ohlcv_from_rows(rows, validate=False)


def _normalise_table(raw: pd.DataFrame, path: Path, *, adjust: bool, timezone: str) -> pd.DataFrame:
    time_column = _find_time_column(raw, path)
    if time_column is None:
        raise ValidationError(
            "columns", list(raw.columns)[:10], "add a time column named date, datetime, timestamp or time",
            detail=f"no time column found in {path.name}",
        )
    renamed: dict[str, str] = {}
    for column in raw.columns:
        field = _FIELD_NAMES.get(_key(column))
        if field and field not in renamed.values():
            renamed[column] = field
    frame = raw.rename(columns=renamed)
    if "close" not in frame.columns and "adj_close" in frame.columns:
        frame["close"] = frame["adj_close"]
    missing = [c for c in OHLCV_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            "columns", list(raw.columns)[:10], f"provide {missing} (recognised spellings: Open, o, open_price, ...)",
            detail=f"{path.name} lacks {missing}",
        )
    index = _parse_timestamps(frame[time_column], timezone, path)
    out = frame[list(OHLCV_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    if adjust and "adj_close" in frame.columns:
        factor = pd.to_numeric(frame["adj_close"], errors="coerce") / out["close"]
        for name in ("open", "high", "low", "close"):
            out[name] = out[name] * factor
    out.index = index
    return out


def _find_time_column(frame: pd.DataFrame, path: Path) -> str | None:
    for column in frame.columns:
        if _key(column) in _TIME_NAMES:
            return column
    first = frame.columns[0]
    if pd.api.types.is_datetime64_any_dtype(frame[first]):
        return first
    return None


def _parse_timestamps(values: pd.Series, timezone: str, path: Path) -> pd.DatetimeIndex:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype="float64")
        finite = numbers[np.isfinite(numbers)]
        magnitude = np.nanmedian(np.abs(finite)) if len(finite) else 0.0
        unit = "ns" if magnitude > 1e17 else "us" if magnitude > 1e14 else "ms" if magnitude > 1e11 else "s"
        index = pd.to_datetime(values.astype("int64"), unit=unit, utc=True)
    else:
        try:
            index = pd.to_datetime(values, utc=False, format="mixed")
        except (ValueError, TypeError) as error:
            raise ValidationError(
                str(values.name), str(values.iloc[0]) if len(values) else "", "use ISO-8601 dates or epoch numbers",
                detail=f"timestamps in {path.name} could not be parsed ({error})",
            ) from None
        if getattr(index.dt, "tz", None) is None:
            index = index.dt.tz_localize(timezone)
        index = index.dt.tz_convert("UTC")
    return pd.DatetimeIndex(index, name=INDEX_NAME)


def _key(column: object) -> str:
    return re.sub(r"[^a-z]", "", str(column).lower())
