"""Markowitz portfolios against closed forms (Merton 1972, "An analytic derivation of the
efficient portfolio frontier", JFQA 7(4)): with only the budget constraint and
``A = 1' S^-1 1``, ``B = 1' S^-1 mu``, ``C = mu' S^-1 mu``, ``D = AC - B^2``:

* minimum variance ``w = S^-1 1 / A``;
* tangency ``w = S^-1 (mu - rf) / 1' S^-1 (mu - rf)``;
* target return t: ``w = [(C - B t) S^-1 1 + (A t - B) S^-1 mu] / D`` with variance
  ``(A t^2 - 2 B t + C) / D``;
* market neutral (``1'w = 0``), target t: ``w = t (A S^-1 mu - B S^-1 1) / D``.

The reference numbers are computed from these formulas with NumPy in each test.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from quantlib_local import portfolio as pf
from quantlib_local.portfolio import markowitz

OPEN = pf.PortfolioConstraints(weight_bounds=(None, None))
TOL = 1e-6  # CLARABEL's default tolerances give weights to ~1e-8; 1e-6 leaves room across platforms


def _merton(mu: pd.Series, cov: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float, float, float, float]:
    inv = np.linalg.inv(cov.to_numpy())
    ones, m = np.ones(len(mu)), mu.to_numpy()
    a, b, c = ones @ inv @ ones, ones @ inv @ m, m @ inv @ m
    return inv @ ones, inv @ m, a, b, c, a * c - b * b


def test_min_volatility_unconstrained_is_inverse_covariance_times_ones(three_assets) -> None:
    mu, cov = three_assets
    inv_ones, _, a, *_ = _merton(mu, cov)
    result = pf.MeanVarianceOptimiser(mu, cov, OPEN).min_volatility()
    np.testing.assert_allclose(result.weights.to_numpy(), inv_ones / a, atol=TOL)
    assert result.volatility == pytest.approx(math.sqrt(1 / a), rel=1e-6)
    assert result.objective == "min_volatility" and result.solver_status == "optimal"


def test_two_asset_long_only_min_volatility() -> None:
    # w_A = (s_B^2 - c) / (s_A^2 + s_B^2 - 2c) with s_A = 0.2, s_B = 0.3, c = 0.2 * 0.3 * 0.25 = 0.015:
    # (0.09 - 0.015) / (0.04 + 0.09 - 0.03) = 0.75
    mu = pd.Series({"A": 0.05, "B": 0.08})
    cov = pd.DataFrame([[0.04, 0.015], [0.015, 0.09]], index=mu.index, columns=mu.index)
    result = pf.MeanVarianceOptimiser(mu, cov).min_volatility()
    np.testing.assert_allclose(result.weights.to_numpy(), [0.75, 0.25], atol=TOL)


def test_max_sharpe_unconstrained_is_the_tangency_portfolio(three_assets) -> None:
    mu, cov = three_assets
    rf = 0.02
    excess = np.linalg.solve(cov.to_numpy(), mu.to_numpy() - rf)
    result = pf.MeanVarianceOptimiser(mu, cov, OPEN, risk_free_rate=rf).max_sharpe()
    np.testing.assert_allclose(result.weights.to_numpy(), excess / excess.sum(), atol=TOL)
    # Tangency Sharpe ratio = sqrt((mu - rf)' S^-1 (mu - rf))
    assert result.sharpe_ratio == pytest.approx(math.sqrt((mu.to_numpy() - rf) @ excess), rel=1e-7)


def test_efficient_return_unconstrained_is_mertons_two_fund_portfolio(three_assets) -> None:
    mu, cov = three_assets
    inv_ones, inv_mu, a, b, c, d = _merton(mu, cov)
    target = 0.11
    expected = ((c - b * target) * inv_ones + (a * target - b) * inv_mu) / d
    result = pf.MeanVarianceOptimiser(mu, cov, OPEN).efficient_return(target)
    np.testing.assert_allclose(result.weights.to_numpy(), expected, atol=TOL)
    assert result.expected_return == pytest.approx(target, abs=1e-9)
    assert result.volatility**2 == pytest.approx((a * target**2 - 2 * b * target + c) / d, rel=1e-6)


def test_efficient_risk_unconstrained_reaches_the_upper_branch(three_assets) -> None:
    mu, cov = three_assets
    _, _, a, b, c, d = _merton(mu, cov)
    sigma = 0.15
    # invert the frontier variance (A t^2 - 2 B t + C) / D = sigma^2, upper root
    target = (b + math.sqrt(b * b - a * (c - d * sigma**2))) / a
    result = pf.MeanVarianceOptimiser(mu, cov, OPEN).efficient_risk(sigma)
    assert result.volatility == pytest.approx(sigma, rel=1e-6)
    assert result.expected_return == pytest.approx(target, rel=1e-6)


def test_market_neutral_target_return(three_assets) -> None:
    mu, cov = three_assets
    inv_ones, inv_mu, a, b, _, d = _merton(mu, cov)
    target = 0.04
    constraints = pf.PortfolioConstraints(weight_bounds=(-1.0, 1.0), market_neutral=True)
    result = pf.MeanVarianceOptimiser(mu, cov, constraints).efficient_return(target)
    np.testing.assert_allclose(result.weights.to_numpy(), target * (a * inv_mu - b * inv_ones) / d, atol=TOL)
    assert result.weights.sum() == pytest.approx(0.0, abs=1e-9)


def test_max_quadratic_utility_without_budget_is_inverse_covariance_times_mu(three_assets) -> None:
    mu, cov = three_assets
    free = pf.PortfolioConstraints(weight_bounds=(None, None), fully_invested=False)
    result = pf.MeanVarianceOptimiser(mu, cov, free).max_quadratic_utility(risk_aversion=3.0)
    np.testing.assert_allclose(result.weights.to_numpy(), np.linalg.solve(3.0 * cov.to_numpy(), mu.to_numpy()), atol=TOL)


def test_asset_bounds_and_group_limits_are_respected(three_assets) -> None:
    mu, cov = three_assets
    constraints = pf.PortfolioConstraints(
        weight_bounds=(0.0, 0.8),
        asset_bounds={"A": (0.1, 0.5)},
        asset_groups={"B": "risky", "C": "risky"},
        group_bounds={"risky": (0.6, None)},
    )
    result = pf.MeanVarianceOptimiser(mu, cov, constraints).min_volatility()
    w = result.weights
    unconstrained = pf.MeanVarianceOptimiser(mu, cov).min_volatility().weights
    assert unconstrained["B"] + unconstrained["C"] < 0.6  # the group floor binds
    assert w["B"] + w["C"] == pytest.approx(0.6, abs=1e-7)
    assert 0.1 - 1e-8 <= w["A"] <= 0.5 + 1e-8
    assert (w >= -1e-8).all() and (w <= 0.8 + 1e-8).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-9)


def test_frontier_points_are_the_individual_efficient_portfolios(three_assets) -> None:
    mu, cov = three_assets
    optimiser = pf.MeanVarianceOptimiser(mu, cov)
    frontier = optimiser.efficient_frontier(n_points=7)
    assert len(frontier) == 7 and list(frontier.weights.columns) == list(mu.index)
    assert (frontier.points["solver_status"] == "optimal").all()
    assert frontier.points["expected_return"].iloc[0] == pytest.approx(optimiser.min_volatility().expected_return, abs=1e-9)
    assert frontier.points["expected_return"].iloc[-1] == pytest.approx(mu.max(), abs=1e-9)  # long-only max: all in C
    assert np.all(np.diff(frontier.points["volatility"].to_numpy()) > 0)  # the efficient branch rises
    for row in (1, 4):
        single = optimiser.efficient_return(float(frontier.points["target_return"].iloc[row]))
        np.testing.assert_allclose(frontier.weights.iloc[row].to_numpy(), single.weights.to_numpy(), atol=TOL)


def test_frontier_compiles_one_problem_for_all_points(three_assets, monkeypatch: pytest.MonkeyPatch) -> None:
    mu, cov = three_assets
    optimiser = pf.MeanVarianceOptimiser(mu, cov)
    optimiser.min_volatility(), optimiser.return_range()  # warm the range so only the frontier counts
    built: list[cp.Problem] = []

    class CountingProblem(cp.Problem):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(markowitz.cp, "Problem", CountingProblem)
    optimiser.efficient_frontier(n_points=25, return_range=(0.07, 0.12))
    assert len(built) == 1


def test_max_sharpe_beats_every_frontier_point(three_assets) -> None:
    mu, cov = three_assets
    optimiser = pf.MeanVarianceOptimiser(mu, cov, risk_free_rate=0.01)
    best = optimiser.max_sharpe()
    frontier = optimiser.efficient_frontier(n_points=40)
    assert best.sharpe_ratio >= frontier.points["sharpe_ratio"].max() - 1e-9
    assert frontier.max_sharpe_point().sharpe_ratio == pytest.approx(best.sharpe_ratio, rel=1e-3)


def test_result_types_are_frozen(three_assets) -> None:
    mu, cov = three_assets
    result = pf.MeanVarianceOptimiser(mu, cov).min_volatility()
    assert isinstance(result, pf.OptimisationResult) and isinstance(result, pf.PortfolioWeights)
    with pytest.raises(AttributeError):
        result.volatility = 0.0  # type: ignore[misc]
    assert set(result.summary().index) == {"expected_return", "volatility", "sharpe_ratio"}


def test_labels_are_aligned_by_name_not_position(three_assets) -> None:
    mu, cov = three_assets
    shuffled = cov.loc[["C", "A", "B"], ["C", "A", "B"]]
    a = pf.MeanVarianceOptimiser(mu, cov).min_volatility().weights
    b = pf.MeanVarianceOptimiser(mu, shuffled).min_volatility().weights
    pd.testing.assert_series_equal(a, b, atol=1e-10)
