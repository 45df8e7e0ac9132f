"""Core records: validation and average-cost position accounting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from quantlib_local.core import (
    Fill,
    Instrument,
    Order,
    OrderSide,
    OrderType,
    Position,
    Signal,
)
from quantlib_local.exceptions import ValidationError

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _fill(side: str, quantity: float, price: float, fee: float = 0.0) -> Fill:
    return Fill("c1", "BTC/USDT", side, quantity, price, fee, NOW)  # type: ignore[arg-type]


def test_position_average_cost_and_realised_pnl():
    position = Position("BTC/USDT")
    position.apply(_fill("buy", 1, 100)).apply(_fill("buy", 1, 110))
    assert position.quantity == 2 and position.average_price == pytest.approx(105)
    position.apply(_fill("sell", 1.5, 120, fee=1.0))
    assert position.quantity == pytest.approx(0.5)
    assert position.realized_pnl == pytest.approx(1.5 * 15 - 1.0)
    position.apply(_fill("sell", 1.5, 100))  # flips to short 1 at 100
    assert position.quantity == pytest.approx(-1.0) and position.average_price == 100
    assert position.realized_pnl == pytest.approx(22.5 - 1.0 + 0.5 * -5)
    position.apply(_fill("buy", 1, 90))
    assert position.quantity == 0 and position.average_price == 0
    assert position.realized_pnl == pytest.approx(19.0 + 10)


@pytest.mark.parametrize("kwargs,field", [
    ({"quantity": 0}, "quantity"),
    ({"side": "hold"}, "side"),
    ({"order_type": "limit"}, "limit_price"),
    ({"order_type": "stop"}, "stop_price"),
    ({"order_type": "trailing_stop", "trail_percent": 2}, "trail_percent"),
    ({"created_at": datetime(2024, 1, 1)}, "created_at"),
    ({"created_at": datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))}, "created_at"),
    ({"client_order_id": ""}, "client_order_id"),
])
def test_order_validation_names_the_field(kwargs, field):
    arguments = {"client_order_id": "c1", "symbol": "BTC/USDT", "side": "buy", "quantity": 1.0, "created_at": NOW}
    arguments.update(kwargs)
    with pytest.raises(ValidationError, match=field):
        Order(**arguments)


def test_valid_orders_of_every_type():
    assert Order("c1", "X", OrderSide.BUY, 1, NOW).order_type is OrderType.MARKET
    assert Order("c2", "X", "sell", 1, NOW, order_type="limit", limit_price=10).side is OrderSide.SELL
    assert Order("c3", "X", "sell", 1, NOW, order_type="trailing_stop", trail_percent=0.02).trail_percent == 0.02


@pytest.mark.parametrize("kwargs,field", [({"price": 0}, "price"), ({"quantity": -1}, "quantity"), ({"fee": -1}, "fee")])
def test_fill_validation(kwargs, field):
    arguments = {"client_order_id": "c1", "symbol": "X", "side": "buy", "quantity": 1.0, "price": 1.0, "fee": 0.0, "timestamp": NOW}
    arguments.update(kwargs)
    with pytest.raises(ValidationError, match=field):
        Fill(**arguments)


def test_signal_and_instrument_validation():
    with pytest.raises(ValidationError, match="target"):
        Signal("X", NOW, 1.5)
    with pytest.raises(ValidationError, match="symbol"):
        Instrument("", "binance")
    with pytest.raises(ValidationError, match="asset_class"):
        Instrument("X", "binance", asset_class="bonds")  # type: ignore[arg-type]
    assert Instrument("AAPL", "bundled", asset_class="equity").key == "bundled:AAPL"  # type: ignore[arg-type]
