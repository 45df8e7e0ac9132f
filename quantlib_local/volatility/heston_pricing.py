"""European option prices and Greeks in the Heston model, vectorised over strikes and maturities.

Prices come from the characteristic function (Lewis formula with a Black-Scholes control
variate, integrated by Gauss-Legendre with node doubling until two rules agree; see
:mod:`quantlib_local.volatility.heston_fourier` for the formulas and the error control).
Why this and not COS or a fixed Gauss-Laguerre rule: the characteristic function depends
on the maturity only, so it is evaluated once per maturity and node and shared by every
strike; truncating at a per-maturity point where the integrand has decayed, instead of
Laguerre's fixed scale, keeps very short maturities and heavy-tailed parameter sets (vol of
vol 5, ``rho`` near 1) accurate; COS would need a density range per maturity and loses
relative accuracy far out of the money. The default tolerances (``rtol=1e-10``,
``atol=1e-14`` times the discounted forward) give prices within ``1e-8`` relative of
QuantLib's and of the published reference prices (see ``tests/volatility``).

Greeks are analytic in the same integrals: delta ``dV/dS`` differentiates the Lewis
formula in the forward (``d/dk`` of the integrand multiplies it by ``i u``); the variance
vega ``dV/dv0`` integrates ``D(z) phi(z)``, ``D`` being the ``v0`` coefficient of the log
characteristic function; ``vega`` is ``dV/d sqrt(v0) = 2 sqrt(v0) dV/dv0``, the sensitivity
to the instantaneous volatility, comparable to a Black-Scholes vega.

Rates and dividends enter through discount factors per maturity (flat rate or a curve,
see :data:`~quantlib_local.volatility.black_scholes.RateLike`); the Heston dynamics apply
to the forward, which is exact for deterministic rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from quantlib_local._typing import ArrayLike, Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.black_scholes import (
    RateLike,
    black_forward_price,
    broadcast_arguments,
    check_positive,
    discount_factors,
    implied_volatility,
    is_call_mask,
)
from quantlib_local.volatility.heston_fourier import (
    Extras,
    control_variance,
    integration_limit,
    lewis_integrals,
)
from quantlib_local.volatility.heston_params import HestonParams

DEFAULT_RTOL = 1e-10
DEFAULT_ATOL = 1e-14


@dataclass(frozen=True)
class HestonGreeks:
    """Prices and sensitivities of European options under Heston, each shaped like the inputs.

    Attributes
    ----------
    price
        Option values.
    delta
        ``dV/dS`` at fixed variance.
    vega
        ``dV/d sqrt(v0)``: change per unit of instantaneous volatility (divide by 100 per vol point).
    variance_vega
        ``dV/dv0``: change per unit of initial variance.
    """

    price: Float64Array
    delta: Float64Array
    vega: Float64Array
    variance_vega: Float64Array


def heston_price(
    params: HestonParams,
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Float64Array:
    """Heston prices of European calls and puts.

    Parameters
    ----------
    params
        Model parameters.
    spot
        Positive spot price(s).
    strike, maturity
        Positive strikes and times to expiry in years; broadcast together with ``spot`` and
        ``option_type`` (e.g. ``strike[:, None]`` against ``maturity[None, :]`` for a grid).
    rate, dividend_yield
        Flat continuously compounded rates, or curves (callables returning discount factors
        per maturity), see :data:`~quantlib_local.volatility.black_scholes.RateLike`.
    option_type
        ``"call"`` or ``"put"``, or an array of them.
    rtol, atol
        Integration tolerance: relative to the price, and absolute in units of the
        discounted forward ``F D_r``.

    Returns
    -------
    Float64Array
        Prices with the broadcast shape of the inputs.

    Examples
    --------
    >>> params = HestonParams(v0=0.04, kappa=4.0, theta=0.25, xi=1.0, rho=-0.5)
    >>> round(float(heston_price(params, 100.0, 100.0, 1.0, rate=0.01, dividend_yield=0.02)), 10)
    16.070154917
    """
    return _evaluate(params, spot, strike, maturity, rate, dividend_yield, option_type, rtol, atol, "none")[0]


def heston_greeks(
    params: HestonParams,
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> HestonGreeks:
    """Heston prices with analytic delta and vegas (same arguments as :func:`heston_price`).

    Returns
    -------
    HestonGreeks
        ``price``, ``delta``, ``vega`` (``dV/d sqrt(v0)``) and ``variance_vega`` (``dV/dv0``).
    """
    price, delta, variance_vega = _evaluate(params, spot, strike, maturity, rate, dividend_yield, option_type,
                                            rtol, atol, "greeks")
    vega = 2.0 * math.sqrt(params.v0) * variance_vega
    return HestonGreeks(price=price, delta=delta, vega=vega, variance_vega=variance_vega)


@dataclass(frozen=True)
class HestonPriceGradient:
    """Prices and their derivatives in the model parameters.

    Attributes
    ----------
    price
        Option values, shaped like the broadcast inputs.
    gradient
        ``dV/dp`` with a last axis of length 5 in the order of :attr:`HestonParams.names`
        (``v0, kappa, theta, xi, rho``).
    """

    price: Float64Array
    gradient: Float64Array


def heston_price_gradient(
    params: HestonParams,
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> HestonPriceGradient:
    """Heston prices and their gradient in ``(v0, kappa, theta, xi, rho)`` (arguments of :func:`heston_price`).

    The derivatives are integrals of ``e^{iuk} d phi / dp`` on the price's own quadrature
    (the control variate drops out): exact in ``v0`` and ``theta`` (``ln phi`` is linear in
    both), and a ``1e-6`` relative central difference of ``ln phi`` at each node for
    ``kappa``, ``xi`` and ``rho``. Used for the analytic Jacobian of the calibration.

    Returns
    -------
    HestonPriceGradient
        ``price`` and ``gradient`` (last axis: ``v0, kappa, theta, xi, rho``).
    """
    price, gradient = _evaluate(params, spot, strike, maturity, rate, dividend_yield, option_type, rtol, atol,
                                "gradient")
    return HestonPriceGradient(price=price, gradient=gradient)


def heston_implied_volatility(
    params: HestonParams,
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Float64Array:
    """Black-Scholes implied volatilities of Heston prices: the model's smile (same arguments as
    :func:`heston_price`, without ``option_type``).

    Each quote is priced as the out-of-the-money option (put below the forward, call above)
    and inverted with :func:`~quantlib_local.volatility.black_scholes.implied_volatility`;
    NaN where the price is at the rounding level and carries no volatility information.

    Returns
    -------
    Float64Array
        Implied volatilities with the broadcast shape of ``spot``, ``strike`` and ``maturity``.
    """
    spots, strikes, maturities = broadcast_arguments(
        spot=check_positive("spot", spot), strike=check_positive("strike", strike),
        maturity=check_positive("maturity", maturity),
    )
    forward = spots * discount_factors(dividend_yield, maturities, "dividend_yield") / discount_factors(
        rate, maturities, "rate")
    kinds = np.where(strikes < forward, "put", "call")
    prices = heston_price(params, spots, strikes, maturities, rate, dividend_yield, kinds, rtol=rtol, atol=atol)
    vols = implied_volatility(prices, spots, strikes, maturities, rate, dividend_yield, kinds, on_error="nan")
    return np.where(vols > 0, vols, np.nan)


def _evaluate(params, spot, strike, maturity, rate, dividend_yield, option_type, rtol, atol, extras: Extras):
    if not isinstance(params, HestonParams):
        raise ValidationError("params", params, "pass a HestonParams(v0, kappa, theta, xi, rho)")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e-2:
            raise ValidationError(name, value, "pass a tolerance between 0 and 0.01 (e.g. 1e-10)")
    spots, strikes, maturities, is_call = broadcast_arguments(
        spot=check_positive("spot", spot), strike=check_positive("strike", strike),
        maturity=check_positive("maturity", maturity), option_type=is_call_mask(option_type),
    )
    shape = spots.shape
    spots, strikes, maturities, is_call = (np.ravel(a) for a in (spots, strikes, maturities, is_call))
    rate_df = discount_factors(rate, maturities, "rate")
    forward = spots * discount_factors(dividend_yield, maturities, "dividend_yield") / rate_df
    if spots.size == 0:
        empty = np.empty(shape)
        return empty, empty.copy(), empty.copy()

    unique_maturities, maturity_index = np.unique(maturities, return_inverse=True)
    v_cv = control_variance(params, unique_maturities)
    # truncation: tail of sqrt(F K)/pi * J below atol/10 in units of F, for the largest K/F per maturity
    worst_ratio = np.zeros(unique_maturities.shape)
    np.maximum.at(worst_ratio, maturity_index, strikes / forward)
    limits = integration_limit(params, unique_maturities, v_cv, 0.1 * atol / np.sqrt(worst_ratio), extras != "none")

    total_std = np.sqrt(v_cv[maturity_index])
    control_price = black_forward_price(forward, strikes, total_std, rate_df, is_call)
    scale = rate_df * np.sqrt(forward * strikes) / math.pi
    integrals = lewis_integrals(
        params, np.log(forward / strikes), maturity_index, unique_maturities, limits, v_cv,
        control_price=control_price, scale=scale, atol=atol * forward * rate_df, rtol=rtol, extras=extras,
    )
    price = (control_price - scale * integrals.main).reshape(shape)
    if extras == "none":
        return (price,)
    if extras == "gradient":
        return price, np.stack([-scale * part for part in integrals.extra], axis=-1).reshape(shape + (5,))
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.where(total_std > 0, np.log(forward / strikes) / total_std + 0.5 * total_std,
                      np.copysign(np.inf, np.log(forward / strikes)))
    dividend_df = forward * rate_df / spots
    control_delta = np.where(is_call, dividend_df * ndtr(d1), -dividend_df * ndtr(-d1))
    delta = control_delta - scale * (0.5 * integrals.main + integrals.extra[0]) / spots
    variance_vega = -scale * integrals.extra[1]
    return price, delta.reshape(shape), variance_vega.reshape(shape)
