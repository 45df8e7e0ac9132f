"""Initial schema: instruments, backtest runs, orders, fills, positions, equity snapshots.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00+00:00

Hand-written to match quantlib_local.storage.models; the test
tests/storage/test_migrate.py::test_head_schema_matches_models checks that it does, on
SQLite and PostgreSQL. Values of enum columns are frozen here on purpose: adding an enum
member needs a new revision that widens the CHECK constraint.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ASSET_CLASSES = ("crypto", "equity", "forex", "commodity", "index")
RUN_STATUSES = ("running", "completed", "failed")
ORDER_SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit", "stop", "trailing_stop")
ORDER_STATUSES = ("intent", "in_flight", "open", "partially_filled", "filled", "canceled", "rejected")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _enum_check(column: str, values: Sequence[str], name: str) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("asset_class", sa.String(32), nullable=False),
        sa.Column("quote_currency", sa.String(16), nullable=False),
        sa.Column("tick_size", sa.Double(), nullable=False),
        sa.Column("lot_size", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("venue", "symbol", name=op.f("uq_instruments_venue_symbol")),
        _enum_check("asset_class", ASSET_CLASSES, op.f("ck_instruments_asset_class")),
    )

    op.create_table(
        "backtest_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("strategy_name", sa.String(128), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("data_start", _utc(), nullable=False),
        sa.Column("data_end", _utc(), nullable=False),
        sa.Column("data_hash", sa.String(128), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_runs")),
        _enum_check("status", RUN_STATUSES, op.f("ck_backtest_runs_run_status")),
    )
    op.create_index(op.f("ix_backtest_runs_strategy_name"), "backtest_runs", ["strategy_name"])

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(32), nullable=False),
        sa.Column("order_type", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("limit_price", sa.Double(), nullable=True),
        sa.Column("stop_price", sa.Double(), nullable=True),
        sa.Column("trail_percent", sa.Double(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("exchange_order_id", sa.String(128), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("deployment", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
        sa.ForeignKeyConstraint(["run_id"], ["backtest_runs.id"], name=op.f("fk_orders_run_id_backtest_runs")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_orders_quantity_positive")),
        _enum_check("side", ORDER_SIDES, op.f("ck_orders_order_side")),
        _enum_check("order_type", ORDER_TYPES, op.f("ck_orders_order_type")),
        _enum_check("status", ORDER_STATUSES, op.f("ck_orders_order_status")),
    )
    op.create_index(op.f("ix_orders_status"), "orders", ["status"])
    op.create_index(op.f("ix_orders_run_id"), "orders", ["run_id"])
    op.create_index(op.f("ix_orders_deployment"), "orders", ["deployment"])
    op.create_index(op.f("ix_orders_venue_exchange_order_id"), "orders", ["venue", "exchange_order_id"])

    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("trade_id", sa.String(128), nullable=True),
        sa.Column("price", sa.Double(), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("fee", sa.Double(), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("timestamp", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["orders.client_order_id"],
            name=op.f("fk_fills_client_order_id_orders"),
        ),
        sa.UniqueConstraint("client_order_id", "trade_id", name=op.f("uq_fills_client_order_id_trade_id")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_fills_quantity_positive")),
        sa.CheckConstraint("price > 0", name=op.f("ck_fills_price_positive")),
    )
    op.create_index(op.f("ix_fills_client_order_id"), "fills", ["client_order_id"])

    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("average_price", sa.Double(), nullable=False),
        sa.Column("realized_pnl", sa.Double(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("deployment", "venue", "symbol", name=op.f("uq_positions_deployment_venue_symbol")),
    )

    op.create_table(
        "equity_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment", sa.String(128), nullable=True),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("timestamp", _utc(), nullable=False),
        sa.Column("equity", sa.Double(), nullable=False),
        sa.Column("cash", sa.Double(), nullable=False),
        sa.Column("exposure", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_snapshots")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["backtest_runs.id"], name=op.f("fk_equity_snapshots_run_id_backtest_runs")
        ),
        sa.UniqueConstraint("deployment", "timestamp", name=op.f("uq_equity_snapshots_deployment_timestamp")),
        sa.UniqueConstraint("run_id", "timestamp", name=op.f("uq_equity_snapshots_run_id_timestamp")),
        sa.CheckConstraint("(deployment IS NULL) <> (run_id IS NULL)", name=op.f("ck_equity_snapshots_one_owner")),
    )


def downgrade() -> None:
    op.drop_table("equity_snapshots")
    op.drop_table("positions")
    op.drop_index(op.f("ix_fills_client_order_id"), table_name="fills")
    op.drop_table("fills")
    op.drop_index(op.f("ix_orders_venue_exchange_order_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_deployment"), table_name="orders")
    op.drop_index(op.f("ix_orders_run_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_status"), table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_backtest_runs_strategy_name"), table_name="backtest_runs")
    op.drop_table("backtest_runs")
    op.drop_table("instruments")
