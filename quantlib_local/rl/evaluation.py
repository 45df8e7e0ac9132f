"""Judge a trained policy out of sample against buy-and-hold and a random policy.

:func:`compare_policies` backtests a policy file, :class:`~quantlib_local.rl.baselines.BuyAndHold`
and seeded :class:`~quantlib_local.rl.baselines.RandomPolicy` runs on the same held-out
window with the same engine and costs (:func:`~quantlib_local.backtest.walk_forward.trade_window`:
decisions use all history before the window, trading starts flat on its first bar).
:func:`walk_forward_rl` repeats train-then-test over successive folds, training a fresh
agent on each training window (:func:`~quantlib_local.rl.training.train_agent`) and
stitching the test windows into one out-of-sample record per policy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.backtest.simulate import PriceArrays
from quantlib_local.backtest.walk_forward import WalkForwardMode, trade_window, walk_forward_folds
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import performance_summary
from quantlib_local.rl.baselines import BuyAndHold, RandomPolicy
from quantlib_local.rl.policy import RLPolicy, load_policy_file
from quantlib_local.rl.training import TrainingConfig, train_agent
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData

logger = logging.getLogger(__name__)
AGENT = "agent"
BUY_AND_HOLD = "buy_and_hold"
RANDOM = "random"
METRICS = ("total_return", "annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio", "max_drawdown",
           "calmar_ratio", "win_rate")


@dataclass(frozen=True)
class PolicyComparison:
    """Out-of-sample returns and metrics of the agent and its baselines.

    Attributes
    ----------
    returns
        Per-bar returns, one column per policy: ``agent``, ``buy_and_hold`` and
        ``random_<seed>`` for each random seed.
    metrics
        One row per policy (and ``random`` for the mean over the seeds): the backtest
        metrics of :data:`METRICS` plus ``trades`` and ``final_equity``.
    trades
        The agent's trades.
    """

    returns: pd.DataFrame
    metrics: pd.DataFrame
    trades: pd.DataFrame

    @property
    def equity(self) -> pd.DataFrame:
        """Growth of 1 per policy."""
        return (1.0 + self.returns).cumprod()


@dataclass(frozen=True)
class RLWalkForwardResult:
    """Folds of :func:`walk_forward_rl` and the stitched out-of-sample comparison.

    Attributes
    ----------
    folds
        One row per fold: train and test ranges, policy path, training speed and each
        policy's out-of-sample Sharpe ratio on the fold.
    comparison
        The stitched test windows of every fold.
    histories
        Each fold's training log (see :attr:`~quantlib_local.rl.training.TrainingResult.history`).
    """

    folds: pd.DataFrame
    comparison: PolicyComparison
    histories: list[pd.DataFrame]


def compare_policies(
    policy: str | Path,
    bars: pd.DataFrame | MarketData,
    *,
    start: int | str | pd.Timestamp,
    end: int | str | pd.Timestamp | None = None,
    config: BacktestConfig | None = None,
    random_seeds: Sequence[int] = (0, 1, 2, 3, 4),
    symbol: str | None = None,
    features: pd.DataFrame | None = None,
) -> PolicyComparison:
    """Backtest the policy and its baselines on bars ``[start, end)``.

    Parameters
    ----------
    policy
        Policy file (``qlab rl train`` writes ``policy.pt``).
    bars
        Bars including the history before ``start`` (features need a warm-up).
    start, end
        The held-out window: bar positions or timestamps; ``end`` defaults to the last bar.
    config
        Costs and timing; default the costs the policy was trained with.
    random_seeds
        Seeds of the random-policy runs (its metrics row is their mean).
    symbol, features
        Traded symbol (default the policy's) and optional sentiment.
    """
    loaded = load_policy_file(policy)
    market = bars if isinstance(bars, MarketData) else MarketData.from_frames(bars, features)
    config = config or loaded.environment.costs
    if not isinstance(config, BacktestConfig):
        raise ValidationError("config", type(config).__name__, "pass a BacktestConfig or None")
    first, stop = _position(market, start, "start"), len(market) if end is None else _position(market, end, "end")
    if not 1 <= first < stop <= len(market) or stop - first < 2:
        raise ValidationError("start/end", (start, end), f"pick a window of at least 2 bars inside 1..{len(market)}, "
                                                         "with history before it")
    if not random_seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in random_seeds):
        raise ValidationError("random_seeds", random_seeds, "pass one or more non-negative integer seeds")
    agent = RLPolicy(str(policy), symbol=symbol)
    traded = agent.traded_symbol(market, loaded)
    strategies: dict[str, Strategy] = {AGENT: agent, BUY_AND_HOLD: BuyAndHold(symbol=traded)}
    for seed in random_seeds:
        strategies[f"{RANDOM}_{seed}"] = RandomPolicy(actions=loaded.environment.actions, seed=seed, symbol=traded)
    prices = PriceArrays.from_market(market)
    returns, trade_counts, agent_trades = {}, {}, pd.DataFrame()
    for name, strategy in strategies.items():
        returns[name], trades = trade_window(strategy, market, prices, first, stop, config)
        trade_counts[name] = len(trades)
        if name == AGENT:
            agent_trades = trades
    return _comparison(pd.DataFrame(returns), trade_counts, agent_trades, config,
                       [f"{RANDOM}_{s}" for s in random_seeds])


def walk_forward_rl(
    bars: pd.DataFrame | MarketData,
    training: TrainingConfig,
    *,
    train_bars: int,
    test_bars: int,
    mode: WalkForwardMode = "rolling",
    output_dir: str | Path,
    symbol: str | None = None,
    features: pd.DataFrame | None = None,
    random_seeds: Sequence[int] = (0, 1, 2, 3, 4),
    progress: bool = True,
) -> RLWalkForwardResult:
    """Train on each training window, test on the next, against the baselines.

    Parameters
    ----------
    bars
        The whole history.
    training
        Training config of every fold (each fold's seed is ``training.seed + fold``).
    train_bars, test_bars, mode
        Fold layout, as :func:`~quantlib_local.backtest.walk_forward.walk_forward_folds`.
    output_dir
        Each fold writes its TensorBoard log, checkpoint and policy under ``fold_<k>/``.
    symbol, features, random_seeds
        As in :func:`compare_policies`.
    progress
        Progress bars while training.
    """
    market = bars if isinstance(bars, MarketData) else MarketData.from_frames(bars, features)
    folds = walk_forward_folds(len(market), train_bars, test_bars, mode)
    rows, pieces, histories = [], [], []
    for k, (train_start, train_end, test_start, test_end) in enumerate(folds):
        config = replace(training, seed=training.seed + k)
        window = MarketData(market.bars.iloc[train_start:train_end],
                            None if market.features is None else market.features.iloc[train_start:train_end])
        trained = train_agent(window, config, symbol=symbol, output_dir=Path(output_dir) / f"fold_{k}",
                              progress=progress)
        comparison = compare_policies(trained.policy_path, market.head(test_end), start=test_start,  # type: ignore[arg-type]
                                      config=training.environment.costs, random_seeds=random_seeds, symbol=symbol)
        pieces.append(comparison)
        histories.append(trained.history.assign(fold=k))
        rows.append({
            "train_start": market.index[train_start], "train_end": market.index[train_end - 1],
            "test_start": market.index[test_start], "test_end": market.index[test_end - 1],
            "policy": str(trained.policy_path), "steps_per_second": trained.steps_per_second,
            **{f"sharpe_{name}": comparison.metrics.loc[name, "sharpe_ratio"]
               for name in (AGENT, BUY_AND_HOLD, RANDOM)},
        })
        logger.info("fold %d: agent Sharpe %.2f, buy-and-hold %.2f, random %.2f", k, rows[-1]["sharpe_agent"],
                    rows[-1]["sharpe_buy_and_hold"], rows[-1]["sharpe_random"])
    returns = pd.concat([piece.returns for piece in pieces])
    counts = {name: int(sum(piece.metrics.loc[name, "trades"] for piece in pieces)) for name in returns.columns}
    stitched = _comparison(returns, counts, pd.concat([piece.trades for piece in pieces], ignore_index=True),
                           training.environment.costs, [c for c in returns.columns if c.startswith(f"{RANDOM}_")])
    return RLWalkForwardResult(pd.DataFrame(rows).rename_axis("fold"), stitched, histories)


def _position(market: MarketData, value: int | str | pd.Timestamp, name: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValidationError(name, value, "pass a bar position or a timestamp") from None
    if stamp.tzinfo is None and market.index.tz is not None:
        stamp = stamp.tz_localize(market.index.tz)
    return int(market.index.searchsorted(stamp))


def _comparison(returns: pd.DataFrame, trade_counts: dict[str, int], agent_trades: pd.DataFrame,
                config: BacktestConfig, random_names: list[str]) -> PolicyComparison:
    rows = {}
    for name in returns.columns:
        summary = performance_summary(returns[name], periods_per_year=config.periods_per_year,
                                      risk_free_rate=config.risk_free_rate)
        rows[name] = {**{m: getattr(summary, m) for m in METRICS}, "trades": trade_counts[name],
                      "final_equity": config.init_cash * float((1.0 + returns[name]).prod())}
    metrics = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    metrics.loc[RANDOM] = metrics.loc[random_names].mean()
    return PolicyComparison(returns, metrics, agent_trades)
