"""Thousands of trading episodes stepped at once in torch: :class:`BatchedTradingEnv`.

The same environment as :class:`~quantlib_local.rl.env.TradingEnv`, vectorised over
``n_envs`` episodes on one data set (each with its own start bar), on the CPU or a GPU.
Each step gathers every episode's bar, fills the orders of the episodes whose target
changed with :func:`~quantlib_local.rl.orders.execute_target_percent` (vectorbt's
arithmetic, element-wise) and computes eq. 5 with the same
:func:`~quantlib_local.rl.reward.reward_step`; accounts are float64, so the two
environments agree step for step (the tests drive both with the same actions).
Episodes that end restart at once (:class:`~quantlib_local.rl.interface.BatchedEnvironment`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.agents import resolve_device
from quantlib_local.rl.config import REWARD_TERMS, EnvironmentConfig
from quantlib_local.rl.data import TradingData, prepare_trading_data
from quantlib_local.rl.env import EQUITY_FLOOR, episode_bounds
from quantlib_local.rl.interface import StepBatch
from quantlib_local.rl.orders import execute_target_percent
from quantlib_local.rl.reward import RewardState, reward_step
from quantlib_local.strategies.market_data import MarketData

TABLE_BYTES = 256 * 2**20
"""Largest precomputed (bar, held action) observation table; bigger data gathers per step."""


class BatchedTradingEnv:
    """``n_envs`` trading episodes on one data set, stepped together.

    Parameters
    ----------
    bars
        Bars in any shape strategies accept, or prepared :class:`~quantlib_local.rl.data.TradingData`.
    config
        As for :class:`~quantlib_local.rl.env.TradingEnv`.
    n_envs
        Episodes stepped per call.
    device
        Torch device; default CUDA when present.
    seed
        Seed of the start bars drawn by :meth:`reset` and at every automatic restart.
    symbol, features
        As in :func:`~quantlib_local.rl.data.prepare_trading_data`.
    """

    def __init__(
        self,
        bars: pd.DataFrame | MarketData | TradingData,
        config: EnvironmentConfig | None = None,
        *,
        n_envs: int = 1024,
        device: str | torch.device | None = None,
        seed: int = 0,
        symbol: str | None = None,
        features: pd.DataFrame | None = None,
    ) -> None:
        self.config = config or EnvironmentConfig()
        if not isinstance(self.config, EnvironmentConfig):
            raise ValidationError("config", type(self.config).__name__, "pass an EnvironmentConfig")
        if isinstance(n_envs, bool) or not isinstance(n_envs, int) or n_envs < 1:
            raise ValidationError("n_envs", n_envs, "use a whole number of environments >= 1")
        self.data = bars if isinstance(bars, TradingData) else prepare_trading_data(
            bars, self.config, symbol=symbol, features=features)
        self.n_envs = n_envs
        self.device = resolve_device(device)
        self.n_actions = len(self.config.actions)
        self.observation_size = self.data.n_features + 1
        f64 = dict(dtype=torch.float64, device=self.device)
        self._weights = torch.tensor(self.config.actions, **f64)
        self._obs_weights = self._weights.to(torch.float32)
        self._observations = torch.as_tensor(self.data.observations, device=self.device)
        # Every (bar, held action) observation laid out once, when it fits in TABLE_BYTES
        table_bytes = self.data.n_bars * self.n_actions * self.observation_size * 4
        self._observation_table = None
        if table_bytes <= TABLE_BYTES:
            bars, features = self._observations.shape
            self._observation_table = torch.cat([
                self._observations.unsqueeze(1).expand(bars, self.n_actions, features),
                self._obs_weights.view(1, -1, 1).expand(bars, self.n_actions, 1),
            ], dim=2).reshape(bars * self.n_actions, self.observation_size).contiguous()
        self._fill_price = torch.as_tensor(self.data.fill_price, **f64)
        self._close = torch.as_tensor(self.data.close, **f64)
        self._volatility = torch.as_tensor(self.data.volatility, **f64)
        self._first, self._last_start = episode_bounds(self.data, self.config)
        self._length = self.config.episode_length
        self._generator = torch.Generator(device=self.device)
        self._generator.manual_seed(seed)
        self._all = torch.ones(n_envs, dtype=torch.bool, device=self.device)
        costs = self.config.costs
        self._costs = dict(fees=costs.fees, fixed_fees=costs.fixed_fees, slippage=costs.slippage,
                           granularity=costs.size_granularity)
        self._floor = EQUITY_FLOOR * costs.init_cash
        self._init_cash = float(costs.init_cash)
        zeros = torch.zeros(n_envs, **f64)
        self._nan = torch.full((n_envs,), float("nan"), **f64)
        self.t = torch.zeros(n_envs, dtype=torch.long, device=self.device)
        self.end = torch.zeros_like(self.t)
        self.target = torch.full_like(self.t, self.config.flat_action)
        self.cash, self.position = zeros.clone(), zeros.clone()
        self.reward_state = RewardState(zeros.clone(), zeros.clone(), zeros.clone(), zeros.clone())
        self.episode_return = zeros.clone()
        self.episode_terms = {name: zeros.clone() for name in REWARD_TERMS}
        self._restart(self._all, starts=None)

    # ------------------------------------------------------------------ API

    def reset(self, seed: int | None = None, *, starts: torch.Tensor | np.ndarray | None = None) -> torch.Tensor:
        """Start every episode (at ``starts`` bar positions when given) and return the observations."""
        if seed is not None:
            self._generator.manual_seed(seed)
        if starts is not None:
            values = np.asarray(starts)
            if values.dtype.kind not in "iu":
                raise ValidationError("starts", values.dtype.name, "pass whole bar positions (an integer array)")
            starts = torch.as_tensor(values, dtype=torch.long, device=self.device)
            if starts.shape != (self.n_envs,) or bool(((starts < self._first) | (starts > self.data.n_bars - 2)).any()):
                raise ValidationError("starts", "out of range",
                                      f"pass {self.n_envs} bar positions in [{self._first}, {self.data.n_bars - 2}]")
        self._restart(self._all, starts=starts)
        return self.observe()

    def step(self, actions: torch.Tensor) -> StepBatch:
        """Apply one action per episode; finished episodes restart (see the module docstring)."""
        actions = torch.as_tensor(actions, device=self.device).long().reshape(-1)
        if actions.shape != (self.n_envs,) or bool(((actions < 0) | (actions >= self.n_actions)).any()):
            raise ValidationError("actions", tuple(actions.shape),
                                  f"pass {self.n_envs} integers in [0, {self.n_actions - 1}]")
        t = self.t
        weight = self._weights[actions]
        equity_before = self.cash + self.position * self._close[t]
        change = weight != self._weights[self.target]
        if bool(change.any()):
            cash, position, _ = execute_target_percent(self.cash, self.position, self._fill_price[t + 1], weight,
                                                       **self._costs)
            self.cash = torch.where(change, cash, self.cash)
            self.position = torch.where(change, position, self.position)
        self.target = actions.clone()  # the caller may reuse its action buffer
        self.t = t + 1
        equity_after = self.cash + self.position * self._close[self.t]
        reward, terms, self.reward_state = reward_step(
            self.reward_state, equity_before, equity_after, weight, self._volatility[t], self.config.reward)
        terminated = equity_after <= self._floor
        truncated = ~terminated & (self.t >= self.end)
        final_obs = self.observe()
        self.episode_return += reward
        for name in REWARD_TERMS:
            self.episode_terms[name] += terms[name]
        done = terminated | truncated
        obs = final_obs
        episode_return, episode_terms = self._nan, {name: self._nan for name in REWARD_TERMS}
        if bool(done.any()):
            episode_return = torch.where(done, self.episode_return, self._nan)
            episode_terms = {name: torch.where(done, total, self._nan) for name, total in self.episode_terms.items()}
            self._restart(done, starts=None)
            obs = self.observe()
        return StepBatch(obs=obs, reward=reward.to(torch.float32), terminated=terminated, truncated=truncated,
                         final_obs=final_obs, terms=terms, episode_return=episode_return, episode_terms=episode_terms)

    def observe(self) -> torch.Tensor:
        """The current observations, ``(n_envs, observation_size)`` float32."""
        if self._observation_table is not None:  # one contiguous row gather
            return torch.index_select(self._observation_table, 0, self.t * self.n_actions + self.target)
        return torch.cat([self._observations[self.t], self._obs_weights[self.target].unsqueeze(1)], dim=1)

    @property
    def equity(self) -> torch.Tensor:
        """Each episode's equity at the current bar's close."""
        return self.cash + self.position * self._close[self.t]

    def state_dict(self) -> dict[str, Any]:
        """Accounts, clocks, reward state and the generator (resumable training)."""
        state = {name: getattr(self, name).clone() for name in ("t", "end", "target", "cash", "position",
                                                                  "episode_return")}
        state["reward_state"] = {k: v.clone() for k, v in vars(self.reward_state).items()}
        state["episode_terms"] = {k: v.clone() for k, v in self.episode_terms.items()}
        state["generator"] = self._generator.get_state()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`."""
        for name in ("t", "end", "target", "cash", "position", "episode_return"):
            setattr(self, name, state[name].to(self.device).clone())
        self.reward_state = RewardState(**{k: v.to(self.device).clone() for k, v in state["reward_state"].items()})
        self.episode_terms = {k: v.to(self.device).clone() for k, v in state["episode_terms"].items()}
        self._generator.set_state(state["generator"])

    # ------------------------------------------------------------------ internals

    def _restart(self, mask: torch.Tensor, starts: torch.Tensor | None) -> None:
        if starts is None:
            if self.config.random_start:
                starts = torch.randint(self._first, self._last_start + 1, (self.n_envs,), generator=self._generator,
                                       device=self.device)
            else:
                starts = torch.full((self.n_envs,), self._first, dtype=torch.long, device=self.device)
        full = self.data.n_bars - 1
        ends = torch.clamp(starts + self._length, max=full) if self._length is not None else torch.full_like(starts, full)
        cash = torch.full_like(self.cash, self._init_cash)
        zero = torch.zeros_like(self.cash)
        self.t = torch.where(mask, starts, self.t)
        self.end = torch.where(mask, ends, self.end)
        self.target = torch.where(mask, torch.full_like(self.target, self.config.flat_action), self.target)
        self.cash = torch.where(mask, cash, self.cash)
        self.position = torch.where(mask, zero, self.position)
        fresh = RewardState.start(cash, self._volatility[starts])
        self.reward_state = RewardState(*(torch.where(mask, new, old) for new, old in
                                          zip(vars(fresh).values(), vars(self.reward_state).values(), strict=True)))
        self.episode_return = torch.where(mask, zero, self.episode_return)
        self.episode_terms = {k: torch.where(mask, zero, v) for k, v in self.episode_terms.items()}
