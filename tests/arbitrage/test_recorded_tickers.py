"""The scanner on REAL recorded BTC/USDT tickers of several exchanges (ccxt's own test fixtures).

``shared/data/ccxt_static`` (see its MANIFEST.md) holds exchange responses recorded by the ccxt
project together with the unified ticker ccxt parsed from each (``parsedResponse``), and the
market files with each exchange's BTC/USDT taker fee. The "public spot ticker" cases of
binance, okx, bitget, htx, mexc, bingx, cryptocom, gemini and bitstamp carry timestamps within
ten seconds of each other (2024-03-13 11:10:41-51 UTC); kraken's and gate's carry none but quote
the same price level (73,364-73,381), so they were recorded in the same session. Only cases that
replay and match under ccxt 4.5.90 (``replay_ok.json``) are used. The recordings hold no receipt
times: each quote is taken as received at its own exchange timestamp (latency 0), and the scan
runs at the latest timestamp with a 10 s freshness limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantlib_local.arbitrage import ArbitrageConfig, Quote, QuoteMatrix, pair_edges, scan
from tests.arbitrage._reference import brute_force

SNAPSHOT_MS = (1710328241000, 1710328251172)  # first and last recorded timestamp of the session
WITH_SIZES = ("binance", "okx", "bitget", "htx", "mexc", "bingx")  # report bidVolume / askVolume


@pytest.fixture(scope="module")
def tickers(shared_data: Path) -> dict[str, tuple[dict, float]]:
    """exchange -> (ccxt's parsed BTC/USDT ticker, the exchange's BTC/USDT taker fee)."""
    root = shared_data / "ccxt_static"
    out = {}
    for case in json.loads((root / "replay_ok.json").read_text()):
        if case["method"] != "fetchTicker" or case["description"] != "public spot ticker":
            continue
        recorded = json.loads((root / "response" / f"{case['exchange']}.json").read_text())
        ticker = recorded["methods"]["fetchTicker"][case["index"]]["parsedResponse"]
        stamp = ticker["timestamp"]
        if ticker["symbol"] != "BTC/USDT" or (stamp is not None and not SNAPSHOT_MS[0] <= stamp <= SNAPSHOT_MS[1]):
            continue
        markets = json.loads((root / "markets" / f"{case['exchange']}.json").read_text())
        out[case["exchange"]] = (ticker, markets["BTC/USDT"]["taker"])
    assert set(out) == {*WITH_SIZES, "kraken", "gate", "cryptocom", "gemini", "bitstamp"}, sorted(out)
    return out


def _matrix(tickers: dict, venues, *, fees: bool, default_size: float | None = None) -> QuoteMatrix:
    snapshot = pd.Timestamp(SNAPSHOT_MS[1], unit="ms", tz="UTC")
    matrix = QuoteMatrix()
    for venue in venues:
        ticker, fee = tickers[venue]
        received = snapshot if ticker["timestamp"] is None else pd.Timestamp(ticker["timestamp"], unit="ms", tz="UTC")
        matrix.update(Quote.from_ccxt_ticker(venue, ticker, taker_fee=fee if fees else 0.0, received_at=received,
                                             default_size=default_size))
    return matrix


AS_OF = pd.Timestamp(SNAPSHOT_MS[1], unit="ms", tz="UTC")
AS_OF_NS = AS_OF.value
FRESH_10S = ArbitrageConfig(max_quote_age_ms=10_000)


def test_at_recorded_taker_fees_nothing_survives(tickers):
    matrix = _matrix(tickers, WITH_SIZES, fees=True)
    assert scan(matrix, FRESH_10S, as_of=AS_OF).opportunities == ()
    assert scan(matrix, ArbitrageConfig(max_quote_age_ms=10_000, min_profit=0.0, max_slippage=0.0),
                as_of=AS_OF).opportunities == ()
    # the best net edge of any pair: buy on mexc at 73,369.84 (fee 0.02 %), sell on bingx at 73,371.33 (fee 0.1 %):
    # gross 1.49 / 73,369.84 = 0.0000203; net 0.0000203 - 0.0012 - 0.0005 = -0.0016797. The widest gross cross
    # (htx -> okx, 3.3 bps) pays 0.2 % + 0.15 % in fees: net 0.000329 - 0.0035 - 0.0005 = -0.003671
    block = matrix.block()
    grid = pair_edges(block.ask[0][:, None], block.ask_size[0][:, None], block.taker_fee[0][:, None],
                      block.bid[0][None, :], block.bid_size[0][None, :], block.taker_fee[0][None, :], 0.0005)
    net = np.where(np.eye(len(matrix.venues), dtype=bool), -np.inf, grid.net_edge)
    j, i = np.unravel_index(np.argmax(net), net.shape)
    assert (matrix.venues[j], matrix.venues[i]) == ("mexc", "bingx")
    assert net[j, i] == pytest.approx(1.49 / 73_369.84 - 0.0012 - 0.0005, rel=1e-9)
    assert net[j, i] == pytest.approx(-0.0016797, abs=1e-7)
    htx, okx = matrix.venues.index("htx"), matrix.venues.index("okx")
    assert net[htx, okx] == pytest.approx(24.16 / 73_360.54 - 0.0035 - 0.0005, rel=1e-9)


def test_without_fees_the_recorded_crosses_match_a_hand_count(tickers):
    matrix = _matrix(tickers, WITH_SIZES, fees=False)
    config = ArbitrageConfig(max_quote_age_ms=10_000, min_profit=0.0, max_slippage=0.0)
    result = scan(matrix, config, as_of=AS_OF)
    # a bid above an ask, executable for at least 1,000 USDT (bitget's ask holds 0.002773 BTC = 203 USDT: too small):
    #   buy htx (73,360.54) -> sell okx, bingx, binance, mexc, bitget;
    #   buy binance or mexc (73,369.84) -> sell okx, bingx; buy bingx (73,372.81) -> sell okx
    expected = {("htx", s) for s in ("okx", "bingx", "binance", "mexc", "bitget")} | {
        (b, s) for b in ("binance", "mexc") for s in ("okx", "bingx")} | {("bingx", "okx")}
    assert {(o.buy_venue, o.sell_venue) for o in result.opportunities} == expected
    reference = brute_force(matrix, config, AS_OF_NS)
    for opp in result.opportunities:
        fields = reference[opp.key]
        assert (opp.net_edge, opp.quantity, opp.priority) == (
            fields["net_edge"], fields["quantity"], fields["priority"])
    best = max(result.opportunities, key=lambda o: o.net_edge)
    # buy htx at 73,360.54, sell okx at 73,384.70: 24.16 / 73,360.54 = 0.0003293 (3.3 bps);
    # quantity min(0.566063, 0.0655768) = 0.0655768 BTC, notional 4,810.75 USDT, profit 1.584 USDT
    assert (best.buy_venue, best.sell_venue) == ("htx", "okx")
    assert best.gross_edge == pytest.approx(24.16 / 73_360.54, rel=1e-9)
    assert best.quantity == 0.0655768 and best.notional == pytest.approx(4_810.75, abs=0.01)
    assert best.expected_profit == pytest.approx(1.5844, abs=1e-4)


def test_all_eleven_exchanges_with_an_assumed_size(tickers):
    # five venues report no sizes: assume 1 BTC at the touch there; every fee as recorded
    venues = tuple(sorted(tickers))
    for fees, config in ((True, FRESH_10S), (False, ArbitrageConfig(max_quote_age_ms=10_000, min_profit=0.0,
                                                                     max_slippage=0.0))):
        matrix = _matrix(tickers, venues, fees=fees, default_size=1.0)
        result = scan(matrix, config, as_of=AS_OF)
        assert {o.key for o in result.opportunities} == set(brute_force(matrix, config, AS_OF_NS))
        if fees:
            assert result.opportunities == ()
        else:
            # the widest cross is still htx's ask against okx's bid (kraken bids 73,380.60, below okx's 73,384.70)
            best = max(result.opportunities, key=lambda o: o.gross_edge)
            assert (best.buy_venue, best.sell_venue) == ("htx", "okx")
