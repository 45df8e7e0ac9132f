"""Volatility targeting: scale any strategy's targets so each asset runs at a chosen volatility.

Rule
    ``w_t = clip(target_t * target_volatility / sigma_t, -max_leverage, max_leverage)`` per
    asset, where ``target_t`` is the inner strategy's target (a signal in {-1, 0, 1} or an
    equity weight) and ``sigma_t`` the realised volatility: the sample standard deviation
    (ddof 1) of the last ``window`` simple returns, annualised by
    ``sqrt(periods_per_year)``. The weight is 0 where ``sigma_t`` is unknown (warm-up,
    a missing bar) or zero (a flat price).

Why not :func:`quantlib_local.risk.volatility_target_weight`
    That helper caps the *scale* ``target / sigma`` and floors ``sigma`` at 1 % a year; here
    the cap applies to the final weight (the inner weight times the scale, as an engine
    would hold it) and a zero volatility means "no estimate", hence no position. For a
    signal strategy and volatilities above the floor the two agree.

Annualisation
    With ``periods_per_year=None`` the factor is inferred by
    :func:`quantlib_local.risk.periods_per_year` from all timestamps seen so far, first at
    the bar where a volatility first exists (``window + 1`` bars in) and, while that fails,
    again at the first bar of each new calendar day (intraday bars must have crossed a
    weekend before a 24/7 market can be told from an exchange, and that only changes with
    the date); the first answer is kept. Weights are 0 until then. The rule is causal and
    both forms apply it identically; pass ``periods_per_year`` explicitly for a live
    runner that starts mid-week on intraday bars.
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators import simple_returns
from quantlib_local.risk import periods_per_year as infer_periods_per_year
from quantlib_local.strategies.base import IncrementalStrategy, Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.mean_reversion import rolling_deviation_and_std
from quantlib_local.strategies.parameters import FloatParameter, IntParameter
from quantlib_local.strategies.registry import register_strategy

__all__ = ["VolatilityTargeted", "VolatilityTargetedIncremental"]

logger = logging.getLogger(__name__)


@register_strategy
class VolatilityTargeted(Strategy):
    """Another strategy's targets, sized to a target annualised volatility per asset.

    Parameters
    ----------
    strategy
        The inner strategy (any :class:`~quantlib_local.strategies.Strategy`).
    target_volatility
        Annualised volatility each position should run at (decimal, e.g. 0.15).
    window
        Returns in the realised-volatility estimate.
    max_leverage
        Largest absolute weight per asset.
    periods_per_year
        Bars per year for annualising; None infers it from the timestamps (see the module notes).

    Examples
    --------
    >>> from quantlib_local.strategies.momentum import Momentum
    >>> VolatilityTargeted(Momentum(lookback=10), target_volatility=0.10).output
    'weights'
    """

    name = "volatility_target"
    output = "weights"
    parameter_space = {
        "target_volatility": FloatParameter(0.001, 5.0, log=True, description="annualised volatility per position"),
        "window": IntParameter(2, 10_000, description="returns in the realised volatility"),
        "max_leverage": FloatParameter(0.01, 100.0, log=True, description="largest absolute weight per asset"),
    }

    def __init__(
        self,
        strategy: Strategy,
        target_volatility: float = 0.15,
        window: int = 20,
        max_leverage: float = 1.0,
        periods_per_year: float | None = None,
    ) -> None:
        self.strategy = strategy
        self.target_volatility = target_volatility
        self.window = window
        self.max_leverage = max_leverage
        self.periods_per_year = periods_per_year

    def check_params(self) -> None:
        if not isinstance(self.strategy, Strategy):
            raise ValidationError("strategy", type(self.strategy).__name__, "pass a Strategy object, e.g. Momentum()")
        ppy = self.periods_per_year
        if ppy is not None and (
            isinstance(ppy, bool) or not isinstance(ppy, (int, float, np.number)) or not 0 < ppy < np.inf
        ):
            raise ValidationError("periods_per_year", ppy, "give None (infer) or bars per year, e.g. 252 or 365")

    @property
    def required_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        """Close (for the volatility) and whatever the inner strategy reads."""
        return tuple(dict.fromkeys(("close", *self.strategy.required_fields)))

    def history_length(self) -> int | None:
        inner = self.strategy.history_length()
        if inner is None or self.periods_per_year is None:
            return None  # an inferred annualisation depends on the timestamps since the first bar
        return max(inner, self.window + 1)

    def _decide(self, market: MarketData) -> pd.DataFrame:
        inner = self.strategy.decide(market).to_numpy()
        volatility = self.bar_volatility(market.close.to_numpy(dtype=float))  # per bar, not annualised
        ppy, first = self._annualisation(market.index)
        volatility[:first] = np.nan
        return pd.DataFrame(self.sized(inner, volatility * np.sqrt(ppy)), index=market.index)

    def bar_volatility(self, close: np.ndarray) -> np.ndarray:
        """Per-bar standard deviation of the last ``window`` simple returns of ``close``."""
        _, std = rolling_deviation_and_std(simple_returns(close), self.window, ddof=1)
        return std

    def sized(self, inner: np.ndarray, volatility: np.ndarray) -> np.ndarray:
        """``inner`` targets scaled by ``target_volatility / volatility`` and capped; 0 without a volatility."""
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = np.clip(inner * (self.target_volatility / volatility), -self.max_leverage, self.max_leverage)
        known = np.isfinite(volatility) & (volatility > 0)
        return np.where(known & np.isfinite(weights), weights, 0.0)

    def _annualisation(self, index: pd.DatetimeIndex) -> tuple[float, int]:
        """``(periods_per_year, first bar it applies to)``; ``(nan, n)`` when it cannot be inferred."""
        if self.periods_per_year is not None:
            return float(self.periods_per_year), 0
        days = index.normalize()
        for t in range(self.window, len(index)):
            if t == self.window or days[t] != days[t - 1]:
                ppy = _try_periods_per_year(index[: t + 1])
                if ppy is not None:
                    return ppy, t
        if len(index) > self.window:
            logger.warning(
                "periods_per_year could not be inferred from %d bars (%s to %s), so every weight is 0; "
                "pass periods_per_year to VolatilityTargeted", len(index), index[0], index[-1],
            )
        return np.nan, len(index)

    def incremental(self) -> VolatilityTargetedIncremental:
        return VolatilityTargetedIncremental(self)


def _try_periods_per_year(index: pd.DatetimeIndex) -> float | None:
    try:
        return infer_periods_per_year(index)
    except ValidationError:
        return None


class VolatilityTargetedIncremental(IncrementalStrategy):
    """Bar-by-bar volatility targeting: the inner strategy's own incremental form plus the
    last ``window + 1`` closes (and, until the annualisation is known, the timestamps)."""

    def __init__(self, strategy: VolatilityTargeted) -> None:
        super().__init__(strategy)
        self.sizing = strategy
        self.inner = strategy.strategy.incremental()
        self._closes: deque[np.ndarray] = deque(maxlen=strategy.window + 1)
        self._times: list[pd.Timestamp] = []
        self._ppy = None if strategy.periods_per_year is None else float(strategy.periods_per_year)

    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        inner = self.inner.update(bar, features).to_numpy(dtype=float)  # same row, same symbol order
        self._closes.append(self.field_values(bar, "close"))
        if self._ppy is None:
            self._times.append(timestamp)
            seen = len(self._times)
            new_day = seen > 1 and timestamp.normalize() != self._times[-2].normalize()
            if seen == self.sizing.window + 1 or (seen > self.sizing.window + 1 and new_day):
                self._ppy = _try_periods_per_year(pd.DatetimeIndex(self._times))
                if self._ppy is not None:
                    self._times = []
        if self._ppy is None or len(self._closes) <= self.sizing.window:
            return np.zeros(len(inner))
        volatility = self.sizing.bar_volatility(np.vstack(self._closes))[-1]
        return self.sizing.sized(inner, volatility * np.sqrt(self._ppy))
