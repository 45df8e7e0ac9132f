"""Calibrate Heston parameters to an implied-volatility surface.

Objective: bounded nonlinear least squares (``scipy.optimize.least_squares``, trust-region
reflective) on implied-volatility errors
``sigma_model(K, T) - sigma_market(K, T)``, optionally weighted. The model volatility is
the Black-Scholes implied volatility of the Heston price of the out-of-the-money option at
each quote (puts below the forward, calls above), so deep in-the-money intrinsic value does
not swamp the time value. Where a model price has no implied volatility (it can fall a few
ulps outside the bounds far out of the money) the residual falls back to the first-order
equivalent, the price error divided by the Black-Scholes vega at the market volatility.
The Jacobian is analytic: the price gradient of
:func:`~quantlib_local.volatility.heston_pricing.heston_price_gradient` divided by the
Black-Scholes vega at the model volatility (one pricing pass instead of five bumped ones).

Feller constraint (``feller=True``): reparametrisation, not a penalty: the optimiser moves
``(v0, kappa, theta, s, rho)`` with ``xi = s sqrt(2 kappa theta)`` and ``0 < s <= 1``, so
every trial point satisfies ``2 kappa theta >= xi^2`` exactly and the problem stays smooth.

Start: ``v0`` from the shortest-maturity at-the-money volatility, ``theta`` from the longest,
``kappa = 2``, ``xi = 0.5`` and ``rho = -0.5`` (``+0.3`` when volatility rises with strike),
or the caller's ``initial``; ``n_starts > 1`` adds seeded uniform draws inside the bounds and
keeps the best fit.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from quantlib_local._typing import ArrayLike, SeedLike
from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.black_scholes import (
    RateLike,
    black_scholes_price,
    black_scholes_vega,
    broadcast_arguments,
    check_positive,
    discount_factors,
    implied_volatility,
)
from quantlib_local.volatility.heston_params import HestonParams
from quantlib_local.volatility.heston_pricing import heston_price, heston_price_gradient

logger = logging.getLogger(__name__)

DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "v0": (1e-4, 2.0),
    "kappa": (1e-2, 20.0),
    "theta": (1e-4, 2.0),
    "xi": (1e-2, 5.0),
    "rho": (-0.999, 0.999),
}
"""Search box per parameter (override any of them with ``bounds=``)."""


@dataclass(frozen=True)
class HestonCalibration:
    """Result of :func:`calibrate_heston`.

    Attributes
    ----------
    params
        Fitted parameters.
    rmse
        Root mean square implied-volatility error in vol points (``1.0`` = 1 % volatility).
    errors
        One row per quote: ``strike``, ``maturity``, ``option_type`` (the OTM side used),
        ``market_vol``, ``model_vol``, ``vol_error`` (model minus market, vol points),
        ``market_price``, ``model_price``.
    iterations
        Jacobian evaluations of the winning start (one per trust-region iteration).
    function_evaluations
        Residual evaluations over all starts (Jacobian columns excluded).
    success
        Whether the winning start met a convergence test.
    message
        The optimiser's termination message.
    feller
        Whether the Feller constraint was imposed.
    """

    params: HestonParams
    rmse: float
    errors: pd.DataFrame
    iterations: int
    function_evaluations: int
    success: bool
    message: str
    feller: bool


def calibrate_heston(
    spot: float,
    strike: ArrayLike,
    maturity: ArrayLike,
    market_vol: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    *,
    weights: ArrayLike | None = None,
    initial: HestonParams | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    feller: bool = False,
    n_starts: int = 1,
    seed: SeedLike = None,
    tolerance: float = 1e-10,
    max_evaluations: int = 400,
) -> HestonCalibration:
    """Fit :class:`HestonParams` to market implied volatilities.

    Parameters
    ----------
    spot
        Spot price, positive.
    strike, maturity, market_vol
        One entry per quote (broadcast together): strikes, maturities in years and Black-Scholes
        implied volatilities (decimals).
    rate, dividend_yield
        Flat rates or discount curves (see :data:`~quantlib_local.volatility.black_scholes.RateLike`).
    weights
        Optional non-negative weight per quote (residuals are multiplied by ``sqrt(weight)``).
    initial
        Starting parameters; default from the surface (module docstring).
    bounds
        Per-parameter ``(low, high)`` overriding :data:`DEFAULT_BOUNDS`.
    feller
        Impose ``2 kappa theta >= xi^2`` by reparametrisation.
    n_starts
        Number of starting points (the first is ``initial`` or the surface guess).
    seed
        Seed for the extra starting points.
    tolerance
        ``ftol``, ``xtol`` and ``gtol`` of ``least_squares``.
    max_evaluations
        Residual evaluations allowed per start.

    Returns
    -------
    HestonCalibration
        Fitted parameters, RMSE in vol points, per-quote errors and optimiser diagnostics.
    """
    quotes = _Quotes.build(spot, strike, maturity, market_vol, rate, dividend_yield, weights)
    box = _bounds(bounds)
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or n_starts < 1:
        raise ValidationError("n_starts", n_starts, "pass a positive integer number of starting points")
    if not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1e-2:
        raise ValidationError("tolerance", tolerance, "pass a tolerance between 0 and 0.01")
    if isinstance(max_evaluations, bool) or not isinstance(max_evaluations, (int, np.integer)) or max_evaluations < 10:
        raise ValidationError("max_evaluations", max_evaluations, "pass an integer of at least 10")
    if initial is not None and not isinstance(initial, HestonParams):
        raise ValidationError("initial", initial, "pass a HestonParams or None")

    lower = np.array([box[name][0] for name in HestonParams.names])
    upper = np.array([box[name][1] for name in HestonParams.names])
    if feller:
        lower[3], upper[3] = 1e-3, 1.0  # s = xi / sqrt(2 kappa theta)
    starts = [_to_search(initial or quotes.guess(box), feller, lower, upper)]
    rng = np.random.default_rng(seed)
    starts += [lower + (upper - lower) * rng.uniform(0.05, 0.95, lower.size) for _ in range(n_starts - 1)]

    best, evaluations = None, 0
    for x0 in starts:
        fit = least_squares(
            lambda x: quotes.residuals(_from_search(x, feller)), x0, jac=lambda x: quotes.jacobian(x, feller),
            bounds=(lower, upper), method="trf", x_scale="jac", ftol=tolerance, xtol=tolerance, gtol=tolerance,
            max_nfev=max_evaluations,
        )
        evaluations += fit.nfev
        if best is None or fit.cost < best.cost:
            best = fit
    params = _from_search(best.x, feller)
    errors = quotes.report(params)
    rmse = float(np.sqrt(np.mean(errors["vol_error"].to_numpy() ** 2)))
    if not best.success:
        logger.warning("Heston calibration did not converge: %s; raise max_evaluations or try n_starts > 1",
                       best.message)
    return HestonCalibration(params=params, rmse=rmse, errors=errors, iterations=int(best.njev or 0),
                             function_evaluations=int(evaluations), success=bool(best.success),
                             message=str(best.message), feller=bool(feller))


def _bounds(bounds: dict[str, tuple[float, float]] | None) -> dict[str, tuple[float, float]]:
    box = dict(DEFAULT_BOUNDS)
    for name, pair in (bounds or {}).items():
        if name not in box:
            raise ValidationError("bounds", bounds, f"use keys among {list(box)}", detail=f"unknown key {name!r}")
        low, high = (float(v) for v in pair)
        if not low < high:
            raise ValidationError(f"bounds[{name!r}]", pair, "pass (low, high) with low < high")
        box[name] = (low, high)
    return box


def _to_search(params: HestonParams, feller: bool, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    x = params.to_array()
    if feller:
        x[3] = x[3] / math.sqrt(2.0 * params.kappa * params.theta)
    span = upper - lower
    return np.clip(x, lower + 1e-6 * span, upper - 1e-6 * span)


def _from_search(x: np.ndarray, feller: bool) -> HestonParams:
    v0, kappa, theta, xi, rho = (float(value) for value in x)
    if feller:
        xi = xi * math.sqrt(2.0 * kappa * theta)
    return HestonParams(v0=v0, kappa=kappa, theta=theta, xi=xi, rho=rho)


@dataclass(frozen=True)
class _Quotes:
    """Validated market quotes, with the out-of-the-money side and market prices precomputed."""

    spot: float
    strike: np.ndarray
    maturity: np.ndarray
    market_vol: np.ndarray
    sqrt_weight: np.ndarray
    option_type: np.ndarray
    market_price: np.ndarray
    market_vega: np.ndarray
    rate: RateLike
    dividend_yield: RateLike

    @classmethod
    def build(cls, spot, strike, maturity, market_vol, rate, dividend_yield, weights) -> _Quotes:
        if np.ndim(spot) != 0:
            raise ValidationError("spot", spot, "pass one spot price (a positive float)")
        spot = float(check_positive("spot", spot))
        arrays = broadcast_arguments(strike=check_positive("strike", strike),
                                     maturity=check_positive("maturity", maturity),
                                     market_vol=check_positive("market_vol", market_vol))
        strike, maturity, market_vol = (np.ravel(a).astype(np.float64) for a in arrays)
        if strike.size < 5:
            raise ValidationError("strike", strike, "pass at least 5 quotes to fit 5 parameters")
        if weights is None:
            sqrt_weight = np.ones_like(strike)
        else:
            w = check_positive("weights", weights, allow_zero=True)
            if w.size not in (1, strike.size):
                raise ValidationError("weights", weights, f"pass one weight per quote ({strike.size})")
            sqrt_weight = np.sqrt(np.broadcast_to(w.ravel(), strike.shape)).copy()
        forward = spot * discount_factors(dividend_yield, maturity, "dividend_yield") / discount_factors(
            rate, maturity, "rate")
        option_type = np.where(strike < forward, "put", "call")
        price = black_scholes_price(spot, strike, maturity, market_vol, rate, dividend_yield, option_type)
        vega = black_scholes_vega(spot, strike, maturity, market_vol, rate, dividend_yield, option_type)
        return cls(spot, strike, maturity, market_vol, sqrt_weight, option_type, price, vega, rate, dividend_yield)

    def model_vols(self, params: HestonParams) -> tuple[np.ndarray, np.ndarray]:
        """Model prices and their implied volatilities (vega fallback where none exists)."""
        price = heston_price(params, self.spot, self.strike, self.maturity, self.rate, self.dividend_yield,
                             self.option_type)
        vol = implied_volatility(price, self.spot, self.strike, self.maturity, self.rate, self.dividend_yield,
                                 self.option_type, on_error="nan", initial_guess=self.market_vol)
        missing = ~np.isfinite(vol)
        if np.any(missing):
            vol[missing] = self.market_vol[missing] + (price[missing] - self.market_price[missing]) / np.maximum(
                self.market_vega[missing], 1e-12 * self.spot)
        return price, vol

    def residuals(self, params: HestonParams) -> np.ndarray:
        return self.sqrt_weight * (self.model_vols(params)[1] - self.market_vol)

    def jacobian(self, x: np.ndarray, feller: bool) -> np.ndarray:
        """d residual / d x: the price gradient over the Black-Scholes vega at the model volatility."""
        params = _from_search(x, feller)
        result = heston_price_gradient(params, self.spot, self.strike, self.maturity, self.rate, self.dividend_yield,
                                       self.option_type)
        vol = implied_volatility(result.price, self.spot, self.strike, self.maturity, self.rate, self.dividend_yield,
                                 self.option_type, on_error="nan", initial_guess=self.market_vol)
        usable = np.isfinite(vol) & (vol > 0)
        vega = self.market_vega.copy()
        if np.any(usable):
            vega[usable] = black_scholes_vega(self.spot, self.strike[usable], self.maturity[usable], vol[usable],
                                              self.rate, self.dividend_yield)
        jac = result.gradient / np.maximum(vega, 1e-12 * self.spot)[:, None]
        if feller:  # x[3] = s with xi = s sqrt(2 kappa theta)
            root = math.sqrt(2.0 * params.kappa * params.theta)
            d_xi = jac[:, 3].copy()
            jac[:, 3] = d_xi * root
            jac[:, 1] += d_xi * x[3] * params.theta / root
            jac[:, 2] += d_xi * x[3] * params.kappa / root
        return self.sqrt_weight[:, None] * jac

    def guess(self, box: dict[str, tuple[float, float]]) -> HestonParams:
        log_moneyness = np.abs(np.log(self.strike / self.spot))
        short = self.maturity == self.maturity.min()
        long = self.maturity == self.maturity.max()
        atm_short = self.market_vol[short][np.argmin(log_moneyness[short])]
        atm_long = self.market_vol[long][np.argmin(log_moneyness[long])]
        slope = np.polyfit(np.log(self.strike[long] / self.spot), self.market_vol[long], 1)[0] if long.sum() > 1 else -1
        values = {"v0": atm_short**2, "kappa": 2.0, "theta": atm_long**2, "xi": 0.5, "rho": -0.5 if slope <= 0 else 0.3}
        clipped = {name: min(max(value, box[name][0]), box[name][1]) for name, value in values.items()}
        return HestonParams(**clipped)

    def report(self, params: HestonParams) -> pd.DataFrame:
        price, vol = self.model_vols(params)
        return pd.DataFrame({
            "strike": self.strike, "maturity": self.maturity, "option_type": self.option_type,
            "market_vol": self.market_vol, "model_vol": vol, "vol_error": 100.0 * (vol - self.market_vol),
            "market_price": self.market_price, "model_price": price,
        })
