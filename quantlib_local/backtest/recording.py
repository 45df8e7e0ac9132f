"""Backtest runs in the SQL store: what ran, on which data and code, and what it measured."""

from __future__ import annotations

from sqlalchemy.orm import Session

from quantlib_local.backtest.provenance import code_version
from quantlib_local.backtest.result import BacktestResult
from quantlib_local.storage import BacktestRun, record_backtest_run


def record_backtest(session: Session, result: BacktestResult) -> BacktestRun:
    """Record ``result`` as a completed run (the session's scope commits it)."""
    return record_backtest_run(
        session,
        strategy_name=result.strategy_name,
        parameters=result.parameters,
        data_start=result.data_start.to_pydatetime(),
        data_end=result.data_end.to_pydatetime(),
        data_hash=result.data_hash,
        code_version=code_version(),
        metrics={**result.json_metrics(), "config": result.config.to_dict()},
    )
