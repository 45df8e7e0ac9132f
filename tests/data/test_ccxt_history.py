"""Tests of quantlib_local.data.ccxt_history against a local Binance stand-in (no network).

A real ``ccxt.binance`` talks HTTP to :class:`BinanceKlinesStub` on 127.0.0.1, so ccxt's
request building, rate limiter, response parsing and error mapping are all exercised.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time

import ccxt
import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import ccxt_history
from quantlib_local.data.ccxt_history import (
    RetryPolicy,
    fetch_ohlcv_history,
    resolve_exchange,
    to_epoch_ms,
)
from quantlib_local.exceptions import DataSourceError, ValidationError

from .exchange_stub_server import (
    HOUR_MS,
    BinanceKlinesStub,
    Fault,
    binance_exchange,
    frame_from_raw,
    require_ccxt_static,
    synthetic_klines,
)

START_MS = 1_704_067_200_000  # 2024-01-01T00:00Z
FAST = {"progress": False, "backoff_seconds": 0.001, "max_backoff_seconds": 0.002}


@pytest.fixture()
def stub():
    with BinanceKlinesStub() as server:
        yield server


def record_request_starts(exchange: ccxt.Exchange) -> list[float]:
    """Record ``time.monotonic()`` whenever ccxt starts an HTTP request (after its throttle)."""
    starts: list[float] = []
    send = exchange.fetch

    def timed_fetch(*args, **kwargs):
        starts.append(time.monotonic())
        return send(*args, **kwargs)

    exchange.fetch = timed_fetch
    return starts


def assert_spaced(starts: list[float], min_spacing_ms: float) -> None:
    """Consecutive request starts are ``min_spacing_ms`` apart (unthrottled they are ~1 ms apart).

    ccxt stamps a request in whole milliseconds just before signing it, and the starts here
    are taken a little later, so single gaps get a few ms of slack; the total span, where
    that jitter cancels out, gets only 1 ms per gap.
    """
    spacing_ms = np.diff(starts) * 1000
    assert spacing_ms.min() >= min_spacing_ms - 5, spacing_ms
    assert spacing_ms.sum() >= len(spacing_ms) * (min_spacing_ms - 1), spacing_ms


def serve_hours(stub: BinanceKlinesStub, count: int, start_ms: int = START_MS) -> list[list]:
    rows = synthetic_klines(start_ms, HOUR_MS, count)
    stub.add_series("BTCUSDT", "1h", rows)
    return rows


# --- pagination --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until_bars", "expected_calls"),
    [
        (1000, math.ceil(1000 / 37)),  # until at the series end: the cursor reaches until
        (1100, math.ceil(1000 / 37) + 1),  # until beyond it: one more page comes back empty
    ],
)
def test_pagination_across_many_pages_equals_the_server_series(stub, until_bars, expected_calls):
    rows = serve_hours(stub, 1000)
    exchange = binance_exchange(stub)

    frame = fetch_ohlcv_history(
        exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + until_bars * HOUR_MS, limit_per_call=37, **FAST
    )

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows))
    requests = stub.klines_requests()
    assert len(requests) == expected_calls
    # each page starts one candle after the last candle of the page before
    starts = [int(r.params["startTime"]) for r in requests]
    assert starts == [START_MS + min(i * 37, 1000) * HOUR_MS for i in range(expected_calls)]
    assert {r.params["symbol"] for r in requests} == {"BTCUSDT"}
    assert {r.params["limit"] for r in requests} == {"37"}


def test_range_is_half_open_and_accepts_unaligned_tz_aware_bounds(stub):
    rows = serve_hours(stub, 48)
    exchange = binance_exchange(stub)
    since = pd.Timestamp(START_MS + 30 * 60_000, unit="ms", tz="UTC")  # 00:30 -> first bar 01:00
    until = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # 10:00 UTC, excluded

    frame = fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=since, until=until, **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[1:10]))


def test_overlapping_pages_are_deduplicated(stub):
    """An exchange whose pages start a few candles before ``since`` (seen in the wild).

    ccxt itself drops candles older than the ``since`` it was given, so the overlap is made
    by asking the real ccxt path for three hours earlier than the cursor.
    """
    rows = serve_hours(stub, 200)
    exchange = binance_exchange(stub)
    fetch_ohlcv = exchange.fetch_ohlcv

    def fetch_ohlcv_starting_early(symbol, timeframe="1m", since=None, limit=None, params={}):  # noqa: B006
        return fetch_ohlcv(symbol, timeframe, since=since - 3 * HOUR_MS, limit=limit, params=params)

    exchange.fetch_ohlcv = fetch_ohlcv_starting_early

    frame = fetch_ohlcv_history(
        exchange, "BTC/USDT", "1h", since=START_MS + 10 * HOUR_MS, until=START_MS + 200 * HOUR_MS,
        limit_per_call=20, **FAST
    )

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[10:]))
    starts = [int(r.params["startTime"]) for r in stub.klines_requests()]
    assert starts[:3] == [START_MS + h * HOUR_MS for h in (7, 24, 41)]  # 3 repeated candles per page


def test_monthly_candles_are_paged_without_skipping_short_months(stub):
    opens = pd.date_range("2022-01-01", periods=30, freq="MS", tz="UTC")
    rows = synthetic_klines(0, 1, 30)
    closes = [*opens[1:], opens[-1] + pd.DateOffset(months=1)]
    for row, open_time, close_time in zip(rows, opens, closes, strict=True):
        row[0] = int(open_time.value // 1_000_000)
        row[6] = int(close_time.value // 1_000_000) - 1
    stub.add_series("BTCUSDT", "1M", rows)
    exchange = binance_exchange(stub)

    frame = fetch_ohlcv_history(exchange, "BTC/USDT", "1M", since=rows[0][0], until=rows[-1][6] + 1,
                                limit_per_call=2, **FAST)  # pages end on February

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows))


def test_still_forming_last_candle_is_dropped_and_logged(stub, monkeypatch, caplog):
    rows = serve_hours(stub, 60)  # the stub also knows "future" candles, like a live feed would not
    now_ms = START_MS + 50 * HOUR_MS + 20 * 60_000  # 50 h 20 min: the 50th-hour candle is forming
    monkeypatch.setattr(ccxt_history, "_utc_now_ms", lambda: now_ms)
    exchange = binance_exchange(stub)

    with caplog.at_level(logging.INFO, logger="quantlib_local.data.ccxt_history"):
        frame = fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[:50]))
    assert any("still-forming" in message and "2024-01-03T02:00:00" in message for message in caplog.messages)


def test_empty_range_returns_an_empty_canonical_frame(stub, caplog):
    serve_hours(stub, 10, start_ms=START_MS + 100 * HOUR_MS)
    exchange = binance_exchange(stub)

    with caplog.at_level(logging.WARNING, logger="quantlib_local.data.ccxt_history"):
        frame = fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + 5 * HOUR_MS, **FAST)

    assert frame.empty
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert str(frame.index.tz) == "UTC" and frame.index.name == "timestamp"
    assert len(stub.klines_requests()) == 1
    assert any("no candles" in message for message in caplog.messages)


def test_exchange_gaps_are_kept_and_reported(stub, caplog):
    rows = synthetic_klines(START_MS, HOUR_MS, 30)
    served = rows[:10] + rows[15:]  # a five-hour outage
    stub.add_series("BTCUSDT", "1h", served)
    exchange = binance_exchange(stub)

    with caplog.at_level(logging.WARNING, logger="quantlib_local.data.ccxt_history"):
        frame = fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + 30 * HOUR_MS, **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(served))
    assert any("1 gap(s) with 5 missing candle(s)" in message for message in caplog.messages)


def test_progress_bar_is_shown_only_when_asked(stub, capsys):
    serve_hours(stub, 20)
    exchange = binance_exchange(stub)
    kwargs = {"since": START_MS, "until": START_MS + 20 * HOUR_MS, "backoff_seconds": 0.001}

    fetch_ohlcv_history(exchange, "BTC/USDT", "1h", progress=False, **kwargs)
    assert "bar" not in capsys.readouterr().err
    fetch_ohlcv_history(exchange, "BTC/USDT", "1h", progress=True, **kwargs)
    assert "binance BTC/USDT 1h" in capsys.readouterr().err


# --- rate limiting -------------------------------------------------------------------------


@pytest.mark.parametrize("throttle_initially_on", [True, False])
def test_consecutive_requests_are_spaced_by_the_rate_limit(stub, caplog, throttle_initially_on):
    """ccxt spaces requests by ``rateLimit`` x the endpoint's cost (Binance spot klines: 0.4)."""
    rows = serve_hours(stub, 120)
    exchange = binance_exchange(stub, rate_limit_ms=100)
    exchange.enableRateLimit = throttle_initially_on
    klines_cost = exchange.calculate_rate_limiter_cost(
        ["public"], "GET", "klines", {"limit": 20}, exchange.api["public"]["get"]["klines"]
    )
    assert klines_cost > 0
    min_spacing_ms = exchange.rateLimit * klines_cost  # 40 ms here
    starts = record_request_starts(exchange)

    with caplog.at_level(logging.WARNING, logger="quantlib_local.data.ccxt_history"):
        frame = fetch_ohlcv_history(
            exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + 120 * HOUR_MS, limit_per_call=20, **FAST
        )

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows))
    assert len(starts) == len(stub.klines_requests()) == 6
    assert_spaced(starts, min_spacing_ms)
    assert exchange.enableRateLimit is throttle_initially_on  # the caller's setting is restored
    switched_on = any("enableRateLimit was off" in message for message in caplog.messages)
    assert switched_on is (not throttle_initially_on)


