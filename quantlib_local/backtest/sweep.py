"""Parameter sweeps: many parameter sets, one broadcast vectorbt simulation per chunk.

A sweep draws parameter sets from the strategy's declared space (a full grid, a grid
over given lists, or seeded random draws), asks the strategy for all their targets at
once (:meth:`Strategy.decide_many`, which shares work such as one moving average for
many crossovers), and simulates each chunk of sets as one vectorbt portfolio with a
group per set. Chunks are sized from a memory budget measured per simulated cell, so a
10,000-set sweep stays under ``max_memory_gb``; a sweep that cannot fit is refused
before any work. Chunks run in this process or on Dask (see :mod:`quantlib_local._parallel`).

Every sweep reports its overfitting statistics: the deflated Sharpe ratio of the best
set given how many were tried, and the probability of backtest overfitting (CSCV).
"""

from __future__ import annotations

import gc
import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from tqdm.auto import tqdm

from quantlib_local._parallel import check_scheduler, run_tasks
from quantlib_local.backtest.config import BacktestConfig
from quantlib_local.backtest.simulate import PriceArrays, group_values, simulate
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import (
    annual_return,
    annual_volatility,
    calmar_ratio,
    max_drawdown,
    periods_per_year,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from quantlib_local.risk.overfitting import (
    BacktestOverfittingResult,
    DeflatedSharpeResult,
    deflated_sharpe_ratio_from_statistics,
    probability_of_backtest_overfitting,
)
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData

logger = logging.getLogger(__name__)

# Peak bytes per simulated cell (bar x column) of one chunk: our arrays (targets, signals,
# prices, sizes) plus vectorbt's broadcast copies, records and value. Measured by
# benchmarks/bench_sweep.py: a fresh process sweeps one chunk of 50/100/150/200 SMA sets over
# the 20 real stocks (7,126 bars, so 7.1M..28.5M cells); (ru_maxrss - RSS after a warm-up
# sweep) / cells = 82.6..83.1 bytes, flat in the chunk size. 100 leaves a 20 % margin.
BYTES_PER_CELL = 100
# RSS of that process after imports, the data and a warm-up sweep: 543..566 MiB.
FIXED_OVERHEAD_BYTES = 600 * 2**20  # interpreter, numba, vectorbt and the market data
# The (bars x sets) returns matrix is kept for the overfitting statistics; with the
# chunks gathered so far and the working copies of the metrics and CSCV, up to three
# copies of it are alive at once.
KEPT_RETURNS_COPIES = 3
METRIC_BLOCK_BYTES = 64 * 2**20  # metrics and Sharpe ratios are computed over blocks of sets this large
DEFAULT_MAX_MEMORY_GB = 4.0
SweepMethod = Literal["grid", "random"]
OBJECTIVES = ("sharpe_ratio", "sortino_ratio", "calmar_ratio", "annual_return", "total_return")


@dataclass(frozen=True)
class SweepResult:
    """What a sweep measured.

    Attributes
    ----------
    strategy_name
        The strategy swept.
    parameters
        One row per parameter set (index ``set``), one column per parameter.
    metrics
        One row per set: total and annual return, volatility, Sharpe, Sortino, max
        drawdown, Calmar, trades and final equity.
    returns
        Per-bar returns of every set (bars x sets), the input of the overfitting statistics.
    objective
        The metric that ranks sets.
    deflated_sharpe, overfitting
        Deflated Sharpe ratio of the best set and the CSCV probability of backtest
        overfitting (None when there are too few bars or sets for CSCV).
    """

    strategy_name: str
    parameters: pd.DataFrame
    metrics: pd.DataFrame
    returns: pd.DataFrame
    objective: str
    deflated_sharpe: DeflatedSharpeResult | None
    overfitting: BacktestOverfittingResult | None

    @property
    def best_set(self) -> int:
        """Index of the set with the highest objective (ties: the first)."""
        return int(self.metrics[self.objective].fillna(-np.inf).to_numpy().argmax())

    @property
    def best_params(self) -> dict[str, Any]:
        """Parameters of the best set, as plain Python values."""
        row = self.parameters.iloc[self.best_set]
        return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}

    def table(self) -> pd.DataFrame:
        """Parameters and metrics side by side, best first."""
        joined = self.parameters.join(self.metrics)
        return joined.sort_values(self.objective, ascending=False, na_position="last")


