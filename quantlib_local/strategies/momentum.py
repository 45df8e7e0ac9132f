"""Time-series momentum: trade the direction of the last ``lookback`` bars (design section 2.4.1).

Rule
    ``r_t = P_t / P_{t-k} - 1`` with ``k = lookback``; the target is ``+1`` when
    ``r_t > threshold`` and, with ``direction="both"``, ``-1`` when ``r_t < -threshold``,
    else 0. With ``threshold=0`` this is the design's ``sign(returns_{t-k:t})``.

Missing bars
    The lag is positional, as in :func:`quantlib_local.indicators.simple_returns`: a NaN
    close at ``t`` or ``t - k`` gives no return and a flat target.

Incremental form
    :class:`MomentumIncremental` keeps a ring buffer of the last ``lookback + 1`` closes per
    symbol, so a live update costs O(1) per symbol. It computes the return with the same
    two operations as the vectorised form (difference, then division), so both forms agree
    bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantlib_local.indicators import simple_returns
from quantlib_local.strategies.base import IncrementalStrategy, Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.parameters import ChoiceParameter, FloatParameter, IntParameter
from quantlib_local.strategies.registry import register_strategy

__all__ = ["Momentum", "MomentumIncremental"]


@register_strategy
class Momentum(Strategy):
    """Long after a rise over ``lookback`` bars; short after a fall when ``direction="both"``.

    Parameters
    ----------
    lookback
        Bars ``k`` over which the return ``P_t / P_{t-k} - 1`` is measured.
    direction
        ``"long"`` (flat after a fall) or ``"both"``.
    threshold
        Smallest absolute return that counts as a move (decimal, e.g. 0.01 for 1 %);
        smaller moves give 0. The default 0 is the pure sign rule.

    Examples
    --------
    >>> import pandas as pd
    >>> index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    >>> closes = pd.DataFrame({"A": [1.0, 2.0, 3.0, 2.0, 1.0]}, index=index)
    >>> Momentum(lookback=2, direction="both").decide(closes)["A"].tolist()
    [0.0, 0.0, 1.0, 0.0, -1.0]
    """

    name = "momentum"
    parameter_space = {
        "lookback": IntParameter(1, 10_000, description="bars over which the return is measured"),
        "direction": ChoiceParameter(("long", "both")),
        "threshold": FloatParameter(0.0, 1.0, description="smallest absolute return that counts as a move"),
    }

    def __init__(self, lookback: int = 20, direction: str = "long", threshold: float = 0.0) -> None:
        self.lookback = lookback
        self.direction = direction
        self.threshold = threshold

    def history_length(self) -> int:
        return self.lookback + 1

    def _decide(self, market: MarketData) -> pd.DataFrame:
        close = market.close.to_numpy(dtype=float)
        targets = self.signal_from_returns(simple_returns(close, periods=self.lookback))
        return pd.DataFrame(targets, index=market.index)

    def signal_from_returns(self, returns: np.ndarray) -> np.ndarray:
        """Targets from ``lookback``-bar returns (NaN gives 0)."""
        with np.errstate(invalid="ignore"):
            up = (returns > self.threshold).astype(float)
            down = (returns < -self.threshold).astype(float) if self.direction == "both" else 0.0
        return up - down

    def incremental(self) -> MomentumIncremental:
        return MomentumIncremental(self)


class MomentumIncremental(IncrementalStrategy):
    """Bar-by-bar momentum with a ring buffer of the last ``lookback + 1`` closes per symbol."""

    def __init__(self, strategy: Momentum) -> None:
        super().__init__(strategy)
        self.momentum = strategy
        self._closes: np.ndarray | None = None  # (lookback + 1, symbols), written round-robin
        self._seen = 0

    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        close = self.field_values(bar, "close")
        size = self.momentum.lookback + 1
        if self._closes is None:
            self._closes = np.full((size, len(close)), np.nan)
        self._closes[self._seen % size] = close
        self._seen += 1
        if self._seen < size:
            return np.zeros(len(close))
        lagged = self._closes[self._seen % size]  # the slot written lookback bars ago
        with np.errstate(divide="ignore", invalid="ignore"):
            returns = (close - lagged) / lagged
        return self.momentum.signal_from_returns(returns)
