"""Portfolio construction (layer 3: pure math, no I/O).

The pipeline reads like the math (PyPortfolioOpt-style): estimate ``mu`` and ``S``,
optimise, clean the weights, buy whole lots::

    from quantlib_local import portfolio as pf

    mu = pf.mean_historical_return(prices)              # annual, per asset
    S = pf.ledoit_wolf_covariance(prices)               # annual, shrunk
    optimiser = pf.MeanVarianceOptimiser(mu, S, pf.PortfolioConstraints(weight_bounds=(0, 0.2)))
    tangency = optimiser.max_sharpe()                   # OptimisationResult
    frontier = optimiser.efficient_frontier(100)        # EfficientFrontier
    weights = pf.clean_weights(tangency)
    orders = pf.discrete_allocation(weights, prices.iloc[-1], budget=100_000)

Black-Litterman (design eq. 13)::

    pi = pf.equilibrium_returns(market_weights, S, risk_aversion=2.5)
    views = [pf.View.relative("Canada", "USA", by=0.03)]
    posterior = pf.black_litterman_posterior(pi, S, views, tau=0.05)
    w_star = posterior.unconstrained_weights(risk_aversion=2.5)

Modules: :mod:`~.expected_returns`, :mod:`~.covariance`, :mod:`~.constraints`,
:mod:`~.markowitz`, :mod:`~.black_litterman`, :mod:`~.allocation`, :mod:`~.results`.
"""

from __future__ import annotations

from quantlib_local.portfolio._solve import OptimisationError
from quantlib_local.portfolio.allocation import DiscreteAllocation, clean_weights, discrete_allocation
from quantlib_local.portfolio.black_litterman import (
    DEFAULT_RISK_AVERSION,
    DEFAULT_TAU,
    BlackLittermanPosterior,
    View,
    black_litterman_posterior,
    equilibrium_returns,
    market_implied_risk_aversion,
    view_matrices,
)
from quantlib_local.portfolio.constraints import PortfolioConstraints
from quantlib_local.portfolio.covariance import (
    check_positive_semidefinite,
    correlation_from_covariance,
    covariance_from_correlation,
    exponential_covariance,
    fix_nonpositive_semidefinite,
    is_positive_semidefinite,
    ledoit_wolf_covariance,
    sample_covariance,
)
from quantlib_local.portfolio.expected_returns import capm_return, mean_historical_return, returns_from_prices
from quantlib_local.portfolio.markowitz import MeanVarianceOptimiser
from quantlib_local.portfolio.results import EfficientFrontier, OptimisationResult, PortfolioWeights

__all__ = [
    "DEFAULT_RISK_AVERSION",
    "DEFAULT_TAU",
    "BlackLittermanPosterior",
    "DiscreteAllocation",
    "EfficientFrontier",
    "MeanVarianceOptimiser",
    "OptimisationError",
    "OptimisationResult",
    "PortfolioConstraints",
    "PortfolioWeights",
    "View",
    "black_litterman_posterior",
    "capm_return",
    "check_positive_semidefinite",
    "clean_weights",
    "correlation_from_covariance",
    "covariance_from_correlation",
    "discrete_allocation",
    "equilibrium_returns",
    "exponential_covariance",
    "fix_nonpositive_semidefinite",
    "is_positive_semidefinite",
    "ledoit_wolf_covariance",
    "market_implied_risk_aversion",
    "mean_historical_return",
    "returns_from_prices",
    "sample_covariance",
    "view_matrices",
]
