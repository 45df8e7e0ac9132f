"""Cross-checks against PyPortfolioOpt (``pypfopt``, the dev extra pins >= 1.5; checked with
1.6.0) and scikit-learn on real prices: 20 US stocks, daily, 1989-2018, listed at different
dates (see conftest.py).

Estimators must agree to floating-point summation order (rtol 1e-10), with convention
differences bridged explicitly, never by loosening the tolerance:

* PyPortfolioOpt annualises with ``frequency=252``; we infer 252 from the index.
* Its Ledoit-Wolf code fills missing returns with 0; ours uses the common window, so both
  get the common-window prices (where there is nothing to fill).
* Its constant-correlation shrinkage uses the ``ddof=1`` sample covariance as ``S``; the
  paper (and we) use the ``1/T`` one, so the test hands it ``S = X'X / T``.

Optimal weights must agree to 1e-4 (absolute, per asset): both libraries hand the same
convex problem to cvxpy, but PyPortfolioOpt runs cvxpy's default QP solver (OSQP, a
first-order method stopping at ~1e-5 relative accuracy before polishing) while we run
CLARABEL (interior point, tolerances 1e-10). Measured differences are 1e-11 to 2e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local import portfolio as pf

pypfopt = pytest.importorskip("pypfopt", reason="PyPortfolioOpt is the reference; install the dev extra")
from pypfopt import black_litterman as pypfopt_bl  # noqa: E402
from pypfopt import expected_returns as pypfopt_er  # noqa: E402
from pypfopt import risk_models as pypfopt_rm  # noqa: E402
from pypfopt.efficient_frontier import EfficientFrontier as PyPortfolioOptFrontier  # noqa: E402

RTOL = 1e-10
WEIGHT_TOL = 1e-4


@pytest.fixture(scope="module")
def mu_and_covariances(stock_prices: pd.DataFrame) -> tuple[pd.Series, dict[str, pd.DataFrame]]:
    mu = pf.mean_historical_return(stock_prices)
    return mu, {
        "sample": pf.sample_covariance(stock_prices),
        "ledoit_wolf": pf.ledoit_wolf_covariance(stock_prices),
    }


def test_mean_historical_return_geometric_and_arithmetic(stock_prices: pd.DataFrame) -> None:
    for method, compounding in (("geometric", True), ("arithmetic", False)):
        ours = pf.mean_historical_return(stock_prices, method=method)
        reference = pypfopt_er.mean_historical_return(stock_prices, compounding=compounding, frequency=252)
        pd.testing.assert_series_equal(ours, reference, rtol=RTOL, check_names=False)


def test_capm_return_with_equal_weighted_market_on_the_common_window(common_window_prices: pd.DataFrame) -> None:
    # On the common window both estimate betas on the same bars (pypfopt drops incomplete rows).
    ours = pf.capm_return(common_window_prices, risk_free_rate=0.02)
    reference = pypfopt_er.capm_return(common_window_prices, risk_free_rate=0.02, frequency=252)
    pd.testing.assert_series_equal(ours, reference, rtol=RTOL, check_names=False)


def test_sample_covariance_pairwise_over_staggered_listings(stock_prices: pd.DataFrame) -> None:
    ours = pf.sample_covariance(stock_prices)
    pd.testing.assert_frame_equal(ours, pypfopt_rm.sample_cov(stock_prices, frequency=252), rtol=RTOL)


def test_exponential_covariance_pairwise(stock_prices: pd.DataFrame) -> None:
    ours = pf.exponential_covariance(stock_prices, span=180)
    pd.testing.assert_frame_equal(ours, pypfopt_rm.exp_cov(stock_prices, span=180, frequency=252), rtol=1e-9)


def test_ledoit_wolf_matches_pypfopt_and_sklearn(common_window_prices: pd.DataFrame) -> None:
    from sklearn.covariance import LedoitWolf

    ours = pf.ledoit_wolf_covariance(common_window_prices)
    shrinkage = pypfopt_rm.CovarianceShrinkage(common_window_prices, frequency=252)
    pd.testing.assert_frame_equal(ours, shrinkage.ledoit_wolf("constant_variance"), rtol=RTOL)
    assert ours.attrs["shrinkage"] == pytest.approx(shrinkage.delta, rel=RTOL)
    model = LedoitWolf().fit(common_window_prices.pct_change().dropna().to_numpy())
    np.testing.assert_allclose(ours.to_numpy(), model.covariance_ * 252, rtol=RTOL)


def test_constant_correlation_shrinkage_matches_pypfopt_given_the_papers_sample(common_window_prices: pd.DataFrame) -> None:
    ours = pf.ledoit_wolf_covariance(common_window_prices, target="constant_correlation")
    shrinkage = pypfopt_rm.CovarianceShrinkage(common_window_prices, frequency=252)
    x = shrinkage.X.to_numpy() - shrinkage.X.to_numpy().mean(axis=0)
    shrinkage.S = x.T @ x / len(x)  # the 1/T sample covariance of Ledoit & Wolf (2004)
    reference = shrinkage.ledoit_wolf("constant_correlation")
    pd.testing.assert_frame_equal(ours, reference, rtol=RTOL)
    assert ours.attrs["shrinkage"] == pytest.approx(shrinkage.delta, rel=RTOL)


@pytest.mark.parametrize("estimator", ["sample", "ledoit_wolf"])
@pytest.mark.parametrize(
    ("objective", "ours", "theirs"),
    [
        ("min_volatility", lambda o: o.min_volatility(), lambda ef: ef.min_volatility()),
        ("max_sharpe", lambda o: o.max_sharpe(), lambda ef: ef.max_sharpe(risk_free_rate=0.02)),
        ("efficient_return", lambda o: o.efficient_return(0.25), lambda ef: ef.efficient_return(0.25)),
        ("efficient_risk", lambda o: o.efficient_risk(0.22), lambda ef: ef.efficient_risk(0.22)),
    ],
)
def test_optimal_weights_match_pypfopt(mu_and_covariances, estimator: str, objective: str, ours, theirs) -> None:
    mu, covariances = mu_and_covariances
    cov = covariances[estimator]
    result = ours(pf.MeanVarianceOptimiser(mu, cov, risk_free_rate=0.02))
    reference = PyPortfolioOptFrontier(mu, cov)
    theirs(reference)
    difference = np.abs(result.weights.to_numpy() - reference.weights).max()
    assert difference < WEIGHT_TOL, f"{objective}/{estimator}: max weight difference {difference:.2e}"
    expected_return, volatility, _ = reference.portfolio_performance(risk_free_rate=0.02)
    assert result.expected_return == pytest.approx(expected_return, abs=1e-5)
    assert result.volatility == pytest.approx(volatility, abs=1e-5)


def test_bounded_and_sector_constrained_weights_match_pypfopt(mu_and_covariances) -> None:
    mu, covariances = mu_and_covariances
    sectors = {"XOM": "energy", "RRC": "energy", "BAC": "financials", "JPM": "financials", "MA": "financials"}
    limits = {"energy": (0.05, 0.10), "financials": (None, 0.20)}
    ours = pf.MeanVarianceOptimiser(
        mu, covariances["ledoit_wolf"],
        pf.PortfolioConstraints(weight_bounds=(0.0, 0.15), asset_groups=sectors, group_bounds=limits),
    ).efficient_return(0.2)
    reference = PyPortfolioOptFrontier(mu, covariances["ledoit_wolf"], weight_bounds=(0.0, 0.15))
    reference.add_sector_constraints(sectors, {"energy": 0.05}, {"energy": 0.10, "financials": 0.20})
    reference.efficient_return(0.2)
    assert np.abs(ours.weights.to_numpy() - reference.weights).max() < WEIGHT_TOL
    assert 0.05 - 1e-7 <= ours.weights[["XOM", "RRC"]].sum() <= 0.10 + 1e-7


def test_frontier_matches_a_pypfopt_loop(mu_and_covariances) -> None:
    # From the minimum-volatility return to 99 % of the way to the maximum return: at the top
    # the feasible set shrinks to one vertex (all in MA) and OSQP, PyPortfolioOpt's default,
    # stops at its iteration limit there (at 99.9 % it still answers, but 1.5e-4 off).
    mu, covariances = mu_and_covariances
    optimiser = pf.MeanVarianceOptimiser(mu, covariances["sample"])
    low, high = optimiser.min_volatility().expected_return, optimiser.return_range()[1]
    frontier = optimiser.efficient_frontier(n_points=12, return_range=(low, low + 0.99 * (high - low)))
    worst = 0.0
    for target, weights in zip(frontier.points["target_return"], frontier.weights.to_numpy(), strict=True):
        reference = PyPortfolioOptFrontier(mu, covariances["sample"])
        reference.efficient_return(float(target))
        worst = max(worst, float(np.abs(weights - reference.weights).max()))
    assert worst < WEIGHT_TOL


def test_black_litterman_posterior_matches_pypfopt(mu_and_covariances, stock_prices: pd.DataFrame) -> None:
    _, covariances = mu_and_covariances
    cov = covariances["ledoit_wolf"]
    caps = pd.Series(np.linspace(1.0, 3.0, len(cov)), index=cov.index)  # illustrative market caps
    pi = pf.equilibrium_returns(caps, cov, risk_aversion=3.0, risk_free_rate=0.01)
    pd.testing.assert_series_equal(
        pi, pypfopt_bl.market_implied_prior_returns(caps, 3.0, cov, risk_free_rate=0.01), rtol=RTOL, check_names=False
    )
    views = [pf.View.absolute("AAPL", 0.10, confidence=0.6), pf.View.relative("GOOG", "FB", by=0.02, confidence=0.3)]
    ours = pf.black_litterman_posterior(pi, cov, views, tau=0.05, view_uncertainty="idzorek")
    reference = pypfopt_bl.BlackLittermanModel(
        cov, pi=pi, P=ours.pick_matrix.to_numpy(), Q=ours.view_returns.to_numpy(),
        omega="idzorek", view_confidences=[0.6, 0.3], tau=0.05,
    )
    np.testing.assert_allclose(ours.expected_returns.to_numpy(), reference.bl_returns().to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours.covariance.to_numpy(), reference.bl_cov().to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(np.diag(ours.view_uncertainty), np.diag(reference.omega), rtol=RTOL)


def test_market_implied_risk_aversion_matches_pypfopt(stock_prices: pd.DataFrame) -> None:
    market = stock_prices["WMT"]  # any long price history serves as the "market" here
    ours = pf.market_implied_risk_aversion(market, risk_free_rate=0.02)
    reference = pypfopt_bl.market_implied_risk_aversion(market.dropna(), frequency=252, risk_free_rate=0.02)
    assert ours == pytest.approx(float(reference), rel=RTOL)


def test_discrete_allocation_integer_program_matches_pypfopt_objective(stock_prices: pd.DataFrame, mu_and_covariances) -> None:
    from pypfopt.discrete_allocation import DiscreteAllocation as PyPortfolioOptAllocation

    from quantlib_local.portfolio._solve import mip_solver

    if mip_solver() is None:
        pytest.skip("no cvxpy solver for integer programs is installed")
    mu, covariances = mu_and_covariances
    weights = pf.clean_weights(pf.MeanVarianceOptimiser(mu, covariances["ledoit_wolf"]).max_sharpe())
    latest = stock_prices.iloc[-1]
    ours = pf.discrete_allocation(weights, latest, 20_000.0, method="integer_program")
    held = weights[weights > 0]
    reference = PyPortfolioOptAllocation(held.to_dict(), latest[held.index], total_portfolio_value=20_000.0)
    shares, leftover = reference.lp_portfolio(solver=mip_solver())
    theirs = leftover + sum(abs(held[a] * 20_000.0 - shares.get(a, 0) * latest[a]) for a in held.index)
    # Both minimise leftover + sum |target value - held value|; optima agree (solutions may tie).
    assert ours.deviation == pytest.approx(theirs, abs=1e-4)
