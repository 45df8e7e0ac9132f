"""Black-Scholes(-Merton) prices, delta, vega and implied volatility for European options.

Every function is vectorised: array arguments broadcast against each other (NumPy rules)
and the answer has the broadcast shape. Rates enter only through discount factors, so a
term structure works as well as a flat rate (see :data:`RateLike` and
:func:`discount_factors`): with ``D_r = D_r(T)`` and ``D_q = D_q(T)`` the forward is
``F = S D_q / D_r`` and the call is ``D_r (F N(d1) - K N(d2))`` with
``d1 = ln(F / K) / s + s / 2``, ``d2 = d1 - s`` and total standard deviation ``s = sigma sqrt(T)``.

Implied volatility (:func:`implied_volatility`) inverts the price of the out-of-the-money
option of the pair (an in-the-money price is moved there by put-call parity, which keeps
the digits of small time values) with a bracketed Newton iteration in the total standard
deviation: Newton on the price above the inflection point ``s* = sqrt(2 |ln(F/K)|)`` and
on the log price below it (where the price is convex in ``s`` and Newton on the price
would overshoot), safeguarded by bisection whenever a step leaves the bracket. It stops
when the price matches to ``1e-14`` relative, or the Newton step (which is still applied) is
below ``1e-13 s`` so the next one would be below rounding, or the bracket is narrower than
``1e-13 s``; at most after 200 iterations. A price outside the no-arbitrage bounds has no implied
volatility: ``on_error="raise"`` (default) raises a
:class:`~quantlib_local.exceptions.ValidationError` naming the first such option and the
bounds, ``on_error="nan"`` returns NaN there.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Literal, TypeAlias

import numpy as np
from scipy.special import ndtr

from quantlib_local._typing import ArrayLike, Float64Array
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

RateLike: TypeAlias = float | Callable[[Float64Array], ArrayLike]
"""A flat continuously compounded annual rate (a float), or a curve: a callable that maps an
array of maturities in years to the discount factors ``exp(-integral of r)`` at those maturities."""

OnError: TypeAlias = Literal["raise", "nan"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_MAX_IMPLIED_ITERATIONS = 200
_PRICE_TOLERANCE = 1e-14  # relative; the volatility then has ~1e-14 relative error or less
_STEP_TOLERANCE = 1e-13  # relative Newton step: the next step would be ~1e-26, below rounding


def discount_factors(curve: RateLike, maturity: ArrayLike, field: str = "rate") -> Float64Array:
    """Discount factors of a flat rate or a curve at the given maturities.

    Parameters
    ----------
    curve
        A float (flat continuously compounded rate: ``exp(-curve * T)``) or a callable that
        takes an array of maturities in years and returns discount factors of the same shape.
    maturity
        Maturities in years (any shape).
    field
        Argument name used in error messages (``"rate"``, ``"dividend_yield"``).

    Returns
    -------
    Float64Array
        Discount factors, shaped like ``maturity``; all finite and positive.
    """
    times = np.asarray(maturity, dtype=np.float64)
    if callable(curve):
        try:
            factors = np.broadcast_to(np.asarray(curve(times), dtype=np.float64), times.shape)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                field, curve, "pass a callable that maps an array of maturities to discount factors of the same shape",
                detail=f"calling it failed ({exc})",
            ) from exc
        if not np.all(np.isfinite(factors) & (factors > 0)):
            raise ValidationError(
                field, curve, "return finite, positive discount factors for every maturity",
                detail="the curve returned a non-finite or non-positive discount factor",
            )
        return np.array(factors, dtype=np.float64)
    if isinstance(curve, bool) or not isinstance(curve, (int, float, np.integer, np.floating)):
        raise ValidationError(
            field, curve, "pass a float (flat continuously compounded rate) or a callable returning discount factors",
        )
    if not math.isfinite(float(curve)):
        raise ValidationError(field, curve, "pass a finite rate, e.g. 0.03 for 3 % a year")
    return np.exp(-float(curve) * times)


def check_positive(field: str, value: ArrayLike, *, allow_zero: bool = False) -> Float64Array:
    """``value`` as a float64 array whose entries are all finite and positive (or zero if allowed)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, value, "pass real numbers") from exc
    bad = ~np.isfinite(array) | ((array < 0) if allow_zero else (array <= 0))
    if np.any(bad):
        first = array[bad].flat[0] if array.ndim else float(array)
        kind = "non-negative" if allow_zero else "positive"
        raise ValidationError(
            field, value, f"pass finite, {kind} values",
            detail=f"{int(np.count_nonzero(bad))} entr{'y is' if np.count_nonzero(bad) == 1 else 'ies are'} "
            f"not {kind} (first: {first!r})",
        )
    return array