def parameter_sets(
    strategy: Strategy,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    method: SweepMethod = "grid",
    n_samples: int | None = None,
    seed: int | None = 0,
) -> list[dict[str, Any]]:
    """Parameter sets to sweep: every other parameter stays at the strategy's value.

    Parameters
    ----------
    strategy
        The strategy whose declared space is swept.
    grid
        Values to try per parameter; with ``method="grid"`` and no grid, the full declared grid.
    method
        ``"grid"`` (every combination) or ``"random"`` (``n_samples`` seeded draws from
        the declared space, or from ``grid`` lists when given).
    n_samples, seed
        Random sweeps only.

    Sets that break a cross-parameter rule (``fast >= slow``) are dropped.
    """
    space = strategy.parameter_space
    names = list(grid) if grid else list(space)
    for name in names:
        if name not in space:
            raise ValidationError("grid", name, f"sweep only declared parameters {sorted(space)}")
    if method == "grid":
        values = [list(grid[name]) if grid else space[name].grid() for name in names]
        for name, options in zip(names, values):
            if not options:
                raise ValidationError(f"grid[{name!r}]", options, "give at least one value")
        candidates = (dict(zip(names, combo)) for combo in itertools.product(*values))
    elif method == "random":
        if not isinstance(n_samples, int) or n_samples < 1:
            raise ValidationError("n_samples", n_samples, "give the number of random parameter sets, e.g. 500")
        rng = np.random.default_rng(seed)
        draws = {
            name: (list(rng.choice(np.asarray(grid[name], dtype=object), n_samples)) if grid else
                   space[name].sample(rng, n_samples))
            for name in names
        }
        candidates = ({name: draws[name][i] for name in names} for i in range(n_samples))
    else:
        raise ValidationError("method", method, "use 'grid' or 'random'")
    sets: list[dict[str, Any]] = []
    for candidate in candidates:
        try:
            sets.append(strategy.with_params(**candidate).get_params())
        except ValidationError:
            continue
    if not sets:
        raise ValidationError("grid", dict(grid or {}), "give values that make at least one valid parameter set")
    return [{name: s[name] for name in names} for s in sets]


