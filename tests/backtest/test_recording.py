"""Backtest runs recorded in the store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from quantlib_local.backtest import BacktestConfig, code_version, run_backtest
from quantlib_local.backtest.recording import record_backtest
from quantlib_local.storage import load_backtest_run, session_scope
from quantlib_local.strategies import SmaCrossover


def test_a_run_round_trips_through_the_store(engine, trending_bars) -> None:
    result = run_backtest(SmaCrossover(5, 20), trending_bars, BacktestConfig(stop_loss=0.05))
    with session_scope(engine) as session:
        run_id = record_backtest(session, result).run_id
    with session_scope(engine) as session:
        run = load_backtest_run(session, run_id)
    assert run.strategy_name == "sma_crossover"
    assert run.parameters == {"fast": 5, "slow": 20, "direction": "long"}
    assert run.data_hash == result.data_hash and len(run.data_hash) == 64
    assert run.data_start == trending_bars.index[0] and run.data_end == trending_bars.index[-1]
    assert run.code_version == code_version()
    assert run.metrics["sharpe_ratio"] == pytest.approx(result.summary.sharpe_ratio)
    assert run.metrics["config"]["stop_loss"] == 0.05
