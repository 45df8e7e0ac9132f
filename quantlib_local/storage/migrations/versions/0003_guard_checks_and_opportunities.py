"""Guard checks and arbitrage opportunities: what the live monitor shows beside equity and orders.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 00:00:00+00:00

Hand-written to match quantlib_local.storage.models.GuardCheckRow and ArbitrageOpportunityRow;
tests/storage/test_migrate.py::test_head_schema_matches_models checks that it does, on SQLite and
PostgreSQL. The guard status is a VARCHAR with a CHECK constraint, as in 0001 and 0002; its allowed
values are frozen here on purpose (a new GuardStatus member needs a revision that widens the check).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARD_STATUSES = ("ok", "warning", "tripped")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "guard_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("guard", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("limit", sa.Double(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("checked_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_checks")),
        sa.UniqueConstraint(
            "deployment", "guard", "checked_at", name=op.f("uq_guard_checks_deployment_guard_checked_at")
        ),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{value}'" for value in GUARD_STATUSES) + ")",
            name=op.f("ck_guard_checks_guard_status"),
        ),
    )
    op.create_index(op.f("ix_guard_checks_deployment_checked_at"), "guard_checks", ["deployment", "checked_at"])

    op.create_table(
        "arbitrage_opportunities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("detected_at", _utc(), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("buy_venue", sa.String(64), nullable=False),
        sa.Column("sell_venue", sa.String(64), nullable=False),
        sa.Column("buy_price", sa.Double(), nullable=False),
        sa.Column("sell_price", sa.Double(), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("gross_edge", sa.Double(), nullable=False),
        sa.Column("net_edge", sa.Double(), nullable=False),
        sa.Column("expected_profit", sa.Double(), nullable=False),
        sa.Column("priority", sa.Double(), nullable=False),
        sa.Column("latency_ms", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arbitrage_opportunities")),
        sa.CheckConstraint("buy_venue <> sell_venue", name=op.f("ck_arbitrage_opportunities_two_venues")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_arbitrage_opportunities_quantity_positive")),
    )
    op.create_index(op.f("ix_arbitrage_opportunities_detected_at"), "arbitrage_opportunities", ["detected_at"])
    op.create_index(
        op.f("ix_arbitrage_opportunities_source_detected_at"), "arbitrage_opportunities", ["source", "detected_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_arbitrage_opportunities_source_detected_at"), table_name="arbitrage_opportunities")
    op.drop_index(op.f("ix_arbitrage_opportunities_detected_at"), table_name="arbitrage_opportunities")
    op.drop_table("arbitrage_opportunities")
    op.drop_index(op.f("ix_guard_checks_deployment_checked_at"), table_name="guard_checks")
    op.drop_table("guard_checks")
