"""Constraints of the migrated schema, enforced by the database itself."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from quantlib_local.core import AssetClass, OrderSide, OrderStatus, OrderType
from quantlib_local.storage import (
    BacktestRunRow,
    EquitySnapshotRow,
    FillRow,
    InstrumentRow,
    OrderRow,
    PositionRow,
    RunStatus,
    session_scope,
)

T = datetime(2024, 5, 1, tzinfo=timezone.utc)


def _order(client_order_id: str, **changes: object) -> OrderRow:
    fields: dict[str, object] = {
        "client_order_id": client_order_id,
        "venue": "paper",
        "symbol": "ETH/USDT",
        "side": OrderSide.SELL,
        "order_type": OrderType.MARKET,
        "quantity": 2.0,
        "status": OrderStatus.INTENT,
        "created_at": T,
        "updated_at": T,
    }
    fields.update(changes)
    return OrderRow(**fields)


def _run(run_id: str = "run-1", **changes: object) -> BacktestRunRow:
    fields: dict[str, object] = {
        "id": run_id,
        "strategy_name": "sma_cross",
        "parameters": {},
        "data_start": T,
        "data_end": T,
        "data_hash": "sha256:abc",
        "code_version": "0.1.0",
        "metrics": {},
        "status": RunStatus.COMPLETED,
    }
    fields.update(changes)
    return BacktestRunRow(**fields)


def _fill(client_order_id: str, trade_id: str | None = "t-1") -> FillRow:
    return FillRow(
        client_order_id=client_order_id,
        trade_id=trade_id,
        price=3000.0,
        quantity=1.0,
        fee=0.1,
        fee_currency="USDT",
        timestamp=T,
    )


def test_client_order_id_is_unique(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(_order("dup"))
            session.flush()
            session.add(_order("dup", symbol="BTC/USDT"))
            session.flush()


def test_fill_must_reference_an_existing_order(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(_fill("no-such-order"))
            session.flush()


def test_order_referenced_by_fills_cannot_be_deleted(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_order("o-1"))
        session.flush()
        session.add(_fill("o-1"))
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.execute(text("DELETE FROM orders WHERE client_order_id = 'o-1'"))


def test_trade_id_is_unique_per_order(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_order("o-1"))
        session.flush()
        session.add_all([_fill("o-1", trade_id=None), _fill("o-1", trade_id=None)])  # unknown trade ids may repeat
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add_all([_fill("o-1", trade_id="t-9"), _fill("o-1", trade_id="t-9")])
            session.flush()


def test_order_run_id_must_reference_a_run(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(_order("o-1", run_id="no-such-run"))
            session.flush()


def test_instrument_venue_and_symbol_are_unique_together(engine: Engine) -> None:
    def instrument(venue: str) -> InstrumentRow:
        return InstrumentRow(
            venue=venue, symbol="BTC/USDT", asset_class=AssetClass.CRYPTO, quote_currency="USDT", tick_size=0.01, lot_size=1e-5
        )

    with session_scope(engine) as session:
        session.add_all([instrument("binance"), instrument("kraken")])
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(instrument("binance"))


def test_position_is_unique_per_deployment_venue_symbol(engine: Engine) -> None:
    def position(deployment: str) -> PositionRow:
        return PositionRow(
            deployment=deployment, venue="paper", symbol="BTC/USDT", quantity=1.0, average_price=1.0, realized_pnl=0.0, updated_at=T
        )

    with session_scope(engine) as session:
        session.add_all([position("a"), position("b")])
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(position("a"))


@pytest.mark.parametrize(("deployment", "run_id"), [(None, None), ("live-1", "run-1")])
def test_equity_snapshot_has_exactly_one_owner(engine: Engine, deployment: str | None, run_id: str | None) -> None:
    with session_scope(engine) as session:
        session.add(_run("run-1"))
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(
                EquitySnapshotRow(deployment=deployment, run_id=run_id, timestamp=T, equity=1.0, cash=1.0, exposure=0.0)
            )


def test_order_quantity_must_be_positive(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(_order("o-1", quantity=0.0))


def _enum_cases() -> list[tuple[str, str, type[Enum]]]:
    return [
        ("orders", "side", OrderSide),
        ("orders", "order_type", OrderType),
        ("orders", "status", OrderStatus),
        ("instruments", "asset_class", AssetClass),
        ("backtest_runs", "status", RunStatus),
    ]


def _row_with(table: str, column: str, value: Enum, index: int) -> object:
    if table == "orders":
        return _order(f"o-{index}", **{column: value})
    if table == "instruments":
        return InstrumentRow(
            venue="v", symbol=f"S{index}", asset_class=value, quote_currency="USD", tick_size=0.0, lot_size=0.0
        )
    return _run(f"run-{index}", **{column: value})


@pytest.mark.parametrize(("table", "column", "enum_class"), _enum_cases())
def test_schema_accepts_every_enum_member(engine: Engine, table: str, column: str, enum_class: type[Enum]) -> None:
    """The migration froze the allowed values; this fails when a core enum grows without a migration."""
    with session_scope(engine) as session:
        session.add_all([_row_with(table, column, member, i) for i, member in enumerate(enum_class)])
    with engine.connect() as connection:
        stored = set(connection.execute(text(f"SELECT {column} FROM {table}")).scalars())
    assert stored == {str(member.value) for member in enum_class}


@pytest.mark.parametrize(("table", "column", "enum_class"), _enum_cases())
def test_schema_rejects_unknown_enum_values(engine: Engine, table: str, column: str, enum_class: type[Enum]) -> None:
    with session_scope(engine) as session:
        session.add(_row_with(table, column, next(iter(enum_class)), 0))
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE {table} SET {column} = 'bogus'"))
