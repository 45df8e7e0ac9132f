"""SYNTHETIC bars from a Markov regime-switching geometric Brownian motion.

A hidden Markov chain ``s_t`` in ``{0, ..., k-1}`` moves once per bar with transition
matrix ``P`` (``P[i, j] = Pr(s_t = j | s_{t-1} = i)``); inside bar ``t`` the price is a GBM
with the annualised drift ``mu[s_t]`` and volatility ``sigma[s_t]`` of that regime.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import pandas as pd

from quantlib_local._typing import ArrayLike, Float64Array, SeedLike
from quantlib_local.data.contract import Calendar
from quantlib_local.data.synthetic._common import (
    bar_clock,
    check_count,
    check_real,
    check_vector,
    check_volume_args,
    lognormal_volume,
    make_rng,
    ohlc_from_log_levels,
    seed_label,
    single_asset_frame,
)
from quantlib_local.data.synthetic.gbm import gbm_log_levels
from quantlib_local.exceptions import ValidationError

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class RegimeSwitchingBars:
    """SYNTHETIC regime-switching bars together with the true regime path.

    Attributes
    ----------
    bars
        One-asset OHLCV frame (bar contract), ``attrs["source"] = "synthetic:regime_switching_bars"``.
    regimes
        True regime (0 .. k-1) of each bar, indexed like ``bars``.
    transition
        The transition matrix used.
    stationary_distribution
        Long-run share of bars in each regime (left eigenvector of ``transition`` for 1).
    """

    bars: pd.DataFrame
    regimes: pd.Series
    transition: Float64Array
    stationary_distribution: Float64Array


def regime_switching_bars(
    n_bars: int,
    *,
    transition: ArrayLike,
    mu: ArrayLike,
    sigma: ArrayLike,
    seed: SeedLike,
    initial_regime: int | None = None,
    start: str | pd.Timestamp = "2020-01-01",
    freq: str | pd.Timedelta = "1D",
    calendar: Calendar = "24/7",
    s0: float = 100.0,
    substeps: int = 32,
    volume_mean: float = 1_000.0,
    volume_log_sigma: float = 0.5,
) -> RegimeSwitchingBars:
    """SYNTHETIC one-asset bars whose drift and volatility switch with a hidden Markov chain.

    Parameters
    ----------
    n_bars
        Number of bars.
    transition
        ``k x k`` row-stochastic matrix (rows are the current regime and sum to 1), e.g.
        ``[[0.98, 0.02], [0.05, 0.95]]`` for a calm and a turbulent regime. The chain must
        have a single stationary distribution (one closed class of regimes).
    mu, sigma
        Annualised drift and volatility (decimal) of each regime, ``k`` numbers each.
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    initial_regime
        Regime of the first bar; drawn from the stationary distribution when None.
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
    RegimeSwitchingBars
        ``bars`` (contract frame, ``attrs["synthetic"] = True``), the true ``regimes`` and
        the ``stationary_distribution`` of the chain.

    Raises
    ------
    ValidationError
        ``transition`` not square, with entries outside [0, 1], rows not summing to 1, or
        with more than one stationary distribution; ``mu``/``sigma`` of the wrong length;
        another parameter out of domain.
    """
    matrix = transition_matrix(transition)
    k = matrix.shape[0]
    stationary = stationary_distribution(matrix)
    mu_vec = check_vector("mu", mu, k, what="regime")
    sigma_vec = check_vector("sigma", sigma, k, lower=0.0, what="regime")
    if initial_regime is not None:
        if isinstance(initial_regime, bool) or not isinstance(initial_regime, (int, np.integer)) or not (
            0 <= initial_regime < k
        ):
            raise ValidationError("initial_regime", initial_regime, f"pass None or an integer from 0 to {k - 1}")
    index, bar_years = bar_clock(n_bars, start, freq, calendar)
    s0 = check_real("s0", s0, lower=0.0, lower_open=True)
    substeps = check_count("substeps", substeps)
    volume_mean, volume_log_sigma = check_volume_args(volume_mean, volume_log_sigma)
    rng = make_rng(seed)

    n = len(index)
    regimes = markov_chain_path(matrix, n, stationary if initial_regime is None else int(initial_regime), rng)
    log_levels = gbm_log_levels(math.log(s0), mu_vec[regimes], sigma_vec[regimes], bar_years, substeps, rng)
    fields = ohlc_from_log_levels(log_levels, math.log(s0))
    fields["volume"] = lognormal_volume((n,), volume_mean, volume_log_sigma, rng)
    params = {
        "transition": matrix, "mu": mu_vec, "sigma": sigma_vec, "initial_regime": initial_regime, "s0": s0,
        "freq": str(freq), "calendar": calendar, "bar_years": bar_years, "substeps": substeps,
        "seed": seed_label(seed),
    }
    bars = single_asset_frame(index, fields, generator="regime_switching_bars", params=params)
    return RegimeSwitchingBars(
        bars=bars,
        regimes=pd.Series(regimes, index=index, name="regime"),
        transition=matrix,
        stationary_distribution=stationary,
    )


def transition_matrix(transition: ArrayLike) -> Float64Array:
    """Validate a row-stochastic transition matrix and return it as float64."""
    try:
        matrix = np.asarray(transition, dtype="float64")
    except (TypeError, ValueError):
        raise ValidationError("transition", transition, "pass a k x k matrix of probabilities") from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1:
        raise ValidationError(
            "transition", transition, "pass a square k x k matrix (row = current regime, column = next)",
            detail=f"shape {matrix.shape}",
        )
    if not np.isfinite(matrix).all() or (matrix < 0).any() or (matrix > 1).any():
        raise ValidationError("transition", transition, "use probabilities in [0, 1]", detail="entry outside [0, 1]")
    if not np.allclose(matrix.sum(axis=1), 1.0, rtol=0.0, atol=_TOLERANCE):
        raise ValidationError(
            "transition", transition, "make every row sum to 1 (row i holds Pr(next regime | regime i))",
            detail=f"row sums {matrix.sum(axis=1).round(6).tolist()}",
        )
    return matrix


def stationary_distribution(matrix: Float64Array) -> Float64Array:
    """The unique ``pi`` with ``pi @ P = pi`` and ``sum(pi) = 1``.

    Raises
    ------
    ValidationError
        The chain has more than one stationary distribution (two or more closed classes).
    """
    k = matrix.shape[0]
    system = np.vstack([matrix.T - np.eye(k), np.ones(k)])
    rank = np.linalg.matrix_rank(system[:-1], tol=1e-10)
    if rank != k - 1:
        raise ValidationError(
            "transition",
            matrix,
            "make the regimes communicate (e.g. an irreducible chain: every regime reachable from every other)",
            detail="the chain has more than one stationary distribution",
        )
    target = np.zeros(k + 1)
    target[-1] = 1.0
    solution, *_ = np.linalg.lstsq(system, target, rcond=None)
    return np.clip(solution, 0.0, None) / np.clip(solution, 0.0, None).sum()


def markov_chain_path(
    matrix: Float64Array, n: int, initial: int | Float64Array, rng: np.random.Generator
) -> np.ndarray:
    """``n`` SYNTHETIC states of the chain; ``initial`` is a state or a distribution to draw it from."""
    uniforms = rng.random(n).tolist()
    cumulative = [list(accumulate(row)) for row in matrix.tolist()]
    last = len(matrix) - 1
    if isinstance(initial, np.ndarray):
        state = min(bisect.bisect_right(list(accumulate(initial.tolist())), uniforms[0]), last)
    else:
        state = initial
    path = [state]
    for u in uniforms[1:]:
        state = min(bisect.bisect_right(cumulative[state], u), last)
        path.append(state)
    return np.asarray(path, dtype="int64")
