"""Walk-forward optimisation: sweep on each training window, trade the winner on the next.

Folds are laid on bar positions. ``mode="rolling"`` trains on the ``train_bars`` before
each test window; ``"expanding"`` trains on everything before it. The winner of each
training sweep trades its test window starting flat, with decisions computed on all the
history before the window (the strategy contract guarantees that adds no look-ahead:
only warm-up). The test windows' returns are stitched into one out-of-sample series,
which is what the promotion gate judges.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.backtest.result import equal_weight_returns, trades_frame
from quantlib_local.backtest.simulate import PriceArrays, group_values, simulate
from quantlib_local.backtest.sweep import DEFAULT_MAX_MEMORY_GB, SweepMethod, SweepResult, run_sweep
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import PerformanceSummary, performance_summary
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData

logger = logging.getLogger(__name__)
WalkForwardMode = Literal["rolling", "expanding"]


@dataclass(frozen=True)
class WalkForwardResult:
    """Folds, the parameters each chose, and the stitched out-of-sample performance.

    Attributes
    ----------
    folds
        One row per fold: train and test ranges, chosen parameters, in-sample objective,
        out-of-sample return and Sharpe.
    oos_returns, oos_equity
        Stitched out-of-sample per-bar returns and equity (from the config's init cash).
    oos_trades
        Out-of-sample trades of every fold.
    oos_summary
        Every metric of the stitched out-of-sample returns.
    sweeps
        The training sweep of each fold.
    """

    strategy_name: str
    folds: pd.DataFrame
    oos_returns: pd.Series
    oos_equity: pd.Series
    oos_trades: pd.DataFrame
    oos_summary: PerformanceSummary
    sweeps: list[SweepResult]

    @property
    def oos_win_rate(self) -> float:
        """Share of closed out-of-sample trades with a profit."""
        closed = self.oos_trades[self.oos_trades["status"] == "closed"]
        return float((closed["pnl"] > 0).mean()) if len(closed) else float("nan")


def walk_forward_folds(
    n_bars: int, train_bars: int, test_bars: int, mode: WalkForwardMode = "rolling"
) -> list[tuple[int, int, int, int]]:
    """``(train_start, train_end, test_start, test_end)`` positions; ends exclusive."""
    for name, value in (("train_bars", train_bars), ("test_bars", test_bars)):
        if not isinstance(value, (int, np.integer)) or value < 2:
            raise ValidationError(name, value, "give a whole number of bars >= 2")
    if mode not in ("rolling", "expanding"):
        raise ValidationError("mode", mode, "use 'rolling' or 'expanding'")
    if train_bars + test_bars > n_bars:
        raise ValidationError(
            "train_bars", train_bars, f"make train_bars + test_bars <= the {n_bars} bars available"
        )
    folds = []
    test_start = train_bars
    while test_start + test_bars <= n_bars:
        train_start = 0 if mode == "expanding" else test_start - train_bars
        folds.append((train_start, test_start, test_start, test_start + test_bars))
        test_start += test_bars
    return folds


def walk_forward(
    strategy: Strategy,
    bars: pd.DataFrame | MarketData,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    train_bars: int,
    test_bars: int,
    mode: WalkForwardMode = "rolling",
    method: SweepMethod = "grid",
    n_samples: int | None = None,
    seed: int | None = 0,
    config: BacktestConfig | None = None,
    features: pd.DataFrame | None = None,
    objective: str = "sharpe_ratio",
    max_memory_gb: float = DEFAULT_MAX_MEMORY_GB,
    scheduler: Any = "serial",
    pbo_partitions: int = 16,
    progress: bool = True,
) -> WalkForwardResult:
    """Walk-forward optimisation of ``strategy`` over ``grid`` (see the module notes).

    Parameters are those of :func:`~quantlib_local.backtest.run_sweep`, plus the fold
    lengths ``train_bars`` and ``test_bars`` (in bars) and ``mode``.
    """
    config = config or BacktestConfig()
    market = strategy.market_data(bars, features)
    folds = walk_forward_folds(len(market), train_bars, test_bars, mode)
    prices = PriceArrays.from_market(market)
    rows, pieces, trade_pieces, sweeps = [], [], [], []
    for train_start, train_end, test_start, test_end in tqdm(folds, desc="walk-forward", unit="fold",
                                                             disable=not progress, leave=False):
        train = _slice(market, train_start, train_end)
        sweep = run_sweep(strategy, train, grid, method=method, n_samples=n_samples, seed=seed, config=config,
                          objective=objective, max_memory_gb=max_memory_gb, scheduler=scheduler,
                          pbo_partitions=pbo_partitions, progress=False)
        chosen = strategy.with_params(**sweep.best_params)
        returns, trades = trade_window(chosen, market, prices, test_start, test_end, config)
        pieces.append(returns)
        trade_pieces.append(trades)
        sweeps.append(sweep)
        rows.append({
            "train_start": market.index[train_start], "train_end": market.index[train_end - 1],
            "test_start": market.index[test_start], "test_end": market.index[test_end - 1],
            "params": sweep.best_params, f"is_{objective}": float(sweep.metrics[objective].iloc[sweep.best_set]),
            "oos_return": float((1 + returns).prod() - 1), "oos_trades": len(trades),
        })
    oos_returns = pd.concat(pieces).rename("oos_returns")
    equity = (config.init_cash * (1 + oos_returns).cumprod()).rename("oos_equity")
    benchmark = equal_weight_returns(market).reindex(oos_returns.index)
    summary = performance_summary(oos_returns, benchmark, periods_per_year=config.periods_per_year,
                                  risk_free_rate=config.risk_free_rate)
    trades = pd.concat(trade_pieces, ignore_index=True)
    return WalkForwardResult(strategy.name or type(strategy).__name__, pd.DataFrame(rows).rename_axis("fold"),
                             oos_returns, equity, trades, summary, sweeps)


def _slice(market: MarketData, start: int, stop: int) -> MarketData:
    features = None if market.features is None else market.features.iloc[start:stop]
    return MarketData(market.bars.iloc[start:stop], features)


def trade_window(
    strategy: Strategy, market: MarketData, prices: PriceArrays, start: int, stop: int, config: BacktestConfig
) -> tuple[pd.Series, pd.DataFrame]:
    """Returns and trades of ``strategy`` over bars ``[start, stop)``, entering flat.

    Decisions come from the whole history up to ``stop``; the simulation starts one bar
    before ``start`` so the decision made at that bar's close is executed at ``start``.
    """
    targets = strategy.decide(market.head(stop)).to_numpy()[start - 1 : stop]
    window = PriceArrays(
        index=prices.index[start - 1 : stop], symbols=prices.symbols,
        open=None if prices.open is None else prices.open[start - 1 : stop],
        high=None if prices.high is None else prices.high[start - 1 : stop],
        low=None if prices.low is None else prices.low[start - 1 : stop],
        close=prices.close[start - 1 : stop], listed=prices.listed[start - 1 : stop], bar_spacing=prices.bar_spacing,
    )
    symbols = np.arange(len(prices.symbols))
    portfolio = simulate(targets, window, symbols, pd.Index(prices.symbols), np.zeros(len(symbols), int),
                         strategy.output, config)
    value = group_values(portfolio)[:, 0]
    returns = pd.Series(value[1:] / value[:-1] - 1, index=window.index[1:])
    return returns, trades_frame(portfolio, window.index, prices.symbols)
