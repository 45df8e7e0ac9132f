"""The trading ledger in terms of the core dataclasses: instruments, orders, fills,
positions and equity snapshots.

Every function takes the :class:`~sqlalchemy.orm.Session` of a
:func:`~quantlib_local.storage.session_scope` and leaves committing to it, so several
writes form one transaction. Inputs are validated before anything is written; a broken
contract raises :class:`~quantlib_local.exceptions.ValidationError` naming the field,
the value and the fix.

The live runner's sequence is: :func:`record_order_intent` (status ``intent``, committed
*before* the order is sent), :func:`update_order_status` as the venue answers,
:func:`record_fill` for each execution (idempotent per ``trade_id``) and
:func:`upsert_position`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import numpy as np
import pandas as pd
from sqlalchemy import select, union
from sqlalchemy.orm import Session

from quantlib_local.core import Fill, Instrument, Order, OrderStatus, Position
from quantlib_local.exceptions import ValidationError
from quantlib_local.storage.column_types import utc_now
from quantlib_local.storage.models import (
    BacktestRunRow,
    EquitySnapshotRow,
    FillRow,
    GuardCheckRow,
    InstrumentRow,
    OrderRow,
    PositionRow,
)
from quantlib_local.storage.records import require_utc

logger = logging.getLogger(__name__)

EQUITY_COLUMNS: tuple[str, ...] = ("equity", "cash", "exposure")
"""Columns of the frame returned by :func:`load_equity_curve`."""

from quantlib_local.storage._repository_checks import (
    finite_float,
    optional_float,
    order_row,
    require_name,
    run_row,
)

# --------------------------------------------------------------------------- instruments


def upsert_instrument(session: Session, instrument: Instrument) -> None:
    """Insert ``instrument``, or update the stored one with the same venue and symbol."""
    tick_size = finite_float("tick_size", instrument.tick_size)
    lot_size = finite_float("lot_size", instrument.lot_size)
    row = session.scalar(
        select(InstrumentRow).where(InstrumentRow.venue == instrument.venue, InstrumentRow.symbol == instrument.symbol)
    )
    if row is None:
        row = InstrumentRow(venue=instrument.venue, symbol=instrument.symbol)
        session.add(row)
    row.asset_class = instrument.asset_class
    row.quote_currency = instrument.quote_currency
    row.tick_size = tick_size
    row.lot_size = lot_size
    session.flush()


def load_instruments(session: Session, *, venue: str | None = None) -> list[Instrument]:
    """Return the stored instruments, optionally of one venue, ordered by venue and symbol."""
    query = select(InstrumentRow).order_by(InstrumentRow.venue, InstrumentRow.symbol)
    if venue is not None:
        query = query.where(InstrumentRow.venue == venue)
    return [
        Instrument(
            symbol=row.symbol,
            venue=row.venue,
            asset_class=row.asset_class,
            quote_currency=row.quote_currency,
            tick_size=row.tick_size,
            lot_size=row.lot_size,
        )
        for row in session.scalars(query)
    ]


# --------------------------------------------------------------------------- orders


def record_order_intent(
    session: Session, order: Order, *, deployment: str | None = None, run_id: str | None = None
) -> None:
    """Write an order intent; call (and commit) this *before* the order is sent.

    Parameters
    ----------
    session
        Session of a :func:`~quantlib_local.storage.session_scope`.
    order
        The order, with status ``intent`` and its deterministic ``client_order_id``.
    deployment
        Name of the live or paper deployment that owns the order.
    run_id
        Id of the backtest or paper run the order belongs to.

    Raises
    ------
    ValidationError
        When the status is not ``intent``, the ``client_order_id`` is already recorded
        (reconcile the stored order instead of sending it again), or ``run_id`` is
        unknown.
    """
    if order.status is not OrderStatus.INTENT:
        raise ValidationError(
            "status",
            order.status.value,
            "record the order with status='intent' before sending it, then call update_order_status()",
        )
    if deployment is not None:
        require_name("deployment", deployment, "btc-trend-paper")
    if run_id is not None and session.get(BacktestRunRow, run_id) is None:
        raise ValidationError("run_id", run_id, "record the run with record_backtest_run() first, or pass run_id=None")
    existing = session.scalar(select(OrderRow.status).where(OrderRow.client_order_id == order.client_order_id))
    if existing is not None:
        raise ValidationError(
            "client_order_id",
            order.client_order_id,
            "this order is already recorded; load it with load_orders() and reconcile it instead of sending it again",
            detail=f"stored with status {existing.value!r}",
        )
    quantity = finite_float("quantity", order.quantity)
    session.add(
        OrderRow(
            client_order_id=order.client_order_id,
            venue=order.venue,
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            quantity=quantity,
            limit_price=optional_float(order.limit_price),
            stop_price=optional_float(order.stop_price),
            trail_percent=optional_float(order.trail_percent),
            status=order.status,
            exchange_order_id=order.exchange_order_id,
            created_at=order.created_at,
            updated_at=order.created_at,
            run_id=run_id,
            deployment=deployment,
        )
    )
    session.flush()
    logger.debug("recorded order intent %s (%s)", order.client_order_id, deployment or run_id or "no owner")


def _order_from_row(row: OrderRow) -> Order:
    return Order(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,
        quantity=row.quantity,
        created_at=row.created_at,
        order_type=row.order_type,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        trail_percent=row.trail_percent,
        venue=row.venue,
        status=row.status,
        exchange_order_id=row.exchange_order_id,
    )


def update_order_status(
    session: Session,
    client_order_id: str,
    status: OrderStatus | str,
    *,
    exchange_order_id: str | None = None,
    updated_at: datetime | None = None,
) -> Order:
    """Move a recorded order to ``status`` and return it.

    Parameters
    ----------
    client_order_id
        Id the order was recorded with.
    status
        New status, e.g. ``"in_flight"`` just before sending, ``"open"`` once acknowledged.
    exchange_order_id
        The venue's id, once known; None keeps the stored one.
    updated_at
        Time of the change (UTC); defaults to now.

    Raises
    ------
    ValidationError
        When the order is unknown or the status or time is invalid.
    """
    try:
        new_status = OrderStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in OrderStatus)
        raise ValidationError("status", status, f"use one of: {allowed}") from None
    when = utc_now() if updated_at is None else updated_at
    require_utc("updated_at", when)
    row = order_row(session, client_order_id)
    row.status = new_status
    if exchange_order_id is not None:
        row.exchange_order_id = exchange_order_id
    row.updated_at = when
    session.flush()
    logger.debug("order %s is now %s", client_order_id, new_status.value)
    return _order_from_row(row)


def load_orders(
    session: Session,
    *,
    deployment: str | None = None,
    run_id: str | None = None,
    statuses: Iterable[OrderStatus | str] | None = None,
    symbol: str | None = None,
) -> list[Order]:
    """Return recorded orders, oldest first, filtered by every argument that is given.

    ``statuses=["intent", "in_flight"]`` gives the orders a start-up reconciliation must
    resolve.
    """
    query = select(OrderRow).order_by(OrderRow.created_at, OrderRow.id)
    if deployment is not None:
        query = query.where(OrderRow.deployment == deployment)
    if run_id is not None:
        query = query.where(OrderRow.run_id == run_id)
    if symbol is not None:
        query = query.where(OrderRow.symbol == symbol)
    if statuses is not None:
        wanted = []
        for status in statuses:
            try:
                wanted.append(OrderStatus(status))
            except ValueError:
                allowed = ", ".join(s.value for s in OrderStatus)
                raise ValidationError("statuses", status, f"use values from: {allowed}") from None
        query = query.where(OrderRow.status.in_(wanted))
    return [_order_from_row(row) for row in session.scalars(query)]


# --------------------------------------------------------------------------- fills


def record_fill(session: Session, fill: Fill) -> bool:
    """Record one execution of a recorded order.

    Recording is idempotent per ``(client_order_id, trade_id)``: reconciliation may
    fetch the same trade again.

    Returns
    -------
    bool
        True when the fill was written, False when a fill with the same ``trade_id`` was
        already recorded for this order.

    Raises
    ------
    ValidationError
        When the order is unknown or the fill's symbol, side or venue differ from it.
    """
    order = order_row(session, fill.client_order_id)
    for field, fill_value, order_value in (
        ("symbol", fill.symbol, order.symbol),
        ("side", fill.side, order.side),
        ("venue", fill.venue, order.venue),
    ):
        if fill_value != order_value:
            shown = order_value.value if isinstance(order_value, Enum) else order_value
            raise ValidationError(
                field, fill_value, f"use the order's {field} {shown!r}, or the client_order_id of the right order"
            )
    if fill.trade_id is not None:
        duplicate = session.scalar(
            select(FillRow.id).where(FillRow.client_order_id == fill.client_order_id, FillRow.trade_id == fill.trade_id)
        )
        if duplicate is not None:
            logger.debug("fill %s of %s already recorded", fill.trade_id, fill.client_order_id)
            return False
    price = finite_float("price", fill.price)
    quantity = finite_float("quantity", fill.quantity)
    fee = finite_float("fee", fill.fee)
    session.add(
        FillRow(
            client_order_id=fill.client_order_id,
            trade_id=fill.trade_id,
            price=price,
            quantity=quantity,
            fee=fee,
            fee_currency=fill.fee_currency,
            timestamp=fill.timestamp,
        )
    )
    session.flush()
    return True


def load_fills(
    session: Session,
    *,
    client_order_id: str | None = None,
    deployment: str | None = None,
    run_id: str | None = None,
) -> list[Fill]:
    """Return recorded fills, oldest first, filtered by every argument that is given."""
    query = select(FillRow, OrderRow).join(FillRow.order).order_by(FillRow.timestamp, FillRow.id)
    if client_order_id is not None:
        query = query.where(FillRow.client_order_id == client_order_id)
    if deployment is not None:
        query = query.where(OrderRow.deployment == deployment)
    if run_id is not None:
        query = query.where(OrderRow.run_id == run_id)
    return [
        Fill(
            client_order_id=fill.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=fill.quantity,
            price=fill.price,
            fee=fill.fee,
            timestamp=fill.timestamp,
            venue=order.venue,
            fee_currency=fill.fee_currency,
            trade_id=fill.trade_id,
        )
        for fill, order in session.execute(query)
    ]


# --------------------------------------------------------------------------- positions


def upsert_position(
    session: Session, position: Position, *, deployment: str, updated_at: datetime | None = None
) -> None:
    """Store ``position`` for ``deployment``, replacing the stored one of the same venue and symbol.

    Parameters
    ----------
    position
        The net holding after the latest fill.
    deployment
        Deployment (or account) that owns the position.
    updated_at
        Time of the change (UTC); defaults to now.
    """
    require_name("deployment", deployment, "btc-trend-paper")
    quantity = finite_float("quantity", position.quantity)
    average_price = finite_float("average_price", position.average_price)
    realized_pnl = finite_float("realized_pnl", position.realized_pnl)
    when = utc_now() if updated_at is None else updated_at
    require_utc("updated_at", when)
    row = session.scalar(
        select(PositionRow)
        .where(
            PositionRow.deployment == deployment,
            PositionRow.venue == position.venue,
            PositionRow.symbol == position.symbol,
        )
        .with_for_update()
    )
    if row is None:
        row = PositionRow(deployment=deployment, venue=position.venue, symbol=position.symbol)
        session.add(row)
    row.quantity = quantity
    row.average_price = average_price
    row.realized_pnl = realized_pnl
    row.updated_at = when
    session.flush()


def load_deployments(session: Session) -> list[str]:
    """Names of every deployment with orders, positions, equity snapshots or guard checks in the store, sorted."""
    query = union(
        select(OrderRow.deployment).where(OrderRow.deployment.is_not(None)),
        select(PositionRow.deployment),
        select(GuardCheckRow.deployment),
        select(EquitySnapshotRow.deployment).where(EquitySnapshotRow.deployment.is_not(None)),
    )
    return sorted({row[0] for row in session.execute(query)})


def load_positions(session: Session, deployment: str) -> list[Position]:
    """Return the stored positions of ``deployment`` (flat ones included), by venue and symbol."""
    query = (
        select(PositionRow)
        .where(PositionRow.deployment == deployment)
        .order_by(PositionRow.venue, PositionRow.symbol)
    )
    return [
        Position(
            symbol=row.symbol,
            quantity=row.quantity,
            average_price=row.average_price,
            realized_pnl=row.realized_pnl,
            venue=row.venue,
        )
        for row in session.scalars(query)
    ]


# --------------------------------------------------------------------------- equity


def record_equity_snapshot(
    session: Session,
    *,
    timestamp: datetime,
    equity: float,
    cash: float,
    exposure: float,
    deployment: str | None = None,
    run_id: str | None = None,
) -> None:
    """Record the account value at ``timestamp`` for a deployment or a backtest run.

    Parameters
    ----------
    timestamp
        UTC time of the snapshot; one snapshot per owner and timestamp.
    equity, cash
        Account value and free cash, in the account currency.
    exposure
        Gross market value of open positions, in the account currency.
    deployment, run_id
        The owner: give exactly one.
    """
    if (deployment is None) == (run_id is None):
        raise ValidationError(
            "deployment", deployment, "give exactly one of deployment= or run_id=", detail=f"run_id={run_id!r}"
        )
    require_utc("timestamp", timestamp)
    values = {
        "equity": finite_float("equity", equity),
        "cash": finite_float("cash", cash),
        "exposure": finite_float("exposure", exposure),
    }
    if deployment is not None:
        require_name("deployment", deployment, "btc-trend-paper")
        owner = EquitySnapshotRow.deployment == deployment
    else:
        assert run_id is not None
        run_row(session, run_id)
        owner = EquitySnapshotRow.run_id == run_id
    taken = session.scalar(select(EquitySnapshotRow.id).where(owner, EquitySnapshotRow.timestamp == timestamp))
    if taken is not None:
        raise ValidationError(
            "timestamp", timestamp, "record one snapshot per timestamp; this owner already has one at this time"
        )
    session.add(
        EquitySnapshotRow(
            deployment=deployment,
            run_id=run_id,
            timestamp=timestamp,
            **values,
        )
    )
    session.flush()


def load_equity_curve(session: Session, *, deployment: str | None = None, run_id: str | None = None) -> pd.DataFrame:
    """Return the equity snapshots of one owner as a frame.

    Returns
    -------
    pandas.DataFrame
        Indexed by a UTC ``DatetimeIndex`` named ``timestamp`` (increasing), with float64
        columns ``equity``, ``cash`` and ``exposure``.
    """
    if (deployment is None) == (run_id is None):
        raise ValidationError(
            "deployment", deployment, "give exactly one of deployment= or run_id=", detail=f"run_id={run_id!r}"
        )
    owner = EquitySnapshotRow.deployment == deployment if deployment is not None else EquitySnapshotRow.run_id == run_id
    rows = session.execute(
        select(EquitySnapshotRow.timestamp, EquitySnapshotRow.equity, EquitySnapshotRow.cash, EquitySnapshotRow.exposure)
        .where(owner)
        .order_by(EquitySnapshotRow.timestamp)
    ).all()
    index = pd.DatetimeIndex(pd.to_datetime([row[0] for row in rows], utc=True), name="timestamp")
    values = np.array([row[1:] for row in rows], dtype=np.float64).reshape(len(rows), len(EQUITY_COLUMNS))
    return pd.DataFrame(values, index=index, columns=list(EQUITY_COLUMNS))

