"""Kelly position sizing (design eq. 10) and its fractional form.

Hand-written: the formula is one line, and neither empyrical nor the other libraries we
use expose it with validated inputs, a return-based estimate for wide frames, or the
fractional multiplier of the design's risk configuration.

Eq. 10: ``f = (b p - q) / b`` with ``p`` the probability of a win, ``q = 1 - p`` and ``b``
the net odds (payoff ratio: average win over average loss). ``f`` is the fraction of
capital to stake. It is negative when the edge is negative (the bet should not be
taken); the functions report it unclipped so that the caller sees the sign, and sizing
code clips at zero. Full Kelly maximises long-run log growth but is very volatile; the
design's appendix A sizes with a quarter of it (``risk.kelly_fraction = 0.25``), the
default multiplier here.

The return-based estimate reads every bar as a binary bet: ``p`` is the win rate among
bars that moved and ``b`` the payoff ratio (see :func:`~quantlib_local.risk.win_rate`
and :func:`~quantlib_local.risk.payoff_ratio`). It is a rough guide, not the
continuous-returns Kelly ``mu / sigma^2``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._validation import MetricValue, check_real, coerce_returns
from quantlib_local.risk.performance import payoff_ratio_of_values, win_rate_of_values

logger = logging.getLogger(__name__)

DEFAULT_KELLY_MULTIPLIER = 0.25
"""Design appendix A, ``risk.kelly_fraction``: stake a quarter of full Kelly."""


def kelly_fraction(win_probability: float, payoff_ratio: float) -> float:
    """Full Kelly fraction ``f = (b p - q) / b`` (design eq. 10).

    Parameters
    ----------
    win_probability
        Probability ``p`` of a win, in [0, 1].
    payoff_ratio
        Net odds ``b`` > 0: amount won per unit staked on a win (average win over average
        loss when the loss is the whole stake).

    Returns
    -------
    float
        Fraction of capital to stake; negative when the bet has a negative edge.

    Examples
    --------
    >>> round(kelly_fraction(0.6, 1.0), 12)  # even-money bet won 60 % of the time
    0.2
    """
    p = _check_probability(win_probability)
    b = _check_payoff(payoff_ratio)
    return float(_kelly(np.float64(p), np.float64(b)))


def fractional_kelly(
    win_probability: float, payoff_ratio: float, multiplier: float = DEFAULT_KELLY_MULTIPLIER
) -> float:
    """A fixed share of the full Kelly fraction, ``multiplier * f``.

    Parameters
    ----------
    win_probability
        Probability of a win, in [0, 1].
    payoff_ratio
        Net odds, > 0.
    multiplier
        Share of full Kelly to stake, in (0, 1]; default 0.25 (design appendix A).

    Returns
    -------
    float
        ``multiplier * (b p - q) / b``.
    """
    m = check_multiplier(multiplier)
    return m * kelly_fraction(win_probability, payoff_ratio)


def kelly_fraction_from_returns(
    returns: pd.Series | pd.DataFrame, multiplier: float = 1.0
) -> MetricValue:
    """Kelly fraction estimated from returns, each bar read as a bet.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    multiplier
        Share of full Kelly, in (0, 1]; 1.0 gives full Kelly, 0.25 the design's sizing.

    Returns
    -------
    float or pandas.Series
        ``multiplier * (b p - q) / b`` with ``p`` the win rate and ``b`` the payoff ratio;
        NaN when there is no winning or no losing bar (the odds are then undefined).
    """
    m = check_multiplier(multiplier)
    block = coerce_returns(returns)
    f = _kelly(win_rate_of_values(block.values), payoff_ratio_of_values(block.values))
    return block.shape_answer(m * f, "kelly_fraction")


def _kelly(p: np.ndarray | np.float64, b: np.ndarray | np.float64) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (b * p - (1.0 - p)) / b


def _check_probability(value: float) -> float:
    fix = "pass a probability between 0 and 1, e.g. 0.55"
    p = check_real(value, "win_probability", fix)
    if not 0.0 <= p <= 1.0:
        raise ValidationError("win_probability", value, fix)
    return p


def _check_payoff(value: float) -> float:
    fix = "pass positive net odds, e.g. 1.0 for an even-money bet or 1.5 when wins are 1.5x losses"
    b = check_real(value, "payoff_ratio", fix)
    if b <= 0.0:
        raise ValidationError("payoff_ratio", value, fix)
    return b


def check_multiplier(value: float, field: str = "multiplier") -> float:
    """Check a share of full Kelly: a number in (0, 1]."""
    fix = "pass a share of full Kelly in (0, 1], e.g. 0.25 for quarter Kelly"
    m = check_real(value, field, fix)
    if not 0.0 < m <= 1.0:
        raise ValidationError(field, value, fix)
    return m
