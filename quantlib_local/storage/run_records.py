"""Backtest runs in the store, and a helper that turns record lists into frames.

Like :mod:`quantlib_local.storage.ledger`, every function takes a session from
:func:`~quantlib_local.storage.session_scope` and leaves committing to it.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from quantlib_local.exceptions import ValidationError
from quantlib_local.storage.column_types import utc_now
from quantlib_local.storage.models import (
    BacktestRunRow,
)
from quantlib_local.storage.records import BacktestRun, RunStatus

logger = logging.getLogger(__name__)

RecordT = TypeVar("RecordT")


from quantlib_local.storage._repository_checks import json_ready, run_row

# --------------------------------------------------------------------------- backtest runs


def _run_from_row(row: BacktestRunRow) -> BacktestRun:
    return BacktestRun(
        run_id=row.id,
        strategy_name=row.strategy_name,
        parameters=row.parameters,
        data_start=row.data_start,
        data_end=row.data_end,
        data_hash=row.data_hash,
        code_version=row.code_version,
        created_at=row.created_at,
        metrics=row.metrics,
        status=row.status,
    )


def record_backtest_run(
    session: Session,
    *,
    strategy_name: str,
    parameters: dict[str, Any],
    data_start: datetime,
    data_end: datetime,
    data_hash: str,
    code_version: str,
    metrics: dict[str, Any] | None = None,
    status: RunStatus | str = RunStatus.COMPLETED,
    run_id: str | None = None,
    created_at: datetime | None = None,
) -> BacktestRun:
    """Record a backtest run and return it with its id.

    Record a run as ``status="running"`` before it starts and complete it with
    :func:`finish_backtest_run`, or record it once with its metrics when done.

    Parameters
    ----------
    strategy_name, parameters
        What ran.
    data_start, data_end, data_hash
        On which data (UTC range and content hash).
    code_version
        Git commit or package version.
    metrics
        Results; use None for an undefined metric (NaN is refused: PostgreSQL JSON
        cannot hold it).
    status
        ``"running"``, ``"completed"`` (default) or ``"failed"``.
    run_id
        Chosen id; a UUID4 hex string by default.
    created_at
        Time of recording (UTC); defaults to now.

    Raises
    ------
    ValidationError
        When a value breaks the contract of :class:`~quantlib_local.storage.BacktestRun`,
        parameters or metrics are not JSON-serialisable, or ``run_id`` is taken.
    """
    run = BacktestRun(
        run_id=uuid.uuid4().hex if run_id is None else run_id,
        strategy_name=strategy_name,
        parameters=json_ready("parameters", parameters),
        data_start=data_start,
        data_end=data_end,
        data_hash=data_hash,
        code_version=code_version,
        created_at=utc_now() if created_at is None else created_at,
        metrics=json_ready("metrics", {} if metrics is None else metrics),
        status=status,
    )
    if session.get(BacktestRunRow, run.run_id) is not None:
        raise ValidationError("run_id", run.run_id, "choose a new run_id, or pass run_id=None for a fresh UUID")
    session.add(
        BacktestRunRow(
            id=run.run_id,
            strategy_name=run.strategy_name,
            parameters=run.parameters,
            data_start=run.data_start,
            data_end=run.data_end,
            data_hash=run.data_hash,
            code_version=run.code_version,
            metrics=run.metrics,
            status=run.status,
            created_at=run.created_at,
        )
    )
    session.flush()
    logger.debug("recorded backtest run %s of %s", run.run_id, run.strategy_name)
    return run



def finish_backtest_run(
    session: Session, run_id: str, *, metrics: dict[str, Any], status: RunStatus | str = RunStatus.COMPLETED
) -> BacktestRun:
    """Store the metrics and final status of a recorded run and return it."""
    try:
        final_status = RunStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in RunStatus)
        raise ValidationError("status", status, f"use one of: {allowed}") from None
    clean_metrics = json_ready("metrics", metrics)
    row = run_row(session, run_id)
    row.metrics = clean_metrics
    row.status = final_status
    session.flush()
    return _run_from_row(row)


def load_backtest_run(session: Session, run_id: str) -> BacktestRun:
    """Return one recorded run.

    Raises
    ------
    ValidationError
        When no run has this id.
    """
    return _run_from_row(run_row(session, run_id))


def load_backtest_runs(session: Session, *, strategy_name: str | None = None) -> list[BacktestRun]:
    """Return recorded runs, oldest first, optionally of one strategy."""
    query = select(BacktestRunRow).order_by(BacktestRunRow.created_at, BacktestRunRow.id)
    if strategy_name is not None:
        query = query.where(BacktestRunRow.strategy_name == strategy_name)
    return [_run_from_row(row) for row in session.scalars(query)]


# --------------------------------------------------------------------------- frames


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def records_frame(records: Sequence[RecordT], record_type: type[RecordT]) -> pd.DataFrame:
    """Return dataclass records (orders, fills, positions, runs) as a frame, one row each.

    Enum members become their string values; the columns are the dataclass fields, also
    when ``records`` is empty.
    """
    if not dataclasses.is_dataclass(record_type):
        raise ValidationError("record_type", record_type, "pass a dataclass type such as Order or Fill")
    columns = [f.name for f in dataclasses.fields(record_type)]
    rows = [
        {name: _plain(getattr(record, name)) for name in columns}
        for record in records
    ]
    return pd.DataFrame(rows, columns=columns)
