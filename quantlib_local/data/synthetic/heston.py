"""SYNTHETIC paths and bars from the Heston stochastic-volatility model (eq. 15-16).

::

    dS = mu S dt + sqrt(v) S dW1
    dv = kappa (theta - v) dt + xi sqrt(v) dW2,      d<W1, W2> = rho dt

Discretised with the full-truncation Euler scheme (Lord, Koekkoek and van Dijk, 2010,
"A comparison of biased simulation schemes for stochastic volatility models",
Quantitative Finance 10(2)): the drift and diffusion use ``v+ = max(v, 0)``, so the
variance the price sees is never negative; the log price is stepped exactly given ``v+``.
All parameters are annualised (``v`` is an annual variance, ``kappa`` per year).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, ClassVar

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

logger = logging.getLogger(__name__)

_DRAWS_PER_CHUNK = 1 << 20  # normals drawn at once; bounds memory for many long paths


@dataclass(frozen=True)
class HestonPaths:
    """SYNTHETIC Heston paths on a regular time grid.

    Attributes
    ----------
    times
        Grid in years, shape ``(n_steps + 1,)``, starting at 0.
    spot
        Prices, shape ``(n_paths, n_steps + 1)``; column 0 is ``s0``.
    variance
        Truncated variance ``max(v, 0)`` the price sees, shape ``(n_paths, n_steps + 1)``.
    params
        The model parameters used.
    """

    source: ClassVar[str] = "synthetic:heston_paths"
    synthetic: ClassVar[bool] = True

    times: Float64Array
    spot: Float64Array
    variance: Float64Array
    params: dict[str, Any]


@dataclass(frozen=True)
class HestonBars:
    """SYNTHETIC Heston bars together with the true variance that generated them.

    Attributes
    ----------
    bars
        One-asset OHLCV frame (bar contract), ``attrs["source"] = "synthetic:heston_bars"``.
    variance
        True (truncated) annual variance at each bar's close, indexed like ``bars``.
    """

    bars: pd.DataFrame
    variance: pd.Series


def heston_paths(
    n_paths: int,
    n_steps: int,
    *,
    v0: float,
    mu: float,
    kappa: float,
    theta: float,
    xi: float,
    rho: float,
    seed: SeedLike,
    horizon_years: float = 1.0,
    s0: float = 100.0,
) -> HestonPaths:
    """SYNTHETIC Heston price and variance paths (full-truncation Euler).

    Parameters
    ----------
    n_paths, n_steps
        Number of independent paths and of time steps over ``horizon_years``.
    v0
        Initial annual variance (>= 0), e.g. ``0.04`` for 20% volatility.
    mu
        Annualised drift (decimal): ``E[S_T] = s0 exp(mu T)``.
    kappa
        Mean-reversion speed of the variance, per year (> 0).
    theta
        Long-run annual variance (> 0).
    xi
        Volatility of variance (> 0). A warning is logged when the Feller condition
        ``2 kappa theta >= xi**2`` fails (the variance then touches zero often).
    rho
        Correlation of the price and variance shocks, in [-1, 1].
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    horizon_years
        Length of the paths in years (> 0).
    s0
        Initial price (> 0).

    Returns
    -------
    HestonPaths

    Raises
    ------
    ValidationError
        A parameter outside its domain (the message names it).
    """
    n_paths = check_count("n_paths", n_paths)
    n_steps = check_count("n_steps", n_steps)
    horizon_years = check_real("horizon_years", horizon_years, lower=0.0, lower_open=True)
    params = check_heston_params(s0=s0, v0=v0, mu=mu, kappa=kappa, theta=theta, xi=xi, rho=rho)
    rng = make_rng(seed)
    dt = horizon_years / n_steps
    log_s, variance = simulate_heston(n_paths, n_steps, dt, rng, **params)
    return HestonPaths(
        times=np.arange(n_steps + 1) * dt,
        spot=np.exp(log_s).T.copy(),
        variance=variance.T.copy(),
        params={**params, "horizon_years": horizon_years, "seed": seed_label(seed)},
    )


def heston_bars(
    n_bars: int,
    *,
    v0: float,
    mu: float,
    kappa: float,
    theta: float,
    xi: float,
    rho: float,
    seed: SeedLike,
    start: str | pd.Timestamp = "2020-01-01",
    freq: str | pd.Timedelta = "1D",
    calendar: Calendar = "24/7",
    s0: float = 100.0,
    substeps: int = 32,
    volume_mean: float = 1_000.0,
    volume_log_sigma: float = 0.5,
) -> HestonBars:
    """SYNTHETIC one-asset Heston bars built from a full-truncation Euler path.

    The path is simulated with ``substeps`` steps per bar; each bar's open is the previous
    close and its high and low are the extremes of the path inside the bar.

    Parameters
    ----------
    n_bars
        Number of bars.
    v0, mu, kappa, theta, xi, rho
        Annualised Heston parameters, as in :func:`heston_paths`.
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    start, freq, calendar
        Bar clock, as in :func:`gbm_bars`.
    s0
        First open.
    substeps
        Euler steps per bar.
    volume_mean, volume_log_sigma
        Lognormal volume, independent of prices.

    Returns
    -------
    HestonBars
        ``bars`` (contract frame, ``attrs["synthetic"] = True``) and the true ``variance``.
    """
    index, bar_years = bar_clock(n_bars, start, freq, calendar)
    params = check_heston_params(s0=s0, v0=v0, mu=mu, kappa=kappa, theta=theta, xi=xi, rho=rho)
    substeps = check_count("substeps", substeps)
    volume_mean, volume_log_sigma = check_volume_args(volume_mean, volume_log_sigma)
    rng = make_rng(seed)

    n = len(index)
    log_s, variance = simulate_heston(1, n * substeps, bar_years / substeps, rng, **params)
    log_levels = log_s[1:, 0].reshape(n, substeps)
    fields = ohlc_from_log_levels(log_levels, math.log(params["s0"]))
    fields["volume"] = lognormal_volume((n,), volume_mean, volume_log_sigma, rng)
    attrs = {
        **params, "freq": str(freq), "calendar": calendar, "bar_years": bar_years, "substeps": substeps,
        "seed": seed_label(seed),
    }
    bars = single_asset_frame(index, fields, generator="heston_bars", params=attrs)
    close_variance = variance[substeps::substeps, 0]
    return HestonBars(bars=bars, variance=pd.Series(close_variance, index=index, name="variance"))


def check_heston_params(
    *, s0: Any, v0: Any, mu: Any, kappa: Any, theta: Any, xi: Any, rho: Any
) -> dict[str, float]:
    """Validate the Heston parameter domains; log a warning when Feller fails."""
    params = {
        "s0": check_real("s0", s0, lower=0.0, lower_open=True),
        "v0": check_real("v0", v0, lower=0.0, fix="pass an initial annual variance >= 0, e.g. 0.04"),
        "mu": check_real("mu", mu),
        "kappa": check_real("kappa", kappa, lower=0.0, lower_open=True),
        "theta": check_real("theta", theta, lower=0.0, lower_open=True),
        "xi": check_real("xi", xi, lower=0.0, lower_open=True),
        "rho": check_real("rho", rho, lower=-1.0, upper=1.0),
    }
    if 2.0 * params["kappa"] * params["theta"] < params["xi"] ** 2:
        logger.warning(
            "Feller condition fails (2 kappa theta = %.4g < xi^2 = %.4g): the variance will often sit at zero "
            "under full truncation; raise kappa or theta or lower xi if that is not intended",
            2.0 * params["kappa"] * params["theta"],
            params["xi"] ** 2,
        )
    return params


def simulate_heston(
    n_paths: int,
    n_steps: int,
    dt: float,
    rng: np.random.Generator,
    *,
    s0: float,
    v0: float,
    mu: float,
    kappa: float,
    theta: float,
    xi: float,
    rho: float,
) -> tuple[Float64Array, Float64Array]:
    """SYNTHETIC full-truncation Euler log prices and truncated variances, shape ``(n_steps + 1, n_paths)``.

    Normals are drawn in chunks of whole steps, ``(steps, 2, n_paths)`` at a time; one path
    runs through a scalar loop (much faster than NumPy on length-1 arrays) that performs the
    same arithmetic as the vectorised loop, so both give the same numbers for the same draws.
    """
    log_s = np.empty((n_steps + 1, n_paths))
    variance = np.empty((n_steps + 1, n_paths))
    log_s[0], variance[0] = math.log(s0), v0
    state = (np.full(n_paths, math.log(s0)), np.full(n_paths, v0))
    kernel = _euler_one_path if n_paths == 1 else _euler_many_paths
    chunk = max(1, _DRAWS_PER_CHUNK // (2 * n_paths))
    for first in range(0, n_steps, chunk):
        last = min(first + chunk, n_steps)
        z = rng.standard_normal((last - first, 2, n_paths))
        state = kernel(z, state, log_s[first + 1 : last + 1], variance[first + 1 : last + 1],
                       dt=dt, mu=mu, kappa=kappa, theta=theta, xi=xi, rho=rho)
    return log_s, variance


_State = tuple[Float64Array, Float64Array]


def _euler_many_paths(
    z: Float64Array, state: _State, out_log_s: Float64Array, out_variance: Float64Array,
    *, dt: float, mu: float, kappa: float, theta: float, xi: float, rho: float,
) -> _State:
    x, v = state[0].copy(), state[1].copy()
    rho_bar = math.sqrt(1.0 - rho * rho)
    for i in range(z.shape[0]):
        v_plus = np.maximum(v, 0.0)
        root = np.sqrt(v_plus * dt)
        z_var = z[i, 1]
        z_price = rho * z_var + rho_bar * z[i, 0]
        x += (mu - 0.5 * v_plus) * dt + root * z_price
        v += kappa * (theta - v_plus) * dt + xi * root * z_var
        out_log_s[i] = x
        out_variance[i] = np.maximum(v, 0.0)
    return x, v


def _euler_one_path(
    z: Float64Array, state: _State, out_log_s: Float64Array, out_variance: Float64Array,
    *, dt: float, mu: float, kappa: float, theta: float, xi: float, rho: float,
) -> _State:
    x, v = float(state[0][0]), float(state[1][0])
    rho_bar = math.sqrt(1.0 - rho * rho)
    z_price_raw = z[:, 0, 0].tolist()
    z_var_all = z[:, 1, 0].tolist()
    xs, vs = [], []
    for z0, z_var in zip(z_price_raw, z_var_all):
        v_plus = v if v > 0.0 else 0.0
        root = math.sqrt(v_plus * dt)
        z_price = rho * z_var + rho_bar * z0
        x += (mu - 0.5 * v_plus) * dt + root * z_price
        v += kappa * (theta - v_plus) * dt + xi * root * z_var
        xs.append(x)
        vs.append(v if v > 0.0 else 0.0)
    out_log_s[:, 0] = xs
    out_variance[:, 0] = vs
    return np.array([x]), np.array([v])
