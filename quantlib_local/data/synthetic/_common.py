"""Shared pieces of the synthetic generators: seeds, bar clocks, checks and frame assembly.

Every frame built here is SYNTHETIC: it carries ``attrs["synthetic"] = True`` and
``attrs["source"] = "synthetic:<generator>"`` so that it can never be mistaken for
market data downstream.

Time conventions
----------------
A bar's length in years (``bar_years``) converts the annualised parameters (``mu``,
``sigma``) to one bar:

* ``calendar="24/7"``: trading never stops and a year has 365 days, so a bar of length
  ``freq`` lasts ``freq / 365 days`` years (the crypto convention).
* ``calendar="business"``: bars exist on Monday to Friday only and a year has 252
  trading days, so a bar lasts ``(freq / 1 day) / 252`` years. ``freq`` must then divide
  one day (``"1D"``, ``"4h"``, ``"5min"`` ...); intraday bars run around the clock on
  weekdays (as in FX).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array, SeedLike
from quantlib_local.core.bars import (
    FIELD_LEVEL,
    INDEX_NAME,
    OHLCV_COLUMNS,
    SYMBOL_LEVEL,
)
from quantlib_local.data.contract import Calendar
from quantlib_local.exceptions import ValidationError

CALENDAR_DAYS_PER_YEAR = 365
"""Days in a year of 24/7 trading (used to annualise with ``calendar="24/7"``)."""

TRADING_DAYS_PER_YEAR = 252
"""Trading days in a year of business-day trading (used with ``calendar="business"``)."""

_CALENDARS: tuple[str, ...] = ("24/7", "business")
_ONE_DAY = pd.Timedelta(days=1)


# --- randomness ------------------------------------------------------------------------


def make_rng(seed: SeedLike) -> np.random.Generator:
    """Return a Generator: ``seed`` itself when it is one, else ``default_rng(seed)``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(
            "seed", seed, "pass a non-negative integer, a numpy.random.Generator, or None for fresh entropy"
        )
    return np.random.default_rng(int(seed))


def seed_label(seed: SeedLike) -> int | None:
    """The integer seed for ``attrs`` (None when a Generator or fresh entropy was used)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    return None


# --- argument checks -------------------------------------------------------------------


def check_count(name: str, value: Any, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValidationError(name, value, f"pass an integer >= {minimum}")
    return int(value)


def check_real(
    name: str,
    value: Any,
    *,
    lower: float | None = None,
    upper: float | None = None,
    lower_open: bool = False,
    upper_open: bool = False,
    fix: str | None = None,
) -> float:
    """A finite real number inside the given (open or closed) bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(name, value, fix or "pass a finite real number")
    number = float(value)
    bad = not math.isfinite(number)
    if lower is not None:
        bad = bad or (number <= lower if lower_open else number < lower)
    if upper is not None:
        bad = bad or (number >= upper if upper_open else number > upper)
    if bad:
        low = "" if lower is None else ("> " if lower_open else ">= ") + f"{lower:g}"
        high = "" if upper is None else ("< " if upper_open else "<= ") + f"{upper:g}"
        bounds = " and ".join(part for part in (low, high) if part)
        raise ValidationError(name, value, fix or f"pass a finite number {bounds}".rstrip())
    return number


def check_vector(
    name: str,
    value: Any,
    length: int,
    *,
    lower: float | None = None,
    lower_open: bool = False,
    what: str = "asset",
) -> Float64Array:
    """A scalar broadcast to ``length``, or a sequence of exactly ``length`` finite numbers."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = check_real(name, value, lower=lower, lower_open=lower_open)
        return np.full(length, number, dtype="float64")
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise ValidationError(name, value, f"pass one number or {length} numbers (one per {what})") from None
    if array.shape != (length,):
        raise ValidationError(
            name, value, f"pass one number or {length} numbers (one per {what})", detail=f"got shape {array.shape}"
        )
    for item in array:
        check_real(name, float(item), lower=lower, lower_open=lower_open)
    return array


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of ``choices``."""
    if value not in choices:
        raise ValidationError(name, value, "use one of: " + ", ".join(repr(c) for c in choices))
    return str(value)


