"""Heston European prices and Greeks: published reference prices, QuantLib side by side, invariants, errors.

Reference values are copied from QuantLib's test suite, ``test-suite/hestonmodel.cpp``
(lballabio/QuantLib); the test function each one comes from is named beside it. Side-by-side
values are computed here with QuantLib-Python (``AnalyticHestonEngine``, Andersen-Piterbarg
control variate, adaptive Gauss-Lobatto at 1e-13), which is independent of our quadrature.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.black_scholes import black_scholes_price
from quantlib_local.volatility.heston_fourier import heston_characteristic_function
from quantlib_local.volatility.heston_params import HestonParams
from quantlib_local.volatility.heston_pricing import (
    heston_greeks,
    heston_implied_volatility,
    heston_price,
    heston_price_gradient,
)

ql = pytest.importorskip("QuantLib")

TODAY = ql.Date(5, ql.July, 2002)


def _ql_model(params: HestonParams, spot: float, rate, dividend):
    """QuantLib HestonModel on Actual/365F curves; ``rate``/``dividend`` are floats or YieldTermStructures."""
    ql.Settings.instance().evaluationDate = TODAY
    day_count = ql.Actual365Fixed()

    def handle(curve):
        return ql.YieldTermStructureHandle(curve if not isinstance(curve, float) else ql.FlatForward(TODAY, curve,
                                                                                                     day_count))

    process = ql.HestonProcess(handle(rate), handle(dividend), ql.QuoteHandle(ql.SimpleQuote(spot)),
                               params.v0, params.kappa, params.theta, params.xi, params.rho)
    return ql.HestonModel(process)


def _ql_reference_engine(model, lobatto: bool = True):
    if lobatto:
        integration = ql.FourierIntegration.gaussLobatto(1e-13, 1e-15, 10_000_000)
    else:
        integration = ql.FourierIntegration.expSinh(1e-13)
    return ql.AnalyticHestonEngine(model, ql.AnalyticHestonEngine.AndersenPiterbarg, integration, 1e-15)


def _ql_price(engine, kind: str, strike: float, days: int) -> float:
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, float(strike))
    option = ql.VanillaOption(payoff, ql.EuropeanExercise(TODAY + int(days)))
    option.setPricingEngine(engine)
    return option.NPV()


# --- published reference prices (QuantLib test suite) ----------------------------------------------

LEWIS_PARAMS = HestonParams(v0=0.04, kappa=4.0, theta=0.25, xi=1.0, rho=-0.5)
# hestonmodel.cpp, testAlanLewisReferencePrices: "Alan Lewis reference prices posted in
# http://wilmott.com/messageview.cfm?catid=34&threadid=90957"; S=100, r=1 %, q=2 %, T=1
# (5 Jul 2002 -> 5 Jul 2003, Actual/365F). Columns: strike, put, call.
LEWIS_REFERENCE = [
    (80.0, 7.958878113256768285213263077598987193482161301733, 26.774758743998854221382195325726949201687074848341),
    (90.0, 12.017966707346304987709573290236471654992071308187, 20.933349000596710388139445766564068085476194042256),
    (100.0, 17.055270961270109413522653999411000974895436309183, 16.070154917028834278213466703938231827658768230714),
    (110.0, 23.017825898442800538908781834822560777763225722188, 12.132211516709844867860534767549426052805766831181),
    (120.0, 29.811026202682471843340682293165857439167301370697, 9.024913483457835636553375454092357136489051667150),
]


def test_alan_lewis_reference_prices():
    strikes = np.array([row[0] for row in LEWIS_REFERENCE])
    puts = heston_price(LEWIS_PARAMS, 100.0, strikes, 1.0, 0.01, 0.02, "put")
    calls = heston_price(LEWIS_PARAMS, 100.0, strikes, 1.0, 0.01, 0.02, "call")
    np.testing.assert_allclose(puts, [row[1] for row in LEWIS_REFERENCE], rtol=1e-11)
    np.testing.assert_allclose(calls, [row[2] for row in LEWIS_REFERENCE], rtol=1e-11)


def test_all_integration_methods_reference_put():
    # hestonmodel.cpp, testAllIntegrationMethods: ATM put, S=K=100, r=5 %, q=7.5 %, T=1 (Actual/365F),
    # v0=0.1, rho=-0.75, sigma=0.4, kappa=4, theta=0.05; expected 10.147041515497
    params = HestonParams(v0=0.1, kappa=4.0, theta=0.05, xi=0.4, rho=-0.75)
    assert float(heston_price(params, 100.0, 100.0, 1.0, 0.05, 0.075, "put")) == pytest.approx(10.147041515497,
                                                                                               abs=1e-11)


def test_cos_engine_reference_prices_far_out_of_the_money():
    # hestonmodel.cpp, testCosHestonEngine: S=100, r=15 %, q=7 %, T=1 (Actual/365F), v0=0.1, rho=-0.75,
    # sigma=1.8, kappa=4, theta=0.22; calls at 120 and 250, puts at 80 and 10 (tolerance there: 1e-10)
    params = HestonParams(v0=0.1, kappa=4.0, theta=0.22, xi=1.8, rho=-0.75)
    expected = [9.364410588426075, 0.01036797658132471, 5.319092971836708, 0.01032681906278383]
    ours = heston_price(params, 100.0, [120.0, 250.0, 80.0, 10.0], 1.0, 0.15, 0.07, ["call", "call", "put", "put"])
    np.testing.assert_allclose(ours, expected, rtol=1e-8, atol=1e-10)


def test_cached_analytic_value_and_semi_analytic_mc_reference():
    # hestonmodel.cpp, testAnalyticVsCached: call K=1.05, S=1, r=2.25 %, q=2 %, v0=0.1, kappa=3.16,
    # theta=0.09, sigma=0.4, rho=-0.2; 27 Dec 2004 -> 28 Mar 2005 ActualActual(ISDA) = 5/366 + 86/365;
    # expected 0.0404774515 (tolerance there 1e-8)
    maturity = 5 / 366 + 86 / 365
    params = HestonParams(v0=0.1, kappa=3.16, theta=0.09, xi=0.4, rho=-0.2)
    assert float(heston_price(params, 1.0, 1.05, maturity, 0.0225, 0.02)) == pytest.approx(0.0404774515, abs=1e-10)
    # hestonmodel.cpp, testMcVsCached: put K=S=1.05, r=70 %, q=40 %, v0=0.3, kappa=1.16, theta=0.2,
    # sigma=0.8, rho=+0.8, same dates; its "expected" 0.0632851308977151 is the semi-analytic price
    params = HestonParams(v0=0.3, kappa=1.16, theta=0.2, xi=0.8, rho=0.8)
    assert float(heston_price(params, 1.05, 1.05, maturity, 0.7, 0.4, "put")) == pytest.approx(0.0632851308977151,
                                                                                                rel=1e-10)


def test_kahl_jaeckel_high_vol_of_vol_long_maturity():
    # hestonmodel.cpp, testKahlJaeckelCase (Kahl & Jaeckel, Wilmott Sept. 2005, "Not-so-complex
    # logarithms in the Heston model"): call K=200, S=100, r=q=0, T=10, v0=theta=0.16, kappa=1,
    # sigma=2, rho=-0.8; expected 4.95212 (given to 5 decimals; tolerance there 2e-5)
    params = HestonParams(v0=0.16, kappa=1.0, theta=0.16, xi=2.0, rho=-0.8)
    assert float(heston_price(params, 100.0, 200.0, 10.0)) == pytest.approx(4.95212, abs=1e-5)


def test_vanishing_vol_of_vol_is_black_scholes():
    # hestonmodel.cpp, testAnalyticVsBlack: put K=30, S=32, r=10 %, q=4 %, T=0.5, v0=theta=0.05,
    # kappa=5, sigma=1e-4, rho=0 equals Black with variance 0.05 (tolerance there 2e-7)
    params = HestonParams(v0=0.05, kappa=5.0, theta=0.05, xi=1e-4, rho=0.0)
    expected = black_scholes_price(32.0, 30.0, 0.5, math.sqrt(0.05), 0.1, 0.04, "put")
    assert float(heston_price(params, 32.0, 30.0, 0.5, 0.1, 0.04, "put")) == pytest.approx(float(expected), abs=1e-9)


# --- side by side with QuantLib-Python -------------------------------------------------------------

@pytest.mark.parametrize("z", [0.3, 1 + 0.2j, -0.5j, 3 - 0.5j, 25 - 0.5j])
@pytest.mark.parametrize("t", [0.01, 1.0, 23.2])
def test_characteristic_function_matches_quantlib(z, t):
    params = HestonParams(v0=0.1, kappa=2.0, theta=0.15, xi=0.8, rho=-0.85)  # as in testCharacteristicFct
    engine = ql.AnalyticHestonEngine(_ql_model(params, 100.0, 0.35, 0.17), 144)
    expected = engine.chF(complex(z), t)  # QuantLib's chF is that of ln(S_T / F_T), like ours
    assert abs(complex(heston_characteristic_function(params, z, t)) - expected) < 1e-13


def test_characteristic_function_moments():
    params = HestonParams(v0=0.04, kappa=1.5, theta=0.06, xi=0.9, rho=-0.6)
    t = np.array([0.01, 0.5, 3.0, 30.0])
    np.testing.assert_allclose(heston_characteristic_function(params, 0.0, t), 1.0, atol=1e-15)
    np.testing.assert_allclose(heston_characteristic_function(params, -1j, t), 1.0, atol=1e-13)  # E[S_T/F_T] = 1


PARAMETER_SETS = {  # name: (params, QuantLib engine: Gauss-Lobatto or exp-sinh)
    "lewis": (LEWIS_PARAMS, True),
    "rho_near_minus_one": (HestonParams(v0=0.04, kappa=1.5, theta=0.04, xi=0.8, rho=-0.99), True),
    "rho_near_plus_one": (HestonParams(v0=0.04, kappa=1.5, theta=0.04, xi=0.8, rho=0.99), True),
    "vol_of_vol_5": (HestonParams(v0=0.07, kappa=1.0, theta=0.04, xi=5.0, rho=-0.75), True),
    "feller_violated": (HestonParams(v0=0.02, kappa=0.5, theta=0.03, xi=3.0, rho=-0.3), True),
    "tiny_vol_of_vol": (HestonParams(v0=0.05, kappa=5.0, theta=0.05, xi=1e-3, rho=0.0), False),
}
DAYS = [1, 7, 30, 182, 730, 3650]
STRIKES = [40.0, 60.0, 80.0, 95.0, 100.0, 105.0, 120.0, 150.0, 250.0]


@pytest.mark.parametrize("name", list(PARAMETER_SETS))
def test_side_by_side_with_quantlib_over_a_grid(name):
    params, lobatto = PARAMETER_SETS[name]
    spot, rate, dividend = 100.0, 0.03, 0.01
    engine = _ql_reference_engine(_ql_model(params, spot, rate, dividend), lobatto)
    strikes = np.array(STRIKES)[:, None]
    maturities = np.array(DAYS)[None, :] / 365.0
    forward = spot * np.exp((rate - dividend) * maturities)
    kinds = np.where(strikes < forward, "put", "call")  # out of the money: the prices that carry information
    ours = heston_price(params, spot, strikes, maturities, rate, dividend, kinds)
    reference = np.array([[_ql_price(engine, kinds[i, j], STRIKES[i], DAYS[j]) for j in range(len(DAYS))]
                          for i in range(len(STRIKES))])
    # 1e-8 relative (the target), plus 1e-12 of the spot for prices at the rounding level
    np.testing.assert_allclose(ours, reference, rtol=1e-8, atol=1e-12 * spot)


def test_rate_and_dividend_curves_match_quantlib_zero_curves():
    params = HestonParams(v0=0.05, kappa=1.8, theta=0.06, xi=0.6, rho=-0.65)
    days = np.array([30, 182, 365, 730, 1825])
    zero_r, zero_q = np.array([0.01, 0.015, 0.02, 0.03, 0.035]), np.array([0.0, 0.005, 0.01, 0.012, 0.02])
    dates = [TODAY] + [TODAY + int(d) for d in days]
    day_count = ql.Actual365Fixed()
    r_curve = ql.ZeroCurve(dates, [0.01] + list(zero_r), day_count)  # zero rates at the option dates
    q_curve = ql.ZeroCurve(dates, [0.0] + list(zero_q), day_count)
    engine = _ql_reference_engine(_ql_model(params, 100.0, r_curve, q_curve))
    maturities = days / 365.0
    lookup_r = dict(zip(maturities, zero_r))
    lookup_q = dict(zip(maturities, zero_q))

    def rate_curve(t):
        return np.exp(-np.vectorize(lookup_r.get)(t) * t)

    def dividend_curve(t):
        return np.exp(-np.vectorize(lookup_q.get)(t) * t)

    ours = heston_price(params, 100.0, 105.0, maturities, rate_curve, dividend_curve)
    reference = [_ql_price(engine, "call", 105.0, d) for d in days]
    np.testing.assert_allclose(ours, reference, rtol=1e-9)
    # a curve is the same as a flat rate maturity by maturity
    flat = [float(heston_price(params, 100.0, 105.0, t, r, q)) for t, r, q in zip(maturities, zero_r, zero_q)]
    np.testing.assert_allclose(ours, flat, rtol=1e-13)


# --- invariants ------------------------------------------------------------------------------------

def test_put_call_parity_and_shapes():
    params = HestonParams(v0=0.09, kappa=1.2, theta=0.08, xi=1.8, rho=-0.45)
    strikes = np.linspace(40, 200, 17)[:, None]
    maturities = np.array([0.02, 0.5, 2.0, 8.0])[None, :]
    call = heston_price(params, 100.0, strikes, maturities, 0.04, 0.01, "call")
    put = heston_price(params, 100.0, strikes, maturities, 0.04, 0.01, "put")
    assert call.shape == (17, 4)
    parity = 100.0 * np.exp(-0.01 * maturities) - strikes * np.exp(-0.04 * maturities)
    np.testing.assert_allclose(call - put, parity, rtol=0, atol=1e-11)
    assert np.all(call >= np.maximum(parity, 0) - 1e-12)
    assert np.ndim(heston_price(params, 100.0, 100.0, 1.0)) == 0


def test_model_smile_is_flat_without_vol_of_vol_and_skewed_with_negative_rho():
    flat = HestonParams(v0=0.04, kappa=3.0, theta=0.04, xi=1e-4, rho=0.0)
    strikes = np.linspace(70, 140, 8)[:, None]
    maturities = np.array([0.1, 1.0, 3.0])[None, :]
    np.testing.assert_allclose(heston_implied_volatility(flat, 100.0, strikes, maturities, 0.02, 0.01), 0.2, atol=1e-7)
    skewed = heston_implied_volatility(GREEK_PARAMS, 100.0, strikes, maturities, 0.02, 0.01)
    assert skewed.shape == (8, 3) and np.all(np.diff(skewed[:5], axis=0) < 0)  # falls with strike up to ATM
    forward = 100.0 * np.exp(0.01 * maturities)
    kinds = np.where(strikes < forward, "put", "call")
    prices = black_scholes_price(100.0, strikes, maturities, skewed, 0.02, 0.01, kinds)
    np.testing.assert_allclose(prices, heston_price(GREEK_PARAMS, 100.0, strikes, maturities, 0.02, 0.01, kinds),
                               rtol=1e-10)


# --- Greeks ----------------------------------------------------------------------------------------

GREEK_PARAMS = HestonParams(v0=0.05, kappa=1.8, theta=0.06, xi=0.6, rho=-0.65)


@pytest.mark.parametrize("kind", ["call", "put"])
def test_greeks_match_finite_differences_of_our_price(kind):
    strikes = np.array([70.0, 90.0, 100.0, 115.0, 140.0])[:, None]
    maturities = np.array([0.05, 0.5, 3.0])[None, :]
    greeks = heston_greeks(GREEK_PARAMS, 100.0, strikes, maturities, 0.02, 0.01, kind)
    np.testing.assert_allclose(greeks.price, heston_price(GREEK_PARAMS, 100.0, strikes, maturities, 0.02, 0.01, kind),
                               rtol=1e-12, atol=1e-12)
    h = 1e-3
    up = heston_price(GREEK_PARAMS, 100.0 + h, strikes, maturities, 0.02, 0.01, kind)
    down = heston_price(GREEK_PARAMS, 100.0 - h, strikes, maturities, 0.02, 0.01, kind)
    np.testing.assert_allclose(greeks.delta, (up - down) / (2 * h), atol=1e-7)
    dv = 1e-6
    up = heston_price(dataclasses.replace(GREEK_PARAMS, v0=0.05 + dv), 100.0, strikes, maturities, 0.02, 0.01, kind)
    down = heston_price(dataclasses.replace(GREEK_PARAMS, v0=0.05 - dv), 100.0, strikes, maturities, 0.02, 0.01, kind)
    np.testing.assert_allclose(greeks.variance_vega, (up - down) / (2 * dv), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(greeks.vega, 2 * math.sqrt(0.05) * greeks.variance_vega, rtol=1e-15)


@pytest.mark.parametrize("params", [GREEK_PARAMS, HestonParams(v0=0.09, kappa=1.2, theta=0.08, xi=1.8, rho=0.9)])
def test_parameter_gradient_matches_finite_differences(params):
    strikes = np.array([70.0, 100.0, 140.0])[:, None]
    maturities = np.array([0.05, 1.0, 5.0])[None, :]
    kinds = np.where(strikes < 100.0, "put", "call")
    result = heston_price_gradient(params, 100.0, strikes, maturities, 0.02, 0.01, kinds)
    assert result.gradient.shape == (3, 3, 5)
    np.testing.assert_allclose(result.price, heston_price(params, 100.0, strikes, maturities, 0.02, 0.01, kinds),
                               rtol=1e-12, atol=1e-12)
    for i, name in enumerate(HestonParams.names):
        h = 1e-5 * max(abs(getattr(params, name)), 0.1)
        up, down = (heston_price(dataclasses.replace(params, **{name: getattr(params, name) + sign * h}), 100.0,
                                 strikes, maturities, 0.02, 0.01, kinds) for sign in (1, -1))
        np.testing.assert_allclose(result.gradient[..., i], (up - down) / (2 * h), rtol=1e-5, atol=1e-7,
                                   err_msg=name)


def test_greeks_match_quantlib():
    model = _ql_model(GREEK_PARAMS, 100.0, 0.02, 0.01)
    days, strikes = 182, [80.0, 100.0, 120.0]
    ours = heston_greeks(GREEK_PARAMS, 100.0, strikes, days / 365, 0.02, 0.01, "call")
    # delta: QuantLib's finite-difference engine reports delta; its grid error here is ~2e-4 on a
    # 50 x 200 x 50 grid (6e-5 on 200 x 400 x 100, ten times slower), so the tolerance is 1e-3
    fd_engine = ql.FdHestonVanillaEngine(model, 50, 200, 50)
    for strike, delta in zip(strikes, ours.delta):
        option = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call, strike), ql.EuropeanExercise(TODAY + days))
        option.setPricingEngine(fd_engine)
        assert delta == pytest.approx(option.delta(), abs=1e-3)
    # variance vega: central difference of QuantLib's own semi-analytic prices in v0
    dv = 1e-5
    bumped = [_ql_reference_engine(_ql_model(dataclasses.replace(GREEK_PARAMS, v0=0.05 + s * dv), 100.0, 0.02, 0.01))
              for s in (1, -1)]
    for strike, vega in zip(strikes, ours.variance_vega):
        reference = (_ql_price(bumped[0], "call", strike, days) - _ql_price(bumped[1], "call", strike, days)) / (2 * dv)
        assert vega == pytest.approx(reference, rel=1e-6)


# --- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strike": -100.0}, "strike"),
        ({"strike": [100.0, 0.0]}, "strike"),
        ({"maturity": 0.0}, "maturity"),
        ({"maturity": -0.5}, "maturity"),
        ({"spot": 0.0}, "spot"),
        ({"strike": [90.0, 100.0, 110.0], "maturity": [0.5, 1.0]}, "spot, strike, maturity, option_type"),
        ({"option_type": ["call", "digital"]}, "option_type"),
        ({"params": (0.04, 1.0, 0.04, 0.5, -0.5)}, "params"),
        ({"rtol": 0.0}, "rtol"),
        ({"rate": lambda t: np.full_like(t, np.nan)}, "rate"),
    ],
)
def test_bad_inputs_raise_naming_the_field(kwargs, field):
    args = {"params": LEWIS_PARAMS, "spot": 100.0, "strike": 100.0, "maturity": 1.0}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        heston_price(**args)
    assert info.value.field == field
    assert "Fix:" in str(info.value)
