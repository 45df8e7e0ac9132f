"""Tests of quantlib_local.data.synthetic: the SYNTHETIC market-data generators.

Statistical tests use fixed seeds and compare a sample statistic with its model value
within 4 standard errors (SE). The SE of each statistic is written next to it together
with its source; under the normal approximation a correct generator fails such a check
with probability about 6e-5, so a failure means a wrong generator, not bad luck. With a
fixed seed each test is deterministic anyway; the bound is what makes the seed choice
irrelevant.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from quantlib_local.core.bars import (
    FIELD_LEVEL,
    INDEX_NAME,
    OHLCV_COLUMNS,
    SYMBOL_LEVEL,
)
from quantlib_local.data.contract import validate_ohlcv
from quantlib_local.data.synthetic import (
    CALENDAR_DAYS_PER_YEAR,
    DEFAULT_VENUES,
    QUOTE_COLUMNS,
    TRADING_DAYS_PER_YEAR,
    GarchBars,
    HestonBars,
    HestonPaths,
    RegimeSwitchingBars,
    VenueSpec,
    correlated_bars,
    garch_bars,
    gbm_bars,
    heston_bars,
    heston_paths,
    multi_venue_quotes,
    regime_switching_bars,
)
from quantlib_local.data.synthetic.heston import _euler_many_paths, _euler_one_path
from quantlib_local.exceptions import ValidationError

Z = 4.0  # standard errors allowed in every statistical check (see module docstring)

HESTON = dict(v0=0.09, mu=0.05, kappa=2.0, theta=0.04, xi=0.3, rho=-0.7)  # Feller: 2*2*0.04 = 0.16 > 0.09
TWO_REGIMES = dict(transition=[[0.98, 0.02], [0.05, 0.95]], mu=[0.10, -0.20], sigma=[0.15, 0.60])


def bars_of(result: object) -> pd.DataFrame:
    """The bar frame of a generator result (a frame, or a typed result with ``.bars``)."""
    return result if isinstance(result, pd.DataFrame) else result.bars  # type: ignore[attr-defined]


def assert_bar_contract(frame: pd.DataFrame, generator: str) -> None:
    """The frame passes the contract validator, has no gaps and is labelled synthetic."""
    params = frame.attrs["params"]
    report = validate_ohlcv(frame, bar_frequency=params["freq"], calendar=params["calendar"])
    assert report.n_rows == len(frame)
    assert len(report.gaps) == 0
    # the validator also accepts frames it can repair; the generators must not need repair
    assert frame.index.name == INDEX_NAME
    assert str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.dtypes == "float64").all()
    assert not frame.isna().any().any()
    if isinstance(frame.columns, pd.MultiIndex):
        assert list(frame.columns.names) == [FIELD_LEVEL, SYMBOL_LEVEL]
        assert list(frame.columns.get_level_values(FIELD_LEVEL).unique()) == list(OHLCV_COLUMNS)
    else:
        assert list(frame.columns) == list(OHLCV_COLUMNS)
    assert frame.attrs["synthetic"] is True
    assert frame.attrs["source"] == f"synthetic:{generator}"


def bar_log_returns(frame: pd.DataFrame) -> np.ndarray:
    """Close-to-close log returns of every bar, the first against the first open (= s0)."""
    return np.log(frame["close"].to_numpy() / frame["open"].to_numpy())


# --- every bar generator ----------------------------------------------------------------

BAR_GENERATORS: dict[str, tuple[str, Callable[..., object]]] = {
    "gbm_daily": ("gbm_bars", lambda seed: gbm_bars(300, mu=0.05, sigma=0.3, seed=seed)),
    "gbm_business_hourly": (
        "gbm_bars",
        lambda seed: gbm_bars(300, mu=0.05, sigma=0.3, seed=seed, freq="1h", calendar="business",
                              start="2021-01-01 20:00"),
    ),
    "garch_normal": ("garch_bars", lambda seed: garch_bars(300, omega=2e-6, alpha=0.08, beta=0.9, seed=seed)),
    "garch_t": (
        "garch_bars",
        lambda seed: garch_bars(300, omega=2e-6, alpha=0.08, beta=0.9, seed=seed, distribution="t", dof=5.0),
    ),
    "heston": ("heston_bars", lambda seed: heston_bars(300, seed=seed, substeps=8, **HESTON)),
    "correlated": (
        "correlated_bars",
        lambda seed: correlated_bars(["BTC", "ETH", "SOL"], 0.5, 300, mu=0.1, sigma=[0.5, 0.7, 0.9], seed=seed),
    ),
    "regime_switching": ("regime_switching_bars", lambda seed: regime_switching_bars(300, seed=seed, **TWO_REGIMES)),
}


@pytest.mark.parametrize("case", sorted(BAR_GENERATORS))
def test_every_bar_generator_satisfies_the_contract(case: str) -> None:
    generator, make = BAR_GENERATORS[case]
    frame = bars_of(make(1))
    assert len(frame) == 300
    assert_bar_contract(frame, generator)
    # the open of each bar is the previous close and the first open is s0 (= 100 here)
    opens, closes = frame["open"].to_numpy(), frame["close"].to_numpy()
    np.testing.assert_array_equal(opens[1:], closes[:-1])
    np.testing.assert_allclose(opens[0], 100.0)


@pytest.mark.parametrize("case", sorted(BAR_GENERATORS))
def test_same_seed_same_bars_and_different_seed_different_bars(case: str) -> None:
    _, make = BAR_GENERATORS[case]
    first, again, other = bars_of(make(7)), bars_of(make(7)), bars_of(make(8))
    pd.testing.assert_frame_equal(first, again)
    assert first.attrs == again.attrs
    assert first.attrs["params"]["seed"] == 7
    assert not np.allclose(first["close"].to_numpy(), other["close"].to_numpy())
    # a Generator seeded with 7 is the same source of randomness as the integer 7
    pd.testing.assert_frame_equal(bars_of(make(np.random.default_rng(7))), first)


INTRA_BAR_CASES: dict[str, Callable[[int, int], pd.DataFrame]] = {
    "gbm": lambda n, k: gbm_bars(n, mu=0.0, sigma=0.5, seed=3, substeps=k),
    # a bridge pinned at a normal bar return is again a Gaussian random walk (the mean and
    # the deviations of i.i.d. normals are independent), so the same law applies
    "garch_bridge": lambda n, k: garch_bars(n, omega=2e-6, alpha=0.08, beta=0.9, seed=3, substeps=k).bars,
}


@pytest.mark.parametrize("case", sorted(INTRA_BAR_CASES))
def test_high_and_low_come_from_a_random_walk_inside_the_bar(case: str) -> None:
    k, n = 32, 4000
    frame = INTRA_BAR_CASES[case](n, k)
    above = (frame["high"] > frame[["open", "close"]].max(axis=1)).mean()
    below = (frame["low"] < frame[["open", "close"]].min(axis=1)).mean()
    # The high exceeds max(open, close) unless the k-step path peaks at its first or last
    # point. For symmetric continuous steps P(all partial sums < 0) = C(2k, k) / 4^k
    # (Sparre Andersen 1954); by time reversal the same holds for a peak at the end, and
    # the two events are disjoint, so the share is 1 - 2 C(2k, k) / 4^k = 0.801 for k = 32
    # (the drift over one sub-step is negligible). high = max(open, close) would give 0;
    # an unconditioned walk with its last point moved to the close gives ~0.74 (-11 SE).
    # Binomial SE sqrt(q (1 - q) / n) = 0.0063.
    q = 1 - 2 * math.comb(2 * k, k) / 4**k
    se = math.sqrt(q * (1 - q) / n)
    assert abs(above - q) < Z * se
    assert abs(below - q) < Z * se


def test_volume_is_lognormal_with_the_requested_mean() -> None:
    frame = gbm_bars(20_000, mu=0.0, sigma=0.2, seed=4, substeps=2, volume_mean=500.0, volume_log_sigma=0.5)
    volume = frame["volume"].to_numpy()
    # lognormal with log-sd s: sd / mean = sqrt(exp(s^2) - 1); SE of the mean = sd / sqrt(n)
    se = 500.0 * math.sqrt(math.expm1(0.25)) / math.sqrt(len(volume))
    assert abs(volume.mean() - 500.0) < Z * se
    assert (volume > 0).all()


# --- GBM ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "calendar", "bar_years"),
    [
        # the house conventions: a 365-day year for 24/7 trading, 252 trading days for business days
        ("1D", "24/7", 1 / 365),
        ("1h", "24/7", 1 / (24 * 365)),
        ("1D", "business", 1 / 252),
    ],
)
def test_gbm_log_return_mean_and_variance_match_the_annual_parameters(
    freq: str, calendar: str, bar_years: float
) -> None:
    mu, sigma, n = 0.08, 0.4, 20_000
    frame = gbm_bars(n, mu=mu, sigma=sigma, seed=11, freq=freq, calendar=calendar, substeps=4)
    assert frame.attrs["params"]["bar_years"] == pytest.approx(bar_years)
    assert (CALENDAR_DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR) == (365, 252)
    r = bar_log_returns(frame)
    # log returns are i.i.d. N((mu - sigma^2/2) dt, sigma^2 dt):
    # SE(mean) = sigma sqrt(dt / n); SE(sample variance) = sigma^2 dt sqrt(2 / (n - 1)).
    mean, variance = (mu - 0.5 * sigma**2) * bar_years, sigma**2 * bar_years
    assert abs(r.mean() - mean) < Z * math.sqrt(variance / n)
    assert abs(r.var(ddof=1) - variance) < Z * variance * math.sqrt(2 / (n - 1))


def test_business_calendar_has_no_weekend_bars() -> None:
    daily = gbm_bars(30, mu=0.0, sigma=0.2, seed=1, calendar="business", start="2021-01-02")  # a Saturday
    assert (daily.index.day_of_week < 5).all()
    assert daily.index[0] == pd.Timestamp("2021-01-04", tz="UTC")  # the next Monday
    hourly = gbm_bars(100, mu=0.0, sigma=0.2, seed=1, freq="1h", calendar="business", start="2021-01-01 22:00")
    assert (hourly.index.day_of_week < 5).all()
    assert hourly.index[2] == pd.Timestamp("2021-01-04 00:00", tz="UTC")  # Fri 22:00, 23:00, then Monday


def test_naive_and_zoned_start_are_converted_to_utc() -> None:
    zoned = gbm_bars(3, mu=0.0, sigma=0.2, seed=1, start=pd.Timestamp("2021-06-01 09:00", tz="Europe/Berlin"))
    assert zoned.index[0] == pd.Timestamp("2021-06-01 07:00", tz="UTC")


# --- GARCH -------------------------------------------------------------------------------


def test_garch_sample_variance_is_near_the_unconditional_variance() -> None:
    omega, alpha, beta, n = 1e-5, 0.10, 0.80, 100_000
    result = garch_bars(n, omega=omega, alpha=alpha, beta=beta, seed=21, substeps=2, freq="1h")
    assert isinstance(result, GarchBars)
    unconditional = omega / (1 - alpha - beta)
    assert result.unconditional_variance == pytest.approx(unconditional)
    eps2 = result.log_returns.to_numpy() ** 2  # log_drift = 0, so r_t = eps_t
    # SE of the mean of eps^2, a dependent series: Var(eps^2) = sigma^4 (kurtosis - 1) with
    # kurtosis = 3 (1 - p^2) / (1 - p^2 - 2 alpha^2), p = alpha + beta (Bollerslev 1986,
    # J. Econometrics 31, eq. 17 for the fourth moment), and autocorrelations rho_k =
    # rho_1 p^(k-1) with rho_1 = alpha (1 - alpha beta - beta^2) / (1 - 2 alpha beta - beta^2)
    # (Bollerslev 1988, J. Time Series Analysis 9, 121-131), so the long-run variance factor
    # is 1 + 2 rho_1 / (1 - p). Here: kurtosis 3.35, factor 3.8, SE 0.95% of the variance.
    p = alpha + beta
    kurtosis = 3 * (1 - p**2) / (1 - p**2 - 2 * alpha**2)
    rho_1 = alpha * (1 - alpha * beta - beta**2) / (1 - 2 * alpha * beta - beta**2)
    se = unconditional * math.sqrt((kurtosis - 1) * (1 + 2 * rho_1 / (1 - p)) / n)
    assert abs(eps2.mean() - unconditional) < Z * se


def test_arch_recovers_the_garch_parameters() -> None:
    arch = pytest.importorskip("arch")
    omega, alpha, beta = 2e-6, 0.08, 0.90
    result = garch_bars(20_000, omega=omega, alpha=alpha, beta=beta, seed=11, substeps=2)
    # arch prefers returns in percent: omega scales by 100^2, alpha and beta are unchanged
    fit = arch.arch_model(100 * result.log_returns.to_numpy(), mean="Constant", vol="GARCH", p=1, q=1).fit(disp="off")
    truth = {"omega": omega * 1e4, "alpha[1]": alpha, "beta[1]": beta}
    for name, value in truth.items():
        # the QML estimate is asymptotically normal around the truth with the reported SE
        assert abs(fit.params[name] - value) < Z * fit.std_err[name], name


@pytest.mark.parametrize(("distribution", "dof"), [("normal", 8.0), ("t", 6.0)])
def test_garch_innovations_have_unit_variance_and_the_right_tails(distribution: str, dof: float) -> None:
    n = 50_000
    result = garch_bars(n, omega=2e-6, alpha=0.08, beta=0.9, seed=5, substeps=2, distribution=distribution, dof=dof)
    z = (result.log_returns / result.conditional_volatility).to_numpy()
    # Var(z^2) = kurtosis - 1: 2 for the normal, 2 + 6 / (dof - 4) = 5 for a t with 6 dof
    kurtosis = 3.0 if distribution == "normal" else 3.0 + 6.0 / (dof - 4.0)
    assert abs(np.mean(z**2) - 1.0) < Z * math.sqrt((kurtosis - 1.0) / n)
    # share of |z| > 3: binomial SE sqrt(q (1 - q) / n) around the exact tail probability q
    if distribution == "normal":
        q = 2 * stats.norm.sf(3.0)
    else:
        q = 2 * stats.t.sf(3.0 / math.sqrt((dof - 2) / dof), dof)  # z = t * sqrt((dof - 2) / dof)
    share = np.mean(np.abs(z) > 3.0)
    assert abs(share - q) < Z * math.sqrt(q * (1 - q) / n)


def test_garch_volatility_follows_equation_14() -> None:
    omega, alpha, beta = 2e-6, 0.08, 0.9
    result = garch_bars(500, omega=omega, alpha=alpha, beta=beta, seed=2, log_drift=0.1)
    sigma = result.conditional_volatility.to_numpy()
    eps = result.log_returns.to_numpy() - 0.1 * result.bars.attrs["params"]["bar_years"]
    expected = np.sqrt(omega + alpha * eps[:-1] ** 2 + beta * sigma[:-1] ** 2)
    np.testing.assert_allclose(sigma[1:], expected, rtol=1e-12)
    assert sigma[0] == pytest.approx(math.sqrt(omega / (1 - alpha - beta)))
    # the bars carry exactly these returns
    np.testing.assert_allclose(np.log(result.bars["close"] / result.bars["open"]), result.log_returns, atol=1e-12)
    assert result.conditional_volatility.index.equals(result.bars.index)


# --- Heston ------------------------------------------------------------------------------


def test_heston_terminal_means_match_the_analytic_values() -> None:
    n_paths, horizon = 10_000, 1.0
    paths = heston_paths(n_paths, 200, seed=31, horizon_years=horizon, **HESTON)
    assert isinstance(paths, HestonPaths)
    assert paths.spot.shape == paths.variance.shape == (n_paths, 201)
    kappa, theta, xi, v0, mu = (HESTON[k] for k in ("kappa", "theta", "xi", "v0", "mu"))
    decay = math.exp(-kappa * horizon)
    # CIR moments (Cox, Ingersoll and Ross 1985, Econometrica 53, eq. 19):
    # E[v_T] = theta + (v0 - theta) e^{-kT}
    # Var[v_T] = v0 xi^2 / k (e^{-kT} - e^{-2kT}) + theta xi^2 / (2k) (1 - e^{-kT})^2
    mean_v = theta + (v0 - theta) * decay
    var_v = v0 * xi**2 / kappa * (decay - decay**2) + theta * xi**2 / (2 * kappa) * (1 - decay) ** 2
    v_T = paths.variance[:, -1]
    # full-truncation Euler is biased by O(dt); across 40 seeds at 100 steps the bias was
    # -0.6 SE, so at 200 steps it is about -0.3 SE, well inside the 4 SE band
    assert abs(v_T.mean() - mean_v) < Z * math.sqrt(var_v / n_paths)
    # relative SE of a sample sd is sqrt((kurtosis - 1) / (4 n)): 1.1% for this right-skewed
    # v_T (sample kurtosis 5.8), so 5% allows ~4.5 SE including the Euler bias
    assert v_T.std() == pytest.approx(math.sqrt(var_v), rel=0.05)
    # E[S_T] = S0 e^{mu T}; SE from the sample standard deviation of S_T
    s_T = paths.spot[:, -1]
    assert abs(s_T.mean() - 100.0 * math.exp(mu * horizon)) < Z * s_T.std() / math.sqrt(n_paths)
    assert (paths.variance >= 0).all()
    np.testing.assert_allclose(paths.times[[0, -1]], [0.0, horizon])


def test_heston_variance_stays_non_negative_when_feller_fails(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="quantlib_local.data.synthetic.heston"):
        paths = heston_paths(500, 250, v0=0.04, mu=0.0, kappa=1.0, theta=0.04, xi=1.0, rho=-0.5, seed=3)
    assert "Feller" in caplog.text
    assert (paths.variance >= 0).all()
    assert (paths.variance == 0).any()  # 2 k theta = 0.08 < xi^2 = 1: zero is hit
    assert np.isfinite(paths.spot).all() and (paths.spot > 0).all()


def test_heston_one_path_loop_matches_the_vectorised_loop() -> None:
    z = np.random.default_rng(0).standard_normal((400, 2, 1))
    kwargs = dict(dt=1 / 365, mu=0.05, kappa=1.0, theta=0.04, xi=0.9, rho=-0.6)  # Feller fails: truncation used
    outputs = []
    for kernel in (_euler_one_path, _euler_many_paths):
        log_s, variance = np.empty((400, 1)), np.empty((400, 1))
        kernel(z, (np.array([math.log(100.0)]), np.array([0.04])), log_s, variance, **kwargs)
        outputs.append((log_s, variance))
    np.testing.assert_array_equal(outputs[0][0], outputs[1][0])
    np.testing.assert_array_equal(outputs[0][1], outputs[1][1])
    assert (outputs[0][1] == 0).any()


def test_heston_bars_expose_the_variance_and_carry_the_leverage_effect() -> None:
    result = heston_bars(3000, seed=9, substeps=8, **HESTON)
    assert isinstance(result, HestonBars)
    assert result.variance.index.equals(result.bars.index)
    assert (result.variance >= 0).all()
    # rho = -0.7: bar returns and variance changes are negatively correlated. The SE of a
    # sample correlation is at most 1/sqrt(n) = 0.018, and the model value is near -0.7.
    r = bar_log_returns(result.bars)[1:]
    dv = np.diff(result.variance.to_numpy())
    assert np.corrcoef(r, dv)[0, 1] < -0.5


# --- correlated bars ---------------------------------------------------------------------


def test_correlated_sample_correlation_matches_the_target() -> None:
    target = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    sigma = np.array([0.2, 0.5, 0.9])
    n = 20_000
    frame = correlated_bars(["A", "B", "C"], target, n, mu=0.05, sigma=sigma, seed=41, substeps=4)
    assert list(frame.columns.get_level_values(SYMBOL_LEVEL).unique()) == ["A", "B", "C"]
    r = bar_log_returns(frame)
    sample = np.corrcoef(r, rowvar=False)
    # SE of a sample correlation of normals: (1 - rho^2) / sqrt(n) (Fisher 1915)
    se = (1 - target**2) / math.sqrt(n) + np.eye(3)
    assert (np.abs(sample - target) < Z * se).all()
    # per-asset volatility: SE of a sample sd of normals is sd / sqrt(2 (n - 1))
    sd = sigma * math.sqrt(1 / 365)  # daily bars, 24/7 calendar
    assert (np.abs(r.std(axis=0, ddof=1) - sd) < Z * sd / math.sqrt(2 * (n - 1))).all()


def test_correlated_accepts_one_rho_and_a_singular_matrix() -> None:
    frame = correlated_bars(2, 1.0, 200, mu=0.0, sigma=0.3, seed=1)
    assert list(frame["close"].columns) == ["SYN0", "SYN1"]
    r = bar_log_returns(frame)
    np.testing.assert_allclose(r[:, 0], r[:, 1], atol=1e-12)  # rho = 1, same sigma: same path


# --- regime switching --------------------------------------------------------------------


def test_regime_occupancy_matches_the_stationary_distribution() -> None:
    n = 50_000
    result = regime_switching_bars(n, seed=51, substeps=2, **TWO_REGIMES)
    assert isinstance(result, RegimeSwitchingBars)
    p01, p10 = 0.02, 0.05
    pi = np.array([p10, p01]) / (p01 + p10)  # two-state chain: pi_0 = p10 / (p01 + p10)
    np.testing.assert_allclose(result.stationary_distribution, pi)
    share_turbulent = result.regimes.to_numpy().mean()
    # the regime indicator has autocorrelation lam^k with lam = 1 - p01 - p10 = 0.93, so
    # Var(share) = pi0 pi1 (1 + lam) / ((1 - lam) n); here SE = 0.0106
    lam = 1 - p01 - p10
    se = math.sqrt(pi[0] * pi[1] * (1 + lam) / ((1 - lam) * n))
    assert abs(share_turbulent - pi[1]) < Z * se


def test_regime_path_drives_the_volatility() -> None:
    n = 50_000
    result = regime_switching_bars(n, seed=52, substeps=2, **TWO_REGIMES)
    r = bar_log_returns(result.bars)
    dt = result.bars.attrs["params"]["bar_years"]
    regimes = result.regimes.to_numpy()
    for k, sigma in enumerate(TWO_REGIMES["sigma"]):
        in_k = r[regimes == k]
        sd = sigma * math.sqrt(dt)
        # given the regime path, returns are independent normals: SE(sd) = sd / sqrt(2 (m - 1))
        assert abs(in_k.std(ddof=1) - sd) < Z * sd / math.sqrt(2 * (len(in_k) - 1)), k


def test_three_regime_chain_and_initial_regime() -> None:
    # a doubly stochastic matrix has the uniform stationary distribution
    cyclic = [[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.1, 0.0, 0.9]]
    result = regime_switching_bars(50, transition=cyclic, mu=[0, 0, 0], sigma=[0.1, 0.2, 0.3], seed=1,
                                   initial_regime=2)
    np.testing.assert_allclose(result.stationary_distribution, [1 / 3] * 3)
    assert result.regimes.iloc[0] == 2
    assert set(np.unique(result.regimes)) <= {0, 1, 2}


# --- multi-venue quotes ------------------------------------------------------------------


@pytest.fixture(scope="module")
def quotes() -> pd.DataFrame:
    return multi_venue_quotes(["BTC", "ETH"], ["binance", "kraken", "coinbase"], 4000, seed=61,
                              s0={"BTC": 30_000.0, "ETH": 2_000.0})


def test_quote_stream_invariants(quotes: pd.DataFrame) -> None:
    assert list(quotes.columns) == list(QUOTE_COLUMNS)
    assert len(quotes) == 2 * 3 * 4000
    assert (quotes["bid"] < quotes["ask"]).all()
    assert (quotes["bid"] > 0).all() and (quotes["bid_size"] > 0).all() and (quotes["ask_size"] > 0).all()
    assert (quotes["timestamp_received"] >= quotes["timestamp_exchange"]).all()
    assert quotes["timestamp_received"].is_monotonic_increasing
    assert str(quotes["timestamp_exchange"].dt.tz) == "UTC"
    assert quotes.attrs["synthetic"] is True and quotes.attrs["source"] == "synthetic:multi_venue_quotes"
    fees = quotes.groupby("venue")["taker_fee"].agg(["min", "max"])
    for venue in ("binance", "kraken", "coinbase"):
        assert fees.loc[venue, "min"] == fees.loc[venue, "max"] == DEFAULT_VENUES[venue].taker_fee
    # each symbol trades around its own starting price
    first = quotes.groupby("symbol")["bid"].first()
    assert first["BTC"] == pytest.approx(30_000, rel=0.01) and first["ETH"] == pytest.approx(2_000, rel=0.01)


def test_quote_spreads_and_latencies_match_the_venue_specs(quotes: pd.DataFrame) -> None:
    spread_bps = (quotes["ask"] - quotes["bid"]) / ((quotes["ask"] + quotes["bid"]) / 2) * 1e4
    latency_ms = (quotes["timestamp_received"] - quotes["timestamp_exchange"]).dt.total_seconds() * 1e3
    log_sigma = quotes.attrs["params"]["spread_log_sigma"]
    for venue, rows in quotes.groupby("venue"):
        spec = DEFAULT_VENUES[str(venue)]
        m = len(rows)
        # lognormal spread with mean spread_bps: SE = spread_bps sqrt(exp(s^2) - 1) / sqrt(m)
        se_spread = spec.spread_bps * math.sqrt(math.expm1(log_sigma**2)) / math.sqrt(m)
        assert abs(spread_bps[rows.index].mean() - spec.spread_bps) < Z * se_spread, venue
        # latency sd is the jitter: SE = jitter / sqrt(m) (+ 1 ns rounding, negligible)
        assert abs(latency_ms[rows.index].mean() - spec.latency_ms_mean) < Z * spec.latency_ms_jitter / math.sqrt(m)


def test_cross_venue_dislocations_occur_sometimes(quotes: pd.DataFrame) -> None:
    btc = quotes[quotes["symbol"] == "BTC"].sort_values("timestamp_exchange")
    book = {side: btc.pivot_table(index="timestamp_exchange", columns="venue", values=side).ffill().dropna()
            for side in ("bid", "ask")}
    crossed = book["bid"].max(axis=1) > book["ask"].min(axis=1)
    # some venue's bid above another's ask: present, but the exception, not the rule
    assert 0.001 < crossed.mean() < 0.5


def test_quote_stream_is_reproducible_and_accepts_custom_venues() -> None:
    venues = [VenueSpec("alpha", spread_bps=5.0, latency_ms_mean=0.0, latency_ms_jitter=0.0, taker_fee=0.0), "okx"]
    first = multi_venue_quotes(1, venues, 200, seed=3)
    pd.testing.assert_frame_equal(first, multi_venue_quotes(1, venues, 200, seed=3))
    assert not first["bid"].equals(multi_venue_quotes(1, venues, 200, seed=4)["bid"])
    alpha = first[first["venue"] == "alpha"]
    assert (alpha["timestamp_received"] == alpha["timestamp_exchange"]).all()  # zero latency
    assert set(first["symbol"]) == {"SYN0"}


# --- bad inputs: one test per rule, each names its field ---------------------------------

GBM = dict(mu=0.05, sigma=0.2, seed=1)
GARCH = dict(omega=2e-6, alpha=0.08, beta=0.9, seed=1)
BAD_INPUTS: dict[str, tuple[Callable[[], object], str]] = {
    "n_bars_zero": (lambda: gbm_bars(0, **GBM), "n_bars"),
    "n_bars_bool": (lambda: gbm_bars(True, **GBM), "n_bars"),
    "sigma_negative": (lambda: gbm_bars(10, mu=0.0, sigma=-0.1, seed=1), "sigma"),
    "mu_nan": (lambda: gbm_bars(10, mu=float("nan"), sigma=0.1, seed=1), "mu"),
    "s0_zero": (lambda: gbm_bars(10, s0=0.0, **GBM), "s0"),
    "substeps_zero": (lambda: gbm_bars(10, substeps=0, **GBM), "substeps"),
    "volume_mean_zero": (lambda: gbm_bars(10, volume_mean=0.0, **GBM), "volume_mean"),
    "volume_log_sigma_negative": (lambda: gbm_bars(10, volume_log_sigma=-1.0, **GBM), "volume_log_sigma"),
    "freq_unparseable": (lambda: gbm_bars(10, freq="fortnightly", **GBM), "freq"),
    "freq_negative": (lambda: gbm_bars(10, freq="-1D", **GBM), "freq"),
    "freq_business_multi_day": (lambda: gbm_bars(10, freq="2D", calendar="business", **GBM), "freq"),
    "calendar_unknown": (lambda: gbm_bars(10, calendar="weekly", **GBM), "calendar"),
    "start_unparseable": (lambda: gbm_bars(10, start="not a date", **GBM), "start"),
    "start_out_of_range": (lambda: gbm_bars(10, start=pd.Timestamp("2500-01-01").as_unit("s"), **GBM), "start"),
    "bars_run_past_2262": (lambda: gbm_bars(100_000, freq="1D", **GBM), "n_bars"),
    "seed_negative": (lambda: gbm_bars(10, mu=0.0, sigma=0.1, seed=-1), "seed"),
    "seed_wrong_type": (lambda: gbm_bars(10, mu=0.0, sigma=0.1, seed="abc"), "seed"),  # type: ignore[arg-type]
    "garch_omega_zero": (lambda: garch_bars(10, omega=0.0, alpha=0.1, beta=0.8, seed=1), "omega"),
    "garch_alpha_negative": (lambda: garch_bars(10, omega=1e-6, alpha=-0.1, beta=0.8, seed=1), "alpha"),
    "garch_beta_negative": (lambda: garch_bars(10, omega=1e-6, alpha=0.1, beta=-0.8, seed=1), "beta"),
    "garch_not_stationary": (lambda: garch_bars(10, omega=1e-6, alpha=0.2, beta=0.8, seed=1), "alpha + beta"),
    "garch_distribution_unknown": (lambda: garch_bars(10, distribution="laplace", **GARCH), "distribution"),
    "garch_dof_too_small": (lambda: garch_bars(10, distribution="t", dof=2.0, **GARCH), "dof"),
    "heston_v0_negative": (lambda: heston_paths(10, 10, seed=1, **{**HESTON, "v0": -0.01}), "v0"),
    "heston_kappa_zero": (lambda: heston_paths(10, 10, seed=1, **{**HESTON, "kappa": 0.0}), "kappa"),
    "heston_theta_zero": (lambda: heston_paths(10, 10, seed=1, **{**HESTON, "theta": 0.0}), "theta"),
    "heston_xi_zero": (lambda: heston_paths(10, 10, seed=1, **{**HESTON, "xi": 0.0}), "xi"),
    "heston_rho_above_one": (lambda: heston_paths(10, 10, seed=1, **{**HESTON, "rho": 1.5}), "rho"),
    "heston_n_paths_zero": (lambda: heston_paths(0, 10, seed=1, **HESTON), "n_paths"),
    "heston_n_steps_zero": (lambda: heston_paths(10, 0, seed=1, **HESTON), "n_steps"),
    "heston_horizon_zero": (lambda: heston_paths(10, 10, seed=1, horizon_years=0.0, **HESTON), "horizon_years"),
    "heston_bars_s0_negative": (lambda: heston_bars(10, seed=1, s0=-1.0, **HESTON), "s0"),
    "correlated_duplicate_symbols": (lambda: correlated_bars(["A", "A"], 0.5, 10, **GBM), "symbols"),
    "correlated_empty_symbols": (lambda: correlated_bars([], 0.5, 10, **GBM), "symbols"),
    "correlated_sigma_wrong_length": (lambda: correlated_bars(3, 0.5, 10, mu=0.0, sigma=[0.1, 0.2], seed=1), "sigma"),
    "regime_mu_wrong_length": (lambda: regime_switching_bars(10, **{**TWO_REGIMES, "mu": [0.1]}, seed=1), "mu"),
    "regime_initial_out_of_range": (
        lambda: regime_switching_bars(10, initial_regime=2, seed=1, **TWO_REGIMES), "initial_regime"
    ),
    "quotes_unknown_venue": (lambda: multi_venue_quotes(1, ["nasdaq"], 10, seed=1), "venues"),
    "quotes_duplicate_venue": (lambda: multi_venue_quotes(1, ["okx", "okx"], 10, seed=1), "venues"),
    "quotes_n_ticks_zero": (lambda: multi_venue_quotes(1, ["okx"], 0, seed=1), "n_ticks"),
    "quotes_tick_interval_zero": (lambda: multi_venue_quotes(1, ["okx"], 10, seed=1, tick_interval_ms=0.0),
                                  "tick_interval_ms"),
    "quotes_s0_missing_symbol": (lambda: multi_venue_quotes(["A", "B"], ["okx"], 10, seed=1, s0={"A": 1.0}), "s0"),
    "venue_spread_zero": (lambda: VenueSpec("x", spread_bps=0.0), "spread_bps"),
    "venue_latency_negative": (lambda: VenueSpec("x", latency_ms_mean=-1.0), "latency_ms_mean"),
    "venue_jitter_without_latency": (lambda: VenueSpec("x", latency_ms_mean=0.0, latency_ms_jitter=1.0),
                                     "latency_ms_jitter"),
    "venue_fee_not_decimal": (lambda: VenueSpec("x", taker_fee=10.0), "taker_fee"),
    "venue_noise_negative": (lambda: VenueSpec("x", price_noise_bps=-1.0), "price_noise_bps"),
    "venue_half_life_zero": (lambda: VenueSpec("x", noise_half_life_ms=0.0), "noise_half_life_ms"),
    "venue_name_empty": (lambda: VenueSpec(" "), "name"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_raises_validation_error_naming_the_field(case: str) -> None:
    make, field = BAD_INPUTS[case]
    with pytest.raises(ValidationError) as caught:
        make()
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}=") and "Fix:" in str(caught.value)


# correlation matrices: each broken property is named in the message
BAD_CORRELATIONS: dict[str, tuple[object, str]] = {
    "rho_above_one": (1.5, "between -1 and 1"),
    "rho_not_psd_for_three_assets": (-0.6, "not positive semi-definite"),  # needs rho >= -1/2
    "wrong_shape": (np.eye(2), "does not match 3 symbols"),
    "not_finite": (np.array([[1, np.nan, 0], [np.nan, 1, 0], [0, 0, 1]]), "not finite"),
    "not_symmetric": (np.array([[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]]), "not symmetric"),
    "diagonal_not_one": (np.array([[2, 0.5, 0], [0.5, 1, 0], [0, 0, 1]]), "diagonal is not all ones"),
    "entry_outside_unit_interval": (np.array([[1, 1.2, 0], [1.2, 1, 0], [0, 0, 1]]), "outside [-1, 1]"),
    "not_psd": (np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]), "not positive semi-definite"),
}


@pytest.mark.parametrize("case", sorted(BAD_CORRELATIONS))
def test_bad_correlation_matrix_names_the_broken_property(case: str) -> None:
    corr, phrase = BAD_CORRELATIONS[case]
    with pytest.raises(ValidationError) as caught:
        correlated_bars(3, corr, 10, mu=0.0, sigma=0.2, seed=1)
    assert caught.value.field == "corr"
    assert phrase in str(caught.value)


BAD_TRANSITIONS: dict[str, tuple[object, str]] = {
    "not_square": ([[0.5, 0.5]], "square"),
    "negative_entry": ([[1.1, -0.1], [0.5, 0.5]], "outside [0, 1]"),
    "rows_do_not_sum_to_one": ([[0.9, 0.2], [0.5, 0.5]], "sum to 1"),
    "two_closed_classes": ([[1.0, 0.0], [0.0, 1.0]], "more than one stationary distribution"),
}


@pytest.mark.parametrize("case", sorted(BAD_TRANSITIONS))
def test_bad_transition_matrix_names_the_broken_property(case: str) -> None:
    transition, phrase = BAD_TRANSITIONS[case]
    with pytest.raises(ValidationError) as caught:
        regime_switching_bars(10, transition=transition, mu=[0.0, 0.0], sigma=[0.1, 0.2], seed=1)
    assert caught.value.field == "transition"
    assert phrase in str(caught.value)
