"""Return and risk-adjusted return metrics on simple returns.

Hand-written rather than calling empyrical at run time: empyrical is our *test
reference* (tests/risk/test_against_empyrical.py compares every metric here with it on
real equity and crypto returns), not a runtime dependency. We need column-vectorised
versions for wide frames whose columns start on different listing dates, annualisation
inferred from the bars (:mod:`quantlib_local.risk.annualisation`), annual rather than
per-bar risk-free rates, and the package's validation errors.

Conventions
-----------
* Inputs are simple decimal returns per bar; NaN bars are dropped per column.
* ``periods_per_year`` is explicit or inferred from the DatetimeIndex.
* Annual rates (risk-free rate, minimum acceptable return) are turned into per-bar rates
  geometrically: ``(1 + rate) ** (1 / periods_per_year) - 1``. Pass the same per-bar
  value to empyrical to reproduce its numbers.
* Standard deviations use ``ddof=1``; Sortino's downside deviation uses the lower partial
  moment over *all* bars (``ddof=0``, Sortino & Price 1994), which is empyrical's
  ``downside_risk``.
* Every ratio divides by a dispersion; a column with zero dispersion gives +-inf (or NaN
  for 0/0), never an arbitrary large number.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from quantlib_local.risk._nanstats import nan_count, nan_mean, nan_mean_and_std, nan_std
from quantlib_local.risk._validation import (
    MetricValue,
    check_annual_rate,
    coerce_returns,
    per_period_rate,
)
from quantlib_local.risk.annualisation import resolve_periods_per_year
from quantlib_local.risk.drawdown import max_drawdown_of_block

logger = logging.getLogger(__name__)


def total_return(returns: pd.Series | pd.DataFrame) -> MetricValue:
    """Compounded return over the whole sample, ``prod(1 + r) - 1``.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).

    Returns
    -------
    float or pandas.Series
        E.g. 0.5 for +50 % over the sample.
    """
    block = coerce_returns(returns)
    return block.shape_answer(_growth(block.values, block.missing) - 1.0, "total_return")


def annual_return(returns: pd.Series | pd.DataFrame, periods_per_year: float | None = None) -> MetricValue:
    """Compound annual growth rate (CAGR).

    ``(prod(1 + r)) ** (periods_per_year / n) - 1`` with ``n`` the number of observed bars
    of the column (empyrical's ``annual_return``/``cagr``).

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    float or pandas.Series
        Annual decimal growth rate, e.g. 0.12 for 12 % a year.
    """
    block = coerce_returns(returns)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    return block.shape_answer(_cagr(block.values, block.missing, ppy), "annual_return")


def annual_volatility(returns: pd.Series | pd.DataFrame, periods_per_year: float | None = None) -> MetricValue:
    """Annualised standard deviation, ``std(r, ddof=1) * sqrt(periods_per_year)``.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    float or pandas.Series
        Annual volatility as a decimal, e.g. 0.2 for 20 %.
    """
    block = coerce_returns(returns)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    return block.shape_answer(nan_std(block.values, missing=block.missing) * np.sqrt(ppy), "annual_volatility")


def sharpe_ratio(
    returns: pd.Series | pd.DataFrame, risk_free_rate: float = 0.0, periods_per_year: float | None = None
) -> MetricValue:
    """Annualised Sharpe ratio.

    ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year)`` with ``rf`` the per-bar
    equivalent of the annual ``risk_free_rate``.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    risk_free_rate
        Annual decimal risk-free rate, e.g. 0.04.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    float or pandas.Series
        The Sharpe ratio; NaN with fewer than two bars.
    """
    block = coerce_returns(returns)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    rf = per_period_rate(check_annual_rate(risk_free_rate, "risk_free_rate"), ppy)
    excess = block.values - rf
    with np.errstate(invalid="ignore", divide="ignore"):
        mean, std = nan_mean_and_std(excess, missing=block.missing)
        ratio = mean / std * np.sqrt(ppy)
    return block.shape_answer(ratio, "sharpe_ratio")


def downside_deviation(
    returns: pd.Series | pd.DataFrame, minimum_acceptable_return: float = 0.0, periods_per_year: float | None = None
) -> MetricValue:
    """Annualised downside deviation below a minimum acceptable return (MAR).

    ``sqrt(mean(min(r - mar, 0) ** 2)) * sqrt(periods_per_year)``: the second lower partial
    moment over all observed bars (bars above the MAR count as zeros), Sortino & Price
    (1994); identical to empyrical's ``downside_risk``.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    minimum_acceptable_return
        Annual decimal MAR (target return), turned into a per-bar rate geometrically.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    float or pandas.Series
        Annualised downside deviation, a non-negative decimal.
    """
    block = coerce_returns(returns)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    mar = per_period_rate(check_annual_rate(minimum_acceptable_return, "minimum_acceptable_return"), ppy)
    return block.shape_answer(_downside_deviation(block.values - mar, block.missing, ppy), "downside_deviation")


def sortino_ratio(
    returns: pd.Series | pd.DataFrame, minimum_acceptable_return: float = 0.0, periods_per_year: float | None = None
) -> MetricValue:
    """Annualised Sortino ratio.

    ``mean(r - mar) * periods_per_year / downside_deviation`` (the annualised excess mean
    over the annualised downside deviation; empyrical's ``sortino_ratio`` with
    ``required_return`` equal to the per-bar MAR).

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    minimum_acceptable_return
        Annual decimal MAR (target return).
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    float or pandas.Series
        The Sortino ratio; +inf when no bar falls below the MAR and the mean excess is
        positive; NaN with fewer than two bars.
    """
    block = coerce_returns(returns)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    mar = per_period_rate(check_annual_rate(minimum_acceptable_return, "minimum_acceptable_return"), ppy)
    excess = block.values - mar
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = nan_mean(excess, block.missing) * ppy / _downside_deviation(excess, block.missing, ppy)
    ratio = np.where(nan_count(block.values, block.missing) < 2, np.nan, ratio)
    return block.shape_answer(ratio, "sortino_ratio")


def calmar_ratio(returns: pd.Series | pd.DataFrame, periods_per_year: float | None = None) -> MetricValue:
    """Calmar ratio: CAGR over the absolute maximum drawdown of the same sample.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    float or pandas.Series
        ``annual_return / -max_drawdown``; NaN when there is no drawdown (as empyrical).
    """
    block = coerce_returns(returns)
    ppy = resolve_periods_per_year(periods_per_year, block.index)
    mdd = max_drawdown_of_block(block)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(mdd < 0.0, _cagr(block.values, block.missing, ppy) / np.abs(mdd), np.nan)
    return block.shape_answer(ratio, "calmar_ratio")


def win_rate(returns: pd.Series | pd.DataFrame) -> MetricValue:
    """Share of winning bars among bars that moved.

    ``count(r > 0) / count(r != 0)``: flat bars (often bars out of the market) are neither
    wins nor losses, so they do not dilute the rate.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).

    Returns
    -------
    float or pandas.Series
        A decimal in [0, 1]; NaN when no bar moved.
    """
    block = coerce_returns(returns)
    return block.shape_answer(win_rate_of_values(block.values), "win_rate")


def profit_factor(returns: pd.Series | pd.DataFrame) -> MetricValue:
    """Gross gains over gross losses, ``sum(r > 0) / |sum(r < 0)|``.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).

    Returns
    -------
    float or pandas.Series
        Above 1 for a profitable bar mix; +inf with gains and no losses; NaN when no bar
        moved.
    """
    block = coerce_returns(returns)
    gains = np.nansum(np.where(block.values > 0.0, block.values, 0.0), axis=0)
    losses = np.nansum(np.where(block.values < 0.0, -block.values, 0.0), axis=0)  # +0.0, never -0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = gains / losses
    return block.shape_answer(factor, "profit_factor")


def payoff_ratio(returns: pd.Series | pd.DataFrame) -> MetricValue:
    """Average win over average loss, ``mean(r | r > 0) / |mean(r | r < 0)|``.

    This is the odds ``b`` of the Kelly formula when each bar is read as a bet.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).

    Returns
    -------
    float or pandas.Series
        A positive number; NaN when there is no winning or no losing bar.
    """
    block = coerce_returns(returns)
    return block.shape_answer(payoff_ratio_of_values(block.values), "payoff_ratio")


def win_rate_of_values(values: np.ndarray) -> np.ndarray:
    """Per-column win rate of a checked ``(n_bars, n_columns)`` block."""
    wins = np.count_nonzero(values > 0.0, axis=0)
    losses = np.count_nonzero(values < 0.0, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return wins / np.where(wins + losses > 0, wins + losses, np.nan)


def payoff_ratio_of_values(values: np.ndarray) -> np.ndarray:
    """Per-column payoff ratio of a checked ``(n_bars, n_columns)`` block."""
    average_win = nan_mean(np.where(values > 0.0, values, np.nan))
    average_loss = nan_mean(np.where(values < 0.0, values, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        return average_win / np.abs(average_loss)


def _growth(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    return np.prod(1.0 + np.where(missing, 0.0, values), axis=0)


def _cagr(values: np.ndarray, missing: np.ndarray, ppy: float) -> np.ndarray:
    years = nan_count(values, missing) / ppy
    with np.errstate(invalid="ignore", divide="ignore"):
        return _growth(values, missing) ** (1.0 / years) - 1.0


def _downside_deviation(excess: np.ndarray, missing: np.ndarray, ppy: float) -> np.ndarray:
    below = np.minimum(excess, 0.0)  # NaN stays NaN
    return np.sqrt(nan_mean(below * below, missing)) * np.sqrt(ppy)
