"""Monte Carlo for the Heston model with Andersen's quadratic-exponential (QE) scheme.

Andersen, L. (2008), "Simple and efficient simulation of the Heston stochastic volatility
model", Journal of Computational Finance 11(3), 1-42. Per step of length ``dt``:

* Variance (section 3.2.4): moment-match the exact conditional law of ``v(t + dt)`` given
  ``v(t)``: mean ``m = theta + (v - theta) e^{-kappa dt}``, variance
  ``s^2 = v xi^2 e^{-kappa dt} (1 - e^{-kappa dt}) / kappa + theta xi^2 (1 - e^{-kappa dt})^2 / (2 kappa)``,
  ``psi = s^2 / m^2``. If ``psi <= psi_c`` (1.5): ``v' = a (b + Z_v)^2`` with
  ``b^2 = 2/psi - 1 + sqrt(2/psi) sqrt(2/psi - 1)``, ``a = m / (1 + b^2)``; else the
  mixture of a mass at zero and an exponential: ``p = (psi - 1) / (psi + 1)``,
  ``beta = (1 - p) / m``, ``v' = 0`` if ``U <= p`` else ``ln((1 - p) / (1 - U)) / beta``.
  One uniform ``U`` per step drives both branches (``Z_v = Phi^{-1}(U)``).
* Log price (section 4.1, central discretisation ``gamma1 = gamma2 = 1/2``):
  ``ln X' = ln X + ln(F(t + dt) / F(t)) + K0 + K1 v + K2 v' + sqrt(K3 v + K4 v') Z``.
* Martingale correction (section 4.2, optional, on by default): ``K0`` is replaced per path
  by ``K0*`` so that ``E[X(t + dt) | X(t)] = X(t) F(t + dt) / F(t)`` exactly in the
  discrete scheme; it needs ``A = K2 + K4 / 2 < 1 / (2a)`` (quadratic branch) or
  ``A < beta`` (exponential branch), which holds for the usual ``rho <= 0``; paths where
  it fails keep the uncorrected ``K0`` (and a warning says how many).

The scheme keeps the variance non-negative without truncation, so unlike the
full-truncation Euler of :mod:`quantlib_local.data.synthetic.heston` (meant for synthetic
bars) it stays accurate with few steps per year.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.special import ndtri

from quantlib_local._typing import ArrayLike, Float64Array, SeedLike
from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.black_scholes import (
    RateLike,
    broadcast_arguments,
    check_positive,
    discount_factors,
    is_call_mask,
)
from quantlib_local.volatility.heston_params import HestonParams

logger = logging.getLogger(__name__)

PSI_CRITICAL = 1.5
"""Andersen's switching level between the quadratic and the exponential variance branch."""


@dataclass(frozen=True)
class HestonQEPaths:
    """Heston paths simulated with the QE scheme.

    Attributes
    ----------
    times
        Time grid in years, shape ``(n_steps + 1,)``, starting at 0.
    spot
        Prices, shape ``(n_paths, n_steps + 1)``; column 0 is the initial spot.
    variance
        Variance (never negative), shape ``(n_paths, n_steps + 1)``.
    params
        The model parameters.
    martingale_correction
        Whether Andersen's martingale correction was applied.
    """

    times: Float64Array
    spot: Float64Array
    variance: Float64Array
    params: HestonParams
    martingale_correction: bool


@dataclass(frozen=True)
class MonteCarloPrice:
    """A Monte Carlo price with its standard error (arrays shaped like the broadcast strikes).

    Attributes
    ----------
    price
        Discounted mean payoff.
    standard_error
        Standard deviation of the discounted payoff divided by ``sqrt(n_paths)``.
    n_paths, n_steps
        Simulation size.
    """

    price: Float64Array
    standard_error: Float64Array
    n_paths: int
    n_steps: int


