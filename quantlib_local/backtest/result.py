"""The typed result of one backtest, and its design table-1 metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.risk import PerformanceSummary

TRADE_COLUMNS = (
    "symbol", "direction", "size", "entry_time", "entry_price", "exit_time", "exit_price", "fees", "pnl", "return",
    "status",
)
# Design table 1: the target metrics, in the design's order, with the targets it sets.
TABLE1_TARGETS: dict[str, float] = {
    "annual_return": 0.15,
    "sharpe_ratio": 2.5,
    "max_drawdown": -0.08,
    "sortino_ratio": 3.0,
    "beta": 0.3,
    "win_rate": 0.65,
    "calmar_ratio": 1.9,
}


@dataclass(frozen=True)
class BacktestResult:
    """One backtest: what ran, on which data, and what came out.

    Attributes
    ----------
    strategy_name, parameters, config
        The strategy's registry (or class) name, its parameters and the trading config.
    data_start, data_end, data_hash
        The bars' range and content hash (see :func:`quantlib_local.backtest.data_fingerprint`).
    targets
        The strategy's decisions (bars x symbols), before the one-bar execution delay.
    equity, returns
        Portfolio value and simple per-bar returns.
    benchmark_returns
        Equal-weighted buy-and-hold returns of the same symbols (for beta).
    trades
        One row per trade (:data:`TRADE_COLUMNS`); open trades are valued at the last close.
    exposure
        Value held in each symbol as a fraction of equity, per bar.
    summary
        Every metric of :func:`quantlib_local.risk.performance_summary`.
    """

    strategy_name: str
    parameters: dict[str, Any]
    config: BacktestConfig
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    data_hash: str
    targets: pd.DataFrame
    equity: pd.Series
    returns: pd.Series
    benchmark_returns: pd.Series
    trades: pd.DataFrame
    exposure: pd.DataFrame
    summary: PerformanceSummary

    @property
    def final_equity(self) -> float:
        """Portfolio value after the last bar."""
        return float(self.equity.iloc[-1])

    @property
    def n_trades(self) -> int:
        """Number of trades (open ones included)."""
        return len(self.trades)

    @property
    def trade_win_rate(self) -> float:
        """Share of closed trades with a positive profit (NaN without closed trades)."""
        closed = self.trades[self.trades["status"] == "closed"]
        return float((closed["pnl"] > 0).mean()) if len(closed) else math.nan

    def metrics(self) -> dict[str, float | None]:
        """Design table 1 first (win rate per closed trade), then the other headline figures."""
        s = self.summary
        return {
            "annual_return": s.annual_return,
            "sharpe_ratio": s.sharpe_ratio,
            "max_drawdown": s.max_drawdown,
            "sortino_ratio": s.sortino_ratio,
            "beta": s.beta,
            "win_rate": self.trade_win_rate,
            "calmar_ratio": s.calmar_ratio,
            "total_return": s.total_return,
            "annual_volatility": s.annual_volatility,
            "alpha": s.alpha,
            "bar_win_rate": s.win_rate,
            "profit_factor": s.profit_factor,
            "value_at_risk": s.value_at_risk_historical,
            "conditional_value_at_risk": s.conditional_value_at_risk_historical,
            "n_trades": float(self.n_trades),
            "exposure_time": float((self.exposure.abs().sum(axis=1) > 1e-12).mean()),
            "final_equity": self.final_equity,
        }

    def json_metrics(self) -> dict[str, float | None]:
        """:meth:`metrics` with NaN and infinities as None (for JSON and the store)."""
        return {k: (None if v is None or not np.isfinite(v) else float(v)) for k, v in self.metrics().items()}

    def table1(self) -> pd.DataFrame:
        """The design's table-1 metrics beside their targets."""
        values = self.metrics()
        rows = [(name, values[name], target) for name, target in TABLE1_TARGETS.items()]
        return pd.DataFrame(rows, columns=["metric", "value", "target"]).set_index("metric")

    def __repr__(self) -> str:
        m = self.metrics()
        return (
            f"BacktestResult({self.strategy_name} {self.parameters}, {self.data_start:%Y-%m-%d}..{self.data_end:%Y-%m-%d}"
            f", total_return={m['total_return']:.2%}, sharpe={m['sharpe_ratio']:.2f}, trades={self.n_trades})"
        )
