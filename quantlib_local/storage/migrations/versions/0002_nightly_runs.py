"""Nightly runs: one row per run of a nightly notebook job.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02 00:00:00+00:00

Hand-written to match quantlib_local.storage.models.NightlyRunRow; the test
tests/storage/test_migrate.py::test_head_schema_matches_models checks that it does, on
SQLite and PostgreSQL. Like 0001, the status is a VARCHAR with a CHECK constraint (no native
PostgreSQL enum type), so there is no type to create or drop: dropping the table drops its
constraints. The allowed values are frozen here on purpose: adding a JobStatus member needs
a new revision that widens the CHECK constraint.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_STATUSES = ("succeeded", "failed", "timed_out")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _enum_check(column: str, values: Sequence[str], name: str) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


def upgrade() -> None:
    op.create_table(
        "nightly_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("job", sa.String(128), nullable=False),
        sa.Column("notebook", sa.String(1024), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("scheduled_for", _utc(), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("finished_at", _utc(), nullable=False),
        sa.Column("duration_seconds", sa.Double(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data_hash", sa.String(128), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("output_notebook", sa.String(1024), nullable=True),
        sa.Column("output_html", sa.String(1024), nullable=True),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nightly_runs")),
        sa.CheckConstraint("finished_at >= started_at", name=op.f("ck_nightly_runs_finished_after_started")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_nightly_runs_attempts_not_negative")),
        _enum_check("status", JOB_STATUSES, op.f("ck_nightly_runs_job_status")),
    )
    op.create_index(op.f("ix_nightly_runs_job"), "nightly_runs", ["job"])
    op.create_index(op.f("ix_nightly_runs_scheduled_for"), "nightly_runs", ["scheduled_for"])


def downgrade() -> None:
    op.drop_index(op.f("ix_nightly_runs_scheduled_for"), table_name="nightly_runs")
    op.drop_index(op.f("ix_nightly_runs_job"), table_name="nightly_runs")
    op.drop_table("nightly_runs")
