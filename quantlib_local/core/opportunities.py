"""The frame contract of arbitrage opportunities, shared by the scanner, the store and the monitor.

``quantlib_local.arbitrage`` produces frames with exactly these columns, the ``arbitrage_opportunities``
table stores them and the live monitor shows them; keeping the names here (layer 1) lets all three
agree without importing one another.
"""

from __future__ import annotations

OPPORTUNITY_COLUMNS: tuple[str, ...] = (
    "detected_at",
    "symbol",
    "buy_venue",
    "sell_venue",
    "buy_price",
    "sell_price",
    "quantity",
    "gross_edge",
    "net_edge",
    "expected_profit",
    "priority",
    "latency_ms",
)
"""Columns of an opportunities frame, in order.

``detected_at`` is a UTC timestamp; ``buy_price`` is the ask paid on ``buy_venue`` and ``sell_price``
the bid received on ``sell_venue``; ``quantity`` is in base units; ``gross_edge`` and ``net_edge`` are
decimal fractions of the buy price (design eq. 7, before and after fees and slippage);
``expected_profit`` is in the quote currency; ``priority`` is design eq. 8; ``latency_ms`` is the feed
latency of the slower leg (receipt minus exchange timestamp), milliseconds.
"""

OPPORTUNITY_TEXT_COLUMNS: tuple[str, ...] = ("symbol", "buy_venue", "sell_venue")
"""The text columns of :data:`OPPORTUNITY_COLUMNS`; every other column but ``detected_at`` is a float."""
