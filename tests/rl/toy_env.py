"""Small batched environments with known answers for the agent tests (pure torch, CPU).

:class:`ToyBanditEnv` is a contextual bandit in episodes: the observation is the one-hot
code of the action that pays ``+1`` this step (every other action pays ``wrong_reward``)
followed by the elapsed fraction of the episode. The optimal greedy policy is
``argmax(obs[:, :n_actions])``. Episodes are truncated after ``episode_length`` steps; with
``terminate_on_wrong`` a wrong action ends the episode for good instead.

:class:`ScriptedEnv` replays fixed rewards and episode ends so that stored n-step returns
can be compared with hand-computed numbers.
"""

from __future__ import annotations

from typing import Any

import torch

from quantlib_local.rl.interface import StepBatch


class ToyBanditEnv:
    """Batched contextual bandit with episodes; see the module docstring."""

    def __init__(self, n_envs: int = 8, n_actions: int = 3, episode_length: int = 8, *, wrong_reward: float = -1.0,
                 terminate_on_wrong: bool = False, seed: int = 0) -> None:
        self.n_envs = n_envs
        self.n_actions = n_actions
        self.observation_size = n_actions + 1
        self.device = torch.device("cpu")
        self.episode_length = episode_length
        self.wrong_reward = wrong_reward
        self.terminate_on_wrong = terminate_on_wrong
        self.generator = torch.Generator().manual_seed(seed)
        self.reset(seed)

    def _observe(self) -> torch.Tensor:
        obs = torch.zeros((self.n_envs, self.observation_size))
        obs[torch.arange(self.n_envs), self.target] = 1.0
        obs[:, -1] = self.clock.float() / self.episode_length
        return obs

    def reset(self, seed: int | None = None) -> torch.Tensor:
        if seed is not None:
            self.generator.manual_seed(seed)
        self.target = torch.randint(self.n_actions, (self.n_envs,), generator=self.generator)
        self.clock = torch.zeros(self.n_envs, dtype=torch.int64)
        self.episode_sum = torch.zeros(self.n_envs, dtype=torch.float64)
        self.hits = torch.zeros(self.n_envs, dtype=torch.float64)
        return self._observe()

    def step(self, actions: torch.Tensor) -> StepBatch:
        correct = actions.reshape(-1) == self.target
        reward = torch.where(correct, 1.0, self.wrong_reward).float()
        self.clock += 1
        terminated = ~correct if self.terminate_on_wrong else torch.zeros(self.n_envs, dtype=torch.bool)
        truncated = (self.clock >= self.episode_length) & ~terminated
        self.episode_sum += reward.double()
        self.hits += correct.double()
        self.target = torch.randint(self.n_actions, (self.n_envs,), generator=self.generator)
        final_obs = self._observe()
        done = terminated | truncated
        nan = torch.full((self.n_envs,), float("nan"), dtype=torch.float64)
        episode_return = torch.where(done, self.episode_sum, nan)
        episode_terms = {"pnl": episode_return.clone(), "hits": torch.where(done, self.hits, nan)}
        self.clock[done] = 0
        self.episode_sum[done] = 0.0
        self.hits[done] = 0.0
        return StepBatch(obs=self._observe(), reward=reward, terminated=terminated, truncated=truncated,
                         final_obs=final_obs, terms={"pnl": reward.double()}, episode_return=episode_return,
                         episode_terms=episode_terms)

    def best_actions(self, obs: torch.Tensor) -> torch.Tensor:
        """The optimal action of each observation."""
        return obs[:, :self.n_actions].argmax(dim=1)

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "target": self.target.clone(), "clock": self.clock.clone(),
                "episode_sum": self.episode_sum.clone(), "hits": self.hits.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.target = state["target"].clone()
        self.clock = state["clock"].clone()
        self.episode_sum = state["episode_sum"].clone()
        self.hits = state["hits"].clone()


class ScriptedEnv:
    """Fixed rewards and episode ends per step and environment.

    The observation before step ``t`` of environment ``e`` is ``[t, e]``; the ``final_obs``
    of a step that ends an episode is ``[1000 + t, e]`` so that a bootstrap observation
    can be told from the first observation of the next episode.

    Parameters
    ----------
    rewards
        ``(T, n_envs)`` rewards.
    terminated, truncated
        ``(T, n_envs)`` bool episode ends.
    n_actions
        Size of the (ignored) action space.
    """

    observation_size = 2

    def __init__(self, rewards: torch.Tensor, terminated: torch.Tensor, truncated: torch.Tensor,
                 n_actions: int = 2) -> None:
        self.rewards = rewards.float()
        self.terminated = terminated.bool()
        self.truncated = truncated.bool()
        self.n_envs = rewards.shape[1]
        self.n_actions = n_actions
        self.device = torch.device("cpu")
        self.t = 0
        self.actions: list[torch.Tensor] = []

    def _obs(self, t: int) -> torch.Tensor:
        return torch.stack([torch.full((self.n_envs,), float(t)), torch.arange(self.n_envs, dtype=torch.float32)], 1)

    def reset(self, seed: int | None = None) -> torch.Tensor:
        self.t = 0
        return self._obs(0)

    def step(self, actions: torch.Tensor) -> StepBatch:
        t = self.t
        self.actions.append(actions.clone())
        self.t += 1
        terminated, truncated = self.terminated[t], self.truncated[t]
        done = terminated | truncated
        obs = self._obs(t + 1)
        final_obs = obs.clone()
        final_obs[done, 0] = 1000.0 + t
        nan = torch.full((self.n_envs,), float("nan"), dtype=torch.float64)
        return StepBatch(obs=obs, reward=self.rewards[t].clone(), terminated=terminated.clone(),
                         truncated=truncated.clone(), final_obs=final_obs, episode_return=nan)

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = state["t"]


def greedy_accuracy(agent: Any, env: ToyBanditEnv, n: int = 300, seed: int = 5) -> float:
    """Share of random observations of ``env`` on which ``agent.greedy_actions`` is optimal."""
    generator = torch.Generator().manual_seed(seed)
    targets = torch.randint(env.n_actions, (n,), generator=generator)
    obs = torch.zeros((n, env.observation_size))
    obs[torch.arange(n), targets] = 1.0
    obs[:, -1] = torch.randint(env.episode_length, (n,), generator=generator).float() / env.episode_length
    return float((agent.greedy_actions(obs) == targets).float().mean())
