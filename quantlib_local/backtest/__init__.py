"""Backtesting (layer 5): the vectorbt engine, sweeps, walk-forward and the promotion gate."""

from quantlib_local.backtest.config import (
    BacktestConfig,
    FixedFraction,
    FractionalKelly,
    Sizing,
    VolatilityTargetSizing,
)
from quantlib_local.backtest.engine import run_backtest
from quantlib_local.backtest.gate import GateCheck, GateThresholds, GateVerdict, evaluate_gate
from quantlib_local.backtest.promotion import PromotionOutcome, promote
from quantlib_local.backtest.provenance import code_version, data_fingerprint
from quantlib_local.backtest.result import TABLE1_TARGETS, TRADE_COLUMNS, BacktestResult
from quantlib_local.backtest.sweep import SweepResult, parameter_sets, run_sweep
from quantlib_local.backtest.walk_forward import WalkForwardResult, walk_forward, walk_forward_folds

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "FixedFraction",
    "FractionalKelly",
    "GateCheck",
    "GateThresholds",
    "GateVerdict",
    "PromotionOutcome",
    "SweepResult",
    "WalkForwardResult",
    "Sizing",
    "TABLE1_TARGETS",
    "TRADE_COLUMNS",
    "VolatilityTargetSizing",
    "code_version",
    "data_fingerprint",
    "evaluate_gate",
    "parameter_sets",
    "promote",
    "run_sweep",
    "walk_forward",
    "walk_forward_folds",
    "run_backtest",
]
