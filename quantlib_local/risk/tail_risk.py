"""Tail risk: value at risk (eq. 9), conditional value at risk, tail ratio.

Hand-written because empyrical (the test reference for the historical estimators) has
only the historical VaR/CVaR of one series, returns the VaR as a (negative) quantile
rather than a loss, and has no Gaussian or Cornish-Fisher estimator; we also need the
column-vectorised forms for wide frames.

Sign convention
---------------
VaR and CVaR are reported as **positive loss numbers** (decimal fraction of capital
lost over one bar): design eq. 9, ``VaR_alpha = -quantile(returns, alpha)`` with the tail
probability ``alpha = 1 - confidence``. ``value_at_risk(r, 0.95) == 0.02`` means "on 95 %
of bars the loss is at most 2 %". empyrical's ``value_at_risk(r, cutoff=0.05)`` is the
quantile itself, so ``ours == -empyrical``. A negative VaR means even the tail quantile
is a gain. Both measures are per bar; they are not scaled to other horizons.

Estimators
----------
historical
    VaR: ``-Q(alpha)`` with NumPy's default linear interpolation between order
    statistics. CVaR: minus the mean of the ``k = floor((n - 1) * alpha) + 1`` lowest
    returns, the definition of empyrical's ``conditional_value_at_risk``.
gaussian
    ``VaR = -(mu + sigma * z)`` with ``z = Phi^-1(alpha)`` and ``sigma`` the sample standard
    deviation (ddof=1); ``CVaR = -(mu - sigma * phi(z) / alpha)``, the closed-form expected
    shortfall of a normal law (e.g. McNeil, Frey & Embrechts, *Quantitative Risk
    Management*); the tests check it against numerical integration of the normal tail.
cornish_fisher
    Modified VaR of Zangari (1996, RiskMetrics Monitor Q1) and Favre & Galeano (2002,
    *Journal of Alternative Investments* 5(2)): ``VaR = -(mu + sigma * z_cf)`` with
    ``z_cf = z + (z^2 - 1) S / 6 + (z^3 - 3z) K / 24 - (2z^3 - 5z) S^2 / 36``, ``S`` the moment
    skewness and ``K`` the moment excess kurtosis (``scipy.stats.skew``/``kurtosis`` with
    ``bias=True``) and ``sigma`` the sample standard deviation, as in PerformanceAnalytics'
    ``VaR(method="modified")``. It collapses to the Gaussian VaR when ``S = K = 0``.
    Caveat: the kurtosis term ``(z^3 - 3z) K / 24`` changes sign at ``|z| = sqrt(3)``
    (confidence ~95.8 %), so below that level fat tails *lower* the modified VaR, and with
    the heavy tails of single stocks it can fall below the Gaussian VaR (AAPL daily,
    95 %: 3.5 % vs 4.6 %). The expansion is reliable only for moderate skewness and
    kurtosis (Maillard 2012, "A user's guide to the Cornish Fisher expansion"); read it
    beside the historical estimate.
"""

from __future__ import annotations

import logging
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
from scipy.stats import norm

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._nanstats import (
    nan_count,
    nan_excess_kurtosis,
    nan_mean_and_std,
    nan_skewness,
)
from quantlib_local.risk._validation import (
    MetricValue,
    check_open_unit_interval,
    coerce_returns,
)

logger = logging.getLogger(__name__)

VaRMethod: TypeAlias = Literal["historical", "gaussian", "cornish_fisher"]
CVaRMethod: TypeAlias = Literal["historical", "gaussian"]

DEFAULT_CONFIDENCE = 0.95
"""Design appendix A, ``risk.var_confidence``."""

_VAR_METHODS: tuple[str, ...] = ("historical", "gaussian", "cornish_fisher")
_CVAR_METHODS: tuple[str, ...] = ("historical", "gaussian")


def value_at_risk(
    returns: pd.Series | pd.DataFrame,
    confidence: float = DEFAULT_CONFIDENCE,
    method: VaRMethod = "historical",
) -> MetricValue:
    """One-bar value at risk as a positive loss (design eq. 9).

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame); NaN bars are dropped per column.
    confidence
        Confidence level in (0, 1), e.g. 0.95 or 0.99; the tail probability is
        ``1 - confidence``.
    method
        ``"historical"``, ``"gaussian"`` or ``"cornish_fisher"`` (see the module notes).

    Returns
    -------
    float or pandas.Series
        The loss not exceeded with probability ``confidence``, e.g. 0.021 for 2.1 %.
    """
    block = coerce_returns(returns)
    alpha = 1.0 - check_open_unit_interval(confidence, "confidence", "0.95")
    _check_method(method, _VAR_METHODS)
    values, missing = block.values, block.missing
    if method == "historical":
        var = -_quantile_of_sorted(*_sorted_observed(values, missing), alpha)
    else:
        z = float(norm.ppf(alpha))
        if method == "cornish_fisher":
            z = cornish_fisher_quantile(z, nan_skewness(values, missing), nan_excess_kurtosis(values, missing))
        mean, std = nan_mean_and_std(values, missing=missing)
        var = -(mean + std * z)
    return block.shape_answer(var, f"value_at_risk_{method}")


