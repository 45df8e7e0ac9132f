"""SYNTHETIC bars for many assets whose GBM shocks share a correlation matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quantlib_local._typing import ArrayLike, Float64Array, SeedLike
from quantlib_local.data.contract import Calendar
from quantlib_local.data.synthetic._common import (
    bar_clock,
    check_count,
    check_real,
    check_symbols,
    check_vector,
    check_volume_args,
    lognormal_volume,
    make_rng,
    multi_asset_frame,
    ohlc_from_log_levels,
    seed_label,
)
from quantlib_local.data.synthetic.gbm import gbm_log_levels
from quantlib_local.exceptions import ValidationError

_TOLERANCE = 1e-8


def correlated_bars(
    symbols: int | Sequence[str],
    corr: float | ArrayLike | pd.DataFrame,
    n_bars: int,
    *,
    mu: float | ArrayLike,
    sigma: float | ArrayLike,
    seed: SeedLike,
    start: str | pd.Timestamp = "2020-01-01",
    freq: str | pd.Timedelta = "1D",
    calendar: Calendar = "24/7",
    s0: float | ArrayLike = 100.0,
    substeps: int = 32,
    volume_mean: float = 1_000.0,
    volume_log_sigma: float = 0.5,
) -> pd.DataFrame:
    """SYNTHETIC many-asset OHLCV bars from correlated geometric Brownian motions.

    Every sub-step draws one vector of shocks with correlation ``corr``, so the log
    returns of any horizon (sub-step, bar, month) have that correlation.

    Parameters
    ----------
    symbols
        Asset names, or a count ``n`` for ``SYN0 .. SYN{n-1}``.
    corr
        Either one number ``rho`` (every pair has correlation ``rho``; valid for
        ``-1/(n-1) <= rho <= 1``) or an ``n x n`` correlation matrix (array or DataFrame),
        which must be symmetric, have a unit diagonal, entries in [-1, 1] and be positive
        semi-definite (a singular matrix such as ``rho = 1`` is allowed).
    n_bars
        Number of bars.
    mu, sigma
        Annualised drift and volatility (decimal): one number for all assets or one per asset.
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    start, freq, calendar
        Bar clock, as in :func:`gbm_bars`.
    s0
        First open: one number or one per asset.
    substeps
        Path points per bar used for high and low.
    volume_mean, volume_log_sigma
        Lognormal volume, independent per asset and of prices.

    Returns
    -------
    DataFrame
        Many-asset OHLCV frame (columns ``(field, symbol)``) satisfying the bar contract,
        labelled ``attrs["source"] = "synthetic:correlated_bars"``, ``attrs["synthetic"] = True``.

    Raises
    ------
    ValidationError
        ``corr`` not a valid correlation matrix (the message says which property fails)
        or another parameter outside its domain.
    """
    names = check_symbols(symbols)
    m = len(names)
    matrix = correlation_matrix(corr, m)
    index, bar_years = bar_clock(n_bars, start, freq, calendar)
    mu_vec = check_vector("mu", mu, m)
    sigma_vec = check_vector("sigma", sigma, m, lower=0.0)
    s0_vec = check_vector("s0", s0, m, lower=0.0, lower_open=True)
    substeps = check_count("substeps", substeps)
    volume_mean, volume_log_sigma = check_volume_args(volume_mean, volume_log_sigma)
    rng = make_rng(seed)

    n = len(index)
    log_s0 = np.log(s0_vec)
    log_levels = gbm_log_levels(
        log_s0,
        np.broadcast_to(mu_vec, (n, m)),
        np.broadcast_to(sigma_vec, (n, m)),
        bar_years,
        substeps,
        rng,
        factor=correlation_factor(matrix),
    )
    fields = ohlc_from_log_levels(log_levels, log_s0)
    fields["volume"] = lognormal_volume((n, m), volume_mean, volume_log_sigma, rng)
    params = {
        "mu": mu_vec, "sigma": sigma_vec, "s0": s0_vec, "corr": matrix, "freq": str(freq),
        "calendar": calendar, "bar_years": bar_years, "substeps": substeps, "seed": seed_label(seed),
    }
    return multi_asset_frame(index, fields, names, generator="correlated_bars", params=params)


def correlation_matrix(corr: float | ArrayLike | pd.DataFrame, n_assets: int) -> Float64Array:
    """Validate ``corr`` (one ``rho`` or a matrix) and return the ``n x n`` correlation matrix.

    Raises
    ------
    ValidationError
        ``field="corr"``; the detail names the property that fails: shape, finiteness,
        range [-1, 1], symmetry, unit diagonal or positive semi-definiteness.
    """
    if isinstance(corr, (int, float, np.integer, np.floating)) and not isinstance(corr, bool):
        rho = check_real("corr", corr, lower=-1.0, upper=1.0, fix="pass a correlation between -1 and 1")
        matrix = np.full((n_assets, n_assets), rho)
        np.fill_diagonal(matrix, 1.0)
    else:
        try:
            matrix = np.asarray(corr.to_numpy() if isinstance(corr, pd.DataFrame) else corr, dtype="float64")
        except (TypeError, ValueError):
            raise ValidationError("corr", corr, "pass one number rho or an n x n matrix of numbers") from None
        if matrix.shape != (n_assets, n_assets):
            raise ValidationError(
                "corr", corr, f"pass a {n_assets} x {n_assets} matrix (one row and column per symbol)",
                detail=f"shape {matrix.shape} does not match {n_assets} symbols",
            )
        if not np.isfinite(matrix).all():
            raise ValidationError("corr", corr, "replace NaN or infinite entries", detail="matrix is not finite")
        if not np.allclose(matrix, matrix.T, rtol=0.0, atol=_TOLERANCE):
            raise ValidationError(
                "corr", corr, "use a symmetric matrix, e.g. (C + C.T) / 2", detail="matrix is not symmetric"
            )
        if not np.allclose(np.diag(matrix), 1.0, rtol=0.0, atol=_TOLERANCE):
            raise ValidationError(
                "corr", corr, "put 1.0 on the diagonal (a covariance matrix must be scaled to correlations first)",
                detail="diagonal is not all ones",
            )
        if (np.abs(matrix) > 1.0 + _TOLERANCE).any():
            raise ValidationError("corr", corr, "keep every entry within [-1, 1]", detail="entry outside [-1, 1]")
    smallest = float(np.linalg.eigvalsh(matrix).min())
    if smallest < -_TOLERANCE:
        raise ValidationError(
            "corr", corr,
            "use a positive semi-definite matrix (for one rho with n assets, rho >= -1/(n-1)); "
            "repair an estimated matrix by clipping negative eigenvalues",
            detail=f"matrix is not positive semi-definite (smallest eigenvalue {smallest:.3g})",
        )
    return matrix


def correlation_factor(matrix: Float64Array) -> Float64Array:
    """A matrix ``F`` with ``F @ F.T == matrix``, from the eigen-decomposition (works when singular)."""
    values, vectors = np.linalg.eigh(matrix)
    return vectors * np.sqrt(np.clip(values, 0.0, None))
