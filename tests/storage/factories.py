"""Small builders of valid core records for the store tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from quantlib_local.core import Fill, Order, OrderSide, OrderType

T0 = datetime(2024, 3, 10, 12, 30, 15, 123456, tzinfo=timezone.utc)
"""A fixed UTC time with microseconds, so truncation would show."""


def make_order(client_order_id: str = "qlab-btc-0001", **changes: object) -> Order:
    """A valid BTC/USDT limit-buy intent on binance, with ``changes`` applied."""
    fields: dict[str, object] = {
        "client_order_id": client_order_id,
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "quantity": 0.015,
        "created_at": T0,
        "order_type": OrderType.LIMIT,
        "limit_price": 61_234.5,
        "venue": "binance",
    }
    fields.update(changes)
    return Order(**fields)  # type: ignore[arg-type]


def make_fill(order: Order, trade_id: str | None = "t-1", **changes: object) -> Fill:
    """A valid fill of ``order`` one second after it was created."""
    fields: dict[str, object] = {
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "quantity": order.quantity,
        "price": 61_230.25,
        "fee": 0.0123,
        "timestamp": order.created_at + timedelta(seconds=1),
        "venue": order.venue,
        "fee_currency": "USDT",
        "trade_id": trade_id,
    }
    fields.update(changes)
    return Fill(**fields)  # type: ignore[arg-type]
