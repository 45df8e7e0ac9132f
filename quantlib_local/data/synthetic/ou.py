"""SYNTHETIC bars whose log price is an Ornstein-Uhlenbeck process (mean-reverting).

``d log S = kappa (log m - log S) dt + sigma dW``: the log price is pulled back to
``log m`` at rate ``kappa`` (per year), so deviations from ``m`` are predictable, the
exploitable structure the reinforcement-learning acceptance tests use. Each bar is built
from ``substeps`` exact OU steps (the open is the previous close, high and low are the
path extremes inside the bar), as the other generators do.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy.signal import lfilter

from quantlib_local._typing import SeedLike
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


def ou_bars(
    n_bars: int,
    *,
    kappa: float,
    sigma: float,
    seed: SeedLike,
    mean_price: float = 100.0,
    start: str | pd.Timestamp = "2020-01-01",
    freq: str | pd.Timedelta = "1D",
    calendar: Calendar = "24/7",
    s0: float | None = None,
    substeps: int = 16,
    volume_mean: float = 1_000.0,
    volume_log_sigma: float = 0.5,
) -> pd.DataFrame:
    """SYNTHETIC one-asset OHLCV bars with an Ornstein-Uhlenbeck log price.

    Parameters
    ----------
    n_bars
        Number of bars.
    kappa
        Mean-reversion speed per year (> 0); the half-life of a deviation is
        ``ln 2 / kappa`` years.
    sigma
        Annualised volatility of the log price (>= 0); the stationary standard deviation
        of ``log S`` is ``sigma / sqrt(2 kappa)``.
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy).
    mean_price
        The level ``m`` the price reverts to.
    start, freq, calendar
        Bar clock, as in :func:`~quantlib_local.data.synthetic.gbm_bars`.
    s0
        Price before the first bar; default ``mean_price``.
    substeps
        Exact OU steps per bar (for high and low).
    volume_mean, volume_log_sigma
        Lognormal volume, independent of price.

    Returns
    -------
    DataFrame
        OHLCV bars with ``attrs["synthetic"] = True`` and ``attrs["source"] = "synthetic:ou_bars"``.
    """
    index, bar_years = bar_clock(n_bars, start, freq, calendar)
    kappa = check_real("kappa", kappa, lower=0.0, lower_open=True)
    sigma = check_real("sigma", sigma, lower=0.0)
    mean_price = check_real("mean_price", mean_price, lower=0.0, lower_open=True)
    s0 = mean_price if s0 is None else check_real("s0", s0, lower=0.0, lower_open=True)
    substeps = check_count("substeps", substeps)
    volume_mean, volume_log_sigma = check_volume_args(volume_mean, volume_log_sigma)
    rng = make_rng(seed)

    n = len(index)
    h = bar_years / substeps
    decay = math.exp(-kappa * h)
    step_sd = sigma * math.sqrt((1.0 - decay**2) / (2.0 * kappa))  # exact OU transition
    shocks = rng.standard_normal(n * substeps) * step_sd
    log_mean = math.log(mean_price)
    # deviation_k = decay * deviation_{k-1} + shock_k, as a first-order recursive filter
    deviations, _ = lfilter([1.0], [1.0, -decay], shocks, zi=[decay * (math.log(s0) - log_mean)])
    levels = log_mean + deviations
    fields = ohlc_from_log_levels(levels.reshape(n, substeps), math.log(s0))
    fields["volume"] = lognormal_volume((n,), volume_mean, volume_log_sigma, rng)
    params = {
        "kappa": kappa, "sigma": sigma, "mean_price": mean_price, "s0": s0, "freq": str(freq),
        "calendar": calendar, "bar_years": bar_years, "substeps": substeps, "seed": seed_label(seed),
    }
    return single_asset_frame(index, fields, generator="ou_bars", params=params)
