"""The gymnasium trading environment: :class:`TradingEnv`.

One episode trades one asset from a start bar. Each step the agent sees the observation of
bar ``t`` (design eq. 6's features, standardised without look-ahead, and the target weight
it holds) and picks an action, a target weight. As in the backtest engine, a decision at
the close of ``t`` executes on bar ``t + 1`` (at its open or close, per the costs'
``execution``), and only when the target changes; the order is filled by vectorbt's own
``execute_order_nb``, the function the engine's ``Portfolio.from_orders`` calls, with the
engine's fees, fixed fees, slippage and size granularity. The step's reward is design
eq. 5 on the equity at the close of ``t + 1`` (:mod:`quantlib_local.rl.reward`); ``info``
carries each term, the equity and the fees paid.

So an episode's equity is what :func:`~quantlib_local.backtest.run_backtest` reports for
the same target weights (the tests check it), and a policy that does well here does as
well in the backtest, the promotion gate and the live runner.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from vectorbt.portfolio.enums import Direction, Order, ProcessOrderState, SizeType
from vectorbt.portfolio.nb import execute_order_nb

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.config import EnvironmentConfig
from quantlib_local.rl.data import TradingData, prepare_trading_data
from quantlib_local.rl.reward import RewardState, reward_step
from quantlib_local.strategies.market_data import MarketData

EQUITY_FLOOR = 1e-9
"""An episode terminates when equity falls to this fraction of the initial cash or below."""


def episode_bounds(data: TradingData, config: EnvironmentConfig) -> tuple[int, int]:
    """First and last possible start bars of an episode (the last leaves a full episode if it can)."""
    last_decision = data.n_bars - 2  # a decision needs a next bar to execute on
    length = config.episode_length
    last_start = data.first_bar if length is None else max(data.first_bar, last_decision - length + 1)
    return data.first_bar, last_start


def episode_end(start: int, data: TradingData, config: EnvironmentConfig) -> int:
    """The bar of the last step's outcome for an episode starting at ``start``."""
    full = data.n_bars - 1
    return full if config.episode_length is None else min(full, start + config.episode_length)