def test_unit_cost_calls_are_at_least_rate_limit_apart(stub, monkeypatch):
    """With a cost of 1 per call (most exchanges), consecutive calls are ``rateLimit`` ms apart."""
    rows = serve_hours(stub, 100)
    exchange = binance_exchange(stub, rate_limit_ms=30)
    monkeypatch.setattr(exchange, "calculate_rate_limiter_cost", lambda *args, **kwargs: 1)
    starts = record_request_starts(exchange)

    frame = fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + 100 * HOUR_MS,
                                limit_per_call=25, **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows))
    assert len(starts) == 4
    assert_spaced(starts, exchange.rateLimit)


# --- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error_name"),
    [
        (Fault(status=503), "ExchangeNotAvailable"),
        (Fault(status=502, body="Bad Gateway"), "ExchangeNotAvailable"),
        (Fault(status=504, body="Gateway Timeout"), "RequestTimeout"),
        (Fault(status=429, body='{"code":-1003,"msg":"Too many requests."}', content_type="application/json"),
         "DDoSProtection"),
        (Fault(status=None, delay_s=0.6), "RequestTimeout"),  # slower than the client's timeout
    ],
    ids=["503", "502", "504", "429", "client-timeout"],
)
def test_transient_failures_are_retried_until_success(stub, caplog, fault, error_name):
    rows = serve_hours(stub, 50)
    slow = fault.status is None
    exchange = binance_exchange(stub, timeout_ms=250 if slow else 5_000)
    stub.fail_next(3, fault)

    with caplog.at_level(logging.WARNING, logger="quantlib_local.data.ccxt_history"):
        frame = fetch_ohlcv_history(
            exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + 50 * HOUR_MS, limit_per_call=25,
            max_retries=3, **FAST,
        )

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows))
    assert len(stub.klines_requests()) == 3 + 2  # three failures, then two good pages
    retries = [m for m in caplog.messages if "retry" in m]
    assert len(retries) == 3 and all(error_name in m for m in retries)


