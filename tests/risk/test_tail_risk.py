"""VaR (eq. 9), CVaR and the tail ratio (quantlib_local.risk.tail_risk).

References:
* Historical estimators: hand-worked order statistics below.
* Gaussian VaR: ``scipy.stats.norm.ppf`` with the sample mean and standard deviation.
* Gaussian CVaR: numerical integration of the normal lower tail,
  ``scipy.stats.norm.expect(..., ub=q, conditional=True)``.
* Cornish-Fisher VaR: the modified-VaR expansion of Zangari (1996, RiskMetrics Monitor
  Q1, "A VaR methodology for portfolios that include options") and Favre & Galeano
  (2002, Journal of Alternative Investments 5(2), "Mean-modified value-at-risk
  optimization with hedge funds"), restated independently below with the moments from
  ``scipy.stats.skew``/``scipy.stats.kurtosis`` (bias=True, Fisher excess kurtosis) and
  ``numpy.std(ddof=1)``, as in PerformanceAnalytics ``VaR(method="modified")``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from quantlib_local import risk

# Five returns sorted: -0.05, -0.03, -0.01, 0.00, 0.02.
FIVE = pd.Series([0.02, -0.03, 0.0, -0.05, -0.01])


def test_historical_var_hand_computed() -> None:
    # alpha = 0.25: linear quantile at position (5 - 1) * 0.25 = 1 -> -0.03 -> VaR 0.03 (a loss).
    assert risk.value_at_risk(FIVE, 0.75) == pytest.approx(0.03, abs=1e-15)
    # alpha = 0.125: position 0.5, halfway between -0.05 and -0.03 -> VaR 0.04.
    assert risk.value_at_risk(FIVE, 0.875) == pytest.approx(0.04, abs=1e-15)


def test_historical_cvar_hand_computed() -> None:
    # alpha = 0.25: floor(4 * 0.25) + 1 = 2 worst bars -> mean(-0.05, -0.03) = -0.04 -> CVaR 0.04.
    assert risk.conditional_value_at_risk(FIVE, 0.75) == pytest.approx(0.04, abs=1e-15)
    # alpha = 0.05: floor(4 * 0.05) + 1 = 1 worst bar -> 0.05.
    assert risk.conditional_value_at_risk(FIVE, 0.95) == pytest.approx(0.05, abs=1e-15)


def test_var_is_a_positive_loss_for_a_losing_tail() -> None:
    rng = np.random.default_rng(5)
    returns = pd.Series(rng.normal(0.0, 0.01, 2_000))
    for method in ("historical", "gaussian", "cornish_fisher"):
        assert risk.value_at_risk(returns, 0.95, method) > 0.0


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_gaussian_var_matches_normal_quantile(confidence: float) -> None:
    rng = np.random.default_rng(21)
    returns = pd.Series(rng.normal(0.0003, 0.012, 1_500))
    mu, sigma = returns.mean(), returns.std(ddof=1)
    expected = -stats.norm.ppf(1 - confidence, loc=mu, scale=sigma)
    assert risk.value_at_risk(returns, confidence, "gaussian") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_gaussian_cvar_matches_numerical_integration(confidence: float) -> None:
    rng = np.random.default_rng(22)
    returns = pd.Series(rng.normal(0.0003, 0.012, 1_500))
    mu, sigma = returns.mean(), returns.std(ddof=1)
    cut = stats.norm.ppf(1 - confidence, loc=mu, scale=sigma)
    tail_mean = stats.norm.expect(lambda x: x, loc=mu, scale=sigma, ub=cut, conditional=True)
    assert risk.conditional_value_at_risk(returns, confidence, "gaussian") == pytest.approx(-tail_mean, rel=1e-8)


def modified_var_by_hand(returns: np.ndarray, confidence: float) -> float:
    """Favre & Galeano (2002) modified VaR, restated from the paper's expansion."""
    z = stats.norm.ppf(1.0 - confidence)
    s = stats.skew(returns, bias=True)
    k = stats.kurtosis(returns, fisher=True, bias=True)
    z_cf = z + (z * z - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s * s / 36
    return -(np.mean(returns) + z_cf * np.std(returns, ddof=1))


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_cornish_fisher_var_matches_hand_formula_on_real_returns(
    confidence: float, stock_returns: dict[str, pd.Series], crypto_returns: dict[str, pd.Series]
) -> None:
    for name, returns in {**stock_returns, **crypto_returns}.items():
        ours = risk.value_at_risk(returns, confidence, "cornish_fisher")
        assert ours == pytest.approx(modified_var_by_hand(returns.to_numpy(), confidence), rel=1e-10), name


def test_cornish_fisher_quantile_worked_example() -> None:
    # z = Phi^-1(0.05) = -1.6448536269514729, S = -1, K = 3 (worked by hand, 7 decimals):
    # z^2 - 1 = 1.7055435;   (z^2 - 1) S / 6      = -0.2842572
    # z^3 - 3z = 0.4843379;  (z^3 - 3z) K / 24    = +0.0605422
    # 2z^3 - 5z = -0.6761778; -(2z^3 - 5z) S^2 / 36 = +0.0187827
    # z_cf = -1.6448536 - 0.2842572 + 0.0605422 + 0.0187827 = -1.8497859
    z = -1.6448536269514729
    assert float(risk.cornish_fisher_quantile(z, -1.0, 3.0)) == pytest.approx(-1.8497859, abs=5e-7)


def test_cornish_fisher_collapses_to_gaussian_without_higher_moments() -> None:
    z = stats.norm.ppf(0.01)
    assert float(risk.cornish_fisher_quantile(z, 0.0, 0.0)) == z
    # With skewness and kurtosis the modified VaR exceeds the Gaussian one by sigma * (z - z_cf).
    rng = np.random.default_rng(9)
    returns = pd.Series(rng.standard_t(5, 3_000) * 0.01)
    gap = risk.value_at_risk(returns, 0.99, "cornish_fisher") - risk.value_at_risk(returns, 0.99, "gaussian")
    z_cf = risk.cornish_fisher_quantile(
        z, stats.skew(returns, bias=True), stats.kurtosis(returns, bias=True)
    )
    assert gap == pytest.approx(returns.std(ddof=1) * (z - float(z_cf)), rel=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_cvar_is_at_least_var(seed: int) -> None:
    rng = np.random.default_rng(seed)
    returns = pd.Series(rng.standard_t(4, 1_000) * 0.01)
    for confidence in (0.9, 0.95, 0.99):
        assert risk.conditional_value_at_risk(returns, confidence) >= risk.value_at_risk(returns, confidence)
        assert risk.conditional_value_at_risk(returns, confidence, "gaussian") >= risk.value_at_risk(
            returns, confidence, "gaussian"
        )


def test_tail_ratio_hand_computed() -> None:
    # 0..100 step 1 shifted by -40 (percent): Q(0.95) = 55, Q(0.05) = -35 -> 55 / 35.
    returns = pd.Series((np.arange(101) - 40) / 100)
    assert risk.tail_ratio(returns) == pytest.approx(55 / 35, rel=1e-12)


def test_var_of_wide_frame_per_column() -> None:
    frame = pd.DataFrame({"x": FIVE, "y": -FIVE})
    result = risk.value_at_risk(frame, 0.75)
    assert list(result.index) == ["x", "y"]
    # y sorted: -0.02, 0, 0.01, 0.03, 0.05 -> quantile at position 1 is 0.0 -> VaR 0.
    assert result["x"] == pytest.approx(0.03, abs=1e-15) and result["y"] == pytest.approx(0.0, abs=1e-15)
    assert not math.isnan(result.sum())