def is_call_mask(option_type: ArrayLike) -> np.ndarray:
    """Boolean array, True where ``option_type`` is ``"call"`` (case-insensitive) and False for ``"put"``."""
    labels = np.char.lower(np.asarray(option_type, dtype=str))
    valid = (labels == "call") | (labels == "put")
    if not np.all(valid):
        first = labels[~valid].flat[0] if labels.ndim else str(labels)
        raise ValidationError("option_type", option_type, "pass 'call' or 'put' (or an array of them)",
                              detail=f"unknown option type {first!r}")
    return labels == "call"


def broadcast_arguments(**arrays: np.ndarray) -> list[np.ndarray]:
    """Broadcast named arrays against each other, or raise naming them and their shapes."""
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError as exc:
        shapes = {name: np.shape(array) for name, array in arrays.items()}
        raise ValidationError(
            ", ".join(arrays), shapes, "pass arrays whose shapes broadcast together (equal, or 1 along a dimension)",
            detail="the shapes are incompatible",
        ) from exc


def black_forward_price(
    forward: ArrayLike, strike: ArrayLike, total_std: ArrayLike, discount: ArrayLike, is_call: ArrayLike
) -> Float64Array:
    """Black price from the forward: ``discount * (F N(d1) - K N(d2))`` for a call, parity for a put.

    Inputs are trusted (no validation); ``total_std = sigma sqrt(T)`` may be zero (intrinsic value).
    """
    forward, strike, total_std, discount, is_call = np.broadcast_arrays(forward, strike, total_std, discount, is_call)
    sign = np.where(is_call, 1.0, -1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.log(forward / strike) / total_std + 0.5 * total_std
    d2 = d1 - total_std
    value = sign * (forward * ndtr(sign * d1) - strike * ndtr(sign * d2))
    zero = total_std <= 0
    if np.any(zero):
        value = np.where(zero, np.maximum(sign * (forward - strike), 0.0), value)
    return discount * value


def _market(spot, strike, maturity, rate, dividend_yield, option_type, extra: dict[str, ArrayLike] | None = None):
    """Validate and broadcast the common option arguments; returns arrays and forward, discounts."""
    named = {
        "spot": check_positive("spot", spot),
        "strike": check_positive("strike", strike),
        "maturity": check_positive("maturity", maturity),
        "option_type": is_call_mask(option_type),
    }
    named.update(extra or {})
    arrays = dict(zip(named, broadcast_arguments(**named)))
    rate_discount = discount_factors(rate, arrays["maturity"], "rate")
    dividend_discount = discount_factors(dividend_yield, arrays["maturity"], "dividend_yield")
    forward = arrays["spot"] * dividend_discount / rate_discount
    return arrays, forward, rate_discount, dividend_discount


def black_scholes_price(
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    volatility: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
) -> Float64Array:
    """Black-Scholes-Merton price of European calls and puts.

    Parameters
    ----------
    spot, strike
        Positive prices (broadcast together with ``maturity``, ``volatility`` and ``option_type``).
    maturity
        Positive times to expiry in years.
    volatility
        Non-negative annualised volatilities (0 gives the discounted intrinsic value of the forward).
    rate, dividend_yield
        Flat continuously compounded rates or discount curves, see :data:`RateLike`.
    option_type
        ``"call"`` or ``"put"``, or an array of them.

    Returns
    -------
    Float64Array
        Prices with the broadcast shape of the inputs.

    Examples
    --------
    >>> round(float(black_scholes_price(100.0, 100.0, 1.0, 0.2, rate=0.05)), 6)  # Hull, ATM call
    10.450584
    """
    vol = check_positive("volatility", volatility, allow_zero=True)
    arrays, forward, rate_df, _ = _market(spot, strike, maturity, rate, dividend_yield, option_type, {"volatility": vol})
    total_std = arrays["volatility"] * np.sqrt(arrays["maturity"])
    return black_forward_price(forward, arrays["strike"], total_std, rate_df, arrays["option_type"])


def black_scholes_delta(
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    volatility: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
) -> Float64Array:
    """Spot delta ``dV/dS``: ``D_q N(d1)`` for a call and ``-D_q N(-d1)`` for a put.

    Parameters are those of :func:`black_scholes_price`; volatility must be positive here.

    Returns
    -------
    Float64Array
        Deltas with the broadcast shape of the inputs.
    """
    arrays, d1, dividend_df = _d1(spot, strike, maturity, volatility, rate, dividend_yield, option_type)
    return np.where(arrays["option_type"], dividend_df * ndtr(d1), -dividend_df * ndtr(-d1))


def black_scholes_vega(
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    volatility: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
) -> Float64Array:
    """Vega ``dV/dsigma = S D_q n(d1) sqrt(T)`` (per unit of volatility, equal for calls and puts).

    Parameters are those of :func:`black_scholes_price`; volatility must be positive here.

    Returns
    -------
    Float64Array
        Vegas with the broadcast shape of the inputs (divide by 100 for "per vol point").
    """
    arrays, d1, dividend_df = _d1(spot, strike, maturity, volatility, rate, dividend_yield, option_type)
    return arrays["spot"] * dividend_df * _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1) * np.sqrt(arrays["maturity"])


