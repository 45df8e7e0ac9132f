"""Typed results of the portfolio models: weights with their performance, frontiers.

* :class:`PortfolioWeights`: a weight vector with its expected return, volatility and
  Sharpe ratio under the ``mu`` and ``S`` it was built from (closed-form portfolios such
  as the unconstrained Black-Litterman one).
* :class:`OptimisationResult`: the same plus which objective was optimised and the
  solver's status.
* :class:`EfficientFrontier`: many optimal portfolios at once, as a table of
  return / volatility / Sharpe and a matrix of weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PortfolioWeights:
    """Portfolio weights and their ex-ante performance.

    Attributes
    ----------
    weights
        Weight per asset (decimal; 0.25 is 25 % of capital), indexed by asset.
    expected_return
        ``w' mu``, annual decimal.
    volatility
        ``sqrt(w' S w)``, annual decimal.
    sharpe_ratio
        ``(expected_return - risk_free_rate) / volatility`` (NaN when the volatility is 0).
    risk_free_rate
        Annual decimal rate used for the Sharpe ratio.
    """

    weights: pd.Series
    expected_return: float
    volatility: float
    sharpe_ratio: float
    risk_free_rate: float = 0.0

    @classmethod
    def from_weights(
        cls, weights: pd.Series, expected_returns: pd.Series, covariance: pd.DataFrame, risk_free_rate: float = 0.0
    ) -> PortfolioWeights:
        """Evaluate ``weights`` under ``expected_returns`` and ``covariance`` (labels must match)."""
        return cls(**performance_fields(weights, expected_returns, covariance, risk_free_rate))

    def summary(self) -> pd.Series:
        """Expected return, volatility and Sharpe ratio as a Series (for tables)."""
        return pd.Series(
            {"expected_return": self.expected_return, "volatility": self.volatility, "sharpe_ratio": self.sharpe_ratio}
        )


@dataclass(frozen=True)
class OptimisationResult(PortfolioWeights):
    """An optimal portfolio: weights, performance, the objective and the solver's verdict.

    Attributes
    ----------
    objective
        ``"min_volatility"``, ``"max_sharpe"``, ``"efficient_return"``, ``"efficient_risk"``,
        ``"max_quadratic_utility"`` or ``"max_return"``.
    solver_status
        cvxpy's status (``"optimal"``, or ``"optimal_inaccurate"`` when the solver stopped
        at a looser tolerance).
    solver
        Name of the solver that ran.
    """

    objective: str = ""
    solver_status: str = ""
    solver: str = ""


@dataclass(frozen=True)
class EfficientFrontier:
    """Optimal portfolios along the efficient frontier.

    Attributes
    ----------
    points
        One row per frontier point: ``target_return``, ``expected_return``,
        ``volatility``, ``sharpe_ratio``, ``solver_status``.
    weights
        One row per frontier point (same index as ``points``), one column per asset.
    risk_free_rate
        Annual decimal rate used for the Sharpe ratios.
    """

    points: pd.DataFrame
    weights: pd.DataFrame
    risk_free_rate: float = 0.0

    def __len__(self) -> int:
        return len(self.points)

    def max_sharpe_point(self) -> PortfolioWeights:
        """The frontier point with the highest Sharpe ratio (a grid approximation of max Sharpe)."""
        best = self.points["sharpe_ratio"].idxmax()
        row = self.points.loc[best]
        return PortfolioWeights(
            weights=self.weights.loc[best].rename("weight"),
            expected_return=float(row["expected_return"]),
            volatility=float(row["volatility"]),
            sharpe_ratio=float(row["sharpe_ratio"]),
            risk_free_rate=self.risk_free_rate,
        )


def performance_fields(
    weights: pd.Series, expected_returns: pd.Series, covariance: pd.DataFrame, risk_free_rate: float = 0.0
) -> dict[str, object]:
    """The keyword arguments of :class:`PortfolioWeights` for ``weights`` under ``mu`` and ``S``."""
    w = weights.astype("float64")
    mu = expected_returns.loc[w.index].to_numpy(dtype=np.float64)
    cov = covariance.loc[w.index, w.index].to_numpy(dtype=np.float64)
    values = w.to_numpy()
    expected_return = float(values @ mu)
    volatility = float(np.sqrt(max(float(values @ cov @ values), 0.0)))
    sharpe = (expected_return - risk_free_rate) / volatility if volatility > 0 else float("nan")
    return {
        "weights": w.rename("weight"),
        "expected_return": expected_return,
        "volatility": volatility,
        "sharpe_ratio": float(sharpe),
        "risk_free_rate": float(risk_free_rate),
    }
