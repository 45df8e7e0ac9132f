"""The policies an agent must beat: :class:`BuyAndHold` and :class:`RandomPolicy`.

Both are weights strategies on the same contract as :class:`~quantlib_local.rl.policy.RLPolicy`,
so the evaluation backtests all three with the same engine, costs and windows.
"""

from __future__ import annotations

import numpy as np

from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.registry import register_strategy


def _symbol_column(market: MarketData, symbol: str | None) -> int:
    if symbol is None:
        if len(market.symbols) > 1:
            raise ValidationError("symbol", None, f"name the traded symbol, one of {market.symbols}")
        return 0
    if symbol not in market.symbols:
        raise ValidationError("symbol", symbol, f"use one of {market.symbols}")
    return market.symbols.index(symbol)


@register_strategy
class BuyAndHold(Strategy):
    """Hold ``weight`` of equity in one symbol on every bar."""

    name = "buy_and_hold"
    output = "weights"

    def __init__(self, symbol: str | None = None, weight: float = 1.0) -> None:
        self.symbol = symbol
        self.weight = weight

    def check_params(self) -> None:
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) or not -10 <= self.weight <= 10:
            raise ValidationError("weight", self.weight, "use a target weight such as 1.0")

    def history_length(self) -> int:
        return 1

    def _decide(self, market: MarketData) -> np.ndarray:
        targets = np.zeros((len(market), len(market.symbols)))
        targets[:, _symbol_column(market, self.symbol)] = float(self.weight)
        return targets


@register_strategy
class RandomPolicy(Strategy):
    """Pick one of ``actions`` (target weights) uniformly at random on every bar, seeded.

    Bar ``t``'s draw is the ``t``-th of the seeded stream, so a prefix of the data gets the
    same decisions (the incremental form agrees with the vectorised one).
    """

    name = "random_policy"
    output = "weights"

    def __init__(self, actions: tuple[float, ...] = (-1.0, 0.0, 1.0), seed: int = 0, symbol: str | None = None) -> None:
        self.actions = actions
        self.seed = seed
        self.symbol = symbol

    def check_params(self) -> None:
        actions = self.actions
        if (not isinstance(actions, (tuple, list)) or not actions
                or any(isinstance(a, bool) or not isinstance(a, (int, float)) for a in actions)):
            raise ValidationError("actions", actions, "pass target weights such as (-1.0, 0.0, 1.0)")
        self.actions = tuple(float(a) for a in actions)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValidationError("seed", self.seed, "pass a non-negative integer seed")

    def _decide(self, market: MarketData) -> np.ndarray:
        draws = np.random.default_rng(self.seed).integers(0, len(self.actions), size=len(market))
        targets = np.zeros((len(market), len(market.symbols)))
        targets[:, _symbol_column(market, self.symbol)] = np.asarray(self.actions)[draws]
        return targets