def plan_chunks(n_bars: int, n_symbols: int, n_sets: int, max_memory_gb: float, chunk_size: int | None) -> int:
    """Parameter sets per chunk under the memory budget; refuses a sweep that cannot fit."""
    if not (isinstance(max_memory_gb, (int, float)) and math.isfinite(max_memory_gb) and max_memory_gb > 0):
        raise ValidationError("max_memory_gb", max_memory_gb, "give a positive memory budget in GB, e.g. 4")
    kept = n_bars * n_sets * 8 * KEPT_RETURNS_COPIES
    budget = max_memory_gb * 2**30 - FIXED_OVERHEAD_BYTES - kept
    per_set = n_bars * n_symbols * BYTES_PER_CELL
    fits = int(budget // per_set) if budget > 0 else 0
    if fits < 1:
        need = (FIXED_OVERHEAD_BYTES + per_set + kept) / 2**30
        raise ValidationError(
            "max_memory_gb", max_memory_gb,
            f"raise it to at least {need:.1f}, or sweep fewer sets, bars or symbols",
            detail=f"{n_sets} sets over {n_bars} bars x {n_symbols} symbols need about {need:.1f} GB",
        )
    if chunk_size is not None:
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValidationError("chunk_size", chunk_size, "give a positive number of sets per chunk, or None")
        if chunk_size > fits:
            raise ValidationError("chunk_size", chunk_size, f"use at most {fits} to stay within {max_memory_gb} GB")
        return chunk_size
    return max(1, min(fits, n_sets))


def run_sweep(
    strategy: Strategy,
    bars: pd.DataFrame | MarketData,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    method: SweepMethod = "grid",
    n_samples: int | None = None,
    seed: int | None = 0,
    config: BacktestConfig | None = None,
    features: pd.DataFrame | None = None,
    objective: str = "sharpe_ratio",
    max_memory_gb: float = DEFAULT_MAX_MEMORY_GB,
    chunk_size: int | None = None,
    scheduler: Any = "serial",
    n_workers: int | None = None,
    pbo_partitions: int = 16,
    progress: bool = True,
) -> SweepResult:
    """Backtest every parameter set of ``strategy`` on ``bars``.

    Parameters
    ----------
    strategy, bars, features, config
        As for :func:`~quantlib_local.backtest.run_backtest`.
    grid, method, n_samples, seed
        Which sets (see :func:`parameter_sets`).
    objective
        Metric that ranks the sets (one of :data:`OBJECTIVES`).
    max_memory_gb, chunk_size
        Memory budget, and optionally a fixed number of sets per chunk within it.
    scheduler, n_workers
        ``"serial"`` (default) or any Dask scheduler (see :mod:`quantlib_local._parallel`).
    pbo_partitions
        Row blocks for CSCV (even, >= 2).
    progress
        Show a tqdm bar counted in parameter sets.
    """
    if objective not in OBJECTIVES:
        raise ValidationError("objective", objective, f"use one of {list(OBJECTIVES)}")
    check_scheduler(scheduler)
    config = config or BacktestConfig()
    market = strategy.market_data(bars, features)
    sets = parameter_sets(strategy, grid, method=method, n_samples=n_samples, seed=seed)
    size = plan_chunks(len(market), len(market.symbols), len(sets), max_memory_gb, chunk_size)
    chunks = [sets[i : i + size] for i in range(0, len(sets), size)]
    logger.info("sweeping %d parameter sets of %s in %d chunk(s)", len(sets), type(strategy).__name__, len(chunks))
    tasks = [(strategy, market, chunk, config) for chunk in chunks]
    with tqdm(total=len(chunks), desc=f"sweep {strategy.name or type(strategy).__name__}", unit="chunk",
              disable=not progress, leave=False) as bar:
        outcomes = run_tasks(simulate_chunk, tasks, scheduler, bar=bar, n_workers=n_workers, label="sweep chunks")
    trade_counts = np.concatenate([o[1] for o in outcomes])
    final_equity = np.concatenate([o[2] for o in outcomes])
    matrix = np.empty((len(market), len(sets)))
    start = 0
    while outcomes:  # move each chunk into place and drop it, so the returns are never held twice
        chunk_returns = outcomes.pop(0)[0]
        matrix[:, start : start + chunk_returns.shape[1]] = chunk_returns
        start += chunk_returns.shape[1]
        del chunk_returns
    # copy=False keeps the (bars, sets) array as is: pandas 3 would otherwise transpose-copy it
    returns = pd.DataFrame(matrix, index=market.index, columns=pd.RangeIndex(len(sets), name="set"), copy=False)
    metrics = sweep_metrics(returns, config, trade_counts, final_equity)
    parameters = pd.DataFrame(sets).rename_axis("set")
    deflated, overfitting = overfitting_statistics(returns, metrics[objective], pbo_partitions)
    return SweepResult(strategy.name or type(strategy).__name__, parameters, metrics, returns, objective, deflated,
                       overfitting)


def simulate_chunk(
    strategy: Strategy, market: MarketData, chunk: Sequence[Mapping[str, Any]], config: BacktestConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (bars x sets), trade counts and final equity of one chunk of parameter sets."""
    n_symbols = len(market.symbols)
    targets = strategy.decide_many(market, chunk).reshape(len(market), len(chunk) * n_symbols)
    prices = PriceArrays.from_market(market)
    column_symbols = np.tile(np.arange(n_symbols), len(chunk))
    groups = np.repeat(np.arange(len(chunk)), n_symbols)
    portfolio = simulate(targets, prices, column_symbols, pd.RangeIndex(targets.shape[1]), groups, strategy.output,
                         config)
    del targets
    value = group_values(portfolio)
    returns = np.empty_like(value)
    returns[0] = value[0] / config.init_cash - 1
    returns[1:] = value[1:] / value[:-1] - 1
    trade_columns = portfolio.exit_trades.values["col"]
    counts = np.bincount(groups[trade_columns], minlength=len(chunk)).astype(float)
    final = value[-1].copy()
    # vectorbt's objects hold their broadcast arrays in reference cycles, which Python's
    # collector (counting objects, not bytes) may not free before the next chunk doubles them.
    del portfolio, value
    gc.collect()
    return returns, counts, final


def sweep_metrics(
    returns: pd.DataFrame, config: BacktestConfig, trade_counts: np.ndarray, final_equity: np.ndarray
) -> pd.DataFrame:
    """Per-set metrics from the returns matrix (the same functions as a single backtest).

    Computed over blocks of sets, so the metrics' working copies stay small beside the
    kept returns matrix.
    """
    per_year = config.periods_per_year or periods_per_year(returns.index)
    rf = config.risk_free_rate
    blocks = []
    for columns in _column_blocks(returns.shape):
        part = returns.iloc[:, columns]
        blocks.append(pd.DataFrame(
            {
                "total_return": total_return(part),
                "annual_return": annual_return(part, per_year),
                "annual_volatility": annual_volatility(part, per_year),
                "sharpe_ratio": sharpe_ratio(part, rf, per_year),
                "sortino_ratio": sortino_ratio(part, 0.0, per_year),
                "max_drawdown": max_drawdown(part),
                "calmar_ratio": calmar_ratio(part, per_year),
            },
            index=part.columns,
        ))
    metrics = pd.concat(blocks)
    metrics["n_trades"] = trade_counts
    metrics["final_equity"] = final_equity
    return metrics


def overfitting_statistics(
    returns: pd.DataFrame, ranking: pd.Series, pbo_partitions: int
) -> tuple[DeflatedSharpeResult | None, BacktestOverfittingResult | None]:
    """Deflated Sharpe of the best set and CSCV PBO; None where the data cannot support them.

    Sets that never traded (all-zero returns) are not counted as trials. The deflated
    Sharpe ratio is assembled from per-set Sharpe ratios computed over blocks of sets (the
    same figures :func:`quantlib_local.risk.deflated_sharpe_ratio` computes on the whole
    matrix, without its full-size working copies).
    """
    matrix = returns.to_numpy()
    sharpes = np.full(matrix.shape[1], np.nan)
    for columns in _column_blocks(matrix.shape):
        part = matrix[:, columns]
        with np.errstate(invalid="ignore", divide="ignore"):
            sharpes[columns] = part.mean(axis=0) / part.std(axis=0, ddof=1)
    traded = np.isfinite(sharpes)
    if traded.sum() < 2:
        logger.warning("fewer than two parameter sets traded; no overfitting statistics")
        return None, None
    best = int(ranking.fillna(-np.inf).to_numpy().argmax())
    if not traded[best]:
        best = int(np.nanargmax(sharpes))
    chosen = matrix[:, best]
    deflated = deflated_sharpe_ratio_from_statistics(
        float(sharpes[best]), float(np.var(sharpes[traded], ddof=1)), int(traded.sum()), len(chosen),
        float(stats.skew(chosen)), float(stats.kurtosis(chosen, fisher=False)), selected=returns.columns[best],
    )
    overfitting = None
    if len(matrix) >= 2 * pbo_partitions:
        live = returns if traded.all() else returns.loc[:, traded]
        overfitting = probability_of_backtest_overfitting(live, n_partitions=pbo_partitions)
    else:
        logger.warning("only %d bars: too few for %d CSCV partitions; no PBO", len(matrix), pbo_partitions)
    return deflated, overfitting


def _column_blocks(shape: tuple[int, int]) -> list[slice]:
    """Slices of columns of about :data:`METRIC_BLOCK_BYTES` each."""
    width = max(1, METRIC_BLOCK_BYTES // (8 * max(shape[0], 1)))
    return [slice(start, start + width) for start in range(0, shape[1], width)]
