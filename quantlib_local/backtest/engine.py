"""Run one strategy over one data set: :func:`run_backtest`.

The simulation itself is vectorbt's (see :mod:`quantlib_local.backtest.simulate`); this
module checks the inputs, turns the portfolio into a :class:`BacktestResult` with the
package's own metrics (checked against empyrical) and the trade list.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import vectorbt as vbt

from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.backtest.provenance import plain_params
from quantlib_local.backtest.result import BacktestResult
from quantlib_local.backtest.simulate import PriceArrays, group_values, simulate
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData

logger = logging.getLogger(__name__)
MIN_BARS = 3


def run_backtest(
    strategy: Strategy,
    bars: pd.DataFrame | MarketData,
    config: BacktestConfig | None = None,
    *,
    features: pd.DataFrame | None = None,
) -> BacktestResult:
    """Backtest ``strategy`` on ``bars``.

    Parameters
    ----------
    strategy
        Any :class:`~quantlib_local.strategies.Strategy`.
    bars
        One-asset OHLCV bars, many-asset ``(field, symbol)`` bars or a table of closes.
    config
        Costs, sizing, stops and timing (defaults: :class:`BacktestConfig`).
    features
        Optional features on the bars' index (sentiment and other alternative data).

    Returns
    -------
    BacktestResult

    Raises
    ------
    ValidationError
        For a non-strategy, empty or misaligned data, or a config the data cannot
        support (stops without high/low), before any simulation.
    """
    if not isinstance(strategy, Strategy):
        raise ValidationError("strategy", type(strategy).__name__, "pass a quantlib_local.strategies.Strategy")
    config = config or BacktestConfig()
    if not isinstance(config, BacktestConfig):
        raise ValidationError("config", type(config).__name__, "pass a BacktestConfig")
    market = strategy.market_data(bars, features)
    if len(market) < MIN_BARS:
        raise ValidationError("bars", f"{len(market)} rows", f"pass at least {MIN_BARS} bars")
    prices = PriceArrays.from_market(market)
    targets = strategy.decide(market)
    symbols = np.arange(len(market.symbols))
    portfolio = simulate(
        targets.to_numpy(), prices, symbols, pd.Index(market.symbols, name="symbol"), np.zeros(len(symbols), int),
        strategy.output, config,
    )
    return result_from_portfolio(portfolio, strategy, market, targets, config)


def result_from_portfolio(
    portfolio: vbt.Portfolio, strategy: Strategy, market: MarketData, targets: pd.DataFrame, config: BacktestConfig
) -> BacktestResult:
    """Collect the result of a one-group portfolio (metrics, trades and exposure come on first use)."""
    equity = pd.Series(group_values(portfolio)[:, 0], index=market.index, name="equity")
    returns = equity.pct_change().fillna(equity.iloc[0] / config.init_cash - 1).rename("returns")
    return BacktestResult(
        strategy_name=strategy.name or type(strategy).__name__,
        parameters=plain_params(strategy.get_params()),
        config=config,
        market=market,
        targets=targets,
        portfolio=portfolio,
        equity=equity,
        returns=returns,
    )
