"""Risk and performance metrics on simple returns (layer 3: pure math, no I/O).

Every metric takes a Series (one asset; answers a float) or a wide DataFrame (one column
per asset; answers a Series per column) of simple decimal returns, drops NaN bars per
column, and takes ``periods_per_year`` explicitly or infers it from the DatetimeIndex
(:func:`periods_per_year`). Rates are annual decimals. Drawdowns are non-positive
decimals (-0.25); VaR and CVaR are positive one-bar loss decimals (design eq. 9).
:mod:`~quantlib_local.risk.overfitting` holds the selection-bias statistics of a parameter
sweep (PSR, deflated Sharpe ratio, probability of backtest overfitting); their Sharpe ratios
are per period, not annualised.

The implementations are hand-written (each module says why); empyrical is used only by
the tests, as an independent reference on real equity and crypto returns.
"""

from __future__ import annotations

from quantlib_local.risk.annualisation import Calendar, periods_per_year
from quantlib_local.risk.capm import alpha, beta
from quantlib_local.risk.drawdown import (
    DrawdownPeriod,
    drawdown_series,
    max_drawdown,
    max_drawdown_duration,
)
from quantlib_local.risk.guards import GUARD_NAMES, RiskLimits, check_guards, guard_status, worst_status
from quantlib_local.risk.kelly import (
    DEFAULT_KELLY_MULTIPLIER,
    fractional_kelly,
    kelly_fraction,
    kelly_fraction_from_returns,
)
from quantlib_local.risk.overfitting import (
    MAX_PARTITIONS,
    BacktestOverfittingResult,
    DeflatedSharpeResult,
    deflated_sharpe_ratio,
    deflated_sharpe_ratio_from_statistics,
    expected_maximum_sharpe,
    probabilistic_sharpe_ratio,
    probabilistic_sharpe_ratio_from_returns,
    probability_of_backtest_overfitting,
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
from quantlib_local.risk.sizing import (
    DEFAULT_MAX_LEVERAGE,
    DEFAULT_MAX_POSITION,
    DEFAULT_VOLATILITY_FLOOR,
    kelly_position_size,
    kelly_position_size_from_returns,
    volatility_target_weight,
)
from quantlib_local.risk.summary import (
    PerformanceSummary,
    performance_summary,
    performance_table,
)
from quantlib_local.risk.tail_risk import (
    DEFAULT_CONFIDENCE,
    CVaRMethod,
    VaRMethod,
    conditional_value_at_risk,
    cornish_fisher_quantile,
    tail_ratio,
    value_at_risk,
)

__all__ = [
    "GUARD_NAMES",
    "RiskLimits",
    "check_guards",
    "guard_status",
    "worst_status",
    "DEFAULT_MAX_LEVERAGE",
    "DEFAULT_MAX_POSITION",
    "DEFAULT_VOLATILITY_FLOOR",
    "kelly_position_size",
    "kelly_position_size_from_returns",
    "volatility_target_weight",
    "CVaRMethod",
    "Calendar",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_KELLY_MULTIPLIER",
    "DrawdownPeriod",
    "PerformanceSummary",
    "VaRMethod",
    "alpha",
    "annual_return",
    "annual_volatility",
    "beta",
    "calmar_ratio",
    "conditional_value_at_risk",
    "cornish_fisher_quantile",
    "downside_deviation",
    "drawdown_series",
    "fractional_kelly",
    "kelly_fraction",
    "kelly_fraction_from_returns",
    "max_drawdown",
    "max_drawdown_duration",
    "payoff_ratio",
    "performance_summary",
    "performance_table",
    "periods_per_year",
    "profit_factor",
    "sharpe_ratio",
    "sortino_ratio",
    "tail_ratio",
    "total_return",
    "value_at_risk",
    "win_rate",
    "MAX_PARTITIONS",
    "BacktestOverfittingResult",
    "DeflatedSharpeResult",
    "deflated_sharpe_ratio",
    "deflated_sharpe_ratio_from_statistics",
    "expected_maximum_sharpe",
    "probabilistic_sharpe_ratio",
    "probabilistic_sharpe_ratio_from_returns",
    "probability_of_backtest_overfitting",
]
