"""Covariance estimators and positive-semidefiniteness checks (layer 3, no I/O).

Estimators (all annualised with :func:`quantlib_local.risk.periods_per_year` unless
``periods_per_year`` is given; inputs are prices or simple returns, one column per asset):

* :func:`sample_covariance`: the unbiased sample covariance (``ddof=1``).
* :func:`ledoit_wolf_covariance`: Ledoit-Wolf shrinkage. ``target="identity"`` (default)
  shrinks towards the scaled identity ``mean(var) I`` with the intensity of Ledoit & Wolf
  (2004, "A well-conditioned estimator for large-dimensional covariance matrices"),
  computed by :class:`sklearn.covariance.LedoitWolf`; ``target="constant_correlation"``
  shrinks towards the matrix with every correlation equal to the average one (Ledoit &
  Wolf 2004, "Honey, I shrunk the sample covariance matrix"), written here after the
  authors' ``covCor.m``. Both use the maximum-likelihood (``1/T``) sample covariance
  that the papers shrink.
* :func:`exponential_covariance`: exponentially weighted, by ``span`` or ``half_life``
  (in bars). Returns are centred on each asset's plain mean and the weighted average of
  the cross products uses normalised weights ``(1 - alpha) ** age`` (pandas ``ewm`` with
  ``adjust=True``), the convention of PyPortfolioOpt's ``exp_cov``.

Different listing dates: ``window="pairwise"`` (default for the sample and exponential
estimators) uses, for every pair, the bars where both assets have returns (blanks are only
allowed before a listing, so a pair overlaps from the later listing on); such a matrix is
not guaranteed positive semidefinite, so it is checked. ``window="common"`` keeps only
bars where every asset has a return. Ledoit-Wolf always uses the common window, because
its shrinkage intensity is defined for a complete ``T x N`` sample (PyPortfolioOpt
instead fills missing returns with zeros).

Every estimator checks its answer with :func:`check_positive_semidefinite`, which raises
a :class:`~quantlib_local.exceptions.ValidationError` naming the smallest eigenvalue and
the fix (:func:`fix_nonpositive_semidefinite`, or Ledoit-Wolf).
"""

from __future__ import annotations

import logging
import math
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.portfolio._inputs import (
    DataKind,
    Window,
    annualisation_factor,
    apply_window,
    check_covariance,
    check_enough_observations,
    check_square_matrix,
    finite_float,
    returns_table,
    smallest_eigenvalue,
)

logger = logging.getLogger(__name__)

ShrinkageTarget: TypeAlias = Literal["identity", "constant_correlation"]
PSDFixMethod: TypeAlias = Literal["spectral", "diagonal"]

DEFAULT_SPAN = 180.0
"""Default span (bars) of :func:`exponential_covariance`, as in PyPortfolioOpt."""


