"""Run one strategy over one data set: :func:`run_backtest`.

The simulation itself is vectorbt's (see :mod:`quantlib_local.backtest.simulate`); this
module checks the inputs, turns the portfolio into a :class:`BacktestResult` with the
package's own metrics (checked against empyrical) and the trade list.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import vectorbt as vbt

from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.backtest.provenance import data_fingerprint
from quantlib_local.backtest.result import TRADE_COLUMNS, BacktestResult
from quantlib_local.backtest.simulate import PriceArrays, simulate
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import performance_summary
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
    """Collect the result of a one-group portfolio."""
    equity = _as_series(portfolio.value(), "equity")
    returns = equity.pct_change().fillna(equity.iloc[0] / config.init_cash - 1).rename("returns")
    benchmark = equal_weight_returns(market)
    summary = performance_summary(
        returns, benchmark, periods_per_year=config.periods_per_year, risk_free_rate=config.risk_free_rate
    )
    asset_value = portfolio.asset_value(group_by=False)
    exposure = pd.DataFrame(
        asset_value.to_numpy() / equity.to_numpy()[:, None], index=market.index, columns=market.symbols
    )
    return BacktestResult(
        strategy_name=strategy.name or type(strategy).__name__,
        parameters=_plain_params(strategy.get_params()),
        config=config,
        data_start=market.index[0],
        data_end=market.index[-1],
        data_hash=data_fingerprint(market.bars),
        targets=targets,
        equity=equity,
        returns=returns,
        benchmark_returns=benchmark,
        trades=trades_frame(portfolio, market.index, market.symbols),
        exposure=exposure,
        summary=summary,
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


def _as_series(values: Any, name: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        values = values.iloc[:, 0]
    return pd.Series(values.to_numpy(dtype=float), index=values.index, name=name)


def _plain_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON-ready values; nested strategies become ``{"strategy": name, "params": {...}}``."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Strategy):
            out[key] = {"strategy": value.name or type(value).__name__, "params": _plain_params(value.get_params())}
        elif isinstance(value, (np.integer, np.floating)):
            out[key] = value.item()
        elif isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        else:
            out[key] = repr(value)
    return out
