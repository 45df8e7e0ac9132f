"""Tests of quantlib_local.data.parquet_cache against a local Binance stand-in (no network)."""

from __future__ import annotations

import json
import logging
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from quantlib_local.data import ccxt_history, parquet_cache
from quantlib_local.data.parquet_cache import (
    METADATA_KEY,
    CacheMetadata,
    OHLCVCache,
    cached_ohlcv,
    default_cache_root,
    symbol_to_dirname,
)
from quantlib_local.exceptions import DataSourceError, ValidationError

from .exchange_stub_server import (
    HOUR_MS,
    BinanceKlinesStub,
    binance_exchange,
    frame_from_raw,
    load_binance_markets,
    synthetic_klines,
)

START_MS = 1_704_067_200_000  # 2024-01-01T00:00Z
FAST = {"progress": False, "limit_per_call": 50, "backoff_seconds": 0.001}


def hour(n: int) -> int:
    """Open time of the n-th synthetic hourly candle, in epoch ms."""
    return START_MS + n * HOUR_MS


@pytest.fixture()
def stub():
    with BinanceKlinesStub() as server:
        yield server


@pytest.fixture()
def rows(stub):
    """300 hourly candles served for BTCUSDT."""
    series = synthetic_klines(START_MS, HOUR_MS, 300)
    stub.add_series("BTCUSDT", "1h", series)
    return series


@pytest.fixture()
def exchange(stub):
    return binance_exchange(stub)


def new_request_starts(stub: BinanceKlinesStub, seen: int) -> list[int]:
    return [int(r.params["startTime"]) for r in stub.klines_requests()[seen:]]


# --- layout and metadata ----------------------------------------------------------------------


def test_first_update_writes_the_documented_layout_and_metadata(tmp_path, stub, rows, exchange):
    cache = OHLCVCache(tmp_path)

    frame = cache.update(exchange, "BTC/USDT", "1h", since=hour(100), until=hour(200), **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[100:200]))
    path = tmp_path / "binance" / "BTC_USDT" / "1h.parquet"
    assert cache.path_for("binance", "BTC/USDT", "1h") == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["1h.parquet"]
    stored = json.loads(pq.read_schema(path).metadata[METADATA_KEY])
    assert stored["source_exchange"] == "binance"
    assert stored["symbol"] == "BTC/USDT"
    assert stored["timeframe"] == "1h"
    fetched_at = pd.Timestamp(stored["fetched_at"])
    assert fetched_at.tzinfo is not None
    assert abs(pd.Timestamp.now(tz="UTC") - fetched_at) < pd.Timedelta(minutes=5)
    pd.testing.assert_frame_equal(cache.load("binance", "BTC/USDT", "1h"), frame)
    assert cache.metadata("binance", "BTC/USDT", "1h").symbol == "BTC/USDT"


def test_load_returns_none_when_nothing_is_cached(tmp_path):
    cache = OHLCVCache(tmp_path)
    assert cache.load("binance", "BTC/USDT", "1h") is None
    assert cache.metadata("binance", "BTC/USDT", "1h") is None


@pytest.mark.parametrize(
    ("symbol", "dirname"),
    [
        ("BTC/USDT", "BTC_USDT"),
        ("BTC/USDT:USDT", "BTC_USDT__USDT"),
        ("ETH/USDT:USDT-231229-800-C", "ETH_USDT__USDT-231229-800-C"),
        ("A?B/C", "A%3FB_C"),
    ],
)
def test_symbols_map_to_safe_folder_names(symbol, dirname):
    assert symbol_to_dirname(symbol) == dirname


@pytest.mark.parametrize("symbol", ["", "..", " BTC/USDT"])
def test_unsafe_symbols_are_rejected(symbol):
    with pytest.raises(ValidationError):
        symbol_to_dirname(symbol)


# --- incremental updates --------------------------------------------------------------------


