"""SYNTHETIC bars whose log returns follow a GARCH(1,1) process (eq. 14).

Per bar ``t``::

    r_t       = log_drift * bar_years + eps_t,        eps_t = sigma_t z_t
    sigma_t^2 = omega + alpha eps_{t-1}^2 + beta sigma_{t-1}^2

with ``z_t`` i.i.d. standard normal or standardised Student-t (unit variance). ``omega``,
``alpha`` and ``beta`` are in per-bar units (as ``arch`` reports them for returns in
decimals), so the unconditional per-bar variance is ``omega / (1 - alpha - beta)``.
The recursion starts at that unconditional variance. Intra-bar paths are Brownian
bridges that end exactly at ``r_t``, so the bar returns are the GARCH returns.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array, SeedLike
from quantlib_local.data.contract import Calendar
from quantlib_local.data.synthetic._common import (
    bar_clock,
    bridge_log_path,
    check_choice,
    check_count,
    check_real,
    check_volume_args,
    lognormal_volume,
    make_rng,
    ohlc_from_log_levels,
    seed_label,
    single_asset_frame,
)
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

GarchDistribution = Literal["normal", "t"]


@dataclass(frozen=True)
class GarchBars:
    """SYNTHETIC GARCH(1,1) bars together with the true state that generated them.

    Attributes
    ----------
    bars
        One-asset OHLCV frame (bar contract), ``attrs["source"] = "synthetic:garch_bars"``.
    conditional_volatility
        True ``sigma_t`` of each bar (per-bar decimal units), indexed like ``bars``.
    log_returns
        The simulated log returns ``r_t`` (equal to ``log(close / open)`` of each bar).
    params
        The parameters used (also in ``bars.attrs["params"]``).
    """

    bars: pd.DataFrame
    conditional_volatility: pd.Series
    log_returns: pd.Series
    params: dict[str, Any]

    @property
    def unconditional_variance(self) -> float:
        """``omega / (1 - alpha - beta)``, the long-run per-bar variance of the process."""
        return float(self.params["omega"] / (1.0 - self.params["alpha"] - self.params["beta"]))


def garch_bars(
    n_bars: int,
    *,
    omega: float,
    alpha: float,
    beta: float,
    seed: SeedLike,
    log_drift: float = 0.0,
    distribution: GarchDistribution = "normal",
    dof: float = 8.0,
    start: str | pd.Timestamp = "2020-01-01",
    freq: str | pd.Timedelta = "1D",
    calendar: Calendar = "24/7",
    s0: float = 100.0,
    substeps: int = 32,
    volume_mean: float = 1_000.0,
    volume_log_sigma: float = 0.5,
) -> GarchBars:
    """SYNTHETIC one-asset bars with GARCH(1,1) log returns and their true volatility.

    Parameters
    ----------
    n_bars
        Number of bars.
    omega
        Constant of the variance recursion, per-bar units (> 0), e.g. ``2e-6`` for daily bars.
    alpha
        Weight of the last squared shock (>= 0).
    beta
        Weight of the last variance (>= 0); ``alpha + beta < 1`` (covariance stationarity).
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    log_drift
        Annualised mean log return (decimal); each bar's mean is ``log_drift * bar_years``.
    distribution
        ``"normal"`` or ``"t"`` (Student-t scaled to unit variance).
    dof
        Degrees of freedom of the Student-t (> 2); ignored for ``"normal"``.
    start, freq, calendar
        Bar clock, as in :func:`gbm_bars`.
    s0
        First open.
    substeps
        Path points per bar used for high and low.
    volume_mean, volume_log_sigma
        Lognormal volume, independent of prices.

    Returns
    -------
    GarchBars
        ``bars`` (contract frame, ``attrs["synthetic"] = True``), ``conditional_volatility``
        and ``log_returns``.

    Raises
    ------
    ValidationError
        ``omega <= 0``, ``alpha < 0``, ``beta < 0``, ``alpha + beta >= 1``, ``dof <= 2`` or
        another parameter outside its domain.
    """
    index, bar_years = bar_clock(n_bars, start, freq, calendar)
    omega = check_real("omega", omega, lower=0.0, lower_open=True)
    alpha = check_real("alpha", alpha, lower=0.0)
    beta = check_real("beta", beta, lower=0.0)
    if alpha + beta >= 1.0:
        raise ValidationError(
            "alpha + beta", alpha + beta, "choose alpha and beta with alpha + beta < 1 (e.g. alpha=0.05, beta=0.90)",
            detail="the process has no finite unconditional variance",
        )
    log_drift = check_real("log_drift", log_drift)
    distribution = check_choice("distribution", distribution, ("normal", "t"))  # type: ignore[assignment]
    if distribution == "t":
        dof = check_real("dof", dof, lower=2.0, lower_open=True, fix="pass degrees of freedom > 2 (finite variance)")
    s0 = check_real("s0", s0, lower=0.0, lower_open=True)
    substeps = check_count("substeps", substeps)
    volume_mean, volume_log_sigma = check_volume_args(volume_mean, volume_log_sigma)
    rng = make_rng(seed)

    n = len(index)
    z = standardised_innovations(n, distribution, dof, rng)
    sigma = garch_volatility_path(z, omega, alpha, beta)
    returns = log_drift * bar_years + sigma * z
    log_s0 = math.log(s0)
    log_open = log_s0 + np.concatenate([[0.0], np.cumsum(returns)[:-1]])
    log_levels = log_open[:, None] + bridge_log_path(returns, sigma, substeps, rng)
    fields = ohlc_from_log_levels(log_levels, log_s0)
    fields["volume"] = lognormal_volume((n,), volume_mean, volume_log_sigma, rng)
    params = {
        "omega": omega, "alpha": alpha, "beta": beta, "log_drift": log_drift, "distribution": distribution,
        "dof": dof if distribution == "t" else None, "s0": s0, "freq": str(freq), "calendar": calendar,
        "bar_years": bar_years, "substeps": substeps, "seed": seed_label(seed),
    }
    bars = single_asset_frame(index, fields, generator="garch_bars", params=params)
    logger.debug("simulated %d GARCH(1,1) bars, persistence %.4f", n, alpha + beta)
    return GarchBars(
        bars=bars,
        conditional_volatility=pd.Series(sigma, index=index, name="conditional_volatility"),
        log_returns=pd.Series(returns, index=index, name="log_return"),
        params=dict(params),
    )


def standardised_innovations(
    n: int, distribution: GarchDistribution, dof: float, rng: np.random.Generator
) -> Float64Array:
    """``n`` i.i.d. innovations with mean 0 and variance 1 (normal or scaled Student-t)."""
    if distribution == "normal":
        return rng.standard_normal(n)
    return rng.standard_t(dof, n) * math.sqrt((dof - 2.0) / dof)


def garch_volatility_path(z: Float64Array, omega: float, alpha: float, beta: float) -> Float64Array:
    """Conditional volatilities ``sigma_t`` of a SYNTHETIC GARCH(1,1) driven by standardised shocks ``z``.

    ``sigma_0^2`` is the unconditional variance ``omega / (1 - alpha - beta)``; then
    ``sigma_t^2 = omega + alpha (sigma_{t-1} z_{t-1})^2 + beta sigma_{t-1}^2`` (eq. 14).
    """
    variance = np.empty(len(z))
    current = omega / (1.0 - alpha - beta)
    shocks = z.tolist()
    for t, shock in enumerate(shocks):
        variance[t] = current
        current = omega + (alpha * shock * shock + beta) * current
    return np.sqrt(variance)
