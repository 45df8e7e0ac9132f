"""The typed result of one backtest, and its design table-1 metrics."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import vectorbt as vbt

from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.backtest.provenance import data_fingerprint
from quantlib_local.risk import PerformanceSummary, performance_summary
from quantlib_local.strategies.market_data import MarketData

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


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """One backtest: what ran, on which data, and what came out.

    Everything beyond the equity curve is computed on first use (and kept), so a backtest
    whose trades or metrics are never read costs only the simulation.

    Attributes
    ----------
    strategy_name, parameters, config
        The strategy's registry (or class) name, its parameters and the trading config.
    market
        The bars (and features) the strategy saw.
    targets
        The strategy's decisions (bars x symbols), before the one-bar execution delay.
    portfolio
        The vectorbt portfolio, for anything vectorbt's own analytics offer.
    equity, returns
        Portfolio value and simple per-bar returns.
    """

    strategy_name: str
    parameters: dict[str, Any]
    config: BacktestConfig
    market: MarketData = field(repr=False)
    targets: pd.DataFrame = field(repr=False)
    portfolio: vbt.Portfolio = field(repr=False)
    equity: pd.Series = field(repr=False)
    returns: pd.Series = field(repr=False)

    @property
    def data_start(self) -> pd.Timestamp:
        """First bar."""
        return self.market.index[0]

    @property
    def data_end(self) -> pd.Timestamp:
        """Last bar."""
        return self.market.index[-1]

    @functools.cached_property
    def data_hash(self) -> str:
        """Content hash of the bars (see :func:`quantlib_local.backtest.data_fingerprint`)."""
        return data_fingerprint(self.market.bars)

    @functools.cached_property
    def benchmark_returns(self) -> pd.Series:
        """Equal-weighted buy-and-hold returns of the same symbols (for beta)."""
        return equal_weight_returns(self.market)

    @functools.cached_property
    def trades(self) -> pd.DataFrame:
        """One row per trade (:data:`TRADE_COLUMNS`); open trades are valued at the last close."""
        return trades_frame(self.portfolio, self.market.index, self.market.symbols)

    @functools.cached_property
    def exposure(self) -> pd.DataFrame:
        """Value held in each symbol as a fraction of equity, per bar."""
        held = self.portfolio.asset_value(group_by=False).to_numpy()
        return pd.DataFrame(held / self.equity.to_numpy()[:, None], index=self.market.index,
                            columns=self.market.symbols)

    @functools.cached_property
    def summary(self) -> PerformanceSummary:
        """Every metric of :func:`quantlib_local.risk.performance_summary`, beta against the benchmark."""
        return performance_summary(self.returns, self.benchmark_returns, periods_per_year=self.config.periods_per_year,
                                   risk_free_rate=self.config.risk_free_rate)

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


def equal_weight_returns(market: MarketData) -> pd.Series:
    """Returns of an equal-weighted basket of the listed symbols, rebalanced every bar."""
    close = market.close
    per_asset = close.pct_change(fill_method=None)
    return per_asset.mean(axis=1).fillna(0.0).rename("benchmark")


def trades_frame(portfolio: vbt.Portfolio, index: pd.DatetimeIndex, symbols: list[str]) -> pd.DataFrame:
    """The portfolio's trades with the columns of :data:`TRADE_COLUMNS` (exit trades)."""
    records = portfolio.exit_trades.values
    n_symbols = len(symbols)
    closed = records["status"] == 1
    exit_time = pd.Series(index[records["exit_idx"]]).where(closed, pd.NaT)
    frame = pd.DataFrame(
        {
            "symbol": [symbols[c % n_symbols] for c in records["col"]],
            "direction": np.where(records["direction"] == 0, "long", "short"),
            "size": records["size"],
            "entry_time": index[records["entry_idx"]],
            "entry_price": records["entry_price"],
            "exit_time": exit_time.to_numpy(),
            "exit_price": np.where(closed, records["exit_price"], np.nan),
            "fees": records["entry_fees"] + records["exit_fees"],
            "pnl": records["pnl"],
            "return": records["return"],
            "status": np.where(closed, "closed", "open"),
        },
        columns=list(TRADE_COLUMNS),
    )
    return frame.sort_values(["entry_time", "symbol"], kind="stable").reset_index(drop=True)
