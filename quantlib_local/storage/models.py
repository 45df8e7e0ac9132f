"""SQLAlchemy declarative models of the SQL store.

One class per table, named ``<Thing>Row`` so it is never mistaken for the core dataclass
it stores (:class:`~quantlib_local.core.Order` lives in ``OrderRow``). Conversion between
the two lives in :mod:`quantlib_local.storage.ledger`, :mod:`quantlib_local.storage.run_records`
and :mod:`quantlib_local.storage.nightly_runs`; higher layers receive dataclasses and DataFrames,
never rows.

The schema is owned by the Alembic migrations in ``storage/migrations``; a test checks
that the migrated head schema matches these models on SQLite and PostgreSQL. Change both
together: edit the model, then add a revision (``alembic revision --autogenerate`` and
review it).

Design notes
------------
* Timestamps are :class:`~quantlib_local.storage.column_types.UTCDateTime`; money,
  prices and quantities are float64 (the reason is in
  :mod:`quantlib_local.storage.column_types`).
* Enums are stored as their string values in ``VARCHAR`` with a ``CHECK`` constraint (not
  native PostgreSQL enums), so adding a status is one portable migration.
* Constraint names follow :data:`NAMING_CONVENTION`, identical on both databases, so later
  migrations can drop or alter them by name (SQLite batch mode needs names).
* The live runner writes an ``orders`` row with status ``intent`` *before* it sends the
  order, then moves it to ``in_flight``/``open``/... as the venue answers; fills point
  at the order through ``client_order_id``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from quantlib_local.core import AssetClass, GuardStatus, OrderSide, OrderStatus, OrderType
from quantlib_local.storage.column_types import Float64, UTCDateTime, utc_now
from quantlib_local.storage.records import JobStatus, RunStatus

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, shared by the models and the migrations."""

ENUM_LENGTH = 32
"""Width of the VARCHAR that holds an enum value."""

NAME_LENGTH = 128
"""Width of free-form names: strategies, deployments, exchange ids."""

SYMBOL_LENGTH = 64
"""Width of venue ids, symbols and client order ids."""

CURRENCY_LENGTH = 16
"""Width of a currency code (``USD``, ``USDT``, ``BTC``)."""

RUN_ID_LENGTH = 36
"""Width of a backtest or nightly run id (UUID4 with or without dashes)."""

PATH_LENGTH = 1024
"""Width of a file path: a notebook as given, a report relative to the reports folder."""