def test_second_update_fetches_only_the_missing_tail(tmp_path, stub, rows, exchange):
    cache = OHLCVCache(tmp_path)
    cache.update(exchange, "BTC/USDT", "1h", since=hour(100), until=hour(200), **FAST)
    seen = len(stub.klines_requests())

    frame = cache.update(exchange, "BTC/USDT", "1h", since=hour(100), until=hour(300), **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[100:300]))
    # 100 new candles in pages of 50, starting right after the last cached one
    assert new_request_starts(stub, seen) == [hour(200), hour(250)]
    pd.testing.assert_frame_equal(cache.load("binance", "BTC/USDT", "1h"), frame)


def test_earlier_since_fetches_only_the_missing_head(tmp_path, stub, rows, exchange):
    cache = OHLCVCache(tmp_path)
    cache.update(exchange, "BTC/USDT", "1h", since=hour(100), until=hour(200), **FAST)
    seen = len(stub.klines_requests())

    frame = cache.update(exchange, "BTC/USDT", "1h", since=hour(20), until=hour(200), **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[20:200]))
    assert new_request_starts(stub, seen) == [hour(20), hour(70)]


def test_head_and_tail_together_and_nothing_when_covered(tmp_path, stub, rows, exchange):
    cache = OHLCVCache(tmp_path)
    cache.update(exchange, "BTC/USDT", "1h", since=hour(100), until=hour(200), **FAST)
    seen = len(stub.klines_requests())

    frame = cache.update(exchange, "BTC/USDT", "1h", since=hour(60), until=hour(240), **FAST)
    assert new_request_starts(stub, seen) == [hour(60), hour(200)]
    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[60:240]))

    seen = len(stub.klines_requests())
    again = cache.update(exchange, "BTC/USDT", "1h", since=hour(80), until=hour(230), **FAST)
    assert stub.klines_requests()[seen:] == []
    pd.testing.assert_frame_equal(again, frame)


def test_a_downloaded_head_is_kept_when_the_tail_download_fails(tmp_path, stub, rows, exchange):
    cache = OHLCVCache(tmp_path)
    cache.update(exchange, "BTC/USDT", "1h", since=hour(100), until=hour(200), **FAST)
    stub.fail_next(10, after=1)  # the head (one page) succeeds, every tail request fails

    with pytest.raises(DataSourceError, match="failed after 1 attempt"):
        cache.update(exchange, "BTC/USDT", "1h", since=hour(50), until=hour(300), max_retries=0, **FAST)

    pd.testing.assert_frame_equal(cache.load("binance", "BTC/USDT", "1h"), frame_from_raw(rows[50:200]))


def test_history_before_the_listing_is_asked_for_only_once(tmp_path, stub, rows, exchange):
    cache = OHLCVCache(tmp_path)
    cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(100), **FAST)
    before_listing = START_MS - 500 * HOUR_MS

    seen = len(stub.klines_requests())
    frame = cache.update(exchange, "BTC/USDT", "1h", since=before_listing, until=hour(100), **FAST)
    assert new_request_starts(stub, seen) == [before_listing]  # the exchange has nothing earlier
    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[:100]))
    assert cache.metadata("binance", "BTC/USDT", "1h").requested_since == pd.Timestamp(before_listing, unit="ms",
                                                                                        tz="UTC")

    seen = len(stub.klines_requests())
    cache.update(exchange, "BTC/USDT", "1h", since=before_listing + HOUR_MS, until=hour(100), **FAST)
    assert stub.klines_requests()[seen:] == []


def test_until_none_tops_up_to_now_and_never_caches_a_forming_candle(tmp_path, stub, rows, exchange, monkeypatch):
    cache = OHLCVCache(tmp_path)
    now = {"ms": hour(150) + 10 * 60_000}  # candle 150 is forming
    monkeypatch.setattr(ccxt_history, "_utc_now_ms", lambda: now["ms"])

    frame = cache.update(exchange, "BTC/USDT", "1h", since=hour(100), **FAST)
    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[100:150]))

    seen = len(stub.klines_requests())
    now["ms"] = hour(151) - 1  # candle 150 closes in 1 ms: nothing new to fetch yet
    cache.update(exchange, "BTC/USDT", "1h", since=hour(100), **FAST)
    assert stub.klines_requests()[seen:] == []

    now["ms"] = hour(153) + 5 * 60_000  # three more closed candles, candle 153 forming
    frame = cache.update(exchange, "BTC/USDT", "1h", since=hour(100), **FAST)
    assert new_request_starts(stub, seen) == [hour(150)]
    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[100:153]))
    pd.testing.assert_frame_equal(cache.load("binance", "BTC/USDT", "1h"), frame)