def check_symbols(symbols: int | Sequence[str], *, name: str = "symbols", prefix: str = "SYN") -> list[str]:
    """Unique non-empty names; an integer ``n`` gives ``SYN0 .. SYN{n-1}``."""
    if isinstance(symbols, (int, np.integer)) and not isinstance(symbols, bool):
        count = check_count(name, symbols)
        return [f"{prefix}{i}" for i in range(count)]
    if isinstance(symbols, str) or not isinstance(symbols, Sequence) or len(symbols) == 0:
        raise ValidationError(
            name, symbols, "pass a count (e.g. 3) or a non-empty list of names such as ['BTC', 'ETH']"
        )
    names = list(symbols)
    if any(not isinstance(s, str) or not s.strip() for s in names):
        raise ValidationError(name, symbols, "every name must be a non-empty string")
    if len(set(names)) != len(names):
        raise ValidationError(name, symbols, "names must be unique", detail="duplicates found")
    return names


# --- the bar clock ---------------------------------------------------------------------


def bar_clock(
    n_bars: int, start: str | pd.Timestamp, freq: str | pd.Timedelta, calendar: Calendar
) -> tuple[pd.DatetimeIndex, float]:
    """The UTC bar index and the bar length in years (see the module docstring).

    Returns
    -------
    index
        ``n_bars`` UTC timestamps (ns resolution) named ``timestamp``.
    bar_years
        Length of one bar in years under the calendar's annualisation convention.
    """
    n_bars = check_count("n_bars", n_bars)
    calendar = check_choice("calendar", calendar, _CALENDARS)  # type: ignore[assignment]
    try:
        step = pd.Timedelta(freq)
    except (TypeError, ValueError):
        raise ValidationError("freq", freq, "use a fixed bar length such as '1D', '4h', '5min' or '1s'") from None
    if pd.isna(step) or step <= pd.Timedelta(0):
        raise ValidationError("freq", freq, "use a positive bar length such as '1D' or '5min'")
    try:
        first = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ValidationError("start", start, "use a date such as '2020-01-01' or a pandas Timestamp") from None
    if pd.isna(first):
        raise ValidationError("start", start, "use a date such as '2020-01-01' or a pandas Timestamp")
    first = first.tz_localize("UTC") if first.tzinfo is None else first.tz_convert("UTC")
    try:
        first = first.as_unit("ns")
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        raise ValidationError("start", start, "use a start between 1677 and 2262 (pandas nanosecond range)") from None

    if calendar == "business" and (step > _ONE_DAY or _ONE_DAY % step != pd.Timedelta(0)):
        raise ValidationError(
            "freq", freq, "with calendar='business' use a bar length that divides one day ('1D', '1h', '5min')"
        )
    # raw clock steps: every step for 24/7; for business days 7/5 of the bars plus a weekend of slack
    raw_steps = n_bars if calendar == "24/7" else math.ceil(n_bars * 7 / 5) + 3 * (_ONE_DAY // step) + 1
    if first.value + raw_steps * step.as_unit("ns").value > pd.Timestamp.max.value:  # Python ints
        raise ValidationError(
            "n_bars", n_bars, "use fewer or shorter bars, or an earlier start",
            detail=f"{n_bars} bars of {step} from {first} run past {pd.Timestamp.max.date()}, "
            "the last date pandas holds",
        )
    raw = pd.date_range(first, periods=raw_steps, freq=step, name=INDEX_NAME)
    if calendar == "24/7":
        index = raw
        bar_years = step / (CALENDAR_DAYS_PER_YEAR * _ONE_DAY)
    else:
        index = raw[raw.day_of_week < 5][:n_bars]
        bar_years = (step / _ONE_DAY) / TRADING_DAYS_PER_YEAR
    return index.as_unit("ns"), float(bar_years)


# --- paths to bars ---------------------------------------------------------------------


def bridge_log_path(
    log_returns: Float64Array, bar_sigma: Float64Array, substeps: int, rng: np.random.Generator
) -> Float64Array:
    """Intra-bar log-price offsets from the open that end exactly at each bar's log return.

    A Gaussian random walk of ``substeps`` steps with per-bar volatility ``bar_sigma``,
    conditioned on its sum (a discrete Brownian bridge): increments ``r/k + s/sqrt(k) (z - mean(z))``.
    Shapes: ``log_returns`` and ``bar_sigma`` are ``(n_bars, ...)``; the result adds a sub-step
    axis at position 1. The last sub-step equals ``log_returns`` exactly.
    """
    shape = (log_returns.shape[0], substeps, *log_returns.shape[1:])
    z = rng.standard_normal(shape)
    z -= z.mean(axis=1, keepdims=True)
    steps = log_returns[:, None] / substeps + (bar_sigma[:, None] / math.sqrt(substeps)) * z
    path = np.cumsum(steps, axis=1)
    path[:, -1] = log_returns
    return path


def ohlc_from_log_levels(log_levels: Float64Array, log_s0: Float64Array | float) -> dict[str, Float64Array]:
    """Open, high, low and close from intra-bar log-price levels.

    Parameters
    ----------
    log_levels
        Shape ``(n_bars, substeps)`` or ``(n_bars, substeps, n_assets)``: the log price after
        each sub-step; the last sub-step of a bar is its close.
    log_s0
        Log price before the first bar (the first open).

    Returns
    -------
    dict
        ``open`` is the previous close (``s0`` for the first bar); ``high`` and ``low`` are
        the extremes of the path including the open, so the bar is always consistent.
    """
    log_close = log_levels[:, -1]
    log_open = np.empty_like(log_close)
    log_open[0] = log_s0
    log_open[1:] = log_close[:-1]
    log_high = np.maximum(log_open, log_levels.max(axis=1))
    log_low = np.minimum(log_open, log_levels.min(axis=1))
    return {"open": np.exp(log_open), "high": np.exp(log_high), "low": np.exp(log_low), "close": np.exp(log_close)}


def lognormal_volume(
    shape: tuple[int, ...], volume_mean: float, volume_log_sigma: float, rng: np.random.Generator
) -> Float64Array:
    """Independent lognormal volumes with mean ``volume_mean`` and log-volatility ``volume_log_sigma``."""
    z = rng.standard_normal(shape)
    return volume_mean * np.exp(volume_log_sigma * z - 0.5 * volume_log_sigma**2)


def check_volume_args(volume_mean: Any, volume_log_sigma: Any) -> tuple[float, float]:
    """``volume_mean > 0`` and ``volume_log_sigma >= 0``."""
    return (
        check_real("volume_mean", volume_mean, lower=0.0, lower_open=True),
        check_real("volume_log_sigma", volume_log_sigma, lower=0.0),
    )


def single_asset_frame(
    index: pd.DatetimeIndex, fields: Mapping[str, Float64Array], *, generator: str, params: Mapping[str, Any]
) -> pd.DataFrame:
    """A one-asset OHLCV frame labelled synthetic."""
    frame = pd.DataFrame({name: np.asarray(fields[name], dtype="float64") for name in OHLCV_COLUMNS}, index=index)
    return label_synthetic(frame, generator, params)


def multi_asset_frame(
    index: pd.DatetimeIndex,
    fields: Mapping[str, Float64Array],
    symbols: Sequence[str],
    *,
    generator: str,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """A many-asset OHLCV frame (columns ``(field, symbol)``) labelled synthetic."""
    columns = pd.MultiIndex.from_product([list(OHLCV_COLUMNS), list(symbols)], names=[FIELD_LEVEL, SYMBOL_LEVEL])
    values = np.concatenate([np.asarray(fields[name], dtype="float64") for name in OHLCV_COLUMNS], axis=1)
    frame = pd.DataFrame(values, index=index, columns=columns)
    return label_synthetic(frame, generator, params)


def label_synthetic(frame: pd.DataFrame, generator: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """Mark ``frame`` as synthetic output of ``generator``.

    Only scalars and strings go into ``attrs`` (pandas compares attrs when concatenating,
    which fails on arrays); arrays are reduced to tuples.
    """
    frame.attrs["source"] = f"synthetic:{generator}"
    frame.attrs["synthetic"] = True
    frame.attrs["params"] = {key: _attr_value(value) for key, value in params.items()}
    return frame


def _attr_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return tuple(_attr_value(v) for v in value.tolist())
    if isinstance(value, (list, tuple)):
        return tuple(_attr_value(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value