def enum_column_type(enum_class: type[Enum], name: str) -> SqlEnum:
    """Return a portable enum type that stores member *values* with a CHECK constraint."""
    return SqlEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=ENUM_LENGTH,
        values_callable=lambda members: [str(member.value) for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base of every table of the store."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class InstrumentRow(Base):
    """A tradable instrument; ``(venue, symbol)`` is unique."""

    __tablename__ = "instruments"
    __table_args__ = (UniqueConstraint("venue", "symbol"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    symbol: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    asset_class: Mapped[AssetClass] = mapped_column(enum_column_type(AssetClass, "asset_class"))
    quote_currency: Mapped[str] = mapped_column(String(CURRENCY_LENGTH))
    tick_size: Mapped[float] = mapped_column(Float64)
    lot_size: Mapped[float] = mapped_column(Float64)


class BacktestRunRow(Base):
    """One backtest: strategy, parameters, data identity, code version and metrics."""

    __tablename__ = "backtest_runs"

    id: Mapped[str] = mapped_column(String(RUN_ID_LENGTH), primary_key=True)
    strategy_name: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_start: Mapped[datetime] = mapped_column(UTCDateTime)
    data_end: Mapped[datetime] = mapped_column(UTCDateTime)
    data_hash: Mapped[str] = mapped_column(String(NAME_LENGTH))
    code_version: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[RunStatus] = mapped_column(enum_column_type(RunStatus, "run_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class NightlyRunRow(Base):
    """One run of a nightly notebook job: what ran, for when, how it ended and what it reported.

    ``scheduled_for`` is the slot the run was for (a re-run of last night keeps last night's
    slot); ``started_at``/``finished_at`` span every attempt; ``attempts`` is 0 when the job
    failed before its notebook ran (e.g. a parameter check). ``reason`` says why a run failed
    or timed out (``Text``: tracebacks and exception messages can be long).
    """

    __tablename__ = "nightly_runs"
    __table_args__ = (
        CheckConstraint("finished_at >= started_at", name="finished_after_started"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(RUN_ID_LENGTH), primary_key=True)
    job: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    notebook: Mapped[str] = mapped_column(String(PATH_LENGTH))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[float] = mapped_column(Float64)
    status: Mapped[JobStatus] = mapped_column(enum_column_type(JobStatus, "job_status"))
    attempts: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    data_hash: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    output_notebook: Mapped[str | None] = mapped_column(String(PATH_LENGTH))
    output_html: Mapped[str | None] = mapped_column(String(PATH_LENGTH))
    code_version: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))


class OrderRow(Base):
    """An order, from the intent written before sending to its final status.

    ``run_id`` links orders of a backtest or paper run; ``deployment`` names the live or
    paper deployment that owns the order. Both are optional and indexed.
    """

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(None, "venue", "exchange_order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(SYMBOL_LENGTH), unique=True)
    venue: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    symbol: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    side: Mapped[OrderSide] = mapped_column(enum_column_type(OrderSide, "order_side"))
    order_type: Mapped[OrderType] = mapped_column(enum_column_type(OrderType, "order_type"))
    quantity: Mapped[float] = mapped_column(Float64)
    limit_price: Mapped[float | None] = mapped_column(Float64)
    stop_price: Mapped[float | None] = mapped_column(Float64)
    trail_percent: Mapped[float | None] = mapped_column(Float64)
    status: Mapped[OrderStatus] = mapped_column(enum_column_type(OrderStatus, "order_status"), index=True)
    exchange_order_id: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("backtest_runs.id"), index=True)
    deployment: Mapped[str | None] = mapped_column(String(NAME_LENGTH), index=True)

    fills: Mapped[list[FillRow]] = relationship(back_populates="order", order_by="FillRow.timestamp")


class FillRow(Base):
    """One execution of (part of) an order; ``(client_order_id, trade_id)`` is unique.

    Symbol, side and venue are not repeated here: they are the order's.
    """

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("client_order_id", "trade_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_order_id: Mapped[str] = mapped_column(ForeignKey("orders.client_order_id"), index=True)
    trade_id: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    price: Mapped[float] = mapped_column(Float64)
    quantity: Mapped[float] = mapped_column(Float64)
    fee: Mapped[float] = mapped_column(Float64)
    fee_currency: Mapped[str] = mapped_column(String(CURRENCY_LENGTH))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)

    order: Mapped[OrderRow] = relationship(back_populates="fills")


class PositionRow(Base):
    """Net holding of one symbol on one venue for one deployment (or account)."""

    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("deployment", "venue", "symbol"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment: Mapped[str] = mapped_column(String(NAME_LENGTH))
    venue: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    symbol: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    quantity: Mapped[float] = mapped_column(Float64)
    average_price: Mapped[float] = mapped_column(Float64)
    realized_pnl: Mapped[float] = mapped_column(Float64)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EquitySnapshotRow(Base):
    """Account value at one time, owned by exactly one of a deployment or a backtest run.

    ``exposure`` is the gross market value of open positions, in the account currency.
    """

    __tablename__ = "equity_snapshots"
    __table_args__ = (
        CheckConstraint("(deployment IS NULL) <> (run_id IS NULL)", name="one_owner"),
        UniqueConstraint("deployment", "timestamp"),
        UniqueConstraint("run_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    run_id: Mapped[str | None] = mapped_column(ForeignKey("backtest_runs.id"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    equity: Mapped[float] = mapped_column(Float64)
    cash: Mapped[float] = mapped_column(Float64)
    exposure: Mapped[float] = mapped_column(Float64)


class GuardCheckRow(Base):
    """One risk guard's verdict for one deployment at one time (:class:`~quantlib_local.core.GuardCheck`).

    The runner appends a row per guard each time it checks; the latest row per guard is the
    guard's current status. ``value`` is NULL while there is too little history to measure.
    """

    __tablename__ = "guard_checks"
    __table_args__ = (
        UniqueConstraint("deployment", "guard", "checked_at"),
        Index(None, "deployment", "checked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment: Mapped[str] = mapped_column(String(NAME_LENGTH))
    guard: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    status: Mapped[GuardStatus] = mapped_column(enum_column_type(GuardStatus, "guard_status"))
    value: Mapped[float | None] = mapped_column(Float64)
    limit: Mapped[float] = mapped_column(Float64)
    message: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArbitrageOpportunityRow(Base):
    """One cross-venue opportunity a scanner saw (columns of :data:`~quantlib_local.core.OPPORTUNITY_COLUMNS`).

    ``source`` names the scanner or deployment that recorded it.
    """

    __tablename__ = "arbitrage_opportunities"
    __table_args__ = (
        CheckConstraint("buy_venue <> sell_venue", name="two_venues"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(None, "source", "detected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(NAME_LENGTH))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    symbol: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    buy_venue: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    sell_venue: Mapped[str] = mapped_column(String(SYMBOL_LENGTH))
    buy_price: Mapped[float] = mapped_column(Float64)
    sell_price: Mapped[float] = mapped_column(Float64)
    quantity: Mapped[float] = mapped_column(Float64)
    gross_edge: Mapped[float] = mapped_column(Float64)
    net_edge: Mapped[float] = mapped_column(Float64)
    expected_profit: Mapped[float] = mapped_column(Float64)
    priority: Mapped[float] = mapped_column(Float64)
    latency_ms: Mapped[float] = mapped_column(Float64)
