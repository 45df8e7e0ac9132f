"""Promotion: the manifest is written only when the gate passes."""

from __future__ import annotations

import yaml

from quantlib_local.backtest import GateThresholds, promote
from quantlib_local.strategies import SmaCrossover

GRID = {"fast": [3, 5, 10], "slow": [20, 40]}
LENIENT = GateThresholds(min_sharpe=0.5, max_drawdown=0.6, min_sortino=0.5, min_win_rate=0.2, min_calmar=0.2,
                         min_deflated_sharpe=0.5, max_pbo=0.9, min_trades=2)


def test_a_strategy_that_earns_it_gets_a_manifest(trending_bars, tmp_path) -> None:
    outcome = promote(SmaCrossover(), trending_bars, GRID, train_bars=200, test_bars=100, thresholds=LENIENT,
                      data_source="synthetic gbm (seed 7)", output_dir=tmp_path, progress=False, pbo_partitions=8)
    assert outcome.passed, outcome.verdict.report()
    manifest = yaml.safe_load(outcome.manifest_path.read_text())
    assert outcome.manifest_path == tmp_path / "sma_crossover.yaml"
    assert manifest["strategy"]["class"] == "quantlib_local.strategies.sma_crossover:SmaCrossover"
    assert manifest["strategy"]["parameters"] == {**outcome.walk_forward.folds["params"].iloc[-1], "direction": "long"}
    assert manifest["data"]["bars"] == 600 and len(manifest["data"]["sha256"]) == 64
    assert manifest["gate"]["passed"] is True and manifest["code_version"]
    assert manifest["metrics"]["sharpe_ratio"] == outcome.metrics["sharpe_ratio"]
    assert manifest["metrics"]["n_trials"] == 6


def test_a_failing_strategy_gets_a_report_and_nothing_is_written(trending_bars, tmp_path) -> None:
    outcome = promote(SmaCrossover(), trending_bars, GRID, train_bars=200, test_bars=100, output_dir=tmp_path,
                      progress=False, pbo_partitions=8)  # the design's table-1 thresholds
    assert not outcome.passed and outcome.manifest_path is None
    assert not list(tmp_path.iterdir())
    assert {"max_drawdown", "min_win_rate"} <= {check.name for check in outcome.verdict.failures}
    assert "short by" in outcome.verdict.report()