def simulate_heston_qe(
    params: HestonParams,
    spot: float,
    maturity: float,
    n_steps: int,
    n_paths: int,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    *,
    seed: SeedLike = None,
    martingale_correction: bool = True,
) -> HestonQEPaths:
    """Simulate risk-neutral Heston paths on a regular grid with Andersen's QE scheme.

    Parameters
    ----------
    params
        Model parameters.
    spot
        Initial price, positive.
    maturity
        Horizon in years, positive.
    n_steps, n_paths
        Number of time steps and of paths (positive integers).
    rate, dividend_yield
        Flat rates or discount curves (see :data:`~quantlib_local.volatility.black_scholes.RateLike`);
        the drift over each step is the log growth of the forward.
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy).
    martingale_correction
        Apply Andersen's martingale correction (default True).

    Returns
    -------
    HestonQEPaths
        Times, prices and variances of every path.
    """
    grid, log_growth = _setup(params, spot, maturity, n_steps, n_paths, rate, dividend_yield)
    rng = np.random.default_rng(seed)
    log_spot = np.empty((n_paths, n_steps + 1))
    variance = np.empty((n_paths, n_steps + 1))
    log_spot[:, 0] = math.log(spot)
    variance[:, 0] = params.v0
    stepper = _QEStep(params, maturity / n_steps, martingale_correction)
    for i in range(n_steps):
        log_spot[:, i + 1], variance[:, i + 1] = stepper(log_spot[:, i], variance[:, i], log_growth[i], rng)
    stepper.report()
    prices = np.exp(log_spot)
    prices[:, 0] = spot
    return HestonQEPaths(times=grid, spot=prices, variance=variance, params=params,
                         martingale_correction=martingale_correction)


def price_european_mc(
    params: HestonParams,
    spot: float,
    strike: ArrayLike,
    maturity: float,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
    *,
    n_paths: int = 50_000,
    n_steps: int = 50,
    seed: SeedLike = None,
    martingale_correction: bool = True,
) -> MonteCarloPrice:
    """Monte Carlo price and standard error of European options with one maturity (QE scheme).

    Only the current state of each path is kept in memory; every strike reuses the same paths.

    Parameters
    ----------
    params, spot, maturity, rate, dividend_yield, seed, martingale_correction
        As in :func:`simulate_heston_qe`.
    strike
        Positive strikes (broadcast with ``option_type``).
    option_type
        ``"call"`` or ``"put"``, or an array of them.
    n_paths, n_steps
        Simulation size (default 50,000 paths, 50 steps).

    Returns
    -------
    MonteCarloPrice
        Prices and standard errors shaped like the broadcast ``strike`` and ``option_type``.

    Examples
    --------
    >>> params = HestonParams(v0=0.04, kappa=2.0, theta=0.04, xi=0.3, rho=-0.7)
    >>> mc = price_european_mc(params, 100.0, 100.0, 1.0, n_paths=20_000, n_steps=20, seed=1)
    >>> bool(abs(float(mc.price) - 7.7) < 4 * float(mc.standard_error) + 0.1)
    True
    """
    strikes, is_call = broadcast_arguments(strike=check_positive("strike", strike), option_type=is_call_mask(option_type))
    _, log_growth = _setup(params, spot, maturity, n_steps, n_paths, rate, dividend_yield)
    rng = np.random.default_rng(seed)
    log_spot = np.full(n_paths, math.log(spot))
    variance = np.full(n_paths, params.v0)
    stepper = _QEStep(params, maturity / n_steps, martingale_correction)
    for i in range(n_steps):
        log_spot, variance = stepper(log_spot, variance, log_growth[i], rng)
    stepper.report()
    terminal = np.exp(log_spot)
    discount = float(discount_factors(rate, np.array([maturity]), "rate")[0])
    flat_strikes, flat_calls = strikes.ravel(), is_call.ravel()
    prices = np.empty(flat_strikes.size)
    errors = np.empty(flat_strikes.size)
    for j, (k, call) in enumerate(zip(flat_strikes, flat_calls)):
        payoff = discount * np.maximum(terminal - k if call else k - terminal, 0.0)
        prices[j] = payoff.mean()
        errors[j] = payoff.std(ddof=1) / math.sqrt(n_paths)
    return MonteCarloPrice(price=prices.reshape(strikes.shape), standard_error=errors.reshape(strikes.shape),
                           n_paths=n_paths, n_steps=n_steps)


