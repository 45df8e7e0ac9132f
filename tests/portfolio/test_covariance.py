"""Covariance estimators and PSD checks on synthetic data; references are NumPy, pandas and
scikit-learn called directly in the test (the PyPortfolioOpt cross-checks on real prices are
in test_against_pypfopt.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.covariance import LedoitWolf

from quantlib_local import portfolio as pf
from quantlib_local.exceptions import ValidationError


def test_sample_covariance_is_numpy_cov_times_periods_per_year(synthetic_returns: pd.DataFrame) -> None:
    S = pf.sample_covariance(synthetic_returns, kind="returns")  # business days -> 252 inferred
    expected = np.cov(synthetic_returns.to_numpy(), rowvar=False, ddof=1) * 252
    np.testing.assert_allclose(S.to_numpy(), expected, rtol=1e-12)
    assert list(S.index) == list(synthetic_returns.columns)


def test_pairwise_window_uses_each_pairs_overlap(synthetic_returns: pd.DataFrame) -> None:
    staggered = synthetic_returns.copy()
    staggered.iloc[:300, 0] = np.nan  # S0 "lists" at bar 300
    S = pf.sample_covariance(staggered, kind="returns", periods_per_year=1)
    overlap = staggered.iloc[300:, [0, 1]].to_numpy()
    assert S.iloc[0, 1] == pytest.approx(np.cov(overlap, rowvar=False)[0, 1], rel=1e-12)
    full = staggered.iloc[:, [1, 2]].to_numpy()
    assert S.iloc[1, 2] == pytest.approx(np.cov(full, rowvar=False)[0, 1], rel=1e-12)
    common = pf.sample_covariance(staggered, kind="returns", periods_per_year=1, window="common")
    assert common.iloc[1, 2] == pytest.approx(np.cov(staggered.iloc[300:, [1, 2]].to_numpy(), rowvar=False)[0, 1], rel=1e-12)


def test_ledoit_wolf_identity_target_is_sklearn(synthetic_returns: pd.DataFrame) -> None:
    S = pf.ledoit_wolf_covariance(synthetic_returns, kind="returns", periods_per_year=252)
    model = LedoitWolf().fit(synthetic_returns.to_numpy())
    np.testing.assert_allclose(S.to_numpy(), model.covariance_ * 252, rtol=1e-12)
    assert S.attrs["shrinkage"] == pytest.approx(model.shrinkage_, rel=1e-12)


def test_constant_correlation_target_keeps_variances_and_shrinks_correlations(synthetic_returns: pd.DataFrame) -> None:
    shrunk = pf.ledoit_wolf_covariance(synthetic_returns, kind="returns", target="constant_correlation", periods_per_year=1)
    x = synthetic_returns.to_numpy()
    sample = np.cov(x, rowvar=False, ddof=0)  # the 1/T sample covariance the paper shrinks
    delta = shrunk.attrs["shrinkage"]
    assert 0.0 <= delta <= 1.0
    # Both sample and target have the sample variances on the diagonal.
    np.testing.assert_allclose(np.diag(shrunk.to_numpy()), np.diag(sample), rtol=1e-12)
    # Off the diagonal: (1 - delta) * sample + delta * rbar * s_i s_j.
    std = np.sqrt(np.diag(sample))
    corr = sample / np.outer(std, std)
    rbar = (corr.sum() - 5) / 20
    target = rbar * np.outer(std, std)
    np.fill_diagonal(target, np.diag(sample))
    np.testing.assert_allclose(shrunk.to_numpy(), delta * target + (1 - delta) * sample, rtol=1e-12)


def test_exponential_covariance_matches_pandas_ewm_of_cross_products(synthetic_returns: pd.DataFrame) -> None:
    x, y = synthetic_returns["S0"], synthetic_returns["S1"]
    expected = ((x - x.mean()) * (y - y.mean())).ewm(span=60).mean().iloc[-1] * 252
    S = pf.exponential_covariance(synthetic_returns, kind="returns", span=60)
    assert S.loc["S0", "S1"] == pytest.approx(expected, rel=1e-12)


def test_half_life_and_span_with_the_same_decay_agree(synthetic_returns: pd.DataFrame) -> None:
    # alpha = 2 / (span + 1) = 1 - exp(-ln 2 / h)  ->  h = -ln 2 / ln(1 - alpha)
    span = 30.0
    half_life = -math.log(2) / math.log(1 - 2 / (span + 1))
    by_span = pf.exponential_covariance(synthetic_returns, kind="returns", span=span)
    by_half_life = pf.exponential_covariance(synthetic_returns, kind="returns", half_life=half_life)
    np.testing.assert_allclose(by_span.to_numpy(), by_half_life.to_numpy(), rtol=1e-12)


def test_exponential_covariance_with_a_huge_span_is_the_population_covariance(synthetic_returns: pd.DataFrame) -> None:
    # weights (1 - 2 / (span + 1)) ** age -> 1: equal weights and a 1/T average
    S = pf.exponential_covariance(synthetic_returns, kind="returns", span=1e12, periods_per_year=1)
    np.testing.assert_allclose(S.to_numpy(), np.cov(synthetic_returns.to_numpy(), rowvar=False, ddof=0), rtol=1e-8)


def test_exponential_covariance_rejects_span_and_half_life_together(synthetic_returns: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as info:
        pf.exponential_covariance(synthetic_returns, kind="returns", span=10, half_life=5)
    assert info.value.field == "half_life"


def test_non_positive_semidefinite_matrix_names_the_smallest_eigenvalue() -> None:
    # rho(A,B) = rho(B,C) = 0.9, rho(A,C) = -0.9 is not a correlation matrix: eigenvalues
    # of [[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]] are 1.9, 1.9, -0.8.
    names = ["A", "B", "C"]
    bad = pd.DataFrame([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]], index=names, columns=names, dtype=float)
    assert not pf.is_positive_semidefinite(bad)
    with pytest.raises(ValidationError) as info:
        pf.check_positive_semidefinite(bad)
    assert info.value.field == "covariance"
    assert "smallest eigenvalue -0.8" in str(info.value)
    assert "ledoit_wolf_covariance" in str(info.value) and "fix_nonpositive_semidefinite" in str(info.value)


@pytest.mark.parametrize("method", ["spectral", "diagonal"])
def test_fix_nonpositive_semidefinite_repairs(method: str) -> None:
    names = ["A", "B", "C"]
    bad = pd.DataFrame([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]], index=names, columns=names, dtype=float)
    fixed = pf.fix_nonpositive_semidefinite(bad, method=method)  # type: ignore[arg-type]
    assert pf.is_positive_semidefinite(fixed)
    assert np.linalg.eigvalsh(fixed.to_numpy()).min() >= -1e-12
    if method == "spectral":  # only the negative eigen-direction changes: eigenvalues 1.9, 1.9, 0
        np.testing.assert_allclose(np.linalg.eigvalsh(fixed.to_numpy()), [0.0, 1.9, 1.9], atol=1e-12)
    else:  # diagonal + 1.1 * 0.8
        np.testing.assert_allclose(np.diag(fixed.to_numpy()), 1 + 0.88, rtol=1e-12)


def test_fix_leaves_a_valid_matrix_unchanged(three_assets: tuple[pd.Series, pd.DataFrame]) -> None:
    _, cov = three_assets
    pd.testing.assert_frame_equal(pf.fix_nonpositive_semidefinite(cov), cov)


def test_covariance_and_correlation_round_trip(three_assets: tuple[pd.Series, pd.DataFrame]) -> None:
    _, cov = three_assets
    corr = pf.correlation_from_covariance(cov)
    vols = pd.Series(np.sqrt(np.diag(cov.to_numpy())), index=cov.index)
    np.testing.assert_allclose(pf.covariance_from_correlation(corr, vols).to_numpy(), cov.to_numpy(), rtol=1e-14)
    assert corr.loc["A", "B"] == pytest.approx(0.3, rel=1e-14)


def test_an_asset_listed_on_the_last_bar_is_rejected_by_name() -> None:
    # B's only price is on the last row: no return at all, so no covariance with anyone.
    index = pd.bdate_range("2024-01-01", periods=4, tz="UTC")
    prices = pd.DataFrame({"A": [10.0, 11.0, 12.0, 11.0], "B": [np.nan, np.nan, np.nan, 5.0]}, index=index)
    with pytest.raises(ValidationError) as info:
        pf.sample_covariance(prices, periods_per_year=252)
    assert info.value.field == "B"
    assert "at least 2 returns" in str(info.value)


def test_pairwise_estimate_over_staggered_listings_can_fail_the_psd_check() -> None:
    # A and B move together for 400 bars; C lists at bar 400, after which A and B move
    # oppositely, C copies A. Pairwise: corr(A, B) stays strongly positive (its long history)
    # while corr(A, C) = 1 and corr(B, C) = -1 on the late bars: no valid correlation matrix.
    rng = np.random.default_rng(5)
    early, late = rng.normal(0, 0.01, 400), rng.normal(0, 0.01, 40)
    a = np.concatenate([early, late])
    b = np.concatenate([early, -late])
    c = np.concatenate([np.full(400, np.nan), late])
    returns = pd.DataFrame({"A": a, "B": b, "C": c}, index=pd.bdate_range("2020-01-01", periods=440, tz="UTC"))
    with pytest.raises(ValidationError) as info:
        pf.sample_covariance(returns, kind="returns")
    assert info.value.field == "covariance" and "smallest eigenvalue -" in str(info.value)
    assert "window='common'" in str(info.value)
    common = pf.sample_covariance(returns, kind="returns", window="common")  # one window: PSD by construction
    assert pf.is_positive_semidefinite(common)