def _d1(spot, strike, maturity, volatility, rate, dividend_yield, option_type):
    """Validated arrays, ``d1`` and the dividend discount factor (volatility must be positive)."""
    vol = check_positive("volatility", volatility)
    arrays, forward, _, dividend_df = _market(spot, strike, maturity, rate, dividend_yield, option_type,
                                              {"volatility": vol})
    total_std = arrays["volatility"] * np.sqrt(arrays["maturity"])
    return arrays, np.log(forward / arrays["strike"]) / total_std + 0.5 * total_std, dividend_df


def implied_volatility(
    price: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    maturity: ArrayLike,
    rate: RateLike = 0.0,
    dividend_yield: RateLike = 0.0,
    option_type: ArrayLike = "call",
    *,
    on_error: OnError = "raise",
    initial_guess: ArrayLike | None = None,
) -> Float64Array:
    """Black-Scholes implied volatility of European option prices (vectorised).

    Parameters
    ----------
    price
        Option prices (broadcast with the other array arguments).
    spot, strike, maturity, rate, dividend_yield, option_type
        As in :func:`black_scholes_price`.
    on_error
        What to do with a price that has no implied volatility, i.e. one outside the
        no-arbitrage bounds ``D_r max(F - K, 0) <= C < S D_q`` for a call and
        ``D_r max(K - F, 0) <= P < K D_r`` for a put: ``"raise"`` (default) raises a
        :class:`~quantlib_local.exceptions.ValidationError` naming the first such option
        (strike, maturity, price) and its bounds; ``"nan"`` returns NaN for it.
    initial_guess
        Optional starting volatilities (broadcast with ``price``), e.g. the previous iterate of a
        calibration; they only save iterations, the answer is the same.

    Returns
    -------
    Float64Array
        Annualised implied volatilities; 0 where the price equals the lower bound (to within
        ``8 eps max(F, K)``, the rounding of the put-call parity).

    Raises
    ------
    ValidationError
        Bad inputs, or (``on_error="raise"``) a price outside the no-arbitrage bounds.

    Examples
    --------
    >>> price = black_scholes_price(100.0, 110.0, 0.5, 0.3, rate=0.02)
    >>> round(float(implied_volatility(price, 100.0, 110.0, 0.5, rate=0.02)), 12)
    0.3
    """
    if on_error not in ("raise", "nan"):
        raise ValidationError("on_error", on_error, "pass 'raise' or 'nan'")
    try:
        prices = np.asarray(price, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError("price", price, "pass real option prices") from exc
    extra = {"price": prices}
    if initial_guess is not None:
        extra["initial_guess"] = check_positive("initial_guess", initial_guess)
    arrays, forward, rate_df, _ = _market(spot, strike, maturity, rate, dividend_yield, option_type, extra)
    shape = forward.shape
    arrays = {name: np.ravel(value) for name, value in arrays.items()}
    forward, rate_df = np.ravel(forward), np.ravel(rate_df)
    strikes, is_call = arrays["strike"], arrays["option_type"]
    undiscounted = arrays["price"] / rate_df
    # time value = price of the out-of-the-money option of the pair (put-call parity)
    intrinsic = np.maximum(np.where(is_call, forward - strikes, strikes - forward), 0.0)
    time_value = undiscounted - intrinsic
    upper = np.minimum(forward, strikes)
    slack = 8.0 * np.finfo(np.float64).eps * np.maximum(forward, strikes)
    outside = ~np.isfinite(time_value) | (time_value < -slack) | (time_value >= upper)
    if np.any(outside) and on_error == "raise":
        _raise_no_implied_volatility(outside, shape, arrays, rate_df, forward, intrinsic)
    otm_is_call = forward <= strikes
    solvable = ~outside & (time_value > slack)  # within rounding of the lower bound: volatility 0
    total_std = np.zeros_like(time_value)
    if np.any(solvable):
        start = None
        if initial_guess is not None:
            start = (arrays["initial_guess"] * np.sqrt(arrays["maturity"]))[solvable]
        total_std[solvable] = _solve_total_std(
            time_value[solvable], forward[solvable], strikes[solvable], otm_is_call[solvable], start
        )
    result = np.where(outside, np.nan, total_std / np.sqrt(arrays["maturity"]))
    return result.reshape(shape)


def _raise_no_implied_volatility(outside, shape, arrays, rate_df, forward, intrinsic) -> None:
    flat = int(np.argmax(outside))
    position = tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
    index = flat
    is_call = bool(arrays["option_type"][index])
    strike = float(arrays["strike"][index])
    maturity = float(arrays["maturity"][index])
    price = float(arrays["price"][index])
    lower = float(rate_df[index] * intrinsic[index])
    upper = float(rate_df[index] * (forward[index] if is_call else strike))
    where = f" at index {position}" if position else ""
    raise ValidationError(
        "price", price,
        "pass a price strictly inside the bounds (check the quote, the option type, the rates and the maturity), "
        "or call implied_volatility(..., on_error='nan') to get NaN for such options",
        detail=(
            f"an implied volatility does not exist for the {'call' if is_call else 'put'}{where} with "
            f"strike={strike:g}, maturity={maturity:g}: its price {price:.10g} is outside the no-arbitrage bounds "
            f"[{lower:.10g}, {upper:.10g}) ({int(np.count_nonzero(outside))} of {outside.size} prices are outside)"
        ),
    )


def _otm_value(total_std, forward, strike, is_call):
    """Undiscounted out-of-the-money Black value and its derivative in the total standard deviation."""
    sign = np.where(is_call, 1.0, -1.0)
    d1 = np.log(forward / strike) / total_std + 0.5 * total_std
    value = sign * (forward * ndtr(sign * d1) - strike * ndtr(sign * (d1 - total_std)))
    slope = forward * _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    return value, slope


def _solve_total_std(target, forward, strike, is_call, start=None) -> Float64Array:
    """Total standard deviation ``s`` with ``otm_value(s) = target`` (0 < target < min(F, K))."""
    log_moneyness = np.abs(np.log(forward / strike))
    inflection = np.sqrt(2.0 * log_moneyness)
    # bracket: lower = 0 (value 0), upper found by doubling from a generous start
    low = np.zeros_like(target)
    high = np.maximum(2.0 * inflection, 1.0)
    for _ in range(64):
        value, _ = _otm_value(high, forward, strike, is_call)
        short = value < target
        if not np.any(short):
            break
        low = np.where(short, high, low)
        high = np.where(short, 2.0 * high, high)
    guess = np.where(inflection > 0, inflection, 0.5 * (low + high)) if start is None else start
    guess = np.clip(guess, low, high)
    guess = np.where((guess <= low) | (guess >= high), 0.5 * (low + high), guess)
    below_inflection = target < np.where(inflection > 0, _otm_value(np.maximum(inflection, 1e-300), forward,
                                                                    strike, is_call)[0], 0.0)
    s = guess
    active = np.ones(target.shape, dtype=bool)
    for _ in range(_MAX_IMPLIED_ITERATIONS):
        value, slope = _otm_value(s[active], forward[active], strike[active], is_call[active])
        goal = target[active]
        too_high = value > goal
        low[active] = np.where(too_high, low[active], s[active])
        high[active] = np.where(too_high, s[active], high[active])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = np.where(below_inflection[active], value * np.log(value / goal) / slope, (value - goal) / slope)
        proposal = s[active] - step
        inside = np.isfinite(proposal) & (proposal > low[active]) & (proposal < high[active])
        matched = np.abs(value - goal) <= _PRICE_TOLERANCE * goal
        tiny_step = np.isfinite(step) & (np.abs(step) <= _STEP_TOLERANCE * s[active])
        new = np.where(matched | tiny_step, s[active] - np.where(tiny_step, step, 0.0),
                       np.where(inside, proposal, 0.5 * (low[active] + high[active])))
        done = matched | tiny_step | (high[active] - low[active] <= _STEP_TOLERANCE * high[active])
        s[active] = new
        idx = np.flatnonzero(active)
        active[idx[done]] = False
        if not np.any(active):
            break
    else:
        logger.warning("implied_volatility: %d options did not converge in %d iterations; returning the last iterate",
                       int(np.count_nonzero(active)), _MAX_IMPLIED_ITERATIONS)
    return s
