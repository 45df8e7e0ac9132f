"""Bad inputs to the optimisers: one test per rule, each asserting the field the message names,
and for infeasible targets the achievable limit the message quotes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local import portfolio as pf
from quantlib_local.exceptions import ValidationError


def _raises(call, field: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field, str(info.value)
    assert str(info.value).startswith(f"{field}=")
    assert "Fix:" in str(info.value)
    return info.value


def test_non_positive_definite_covariance(three_assets) -> None:
    mu, _ = three_assets
    # correlations 0.9, 0.9, -0.9 are impossible together: smallest eigenvalue -0.8
    bad = pd.DataFrame([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]], index=mu.index, columns=mu.index, dtype=float)
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, bad), "covariance")
    assert "smallest eigenvalue -0.8" in str(error)
    assert "fix_nonpositive_semidefinite" in str(error)


def test_mismatched_labels_of_mu_and_covariance(three_assets) -> None:
    mu, cov = three_assets
    renamed = mu.rename({"C": "D"})
    error = _raises(lambda: pf.MeanVarianceOptimiser(renamed, cov), "expected_returns")
    assert "['D']" in str(error) and "['C']" in str(error)


def test_sum_of_lower_bounds_above_one(three_assets) -> None:
    mu, cov = three_assets
    constraints = pf.PortfolioConstraints(weight_bounds=(0.4, 1.0))  # 3 x 0.4 = 1.2 > 1
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, constraints), "weight_bounds")
    assert "sum of lower bounds 1.2" in str(error)


def test_sum_of_upper_bounds_below_one(three_assets) -> None:
    mu, cov = three_assets
    constraints = pf.PortfolioConstraints(weight_bounds=(0.0, 0.3))  # 3 x 0.3 = 0.9 < 1
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, constraints), "weight_bounds")
    assert "sum of upper bounds 0.9" in str(error)


def test_target_return_above_the_maximum_achievable(three_assets) -> None:
    mu, cov = three_assets
    optimiser = pf.MeanVarianceOptimiser(mu, cov, pf.PortfolioConstraints(weight_bounds=(0.0, 0.5)))
    # long-only with max weight 0.5: best is 0.5 C + 0.5 B = 0.5 * 0.14 + 0.5 * 0.09 = 0.115
    error = _raises(lambda: optimiser.efficient_return(0.2), "target_return")
    assert "maximum achievable return 0.115" in str(error)


def test_target_volatility_below_the_minimum_achievable(three_assets) -> None:
    mu, cov = three_assets
    optimiser = pf.MeanVarianceOptimiser(mu, cov)
    lowest = optimiser.min_volatility().volatility
    error = _raises(lambda: optimiser.efficient_risk(lowest / 2), "target_volatility")
    assert f"minimum achievable volatility {lowest:.6g}" in str(error)


def test_risk_free_rate_above_every_return_for_max_sharpe(three_assets) -> None:
    mu, cov = three_assets
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, risk_free_rate=0.2).max_sharpe(), "risk_free_rate")
    assert "maximum achievable return 0.14" in str(error)


def test_nan_in_expected_returns(three_assets) -> None:
    mu, cov = three_assets
    mu = mu.copy()
    mu["B"] = np.nan
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov), "expected_returns")
    assert "'B'" in str(error)


def test_nan_in_covariance(three_assets) -> None:
    mu, cov = three_assets
    cov = cov.copy()
    cov.loc["A", "C"] = cov.loc["C", "A"] = np.nan
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov), "covariance")
    assert "(A, C)" in str(error)


def test_asymmetric_covariance(three_assets) -> None:
    mu, cov = three_assets
    cov = cov.copy()
    cov.loc["A", "B"] += 0.01
    _raises(lambda: pf.MeanVarianceOptimiser(mu, cov), "covariance")


def test_unknown_asset_in_group_mapping(three_assets) -> None:
    mu, cov = three_assets
    constraints = pf.PortfolioConstraints(asset_groups={"A": "bonds", "ZZZ": "bonds"}, group_bounds={"bonds": (0, 0.5)})
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, constraints), "asset_groups")
    assert "ZZZ" in str(error)


def test_group_bound_for_a_group_without_assets(three_assets) -> None:
    mu, cov = three_assets
    constraints = pf.PortfolioConstraints(asset_groups={"A": "bonds"}, group_bounds={"equity": (0.2, 0.5)})
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, constraints), "group_bounds")
    assert "equity" in str(error)


def test_group_floor_above_its_members_caps(three_assets) -> None:
    mu, cov = three_assets
    constraints = pf.PortfolioConstraints(
        weight_bounds=(0.0, 0.3), asset_bounds={"C": (0.0, 1.0)},
        asset_groups={"A": "g", "B": "g"}, group_bounds={"g": (0.7, None)},
    )
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, constraints), "group_bounds['g']")
    assert "upper bounds sum to only 0.6" in str(error)


def test_contradictory_groups_found_by_the_solver(three_assets) -> None:
    mu, cov = three_assets
    # Every limit passes the face checks (upper bounds sum to 1.05), but the group caps
    # A + C at 0.1 and B at 0.85: at most 0.95 in total, so sum(w) = 1 is out of reach.
    constraints = pf.PortfolioConstraints(
        asset_bounds={"A": (0.0, 0.1), "C": (0.0, 0.1), "B": (0.0, 0.85)},
        asset_groups={"A": "outer", "C": "outer"},
        group_bounds={"outer": (0.0, 0.1)},
    )
    optimiser = pf.MeanVarianceOptimiser(mu, cov, constraints)
    error = _raises(optimiser.min_volatility, "constraints")
    assert "infeasible" in str(error) and "outer" in str(error)


def test_open_bounds_without_budget_are_unbounded(three_assets) -> None:
    mu, cov = three_assets
    free = pf.PortfolioConstraints(weight_bounds=(None, None), fully_invested=False)
    error = _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, free).max_return(), "weight_bounds")
    assert "unbounded" in str(error)


def test_max_sharpe_needs_a_fully_invested_budget(three_assets) -> None:
    mu, cov = three_assets
    neutral = pf.PortfolioConstraints(weight_bounds=(-1, 1), market_neutral=True)
    _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, neutral).max_sharpe(), "constraints")


def test_malformed_bounds(three_assets) -> None:
    mu, cov = three_assets
    _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, pf.PortfolioConstraints(weight_bounds=(0.5, 0.1))), "weight_bounds")
    _raises(lambda: pf.MeanVarianceOptimiser(mu, cov, pf.PortfolioConstraints(asset_bounds={"Q": (0, 1)})), "asset_bounds")


def test_frontier_needs_two_points(three_assets) -> None:
    mu, cov = three_assets
    _raises(lambda: pf.MeanVarianceOptimiser(mu, cov).efficient_frontier(1), "n_points")