class TradingEnv(gym.Env):
    """A gymnasium environment trading one asset on the backtest engine's costs.

    Parameters
    ----------
    bars
        Bars in any shape strategies accept, or prepared :class:`~quantlib_local.rl.data.TradingData`.
    config
        Actions, episode length, reward weights, observation settings and costs.
    symbol, features
        As in :func:`~quantlib_local.rl.data.prepare_trading_data`.

    Notes
    -----
    ``reset(options={"start": bar})`` starts at a given bar position (evaluation);
    otherwise episodes start at a random bar (``config.random_start``) or at the first bar
    after the warm-up. The observation is ``(n_features + 1,)`` float32, the last entry
    the target weight held.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        bars: pd.DataFrame | MarketData | TradingData,
        config: EnvironmentConfig | None = None,
        *,
        symbol: str | None = None,
        features: pd.DataFrame | None = None,
    ) -> None:
        self.config = config or EnvironmentConfig()
        if not isinstance(self.config, EnvironmentConfig):
            raise ValidationError("config", type(self.config).__name__, "pass an EnvironmentConfig")
        self.data = bars if isinstance(bars, TradingData) else prepare_trading_data(
            bars, self.config, symbol=symbol, features=features)
        self.weights = np.asarray(self.config.actions, dtype=float)
        self.action_space = gym.spaces.Discrete(len(self.weights))
        size = self.data.n_features + 1
        bound = max(self.config.observation.clip, float(np.abs(self.weights).max()))
        self.observation_space = gym.spaces.Box(-bound, bound, shape=(size,), dtype=np.float32)
        costs = self.config.costs
        self._order_costs = (costs.fees, costs.fixed_fees, costs.slippage,
                             np.nan if costs.size_granularity is None else costs.size_granularity)
        self._started = False
        self._reset_account(episode_bounds(self.data, self.config)[0])

    # ------------------------------------------------------------------ gymnasium API

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        first, last = episode_bounds(self.data, self.config)
        start = (options or {}).get("start")
        if start is None:
            start = int(self.np_random.integers(first, last + 1)) if self.config.random_start else first
        elif isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not first <= start <= self.data.n_bars - 2:
            raise ValidationError("options['start']", start, f"use a bar position in [{first}, {self.data.n_bars - 2}]")
        self._reset_account(int(start))
        self._started = True
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self._started:
            raise ValidationError("step", "before reset", "call reset() first")
        if self._done:
            raise ValidationError("step", "after the episode ended", "call reset() to start a new episode")
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)) \
                or not 0 <= action < len(self.weights):
            raise ValidationError("action", action, f"use an integer in [0, {len(self.weights) - 1}]")
        t = self.t
        weight = self.weights[action]
        equity_before = self.cash + self.position * self.data.close[t]
        fees = 0.0
        if weight != self.weights[self.target]:
            fees = self._fill(weight, self.data.fill_price[t + 1])
        self.target = int(action)
        self.t = t + 1
        equity_after = self.cash + self.position * self.data.close[self.t]
        reward, terms, self._reward_state = reward_step(
            self._reward_state, equity_before, equity_after, weight, self.data.volatility[t], self.config.reward)
        self.equity = float(equity_after)
        self.last_fees = fees
        terminated = bool(self.equity <= EQUITY_FLOOR * self.config.costs.init_cash)
        truncated = bool(not terminated and self.t >= self.end)
        self._done = terminated or truncated
        info = self._info()
        info["terms"] = {name: float(value) for name, value in terms.items()}
        info["fees"] = fees
        return self._observation(), float(reward), terminated, truncated, info

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """The account, clock and random state (resumable training)."""
        return {
            "t": self.t, "end": self.end, "cash": self.cash, "position": self.position, "target": self.target,
            "equity": self.equity, "reward_state": vars(self._reward_state).copy(), "done": self._done,
            "started": self._started, "rng": self.np_random.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`."""
        self.t, self.end, self.cash, self.position = state["t"], state["end"], state["cash"], state["position"]
        self.target, self.equity, self._done = state["target"], state["equity"], state["done"]
        self._started = state["started"]
        self._reward_state = RewardState(**state["reward_state"])
        self.np_random.bit_generator.state = state["rng"]

    # ------------------------------------------------------------------ internals

    def _reset_account(self, start: int) -> None:
        self.t = start
        self.end = episode_end(start, self.data, self.config)
        self.cash = float(self.config.costs.init_cash)
        self.position = 0.0
        self.target = self.config.flat_action
        self.equity = self.cash
        self.last_fees = 0.0
        self._done = False
        self._reward_state = RewardState.start(self.cash, float(self.data.volatility[start]))

    def _fill(self, weight: float, price: float) -> float:
        fees, fixed_fees, slippage, granularity = self._order_costs
        value = self.cash + self.position * price if self.position != 0 else self.cash
        state = ProcessOrderState(self.cash, self.position, 0.0, self.cash, price, value, 0, -1)
        order = Order(weight, price, SizeType.TargetPercent, Direction.Both, fees, fixed_fees, slippage, 0.0, np.inf,
                      granularity, 0.0, False, True, False, False)
        new_state, result = execute_order_nb(state, order)
        if np.isnan(result.size):  # ignored or rejected: nothing changes
            return 0.0
        self.cash, self.position = float(new_state.cash), float(new_state.position)
        return float(result.fees)

    def _observation(self) -> np.ndarray:
        row = np.empty(self.data.n_features + 1, dtype=np.float32)
        row[:-1] = self.data.observations[self.t]
        row[-1] = self.weights[self.target]
        return row

    def _info(self) -> dict[str, Any]:
        return {"bar": self.t, "equity": self.equity, "position": self.position,
                "weight": float(self.weights[self.target])}