def test_cached_ohlcv_returns_the_requested_slice(tmp_path, stub, rows, exchange):
    first = cached_ohlcv(exchange, "BTC/USDT", "1h", hour(10), hour(90), cache_root=tmp_path, **FAST)
    pd.testing.assert_frame_equal(first, frame_from_raw(rows[10:90]))

    seen = len(stub.klines_requests())
    inner = cached_ohlcv(exchange, "BTC/USDT", "1h", hour(30), hour(40), cache_root=tmp_path, **FAST)
    pd.testing.assert_frame_equal(inner, frame_from_raw(rows[30:40]))
    assert stub.klines_requests()[seen:] == []


def test_default_cache_root_is_the_settings_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("QLAB_DATA_DIR", str(tmp_path / "qlab-data"))
    assert default_cache_root() == tmp_path / "qlab-data" / "ohlcv"


def test_an_exchange_id_with_options_goes_end_to_end(tmp_path, stub, rows):
    """The path `qlab data fetch` takes: an id string plus ccxt constructor options."""
    session = requests.Session()
    session.trust_env = False  # no proxy for 127.0.0.1
    options = {"urls": {"api": {"public": stub.base_url}}, "markets": load_binance_markets(), "rateLimit": 1,
               "session": session}

    frame = cached_ohlcv("binance", "BTC/USDT", "1h", hour(0), hour(120), cache_root=tmp_path,
                         exchange_options=options, **FAST)

    pd.testing.assert_frame_equal(frame, frame_from_raw(rows[:120]))
    assert len(stub.klines_requests()) == 3


def test_entries_lists_every_cached_series(tmp_path, stub, rows, exchange, caplog):
    cache = OHLCVCache(tmp_path)
    assert cache.entries().empty
    assert list(cache.entries().columns) == ["exchange", "symbol", "timeframe", "bars", "start", "end",
                                              "fetched_at", "path"]
    cache.update(exchange, "BTC/USDT", "1h", since=hour(10), until=hour(60), **FAST)
    stray = tmp_path / "binance" / "ETH_USDT" / "1h.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"garbage")

    with caplog.at_level(logging.WARNING, logger="quantlib_local.data.parquet_cache"):
        entries = cache.entries()

    assert len(entries) == 1
    entry = entries.iloc[0]
    assert (entry.exchange, entry.symbol, entry.timeframe, entry.bars) == ("binance", "BTC/USDT", "1h", 50)
    assert entry.start == pd.Timestamp(hour(10), unit="ms", tz="UTC")
    assert entry.end == pd.Timestamp(hour(59), unit="ms", tz="UTC")
    assert entry.path == cache.path_for("binance", "BTC/USDT", "1h")
    assert any("ETH_USDT" in m and "delete it" in m for m in caplog.messages)


