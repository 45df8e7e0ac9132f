"""Position sizing from a volatility forecast and from the Kelly criterion (pure math).

Hooks for strategies and the live runner. Every function works bar by bar (scalars in, a
float out) and vectorised (a Series in, a Series out on the same index), with the same
numbers either way.

Volatility targeting scales exposure so that the position's forecast volatility matches a
target::

    weight = min(target_volatility / max(forecast_volatility, volatility_floor), max_leverage)

Both volatilities are annualised decimals (e.g. from
``GarchForecast.table["annualised_volatility"]``). The floor keeps a near-zero forecast from
asking for unbounded exposure; the cap is the gross leverage allowed. The weight is a
magnitude: multiply it by the strategy's signal (+1 / -1) for the direction.

Kelly sizing stakes ``multiplier * f`` with ``f = (b p - q) / b`` (design eq. 10, computed by
:mod:`quantlib_local.risk.kelly`), clipped to ``[0, max_position]``: a negative edge means no
position, and no position exceeds the design's ``risk.max_position_size = 0.1`` (appendix A;
the multiplier defaults to its ``risk.kelly_fraction = 0.25``). When the edge cannot be
estimated from returns (no winning or no losing bar, so the odds are undefined) the size is 0.

Vectorised inputs may hold NaN (no forecast yet, a missing bar): the answer is NaN there.
Scalar inputs must be finite, so that a live runner never sizes from a missing forecast.
"""

from __future__ import annotations

