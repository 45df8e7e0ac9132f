"""The arithmetic of design eq. 7 (net edge of a venue pair) and eq. 8 (priority), on arrays.

Hand-written because it is the one kernel shared by the snapshot scan
(:func:`~quantlib_local.arbitrage.scanner.scan`, symbols x venues x venues at once), the
vectorised replay (events x venues x venues) and the tick-by-tick tracker (one venue
against the others): every path evaluates the same element-wise expressions in the same
order, so they agree to the last bit, and a pure-Python loop over pairs reproduces them
exactly.

Eq. 7, buying on venue ``j`` at its ask and selling on venue ``i`` at its bid::

    gross_edge = (bid_i - ask_j) / ask_j
    fees       = fee_j + fee_i                      (taker fees, both legs take liquidity)
    net_edge   = gross_edge - fees - slippage
    quantity   = min(ask_size_j, bid_size_i)        (base units, top of book)
    notional   = quantity * ask_j                   (quote currency, read as USD)
    expected_profit = net_edge * notional

Eq. 8, ``priority = expected_profit x liquidity_score / (execution_time x risk_factor)``:
the design names the four factors but defines only the first. Our definitions:

* ``liquidity_score = notional / (notional + liquidity_scale_usd)``: in (0, 1), rising with
  the executable size and saturating (1/2 at ``liquidity_scale_usd``): a book that can
  absorb more is likelier to still be there when our orders land;
* ``execution_time_s = (2 x latency_ms + price_update_interval_ms) / 1000``: both legs are
  sent at once, so the slower venue sets the pace; an order needs a round trip (twice the
  one-way feed latency of the slower leg) and we learn the outcome at the next book update;
* ``risk_factor = 1 + quote_age_ms / max_quote_age_ms``: the older the quotes we act on,
  the likelier the book has moved; a quote at the freshness limit doubles the risk.

Each factor is a public function, monotone in its input, so the ranking is testable.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from quantlib_local._typing import Float64Array


class PairEdges(NamedTuple):
    """Eq. 7 for every (buy venue, sell venue) pair the inputs broadcast to."""

    gross_edge: Float64Array
    fees: Float64Array
    net_edge: Float64Array
    quantity: Float64Array
    notional: Float64Array
    expected_profit: Float64Array


def pair_edges(
    ask_buy: Float64Array,
    ask_size_buy: Float64Array,
    fee_buy: Float64Array,
    bid_sell: Float64Array,
    bid_size_sell: Float64Array,
    fee_sell: Float64Array,
    slippage: float,
) -> PairEdges:
    """Eq. 7 element-wise (see the module docstring); inputs broadcast against each other."""
    gross = (bid_sell - ask_buy) / ask_buy
    fees = fee_buy + fee_sell
    net = gross - fees - slippage
    quantity = np.minimum(ask_size_buy, bid_size_sell)
    notional = quantity * ask_buy
    return PairEdges(gross, fees, net, quantity, notional, net * notional)


def liquidity_score(notional: Float64Array | float, scale_usd: float) -> Float64Array:
    """``notional / (notional + scale_usd)``: 0 for no size, 1/2 at ``scale_usd``, towards 1 beyond."""
    return np.asarray(notional / (notional + scale_usd), dtype=np.float64)


def execution_time_s(latency_ms: Float64Array | float, price_update_interval_ms: float) -> Float64Array:
    """``(2 x latency_ms + price_update_interval_ms) / 1000``: round trip of the slower leg plus one book update."""
    return np.asarray((2.0 * latency_ms + price_update_interval_ms) / 1000.0, dtype=np.float64)


def risk_factor(quote_age_ms: Float64Array | float, max_quote_age_ms: float) -> Float64Array:
    """``1 + quote_age_ms / max_quote_age_ms``: 1 for a brand-new quote, 2 at the freshness limit."""
    return np.asarray(1.0 + quote_age_ms / max_quote_age_ms, dtype=np.float64)


def priority_score(
    expected_profit: Float64Array | float,
    liquidity: Float64Array | float,
    execution_time: Float64Array | float,
    risk: Float64Array | float,
) -> Float64Array:
    """Eq. 8: ``expected_profit x liquidity / (execution_time x risk)``."""
    return np.asarray(expected_profit * liquidity / (execution_time * risk), dtype=np.float64)