# --- atomic writes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (OSError(28, "No space left on device"), DataSourceError),
        (KeyboardInterrupt(), KeyboardInterrupt),
    ],
    ids=["disk-full", "interrupted"],
)
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
    tmp_path, stub, rows, exchange, monkeypatch, failure, raised
):
    cache = OHLCVCache(tmp_path)
    old = cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(100), **FAST)
    path = cache.path_for("binance", "BTC/USDT", "1h")
    old_bytes = path.read_bytes()

    def write_half_then_fail(table, temporary_path):
        temporary_path.write_bytes(old_bytes[: len(old_bytes) // 2])  # a torn Parquet file
        raise failure

    monkeypatch.setattr(parquet_cache, "_write_table", write_half_then_fail)

    with pytest.raises(raised) as caught:
        cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(200), **FAST)

    if raised is DataSourceError:
        assert str(path) in str(caught.value) and "unchanged" in str(caught.value)
    assert path.read_bytes() == old_bytes
    assert sorted(p.name for p in path.parent.iterdir()) == ["1h.parquet"]
    pd.testing.assert_frame_equal(cache.load("binance", "BTC/USDT", "1h"), old)


def test_the_new_file_is_fsynced_before_it_replaces_the_old_one(tmp_path, stub, rows, exchange, monkeypatch):
    cache = OHLCVCache(tmp_path)
    cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(50), **FAST)
    path = cache.path_for("binance", "BTC/USDT", "1h")
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync-dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync-file")
        real_fsync(fd)

    def replace(src, dst):
        assert os.path.dirname(os.fspath(src)) == os.fspath(path.parent)  # same folder: atomic rename
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(100), **FAST)

    assert events[:2] == ["fsync-file", "replace"]
    if os.path.isdir("/proc/self/fd"):
        assert events == ["fsync-file", "replace", "fsync-dir"]


def test_a_stray_temp_file_from_a_crash_is_ignored(tmp_path, stub, rows, exchange):
    cache = OHLCVCache(tmp_path)
    frame = cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(50), **FAST)
    path = cache.path_for("binance", "BTC/USDT", "1h")
    (path.parent / f".{path.name}.abc123.tmp").write_bytes(b"PAR1 torn")

    pd.testing.assert_frame_equal(cache.load("binance", "BTC/USDT", "1h"), frame)


# --- unusable files ------------------------------------------------------------------------


def test_corrupt_file_raises_with_the_fix(tmp_path):
    cache = OHLCVCache(tmp_path)
    path = cache.path_for("binance", "BTC/USDT", "1h")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not parquet at all")

    with pytest.raises(DataSourceError, match="delete it"):
        cache.load("binance", "BTC/USDT", "1h")


def test_file_without_cache_metadata_is_refused(tmp_path):
    cache = OHLCVCache(tmp_path)
    path = cache.path_for("binance", "BTC/USDT", "1h")
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(frame_from_raw(synthetic_klines(START_MS, HOUR_MS, 5))), path)

    with pytest.raises(DataSourceError, match="not written by OHLCVCache"):
        cache.load("binance", "BTC/USDT", "1h")


def test_two_symbols_sharing_a_file_name_are_told_apart(tmp_path):
    cache = OHLCVCache(tmp_path)
    frame = frame_from_raw(synthetic_klines(START_MS, HOUR_MS, 5))
    stamp = pd.Timestamp("2024-06-01", tz="UTC")
    cache.save(frame, CacheMetadata("binance", "A/B", "1h", fetched_at=stamp))

    assert cache.path_for("binance", "A_B", "1h") == cache.path_for("binance", "A/B", "1h")
    with pytest.raises(DataSourceError, match="holds binance A/B 1h, not binance A_B 1h"):
        cache.load("binance", "A_B", "1h")
    pd.testing.assert_frame_equal(cache.load("binance", "A/B", "1h"), frame)


def test_an_empty_frame_is_not_saved(tmp_path):
    cache = OHLCVCache(tmp_path)
    empty = frame_from_raw(synthetic_klines(START_MS, HOUR_MS, 1)).iloc[:0]
    with pytest.raises(ValidationError, match="empty"):
        cache.save(empty, CacheMetadata("binance", "BTC/USDT", "1h", fetched_at=pd.Timestamp("2024-06-01", tz="UTC")))
    assert not cache.path_for("binance", "BTC/USDT", "1h").exists()


def test_update_logs_what_it_did(tmp_path, stub, rows, exchange, caplog):
    cache = OHLCVCache(tmp_path)
    with caplog.at_level(logging.INFO, logger="quantlib_local.data.parquet_cache"):
        cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(10), **FAST)
        cache.update(exchange, "BTC/USDT", "1h", since=hour(0), until=hour(10), **FAST)
    assert any("10 new candle(s)" in m for m in caplog.messages)
    assert any("up to date" in m for m in caplog.messages)