def _setup(params, spot, maturity, n_steps, n_paths, rate, dividend_yield):
    """Validate the simulation arguments; return the time grid and the log forward growth per step."""
    if not isinstance(params, HestonParams):
        raise ValidationError("params", params, "pass a HestonParams(v0, kappa, theta, xi, rho)")
    for name, value in (("spot", spot), ("maturity", maturity)):
        if np.ndim(value) != 0:
            raise ValidationError(name, value, f"pass one {name} (a positive float); price each maturity separately")
        check_positive(name, value)
    for name, value in (("n_steps", n_steps), ("n_paths", n_paths)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (1 if name == "n_steps" else 2):
            raise ValidationError(name, value, f"pass a positive integer {name} (at least 2 paths)")
    grid = np.linspace(0.0, float(maturity), int(n_steps) + 1)
    log_forward = np.log(discount_factors(dividend_yield, grid, "dividend_yield")) - np.log(
        discount_factors(rate, grid, "rate"))
    return grid, np.diff(log_forward)


class _QEStep:
    """One QE step with the constants of a fixed step length (Andersen 2008, eq. 33 and 4.2)."""

    def __init__(self, params: HestonParams, dt: float, martingale_correction: bool) -> None:
        kappa, theta, xi, rho = params.kappa, params.theta, params.xi, params.rho
        self.theta, self.xi2 = theta, xi * xi
        self.decay = math.exp(-kappa * dt)
        self.one_minus = -math.expm1(-kappa * dt)
        self.kappa = kappa
        self.k0 = -rho * kappa * theta * dt / xi
        self.k1 = 0.5 * dt * (kappa * rho / xi - 0.5) - rho / xi
        self.k2 = 0.5 * dt * (kappa * rho / xi - 0.5) + rho / xi
        self.k3 = 0.5 * dt * (1.0 - rho * rho)
        self.k4 = self.k3
        self.martingale_correction = martingale_correction
        self.uncorrected = 0

    def __call__(self, log_spot, variance, log_growth, rng):
        """Advance ``(log_spot, variance)`` by one step; returns new arrays."""
        uniform = rng.random(variance.shape)
        shock = rng.standard_normal(variance.shape)
        next_log_spot = np.empty_like(log_spot)
        next_variance = np.empty_like(variance)
        self.uncorrected += _qe_kernel(
            log_spot, variance, uniform, ndtri(uniform), shock, next_log_spot, next_variance, log_growth,
            self.theta, self.kappa, self.xi2, self.decay, self.one_minus,
            self.k0, self.k1, self.k2, self.k3, self.k4, self.martingale_correction,
        )
        return next_log_spot, next_variance

    def report(self) -> None:
        if self.uncorrected:
            logger.warning("QE martingale correction was not applicable on %d path-steps (A >= 1/(2a) or A >= beta, "
                           "typical for large rho > 0 and long steps); they used the uncorrected drift. Use more "
                           "steps if the forward must be matched exactly.", self.uncorrected)


@njit(cache=True, nogil=True)
def _qe_kernel(log_spot, variance, uniform, normal_v, shock, out_log_spot, out_variance, log_growth,
               theta, kappa, xi2, decay, one_minus, k0, k1, k2, k3, k4, correction):  # pragma: no cover - compiled
    """One QE step for every path (module docstring); returns the number of uncorrectable path-steps."""
    big_a = k2 + 0.5 * k4
    uncorrected = 0
    for i in range(variance.size):
        v = variance[i]
        m = theta + (v - theta) * decay
        s2 = v * xi2 * decay * one_minus / kappa + theta * xi2 * one_minus * one_minus / (2.0 * kappa)
        psi = s2 / (m * m)
        drift = k0
        if psi <= PSI_CRITICAL:
            inv = 2.0 / psi
            b2 = inv - 1.0 + math.sqrt(inv) * math.sqrt(max(inv - 1.0, 0.0))
            a = m / (1.0 + b2)
            root = math.sqrt(b2) + normal_v[i]
            v_next = a * root * root
            if correction:
                if 2.0 * big_a * a < 1.0:
                    drift = (-big_a * b2 * a / (1.0 - 2.0 * big_a * a) + 0.5 * math.log1p(-2.0 * big_a * a)
                             - (k1 + 0.5 * k3) * v)
                else:
                    uncorrected += 1
        else:
            p = (psi - 1.0) / (psi + 1.0)
            beta = (1.0 - p) / m
            u = uniform[i]
            v_next = 0.0 if u <= p else math.log((1.0 - p) / (1.0 - u)) / beta
            if correction:
                if big_a < beta:
                    drift = -math.log(p + beta * (1.0 - p) / (beta - big_a)) - (k1 + 0.5 * k3) * v
                else:
                    uncorrected += 1
        out_variance[i] = v_next
        out_log_spot[i] = (log_spot[i] + log_growth + drift + k1 * v + k2 * v_next
                           + math.sqrt(max(k3 * v + k4 * v_next, 0.0)) * shock[i])
    return uncorrected
