"""Overfitting statistics: PSR, expected maximum Sharpe, DSR and PBO (quantlib_local.risk.overfitting).

References (every pinned number below names its source beside it):

* [BLdP12] Bailey & López de Prado (2012), "The Sharpe ratio efficient frontier", Journal of
  Risk 15(2), worked PSR example (also on their slides "The Sharp Razor", SSRN 2150879): a
  hedge fund with a monthly SR of 0.458 over two years (24 months), skewness -2.448,
  kurtosis 10.164 has PSR(0) = 0.982 under normality, 0.913 with its moments, and 0.953
  over three years (0.95351 unrounded: the paper truncates).
* [BLdP14] Bailey & López de Prado (2014), "The deflated Sharpe ratio", Journal of Portfolio
  Management 40(5), section "A numerical example" (SSRN 2460551): annualised SR 2.5 from
  T = 1250 daily returns (250 a year), N = 100 trials whose annualised Sharpe ratios have
  variance 1/2, skewness -3, kurtosis 10 give E[max SR] = 0.1132 (per day) and DSR = 0.9004;
  DSR = 0.9505 with N = 46 trials, and with normal returns (skew 0, kurtosis 3) with N = 88.
* [skfolio] skfolio 1.12.2 (``pip install skfolio==1.12.2``), ``skfolio.measures``
  ``probabilistic_sharpe_ratio`` / ``expected_max_sharpe_ratio`` / ``deflated_sharpe_ratio``,
  same conventions (SR with ddof=1, moment skewness and kurtosis, trial SR variance ddof=1),
  run once on the shared real data; the snippets are beside the values.
* [ml4t] ml4t-diagnostic 0.1.0b2 (``pip install ml4t-diagnostic==0.1.0b2``),
  ``ml4t.diagnostic.evaluation.stats.backtest_overfitting.compute_pbo``, which ranks the IS
  winner out of sample (rank 1 = best; PBO = share ranked below the median) from per-
  combination IS/OOS score matrices; fed with the Sharpe ratios of a literal CSCV loop.
* [BBLdPZ17] Bailey, Borwein, López de Prado & Zhu (2017), "The probability of backtest
  overfitting", Journal of Computational Finance 20(4): the CSCV procedure, followed
  literally by :func:`pbo_by_the_paper` below.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from quantlib_local import risk
from quantlib_local.exceptions import ValidationError


def raises_on(field: str, call: Callable[[], Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field, str(info.value)
    assert "Fix:" in str(info.value)
    return info.value


# --------------------------------------------------------------------------------------
# PSR
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "skew", "kurt", "printed", "tolerance"),
    [
        (24, 0.0, 3.0, 0.982, 5e-4),  # [BLdP12] normal returns
        (24, -2.448, 10.164, 0.913, 5e-4),  # [BLdP12] the fund's own moments
        (36, -2.448, 10.164, 0.953, 1e-3),  # [BLdP12] three years; printed truncated (0.95351)
    ],
)
def test_psr_reproduces_the_sharpe_frontier_paper(
    n: int, skew: float, kurt: float, printed: float, tolerance: float
) -> None:
    assert risk.probabilistic_sharpe_ratio(0.458, 0.0, n, skew, kurt) == pytest.approx(printed, abs=tolerance)


def test_psr_is_one_half_at_the_benchmark_and_symmetric() -> None:
    assert risk.probabilistic_sharpe_ratio(0.1, 0.1, 500) == 0.5
    up = risk.probabilistic_sharpe_ratio(0.12, 0.1, 500)
    down = risk.probabilistic_sharpe_ratio(0.08, 0.1, 500)
    assert up > 0.5 > down


def test_psr_from_returns_matches_skfolio_on_spy(spy_returns: pd.Series) -> None:
    # [skfolio] sm.probabilistic_sharpe_ratio(spy.to_numpy(), b) for b = 0.0 and 0.03, where
    # spy = pd.read_csv("spy_prices.csv", ...)["SPY"].pct_change().dropna() (6,764 days).
    assert risk.probabilistic_sharpe_ratio_from_returns(spy_returns) == pytest.approx(0.9990085755365598, rel=1e-10)
    assert risk.probabilistic_sharpe_ratio_from_returns(spy_returns, 0.03) == pytest.approx(
        0.7350155697783244, rel=1e-10
    )


def test_psr_from_returns_equals_psr_of_its_moments() -> None:
    # Independent estimators: numpy for the Sharpe ratio, scipy for the moments.
    r = pd.Series(np.random.default_rng(3).standard_t(5, 800) * 0.01 + 0.0008)
    sharpe = r.mean() / r.std(ddof=1)
    expected = risk.probabilistic_sharpe_ratio(
        sharpe, 0.02, len(r), float(stats.skew(r)), float(stats.kurtosis(r, fisher=False))
    )
    assert risk.probabilistic_sharpe_ratio_from_returns(r, 0.02) == pytest.approx(expected, rel=1e-12)


def test_psr_from_returns_per_column_drops_nan_per_column() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(0.001, 0.01, (400, 3)), columns=["a", "b", "c"])
    frame.iloc[:150, 1] = np.nan
    frame["c"] = 0.0  # flat: no dispersion, PSR undefined
    psr = risk.probabilistic_sharpe_ratio_from_returns(frame)
    assert list(psr.index) == ["a", "b", "c"]
    assert psr["b"] == pytest.approx(risk.probabilistic_sharpe_ratio_from_returns(frame["b"].dropna()), rel=1e-12)
    assert math.isnan(psr["c"])


# --------------------------------------------------------------------------------------
# Expected maximum Sharpe ratio and DSR
# --------------------------------------------------------------------------------------

DAYS = 250  # [BLdP14] uses 250 observations a year: 1250 = five years
PAPER_SHARPE = 2.5 / math.sqrt(DAYS)
PAPER_VARIANCE = 0.5 / DAYS


def test_expected_maximum_sharpe_reproduces_the_dsr_paper() -> None:
    # [BLdP14]: E[max SR] = 0.1132 (per day) for N = 100, V = 1/2 annualised.
    assert risk.expected_maximum_sharpe(PAPER_VARIANCE, 100) == pytest.approx(0.1132, abs=5e-5)


@pytest.mark.parametrize(
    ("n_trials", "skew", "kurt", "printed"),
    [
        (100, -3.0, 10.0, 0.9004),  # [BLdP14] the example
        (46, -3.0, 10.0, 0.9505),  # [BLdP14] passes the 95 % bar after 46 trials
        (88, 0.0, 3.0, 0.9505),  # [BLdP14] normal returns: 88 trials
    ],
)
def test_dsr_reproduces_the_dsr_paper(n_trials: int, skew: float, kurt: float, printed: float) -> None:
    result = risk.deflated_sharpe_ratio_from_statistics(
        PAPER_SHARPE, PAPER_VARIANCE, n_trials, 1250, skew, kurt, periods_per_year=DAYS
    )
    assert result.dsr == pytest.approx(printed, abs=5e-5)


def test_dsr_result_carries_its_inputs_and_annualised_copies() -> None:
    r = risk.deflated_sharpe_ratio_from_statistics(
        PAPER_SHARPE, PAPER_VARIANCE, 100, 1250, -3, 10, periods_per_year=DAYS
    )
    assert isinstance(r, risk.DeflatedSharpeResult)
    assert (r.n_trials, r.n_observations, r.skewness, r.kurtosis) == (100, 1250, -3.0, 10.0)
    assert r.observed_sharpe_annualised == pytest.approx(2.5, rel=1e-12)  # the paper's inputs, back
    assert r.sharpe_variance_annualised == pytest.approx(0.5, rel=1e-12)
    assert r.expected_max_sharpe_annualised == pytest.approx(r.expected_max_sharpe * math.sqrt(DAYS), rel=1e-12)
    assert r.psr == risk.probabilistic_sharpe_ratio(PAPER_SHARPE, 0.0, 1250, -3, 10)
    assert r.dsr == risk.probabilistic_sharpe_ratio(PAPER_SHARPE, r.expected_max_sharpe, 1250, -3, 10)
    bare = risk.deflated_sharpe_ratio_from_statistics(PAPER_SHARPE, PAPER_VARIANCE, 100, 1250, -3, 10)
    assert bare.periods_per_year is None and bare.observed_sharpe_annualised is None
    assert r.to_series()["dsr"] == r.dsr and r.to_dict()["selected"] is None


def test_one_trial_has_no_selection_bias() -> None:
    assert risk.expected_maximum_sharpe(0.01, 1) == 0.0
    r = risk.deflated_sharpe_ratio_from_statistics(0.05, 0.01, 1, 500)
    assert r.dsr == r.psr


def test_more_trials_raise_the_bar() -> None:
    values = [risk.expected_maximum_sharpe(1.0, n) for n in (2, 10, 100, 1000, 10_000)]
    assert values == sorted(values)
    # Fractional (effective) numbers of trials interpolate.
    assert values[1] < risk.expected_maximum_sharpe(1.0, 50.5) < values[2]


def test_dsr_on_real_stocks_matches_skfolio(stock_returns_frame: pd.DataFrame) -> None:
    # [skfolio] on the 20 stocks as 20 "trials" (NaN before listing, dropped per column):
    #   R = rets.to_numpy(); sr = sm.mean(R) / sm.standard_deviation(R); best = np.nanargmax(sr)
    #   sm.deflated_sharpe_ratio(R[:, best], sr)            -> 0.991049388924121
    #   sm.expected_max_sharpe_ratio(20, sm.standard_deviation(sr)) -> 0.02805063282472941
    #   sm.probabilistic_sharpe_ratio(R[:, best])           -> 0.999958026490019
    #   sm.skew / sm.kurtosis of R[:, best] -> 0.7867390143072232, 13.19493819930077; best = "MA"
    r = risk.deflated_sharpe_ratio(stock_returns_frame, periods_per_year=252)
    assert r.selected == "MA"
    assert r.dsr == pytest.approx(0.991049388924121, rel=1e-10)
    assert r.expected_max_sharpe == pytest.approx(0.02805063282472941, rel=1e-10)
    assert r.psr == pytest.approx(0.999958026490019, rel=1e-10)
    assert r.skewness == pytest.approx(0.7867390143072232, rel=1e-10)
    assert r.kurtosis == pytest.approx(13.19493819930077, rel=1e-10)
    assert r.n_trials == 20 and r.n_observations == stock_returns_frame["MA"].notna().sum()


def test_dsr_from_matrix_equals_the_summary_numbers() -> None:
    # Independent estimators (numpy, scipy) for every number the matrix form derives.
    rng = np.random.default_rng(5)
    trials = pd.DataFrame(rng.normal(0.0003, 0.01, (900, 12)), columns=[f"p{i}" for i in range(12)])
    trials.iloc[:200, 4] = np.nan  # a later start: its own T
    sharpe = trials.mean() / trials.std(ddof=1)
    for selected in (None, "p4"):
        label = sharpe.idxmax() if selected is None else selected
        column = trials[label].dropna()
        expected = risk.deflated_sharpe_ratio_from_statistics(
            sharpe[label],
            float(np.var(sharpe, ddof=1)),
            12,
            len(column),
            float(stats.skew(column)),
            float(stats.kurtosis(column, fisher=False)),
        )
        got = risk.deflated_sharpe_ratio(trials, selected=selected)
        assert got.selected == label
        for field in ("dsr", "psr", "observed_sharpe", "expected_max_sharpe", "sharpe_variance", "kurtosis"):
            assert getattr(got, field) == pytest.approx(getattr(expected, field), rel=1e-10), field
        assert got.n_observations == len(column)
    assert risk.deflated_sharpe_ratio(trials, n_trials=3.5).n_trials == 3.5
    assert risk.deflated_sharpe_ratio(trials.to_numpy(), selected=4).selected == 4


def test_a_flat_trial_counts_with_sharpe_zero() -> None:
    rng = np.random.default_rng(6)
    trials = pd.DataFrame(rng.normal(0.0005, 0.01, (500, 4)), columns=list("abcd"))
    trials["d"] = 0.0  # a parameter set that never trades
    sharpe = (trials.mean() / trials.std(ddof=1)).fillna(0.0)
    assert risk.deflated_sharpe_ratio(trials).sharpe_variance == pytest.approx(np.var(sharpe, ddof=1), rel=1e-12)


# --------------------------------------------------------------------------------------
# PBO: the literal algorithm of the paper, as a slow loop
# --------------------------------------------------------------------------------------


def sharpe_columns(matrix: np.ndarray) -> np.ndarray:
    return matrix.mean(axis=0) / matrix.std(axis=0, ddof=1)


def pbo_by_the_paper(matrix: np.ndarray, s: int, metric: Callable[[np.ndarray], np.ndarray] = sharpe_columns) -> dict:
    """[BBLdPZ17] CSCV step by step: blocks, every IS/OOS split, IS winner, its OOS rank, logit."""
    t, n = matrix.shape
    blocks = np.array_split(np.arange(t), s)
    logits, is_perf, oos_perf = [], [], []
    for combo in itertools.combinations(range(s), s // 2):
        train = np.concatenate([blocks[b] for b in combo])
        test = np.concatenate([blocks[b] for b in range(s) if b not in combo])
        r_is, r_oos = metric(matrix[train]), metric(matrix[test])
        n_star = int(np.argmax(r_is))
        omega = stats.rankdata(r_oos)[n_star] / (n + 1)  # rank 1 = worst, ties averaged
        logits.append(math.log(omega / (1 - omega)))
        is_perf.append(r_is[n_star])
        oos_perf.append(r_oos[n_star])
    logits_arr, is_arr, oos_arr = np.array(logits), np.array(is_perf), np.array(oos_perf)
    slope, intercept = np.polyfit(is_arr, oos_arr, 1)
    return {
        "pbo": float(np.mean(logits_arr <= 0)),
        "logits": logits_arr,
        "is": is_arr,
        "oos": oos_arr,
        "slope": slope,
        "intercept": intercept,
        "loss": float(np.mean(oos_arr < 0)),
    }


def assert_same_as_paper(result: risk.BacktestOverfittingResult, expected: dict) -> None:
    assert result.pbo == expected["pbo"]
    np.testing.assert_allclose(result.logits, expected["logits"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.is_performance, expected["is"], rtol=1e-9)
    np.testing.assert_allclose(result.oos_performance, expected["oos"], rtol=1e-9)
    assert result.degradation_slope == pytest.approx(expected["slope"], rel=1e-8, abs=1e-12)
    assert result.degradation_intercept == pytest.approx(expected["intercept"], rel=1e-8, abs=1e-12)
    assert result.probability_of_oos_loss == expected["loss"]


@pytest.mark.parametrize(("t", "n", "s", "seed"), [(240, 10, 6, 1), (203, 7, 8, 2), (96, 30, 8, 3), (40, 5, 2, 4)])
def test_pbo_equals_the_literal_loop(t: int, n: int, s: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0002, 0.01, (t, n)) + rng.normal(0, 0.0005, n)  # some trials better than others
    result = risk.probability_of_backtest_overfitting(matrix, s)
    assert result.n_combinations == math.comb(s, s // 2) and result.n_observations == t and result.n_trials == n
    assert_same_as_paper(result, pbo_by_the_paper(matrix, s))
    np.testing.assert_allclose(result.relative_ranks, 1 / (1 + np.exp(-result.logits)), rtol=1e-12)


def test_pbo_with_a_callable_metric_and_ties_equals_the_literal_loop() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.normal(0.0, 0.01, (160, 9))

    def coarse_mean(m: np.ndarray) -> np.ndarray:  # many exact ties: average ranks matter
        return np.round(m.mean(axis=0) * 1e3)

    result = risk.probability_of_backtest_overfitting(matrix, 8, metric=coarse_mean)
    assert result.metric == "coarse_mean"
    assert_same_as_paper(result, pbo_by_the_paper(matrix, 8, coarse_mean))


def test_named_metrics_equal_their_callables() -> None:
    matrix = np.random.default_rng(8).normal(0.0, 0.01, (300, 25))
    for name, func in (("sharpe", sharpe_columns), ("mean", lambda m: m.mean(axis=0))):
        fast = risk.probability_of_backtest_overfitting(matrix, 10, metric=name)
        slow = risk.probability_of_backtest_overfitting(matrix, 10, metric=func)
        assert fast.pbo == slow.pbo and fast.metric == name
        np.testing.assert_allclose(fast.logits, slow.logits, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fast.oos_performance, slow.oos_performance, rtol=1e-9)


def test_pbo_on_real_stocks_matches_ml4t(stock_returns_frame: pd.DataFrame) -> None:
    # [ml4t] rets = stock_returns_frame.dropna() (895 days, 20 stocks as trials); for every
    # combination of S/2 blocks of np.array_split(arange(895), S): IS/OOS Sharpe (ddof=1) of
    # each stock -> compute_pbo(IS, OOS).pbo = 0.38571428571428573 (S = 8, 70 combinations)
    # and 0.3474747474747475 (S = 16, 12,870); mean IS - OOS Sharpe 0.06182940691611362 (S = 8).
    rets = stock_returns_frame.dropna()
    eight = risk.probability_of_backtest_overfitting(rets, 8)
    assert eight.pbo == pytest.approx(0.38571428571428573, abs=1e-15)
    assert np.mean(eight.is_performance - eight.oos_performance) == pytest.approx(0.06182940691611362, rel=1e-9)
    assert risk.probability_of_backtest_overfitting(rets, 16).pbo == pytest.approx(0.3474747474747475, abs=1e-15)


def test_complement_of_combination_i_is_combination_c_minus_1_minus_i() -> None:
    # The implementation scores each half of the sample once and relies on this ordering.
    for s in range(2, risk.MAX_PARTITIONS + 1, 2):
        combos = list(itertools.combinations(range(s), s // 2))
        last = len(combos) - 1
        assert all(set(combos[i]).isdisjoint(combos[last - i]) for i in range(len(combos)))


# --------------------------------------------------------------------------------------
# PBO: statistical properties
# --------------------------------------------------------------------------------------


def test_pure_noise_gives_pbo_one_half_on_average() -> None:
    # Under i.i.d. noise the IS and OOS halves are independent, so the OOS rank of the IS
    # winner is uniform on 1..N and, N being even, P(logit <= 0) = P(rank <= N/2) = 1/2
    # exactly: E[PBO] = 0.5. One matrix's PBO is noisy (its combinations share data), so we
    # average 200 independent matrices and allow 4 standard errors of that mean, the
    # standard error estimated from the same sample.
    rng = np.random.default_rng(11)
    pbos = np.array(
        [risk.probability_of_backtest_overfitting(rng.normal(0, 0.01, (240, 10)), 8).pbo for _ in range(200)]
    )
    standard_error = pbos.std(ddof=1) / math.sqrt(len(pbos))
    assert abs(pbos.mean() - 0.5) < 4 * standard_error
    assert standard_error < 0.03  # the test has power: a bias of 0.12 would fail it


def test_a_real_edge_among_noise_gives_pbo_near_zero() -> None:
    # Trial 3 earns 0.2 standard deviations a period: over a half of 500 periods its Sharpe
    # ratio is ~4.5 standard errors above the noise trials', so it wins IS and OOS alike.
    rng = np.random.default_rng(12)
    matrix = pd.DataFrame(rng.normal(0.0, 0.01, (1000, 20)), columns=[f"trial{i}" for i in range(20)])
    matrix["trial3"] += 0.002
    result = risk.probability_of_backtest_overfitting(matrix, 16)
    assert result.pbo <= 0.01  # 0.0019 here: a few of the 12,870 splits crown a lucky noise trial
    assert result.probability_of_oos_loss <= 0.01
    assert result.selection_frequency().index[0] == "trial3"
    assert result.selection_frequency().iloc[0] > 0.99


def test_in_sample_winners_that_lose_out_of_sample_give_pbo_one() -> None:
    # Every trial's returns sum to exactly zero over the sample (demeaned columns) and the
    # halves have equal length, so a trial's OOS mean is minus its IS mean: the IS winner
    # is the OOS loser in every combination ([BBLdPZ17] discuss this as the extreme case of
    # overfitting to noise with a global constraint). Block-level means make the effect strong.
    rng = np.random.default_rng(13)
    t, n, s = 480, 10, 8
    matrix = rng.normal(0.0, 0.01, (t, n)) + np.repeat(rng.normal(0.0, 0.01, (s, n)), t // s, axis=0)
    matrix -= matrix.mean(axis=0)
    by_mean = risk.probability_of_backtest_overfitting(matrix, s, metric="mean")
    assert by_mean.pbo == 1.0
    assert np.all(by_mean.relative_ranks == 1 / (n + 1))
    assert by_mean.degradation_slope == pytest.approx(-1.0, abs=1e-9)
    assert by_mean.degradation_intercept == pytest.approx(0.0, abs=1e-12)
    assert by_mean.probability_of_oos_loss == 1.0
    by_sharpe = risk.probability_of_backtest_overfitting(matrix, s)
    assert by_sharpe.pbo > 0.95 and by_sharpe.degradation_slope < 0


# --------------------------------------------------------------------------------------
# PBO: NaN policy and the result object
# --------------------------------------------------------------------------------------


def test_all_nan_rows_are_dropped_and_other_nan_counts_as_zero() -> None:
    rng = np.random.default_rng(14)
    frame = pd.DataFrame(rng.normal(0.0, 0.01, (200, 6)), columns=list("abcdef"))
    frame.iloc[:30, 2] = np.nan  # warm-up of a long lookback: out of the market
    padded = pd.concat([pd.DataFrame(np.nan, index=range(-5, 0), columns=frame.columns), frame])
    result = risk.probability_of_backtest_overfitting(padded, 8)
    reference = risk.probability_of_backtest_overfitting(frame.fillna(0.0), 8)
    assert result.n_observations == 200
    np.testing.assert_array_equal(result.logits, reference.logits)
    raises_on("performance['c']", lambda: risk.probability_of_backtest_overfitting(frame, 8, nan_policy="raise"))


def test_a_trial_flat_over_a_half_scores_zero() -> None:
    rng = np.random.default_rng(15)
    matrix = rng.normal(-0.005, 0.01, (80, 4))  # every trial loses...
    matrix[:40, 0] = 0.0  # ...but trial 0 is out of the market in the first half: Sharpe 0 there, not NaN

    def sharpe_or_zero(m: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(sharpe_columns(m))

    result = risk.probability_of_backtest_overfitting(matrix, 2)
    assert result.n_combinations == 2
    np.testing.assert_allclose(result.logits, pbo_by_the_paper(matrix, 2, sharpe_or_zero)["logits"], rtol=1e-12)
    assert result.selected[0] == 0 and result.is_performance[0] == 0.0  # the flat half wins IS


def test_result_object() -> None:
    matrix = pd.DataFrame(np.random.default_rng(16).normal(0, 0.01, (120, 5)), columns=list("vwxyz"))
    result = risk.probability_of_backtest_overfitting(matrix, 4)
    assert isinstance(result, risk.BacktestOverfittingResult)
    assert list(result.trials) == list("vwxyz")
    assert result.logits.shape == result.selected.shape == (6,)
    assert result.selection_frequency().sum() == pytest.approx(1.0)
    row = result.to_series()
    assert row["pbo"] == result.pbo and row["n_partitions"] == 4 and "logits" not in row


# --------------------------------------------------------------------------------------
# Bad inputs: each error names the field
# --------------------------------------------------------------------------------------


def test_psr_bad_inputs() -> None:
    raises_on("n_observations", lambda: risk.probabilistic_sharpe_ratio(0.1, 0.0, 1))
    raises_on("n_observations", lambda: risk.probabilistic_sharpe_ratio(0.1, 0.0, 24.5))
    raises_on("observed_sharpe", lambda: risk.probabilistic_sharpe_ratio(float("inf"), 0.0, 24))
    raises_on("benchmark_sharpe", lambda: risk.probabilistic_sharpe_ratio(0.1, "0", 24))
    raises_on("skewness", lambda: risk.probabilistic_sharpe_ratio(0.1, 0.0, 24, float("nan")))
    error = raises_on("kurtosis", lambda: risk.probabilistic_sharpe_ratio(0.1, 0.0, 24, 0.0, 0.0))  # excess by mistake
    assert "non-excess" in str(error)
    raises_on("kurtosis", lambda: risk.probabilistic_sharpe_ratio(0.1, 0.0, 24, -3.0, 9.0))  # < skew**2 + 1


def test_expected_maximum_and_dsr_bad_inputs() -> None:
    raises_on("sharpe_variance", lambda: risk.expected_maximum_sharpe(-0.1, 10))
    raises_on("n_trials", lambda: risk.expected_maximum_sharpe(0.1, 0))
    raises_on("n_trials", lambda: risk.deflated_sharpe_ratio_from_statistics(0.1, 0.01, 0.5, 100))
    raises_on(
        "periods_per_year", lambda: risk.deflated_sharpe_ratio_from_statistics(0.1, 0.01, 5, 100, periods_per_year=0)
    )
    rng = np.random.default_rng(17)
    trials = pd.DataFrame(rng.normal(0, 0.01, (100, 3)), columns=["a", "b", "c"])
    raises_on("trial_returns", lambda: risk.deflated_sharpe_ratio(trials["a"]))
    raises_on("trial_returns", lambda: risk.deflated_sharpe_ratio(trials[["a"]]))
    raises_on("selected", lambda: risk.deflated_sharpe_ratio(trials, selected="zzz"))
    raises_on("selected", lambda: risk.deflated_sharpe_ratio(trials, selected=["a"]))
    constant = trials.assign(b=0.01)
    raises_on("trial_returns['b']", lambda: risk.deflated_sharpe_ratio(constant))
    empty = trials.assign(c=np.nan)
    raises_on("trial_returns['c']", lambda: risk.deflated_sharpe_ratio(empty))


def test_pbo_bad_inputs() -> None:
    matrix = pd.DataFrame(np.random.default_rng(18).normal(0, 0.01, (64, 4)), columns=list("abcd"))
    pbo = risk.probability_of_backtest_overfitting
    for bad in (7, 0, -2, 22, 2.0, True):
        raises_on("n_partitions", lambda bad=bad: pbo(matrix, bad))
    error = raises_on("n_partitions", lambda: pbo(matrix.iloc[:20], 16))  # 20 rows < 2 per block
    assert "at most 10" in str(error)
    raises_on("performance", lambda: pbo(matrix["a"], 4))
    raises_on("performance", lambda: pbo(matrix[["a"]], 4))
    raises_on("performance", lambda: pbo([[0.1, 0.2]] * 10, 2))
    raises_on("performance['b']", lambda: pbo(matrix.assign(b=np.inf), 4))
    raises_on("performance['d']", lambda: pbo(matrix.assign(d=np.nan), 4))
    raises_on("performance['a']", lambda: pbo(matrix.assign(a="x"), 4))
    raises_on("metric", lambda: pbo(matrix, 4, metric="sortino"))
    raises_on("metric", lambda: pbo(matrix, 4, metric=lambda m: m.mean()))  # one number, not one per trial
    raises_on("nan_policy", lambda: pbo(matrix, 4, nan_policy="drop"))