def test_gives_up_after_max_retries_with_a_clear_error(stub):
    serve_hours(stub, 50)
    exchange = binance_exchange(stub)
    stub.fail_next(100)

    with pytest.raises(DataSourceError) as caught:
        fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + 50 * HOUR_MS,
                            max_retries=2, **FAST)

    assert len(stub.klines_requests()) == 3  # the first attempt and two retries
    message = str(caught.value)
    for part in ("binance", "BTC/USDT", "3 attempt(s)", "ExchangeNotAvailable", "max_retries"):
        assert part in message
    assert isinstance(caught.value.__cause__, ccxt.ExchangeNotAvailable)


def test_bad_symbol_answer_is_not_retried(stub):
    serve_hours(stub, 50)  # the stub only knows BTCUSDT: ETHUSDT gets Binance's -1121 answer
    exchange = binance_exchange(stub)

    with pytest.raises(DataSourceError) as caught:
        fetch_ohlcv_history(exchange, "ETH/USDT", "1h", since=START_MS, until=START_MS + 50 * HOUR_MS, **FAST)

    assert len(stub.klines_requests()) == 1
    assert isinstance(caught.value.__cause__, ccxt.BadSymbol)
    message = str(caught.value)
    assert "binance" in message and "'ETH/USDT'" in message and "Invalid symbol" in message
    assert "Fix: check" in message and "not retried" in message