def conditional_value_at_risk(
    returns: pd.Series | pd.DataFrame,
    confidence: float = DEFAULT_CONFIDENCE,
    method: CVaRMethod = "historical",
) -> MetricValue:
    """One-bar conditional value at risk (expected shortfall) as a positive loss.

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame); NaN bars are dropped per column.
    confidence
        Confidence level in (0, 1); the tail probability is ``1 - confidence``.
    method
        ``"historical"`` (mean of the ``floor((n - 1) * alpha) + 1`` worst bars, as
        empyrical) or ``"gaussian"``.

    Returns
    -------
    float or pandas.Series
        The mean loss in the worst ``1 - confidence`` of bars; at least the VaR of the same
        method and confidence.
    """
    block = coerce_returns(returns)
    alpha = 1.0 - check_open_unit_interval(confidence, "confidence", "0.95")
    _check_method(method, _CVAR_METHODS)
    values, missing = block.values, block.missing
    if method == "historical":
        cvar = -_mean_of_lowest(values, missing, alpha)
    else:
        z = float(norm.ppf(alpha))
        mean, std = nan_mean_and_std(values, missing=missing)
        cvar = -(mean - std * float(norm.pdf(z)) / alpha)
    return block.shape_answer(cvar, f"conditional_value_at_risk_{method}")


def tail_ratio(returns: pd.Series | pd.DataFrame, tail_probability: float = 0.05) -> MetricValue:
    """Right tail over left tail: ``|Q(1 - p)| / |Q(p)|`` (empyrical's ``tail_ratio``).

    Parameters
    ----------
    returns
        Simple decimal returns (Series or wide DataFrame).
    tail_probability
        Probability ``p`` in each tail, in (0, 1); 0.05 compares the 95th and 5th
        percentiles.

    Returns
    -------
    float or pandas.Series
        Above 1 when large gains are bigger than large losses.
    """
    block = coerce_returns(returns)
    p = check_open_unit_interval(tail_probability, "tail_probability", "0.05")
    ordered, counts = _sorted_observed(block.values, block.missing)
    upper = _quantile_of_sorted(ordered, counts, 1.0 - p)
    lower = _quantile_of_sorted(ordered, counts, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(upper) / np.abs(lower)
    return block.shape_answer(ratio, "tail_ratio")


def cornish_fisher_quantile(
    z: float, skewness: Float64Array | float, excess_kurtosis: Float64Array | float
) -> Float64Array:
    """Cornish-Fisher adjusted standard-normal quantile (Zangari 1996; Favre & Galeano 2002).

    Parameters
    ----------
    z
        Standard-normal quantile ``Phi^-1(alpha)`` of the tail probability.
    skewness, excess_kurtosis
        Moment skewness ``S`` and excess kurtosis ``K`` of the returns.

    Returns
    -------
    numpy.ndarray
        ``z + (z^2 - 1) S / 6 + (z^3 - 3z) K / 24 - (2z^3 - 5z) S^2 / 36``.
    """
    s = np.asarray(skewness, dtype=np.float64)
    k = np.asarray(excess_kurtosis, dtype=np.float64)
    return z + (z**2 - 1.0) * s / 6.0 + (z**3 - 3.0 * z) * k / 24.0 - (2.0 * z**3 - 5.0 * z) * s**2 / 36.0


def _sorted_observed(values: Float64Array, missing: np.ndarray) -> tuple[Float64Array, np.ndarray]:
    """Each column sorted ascending as a contiguous row (NaN last), and its observed count."""
    ordered = np.ascontiguousarray(values.T)
    ordered.sort(axis=1)
    return ordered, nan_count(values, missing)


def _quantile_of_sorted(ordered: Float64Array, counts: np.ndarray, q: float) -> Float64Array:
    """Per-row linear-interpolation quantile of sorted rows, bit-identical to ``np.nanquantile``.

    Virtual index ``(n - 1) q`` and NumPy's two-sided ``_lerp`` (interpolating from the
    nearer neighbour), computed once for all columns instead of NumPy's per-column path for
    arrays with NaN.
    """
    virtual = (counts - 1) * q
    below = np.floor(virtual).astype(np.int64)
    above = np.minimum(below + 1, counts - 1)
    weight = virtual - below
    rows = np.arange(ordered.shape[0])
    low, high = ordered[rows, below], ordered[rows, above]
    step = high - low
    return np.where(weight >= 0.5, high - step * (1.0 - weight), low + step * weight)


def _mean_of_lowest(values: Float64Array, missing: np.ndarray, alpha: float) -> Float64Array:
    """Mean of the ``floor((n - 1) * alpha) + 1`` lowest observed values of each column."""
    ordered, counts = _sorted_observed(values, missing)
    tail_sizes = np.floor((counts - 1) * alpha).astype(np.int64) + 1
    running = np.cumsum(ordered, axis=1)  # NaN sit after the observed values, so never summed here
    return running[np.arange(ordered.shape[0]), tail_sizes - 1] / tail_sizes


def _check_method(method: str, allowed: tuple[str, ...]) -> None:
    if method not in allowed:
        raise ValidationError("method", method, f"use one of {', '.join(repr(m) for m in allowed)}")
