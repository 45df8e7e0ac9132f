"""Which (buy venue, sell venue) pairs are opportunities: eq. 7 plus the filters, on broadcast legs.

Hand-written as the single place where the filters live, shared by the snapshot scan, the
vectorised replay and the tick-by-tick tracker (see :mod:`~quantlib_local.arbitrage.edges`
for why one kernel). A pair is an opportunity when both quotes are present and fresh at
``now``, the venues differ, ``net_edge >= min_profit``, ``notional >= min_volume_usd`` and
the execution time of eq. 8 is within ``execution_timeout_s``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from quantlib_local._typing import Float64Array
from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.arbitrage.edges import PairEdges, execution_time_s, pair_edges
from quantlib_local.arbitrage.quote_matrix import MatrixBlock


class PairCheck(NamedTuple):
    """Eq. 7, latency, age and the verdict for every pair the legs broadcast to."""

    edges: PairEdges
    latency_ms: Float64Array
    quote_age_ms: Float64Array
    execution_time_s: Float64Array
    valid: np.ndarray
    expiry_ns: np.ndarray


def check_pairs(buy: MatrixBlock, sell: MatrixBlock, now_ns: np.ndarray | int, distinct: np.ndarray | bool,
                config: ArbitrageConfig) -> PairCheck:
    """Evaluate buying on ``buy``'s venue at its ask and selling on ``sell``'s venue at its bid.

    ``now_ns`` is the scan time (broadcast like the legs); ``distinct`` marks pairs of two
    different venues. ``expiry_ns`` is the last instant at which both quotes are still fresh.
    """
    edges = pair_edges(buy.ask, buy.ask_size, buy.taker_fee, sell.bid, sell.bid_size, sell.taker_fee,
                       config.max_slippage)
    latency = np.maximum((buy.received_ns - buy.exchange_ns) / 1e6, (sell.received_ns - sell.exchange_ns) / 1e6)
    age_buy, age_sell = now_ns - buy.exchange_ns, now_ns - sell.exchange_ns
    max_age = config.max_quote_age_ns
    execution = execution_time_s(latency, config.price_update_interval_ms)
    valid = (  # absent cells hold NaN prices, which fail every comparison; `present` says so explicitly
        buy.present & sell.present & distinct & (age_buy <= max_age) & (age_sell <= max_age)
        & (edges.net_edge >= config.min_profit) & (edges.notional >= config.min_volume_usd)
        & (execution <= config.execution_timeout_s)
    )
    return PairCheck(
        edges, latency, np.maximum(age_buy / 1e6, age_sell / 1e6), execution, valid,
        np.minimum(buy.exchange_ns, sell.exchange_ns) + max_age,
    )


def legs(block: MatrixBlock, axis: int) -> MatrixBlock:
    """``block`` (``(..., n_venues)`` arrays) with a new axis so that venues run along ``axis`` of a pair grid.

    ``axis=-2``: the buy side of a ``(..., buy venue, sell venue)`` grid; ``axis=-1``: the sell side.
    """
    return MatrixBlock(*(np.expand_dims(array, -1 if axis == -2 else -2) for array in block))
