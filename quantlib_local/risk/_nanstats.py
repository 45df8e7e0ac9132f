"""Column-wise NaN-aware moments on a ``(n_bars, n_columns)`` float64 block.

Hand-written instead of ``np.nanmean``/``np.nanstd`` because those warn ("Mean of empty
slice", "Degrees of freedom <= 0") on columns without enough observations, and a risk
table over hundreds of assets should answer NaN for such a column, quietly; they also
recompute the NaN mask on every call, which dominates the cost on wide frames, whereas
here the caller can pass the mask it already has. The arithmetic is the one NumPy uses
(sum of observed values over their count; squared deviations from that mean), so
results agree with NumPy to the last few bits.
"""

from __future__ import annotations

import numpy as np

from quantlib_local._typing import Float64Array


def _mask(values: Float64Array, missing: np.ndarray | None) -> np.ndarray:
    return np.isnan(values) if missing is None else missing


def nan_count(values: Float64Array, missing: np.ndarray | None = None) -> np.ndarray:
    """Number of observed (non-NaN) values per column."""
    return values.shape[0] - np.count_nonzero(_mask(values, missing), axis=0)


def nan_mean(values: Float64Array, missing: np.ndarray | None = None) -> Float64Array:
    """Mean of observed values per column; NaN for a column with none.

    ``missing`` is the NaN mask of ``values`` when the caller already has it.
    """
    missing = _mask(values, missing)
    count = values.shape[0] - np.count_nonzero(missing, axis=0)
    total = np.where(missing, 0.0, values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / np.where(count > 0, count, np.nan)


def nan_mean_and_std(
    values: Float64Array, ddof: int = 1, missing: np.ndarray | None = None
) -> tuple[Float64Array, Float64Array]:
    """Mean and standard deviation (``ddof`` removed) per column, sharing one mean pass.

    A column whose observed values are all equal gets a standard deviation of exactly 0
    (not the ~1e-18 residue that centring on a rounded mean can leave), so ratios over it
    are +-inf or NaN rather than arbitrary numbers near 1e15. Columns with
    ``count <= ddof`` get NaN.
    """
    missing = _mask(values, missing)
    count = values.shape[0] - np.count_nonzero(missing, axis=0)
    mean = nan_mean(values, missing)
    deviations = values - mean
    deviations[missing] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.einsum("ij,ij->j", deviations, deviations) / np.where(count > ddof, count - ddof, np.nan)
    std = np.sqrt(variance)
    # Only a column whose variance is at rounding level can be constant; check those exactly.
    suspect = np.flatnonzero(np.isfinite(std) & ~(std > 1e3 * np.finfo(np.float64).eps * np.abs(mean)))
    if suspect.size:
        block = values[:, suspect]
        constant = np.fmax.reduce(block, axis=0) == np.fmin.reduce(block, axis=0)
        std[suspect[constant]] = 0.0
    return mean, std


def nan_std(values: Float64Array, ddof: int = 1, missing: np.ndarray | None = None) -> Float64Array:
    """Standard deviation per column (see :func:`nan_mean_and_std` for the edge cases)."""
    return nan_mean_and_std(values, ddof, missing)[1]


def nan_central_moment(values: Float64Array, order: int, missing: np.ndarray | None = None) -> Float64Array:
    """Biased central moment ``mean((x - mean(x)) ** order)`` per column."""
    missing = _mask(values, missing)
    deviations = values - nan_mean(values, missing)
    return nan_mean(deviations**order, missing)


def nan_skewness(values: Float64Array, missing: np.ndarray | None = None) -> Float64Array:
    """Moment (biased) skewness ``m3 / m2 ** 1.5``, as ``scipy.stats.skew(bias=True)``."""
    m2 = nan_central_moment(values, 2, missing)
    m3 = nan_central_moment(values, 3, missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        return m3 / m2**1.5


def nan_excess_kurtosis(values: Float64Array, missing: np.ndarray | None = None) -> Float64Array:
    """Moment (biased) excess kurtosis ``m4 / m2 ** 2 - 3``, as ``scipy.stats.kurtosis(bias=True)``."""
    m2 = nan_central_moment(values, 2, missing)
    m4 = nan_central_moment(values, 4, missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        return m4 / m2**2 - 3.0
