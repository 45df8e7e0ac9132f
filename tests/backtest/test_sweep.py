"""Sweeps: the same numbers as single backtests, chunked or not, serial or on Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.backtest import BacktestConfig, parameter_sets, run_backtest, run_sweep
from quantlib_local.backtest.sweep import BYTES_PER_CELL, FIXED_OVERHEAD_BYTES, KEPT_RETURNS_COPIES, plan_chunks
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import deflated_sharpe_ratio
from quantlib_local.strategies import SmaCrossover

GRID = {"fast": [3, 5, 8, 13], "slow": [10, 20, 40]}


@pytest.fixture(scope="module")
def sweep(three_assets):
    return run_sweep(SmaCrossover(direction="both"), three_assets, GRID, progress=False, pbo_partitions=8)


def test_each_set_equals_its_own_backtest(sweep, three_assets) -> None:
    assert len(sweep.parameters) == 11  # 13/10 breaks fast < slow
    for position in (0, 5, 10):
        params = sweep.parameters.iloc[position].to_dict()
        single = run_backtest(SmaCrossover(direction="both", **params), three_assets)
        np.testing.assert_allclose(sweep.returns[position].to_numpy(), single.returns.to_numpy(), rtol=1e-9,
                                   atol=1e-12)
        assert sweep.metrics.loc[position, "sharpe_ratio"] == pytest.approx(single.summary.sharpe_ratio, rel=1e-9)
        assert sweep.metrics.loc[position, "n_trades"] == single.n_trades


def test_chunks_and_dask_give_the_same_numbers(sweep, three_assets) -> None:
    chunked = run_sweep(SmaCrossover(direction="both"), three_assets, GRID, chunk_size=5, progress=False,
                        scheduler="threads", pbo_partitions=8)
    np.testing.assert_array_equal(chunked.returns.to_numpy(), sweep.returns.to_numpy())


def test_deflated_sharpe_equals_the_whole_matrix_computation(sweep) -> None:
    direct = deflated_sharpe_ratio(sweep.returns, selected=sweep.deflated_sharpe.selected)
    assert sweep.deflated_sharpe.dsr == pytest.approx(direct.dsr, rel=1e-10)
    assert sweep.deflated_sharpe.sharpe_variance == pytest.approx(direct.sharpe_variance, rel=1e-10)
    assert sweep.deflated_sharpe.kurtosis == pytest.approx(direct.kurtosis, rel=1e-10)


def test_metrics_in_blocks_equal_one_block(sweep, three_assets, monkeypatch) -> None:
    monkeypatch.setattr("quantlib_local.backtest.sweep.METRIC_BLOCK_BYTES", 400 * 8 * 3)  # three sets a block
    blocked = run_sweep(SmaCrossover(direction="both"), three_assets, GRID, progress=False, pbo_partitions=8)
    pd.testing.assert_frame_equal(blocked.metrics, sweep.metrics)
    assert blocked.deflated_sharpe.dsr == sweep.deflated_sharpe.dsr


def test_best_set_and_overfitting_statistics(sweep) -> None:
    best = sweep.best_set
    assert sweep.metrics["sharpe_ratio"].iloc[best] == sweep.metrics["sharpe_ratio"].max()
    assert sweep.best_params == sweep.parameters.iloc[best].to_dict()
    assert 0 <= sweep.deflated_sharpe.dsr <= 1
    assert sweep.deflated_sharpe.n_trials == 11
    assert 0 <= sweep.overfitting.pbo <= 1
    assert sweep.table().iloc[0]["sharpe_ratio"] == sweep.metrics["sharpe_ratio"].max()


def test_parameter_sets_grid_random_and_rules() -> None:
    strategy = SmaCrossover()
    sets = parameter_sets(strategy, {"fast": [5, 30], "slow": [20, 40]})
    assert sets == [{"fast": 5, "slow": 20}, {"fast": 5, "slow": 40}, {"fast": 30, "slow": 40}]  # 30 >= 20 dropped
    drawn = parameter_sets(strategy, method="random", n_samples=50, seed=1)
    assert drawn == parameter_sets(strategy, method="random", n_samples=50, seed=1)
    assert all(s["fast"] < s["slow"] for s in drawn) and len(drawn) <= 50
    single = parameter_sets(strategy, {"fast": [5, 6], "slow": [200]})  # a one-value list is still swept
    assert single == [{"fast": 5, "slow": 200}, {"fast": 6, "slow": 200}]
    with pytest.raises(ValidationError, match="grid"):
        parameter_sets(strategy, {"speed": [1]})
    with pytest.raises(ValidationError, match="n_samples"):
        parameter_sets(strategy, method="random")


def test_a_sweep_that_cannot_fit_is_refused_before_work(three_assets) -> None:
    with pytest.raises(ValidationError, match="max_memory_gb"):
        run_sweep(SmaCrossover(), three_assets, GRID, max_memory_gb=0.01, progress=False)
    with pytest.raises(ValidationError, match="sets over 1000000 bars x 20 symbols"):
        plan_chunks(1_000_000, 20, 10_000, 4.0, None)
    per_chunk = plan_chunks(2_000, 20, 10_000, 4.0, None)
    assert 1 <= per_chunk < 10_000
    kept = 2_000 * 10_000 * 8 * KEPT_RETURNS_COPIES
    assert FIXED_OVERHEAD_BYTES + per_chunk * 2_000 * 20 * BYTES_PER_CELL + kept <= 4 * 2**30
    with pytest.raises(ValidationError, match="objective"):
        run_sweep(SmaCrossover(), three_assets, GRID, objective="luck", progress=False)
    with pytest.raises(ValidationError, match="scheduler"):
        run_sweep(SmaCrossover(), three_assets, GRID, scheduler=42, progress=False)


def test_costs_reach_every_set(three_assets) -> None:
    free = run_sweep(SmaCrossover(), three_assets, GRID, config=BacktestConfig(fees=0.0), progress=False)
    costly = run_sweep(SmaCrossover(), three_assets, GRID, config=BacktestConfig(fees=0.01), progress=False)
    traded = free.metrics["n_trades"] > 0
    assert (costly.metrics["total_return"][traded] < free.metrics["total_return"][traded]).all()
