"""A pure-Python, pair-by-pair reading of design eq. 7 and our eq. 8, for checking the vectorised scanner.

Written from the formulas in ``quantlib_local/arbitrage/edges.py`` and the filters in
``ArbitrageConfig``'s docstring, one pair at a time with plain floats and integer nanoseconds;
it reads the matrix only through its public ``table()``.
"""

from __future__ import annotations

import pandas as pd

from quantlib_local.arbitrage import ArbitrageConfig, QuoteMatrix


def brute_force(matrix: QuoteMatrix, config: ArbitrageConfig, as_of_ns: int) -> dict[tuple[str, str, str], dict]:
    """Every opportunity as ``{(symbol, buy_venue, sell_venue): fields}``."""
    table = matrix.table(as_of=as_of_ns, config=config)
    max_age_ns = round(config.max_quote_age_ms * 1_000_000)
    found = {}
    rows = table.to_dict("records")
    for buy in rows:
        for sell in rows:
            if buy["symbol"] != sell["symbol"] or buy["venue"] == sell["venue"]:
                continue
            exch_buy, exch_sell = buy["timestamp_exchange"].value, sell["timestamp_exchange"].value
            recv_buy, recv_sell = buy["timestamp_received"].value, sell["timestamp_received"].value
            age_buy, age_sell = as_of_ns - exch_buy, as_of_ns - exch_sell
            if age_buy > max_age_ns or age_sell > max_age_ns:
                continue
            gross = (sell["bid"] - buy["ask"]) / buy["ask"]
            fees = buy["taker_fee"] + sell["taker_fee"]
            net = gross - fees - config.max_slippage
            quantity = min(buy["ask_size"], sell["bid_size"])
            notional = quantity * buy["ask"]
            latency = max((recv_buy - exch_buy) / 1e6, (recv_sell - exch_sell) / 1e6)
            execution = (2.0 * latency + config.price_update_interval_ms) / 1000.0
            if net < config.min_profit or notional < config.min_volume_usd or execution > config.execution_timeout_s:
                continue
            profit = net * notional
            liquidity = notional / (notional + config.liquidity_scale_usd)
            age = max(age_buy / 1e6, age_sell / 1e6)
            risk = 1.0 + age / config.max_quote_age_ms
            found[(buy["symbol"], buy["venue"], sell["venue"])] = {
                "buy_price": buy["ask"], "sell_price": sell["bid"], "quantity": quantity, "notional": notional,
                "gross_edge": gross, "fees": fees, "net_edge": net, "expected_profit": profit,
                "liquidity_score": liquidity, "execution_time_s": execution, "risk_factor": risk,
                "priority": profit * liquidity / (execution * risk), "latency_ms": latency, "quote_age_ms": age,
            }
    return found


AS_OF = 1_700_000_000_000_000_000  # 2023-11-14 22:13:20 UTC, in nanoseconds


def quote(symbol: str, venue: str, bid: float, ask: float, *, bid_size: float = 1.0, ask_size: float = 1.0,
          fee: float = 0.0, age_ms: float = 10.0, latency_ms: float = 5.0, as_of_ns: int = AS_OF) -> dict:
    """A quote row (``QUOTE_COLUMNS`` keys) whose exchange stamp is ``age_ms`` before ``as_of_ns``."""
    exchange = as_of_ns - round(age_ms * 1e6)
    received = exchange + round(latency_ms * 1e6)
    return {
        "timestamp_exchange": pd.Timestamp(exchange, unit="ns", tz="UTC"),
        "timestamp_received": pd.Timestamp(received, unit="ns", tz="UTC"),
        "venue": venue, "symbol": symbol, "bid": bid, "ask": ask,
        "bid_size": bid_size, "ask_size": ask_size, "taker_fee": fee,
    }


def matrix_of(*rows: dict) -> QuoteMatrix:
    """A quote matrix holding ``rows`` (updated in the given order)."""
    matrix = QuoteMatrix()
    for row in rows:
        matrix.update(row)
    return matrix


def at(ms: float, symbol: str, venue: str, bid: float, ask: float, *, latency_ms: float = 5.0, **sizes) -> dict:
    """A quote received ``ms`` after AS_OF (exchange stamp ``latency_ms`` earlier), fee 0, sizes 10 unless given."""
    received = AS_OF + round(ms * 1_000_000)
    return quote(symbol, venue, bid, ask, fee=0.0, age_ms=latency_ms, latency_ms=latency_ms, as_of_ns=received,
                 **({"bid_size": 10.0, "ask_size": 10.0} | sizes))


def stamp(ms: float) -> pd.Timestamp:
    """The UTC time ``ms`` after AS_OF."""
    return pd.Timestamp(AS_OF + round(ms * 1_000_000), unit="ns", tz="UTC")
