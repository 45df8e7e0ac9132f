"""UTC timestamps and float64 money round-trip exactly on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from quantlib_local.core import OrderSide, OrderStatus, OrderType
from quantlib_local.storage import OrderRow, session_scope

INDIA = timezone(timedelta(hours=5, minutes=30))


def _order_row(client_order_id: str, created_at: datetime, **changes: object) -> OrderRow:
    fields: dict[str, object] = {
        "client_order_id": client_order_id,
        "venue": "binance",
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "order_type": OrderType.MARKET,
        "quantity": 1.0,
        "status": OrderStatus.INTENT,
        "created_at": created_at,
        "updated_at": created_at,
    }
    fields.update(changes)
    return OrderRow(**fields)


def test_timestamps_round_trip_as_utc(engine: Engine, backend: str) -> None:
    written = datetime(2024, 3, 10, 12, 0, 0, 654321, tzinfo=INDIA)  # 06:30:00.654321 UTC
    with session_scope(engine) as session:
        session.add(_order_row("utc-1", written))

    with session_scope(engine) as session:
        if backend == "postgresql":
            # A reader whose session is in another zone must still get UTC back.
            session.execute(text("SET TIME ZONE 'America/New_York'"))
            raw = session.execute(text("SELECT created_at FROM orders")).scalar_one()
            assert raw.utcoffset() == timedelta(hours=-5)  # the driver really hands back New York time (EST)
        else:
            raw = session.execute(text("SELECT created_at FROM orders")).scalar_one()
            assert raw.startswith("2024-03-10 06:30:00.654321")  # stored as UTC text
        read = session.scalars(select(OrderRow.created_at)).one()

    assert read == written
    assert read.tzinfo is timezone.utc
    assert read.replace(tzinfo=None) == datetime(2024, 3, 10, 6, 30, 0, 654321)


def test_time_filters_compare_instants_not_wall_clocks(engine: Engine) -> None:
    """On SQLite (text storage) a bound value in another zone must still compare as UTC."""
    base = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)
    with session_scope(engine) as session:
        session.add_all(
            [_order_row("early", base - timedelta(hours=2)), _order_row("late", base + timedelta(hours=2))]
        )
    cutoff_in_india = base.astimezone(INDIA)  # 17:30 wall clock, same instant as 12:00 UTC
    with session_scope(engine) as session:
        after = session.scalars(select(OrderRow.client_order_id).where(OrderRow.created_at > cutoff_in_india)).all()
    assert after == ["late"]


def test_naive_timestamp_is_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        with session_scope(engine) as session:
            session.add(_order_row("naive", datetime(2024, 1, 1, 12, 0)))
            session.flush()


@pytest.mark.parametrize("value", [0.1 + 0.2, 1e-8, 61_234.567891234567, 123_456_789.123_456_78, 2.0**-30])
def test_float64_money_round_trips_bit_for_bit(engine: Engine, value: float) -> None:
    with session_scope(engine) as session:
        session.add(_order_row("money", datetime(2024, 1, 1, tzinfo=timezone.utc), quantity=value, limit_price=value))
    with session_scope(engine) as session:
        quantity, limit_price = session.execute(select(OrderRow.quantity, OrderRow.limit_price)).one()
    assert quantity == value
    assert limit_price == value
