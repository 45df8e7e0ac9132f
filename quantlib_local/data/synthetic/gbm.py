"""SYNTHETIC bars from geometric Brownian motion.

The price follows ``dS = mu S dt + sigma S dW``. Each bar is built from a finer path of
``substeps`` exact log-normal steps: the open is the previous close, the high and low are
the extremes of the path inside the bar and the close is its last point, so the bars have
the intra-bar structure real bars have (and satisfy the OHLCV contract by construction).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array, SeedLike
from quantlib_local.data.contract import Calendar
from quantlib_local.data.synthetic._common import (
    bar_clock,
    check_count,
    check_real,
    check_volume_args,
    lognormal_volume,
    make_rng,
    ohlc_from_log_levels,
    seed_label,
    single_asset_frame,
)


def gbm_bars(
    n_bars: int,
    *,
    mu: float,
    sigma: float,
    seed: SeedLike,
    start: str | pd.Timestamp = "2020-01-01",
    freq: str | pd.Timedelta = "1D",
    calendar: Calendar = "24/7",
    s0: float = 100.0,
    substeps: int = 32,
    volume_mean: float = 1_000.0,
    volume_log_sigma: float = 0.5,
) -> pd.DataFrame:
    """SYNTHETIC one-asset OHLCV bars from geometric Brownian motion.

    Parameters
    ----------
    n_bars
        Number of bars.
    mu
        Annualised drift (decimal): ``E[S_t] = s0 * exp(mu * t)``.
    sigma
        Annualised volatility (decimal, >= 0). The log return of one bar is normal with
        mean ``(mu - sigma**2 / 2) * bar_years`` and variance ``sigma**2 * bar_years``.
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    start
        First bar timestamp; naive values are taken as UTC. With ``calendar="business"``
        a start on a weekend moves to the following Monday.
    freq
        Bar length, e.g. ``"1D"``, ``"1h"``, ``"5min"``.
    calendar
        ``"24/7"`` (365-day year) or ``"business"`` (weekdays, 252-day year); see
        :mod:`quantlib_local.data.synthetic._common`.
    s0
        Price before the first bar (the first open).
    substeps
        Path points per bar used for high and low (more points, wider ranges).
    volume_mean, volume_log_sigma
        Volume is lognormal with this mean and log-standard deviation, independent of price.

    Returns
    -------
    DataFrame
        OHLCV frame satisfying the bar contract, with ``attrs["synthetic"] = True``,
        ``attrs["source"] = "synthetic:gbm_bars"``, ``attrs["params"]`` and
        ``attrs["params"]["bar_years"]`` (the length of one bar in years).

    Raises
    ------
    ValidationError
        A parameter outside its domain (the message names it and says how to fix it).
    """
    index, bar_years = bar_clock(n_bars, start, freq, calendar)
    mu = check_real("mu", mu)
    sigma = check_real("sigma", sigma, lower=0.0)
    s0 = check_real("s0", s0, lower=0.0, lower_open=True)
    substeps = check_count("substeps", substeps)
    volume_mean, volume_log_sigma = check_volume_args(volume_mean, volume_log_sigma)
    rng = make_rng(seed)

    n = len(index)
    log_levels = gbm_log_levels(math.log(s0), np.full(n, mu), np.full(n, sigma), bar_years, substeps, rng)
    fields = ohlc_from_log_levels(log_levels, math.log(s0))
    fields["volume"] = lognormal_volume((n,), volume_mean, volume_log_sigma, rng)
    params = {
        "mu": mu, "sigma": sigma, "s0": s0, "freq": str(freq), "calendar": calendar,
        "bar_years": bar_years, "substeps": substeps, "seed": seed_label(seed),
    }
    return single_asset_frame(index, fields, generator="gbm_bars", params=params)


def gbm_log_levels(
    log_s0: float | Float64Array,
    mu: Float64Array,
    sigma: Float64Array,
    bar_years: float,
    substeps: int,
    rng: np.random.Generator,
    *,
    factor: Float64Array | None = None,
) -> Float64Array:
    """SYNTHETIC log prices after every exact GBM sub-step, per bar.

    Parameters
    ----------
    log_s0
        Starting log price (scalar, or one per asset).
    mu, sigma
        Annualised drift and volatility per bar, shape ``(n_bars,)`` (one asset) or
        ``(n_bars, n_assets)`` (many assets).
    bar_years
        Length of one bar in years; each sub-step lasts ``bar_years / substeps``.
    substeps
        Sub-steps per bar.
    rng
        Source of the normal draws.
    factor
        Many assets only: a matrix ``F`` with ``F @ F.T`` equal to the correlation matrix;
        the shocks of one sub-step are ``F @ z`` for independent standard normals ``z``.

    Returns
    -------
    ndarray
        Shape ``(n_bars, substeps)`` or ``(n_bars, substeps, n_assets)``.
    """
    h = bar_years / substeps
    n_bars = mu.shape[0]
    shape = (n_bars, substeps, *mu.shape[1:])
    z = rng.standard_normal(shape)
    if factor is not None:
        z = z @ factor.T
    drift = ((mu - 0.5 * sigma**2) * h)[:, None]
    shocks = (sigma * math.sqrt(h))[:, None] * z
    steps = (drift + shocks).reshape(n_bars * substeps, *mu.shape[1:])
    return (log_s0 + np.cumsum(steps, axis=0)).reshape(shape)
