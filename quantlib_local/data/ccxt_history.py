"""Candle history from a ccxt exchange: pagination, rate limiting, retries, validation.

:func:`fetch_ohlcv_history` downloads every candle whose open time lies in
``[since, until)`` by calling ``exchange.fetch_ohlcv`` page after page and returns one
frame that satisfies the OHLCV contract of :mod:`quantlib_local.data.contract`.

What it guarantees
------------------
* **Rate limit.** Every request goes through ccxt's own throttle (``enableRateLimit``):
  consecutive requests are spaced by at least ``exchange.rateLimit`` milliseconds times
  the endpoint's cost, which ccxt derives from the exchange's published request weights
  and may be below 1 (Binance spot klines: 0.4, so 20 ms at the default 50 ms). An
  exchange handed in with the throttle off gets it switched on for the download (and back
  off afterwards), with a warning.
* **Retries.** Transient failures (``ccxt.NetworkError``: timeouts, 5xx answers,
  ``ExchangeNotAvailable``, ``DDoSProtection``/``RateLimitExceeded``) are retried with
  capped exponential backoff and optional jitter. Exchange answers that will not change on
  a retry (``ccxt.ExchangeError``, ``BadSymbol``...) are raised at once as
  :class:`~quantlib_local.exceptions.DataSourceError`. The split is ccxt's: it classifies
  an HTTP error by the exchange's error body first and falls back to the status code, so
  e.g. a Binance 400 carrying ``{"code": -1121}`` is ``BadSymbol`` (not retried) while a
  400 with a body it cannot parse maps to ``ExchangeNotAvailable`` (retried).
* **No still-forming bar.** A last candle whose close time lies in the future is dropped
  (and logged), so a cache never stores a bar that will still change.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

import ccxt
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from quantlib_local._typing import SeedLike
from quantlib_local.data.contract import ohlcv_from_rows, validate_ohlcv
from quantlib_local.exceptions import (
    DataSourceError,
    OHLCVValidationError,
    ValidationError,
)

logger = logging.getLogger(__name__)

TimestampLike: TypeAlias = int | str | datetime | pd.Timestamp
"""Epoch milliseconds (UTC), or a timezone-aware timestamp / ISO string with an offset."""

_T = TypeVar("_T")

# 1e11 ms is 1973-03-03: no exchange has candles that old, while 1e9..1e11 is where epoch
# *seconds* of the last fifty years fall, the usual unit slip.
_SMALLEST_PLAUSIBLE_MS = 10**11
_DAY_MS = 86_400_000

# Module-level so tests can replace the clock and the backoff sleep without touching the
# global ``time`` module, which ccxt's throttle also uses.
_sleep: Callable[[float], None] = time.sleep


def _utc_now_ms() -> int:
    """Current UTC time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def fetch_ohlcv_history(
    exchange: ccxt.Exchange | str,
    symbol: str,
    timeframe: str,
    since: TimestampLike,
    until: TimestampLike | None = None,
    *,
    limit_per_call: int | None = None,
    max_retries: int = 5,
    backoff_seconds: float = 1.0,
    max_backoff_seconds: float = 30.0,
    jitter: float = 0.5,
    seed: SeedLike = None,
    progress: bool = True,
    exchange_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Download the candles of one market whose open time lies in ``[since, until)``.

    Parameters
    ----------
    exchange
        A synchronous ccxt exchange instance, or its id (``"binance"``); an id is turned
        into ``getattr(ccxt, id)({"enableRateLimit": True})``.
    symbol
        Unified ccxt symbol, e.g. ``"BTC/USDT"`` or ``"BTC/USDT:USDT"``.
    timeframe
        One of ``exchange.timeframes``, e.g. ``"1m"``, ``"1h"``, ``"1d"``.
    since
        First candle open time to include: epoch milliseconds (UTC) or a timezone-aware
        timestamp (``pd.Timestamp("2024-01-01", tz="UTC")``, ``"2024-01-01T00:00Z"``).
    until
        Exclusive end of the open-time range, same types as ``since``; None means now.
    limit_per_call
        Candles asked for per request; None lets the exchange use its default page size.
    max_retries
        How many times one request is retried after a ``ccxt.NetworkError`` before giving up.
    backoff_seconds
        Wait before the first retry; doubled for every further retry.
    max_backoff_seconds
        Cap on the wait between two retries.
    jitter
        Fraction in ``[0, 1]`` of each wait that is randomised: the wait is drawn uniformly
        from ``[(1 - jitter) * w, w]``. 0 gives deterministic waits.
    seed
        Seed or :class:`numpy.random.Generator` for the jitter (None: fresh OS entropy).
    progress
        Show a tqdm progress bar counted in candles.
    exchange_options
        Extra ccxt constructor options (``apiKey``, ``secret``, ``options``...) used when
        ``exchange`` is an id; never logged.

    Returns
    -------
    DataFrame
        OHLCV frame (UTC ``timestamp`` index, float64 ``open, high, low, close, volume``),
        sorted, without duplicates, validated by
        :func:`~quantlib_local.data.contract.validate_ohlcv`. Empty when the exchange has
        no candles in the range. Gaps the exchange leaves (outages) are logged, not filled.

    Raises
    ------
    ValidationError
        Unknown exchange id, an exchange without ``fetchOHLCV``, a symbol the exchange
        does not list, a timeframe it does not offer (the message lists the valid ones),
        ``since``/``until`` that are not epoch milliseconds or timezone-aware timestamps,
        ``since >= until``, or bad retry settings.
    DataSourceError
        The exchange rejected the request (bad symbol, bad parameters), or a request still
        failed after ``max_retries`` retries, or the returned candles break the OHLCV
        contract. The message names the exchange and the symbol and says what to check.

    Examples
    --------
    >>> bars = fetch_ohlcv_history("binance", "BTC/USDT", "1h",
    ...                            since=pd.Timestamp("2024-01-01", tz="UTC"),
    ...                            until=pd.Timestamp("2024-02-01", tz="UTC"))  # doctest: +SKIP
    """
    ccxt_exchange = resolve_exchange(exchange, exchange_options)
    _require_fetch_ohlcv(ccxt_exchange)
    step_ms = timeframe_to_ms(ccxt_exchange, timeframe)
    since_ms = to_epoch_ms(since, "since")
    until_ms = _utc_now_ms() if until is None else to_epoch_ms(until, "until")
    if since_ms >= until_ms:
        raise ValidationError(
            "since",
            since,
            "pass a since earlier than until (until=None means now)",
            detail=f"it is not before until={_format_ms(until_ms)}",
        )
    if limit_per_call is not None and (
        isinstance(limit_per_call, bool) or not isinstance(limit_per_call, (int, np.integer)) or limit_per_call < 1
    ):
        raise ValidationError("limit_per_call", limit_per_call, "pass a positive int or None for the exchange default")
    retry = RetryPolicy(max_retries, backoff_seconds, max_backoff_seconds, jitter, seed)

    throttle_was_on = bool(ccxt_exchange.enableRateLimit)
    if not throttle_was_on:
        logger.warning(
            "%s: enableRateLimit was off; switching ccxt's throttle on for this download "
            "(requests spaced by rateLimit=%s ms x endpoint cost) and back off afterwards",
            ccxt_exchange.id,
            ccxt_exchange.rateLimit,
        )
        ccxt_exchange.enableRateLimit = True
    try:
        symbol = _resolve_symbol(ccxt_exchange, symbol, retry)
        rows, calls = _paginate(
            ccxt_exchange, symbol, timeframe, since_ms, until_ms, step_ms, limit_per_call, retry, progress
        )
    finally:
        ccxt_exchange.enableRateLimit = throttle_was_on

    rows = _drop_forming_candles(rows, timeframe, step_ms, _utc_now_ms(), f"{ccxt_exchange.id} {symbol} {timeframe}")
    return _to_validated_frame(rows, ccxt_exchange.id, symbol, timeframe, step_ms, calls)


# --- inputs --------------------------------------------------------------------------


def resolve_exchange(
    exchange: ccxt.Exchange | str, exchange_options: Mapping[str, Any] | None = None
) -> ccxt.Exchange:
    """Return a synchronous ccxt exchange for an instance or an id string.

    Parameters
    ----------
    exchange
        A ccxt exchange instance (returned unchanged) or an id such as ``"binance"``,
        which is instantiated with ``enableRateLimit=True``.
    exchange_options
        Extra constructor options for an id (credentials, ``options``, ``timeout``...).

    Raises
    ------
    ValidationError
        Unknown id (the message suggests close ids), an asyncio exchange, another type, or
        ``exchange_options`` given with an instance (only their keys are shown).
    """
    if isinstance(exchange, str):
        exchange_id = exchange.strip().lower()
        if exchange_id not in ccxt.exchanges:
            close = difflib.get_close_matches(exchange_id, ccxt.exchanges, n=5)
            hint = f"close matches: {close}" if close else "see ccxt.exchanges for the list"
            raise ValidationError("exchange", exchange, f"use a ccxt exchange id ({hint})")
        config: dict[str, Any] = {"enableRateLimit": True, **(exchange_options or {})}
        return getattr(ccxt, exchange_id)(config)
    if exchange_options:
        raise ValidationError(
            "exchange_options",
            f"keys {sorted(exchange_options)}",
            "pass exchange_options only with an exchange id; configure an instance when you create it",
        )
    if not isinstance(exchange, ccxt.Exchange):
        raise ValidationError(
            "exchange", type(exchange).__name__, "pass a ccxt exchange instance or an id string such as 'binance'"
        )
    if inspect.iscoroutinefunction(exchange.fetch_ohlcv):
        raise ValidationError(
            "exchange",
            repr(exchange),
            f"pass the synchronous ccxt.{exchange.id}() instead of the ccxt.async_support one",
        )
    return exchange


def _require_fetch_ohlcv(exchange: ccxt.Exchange) -> None:
    if not exchange.has.get("fetchOHLCV"):
        raise ValidationError(
            "exchange",
            exchange.id,
            "choose an exchange whose .has['fetchOHLCV'] is true (e.g. 'binance', 'okx', 'kraken')",
            detail="this exchange does not offer OHLCV candles through ccxt",
        )


def timeframe_to_ms(exchange: ccxt.Exchange, timeframe: str) -> int:
    """Length of one ``timeframe`` candle in milliseconds, checked against the exchange.

    Calendar timeframes (``"1M"``, ``"1y"``) get ccxt's nominal length (30 and 365 days).

    Raises
    ------
    ValidationError
        The exchange does not offer ``timeframe``; the message lists the ones it offers.
    """
    offered = list((exchange.timeframes or {}).keys())
    if offered and timeframe not in offered:
        raise ValidationError(
            "timeframe",
            timeframe,
            f"use one of {offered}",
            detail=f"{exchange.id} does not offer it",
        )
    try:
        seconds = exchange.parse_timeframe(timeframe)
    except Exception as err:  # ccxt raises NotSupported or ValueError/IndexError on garbage
        raise ValidationError("timeframe", timeframe, "use a ccxt timeframe such as '1m', '1h' or '1d'") from err
    if not seconds or seconds <= 0:
        raise ValidationError("timeframe", timeframe, "use a ccxt timeframe such as '1m', '1h' or '1d'")
    return int(seconds * 1000)


def to_epoch_ms(value: TimestampLike, field: str) -> int:
    """Convert ``value`` to UTC epoch milliseconds.

    Parameters
    ----------
    value
        A non-negative int of epoch milliseconds, or a timezone-aware
        :class:`datetime` / :class:`pandas.Timestamp` / ISO string with an offset.
    field
        Argument name used in the error message.

    Raises
    ------
    ValidationError
        Naive timestamps, floats, bools, negative numbers, numbers that look like epoch
        seconds, or unparsable strings.
    """
    if isinstance(value, (bool, np.bool_)):
        raise ValidationError(field, value, "pass epoch milliseconds (int) or a tz-aware timestamp")
    if isinstance(value, (int, np.integer)):
        ms = int(value)
        if ms < 0:
            raise ValidationError(field, value, "pass non-negative epoch milliseconds")
        if 0 < ms < _SMALLEST_PLAUSIBLE_MS:
            raise ValidationError(
                field,
                value,
                f"pass milliseconds, e.g. {ms * 1000} if you meant seconds",
                detail="it looks like epoch seconds (as milliseconds it is before 1973)",
            )
        return ms
    if isinstance(value, (float, np.floating)):
        raise ValidationError(
            field, value, "pass an int of epoch milliseconds, e.g. int(value), or a tz-aware pd.Timestamp"
        )
    if isinstance(value, (str, datetime)):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError) as err:
            raise ValidationError(field, value, "pass an ISO time with an offset, e.g. '2024-01-01T00:00Z'") from err
        if stamp is pd.NaT:
            raise ValidationError(field, value, "pass a real time, not NaT")
        if stamp.tzinfo is None:
            raise ValidationError(
                field,
                value,
                "make it UTC, e.g. pd.Timestamp(value, tz='UTC') or append 'Z' to the string",
                detail="the timestamp has no timezone",
            )
        return int(stamp.tz_convert("UTC").as_unit("ns").value // 1_000_000)
    raise ValidationError(field, type(value).__name__, "pass epoch milliseconds (int) or a tz-aware pd.Timestamp")


def _resolve_symbol(exchange: ccxt.Exchange, symbol: str, retry: RetryPolicy) -> str:
    """Load the markets (with retries) and return the unified symbol of ``symbol``."""
    if not isinstance(symbol, str) or not symbol:
        raise ValidationError("symbol", symbol, "pass a unified ccxt symbol such as 'BTC/USDT'")
    retry.call(exchange.load_markets, exchange_id=exchange.id, symbol=symbol, what="load_markets")
    try:
        return str(exchange.market(symbol)["symbol"])
    except ccxt.BadSymbol:
        symbols = list(exchange.symbols or [])
        close = difflib.get_close_matches(symbol, symbols, n=5)
        hint = f"close matches: {close}" if close else f"exchange.symbols lists the {len(symbols)} markets"
        raise ValidationError(
            "symbol", symbol, f"use a unified symbol listed by {exchange.id} ({hint})", detail="no such market"
        ) from None


# --- retries ---------------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """Capped exponential backoff with optional jitter, applied to ``ccxt.NetworkError``.

    The wait before retry ``k`` (0-based) is ``w = min(max_backoff_seconds,
    backoff_seconds * 2**k)``, drawn uniformly from ``[(1 - jitter) * w, w]``.

    Parameters
    ----------
    max_retries
        Retries after the first attempt (0 disables retrying).
    backoff_seconds
        Wait before the first retry.
    max_backoff_seconds
        Cap on any single wait.
    jitter
        Randomised fraction of each wait, in ``[0, 1]``.
    seed
        Seed or Generator for the jitter; None draws fresh OS entropy.
    """

    max_retries: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    jitter: float = 0.5
    seed: SeedLike = None

    def __post_init__(self) -> None:
        retries = self.max_retries
        if isinstance(retries, bool) or not isinstance(retries, (int, np.integer)) or retries < 0:
            raise ValidationError("max_retries", self.max_retries, "pass an int >= 0")
        for name in ("backoff_seconds", "max_backoff_seconds"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValidationError(name, value, "pass a finite number of seconds >= 0")
        if not isinstance(self.jitter, (int, float)) or not 0.0 <= self.jitter <= 1.0:
            raise ValidationError("jitter", self.jitter, "pass a fraction between 0 and 1 (0 = no jitter)")
        self._rng = np.random.default_rng(self.seed)

    def delay(self, retry_index: int) -> float:
        """Seconds to wait before retry number ``retry_index`` (0-based)."""
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2.0**retry_index)
        if self.jitter == 0:
            return float(ceiling)
        return float(ceiling * (1.0 - self.jitter * self._rng.random()))

    def call(self, func: Callable[[], _T], *, exchange_id: str, symbol: str, what: str) -> _T:
        """Run ``func``, retrying ``ccxt.NetworkError``; map every ccxt error to DataSourceError."""
        retry_index = 0
        while True:
            try:
                return func()
            except ccxt.NetworkError as err:
                if retry_index >= self.max_retries:
                    raise DataSourceError(
                        f"{exchange_id} {what} for {symbol} failed after {retry_index + 1} attempt(s): "
                        f"{type(err).__name__}: {_shorten(err)}. Fix: check the network connection and the "
                        f"exchange's status page, then retry later or raise max_retries (now {self.max_retries})"
                    ) from err
                wait = self.delay(retry_index)
                retry_index += 1
                logger.warning(
                    "%s %s for %s failed (%s: %s); retry %d of %d in %.2f s",
                    exchange_id, what, symbol, type(err).__name__, _shorten(err), retry_index, self.max_retries, wait,
                )
                _sleep(wait)
            except ccxt.BadSymbol as err:
                raise DataSourceError(
                    f"{exchange_id} rejected symbol {symbol!r} in {what} ({type(err).__name__}: {_shorten(err)}). "
                    f"Fix: check that {symbol!r} is listed and trading on {exchange_id} "
                    "(exchange.load_markets(reload=True); exchange.symbols); not retried"
                ) from err
            except ccxt.ExchangeError as err:
                raise DataSourceError(
                    f"{exchange_id} rejected {what} for {symbol} ({type(err).__name__}: {_shorten(err)}). "
                    "Fix: check the symbol, timeframe and since/until against the exchange's API rules "
                    "(and API keys/permissions if any); not retried"
                ) from err
            except ccxt.BaseError as err:
                raise DataSourceError(
                    f"{exchange_id} {what} for {symbol} failed ({type(err).__name__}: {_shorten(err)}). "
                    "Fix: check the ccxt exchange configuration; not retried"
                ) from err


# --- pagination ------------------------------------------------------------------------


def _paginate(
    exchange: ccxt.Exchange,
    symbol: str,
    timeframe: str,
    since_ms: int,
    until_ms: int,
    step_ms: int,
    limit: int | None,
    retry: RetryPolicy,
    progress: bool,
) -> tuple[list[list[Any]], int]:
    """Page through ``[since_ms, until_ms)``; return rows keyed uniquely by open time, and the call count."""
    cursor_step_ms = _cursor_step_ms(timeframe, step_ms)
    by_open_time: dict[int, list[Any]] = {}
    cursor = since_ms
    calls = 0
    expected_bars = max(1, math.ceil((until_ms - since_ms) / step_ms))
    with tqdm(
        total=expected_bars,
        unit="bar",
        desc=f"{exchange.id} {symbol} {timeframe}",
        disable=not progress,
        leave=False,
    ) as bar:
        while cursor < until_ms:
            page_since = cursor
            batch = retry.call(
                functools.partial(exchange.fetch_ohlcv, symbol, timeframe, since=page_since, limit=limit),
                exchange_id=exchange.id,
                symbol=symbol,
                what=f"fetch_ohlcv({timeframe}, since={_format_ms(page_since)})",
            )
            calls += 1
            in_range = [row for row in (batch or []) if since_ms <= int(row[0]) < until_ms]
            new = [row for row in in_range if int(row[0]) not in by_open_time]
            for row in in_range:  # on overlap the later answer wins: it is the fresher one
                by_open_time[int(row[0])] = list(row)
            bar.update(len(new))
            if not new:
                logger.debug("%s %s: no new candles from %s; done", exchange.id, symbol, _format_ms(page_since))
                break
            next_cursor = max(int(row[0]) for row in in_range) + cursor_step_ms
            if next_cursor <= cursor:  # the exchange went backwards; stop rather than loop
                break
            cursor = next_cursor
    rows = [by_open_time[key] for key in sorted(by_open_time)]
    return rows, calls


def _cursor_step_ms(timeframe: str, step_ms: int) -> int:
    """How far past the last candle's open the next page starts.

    One candle for fixed-length timeframes. Months and years vary in length, so the step is
    the shortest one (28 / 365 days): a page may then repeat the last candle (de-duplicated)
    but never skips one.
    """
    unit = timeframe[-1:]
    if unit == "M":
        return 28 * _DAY_MS
    if unit == "y":
        return 365 * _DAY_MS
    return step_ms


def _candle_close_ms(open_ms: int, timeframe: str, step_ms: int) -> int:
    """Close time of a candle opened at ``open_ms`` (calendar-exact for months and years)."""
    unit = timeframe[-1:]
    if unit in ("M", "y"):
        count = int(timeframe[:-1] or 1)
        offset = pd.DateOffset(months=count) if unit == "M" else pd.DateOffset(years=count)
        close = pd.Timestamp(open_ms, unit="ms", tz="UTC") + offset
        return int(close.as_unit("ns").value // 1_000_000)
    return open_ms + step_ms


def _drop_forming_candles(
    rows: list[list[Any]], timeframe: str, step_ms: int, now_ms: int, label: str
) -> list[list[Any]]:
    """Remove candles whose close time is still in the future (they will change)."""
    closed: list[list[Any]] = []
    forming: list[list[Any]] = []
    for row in rows:
        (closed if _candle_close_ms(int(row[0]), timeframe, step_ms) <= now_ms else forming).append(row)
    if forming:
        logger.info(
            "%s: dropped %d still-forming candle(s) opened at %s (close time after now %s)",
            label, len(forming), ", ".join(_format_ms(int(r[0])) for r in forming), _format_ms(now_ms),
        )
    return closed


def _to_validated_frame(
    rows: list[list[Any]], exchange_id: str, symbol: str, timeframe: str, step_ms: int, calls: int
) -> pd.DataFrame:
    label = f"{exchange_id} {symbol} {timeframe}"
    fixed_length = timeframe[-1:] not in ("M", "y")
    try:
        raw = ohlcv_from_rows([row[:6] for row in rows], validate=False)
        report = validate_ohlcv(
            raw,
            bar_frequency=pd.Timedelta(milliseconds=step_ms) if fixed_length else None,
            calendar="24/7",
        )
    except OHLCVValidationError as err:
        raise DataSourceError(
            f"{label}: the exchange returned candles that break the OHLCV contract ({err}). "
            "Fix: inspect those candles with exchange.fetch_ohlcv; drop or repair them before use"
        ) from err
    frame = report.frame
    if frame.empty:
        logger.warning("%s: the exchange returned no candles in the requested range (%d call(s))", label, calls)
        return frame
    if len(report.gaps):
        logger.warning(
            "%s: %d gap(s) with %d missing candle(s) in the exchange's data (not filled); "
            "validate_ohlcv(frame, fill_gaps=True) fills them",
            label, len(report.gaps), report.missing_bars,
        )
    logger.info("%s: %d candle(s) %s .. %s in %d call(s)", label, len(frame), frame.index[0], frame.index[-1], calls)
    return frame


def _format_ms(ms: int) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").isoformat()


def _shorten(err: BaseException, limit: int = 300) -> str:
    text = str(err)
    return text if len(text) <= limit else text[: limit - 3] + "..."
