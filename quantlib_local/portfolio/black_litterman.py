"""Black-Litterman: market-implied returns blended with investor views (design eq. 13).

The pipeline reads like He & Litterman (1999), "The Intuition Behind Black-Litterman
Model Portfolios" (Goldman Sachs):

1. Equilibrium (prior) returns ``Pi = delta Sigma w_mkt`` (:func:`equilibrium_returns`),
   with the risk aversion ``delta`` given (He & Litterman use 2.5) or implied by market
   prices, ``delta = (E[r_m] - r_f) / var(r_m)`` (:func:`market_implied_risk_aversion`).
2. Views ``P mu = Q + e``, ``e ~ N(0, Omega)`` (:class:`View`): absolute ("Japan returns
   5 %") or relative ("Germany outperforms France and the UK, cap-weighted, by 5 %").
3. View uncertainty ``Omega``: ``"he_litterman"`` sets ``Omega = diag(P tau Sigma P')``
   (He & Litterman 1999); ``"idzorek"`` maps a 0-100 % confidence ``c_k`` per view to
   ``omega_k = tau (1 - c_k) / c_k  p_k Sigma p_k'``, the closed form of Idzorek's (2005)
   procedure given by Walters (2011) and used by PyPortfolioOpt: a single view's tilt is
   then exactly ``c_k`` times its 100 %-confidence tilt; 100 % confidence reproduces the
   view exactly and 0 % leaves the prior unchanged.
4. Posterior (:func:`black_litterman_posterior`), in the form that never inverts
   ``Sigma`` (so ``Omega = 0`` is allowed):
   ``mu_BL = Pi + tau Sigma P' (P tau Sigma P' + Omega)^-1 (Q - P Pi)`` and
   ``Sigma_BL = Sigma + M`` with ``M = tau Sigma - tau Sigma P' (P tau Sigma P' + Omega)^-1 P tau Sigma``,
   the posterior covariance of He & Litterman (their eq. 13 optimises against ``Sigma + M``).
5. Weights: unconstrained closed form ``w* = (delta Sigma_BL)^-1 mu_BL``
   (:meth:`BlackLittermanPosterior.unconstrained_weights`), or any constrained portfolio
   through :class:`~quantlib_local.portfolio.markowitz.MeanVarianceOptimiser` on
   ``(posterior.expected_returns, posterior.covariance)``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.portfolio._inputs import (
    DataKind,
    aligned_inputs,
    annualisation_factor,
    finite_float,
    returns_table,
)
from quantlib_local.portfolio.results import PortfolioWeights, performance_fields

logger = logging.getLogger(__name__)

ViewUncertainty: TypeAlias = Literal["he_litterman", "idzorek"]

DEFAULT_RISK_AVERSION = 2.5
"""He & Litterman (1999), p. 6: "the risk aversion parameter delta = 2.5"."""

DEFAULT_TAU = 0.05
"""He & Litterman (1999), footnote 8: tau = 0.05."""


@dataclass(frozen=True)
class View:
    """One investor view: the portfolio ``p`` (a row of ``P``) returns ``q`` (an entry of ``Q``).

    Attributes
    ----------
    portfolio
        ``{asset: weight}``; assets not named have weight 0.
    expected_return
        Annual decimal return of that portfolio (for a relative view, the outperformance).
    confidence
        Idzorek confidence in [0, 1] (only for ``view_uncertainty="idzorek"``).
    """

    portfolio: Mapping[str, float]
    expected_return: float
    confidence: float | None = None
    label: str = field(default="")

    @classmethod
    def absolute(cls, asset: str, expected_return: float, confidence: float | None = None) -> View:
        """"``asset`` will return ``expected_return``"."""
        return cls({asset: 1.0}, expected_return, confidence, label=f"{asset} returns {expected_return:.2%}")

    @classmethod
    def relative(
        cls,
        outperformers: str | Mapping[str, float],
        underperformers: str | Mapping[str, float],
        by: float,
        confidence: float | None = None,
    ) -> View:
        """"``outperformers`` beat ``underperformers`` by ``by``".

        A leg given as ``{asset: size}`` (e.g. market capitalisations) is normalised to
        weights summing to 1, so the view portfolio is long 100 % and short 100 %.
        """
        long_leg, short_leg = _leg("outperformers", outperformers), _leg("underperformers", underperformers)
        overlap = sorted(set(long_leg) & set(short_leg))
        if overlap:
            raise ValidationError("underperformers", overlap, "name each asset on one side of a relative view only")
        portfolio = {**long_leg, **{asset: -weight for asset, weight in short_leg.items()}}
        label = f"{'+'.join(long_leg)} beats {'+'.join(short_leg)} by {by:.2%}"
        return cls(portfolio, by, confidence, label=label)


def _leg(name: str, leg: str | Mapping[str, float]) -> dict[str, float]:
    if isinstance(leg, str):
        return {leg: 1.0}
    if not isinstance(leg, Mapping) or not leg:
        raise ValidationError(name, leg, "pass an asset name or a non-empty {asset: size} mapping")
    sizes = {str(k): finite_float(v, name, "pass positive sizes such as market caps", minimum=0.0, strict=True)
             for k, v in leg.items()}
    total = sum(sizes.values())
    return {asset: size / total for asset, size in sizes.items()}


@dataclass(frozen=True)
class BlackLittermanPosterior:
    """Prior, views and posterior of a Black-Litterman model.

    Attributes
    ----------
    expected_returns
        Posterior mean ``mu_BL`` per asset.
    covariance
        Posterior covariance of returns ``Sigma + M`` (use it in the optimiser).
    prior_returns
        ``Pi``.
    prior_covariance
        ``Sigma``.
    pick_matrix
        ``P`` (views x assets).
    view_returns
        ``Q``.
    view_uncertainty
        ``Omega`` (views x views, diagonal).
    tau
        Scale of the prior's uncertainty.
    """

    expected_returns: pd.Series
    covariance: pd.DataFrame
    prior_returns: pd.Series
    prior_covariance: pd.DataFrame
    pick_matrix: pd.DataFrame
    view_returns: pd.Series
    view_uncertainty: pd.DataFrame
    tau: float

    def unconstrained_weights(
        self, risk_aversion: float = DEFAULT_RISK_AVERSION, risk_free_rate: float = 0.0
    ) -> PortfolioWeights:
        """He & Litterman's optimal portfolio ``w* = (delta Sigma_BL)^-1 mu_BL`` (no budget, no bounds).

        Its weights need not sum to 1: with no views they are ``w_mkt / (1 + tau)``.
        """
        delta = finite_float(risk_aversion, "risk_aversion", "pass a positive risk aversion such as 2.5",
                             minimum=0.0, strict=True)
        weights = np.linalg.solve(delta * self.covariance.to_numpy(), self.expected_returns.to_numpy())
        series = pd.Series(weights, index=self.expected_returns.index)
        return PortfolioWeights(**performance_fields(series, self.expected_returns, self.covariance, risk_free_rate))


def market_implied_risk_aversion(
    market: pd.Series,
    *,
    kind: DataKind = "prices",
    risk_free_rate: float = 0.0,
    periods_per_year: float | None = None,
) -> float:
    """Risk aversion implied by the market portfolio, ``delta = (E[r_m] - r_f) / var(r_m)``.

    Parameters
    ----------
    market
        Prices (or simple returns, ``kind="returns"``) of a market proxy such as SPY.
    kind
        ``"prices"`` or ``"returns"``.
    risk_free_rate
        Annual decimal rate.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    float
        ``(mean * ppy - r_f) / (var * ppy)`` with the arithmetic mean and sample variance.
    """
    if not isinstance(market, pd.Series):
        raise ValidationError("market", type(market).__name__, "pass the market's prices or returns as a pandas Series")
    rf = finite_float(risk_free_rate, "risk_free_rate", "pass an annual decimal rate such as 0.02")
    returns = returns_table(market.rename("market"), kind=kind, field="market")["market"].dropna()
    if len(returns) < 2:
        raise ValidationError("market", f"{len(returns)} return(s)", "give at least two market returns")
    ppy = annualisation_factor(periods_per_year, returns.index)
    variance = float(returns.var()) * ppy
    if not variance > 0:
        raise ValidationError("market", "constant returns", "pass a market series whose returns vary")
    return (float(returns.mean()) * ppy - rf) / variance


def equilibrium_returns(
    market_weights: pd.Series,
    covariance: pd.DataFrame,
    *,
    risk_aversion: float = DEFAULT_RISK_AVERSION,
    risk_free_rate: float = 0.0,
) -> pd.Series:
    """Market-implied (reverse-optimised) returns ``Pi = delta Sigma w_mkt + r_f``.

    Parameters
    ----------
    market_weights
        Market-capitalisation weights per asset (normalised to sum to 1 if they do not;
        pass market capitalisations directly if convenient).
    covariance
        Annual covariance, same labels.
    risk_aversion
        ``delta`` (He & Litterman: 2.5; or :func:`market_implied_risk_aversion`).
    risk_free_rate
        Added to the excess returns ``delta Sigma w`` (0 gives excess returns, as in the paper).

    Returns
    -------
    Series
        ``Pi`` per asset, named ``equilibrium_return``.
    """
    weights, cov = aligned_inputs(market_weights, covariance, field="market_weights")
    if (weights < 0).any() or not weights.sum() > 0:
        raise ValidationError("market_weights", weights.to_dict(), "pass non-negative market-cap weights with a positive sum")
    weights = weights / weights.sum()
    delta = finite_float(risk_aversion, "risk_aversion", "pass a positive risk aversion such as 2.5", minimum=0.0, strict=True)
    rf = finite_float(risk_free_rate, "risk_free_rate", "pass an annual decimal rate such as 0.02")
    return (delta * (cov @ weights) + rf).rename("equilibrium_return")


def view_matrices(views: Sequence[View], assets: pd.Index) -> tuple[pd.DataFrame, pd.Series]:
    """``P`` (views x assets) and ``Q`` (per view) from a list of :class:`View`."""
    if isinstance(views, View) or not isinstance(views, Sequence) or not views:
        raise ValidationError("views", views, "pass a non-empty list of View objects")
    position = {str(a): i for i, a in enumerate(assets)}
    pick = np.zeros((len(views), len(assets)))
    returns = np.zeros(len(views))
    for k, view in enumerate(views):
        if not isinstance(view, View):
            raise ValidationError(f"views[{k}]", type(view).__name__, "build views with View.absolute or View.relative")
        unknown = sorted(str(a) for a in view.portfolio if str(a) not in position)
        if unknown:
            raise ValidationError(f"views[{k}]", unknown, f"name only assets of the prior: {list(position)[:8]}",
                                  detail="unknown asset(s) in the view")
        for asset, weight in view.portfolio.items():
            pick[k, position[str(asset)]] = finite_float(weight, f"views[{k}].portfolio", "pass finite view weights")
        if not np.any(pick[k]):
            raise ValidationError(f"views[{k}]", dict(view.portfolio), "give the view portfolio a non-zero weight")
        returns[k] = finite_float(view.expected_return, f"views[{k}].expected_return", "pass an annual decimal return")
    labels = [view.label or f"view {k}" for k, view in enumerate(views)]
    return pd.DataFrame(pick, index=labels, columns=assets), pd.Series(returns, index=labels, name="view_return")


def black_litterman_posterior(
    prior_returns: pd.Series,
    covariance: pd.DataFrame,
    views: Sequence[View],
    *,
    tau: float = DEFAULT_TAU,
    view_uncertainty: ViewUncertainty | pd.DataFrame | np.ndarray = "he_litterman",
) -> BlackLittermanPosterior:
    """Blend the prior ``Pi`` with ``views`` (design eq. 13).

    Parameters
    ----------
    prior_returns
        ``Pi``, e.g. from :func:`equilibrium_returns`.
    covariance
        ``Sigma``, same labels (positive semidefinite).
    views
        Non-empty list of :class:`View`.
    tau
        Uncertainty scale of the prior (He & Litterman: 0.05).
    view_uncertainty
        ``"he_litterman"`` (``Omega = diag(P tau Sigma P')``), ``"idzorek"`` (every view needs a
        ``confidence`` in [0, 1]), or an explicit ``k x k`` matrix ``Omega``.

    Returns
    -------
    BlackLittermanPosterior

    Examples
    --------
    >>> S = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["A", "B"], columns=["A", "B"])
    >>> pi = pd.Series({"A": 0.05, "B": 0.08})
    >>> post = black_litterman_posterior(pi, S, [View.absolute("A", 0.07, confidence=1.0)], view_uncertainty="idzorek")
    >>> round(float(post.expected_returns["A"]), 10)  # 100 % confidence reproduces the view
    0.07
    """
    prior, cov = aligned_inputs(prior_returns, covariance, field="prior_returns")
    scale = finite_float(tau, "tau", "pass a positive tau such as 0.05 (He & Litterman) or 1 / number of bars",
                         minimum=0.0, strict=True)
    pick, view_returns = view_matrices(views, prior.index)
    p, sigma = pick.to_numpy(), cov.to_numpy()
    omega = _view_uncertainty(view_uncertainty, views, p, sigma, scale)
    # Views with 0 % confidence (infinite omega) carry no information: drop them.
    informative = np.isfinite(np.diag(omega))
    p_used, q_used, omega_used = p[informative], view_returns.to_numpy()[informative], omega[np.ix_(informative, informative)]
    tau_sigma = scale * sigma
    posterior_mean, posterior_extra = prior.to_numpy(), tau_sigma
    if informative.any():
        system = p_used @ tau_sigma @ p_used.T + omega_used
        if np.linalg.matrix_rank(system) < len(system):
            raise ValidationError(
                "views", view_returns.index[informative].tolist(),
                "drop views that repeat another view (or a combination of others) with full confidence",
                detail="P tau Sigma P' + Omega is singular",
            )
        gain = np.linalg.solve(system, p_used @ tau_sigma).T  # tau Sigma P' (P tau Sigma P' + Omega)^-1
        posterior_mean = prior.to_numpy() + gain @ (q_used - p_used @ prior.to_numpy())
        posterior_extra = tau_sigma - gain @ p_used @ tau_sigma
    posterior_cov = sigma + (posterior_extra + posterior_extra.T) / 2.0
    logger.debug("black_litterman_posterior: %d view(s) (%d informative), tau=%s", len(p), int(informative.sum()), scale)
    return BlackLittermanPosterior(
        expected_returns=pd.Series(posterior_mean, index=prior.index, name="posterior_return"),
        covariance=pd.DataFrame(posterior_cov, index=prior.index, columns=prior.index),
        prior_returns=prior.rename("prior_return"),
        prior_covariance=cov,
        pick_matrix=pick,
        view_returns=view_returns,
        view_uncertainty=pd.DataFrame(omega, index=pick.index, columns=pick.index),
        tau=scale,
    )


def _view_uncertainty(
    method: ViewUncertainty | pd.DataFrame | np.ndarray, views: Sequence[View], p: np.ndarray, sigma: np.ndarray, tau: float
) -> np.ndarray:
    view_variance = np.einsum("ij,jk,ik->i", p, sigma, p)
    if isinstance(method, str) and method == "he_litterman":
        return np.diag(tau * view_variance)
    if isinstance(method, str) and method == "idzorek":
        confidences = np.array([_confidence(k, view) for k, view in enumerate(views)])
        omega = np.full(len(p), np.inf)  # 0 % confidence: an uninformative view
        sure = confidences > 0
        omega[sure] = (1.0 - confidences[sure]) / confidences[sure] * tau * view_variance[sure]
        return np.diag(omega)
    if isinstance(method, (pd.DataFrame, np.ndarray)):
        omega = np.asarray(method, dtype=np.float64)
        if omega.shape != (len(p), len(p)) or not np.isfinite(omega).all() or not np.allclose(omega, omega.T):
            raise ValidationError("view_uncertainty", f"shape {omega.shape}",
                                  f"pass a finite symmetric {len(p)} x {len(p)} matrix Omega (one row per view)")
        if np.linalg.eigvalsh(omega).min() < -1e-12 * max(1.0, np.abs(omega).max()):
            raise ValidationError("view_uncertainty", "not positive semidefinite", "pass a covariance matrix of view errors")
        return omega
    raise ValidationError("view_uncertainty", method, "pass 'he_litterman', 'idzorek' or a k x k matrix Omega")


def _confidence(k: int, view: View) -> float:
    if view.confidence is None:
        raise ValidationError(f"views[{k}].confidence", None, "give every view a confidence in [0, 1] for view_uncertainty='idzorek'")
    value = finite_float(view.confidence, f"views[{k}].confidence", "pass a confidence between 0 and 1", minimum=0.0)
    if value > 1.0:
        raise ValidationError(f"views[{k}].confidence", view.confidence, "pass a confidence between 0 and 1 (1 = 100 %)")
    return value
