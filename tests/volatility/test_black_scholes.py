"""Black-Scholes prices, Greeks and implied volatility: against QuantLib, parity, round trips, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.black_scholes import (
    black_scholes_delta,
    black_scholes_price,
    black_scholes_vega,
    discount_factors,
    implied_volatility,
)

ql = pytest.importorskip("QuantLib")


def _quantlib_european(spot, strike, days, vol, rate, dividend, option_type):
    """QuantLib AnalyticEuropeanEngine on flat Actual/365F curves: (npv, delta, vega)."""
    today = ql.Date(15, ql.January, 2024)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, dividend, day_count)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate, day_count)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, day_count)),
    )
    kind = ql.Option.Call if option_type == "call" else ql.Option.Put
    option = ql.VanillaOption(ql.PlainVanillaPayoff(kind, strike), ql.EuropeanExercise(today + days))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return option.NPV(), option.delta(), option.vega()


CASES = [  # spot, strike, days (maturity = days / 365), vol, rate, dividend yield, type
    (100.0, 100.0, 365, 0.20, 0.05, 0.00, "call"),
    (100.0, 80.0, 30, 0.35, 0.01, 0.03, "put"),
    (50.0, 75.0, 730, 0.60, 0.02, 0.00, "call"),
    (1.05, 1.0, 7, 0.10, -0.005, 0.02, "put"),
    (100.0, 130.0, 3650, 0.15, 0.04, 0.02, "call"),
]


@pytest.mark.parametrize("case", CASES)
def test_price_delta_and_vega_match_quantlib(case):
    spot, strike, days, vol, rate, dividend, kind = case
    npv, delta, vega = _quantlib_european(*case)  # reference: QuantLib-Python AnalyticEuropeanEngine
    args = (spot, strike, days / 365.0, vol, rate, dividend, kind)
    assert black_scholes_price(*args) == pytest.approx(npv, rel=1e-12, abs=1e-13)
    assert black_scholes_delta(*args) == pytest.approx(delta, rel=1e-11, abs=1e-13)
    assert black_scholes_vega(*args) == pytest.approx(vega, rel=1e-11, abs=1e-13)


def test_textbook_value():
    # Hull, "Options, Futures, and Other Derivatives": S=K=100, T=1, r=5 %, sigma=20 %: call 10.4506
    assert float(black_scholes_price(100.0, 100.0, 1.0, 0.2, rate=0.05)) == pytest.approx(10.450583572185565, 1e-14)


def test_put_call_parity_and_broadcasting():
    strikes = np.linspace(50, 150, 11)[:, None]
    maturities = np.array([0.1, 1.0, 5.0])[None, :]
    call = black_scholes_price(100.0, strikes, maturities, 0.3, 0.03, 0.01, "call")
    put = black_scholes_price(100.0, strikes, maturities, 0.3, 0.03, 0.01, "put")
    assert call.shape == (11, 3)
    parity = 100.0 * np.exp(-0.01 * maturities) - strikes * np.exp(-0.03 * maturities)
    np.testing.assert_allclose(call - put, parity, rtol=0, atol=1e-12)


def test_greeks_match_finite_differences():
    spot, strike, maturity, vol = 100.0, np.array([70.0, 100.0, 140.0]), 0.7, 0.25
    h = 1e-4
    up = black_scholes_price(spot + h, strike, maturity, vol, 0.02, 0.01, "put")
    down = black_scholes_price(spot - h, strike, maturity, vol, 0.02, 0.01, "put")
    np.testing.assert_allclose(black_scholes_delta(spot, strike, maturity, vol, 0.02, 0.01, "put"),
                               (up - down) / (2 * h), atol=1e-8)
    up = black_scholes_price(spot, strike, maturity, vol + h, 0.02, 0.01)
    down = black_scholes_price(spot, strike, maturity, vol - h, 0.02, 0.01)
    np.testing.assert_allclose(black_scholes_vega(spot, strike, maturity, vol, 0.02, 0.01),
                               (up - down) / (2 * h), rtol=1e-7)


def test_zero_volatility_gives_discounted_intrinsic_forward():
    value = black_scholes_price(100.0, [90.0, 110.0], 1.0, 0.0, 0.05, 0.0, "call")
    forward = 100.0 * math.exp(0.05)
    np.testing.assert_allclose(value, [math.exp(-0.05) * (forward - 90.0), 0.0], atol=1e-12)


def test_rate_curves_equal_flat_rates_per_maturity():
    maturities = np.array([0.25, 1.0, 4.0])

    def curve(t):  # zero rate 1 % + 0.5 % t  -> discount factor exp(-(0.01 + 0.005 t) t)
        return np.exp(-(0.01 + 0.005 * t) * t)

    def dividends(t):
        return np.exp(-0.02 * t)

    with_curve = black_scholes_price(100.0, 105.0, maturities, 0.2, curve, dividends)
    flat = [black_scholes_price(100.0, 105.0, t, 0.2, 0.01 + 0.005 * t, 0.02) for t in maturities]
    np.testing.assert_allclose(with_curve, flat, rtol=1e-14)
    np.testing.assert_allclose(discount_factors(0.03, maturities), np.exp(-0.03 * maturities))


# --- implied volatility ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("vol", [0.01, 0.2, 0.8, 2.0])
def test_implied_volatility_round_trip(kind, vol):
    strikes = np.linspace(40, 250, 60)[:, None]
    maturities = np.array([1 / 365, 0.05, 0.5, 2.0, 10.0])[None, :]
    price = black_scholes_price(100.0, strikes, maturities, vol, 0.03, 0.01, kind)
    forward = 100.0 * np.exp(0.02 * maturities)
    otm = (strikes >= forward) if kind == "call" else (strikes <= forward)
    # invert where the time value carries information: out of the money and not underflowed
    usable = otm & (price > 1e-10)
    recovered = implied_volatility(price, 100.0, strikes, maturities, 0.03, 0.01, kind, on_error="nan")
    assert usable.sum() >= 10
    np.testing.assert_allclose(recovered[usable], vol, rtol=1e-10)


def test_implied_volatility_matches_quantlib_inversion():
    today = ql.Date(15, ql.January, 2024)
    ql.Settings.instance().evaluationDate = today
    strike, days, price = 110.0, 180, 4.2
    forward = 100.0 * math.exp((0.03 - 0.01) * days / 365)
    discount = math.exp(-0.03 * days / 365)
    # reference: QuantLib blackFormulaImpliedStdDev (undiscounted forward Black)
    std = ql.blackFormulaImpliedStdDev(ql.Option.Call, strike, forward, price, discount, 0.0, 0.2, 1e-14, 1000)
    ours = implied_volatility(price, 100.0, strike, days / 365, 0.03, 0.01, "call")
    assert float(ours) == pytest.approx(std / math.sqrt(days / 365), rel=1e-10)


def test_price_at_lower_bound_has_zero_implied_volatility():
    intrinsic = math.exp(-0.05) * (100.0 * math.exp(0.05) - 90.0)
    assert float(implied_volatility(intrinsic, 100.0, 90.0, 1.0, 0.05)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("price", "kind", "strike"),
    [(9.0, "call", 90.0), (100.5, "call", 90.0), (-1.0, "put", 110.0), (111.0, "put", 110.0)],
    ids=["call_below_intrinsic", "call_above_spot", "negative_put", "put_above_strike"],
)
def test_implied_volatility_that_does_not_exist_is_a_clear_error(price, kind, strike):
    with pytest.raises(ValidationError) as info:
        implied_volatility(price, 100.0, strike, 1.0, option_type=kind)
    message = str(info.value)
    assert info.value.field == "price"
    assert "does not exist" in message and f"strike={strike:g}" in message and "maturity=1" in message
    assert "no-arbitrage bounds" in message and "on_error='nan'" in message
    assert np.isnan(implied_volatility(price, 100.0, strike, 1.0, option_type=kind, on_error="nan"))


def test_nan_mode_only_masks_the_bad_prices():
    prices = black_scholes_price(100.0, [90.0, 100.0, 110.0], 1.0, 0.25)
    prices[1] = 150.0  # above the upper bound S
    vols = implied_volatility(prices, 100.0, [90.0, 100.0, 110.0], 1.0, on_error="nan")
    assert np.isnan(vols[1])
    np.testing.assert_allclose(vols[[0, 2]], 0.25, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strike": -5.0}, "strike"),
        ({"strike": 0.0}, "strike"),
        ({"maturity": 0.0}, "maturity"),
        ({"maturity": [1.0, -1.0]}, "maturity"),
        ({"spot": float("nan")}, "spot"),
        ({"volatility": -0.1}, "volatility"),
        ({"option_type": "straddle"}, "option_type"),
        ({"rate": "3%"}, "rate"),
        ({"dividend_yield": lambda t: -np.ones_like(t)}, "dividend_yield"),
        ({"strike": [90.0, 100.0, 110.0], "maturity": [1.0, 2.0]}, "spot, strike, maturity, option_type, volatility"),
    ],
)
def test_bad_inputs_name_the_field(kwargs, field):
    args = {"spot": 100.0, "strike": 100.0, "maturity": 1.0, "volatility": 0.2}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        black_scholes_price(**args)
    assert info.value.field == field
    assert "Fix:" in str(info.value)


def test_implied_volatility_rejects_unknown_error_mode():
    with pytest.raises(ValidationError, match="on_error"):
        implied_volatility(5.0, 100.0, 100.0, 1.0, on_error="ignore")