def test_backoff_is_exponential_capped_and_reproducible(stub, monkeypatch):
    serve_hours(stub, 10)
    exchange = binance_exchange(stub)
    waits: list[float] = []
    monkeypatch.setattr(ccxt_history, "_sleep", waits.append)

    def run(**retry):
        waits.clear()
        stub.fail_next(5)
        fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, until=START_MS + 10 * HOUR_MS,
                            max_retries=5, backoff_seconds=0.5, max_backoff_seconds=3.0, progress=False, **retry)
        return list(waits)

    assert run(jitter=0.0) == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = run(jitter=0.5, seed=7)
    assert jittered == run(jitter=0.5, seed=7)
    assert jittered != run(jitter=0.5, seed=8)
    for wait, ceiling in zip(jittered, [0.5, 1.0, 2.0, 3.0, 3.0], strict=True):
        assert 0.5 * ceiling <= wait <= ceiling


# --- input validation ----------------------------------------------------------------------


def test_unknown_timeframe_lists_the_valid_ones(stub):
    exchange = binance_exchange(stub)
    with pytest.raises(ValidationError, match=r"timeframe='7m'.*'1m'.*'1h'.*'1d'"):
        fetch_ohlcv_history(exchange, "BTC/USDT", "7m", since=START_MS, **FAST)
    assert stub.requests == []


@pytest.mark.parametrize(
    ("since", "until", "field", "hint"),
    [
        (START_MS + HOUR_MS, START_MS + HOUR_MS, "since", "earlier than until"),
        (START_MS + 2 * HOUR_MS, START_MS, "since", "earlier than until"),
        (dt.datetime(2024, 1, 1), None, "since", "tz='UTC'"),
        ("2024-01-01 00:00", None, "since", "no timezone"),
        (float(START_MS), None, "since", "int"),
        (START_MS // 1000, None, "since", "looks like epoch seconds"),
        (-1, None, "since", "non-negative"),
        (True, None, "since", "milliseconds"),
        ("yesterday-ish", None, "since", "ISO"),
        (START_MS, pd.Timestamp("2024-02-01"), "until", "no timezone"),
    ],
)
def test_bad_time_bounds_are_rejected_before_any_request(stub, since, until, field, hint):
    exchange = binance_exchange(stub)
    with pytest.raises(ValidationError, match=hint) as caught:
        fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=since, until=until, **FAST)
    assert caught.value.field == field
    assert stub.requests == []


def test_exchange_without_fetch_ohlcv_is_rejected(stub):
    exchange = binance_exchange(stub)
    exchange.has = {**exchange.has, "fetchOHLCV": False}
    with pytest.raises(ValidationError, match=r"fetchOHLCV"):
        fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, **FAST)
    assert stub.requests == []


