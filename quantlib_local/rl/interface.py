"""What agents and environments agree on: :class:`StepBatch` and :class:`BatchedEnvironment`.

Agents (:mod:`~quantlib_local.rl.dqn`, :mod:`~quantlib_local.rl.ppo`) train on any
object with this shape: the torch :class:`~quantlib_local.rl.batched.BatchedTradingEnv`
(thousands of episodes per call) or one gymnasium environment wrapped by
:class:`SingleEnvBatch`. Episodes reset themselves: when an episode ends, the
observation returned for it is the first one of the next episode and the last one of
the finished episode is in :attr:`StepBatch.final_obs`, so agents bootstrap truncated
episodes correctly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch


@dataclass
class StepBatch:
    """One step of ``n_envs`` environments (tensors on the environment's device).

    Attributes
    ----------
    obs
        ``(n_envs, observation_size)`` float32: the next observation (the first of a new
        episode where one ended).
    reward
        ``(n_envs,)`` float32 reward of design eq. 5.
    terminated
        ``(n_envs,)`` bool: the episode ended for good (equity exhausted); no bootstrap.
    truncated
        ``(n_envs,)`` bool: the episode hit its length or the end of the data; bootstrap
        from ``final_obs``.
    final_obs
        ``(n_envs, observation_size)`` float32: the observation after this step before any
        reset (equals ``obs`` where no episode ended).
    terms
        Reward terms of eq. 5 before weighting, ``(n_envs,)`` float64 each: ``pnl``,
        ``sharpe``, ``drawdown``, ``risk``.
    episode_return, episode_terms
        For environments whose episode ended on this step: the episode's summed reward and
        summed terms (NaN elsewhere).
    """

    obs: torch.Tensor
    reward: torch.Tensor
    terminated: torch.Tensor
    truncated: torch.Tensor
    final_obs: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
    episode_return: torch.Tensor | None = None
    episode_terms: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def done(self) -> torch.Tensor:
        """Episodes that ended on this step, for either reason."""
        return self.terminated | self.truncated


class BatchedEnvironment(Protocol):
    """``n_envs`` environments stepped together; see the module docstring."""

    n_envs: int
    observation_size: int
    n_actions: int
    device: torch.device

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start every episode; ``(n_envs, observation_size)`` float32 observations."""
        ...

    def step(self, actions: torch.Tensor) -> StepBatch:
        obs, reward, terminated, truncated, info = self.env.step(int(actions.reshape(-1)[0]))
        final = torch.from_numpy(obs).unsqueeze(0)
        terms = info["terms"]
        self._episode_return += float(reward)
        for name, value in terms.items():
            self._episode_terms[name] = self._episode_terms.get(name, 0.0) + value
        # one tensor for the reward and its terms; views of it for each (cheap per step)
        values = torch.tensor([reward, *terms.values()], dtype=torch.float64)
        batch = StepBatch(
            obs=final, reward=values[:1].to(torch.float32), terminated=torch.tensor([bool(terminated)]),
            truncated=torch.tensor([bool(truncated)]), final_obs=final,
            terms={name: values[k + 1:k + 2] for k, name in enumerate(terms)},
            episode_return=self._nan, episode_terms={name: self._nan for name in terms},
        )
        if terminated or truncated:
            batch.episode_return = torch.tensor([self._episode_return], dtype=torch.float64)
            batch.episode_terms = {name: torch.tensor([total], dtype=torch.float64)
                                   for name, total in self._episode_terms.items()}
            first, _ = self.env.reset()
            batch.obs = torch.from_numpy(first).unsqueeze(0)
            self._episode_return, self._episode_terms = 0.0, {}
        return batch

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue from here (positions, clocks, random state)."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`."""
        ...


class SingleEnvBatch:
    """One gymnasium trading environment seen as a batch of one.

    Lets the agents train on :class:`~quantlib_local.rl.env.TradingEnv` itself (the
    benchmark against stable-baselines3 does, so both libraries drive the same
    environment). Resets after an episode ends, as :class:`BatchedEnvironment` requires.
    """

    n_envs = 1

    def __init__(self, env: Any) -> None:
        self.env = env
        self.observation_size = int(env.observation_space.shape[0])
        self.n_actions = int(env.action_space.n)
        self.device = torch.device("cpu")
        self._episode_return = 0.0
        self._episode_terms: dict[str, float] = {}
        self._nan = torch.tensor([np.nan], dtype=torch.float64)

    def reset(self, seed: int | None = None) -> torch.Tensor:
        obs, _ = self.env.reset(seed=seed)
        self._episode_return, self._episode_terms = 0.0, {}
        return torch.from_numpy(obs).unsqueeze(0)

    def step(self, actions: torch.Tensor) -> StepBatch:
        obs, reward, terminated, truncated, info = self.env.step(int(actions.reshape(-1)[0]))
        final = torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0)
        terms = {name: float(value) for name, value in info["terms"].items()}
        self._episode_return += float(reward)
        for name, value in terms.items():
            self._episode_terms[name] = self._episode_terms.get(name, 0.0) + value
        done = terminated or truncated
        episode_return = torch.tensor([self._episode_return if done else np.nan], dtype=torch.float64)
        episode_terms = {name: torch.tensor([total if done else np.nan], dtype=torch.float64)
                         for name, total in self._episode_terms.items()}
        next_obs = final
        if done:
            first, _ = self.env.reset()
            next_obs = torch.as_tensor(first, dtype=torch.float32).unsqueeze(0)
            self._episode_return, self._episode_terms = 0.0, {}
        return StepBatch(
            obs=next_obs, reward=torch.tensor([reward], dtype=torch.float32),
            terminated=torch.tensor([bool(terminated)]), truncated=torch.tensor([bool(truncated)]),
            final_obs=final, terms={name: torch.tensor([value], dtype=torch.float64) for name, value in terms.items()},
            episode_return=episode_return, episode_terms=episode_terms,
        )

    def state_dict(self) -> dict[str, Any]:
        return {"env": self.env.state_dict(), "episode_return": self._episode_return,
                "episode_terms": dict(self._episode_terms)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.env.load_state_dict(state["env"])
        self._episode_return = state["episode_return"]
        self._episode_terms = dict(state["episode_terms"])