import logging
import math
from typing import Any, overload

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._validation import check_real, describe
from quantlib_local.risk.kelly import (
    DEFAULT_KELLY_MULTIPLIER,
    check_multiplier,
    fractional_kelly,
    kelly_fraction_from_returns,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_POSITION = 0.1
"""Design appendix A, ``risk.max_position_size``: at most 10 % of capital in one position."""

DEFAULT_MAX_LEVERAGE = 1.0
"""Volatility targeting never asks for more than 100 % gross exposure unless told to."""

DEFAULT_VOLATILITY_FLOOR = 0.01
"""Forecasts below 1 % a year are treated as 1 % (a guard against dividing by ~0)."""


@overload
def volatility_target_weight(
    forecast_volatility: float, target_volatility: float, *, max_leverage: float = ..., volatility_floor: float = ...
) -> float: ...
@overload
def volatility_target_weight(
    forecast_volatility: pd.Series, target_volatility: float, *, max_leverage: float = ..., volatility_floor: float = ...
) -> pd.Series: ...
def volatility_target_weight(
    forecast_volatility: float | pd.Series,
    target_volatility: float,
    *,
    max_leverage: float = DEFAULT_MAX_LEVERAGE,
    volatility_floor: float = DEFAULT_VOLATILITY_FLOOR,
) -> float | pd.Series:
    """Exposure that brings the forecast volatility to the target, capped by ``max_leverage``.

    Parameters
    ----------
    forecast_volatility
        Forecast annualised volatility (decimal, >= 0): a float for one bar or a Series
        (NaN allowed, giving NaN).
    target_volatility
        Annualised volatility the position should run at, > 0 (e.g. 0.10).
    max_leverage
        Largest weight returned, > 0.
    volatility_floor
        Smallest forecast used in the division, > 0.

    Returns
    -------
    float or pandas.Series
        ``min(target / max(forecast, floor), max_leverage)``, same shape as the forecast.

    Examples
    --------
    >>> volatility_target_weight(0.20, 0.10)
    0.5
    >>> volatility_target_weight(0.05, 0.10, max_leverage=1.5)
    1.5
    """
    target = _check_positive(target_volatility, "target_volatility", "e.g. 0.10 for 10 % a year")
    cap = _check_positive(max_leverage, "max_leverage", "e.g. 1.0 for no leverage or 2.0 for up to 2x")
    floor = _check_positive(volatility_floor, "volatility_floor", "e.g. 0.01 (1 % a year)")
    if isinstance(forecast_volatility, pd.Series):
        values = _checked_series(forecast_volatility, "forecast_volatility")
        with np.errstate(invalid="ignore"):
            weights = np.minimum(target / np.maximum(values, floor), cap)
        weights[np.isnan(values)] = np.nan
        return pd.Series(weights, index=forecast_volatility.index, name="weight")
    forecast = _check_scalar_volatility(forecast_volatility)
    return float(min(target / max(forecast, floor), cap))


@overload
def kelly_position_size(
    win_probability: float, payoff_ratio: float, *, multiplier: float = ..., max_position: float = ...
) -> float: ...
@overload
def kelly_position_size(
    win_probability: pd.Series | float, payoff_ratio: pd.Series | float, *, multiplier: float = ..., max_position: float = ...
) -> pd.Series: ...
def kelly_position_size(
    win_probability: pd.Series | float,
    payoff_ratio: pd.Series | float,
    *,
    multiplier: float = DEFAULT_KELLY_MULTIPLIER,
    max_position: float = DEFAULT_MAX_POSITION,
) -> float | pd.Series:
    """Fractional Kelly stake from a win probability and payoff ratio, clipped to ``[0, max_position]``.

    Parameters
    ----------
    win_probability
        Probability ``p`` of a win in [0, 1]: a float, or a Series (one value per bar; NaN
        gives NaN).
    payoff_ratio
        Net odds ``b`` > 0 (average win over average loss): a float or a Series aligned
        with ``win_probability``.
    multiplier
        Share of full Kelly, in (0, 1]; default 0.25 (design appendix A).
    max_position
        Largest stake, in (0, 1]; default 0.1 (design appendix A).

    Returns
    -------
    float or pandas.Series
        ``clip(multiplier * (b p - q) / b, 0, max_position)``; a Series when either input is one.

    Examples
    --------
    >>> round(kelly_position_size(0.6, 1.0), 12)  # full Kelly 0.2, quarter 0.05
    0.05
    >>> kelly_position_size(0.9, 2.0)  # quarter Kelly 0.2125, capped
    0.1
    """
    m = check_multiplier(multiplier)
    cap = _check_max_position(max_position)
    if not isinstance(win_probability, pd.Series) and not isinstance(payoff_ratio, pd.Series):
        return _clip(fractional_kelly(win_probability, payoff_ratio, m), cap)
    p, b = _aligned(win_probability, payoff_ratio)
    sizes = np.full(len(p), np.nan)
    for i, (p_i, b_i) in enumerate(zip(p.to_numpy(dtype=np.float64), b.to_numpy(dtype=np.float64))):
        if not (math.isnan(p_i) or math.isnan(b_i)):
            sizes[i] = _clip(fractional_kelly(p_i, b_i, m), cap)
    return pd.Series(sizes, index=p.index, name="position_size")


@overload
def kelly_position_size_from_returns(
    returns: pd.Series, *, multiplier: float = ..., max_position: float = ..., window: None = ...
) -> float: ...
@overload
def kelly_position_size_from_returns(
    returns: pd.Series, *, multiplier: float = ..., max_position: float = ..., window: int
) -> pd.Series: ...
def kelly_position_size_from_returns(
    returns: pd.Series,
    *,
    multiplier: float = DEFAULT_KELLY_MULTIPLIER,
    max_position: float = DEFAULT_MAX_POSITION,
    window: int | None = None,
) -> float | pd.Series:
    """Fractional Kelly stake estimated from a return sample, clipped to ``[0, max_position]``.

    Each bar is read as a bet (win rate and payoff ratio of the sample, see
    :func:`quantlib_local.risk.kelly_fraction_from_returns`).

    Parameters
    ----------
    returns
        Simple decimal returns of the strategy or asset (NaN bars are ignored).
    multiplier
        Share of full Kelly, in (0, 1]; default 0.25.
    max_position
        Largest stake, in (0, 1]; default 0.1.
    window
        None: one size from the whole sample (a float). An integer >= 2: a Series with, at
        each bar, the size estimated from the last ``window`` observed returns up to and
        including that bar (NaN until ``window`` returns have been seen).

    Returns
    -------
    float or pandas.Series
    """
    m = check_multiplier(multiplier)
    cap = _check_max_position(max_position)
    if not isinstance(returns, pd.Series):
        raise ValidationError("returns", describe(returns), "pass a pandas Series of simple decimal returns")
    if window is None:
        return _clip(float(kelly_fraction_from_returns(returns, multiplier=m)), cap)
    observed = returns.dropna()
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
        raise ValidationError("window", window, "pass a whole number of bars >= 2, e.g. 250, or None for the whole sample")
    if window > len(observed):
        raise ValidationError(
            "window", window, f"pass a window of at most {len(observed)} bars (the observed returns) or use more data",
            detail="the window is longer than the data",
        )
    windows = np.lib.stride_tricks.sliding_window_view(observed.to_numpy(dtype=np.float64), int(window))
    fractions = kelly_fraction_from_returns(pd.DataFrame(windows.T), multiplier=m).to_numpy()
    sizes = np.where(np.isnan(fractions), 0.0, np.clip(fractions, 0.0, cap))
    out = pd.Series(np.nan, index=observed.index, name="position_size")
    out.iloc[int(window) - 1 :] = sizes
    return out.reindex(returns.index)


def _clip(fraction: float, cap: float) -> float:
    if math.isnan(fraction):
        return 0.0
    return float(min(max(fraction, 0.0), cap))


def _aligned(p: pd.Series | float, b: pd.Series | float) -> tuple[pd.Series, pd.Series]:
    if isinstance(p, pd.Series) and isinstance(b, pd.Series):
        if not p.index.equals(b.index):
            raise ValidationError(
                "payoff_ratio", describe(b), "pass win_probability and payoff_ratio on the same index (align them first)"
            )
        return p, b
    if isinstance(p, pd.Series):
        return p, pd.Series(b, index=p.index)
    return pd.Series(p, index=b.index), b  # type: ignore[union-attr]


def _check_positive(value: Any, field: str, example: str) -> float:
    fix = f"pass a positive number, {example}"
    number = check_real(value, field, fix)
    if number <= 0.0:
        raise ValidationError(field, value, fix)
    return number


def _check_max_position(value: Any) -> float:
    fix = "pass a fraction of capital in (0, 1], e.g. 0.1 (design appendix A)"
    number = check_real(value, "max_position", fix)
    if not 0.0 < number <= 1.0:
        raise ValidationError("max_position", value, fix)
    return number


def _check_scalar_volatility(value: Any) -> float:
    fix = "pass a finite annualised volatility >= 0, e.g. 0.2; skip sizing on bars without a forecast"
    number = check_real(value, "forecast_volatility", fix)
    if number < 0.0:
        raise ValidationError("forecast_volatility", value, fix)
    return number


def _checked_series(series: pd.Series, field: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise ValidationError(field, str(series.dtype), "pass a float Series of annualised volatilities")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isinf(values) | (values < 0.0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{field}[{series.index[first]!r}]", float(values[first]),
            "pass finite annualised volatilities >= 0 (NaN marks a bar without a forecast)",
        )
    return values
