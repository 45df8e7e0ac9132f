"""One typed summary of every risk and performance metric of a return series.

Hand-written glue over the metric modules of this package: it fixes one set of
assumptions (bars per year, risk-free rate, MAR, VaR confidence, Kelly multiplier) for all
metrics, records them beside the numbers, and returns a frozen dataclass that the
reporting layer turns into tables with :meth:`PerformanceSummary.to_series` or
:meth:`PerformanceSummary.to_dict`. Sign conventions are those of the metric modules:
drawdowns are non-positive decimals, VaR/CVaR are positive loss numbers per bar.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._validation import (
    check_annual_rate,
    check_open_unit_interval,
    coerce_returns,
)
from quantlib_local.risk.annualisation import resolve_periods_per_year
from quantlib_local.risk.capm import alpha, beta
from quantlib_local.risk.drawdown import (
    DrawdownPeriod,
    max_drawdown,
    max_drawdown_duration,
)
from quantlib_local.risk.kelly import (
    DEFAULT_KELLY_MULTIPLIER,
    check_multiplier,
    kelly_fraction_from_returns,
)
from quantlib_local.risk.performance import (
    annual_return,
    annual_volatility,
    calmar_ratio,
    downside_deviation,
    payoff_ratio,
    profit_factor,
    sharpe_ratio,
    sortino_ratio,
    total_return,
    win_rate,
)
from quantlib_local.risk.tail_risk import (
    DEFAULT_CONFIDENCE,
    conditional_value_at_risk,
    tail_ratio,
    value_at_risk,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PerformanceSummary:
    """Risk and performance metrics of one return series, with the assumptions used.

    Attributes
    ----------
    observations
        Number of observed (non-NaN) bars.
    first_bar, last_bar
        Labels (timestamps) of the first and last observed bar.
    periods_per_year, risk_free_rate, minimum_acceptable_return, confidence, kelly_multiplier
        The assumptions the metrics were computed with (rates are annual decimals).
    total_return, annual_return, annual_volatility
        Compounded sample return, CAGR and annualised volatility (decimals).
    sharpe_ratio, sortino_ratio, downside_deviation, calmar_ratio
        Risk-adjusted ratios and the annualised downside deviation below the MAR.
    max_drawdown
        Non-positive decimal, e.g. -0.25.
    longest_drawdown
        The longest peak-to-recovery period (:class:`DrawdownPeriod`).
    value_at_risk_historical, value_at_risk_gaussian, value_at_risk_cornish_fisher
        One-bar VaR at ``confidence`` as positive loss decimals.
    conditional_value_at_risk_historical, conditional_value_at_risk_gaussian
        One-bar CVaR (expected shortfall) as positive loss decimals.
    tail_ratio
        ``|Q(0.95)| / |Q(0.05)|``.
    win_rate, profit_factor, payoff_ratio
        Bar-level hit rate (among bars that moved), gross gains over gross losses, average
        win over average loss.
    kelly_fraction, fractional_kelly_fraction
        Full Kelly estimated from the bars, and ``kelly_multiplier`` times it.
    beta, alpha
        Against the benchmark (alpha annualised); None without a benchmark.
    """

    observations: int
    first_bar: Hashable
    last_bar: Hashable
    periods_per_year: float
    risk_free_rate: float
    minimum_acceptable_return: float
    confidence: float
    kelly_multiplier: float
    total_return: float
    annual_return: float
    annual_volatility: float
    sharpe_ratio: float
    sortino_ratio: float
    downside_deviation: float
    calmar_ratio: float
    max_drawdown: float
    longest_drawdown: DrawdownPeriod
    value_at_risk_historical: float
    value_at_risk_gaussian: float
    value_at_risk_cornish_fisher: float
    conditional_value_at_risk_historical: float
    conditional_value_at_risk_gaussian: float
    tail_ratio: float
    win_rate: float
    profit_factor: float
    payoff_ratio: float
    kelly_fraction: float
    fractional_kelly_fraction: float
    beta: float | None
    alpha: float | None

    def to_dict(self) -> dict[str, Any]:
        """Flat dict: the drawdown period's fields become ``longest_drawdown_<field>``."""
        flat: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, DrawdownPeriod):
                flat.update({f"longest_drawdown_{key}": item for key, item in value.to_dict().items()})
            else:
                flat[field.name] = value
        return flat

    def to_series(self, name: Hashable | None = None) -> pd.Series:
        """The flat dict as an object Series (one column of a comparison table)."""
        return pd.Series(self.to_dict(), name=name, dtype=object)


