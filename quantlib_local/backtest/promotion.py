"""Promotion: judge a strategy out of sample and, if it passes, write its manifest.

:func:`promote` runs a walk-forward optimisation (the out-of-sample record), a sweep
over the whole history (the overfitting statistics: deflated Sharpe of the best set
given the number of sets tried, and CSCV PBO), then the gate
(:mod:`quantlib_local.backtest.gate`). Only a pass writes an approved-strategy manifest
(YAML, written atomically) under ``live/strategies/``: the strategy, the parameters the
most recent fold chose, the data range and hash, the code version, the metrics and the
gate verdict. The live runner deploys nothing else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from quantlib_local._atomic import atomic_write_text
from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.backtest.gate import GateThresholds, GateVerdict, evaluate_gate
from quantlib_local.backtest.provenance import code_version, data_fingerprint, plain_params
from quantlib_local.backtest.sweep import DEFAULT_MAX_MEMORY_GB, SweepResult, run_sweep
from quantlib_local.backtest.walk_forward import WalkForwardMode, WalkForwardResult, walk_forward
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData

logger = logging.getLogger(__name__)
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class PromotionOutcome:
    """The gate's verdict, the evidence behind it, and the manifest path when it passed."""

    verdict: GateVerdict
    metrics: dict[str, float | None]
    parameters: dict[str, Any]
    walk_forward: WalkForwardResult
    sweep: SweepResult
    manifest: dict[str, Any]
    manifest_path: Path | None

    @property
    def passed(self) -> bool:
        """True when every gate check passed (and the manifest was written)."""
        return self.verdict.passed


def promote(
    strategy: Strategy,
    bars: pd.DataFrame | MarketData,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    train_bars: int,
    test_bars: int,
    mode: WalkForwardMode = "rolling",
    config: BacktestConfig | None = None,
    thresholds: GateThresholds | None = None,
    features: pd.DataFrame | None = None,
    data_source: str = "unspecified",
    output_dir: str | Path = Path("live/strategies"),
    deployment_name: str | None = None,
    objective: str = "sharpe_ratio",
    max_memory_gb: float = DEFAULT_MAX_MEMORY_GB,
    scheduler: Any = "serial",
    pbo_partitions: int = 16,
    progress: bool = True,
) -> PromotionOutcome:
    """Judge ``strategy`` out of sample and write its manifest if it passes the gate.

    Parameters
    ----------
    strategy, bars, grid, features, config, objective, max_memory_gb, scheduler, pbo_partitions
        As for :func:`~quantlib_local.backtest.walk_forward`.
    train_bars, test_bars, mode
        Walk-forward folds.
    thresholds
        Gate thresholds (defaults: :class:`GateThresholds`).
    data_source
        A description of the data (path, dataset name) kept in the manifest.
    output_dir, deployment_name
        Where the manifest goes and its file stem (default: the strategy's name).
    """
    config = config or BacktestConfig()
    name = _checked_name(deployment_name or strategy.name or type(strategy).__name__)
    market = strategy.market_data(bars, features)
    wf = walk_forward(strategy, market, grid, train_bars=train_bars, test_bars=test_bars, mode=mode, config=config,
                      objective=objective, max_memory_gb=max_memory_gb, scheduler=scheduler,
                      pbo_partitions=pbo_partitions, progress=progress)
    sweep = run_sweep(strategy, market, grid, config=config, objective=objective, max_memory_gb=max_memory_gb,
                      scheduler=scheduler, pbo_partitions=pbo_partitions, progress=progress)
    metrics = out_of_sample_metrics(wf, sweep)
    verdict = evaluate_gate(metrics, thresholds)
    parameters = strategy.with_params(**wf.folds["params"].iloc[-1]).get_params()
    manifest = build_manifest(name, strategy, parameters, market, data_source, config, wf, sweep, metrics, verdict,
                              thresholds or GateThresholds(), mode)
    path = None
    if verdict.passed:
        path = Path(output_dir) / f"{name}.yaml"
        atomic_write_text(path, yaml.safe_dump(manifest, sort_keys=False))
        logger.info("promotion gate passed: manifest written to %s", path)
    else:
        logger.warning("promotion gate failed; nothing written\n%s", verdict.report())
    return PromotionOutcome(verdict, metrics, parameters, wf, sweep, manifest, path)


def out_of_sample_metrics(wf: WalkForwardResult, sweep: SweepResult) -> dict[str, float | None]:
    """The stitched out-of-sample metrics plus the sweep's overfitting statistics."""
    s = wf.oos_summary
    metrics: dict[str, float | None] = {
        "annual_return": s.annual_return,
        "sharpe_ratio": s.sharpe_ratio,
        "max_drawdown": s.max_drawdown,
        "sortino_ratio": s.sortino_ratio,
        "beta": s.beta,
        "win_rate": wf.oos_win_rate,
        "calmar_ratio": s.calmar_ratio,
        "total_return": s.total_return,
        "annual_volatility": s.annual_volatility,
        "n_trades": float(len(wf.oos_trades)),
        "deflated_sharpe": None if sweep.deflated_sharpe is None else sweep.deflated_sharpe.dsr,
        "pbo": None if sweep.overfitting is None else sweep.overfitting.pbo,
        "n_trials": float(len(sweep.parameters)),
    }
    return {k: (None if v is None or not np.isfinite(v) else float(v)) for k, v in metrics.items()}


def build_manifest(
    name: str,
    strategy: Strategy,
    parameters: dict[str, Any],
    market: MarketData,
    data_source: str,
    config: BacktestConfig,
    wf: WalkForwardResult,
    sweep: SweepResult,
    metrics: dict[str, float | None],
    verdict: GateVerdict,
    thresholds: GateThresholds,
    mode: str,
) -> dict[str, Any]:
    """The approved-strategy manifest as plain YAML-ready data."""
    cls = type(strategy)
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": name,
        "strategy": {"name": strategy.name, "class": f"{cls.__module__}:{cls.__qualname__}",
                     "output": strategy.output, "parameters": plain_params(parameters)},
        "data": {"source": data_source, "symbols": market.symbols, "start": market.index[0].isoformat(),
                 "end": market.index[-1].isoformat(), "bars": len(market), "sha256": data_fingerprint(market.bars)},
        "code_version": code_version(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "backtest_config": config.to_dict(),
        "validation": {"walk_forward": {"mode": mode, "folds": len(wf.folds),
                                        "oos_start": wf.oos_returns.index[0].isoformat(),
                                        "oos_end": wf.oos_returns.index[-1].isoformat()},
                       "sweep_sets": len(sweep.parameters)},
        "metrics": metrics,
        "gate": {"thresholds": thresholds.to_dict(), **verdict.to_dict()},
    }


def _checked_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name):
        raise ValidationError("deployment_name", name, "use letters, digits, '.', '_' or '-' (a file name)")
    return name
