"""Beta and alpha of returns against a benchmark (single-index CAPM regression).

Hand-written rather than calling empyrical at run time (empyrical is the test
reference): we regress every column of a wide frame on the benchmark at once, each
column on its own overlap with the benchmark, take annual risk-free rates, and raise
the package's validation errors when the two series share no timestamps.

Definitions (identical to empyrical's ``alpha_beta`` given the per-bar risk-free rate):

* Returns and benchmark are aligned on the intersection of their indexes; for each
  column only bars where both are observed are used.
* ``beta = cov(r, m) / var(m)`` (the OLS slope; the ddof cancels).
* ``alpha = (1 + mean((r - rf) - beta (m - rf))) ** periods_per_year - 1``: the mean
  per-bar Jensen alpha, compounded to a year. ``rf`` is the per-bar equivalent of the
  annual ``risk_free_rate``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._nanstats import nan_count, nan_mean, nan_std
from quantlib_local.risk._validation import (
    MetricValue,
    ReturnsBlock,
    check_annual_rate,
    coerce_returns,
    per_period_rate,
)
from quantlib_local.risk.annualisation import resolve_periods_per_year

logger = logging.getLogger(__name__)


def beta(returns: pd.Series | pd.DataFrame, benchmark: pd.Series) -> MetricValue:
    """Sensitivity of the returns to the benchmark, ``cov(r, m) / var(m)``.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    benchmark
        Simple decimal benchmark returns (a Series), aligned on the index.

    Returns
    -------
    float or pandas.Series
        Beta per column; NaN when fewer than two common bars are observed or the benchmark
        is constant over them.
    """
    block, bench = aligned_with_benchmark(returns, benchmark)
    return block.shape_answer(beta_of_aligned(block.values, bench), "beta")


def alpha(
    returns: pd.Series | pd.DataFrame,
    benchmark: pd.Series,
    risk_free_rate: float = 0.0,
    periods_per_year: float | None = None,
) -> MetricValue:
    """Annualised Jensen alpha against the benchmark.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    benchmark
        Simple decimal benchmark returns (a Series), aligned on the index.
    risk_free_rate
        Annual decimal risk-free rate.
    periods_per_year
        Bars per year; inferred from the common DatetimeIndex when None.

    Returns
    -------
    float or pandas.Series
        ``(1 + mean((r - rf) - beta (m - rf))) ** periods_per_year - 1``, an annual decimal.
    """
    block, bench = aligned_with_benchmark(returns, benchmark)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    rf = per_period_rate(check_annual_rate(risk_free_rate, "risk_free_rate"), ppy)
    return block.shape_answer(alpha_of_aligned(block.values, bench, rf, ppy), "alpha")


def aligned_with_benchmark(
    returns: pd.Series | pd.DataFrame, benchmark: pd.Series
) -> tuple[ReturnsBlock, Float64Array]:
    """Check both inputs and restrict them to their common index.

    Returns
    -------
    tuple
        The returns block on the common index, and the benchmark as a 1-D array on the
        same rows.
    """
    block = coerce_returns(returns)
    if isinstance(benchmark, pd.DataFrame) and benchmark.shape[1] == 1:
        benchmark = benchmark.iloc[:, 0]
    if not isinstance(benchmark, pd.Series):
        raise ValidationError(
            "benchmark", type(benchmark).__name__, "pass the benchmark returns as one pandas Series"
        )
    bench = coerce_returns(benchmark, field="benchmark")
    try:
        common = block.index.intersection(bench.index, sort=False)
    except TypeError:  # e.g. tz-aware vs tz-naive timestamps
        common = pd.Index([])
    if len(common) == 0:
        raise ValidationError(
            "benchmark",
            f"index {bench.index[0]} .. {bench.index[-1]}",
            "pass benchmark returns on the same timestamps (and time zone) as the returns",
            detail=f"no timestamp in common with returns ({block.index[0]} .. {block.index[-1]})",
        )
    if len(common) < len(block.index):
        logger.debug("benchmark covers %d of %d return bars", len(common), len(block.index))
    rows = block.index.get_indexer(common)
    aligned = ReturnsBlock(
        values=block.values[rows],
        index=common,
        columns=block.columns,
        is_series=block.is_series,
        missing=block.missing[rows],
    )
    return aligned, bench.values[bench.index.get_indexer(common), 0]


def beta_of_aligned(values: Float64Array, benchmark: Float64Array) -> Float64Array:
    """Per-column beta of an aligned block on an aligned benchmark (NaN-aware)."""
    both = ~np.isnan(values) & ~np.isnan(benchmark)[:, np.newaxis]
    market = np.where(both, benchmark[:, np.newaxis], np.nan)
    own = np.where(both, values, np.nan)
    centred = market - nan_mean(market)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = nan_mean(centred * own) / nan_mean(centred * centred)
    degenerate = (nan_count(market) < 2) | ~(nan_std(market) > 0.0)
    return np.where(degenerate, np.nan, slope)


def alpha_of_aligned(values: Float64Array, benchmark: Float64Array, rf: float, ppy: float) -> Float64Array:
    """Per-column annualised alpha of an aligned block (``rf`` per bar)."""
    slope = beta_of_aligned(values, benchmark)
    residual = (values - rf) - slope * (benchmark[:, np.newaxis] - rf)
    with np.errstate(invalid="ignore", over="ignore"):
        return (1.0 + nan_mean(residual)) ** ppy - 1.0

