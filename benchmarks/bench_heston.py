"""Heston pricing and calibration: quantlib_local.volatility against QuantLib-Python.

(a) European call prices on 100 strikes x 8 maturities. Ours prices the whole grid in one
vectorised call; QuantLib prices option by option in a Python loop, as a user would, with
``AnalyticHestonEngine`` (default 144-point Gauss-Laguerre) and ``COSHestonEngine`` (defaults).
Accuracy is measured against QuantLib's ``AnalyticHestonEngine`` with the Andersen-Piterbarg
control variate and adaptive Gauss-Lobatto at 1e-13 (slow, not timed).

(b) Calibration to a SYNTHETIC surface of 5 maturities x 20 strikes (implied vols from known
parameters plus 0.2 vol-point noise), both from the same starting point: ours
(``calibrate_heston``, least squares on implied-vol errors) against QuantLib's
``HestonModelHelper`` (implied-vol error) + ``LevenbergMarquardt`` with ``AnalyticHestonEngine``.
"""

from __future__ import annotations

import numpy as np

from benchmarks._timing import markdown_table, median_seconds, ratio

SPOT, RATE, DIVIDEND = 100.0, 0.02, 0.01
PRICING_PARAMS = (0.04, 2.0, 0.06, 0.7, -0.7)  # v0, kappa, theta, xi (QuantLib sigma), rho
CALIBRATION_TRUE = (0.05, 1.8, 0.06, 0.6, -0.65)
PRICING_DAYS = [14, 30, 61, 91, 182, 365, 730, 1825]
CALIBRATION_DAYS = [36, 91, 182, 365, 730]


def run(quick: bool = False) -> str:
    import QuantLib as ql

    from quantlib_local.volatility.heston_params import HestonParams
    from quantlib_local.volatility.heston_pricing import heston_price

    repeat = 3 if quick else 5
    today = ql.Date(15, ql.January, 2024)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    r_ts = ql.YieldTermStructureHandle(ql.FlatForward(today, RATE, day_count))
    q_ts = ql.YieldTermStructureHandle(ql.FlatForward(today, DIVIDEND, day_count))

    # (a) pricing grid
    n_strikes = 40 if quick else 100
    strikes = np.linspace(60.0, 150.0, n_strikes)
    days = PRICING_DAYS
    params = HestonParams(*PRICING_PARAMS)
    model = ql.HestonModel(ql.HestonProcess(r_ts, q_ts, ql.QuoteHandle(ql.SimpleQuote(SPOT)), *PRICING_PARAMS))
    engines = {
        "QuantLib AnalyticHestonEngine (Laguerre 144)": ql.AnalyticHestonEngine(model, 144),
        "QuantLib COSHestonEngine (L=16, N=200)": ql.COSHestonEngine(model),
    }
    reference_engine = ql.AnalyticHestonEngine(
        model, ql.AnalyticHestonEngine.AndersenPiterbarg, ql.FourierIntegration.gaussLobatto(1e-13, 1e-15, 10_000_000),
        1e-15)

    def quantlib_grid(engine) -> np.ndarray:
        out = np.empty((n_strikes, len(days)))
        for j, d in enumerate(days):
            exercise = ql.EuropeanExercise(today + d)
            for i, k in enumerate(strikes):
                option = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call, float(k)), exercise)
                option.setPricingEngine(engine)
                out[i, j] = option.NPV()
        return out

    maturities = np.array(days) / 365.0

    def ours_grid() -> np.ndarray:
        return heston_price(params, SPOT, strikes[:, None], maturities[None, :], RATE, DIVIDEND)

    n_options = n_strikes * len(days)
    reference = quantlib_grid(reference_engine)
    ours_prices = ours_grid()
    ours_s = median_seconds(ours_grid, repeat=repeat)
    rows = [["quantlib_local heston_price (vectorised)", f"{ours_s / n_options * 1e6:.1f}", "1.00x",
             *_differences(ours_prices, reference)]]
    for name, engine in engines.items():
        seconds = median_seconds(lambda engine=engine: quantlib_grid(engine), repeat=repeat)
        rows.append([name, f"{seconds / n_options * 1e6:.1f}", ratio(seconds, ours_s),
                     *_differences(quantlib_grid(engine), reference)])
    pricing_table = markdown_table(
        ["pricer", "us per option", "ours faster by", "max rel. diff vs reference (price > 1e-6 S)",
         "max abs. diff vs reference"], rows)

    # (b) calibration
    calibration_rows = _calibration(ql, today, day_count, r_ts, q_ts, quick)
    calibration_table = markdown_table(
        ["calibrator", "wall time (s)", "ours faster by", "fitted RMSE (vol points)", "fitted v0, kappa, theta, xi, rho"],
        calibration_rows)

    return (
        "## Heston\n\n"
        f"Method: median wall time of {repeat} runs after one warm-up on one machine; (a) European calls on "
        f"{n_strikes} strikes (60-150, spot 100) x {len(days)} maturities ({days[0]} days to 5 years), "
        "v0=0.04, kappa=2, theta=0.06, xi=0.7, rho=-0.7, r=2 %, q=1 %; ours prices the grid in one vectorised call, "
        "QuantLib-Python option by option in a loop as a user would; accuracy against QuantLib's "
        "AnalyticHestonEngine with the Andersen-Piterbarg control variate and adaptive Gauss-Lobatto at 1e-13. "
        f"(b) calibration to a SYNTHETIC {len(CALIBRATION_DAYS)} x {10 if quick else 20} implied-vol surface (known parameters "
        f"{CALIBRATION_TRUE} + 0.2 vol-point noise), both starting from the same point (QuantLib's time includes building its helpers).\n\n"
        "(a) Prices\n\n" + pricing_table + "\n\n(b) Calibration\n\n" + calibration_table
    )


