"""Moving-average crossover: long while the fast SMA is above the slow one (design eq. 2)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators import sma
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.parameters import ChoiceParameter, IntParameter
from quantlib_local.strategies.registry import register_strategy


@register_strategy
class SmaCrossover(Strategy):
    """Long (+1) while ``SMA(fast) > SMA(slow)``; short (-1) below it when ``direction="both"``.

    Parameters
    ----------
    fast, slow
        Window lengths in bars, ``fast < slow``.
    direction
        ``"long"`` (flat below the slow average) or ``"both"``.
    """

    name = "sma_crossover"
    parameter_space = {
        "fast": IntParameter(2, 500, description="fast window (bars)"),
        "slow": IntParameter(3, 1000, description="slow window (bars)"),
        "direction": ChoiceParameter(("long", "both")),
    }

    def __init__(self, fast: int = 10, slow: int = 30, direction: str = "long") -> None:
        self.fast = fast
        self.slow = slow
        self.direction = direction

    def check_params(self) -> None:
        if self.fast >= self.slow:
            raise ValidationError("fast", self.fast, f"use a fast window shorter than slow={self.slow}")

    def history_length(self) -> int:
        return self.slow

    def _decide(self, market: MarketData) -> pd.DataFrame:
        close = market.close.to_numpy()
        return pd.DataFrame(self._signal(sma(close, self.fast), sma(close, self.slow)), index=market.index)

    def _signal(self, fast_ma: np.ndarray, slow_ma: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            above = (fast_ma > slow_ma).astype(float)
            below = (fast_ma < slow_ma).astype(float) if self.direction == "both" else 0.0
        return above - below  # NaN compares False: flat during warm-up and after gaps

    def _decide_many(self, market: MarketData, strategies: Sequence[Strategy]) -> np.ndarray:
        close = market.close.to_numpy()
        averages: dict[int, np.ndarray] = {}
        out = np.empty((len(market), len(strategies), close.shape[1]))
        for position, strategy in enumerate(strategies):
            assert isinstance(strategy, SmaCrossover)
            for window in (strategy.fast, strategy.slow):
                if window not in averages:
                    averages[window] = sma(close, window)
            out[:, position, :] = strategy._signal(averages[strategy.fast], averages[strategy.slow])
        return out