def performance_summary(
    returns: pd.Series,
    benchmark: pd.Series | None = None,
    *,
    periods_per_year: float | None = None,
    risk_free_rate: float = 0.0,
    minimum_acceptable_return: float = 0.0,
    confidence: float = DEFAULT_CONFIDENCE,
    kelly_multiplier: float = DEFAULT_KELLY_MULTIPLIER,
) -> PerformanceSummary:
    """Every metric of :mod:`quantlib_local.risk` for one return series.

    Parameters
    ----------
    returns
        Simple decimal returns of one strategy or asset (a Series; use
        :func:`performance_table` for a wide frame).
    benchmark
        Optional benchmark returns (Series) for beta and alpha, aligned on the index.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.
    risk_free_rate
        Annual decimal risk-free rate (Sharpe, alpha).
    minimum_acceptable_return
        Annual decimal MAR (Sortino, downside deviation).
    confidence
        VaR/CVaR confidence level in (0, 1); default 0.95 (design appendix A).
    kelly_multiplier
        Share of full Kelly for ``fractional_kelly_fraction``; default 0.25 (appendix A).

    Returns
    -------
    PerformanceSummary
    """
    if isinstance(returns, pd.DataFrame):
        raise ValidationError(
            "returns", f"DataFrame(shape={returns.shape})", "use performance_table for one row per column"
        )
    block = coerce_returns(returns)
    series = block.shape_like_input(block.values)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    rf = check_annual_rate(risk_free_rate, "risk_free_rate")
    mar = check_annual_rate(minimum_acceptable_return, "minimum_acceptable_return")
    level = check_open_unit_interval(confidence, "confidence", "0.95")
    kelly_multiplier = check_multiplier(kelly_multiplier, "kelly_multiplier")
    observed = series.index[~np.isnan(block.values[:, 0])]
    full_kelly = kelly_fraction_from_returns(series)
    return PerformanceSummary(
        observations=len(observed),
        first_bar=observed[0],
        last_bar=observed[-1],
        periods_per_year=ppy,
        risk_free_rate=rf,
        minimum_acceptable_return=mar,
        confidence=level,
        kelly_multiplier=kelly_multiplier,
        total_return=total_return(series),
        annual_return=annual_return(series, ppy),
        annual_volatility=annual_volatility(series, ppy),
        sharpe_ratio=sharpe_ratio(series, rf, ppy),
        sortino_ratio=sortino_ratio(series, mar, ppy),
        downside_deviation=downside_deviation(series, mar, ppy),
        calmar_ratio=calmar_ratio(series, ppy),
        max_drawdown=max_drawdown(series),
        longest_drawdown=max_drawdown_duration(series),
        value_at_risk_historical=value_at_risk(series, level, "historical"),
        value_at_risk_gaussian=value_at_risk(series, level, "gaussian"),
        value_at_risk_cornish_fisher=value_at_risk(series, level, "cornish_fisher"),
        conditional_value_at_risk_historical=conditional_value_at_risk(series, level, "historical"),
        conditional_value_at_risk_gaussian=conditional_value_at_risk(series, level, "gaussian"),
        tail_ratio=tail_ratio(series),
        win_rate=win_rate(series),
        profit_factor=profit_factor(series),
        payoff_ratio=payoff_ratio(series),
        kelly_fraction=full_kelly,
        fractional_kelly_fraction=kelly_fraction_from_returns(series, kelly_multiplier),
        beta=None if benchmark is None else beta(series, benchmark),
        alpha=None if benchmark is None else alpha(series, benchmark, rf, ppy),
    )


def performance_table(
    returns: pd.Series | pd.DataFrame,
    benchmark: pd.Series | None = None,
    *,
    periods_per_year: float | None = None,
    risk_free_rate: float = 0.0,
    minimum_acceptable_return: float = 0.0,
    confidence: float = DEFAULT_CONFIDENCE,
    kelly_multiplier: float = DEFAULT_KELLY_MULTIPLIER,
) -> pd.DataFrame:
    """:func:`performance_summary` of every column, one row per column.

    Parameters
    ----------
    returns
        Simple decimal returns, a wide DataFrame (one column per asset or strategy) or a
        Series (one row). ``periods_per_year`` is resolved once from the shared index.
    benchmark, periods_per_year, risk_free_rate, minimum_acceptable_return, confidence, kelly_multiplier
        As in :func:`performance_summary`.

    Returns
    -------
    pandas.DataFrame
        Index: the columns of ``returns``; columns: the keys of
        :meth:`PerformanceSummary.to_dict`.
    """
    block = coerce_returns(returns)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    frame = block.shape_like_input(block.values)
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    rows = {
        column: performance_summary(
            frame[column],
            benchmark,
            periods_per_year=ppy,
            risk_free_rate=risk_free_rate,
            minimum_acceptable_return=minimum_acceptable_return,
            confidence=confidence,
            kelly_multiplier=kelly_multiplier,
        ).to_dict()
        for column in frame.columns
    }
    return pd.DataFrame.from_dict(rows, orient="index")
