"""QuoteMatrix: latest top of book per (symbol, venue), one rule for single updates and bulk frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local.arbitrage import Quote, QuoteMatrix
from quantlib_local.data.synthetic import QUOTE_COLUMNS, multi_venue_quotes
from quantlib_local.exceptions import ValidationError
from tests.arbitrage._reference import AS_OF, quote


def test_latest_quote_by_exchange_time_wins_and_late_arrivals_are_counted():
    matrix = QuoteMatrix()
    assert matrix.update(quote("BTC", "a", 100.0, 100.1, age_ms=50))
    assert matrix.update(quote("BTC", "a", 100.2, 100.3, age_ms=20))
    # an older quote (exchange time 40 ms before as_of) arriving later is ignored
    assert not matrix.update(quote("BTC", "a", 99.0, 99.1, age_ms=40, latency_ms=30))
    # the same exchange time as the stored one: the later arrival wins
    assert matrix.update(quote("BTC", "a", 100.25, 100.35, age_ms=20, latency_ms=8))
    table = matrix.table(as_of=AS_OF + 10_000_000)
    assert table[["bid", "ask"]].to_numpy().tolist() == [[100.25, 100.35]]
    assert (matrix.n_updates, matrix.n_out_of_order, len(matrix)) == (3, 1, 1)


def test_table_reports_latency_age_and_freshness():
    matrix = QuoteMatrix()
    matrix.update(quote("BTC", "a", 100.0, 100.1, age_ms=30, latency_ms=12))
    matrix.update(quote("BTC", "b", 100.0, 100.1, age_ms=150, latency_ms=40))
    table = matrix.table(as_of=AS_OF).set_index("venue")
    assert table.loc["a", "latency_ms"] == pytest.approx(12) and table.loc["a", "age_ms"] == pytest.approx(30)
    assert table.loc["b", "age_ms"] == pytest.approx(150)
    assert table["fresh"].to_dict() == {"a": True, "b": False}  # max_quote_age_ms = 100 by default
    assert str(table["timestamp_exchange"].dt.tz) == "UTC"
    assert list(matrix.table(as_of=AS_OF).columns) == [
        "symbol", "venue", *QUOTE_COLUMNS[4:], "timestamp_exchange", "timestamp_received", "latency_ms", "age_ms",
        "fresh"]


def test_arrays_grow_with_new_symbols_and_venues():
    matrix = QuoteMatrix()
    for s in range(11):
        for v in range(9):
            matrix.update(quote(f"S{s}", f"V{v}", 100.0 + s, 100.5 + s, age_ms=v))
    block = matrix.block()
    assert block.bid.shape == (11, 9) and block.present.all()
    assert matrix.symbols == tuple(f"S{s}" for s in range(11)) and matrix.venues == tuple(f"V{v}" for v in range(9))
    assert block.bid[10, 0] == 110.0 and block.exchange_ns[0, 8] == AS_OF - 8_000_000


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    return multi_venue_quotes(["BTC", "ETH"], ["binance", "kraken", "coinbase", "okx"], 1500, seed=11,
                              tick_interval_ms=50, s0={"BTC": 60_000.0, "ETH": 3_000.0})


@pytest.mark.parametrize("cut", [None, 1, 2999, 7777])
def test_from_frame_equals_quote_by_quote_updates(stream, cut):
    as_of = None if cut is None else stream["timestamp_received"].iloc[cut]
    bulk = QuoteMatrix.from_frame(stream, as_of=as_of)
    rows = stream if cut is None else stream[stream["timestamp_received"] <= as_of]
    single = QuoteMatrix()
    for row in rows.to_dict("records"):
        single.update(row)
    assert (bulk.symbols, bulk.venues, bulk.as_of) == (single.symbols, single.venues, single.as_of)
    assert (bulk.n_updates, bulk.n_out_of_order) == (single.n_updates, single.n_out_of_order)
    for a, b in zip(bulk.block(), single.block()):
        np.testing.assert_array_equal(a, b)
    if cut is None:
        assert bulk.n_out_of_order > 0  # the synthetic latencies do reorder some quotes


def test_from_frame_sorts_by_receipt_and_handles_an_empty_cut(stream):
    shuffled = stream.sample(frac=1.0, random_state=3)
    for a, b in zip(QuoteMatrix.from_frame(shuffled).block(), QuoteMatrix.from_frame(stream).block()):
        np.testing.assert_array_equal(a, b)
    empty = QuoteMatrix.from_frame(stream, as_of="2019-12-31")
    assert len(empty) == 0 and empty.as_of is None and empty.symbols == ()


def test_naive_timestamps_are_utc_and_the_quote_is_normalised():
    q = Quote("2024-03-13 11:10:45", pd.Timestamp("2024-03-13 12:10:45.5", tz="Europe/Berlin"), "binance", "BTC/USDT",
              73369, 73369.5, 1, 2, 0.001)
    assert str(q.timestamp_exchange.tz) == "UTC" and q.received_ns - q.exchange_ns == 500_000_000
    assert isinstance(q.bid, float) and isinstance(q.bid_size, float)


def test_scanning_before_the_latest_receipt_is_refused():
    matrix = QuoteMatrix()
    matrix.update(quote("BTC", "a", 100.0, 100.1))
    with pytest.raises(ValidationError) as caught:
        matrix.table(as_of=AS_OF - 10_000_000)
    assert caught.value.field == "as_of"
    with pytest.raises(ValidationError) as caught:
        QuoteMatrix().table()
    assert caught.value.field == "as_of"


# --- bad quotes: each rule names its field -------------------------------------------------

GOOD = quote("BTC", "a", 100.0, 100.1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bid", 0.0), ("bid", -1.0), ("ask", 100.0), ("ask", 99.0), ("bid", math.nan), ("ask", math.inf),
        ("bid_size", -0.1), ("ask_size", math.nan), ("taker_fee", 1.0), ("taker_fee", -0.001), ("bid", "100"),
        ("venue", ""), ("symbol", None), ("timestamp_exchange", "not a time"), ("timestamp_received", pd.NaT),
    ],
)
def test_a_bad_quote_names_its_field(field, value):
    with pytest.raises(ValidationError) as caught:
        Quote.from_mapping({**GOOD, field: value})
    assert caught.value.field == field


def test_a_venue_cannot_cross_its_own_book():
    # a crossed (bid > ask) or locked (bid == ask) book on one venue is bad data, not an opportunity
    for ask in (99.9, 100.0):
        with pytest.raises(ValidationError, match="cannot be crossed") as caught:
            QuoteMatrix().update({**GOOD, "ask": ask})
        assert caught.value.field == "ask"


def test_receipt_before_the_exchange_stamp_is_refused():
    with pytest.raises(ValidationError) as caught:
        Quote.from_mapping({**GOOD, "timestamp_received": GOOD["timestamp_exchange"] - pd.Timedelta("1ms")})
    assert caught.value.field == "timestamp_received"


def test_a_mapping_without_every_column_is_refused():
    with pytest.raises(ValidationError, match="taker_fee") as caught:
        QuoteMatrix().update({k: v for k, v in GOOD.items() if k != "taker_fee"})
    assert caught.value.field == "quote"
    with pytest.raises(ValidationError):
        Quote.from_mapping([1, 2, 3])


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("ask", 50.0, "quotes.ask"), ("bid", -5.0, "quotes.bid"), ("bid_size", -1.0, "quotes.bid_size"),
        ("taker_fee", 1.5, "quotes.taker_fee"), ("bid", math.nan, "quotes.bid"), ("venue", "", "quotes.venue"),
        ("timestamp_exchange", pd.NaT, "quotes.timestamp_exchange"),
        ("timestamp_received", pd.Timestamp("2019-01-01", tz="UTC"), "quotes.timestamp_received"),
    ],
)
def test_a_bad_frame_names_the_column(stream, column, value, field):
    bad = stream.head(50).copy()
    bad[column] = bad[column].astype(object)
    bad.loc[bad.index[7], column] = value
    if column not in ("venue", "timestamp_exchange", "timestamp_received"):
        bad[column] = bad[column].astype(float)
    with pytest.raises(ValidationError) as caught:
        QuoteMatrix.from_frame(bad)
    assert caught.value.field == field


def test_a_frame_without_the_columns_or_not_a_frame_is_refused(stream):
    with pytest.raises(ValidationError, match="taker_fee") as caught:
        QuoteMatrix.from_frame(stream.drop(columns="taker_fee"))
    assert caught.value.field == "quotes"
    with pytest.raises(ValidationError) as caught:
        QuoteMatrix.from_frame(stream.to_dict("records"))
    assert caught.value.field == "quotes"
    with pytest.raises(ValidationError) as caught:
        QuoteMatrix.from_frame(stream.head(5).assign(bid="x"))
    assert caught.value.field == "quotes.bid"


# --- ccxt tickers ---------------------------------------------------------------------------

TICKER = {"symbol": "BTC/USDT", "bid": 73369.83, "ask": 73369.84, "bidVolume": 6.27086, "askVolume": 0.03321,
          "timestamp": 1710328245391}


def test_quote_from_a_ccxt_ticker():
    q = Quote.from_ccxt_ticker("binance", TICKER, taker_fee=0.001, received_at=pd.Timestamp(1710328245431, unit="ms"))
    assert (q.symbol, q.venue, q.bid, q.ask, q.bid_size, q.ask_size, q.taker_fee) == (
        "BTC/USDT", "binance", 73369.83, 73369.84, 6.27086, 0.03321, 0.001)
    assert q.received_ns - q.exchange_ns == 40_000_000  # 40 ms feed latency
    # no ticker timestamp (kraken, gate): the receipt time stands in, latency 0
    bare = Quote.from_ccxt_ticker("kraken", {**TICKER, "timestamp": None, "bidVolume": None, "askVolume": None},
                                  taker_fee=0.0026, received_at="2024-03-13 11:10:50Z", default_size=0.5)
    assert bare.exchange_ns == bare.received_ns and bare.bid_size == bare.ask_size == 0.5


@pytest.mark.parametrize(("key", "field"), [("bid", "ticker.bid"), ("symbol", "ticker.symbol"),
                                            ("askVolume", "ticker.askVolume")])
def test_a_ccxt_ticker_without_what_we_need_is_refused(key, field):
    with pytest.raises(ValidationError) as caught:
        Quote.from_ccxt_ticker("binance", {**TICKER, key: None}, taker_fee=0.001, received_at="2024-03-13")
    assert caught.value.field == field