def test_symbol_the_exchange_does_not_list_is_rejected_with_suggestions(stub):
    exchange = binance_exchange(stub)
    with pytest.raises(ValidationError, match=r"symbol='BTC/USDX'.*BTC/USDT"):
        fetch_ohlcv_history(exchange, "BTC/USDX", "1h", since=START_MS, **FAST)
    assert stub.requests == []


def test_exchange_ids_are_resolved_and_typos_get_suggestions():
    assert isinstance(resolve_exchange("Binance"), ccxt.binance)
    assert resolve_exchange("binance", {"timeout": 1234}).timeout == 1234
    with pytest.raises(ValidationError, match=r"exchange='binanse'.*'binance'"):
        resolve_exchange("binanse")
    with pytest.raises(ValidationError, match="exchange"):
        resolve_exchange(42)  # type: ignore[arg-type]


def test_options_for_an_existing_instance_are_refused_without_echoing_secrets(stub):
    exchange = binance_exchange(stub)
    with pytest.raises(ValidationError, match=r"exchange_options=.*apiKey") as caught:
        fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, exchange_options={"apiKey": "s3cr3t"}, **FAST)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"limit_per_call": 0}, "limit_per_call"),
        ({"max_retries": -1}, "max_retries"),
        ({"backoff_seconds": -0.1}, "backoff_seconds"),
        ({"jitter": 1.5}, "jitter"),
    ],
)
def test_bad_paging_and_retry_settings_are_rejected(stub, settings, field):
    exchange = binance_exchange(stub)
    with pytest.raises(ValidationError) as caught:
        fetch_ohlcv_history(exchange, "BTC/USDT", "1h", since=START_MS, progress=False, **settings)
    assert caught.value.field == field


def test_to_epoch_ms_converts_aware_times_to_utc_milliseconds():
    assert to_epoch_ms(START_MS, "since") == START_MS
    assert to_epoch_ms(np.int64(START_MS), "since") == START_MS
    assert to_epoch_ms("2024-01-01T00:00:00Z", "since") == START_MS
    assert to_epoch_ms(pd.Timestamp("2024-01-01 02:00", tz="Europe/Berlin"), "since") == START_MS + HOUR_MS
    assert to_epoch_ms(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "since") == START_MS


def test_retry_policy_delay_without_jitter_is_deterministic():
    policy = RetryPolicy(max_retries=3, backoff_seconds=0.25, max_backoff_seconds=1.0, jitter=0.0)
    assert [policy.delay(k) for k in range(5)] == [0.25, 0.5, 1.0, 1.0, 1.0]


# --- replay of ccxt's recorded Binance fixture ------------------------------------------------


def test_recorded_binance_fixture_replays_to_its_parsed_response(stub):
    """ccxt's own fixture: binance fetchOHLCV "Spot OHLCV with since and limit".

    Source: shared/data/ccxt_static/response/binance.json (ccxt ts/src/test/static, MIT);
    ``httpResponse`` is what Binance answered, ``parsedResponse`` what ccxt made of it.
    """
    recorded = json.loads(require_ccxt_static("response/binance.json").read_text())
    case = next(c for c in recorded["methods"]["fetchOHLCV"] if c["description"] == "Spot OHLCV with since and limit")
    symbol, timeframe, since, limit = case["input"]
    stub.add_series("BTCUSDT", timeframe, case["httpResponse"])
    exchange = binance_exchange(stub)
    last_open = case["parsedResponse"][-1][0]

    frame = fetch_ohlcv_history(
        exchange, symbol, timeframe, since=since, until=last_open + HOUR_MS, limit_per_call=limit, **FAST
    )

    expected = pd.DataFrame(
        [row[1:] for row in case["parsedResponse"]],
        index=pd.DatetimeIndex(pd.to_datetime([row[0] for row in case["parsedResponse"]], unit="ms", utc=True),
                               name="timestamp").as_unit("ns"),
        columns=["open", "high", "low", "close", "volume"],
        dtype="float64",
    )
    pd.testing.assert_frame_equal(frame, expected)
    [request] = stub.klines_requests()
    assert request.params == {"symbol": "BTCUSDT", "interval": "1h", "startTime": str(since), "limit": str(limit)}
