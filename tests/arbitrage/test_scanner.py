"""The snapshot scanner: hand-computed eq. 7 / eq. 8, exact agreement with a pair-by-pair loop, the filters."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from quantlib_local.arbitrage import (
    OPPORTUNITY_COLUMNS,
    ArbitrageConfig,
    QuoteMatrix,
    opportunities_frame,
    scan,
    scan_quotes,
)
from quantlib_local.data.synthetic import multi_venue_quotes
from quantlib_local.exceptions import ValidationError
from tests.arbitrage._reference import AS_OF, brute_force, matrix_of, quote

FIELDS = ("buy_price", "sell_price", "quantity", "notional", "gross_edge", "fees", "net_edge", "expected_profit",
          "liquidity_score", "execution_time_s", "risk_factor", "priority", "latency_ms", "quote_age_ms")


def test_hand_computed_scan():
    # venue a: bid 99.90 / ask 100.00 (sizes 5 / 30, fee 0.1 %), age 40 ms, latency 20 ms
    # venue b: bid 100.50 / ask 100.60 (sizes 12 / 5, fee 0.1 %), age 35 ms, latency 30 ms
    # venue c: bid 99.95 / ask 100.05, but 150 ms old: stale, left out
    matrix = matrix_of(
        quote("X", "a", 99.90, 100.00, bid_size=5, ask_size=30, fee=0.001, age_ms=40, latency_ms=20),
        quote("X", "b", 100.50, 100.60, bid_size=12, ask_size=5, fee=0.001, age_ms=35, latency_ms=30),
        quote("X", "c", 99.95, 100.05, bid_size=50, ask_size=50, fee=0.0, age_ms=150, latency_ms=20),
    )
    result = scan(matrix, ArbitrageConfig(), as_of=AS_OF)
    assert (result.n_quotes, result.n_stale, result.stale, result.n_pairs) == (3, 1, (("X", "c"),), 2)
    (opp,) = result.opportunities
    # buy a at 100.00, sell b at 100.50: gross 0.005, fees 0.002, slippage 0.0005, net 0.0025
    # quantity min(30, 12) = 12, notional 1200, profit 3.0
    # liquidity 1200 / (1200 + 10,000) = 0.107143; execution (2 x 30 + 50) / 1000 = 0.11 s
    # risk 1 + 40 / 100 = 1.4; priority 3.0 x 0.107143 / (0.11 x 1.4) = 2.0871985
    assert (opp.symbol, opp.buy_venue, opp.sell_venue) == ("X", "a", "b")
    assert (opp.buy_price, opp.sell_price, opp.quantity, opp.notional) == (100.0, 100.5, 12.0, 1200.0)
    assert opp.gross_edge == pytest.approx(0.005, rel=1e-12) and opp.fees == pytest.approx(0.002, rel=1e-12)
    assert opp.slippage == 0.0005 and opp.net_edge == pytest.approx(0.0025, rel=1e-12)
    assert opp.expected_profit == pytest.approx(3.0, rel=1e-12)
    assert opp.liquidity_score == pytest.approx(1200 / 11_200, rel=1e-12)
    assert opp.execution_time_s == pytest.approx(0.11, rel=1e-12) and opp.risk_factor == pytest.approx(1.4)
    assert opp.priority == pytest.approx(2.0871985, rel=1e-7)
    assert opp.latency_ms == pytest.approx(30) and opp.quote_age_ms == pytest.approx(40)
    assert opp.detected_at == pd.Timestamp(AS_OF, unit="ns", tz="UTC")
    # the reverse direction (buy b at 100.60, sell a at 99.90) loses: not reported
    assert opp.key == ("X", "a", "b")


def test_the_frame_has_exactly_the_store_columns():
    matrix = matrix_of(quote("X", "a", 99.9, 100.0, ask_size=30, bid_size=30),
                       quote("X", "b", 100.5, 100.6, ask_size=30, bid_size=30))
    frame = scan(matrix, as_of=AS_OF).frame()
    assert tuple(frame.columns) == OPPORTUNITY_COLUMNS == (
        "detected_at", "symbol", "buy_venue", "sell_venue", "buy_price", "sell_price", "quantity",
        "gross_edge", "net_edge", "expected_profit", "priority", "latency_ms")
    assert len(frame) == 1 and str(frame["detected_at"].dt.tz) == "UTC"
    assert frame.select_dtypes("number").columns.tolist() == list(OPPORTUNITY_COLUMNS[4:])
    empty = opportunities_frame([])
    assert tuple(empty.columns) == OPPORTUNITY_COLUMNS and len(empty) == 0
    assert str(empty["detected_at"].dtype) == "datetime64[ns, UTC]" and empty["priority"].dtype == np.float64
    full = scan(matrix, as_of=AS_OF).frame(full=True)
    assert {"notional", "fees", "liquidity_score", "risk_factor", "quote_age_ms"} <= set(full.columns)


def _random_case(seed: int) -> tuple[QuoteMatrix, ArbitrageConfig]:
    rng = np.random.default_rng(seed)
    n_symbols, n_venues = int(rng.integers(1, 5)), int(rng.integers(2, 8))
    rows = []
    for s in range(n_symbols):
        level = 100.0 * 10 ** rng.uniform(0, 3)
        for v in range(n_venues):
            if rng.random() < 0.1:
                continue  # this venue does not list the symbol
            mid = level * (1 + 0.003 * rng.standard_normal())
            spread = mid * rng.uniform(1e-4, 2e-3)
            age = rng.uniform(0, 150)
            rows.append(quote(f"S{s}", f"V{v}", mid - spread / 2, mid + spread / 2,
                              bid_size=rng.uniform(0, 40) * 100 / level, ask_size=rng.uniform(0, 40) * 100 / level,
                              fee=float(rng.choice([0.0, 0.0002, 0.001, 0.0025])), age_ms=age,
                              latency_ms=rng.uniform(0, age)))
    config = ArbitrageConfig(
        min_profit=rng.uniform(0, 0.003), max_slippage=rng.uniform(0, 0.001), min_volume_usd=rng.uniform(100, 3000),
        max_quote_age_ms=float(rng.choice([50.0, 100.0, 120.0])), execution_timeout_s=float(rng.choice([5.0, 0.12])),
    )
    return matrix_of(*rows), config


@pytest.mark.parametrize("seed", range(40))
def test_vectorised_scan_equals_the_pair_by_pair_loop(seed):
    matrix, config = _random_case(seed)
    result = scan(matrix, config, as_of=AS_OF)
    expected = brute_force(matrix, config, AS_OF)
    got = {opp.key: opp for opp in result.opportunities}
    assert got.keys() == expected.keys()
    for key, fields in expected.items():
        assert {name: getattr(got[key], name) for name in FIELDS} == fields  # exactly, not approximately
    assert all(opp.buy_venue != opp.sell_venue for opp in result.opportunities)
    priorities = [opp.priority for opp in result.opportunities]
    assert priorities == sorted(priorities, reverse=True)
    table = matrix.table(as_of=AS_OF, config=config)
    assert result.n_stale == int((~table["fresh"]).sum())


def test_random_cases_exercise_every_filter():
    # guard for the test above: across its seeds opportunities are found, and each filter alone rejects
    # pairs that pass every other filter (so the agreement covers every rule)
    relax = {"min_profit": {"min_profit": 0.0}, "min_volume_usd": {"min_volume_usd": 1e-9},
             "execution_timeout_s": {"execution_timeout_s": 1e9},
             "max_quote_age_ms": {"max_quote_age_ms": 86_400_000.0}}
    found, rejected_only_by = 0, dict.fromkeys(relax, 0)
    for seed in range(40):
        matrix, config = _random_case(seed)
        strict = len(brute_force(matrix, config, AS_OF))
        found += strict
        for name, change in relax.items():
            rejected_only_by[name] += len(brute_force(matrix, dataclasses.replace(config, **change), AS_OF)) - strict
    assert found > 20
    assert all(count > 5 for count in rejected_only_by.values()), rejected_only_by


def test_no_self_pairs_even_with_free_trading():
    # zero fees, zero slippage, zero threshold: still never buy and sell on the same venue
    config = ArbitrageConfig(min_profit=0.0, max_slippage=0.0, min_volume_usd=1e-9)
    matrix = matrix_of(*(quote("X", f"v{k}", 100.0 + 0.01 * k, 100.02 + 0.01 * k, fee=0.0) for k in range(6)))
    result = scan(matrix, config, as_of=AS_OF)
    assert len(result) > 0
    assert all(o.buy_venue != o.sell_venue for o in result.opportunities)
    assert result.n_pairs == 6 * 5


def test_each_filter_on_its_boundary():
    base = dict(fee=0.0, age_ms=10, latency_ms=5)
    # gross (100.2 - 100) / 100 = 0.002; slippage 0.0005; min_profit 0.0015: net 0.0015 is kept (>=)
    a, b = quote("X", "a", 99.9, 100.0, ask_size=10, **base), quote("X", "b", 100.2, 100.3, bid_size=10, **base)
    config = ArbitrageConfig(min_profit=0.0015, min_volume_usd=1000.0)  # notional 10 x 100 = 1000 is kept (>=)
    result = scan(matrix_of(a, b), config, as_of=AS_OF)
    assert [o.key for o in result.opportunities] == [("X", "a", "b")]
    assert result.opportunities[0].net_edge == pytest.approx(0.0015)
    assert len(scan(matrix_of(a, b), dataclasses.replace(config, min_profit=0.0016), as_of=AS_OF)) == 0
    assert len(scan(matrix_of(a, b), dataclasses.replace(config, min_volume_usd=1000.01), as_of=AS_OF)) == 0
    # execution time (2 x 5 + 50) / 1000 = 0.06 s
    assert len(scan(matrix_of(a, b), dataclasses.replace(config, execution_timeout_s=0.059), as_of=AS_OF)) == 0
    # age: 10 ms now; at as_of + 90 ms exactly at the limit (kept), 1 ns later stale
    assert len(scan(matrix_of(a, b), config, as_of=AS_OF + 90_000_000)) == 1
    late = scan(matrix_of(a, b), config, as_of=AS_OF + 90_000_001)
    assert len(late) == 0 and late.n_stale == 2


def test_priority_moves_with_each_factor_in_the_scan():
    def priority(**changes) -> float:
        buy = dict(bid_size=1, ask_size=20, age_ms=20, latency_ms=10) | {k[4:]: v for k, v in changes.items()
                                                                        if k.startswith("buy_")}
        matrix = matrix_of(quote("X", "a", 99.9, 100.0, **buy),
                           quote("X", "b", 100.5, 100.6, bid_size=changes.get("sell_size", 20), age_ms=20,
                                 latency_ms=10))
        (opp,) = scan(matrix, ArbitrageConfig(), as_of=AS_OF).opportunities
        return opp.priority

    base = priority()
    assert priority(sell_size=30, buy_ask_size=30) > base  # more size: more profit and liquidity
    assert priority(buy_latency_ms=15) < base  # slower venue: longer execution
    assert priority(buy_age_ms=60) < base  # older quote: more risk


def test_scan_quotes_equals_scan_of_the_matrix():
    quotes = multi_venue_quotes(["BTC", "ETH"], ["binance", "okx", "kraken"], 800, seed=4, tick_interval_ms=50,
                                s0={"BTC": 60_000.0, "ETH": 3_000.0}).assign(taker_fee=0.0)
    config = ArbitrageConfig(min_profit=0.0, max_slippage=0.0)
    for k in (500, 1500, 4000):
        at = quotes["timestamp_received"].iloc[k]
        one = scan_quotes(quotes, config, as_of=at)
        other = scan(QuoteMatrix.from_frame(quotes, as_of=at), config, as_of=at)
        assert one == other


def test_bad_input_names_its_field():
    with pytest.raises(ValidationError) as caught:
        scan(pd.DataFrame())
    assert caught.value.field == "matrix"
    with pytest.raises(ValidationError) as caught:
        scan(matrix_of(quote("X", "a", 1.0, 1.1)), {"min_profit": 0.001})
    assert caught.value.field == "config"
    with pytest.raises(ValidationError) as caught:
        opportunities_frame([{"symbol": "X"}])
    assert caught.value.field == "opportunities"