def _differences(prices: np.ndarray, reference: np.ndarray) -> list[str]:
    meaningful = reference > 1e-6 * SPOT
    relative = np.max(np.abs(prices[meaningful] / reference[meaningful] - 1.0))
    return [f"{relative:.1e}", f"{np.max(np.abs(prices - reference)):.1e}"]


def _calibration(ql, today, day_count, r_ts, q_ts, quick: bool) -> list[list[str]]:
    from quantlib_local.volatility.heston_calibration import calibrate_heston
    from quantlib_local.volatility.heston_params import HestonParams
    from quantlib_local.volatility.heston_pricing import heston_implied_volatility

    n_strikes = 10 if quick else 20
    strikes = SPOT * np.exp(np.linspace(-0.35, 0.25, n_strikes))
    strike, day = (a.ravel() for a in np.meshgrid(strikes, CALIBRATION_DAYS, indexing="ij"))
    maturity = day / 365.0
    vols = heston_implied_volatility(HestonParams(*CALIBRATION_TRUE), SPOT, strike, maturity, RATE, DIVIDEND)
    vols = vols + np.random.default_rng(2024).normal(0.0, 0.002, vols.shape)
    start = HestonParams(v0=0.04, kappa=2.0, theta=0.04, xi=0.5, rho=-0.5)

    def ours():
        return calibrate_heston(SPOT, strike, maturity, vols, RATE, DIVIDEND, initial=start)

    def quantlib():
        process = ql.HestonProcess(r_ts, q_ts, ql.QuoteHandle(ql.SimpleQuote(SPOT)), start.v0, start.kappa,
                                   start.theta, start.xi, start.rho)
        model = ql.HestonModel(process)
        engine = ql.AnalyticHestonEngine(model, 144)
        helpers = []
        for k, d, v in zip(strike, day, vols):
            helper = ql.HestonModelHelper(ql.Period(int(d), ql.Days), ql.NullCalendar(), SPOT, float(k),
                                          ql.QuoteHandle(ql.SimpleQuote(float(v))), r_ts, q_ts,
                                          ql.BlackCalibrationHelper.ImpliedVolError)
            helper.setPricingEngine(engine)
            helpers.append(helper)
        model.calibrate(helpers, ql.LevenbergMarquardt(1e-8, 1e-8, 1e-8), ql.EndCriteria(400, 40, 1e-8, 1e-8, 1e-8))
        return model, helpers

    repeat = 3 if quick else 5
    ours_s = median_seconds(ours, repeat=repeat)
    quantlib_s = median_seconds(quantlib, repeat=repeat)
    fit = ours()
    model, helpers = quantlib()
    quantlib_errors = np.array([helper.calibrationError() for helper in helpers])
    quantlib_rmse = 100.0 * float(np.sqrt(np.mean(quantlib_errors**2)))
    quantlib_params = [model.v0(), model.kappa(), model.theta(), model.sigma(), model.rho()]

    def shown(values) -> str:
        return ", ".join(f"{x:.4f}" for x in values)

    return [
        [f"quantlib_local calibrate_heston ({strike.size} options)", f"{ours_s:.2f}", "1.00x", f"{fit.rmse:.4f}",
         shown(fit.params.to_array())],
        ["QuantLib HestonModelHelper + LevenbergMarquardt", f"{quantlib_s:.2f}", ratio(quantlib_s, ours_s),
         f"{quantlib_rmse:.4f}", shown(quantlib_params)],
    ]
