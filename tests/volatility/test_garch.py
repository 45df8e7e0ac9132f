"""fit_garch and GarchFit (quantlib_local.volatility.garch).

References: ``arch`` itself (called directly on the same percent-scale data), the true
parameters of SYNTHETIC GARCH(1,1) series from ``quantlib_local.data.garch_bars``, the
textbook identities of GARCH(1,1) (Bollerslev 1986: persistence ``alpha + beta``, long-run
variance ``omega / (1 - alpha - beta)``), Nelson (1991) for the EGARCH long-run variance,
and real S&P 500 returns bundled with arch.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from arch.univariate import EGARCH, Normal, ZeroMean
from scipy import stats

from quantlib_local.data import garch_bars, load_bundled
from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.garch import GarchConvergenceWarning, fit_garch
from quantlib_local.volatility.garch_engine import egarch_unconditional_variance, single_threaded_blas

TRUE = {"omega": 2e-6, "alpha": 0.08, "beta": 0.9}


@pytest.fixture(scope="module")
def synthetic() -> pd.Series:
    """SYNTHETIC: 4,000 daily GARCH(1,1) log returns with the TRUE parameters, zero drift."""
    return garch_bars(4_000, **TRUE, seed=11).log_returns


@pytest.fixture(scope="module")
def sp500() -> pd.Series:
    """Real daily S&P 500 simple returns, 1999-2018 (bundled with arch)."""
    return load_bundled("sp500")["close"].pct_change().dropna()


def test_recovers_the_true_parameters_of_a_synthetic_garch(synthetic: pd.Series) -> None:
    fit = fit_garch(synthetic)
    assert fit.converged
    for name, value in TRUE.items():
        assert abs(fit.params[name] - value) < 3.0 * fit.std_errors[name], name
    assert abs(fit.params["mu"]) < 3.0 * fit.std_errors["mu"]


def test_matches_arch_called_directly_on_percent_returns(sp500: pd.Series) -> None:
    percent = sp500 * 100.0
    ours = fit_garch(percent, "gjr", "t", scale=1.0)
    # Our fits pin BLAS to one thread (garch_engine.single_threaded_blas); the optimiser's path
    # depends on BLAS rounding, so the reference runs pinned too for a bit-level comparison.
    with single_threaded_blas():
        reference = arch_model(percent, p=1, o=1, q=1, dist="t").fit(disp="off", options={"maxiter": 500})
    np.testing.assert_allclose(ours.params.to_numpy(), reference.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), reference.std_err.to_numpy(), rtol=1e-10)
    assert ours.loglikelihood == pytest.approx(reference.loglikelihood, rel=1e-12)
    assert ours.aic == pytest.approx(reference.aic, rel=1e-12)
    assert ours.bic == pytest.approx(reference.bic, rel=1e-12)
    np.testing.assert_allclose(ours.conditional_volatility, reference.conditional_volatility, rtol=1e-12)
    assert ours.params.index.tolist() == ["mu", "omega", "alpha", "gamma", "beta", "nu"]


def test_results_come_back_in_the_callers_units(sp500: pd.Series) -> None:
    # Decimal returns are fitted at scale 100 (auto); the same numbers in percent at scale 1.
    decimal = fit_garch(sp500)
    percent = fit_garch(sp500 * 100.0, scale=1.0)
    assert decimal.scale == 100.0
    factor = pd.Series({"mu": 100.0, "omega": 1e4, "alpha": 1.0, "beta": 1.0})
    np.testing.assert_allclose((decimal.params * factor).to_numpy(), percent.params.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose((decimal.std_errors * factor).to_numpy(), percent.std_errors.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(decimal.conditional_volatility * 100.0, percent.conditional_volatility, rtol=1e-9)
    # The density of r is 100 times that of 100 r: loglik(r) = loglik(100 r) + n log(100).
    assert decimal.loglikelihood == pytest.approx(percent.loglikelihood + decimal.nobs * math.log(100.0), rel=1e-12)
    assert decimal.persistence == pytest.approx(percent.persistence, rel=1e-12)


def test_egarch_intercept_is_converted_through_the_log_variance(sp500: pd.Series) -> None:
    # log sigma^2 shifts by 2 log(100) between decimal and percent returns, so
    # omega_decimal = omega_percent - 2 log(100) (1 - beta); alpha, gamma, beta unchanged.
    decimal = fit_garch(sp500, "egarch")
    percent = fit_garch(sp500 * 100.0, "egarch", scale=1.0)
    beta = percent.params["beta"]
    assert decimal.params["omega"] == pytest.approx(percent.params["omega"] - 2 * math.log(100.0) * (1 - beta), rel=1e-9)
    for name in ("alpha", "gamma", "beta"):
        assert decimal.params[name] == pytest.approx(percent.params[name], rel=1e-9)
    np.testing.assert_allclose(decimal.conditional_volatility * 100.0, percent.conditional_volatility, rtol=1e-9)


def test_real_equity_returns_show_leverage_and_fat_tails(sp500: pd.Series) -> None:
    fit = fit_garch(sp500, "gjr", "t")
    assert fit.converged
    assert fit.params["gamma"] > 0 and fit.pvalues["gamma"] < 1e-6  # falls raise volatility more
    assert 4.0 < fit.params["nu"] < 12.0  # fat tails
    assert 0.95 < fit.persistence < 1.0
    assert fit.periods_per_year == 252.0  # exchange calendar inferred from the index
    assert 0.10 < fit.unconditional_volatility * math.sqrt(252.0) < 0.30


def test_garch_dynamics_follow_the_textbook_identities(synthetic: pd.Series) -> None:
    fit = fit_garch(synthetic)
    p = fit.params
    assert fit.persistence == pytest.approx(p["alpha"] + p["beta"], rel=1e-15)
    assert fit.unconditional_variance == pytest.approx(p["omega"] / (1 - p["alpha"] - p["beta"]), rel=1e-12)
    assert fit.unconditional_volatility == pytest.approx(math.sqrt(fit.unconditional_variance), rel=1e-15)
    assert fit.persistence ** fit.half_life == pytest.approx(0.5, rel=1e-12)


def test_gjr_persistence_counts_the_leverage_term_half_the_time(sp500: pd.Series) -> None:
    fit = fit_garch(sp500, "gjr")
    p = fit.params
    assert fit.persistence == pytest.approx(p["alpha"] + 0.5 * p["gamma"] + p["beta"], rel=1e-15)
    assert fit.unconditional_variance == pytest.approx(p["omega"] / (1 - fit.persistence), rel=1e-12)


def test_egarch_long_run_variance_matches_a_long_simulation() -> None:
    # Nelson (1991): E[sigma^2] = exp(omega/(1-beta)) prod_i E[exp(beta^i g(z))], checked against
    # arch's own EGARCH simulator over 400,000 bars.
    omega, alpha, gamma, beta = -0.05, 0.15, -0.08, 0.95
    simulator = ZeroMean(volatility=EGARCH(1, 1, 1), distribution=Normal(seed=np.random.default_rng(2024)))
    simulated = simulator.simulate([omega, alpha, gamma, beta], nobs=400_000, burn=2_000)
    monte_carlo = float(np.mean(simulated["volatility"].to_numpy() ** 2))
    assert egarch_unconditional_variance(omega, alpha, gamma, beta, "normal") == pytest.approx(monte_carlo, rel=0.03)
    # Without shocks the log variance sits at omega / (1 - beta).
    assert egarch_unconditional_variance(-0.1, 0.0, 0.0, 0.9, "normal") == pytest.approx(math.exp(-1.0), rel=1e-12)
    # E[exp(c|z|)] diverges for a Student-t, so does E[sigma^2].
    assert egarch_unconditional_variance(omega, alpha, gamma, beta, "t") == math.inf


def test_egarch_fit_reports_its_long_run_variance(sp500: pd.Series) -> None:
    fit = fit_garch(sp500, "egarch")
    p = fit.params
    assert fit.persistence == p["beta"]
    expected = egarch_unconditional_variance(p["omega"], p["alpha"], p["gamma"], p["beta"], "normal")
    assert fit.unconditional_variance == pytest.approx(expected, rel=1e-12)
    assert fit_garch(sp500, "egarch", "t").unconditional_variance == math.inf


def test_inference_columns_are_consistent(synthetic: pd.Series) -> None:
    fit = fit_garch(synthetic, cov_type="classic")
    table = fit.parameter_table
    assert table.columns.tolist() == ["estimate", "std_error", "t_stat", "p_value"]
    np.testing.assert_allclose(table["t_stat"], table["estimate"] / table["std_error"], rtol=1e-15)
    np.testing.assert_allclose(table["p_value"], 2 * stats.norm.sf(np.abs(table["t_stat"])), rtol=1e-12)
    assert fit.aic == pytest.approx(-2 * fit.loglikelihood + 2 * 4, rel=1e-15)
    assert fit.bic == pytest.approx(-2 * fit.loglikelihood + 4 * math.log(fit.nobs), rel=1e-15)


def test_zero_mean_and_student_t_change_the_parameters(synthetic: pd.Series) -> None:
    fit = fit_garch(synthetic, distribution="t", mean="zero")
    assert fit.params.index.tolist() == ["omega", "alpha", "beta", "nu"]
    assert fit.params["nu"] > 8.0  # the SYNTHETIC shocks are normal: the t fit needs thin tails
    np.testing.assert_allclose(fit.residuals, synthetic, rtol=1e-12)


def test_annualised_volatility_uses_the_bar_frequency(synthetic: pd.Series) -> None:
    fit = fit_garch(synthetic)
    assert fit.periods_per_year == 365.0  # SYNTHETIC bars run every day (24/7 calendar)
    np.testing.assert_allclose(fit.annualised_volatility(), fit.conditional_volatility * math.sqrt(365.0), rtol=1e-15)
    np.testing.assert_allclose(fit.annualised_volatility(252), fit.conditional_volatility * math.sqrt(252.0), rtol=1e-15)
    undated = fit_garch(synthetic.reset_index(drop=True))
    assert undated.periods_per_year is None
    with pytest.raises(ValidationError, match="periods_per_year"):
        undated.annualised_volatility()


def test_missing_bars_are_dropped(synthetic: pd.Series) -> None:
    gappy = synthetic.copy()
    gappy.iloc[:30] = np.nan
    gappy.iloc[500] = np.nan
    fit = fit_garch(gappy)
    reference = fit_garch(gappy.dropna())
    assert fit.nobs == len(synthetic) - 31
    pd.testing.assert_series_equal(fit.params, reference.params)
    assert fit.conditional_volatility.index.equals(gappy.dropna().index)


def test_standardised_residuals_have_unit_variance(synthetic: pd.Series) -> None:
    z = fit_garch(synthetic).standardised_residuals
    assert z.var() == pytest.approx(1.0, abs=0.05)


def test_summary_reports_the_fit(synthetic: pd.Series) -> None:
    text = fit_garch(synthetic, "gjr", "t").summary()
    for fragment in ("GJR-GARCH(1,1,1)", "Student-t", "log-likelihood", "converged: yes", "gamma", "nu",
                     "persistence", "half-life", "fitted on returns x 100", "annualised at 365"):
        assert fragment in text
    assert str(fit_garch(synthetic)) == fit_garch(synthetic).summary()


def test_non_convergence_warns_with_a_fix(synthetic: pd.Series) -> None:
    with pytest.warns(GarchConvergenceWarning, match=r"did not converge.*Fix: .*max_iterations \(now 2\)"):
        fit = fit_garch(synthetic, max_iterations=2)
    assert not fit.converged
    assert "WARNING: the optimiser did not converge" in fit.summary()


def test_the_result_is_frozen(synthetic: pd.Series) -> None:
    fit = fit_garch(synthetic)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.converged = False  # type: ignore[misc]


def test_fits_pin_blas_only_while_they_run(synthetic: pd.Series) -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads() -> list[int]:
        return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]

    before = blas_threads()
    with single_threaded_blas():
        assert set(blas_threads()) == {1}
        with single_threaded_blas():  # re-entrant: the inner exit does not restore
            pass
        assert set(blas_threads()) == {1}
    fit_garch(synthetic)
    assert blas_threads() == before