def sample_covariance(
    data: pd.DataFrame,
    *,
    kind: DataKind = "prices",
    window: Window = "pairwise",
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Annualised sample covariance of simple returns (``ddof=1``).

    Parameters
    ----------
    data
        Prices or simple returns, one column per asset.
    kind
        ``"prices"`` or ``"returns"``.
    window
        ``"pairwise"`` (each pair over the bars both have) or ``"common"``.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    DataFrame
        Annualised covariance, assets x assets.

    Raises
    ------
    ValidationError
        Fewer than two returns for an asset or a pair, or a pairwise matrix that is not
        positive semidefinite (the message gives the smallest eigenvalue).
    """
    returns = apply_window(returns_table(data, kind=kind), window)
    check_enough_observations(returns)
    ppy = annualisation_factor(periods_per_year, returns.index)
    covariance = returns.cov() * ppy
    return check_positive_semidefinite(covariance)


def ledoit_wolf_covariance(
    data: pd.DataFrame,
    *,
    target: ShrinkageTarget = "identity",
    kind: DataKind = "prices",
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Annualised Ledoit-Wolf shrinkage covariance ``delta F + (1 - delta) S`` (common window).

    Parameters
    ----------
    data
        Prices or simple returns, one column per asset. Only bars where every asset has a
        return are used.
    target
        ``"identity"``: ``F = mean(diag S) I`` with sklearn's ``LedoitWolf`` intensity;
        ``"constant_correlation"``: ``F_ij = rbar sqrt(S_ii S_jj)`` (Ledoit & Wolf 2004).
    kind
        ``"prices"`` or ``"returns"``.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    DataFrame
        Annualised shrunk covariance; ``attrs["shrinkage"]`` holds the intensity ``delta``
        in [0, 1] and ``attrs["shrinkage_target"]`` the target.
    """
    returns = apply_window(returns_table(data, kind=kind), "common")
    check_enough_observations(returns)
    ppy = annualisation_factor(periods_per_year, returns.index)
    values = returns.to_numpy()
    if target == "identity":
        from sklearn.covariance import LedoitWolf

        model = LedoitWolf(assume_centered=False).fit(values)
        shrunk, intensity = model.covariance_, float(model.shrinkage_)
    elif target == "constant_correlation":
        shrunk, intensity = _constant_correlation_shrinkage(values)
    else:
        raise ValidationError("target", target, "pass target='identity' or target='constant_correlation'")
    logger.info("ledoit_wolf_covariance(target=%s): shrinkage %.4f over %d common bars", target, intensity, len(values))
    covariance = pd.DataFrame(shrunk * ppy, index=returns.columns, columns=returns.columns)
    covariance = check_positive_semidefinite(covariance)
    covariance.attrs["shrinkage"] = intensity
    covariance.attrs["shrinkage_target"] = target
    return covariance


def _constant_correlation_shrinkage(values: Float64Array) -> tuple[Float64Array, float]:
    """Ledoit & Wolf (2004) shrinkage towards constant correlation; after their covCor.m."""
    t, n = values.shape
    if n < 2:
        raise ValidationError("target", "constant_correlation", "use target='identity' for a single asset",
                              detail="a correlation target needs at least two assets")
    x = values - values.mean(axis=0)
    sample = x.T @ x / t
    variances = np.diag(sample)
    if (variances <= 0).any():
        raise ValidationError("data", "an asset with constant returns", "drop assets whose returns never vary")
    std = np.sqrt(variances)
    correlation = sample / np.outer(std, std)
    mean_correlation = (correlation.sum() - n) / (n * (n - 1))
    prior = mean_correlation * np.outer(std, std)
    np.fill_diagonal(prior, variances)
    # pi-hat: sum of asymptotic variances of sqrt(T) * sample entries
    y = x**2
    phi_matrix = y.T @ y / t - sample**2
    phi = phi_matrix.sum()
    # rho-hat: diagonal part plus the correlation-target covariance terms
    term1 = (x**3).T @ x / t
    term2 = variances[:, None] * sample
    theta = term1 - term2
    np.fill_diagonal(theta, 0.0)
    rho = np.diag(phi_matrix).sum() + mean_correlation * ((1.0 / std)[:, None] @ std[None, :] * theta).sum()
    gamma = np.linalg.norm(sample - prior, "fro") ** 2
    kappa = (phi - rho) / gamma if gamma > 0 else 0.0
    intensity = float(max(0.0, min(1.0, kappa / t)))
    return intensity * prior + (1.0 - intensity) * sample, intensity


def exponential_covariance(
    data: pd.DataFrame,
    *,
    span: float | None = None,
    half_life: float | None = None,
    kind: DataKind = "prices",
    window: Window = "pairwise",
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Annualised exponentially weighted covariance (more weight on recent bars).

    Parameters
    ----------
    data
        Prices or simple returns, one column per asset.
    span, half_life
        Decay in bars; give at most one (``alpha = 2 / (span + 1)`` or
        ``alpha = 1 - exp(-ln 2 / half_life)``). Default: ``span=180``.
    kind
        ``"prices"`` or ``"returns"``.
    window
        ``"pairwise"`` or ``"common"`` (see the module notes).
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    DataFrame
        Annualised covariance ``sum_t w_t (x_t - m_x)(y_t - m_y) / sum_t w_t`` over the bars
        where both assets have returns, ``w_t = (1 - alpha) ** (T - t)``.
    """
    alpha = _decay(span, half_life)
    returns = apply_window(returns_table(data, kind=kind), window)
    check_enough_observations(returns)
    ppy = annualisation_factor(periods_per_year, returns.index)
    values = returns.to_numpy()
    observed = ~np.isnan(values)
    centred = np.where(observed, values - np.nanmean(values, axis=0), 0.0)
    age = np.arange(len(values) - 1, -1, -1, dtype=np.float64)
    weights = np.exp(age * math.log1p(-alpha))  # (1 - alpha) ** age without underflow surprises
    weighted = centred * np.sqrt(weights)[:, None]
    numerator = weighted.T @ weighted
    denominator = (observed * weights[:, None]).T @ observed.astype(np.float64)
    covariance = pd.DataFrame(numerator / denominator * ppy, index=returns.columns, columns=returns.columns)
    return check_positive_semidefinite(covariance)


def _decay(span: float | None, half_life: float | None) -> float:
    if span is not None and half_life is not None:
        raise ValidationError("half_life", half_life, "give either span or half_life, not both")
    if half_life is not None:
        h = finite_float(half_life, "half_life", "pass a positive half-life in bars, e.g. 60", minimum=0.0, strict=True)
        return 1.0 - math.exp(-math.log(2.0) / h)
    s = DEFAULT_SPAN if span is None else finite_float(span, "span", "pass a span of at least 1 bar, e.g. 180", minimum=1.0)
    return 2.0 / (s + 1.0)


def covariance_from_correlation(correlation: pd.DataFrame, volatilities: pd.Series) -> pd.DataFrame:
    """``Sigma_ij = rho_ij sigma_i sigma_j`` (e.g. a published correlation table and volatilities).

    Parameters
    ----------
    correlation
        Square correlation matrix labelled by asset (unit diagonal, entries in [-1, 1]).
    volatilities
        Volatility per asset, same labels.

    Returns
    -------
    DataFrame
        Covariance, checked positive semidefinite.
    """
    corr = check_square_matrix(correlation, "correlation")
    if not np.allclose(np.diag(corr.to_numpy()), 1.0) or (np.abs(corr.to_numpy()) > 1 + 1e-12).any():
        raise ValidationError("correlation", "diagonal != 1 or |entry| > 1", "pass a correlation matrix (unit diagonal, entries in [-1, 1])")
    if not isinstance(volatilities, pd.Series) or set(volatilities.index) != set(corr.index):
        shown = list(volatilities.index) if isinstance(volatilities, pd.Series) else type(volatilities).__name__
        raise ValidationError("volatilities", shown, "pass a Series of volatilities with the correlation matrix's labels")
    vols = volatilities.loc[corr.index].astype("float64").to_numpy()
    if not np.isfinite(vols).all() or (vols < 0).any():
        raise ValidationError("volatilities", volatilities.to_dict(), "pass finite, non-negative volatilities")
    covariance = pd.DataFrame(corr.to_numpy() * np.outer(vols, vols), index=corr.index, columns=corr.columns)
    return check_positive_semidefinite(covariance, field="correlation")


def correlation_from_covariance(covariance: pd.DataFrame) -> pd.DataFrame:
    """``rho_ij = Sigma_ij / (sigma_i sigma_j)``; assets with zero variance get NaN correlations."""
    cov = check_square_matrix(covariance, "covariance")
    std = np.sqrt(np.clip(np.diag(cov.to_numpy()), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov.to_numpy() / np.outer(std, std)
    return pd.DataFrame(corr, index=cov.index, columns=cov.columns)


def is_positive_semidefinite(covariance: pd.DataFrame) -> bool:
    """True when the smallest eigenvalue is not below ``-1e-10 * max |eigenvalue|``."""
    values = check_square_matrix(covariance, "covariance").to_numpy()
    lowest, tolerance = smallest_eigenvalue(values)
    return lowest >= -tolerance


def check_positive_semidefinite(covariance: Any, field: str = "covariance") -> pd.DataFrame:
    """Return ``covariance`` (a float DataFrame) if it is a valid covariance matrix, else raise.

    Raises
    ------
    ValidationError
        Not square, not symmetric, non-finite, or not positive semidefinite; the message
        gives the smallest eigenvalue and how to fix it.
    """
    checked = check_covariance(covariance, field)
    if isinstance(covariance, pd.DataFrame):
        checked.attrs.update(covariance.attrs)
    return checked


def fix_nonpositive_semidefinite(covariance: pd.DataFrame, *, method: PSDFixMethod = "spectral") -> pd.DataFrame:
    """Nearest-looking positive semidefinite repair of a covariance matrix.

    Parameters
    ----------
    covariance
        Square symmetric matrix (for example a pairwise sample covariance).
    method
        ``"spectral"``: set negative eigenvalues to zero and rebuild ``V diag(max(l, 0)) V'``;
        ``"diagonal"``: add ``1.1 |l_min|`` to the diagonal.

    Returns
    -------
    DataFrame
        The input unchanged when it is already positive semidefinite, else the repaired
        matrix (a warning is logged with the smallest eigenvalue).
    """
    cov = check_square_matrix(covariance, "covariance")
    values = cov.to_numpy()
    lowest, tolerance = smallest_eigenvalue(values)
    if lowest >= -tolerance:
        return cov
    logger.warning("covariance not positive semidefinite (smallest eigenvalue %.3g); repairing with %s", lowest, method)
    if method == "spectral":
        eigenvalues, vectors = np.linalg.eigh((values + values.T) / 2.0)
        fixed = (vectors * np.clip(eigenvalues, 0.0, None)) @ vectors.T
        fixed = (fixed + fixed.T) / 2.0
    elif method == "diagonal":
        fixed = values + 1.1 * abs(lowest) * np.eye(len(values))
    else:
        raise ValidationError("method", method, "pass method='spectral' or method='diagonal'")
    return pd.DataFrame(fixed, index=cov.index, columns=cov.columns)
