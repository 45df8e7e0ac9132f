"""Target weights from the portfolio models, rebalanced on a fixed bar schedule (design eq. 12-13).

:class:`PortfolioRebalancing` is a ``"weights"`` strategy: every ``rebalance_every`` bars it
estimates a covariance (and, where needed, expected returns) on the trailing ``lookback``
returns and asks :mod:`quantlib_local.portfolio` for weights: the minimum-volatility or
maximum-Sharpe Markowitz portfolio, equal weights, or a Black-Litterman portfolio. Between
rebalances the targets stay constant, so the engine trades only on rebalance bars.

The pipeline of one rebalance reads like the math::

    window = closes of the last lookback + 1 bars, assets with a full window only
    S  = sample_covariance(window) | ledoit_wolf_covariance(window)
    mu = mean_historical_return(window)                       (max_sharpe)
    pi = equilibrium_returns(w_mkt, S, delta)                  (black_litterman)
    mu = black_litterman_posterior(pi, S, views, tau).expected_returns
    w  = MeanVarianceOptimiser(mu, S, bounds).min_volatility() | .max_sharpe()
         | .max_quadratic_utility(delta)                       (black_litterman)
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from quantlib_local import portfolio as pf
from quantlib_local.core.bars import FIELD_LEVEL, INDEX_NAME, SYMBOL_LEVEL
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import periods_per_year as infer_periods_per_year
from quantlib_local.strategies.base import IncrementalStrategy, Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.parameters import ChoiceParameter, FloatParameter, IntParameter
from quantlib_local.strategies.registry import register_strategy

logger = logging.getLogger(__name__)

_BOUND_SLACK = 1e-9
"""Solver noise tolerated beyond a weight bound before the weight is clipped back to it."""


@register_strategy
class PortfolioRebalancing(Strategy):
    """Markowitz, equal-weight or Black-Litterman target weights, rebalanced every ``rebalance_every`` bars.

    Rebalance bars sit at absolute positions ``lookback, lookback + rebalance_every, ...``
    counted from the first bar, so a prefix of the data rebalances on the same bars as
    the whole. Each rebalance uses the closes of the last ``lookback + 1`` bars (``lookback``
    returns). Before the first rebalance every weight is 0.

    Assets without a close on every bar of the window (not yet listed, or a gap) get weight
    0 at that rebalance and are left out of the estimation and the optimisation. A held
    weight is reported as 0 on any bar where its asset has no close (the engine cannot
    trade it there); otherwise the targets are constant between rebalances.

    When the optimiser cannot answer (infeasible bounds, e.g. ``max_weight * n < 1``; no
    portfolio earning more than ``risk_free_rate`` for ``max_sharpe``; a solver failure),
    the previous weights are kept and a warning is logged; the vectorised and incremental
    forms take the same decision on the same bar.

    Parameters
    ----------
    method
        ``"min_volatility"``, ``"max_sharpe"``, ``"equal_weight"`` (``1 / n`` over the listed
        assets; infeasible when ``1 / n`` is outside the bounds) or ``"black_litterman"``.
    covariance
        ``"sample"`` (common-window sample covariance) or ``"ledoit_wolf"`` (shrunk towards
        the scaled identity).
    lookback
        Returns per estimation window.
    rebalance_every
        Bars between rebalances.
    max_weight, min_weight
        Bounds of every weight; the default ``(0, 1)`` is long only. A negative
        ``min_weight`` allows short positions (weights still sum to 1).
    views
        Black-Litterman only: a list of :class:`quantlib_local.portfolio.View` (annual
        decimal returns), or None for no views. Not swept. A view that names an asset
        without a full window at a rebalance is left out of that rebalance.
    market_caps
        Black-Litterman only: ``{symbol: market capitalisation}`` giving the market weights
        of the prior (normalised over the listed assets); None means equal caps. Every
        symbol of the data must have a cap when given.
    risk_aversion
        Black-Litterman ``delta`` (He & Litterman: 2.5), used for the equilibrium returns
        and for the optimisation ``max w' mu_BL - delta / 2 w' S w`` (bounds, sum 1).
        The optimisation uses the prior covariance ``S`` (as PyPortfolioOpt's ``bl_weights``
        does), so with no views the weights are exactly the market weights when those are
        within the bounds.
    tau
        Black-Litterman prior uncertainty scale (He & Litterman: 0.05).
    risk_free_rate
        Annual decimal rate for ``max_sharpe``.
    periods_per_year
        Bars per year used to annualise; None infers it from each window's timestamps
        (252 for daily equities), which needs a window that spans a weekend for intraday
        bars, so pass it for 5-minute data (105120 for 24/7 crypto). Min-volatility and
        equal weights do not depend on it.

    Notes
    -----
    :meth:`history_length` is None: a failed rebalance keeps the weights of an earlier one,
    so a decision can depend on the whole path. :meth:`incremental` returns a form that
    keeps only the last ``lookback + 1`` closes and a bar counter.
    """

    name = "portfolio"
    output = "weights"
    parameter_space = {
        "method": ChoiceParameter(("min_volatility", "max_sharpe", "equal_weight", "black_litterman"),
                                  description="portfolio objective"),
        "covariance": ChoiceParameter(("sample", "ledoit_wolf"), description="covariance estimator"),
        "lookback": IntParameter(10, 5000, description="returns per estimation window (bars)"),
        "rebalance_every": IntParameter(1, 5000, description="bars between rebalances"),
        "max_weight": FloatParameter(0.01, 1.0, description="largest weight of one asset"),
        "min_weight": FloatParameter(-1.0, 0.0, description="smallest weight of one asset (negative: shorts)"),
    }

    def __init__(
        self,
        method: str = "min_volatility",
        covariance: str = "ledoit_wolf",
        lookback: int = 120,
        rebalance_every: int = 21,
        max_weight: float = 1.0,
        min_weight: float = 0.0,
        views: Sequence[pf.View] | None = None,
        market_caps: Mapping[str, float] | None = None,
        risk_aversion: float = pf.DEFAULT_RISK_AVERSION,
        tau: float = pf.DEFAULT_TAU,
        risk_free_rate: float = 0.0,
        periods_per_year: float | None = None,
    ) -> None:
        self.method = method
        self.covariance = covariance
        self.lookback = lookback
        self.rebalance_every = rebalance_every
        self.max_weight = max_weight
        self.min_weight = min_weight
        self.views = views
        self.market_caps = market_caps
        self.risk_aversion = risk_aversion
        self.tau = tau
        self.risk_free_rate = risk_free_rate
        self.periods_per_year = periods_per_year

    def check_params(self) -> None:
        if self.views is not None:
            if isinstance(self.views, pf.View) or not isinstance(self.views, Sequence):
                raise ValidationError("views", self.views, "pass a list of portfolio.View objects, or None")
            for k, view in enumerate(self.views):
                if not isinstance(view, pf.View):
                    raise ValidationError(f"views[{k}]", type(view).__name__, "build views with View.absolute or View.relative")
        if self.market_caps is not None:
            if not isinstance(self.market_caps, Mapping) or not self.market_caps:
                raise ValidationError("market_caps", self.market_caps, "pass {symbol: market cap} or None for equal caps")
            for symbol, cap in self.market_caps.items():
                if not _positive(cap):
                    raise ValidationError(f"market_caps[{symbol!r}]", cap, "pass a positive, finite market capitalisation")
        for field in ("risk_aversion", "tau"):
            if not _positive(getattr(self, field)):
                raise ValidationError(field, getattr(self, field), "pass a positive finite number (2.5 and 0.05 are usual)")
        if not _finite(self.risk_free_rate):
            raise ValidationError("risk_free_rate", self.risk_free_rate, "pass an annual decimal rate such as 0.02")
        if self.periods_per_year is not None and not _positive(self.periods_per_year):
            raise ValidationError("periods_per_year", self.periods_per_year, "pass bars per year (252, 365, 105120) or None")
        if self.min_weight >= self.max_weight:
            raise ValidationError("min_weight", self.min_weight, f"use a min_weight below max_weight={self.max_weight}")

    def history_length(self) -> None:
        """None: a failed rebalance keeps earlier weights, so decisions depend on the whole path."""
        return None

    def is_rebalance_bar(self, position: int) -> bool:
        """Whether the bar at absolute ``position`` (0 = first bar) rebalances."""
        return position >= self.lookback and (position - self.lookback) % self.rebalance_every == 0

    # ------------------------------------------------------------------ decisions

    def _decide(self, market: MarketData) -> np.ndarray:
        close = market.close
        self._check_market_caps(market.symbols)
        values = close.to_numpy(dtype=float)
        n, m = values.shape
        held = np.zeros((n, m))
        current = np.zeros(m)
        for position in range(self.lookback, n, self.rebalance_every):
            current = self.rebalance(close.iloc[position - self.lookback : position + 1], current)
            held[position:] = current
        return np.where(np.isnan(values), 0.0, held)

    def incremental(self) -> IncrementalStrategy:
        """A bar-by-bar form that keeps the last ``lookback + 1`` closes and counts bars from the first."""
        return _PortfolioIncremental(self)

    def rebalance(self, window: pd.DataFrame, previous: np.ndarray) -> np.ndarray:
        """Weights for one rebalance from a window of closes (the previous ones when the optimiser fails).

        Parameters
        ----------
        window
            ``lookback + 1`` closes, timestamp x symbol, ending at the rebalance bar.
        previous
            The weights held before this rebalance, one per column of ``window``.

        Returns
        -------
        numpy.ndarray
            One weight per column; 0 for assets without a close on every bar of the window.
        """
        values = window.to_numpy(dtype=float)
        listed = np.isfinite(values).all(axis=0) & (values > 0).all(axis=0)
        weights = np.zeros(window.shape[1])
        if not listed.any():
            return weights
        prices = window.loc[:, listed]
        annual = self._periods_per_year(prices.index)
        try:
            solved = self._optimise(prices, annual)
        except (ValidationError, pf.OptimisationError) as error:
            logger.warning(
                "PortfolioRebalancing(method=%s) at %s: no new weights (%s); keeping the previous weights",
                self.method, window.index[-1], error,
            )
            return np.asarray(previous, dtype=float).copy()
        weights[listed] = solved
        return weights

    # ------------------------------------------------------------------ helpers

    def _optimise(self, prices: pd.DataFrame, annual: float) -> np.ndarray:
        n = prices.shape[1]
        if self.method == "equal_weight":
            share = 1.0 / n
            if not self.min_weight - _BOUND_SLACK <= share <= self.max_weight + _BOUND_SLACK:
                raise ValidationError(
                    "max_weight", self.max_weight, f"raise max_weight to at least 1/{n} or list more assets",
                    detail=f"equal weights of {n} asset(s) are {share:.4g} each",
                )
            return np.full(n, share)
        if self.covariance == "ledoit_wolf":
            cov = pf.ledoit_wolf_covariance(prices, periods_per_year=annual)
        else:
            cov = pf.sample_covariance(prices, window="common", periods_per_year=annual)
        constraints = pf.PortfolioConstraints(weight_bounds=(self.min_weight, self.max_weight))
        if self.method == "black_litterman":
            expected = self._black_litterman_returns(prices.columns, cov)
            optimiser = pf.MeanVarianceOptimiser(expected, cov, constraints)
            result = optimiser.max_quadratic_utility(self.risk_aversion)
        else:
            expected = pf.mean_historical_return(prices, periods_per_year=annual)
            optimiser = pf.MeanVarianceOptimiser(expected, cov, constraints, risk_free_rate=self.risk_free_rate)
            result = optimiser.max_sharpe() if self.method == "max_sharpe" else optimiser.min_volatility()
        solved = result.weights.reindex(prices.columns).to_numpy(dtype=float)
        return np.clip(solved, self.min_weight, self.max_weight)

    def _black_litterman_returns(self, assets: pd.Index, cov: pd.DataFrame) -> pd.Series:
        if self.market_caps is None:
            caps = pd.Series(1.0, index=assets)
        else:
            caps = pd.Series({a: float(self.market_caps[str(a)]) for a in assets}).reindex(assets)
        prior = pf.equilibrium_returns(caps / caps.sum(), cov, risk_aversion=self.risk_aversion)
        present = {str(a) for a in assets}
        views = [v for v in (self.views or ()) if all(str(a) in present for a, w in v.portfolio.items() if w != 0)]
        if len(views) < len(self.views or ()):
            logger.debug("PortfolioRebalancing: %d view(s) name assets without a full window; left out",
                         len(self.views or ()) - len(views))
        if not views:
            return prior
        return pf.black_litterman_posterior(prior, cov, views, tau=self.tau).expected_returns

    def _periods_per_year(self, index: pd.DatetimeIndex) -> float:
        if self.periods_per_year is not None:
            return float(self.periods_per_year)
        try:
            return float(infer_periods_per_year(index))
        except ValidationError as error:
            raise ValidationError(
                "periods_per_year", None, "pass periods_per_year to PortfolioRebalancing (e.g. 105120 for 5-minute crypto)",
                detail=f"it cannot be inferred from the window ending {index[-1]} ({error.detail or error})",
            ) from error

    def _check_market_caps(self, symbols: Sequence[str]) -> None:
        if self.method != "black_litterman" or self.market_caps is None:
            return
        missing = [s for s in symbols if s not in self.market_caps]
        if missing:
            raise ValidationError("market_caps", sorted(self.market_caps), f"give a market cap for every symbol; missing {missing}")


class _PortfolioIncremental(IncrementalStrategy):
    """Counts bars from the first and keeps the last ``lookback + 1`` closes; rebalances on the same bars."""

    def __init__(self, strategy: PortfolioRebalancing) -> None:
        super().__init__(strategy)
        self.strategy: PortfolioRebalancing = strategy
        size = strategy.lookback + 1
        self._closes: deque[np.ndarray] = deque(maxlen=size)
        self._times: deque[pd.Timestamp] = deque(maxlen=size)
        self._position = -1
        self._current: np.ndarray | None = None
        self._close_at: np.ndarray | None = None

    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        symbols = list(self.symbols or ())
        if self._close_at is None:
            assert self._bar_index is not None
            fields = self._bar_index.get_level_values(FIELD_LEVEL)
            if "close" not in set(fields):
                raise ValidationError("bar", sorted(set(fields)), "send bars that carry a close for every symbol")
            located = {sym: i for i, (f, sym) in enumerate(self._bar_index) if f == "close"}
            self._close_at = np.asarray([located[s] for s in symbols])
            self.strategy._check_market_caps(symbols)
            self._current = np.zeros(len(symbols))
        close = bar.to_numpy(dtype=float)[self._close_at]
        self._position += 1
        self._closes.append(close)
        self._times.append(timestamp)
        assert self._current is not None
        if self.strategy.is_rebalance_bar(self._position):
            window = pd.DataFrame(
                np.vstack(self._closes),
                index=pd.DatetimeIndex(list(self._times), name=INDEX_NAME),
                columns=pd.Index(symbols, name=SYMBOL_LEVEL),
            )
            self._current = self.strategy.rebalance(window, self._current)
        return np.where(np.isnan(close), 0.0, self._current)


def _finite(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and bool(np.isfinite(float(value)))
    )


def _positive(value: object) -> bool:
    return _finite(value) and float(value) > 0  # type: ignore[arg-type]
