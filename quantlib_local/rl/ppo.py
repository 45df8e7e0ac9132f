"""Proximal policy optimisation (clipped surrogate) on batched environments.

Each iteration collects a rollout of ``n_steps`` steps from every environment with the
current stochastic policy, computes advantages by generalised advantage estimation (GAE,
Schulman et al. 2016), and takes ``n_epochs`` passes of ``n_minibatches`` Adam steps on

``L = -E[min(rho A, clip(rho, 1 - eps, 1 + eps) A)] + vf_coef * 1/2 E[(V - R)^2] - ent_coef * E[H]``

with ``rho`` the probability ratio of new to old policy (Schulman et al. 2017, eq. 7 and 9).
The policy and the value function are separate tanh MLPs
(:class:`~quantlib_local.rl.networks.ActorCritic`).

Episode ends: a terminated episode contributes no value beyond its last reward; a
truncated one adds ``gamma * V(final_obs)`` to its last reward (the usual bootstrap for
time limits), and in both cases GAE does not look past the episode's end.

All sampling (actions, minibatch order) comes from the agent's own
:class:`torch.Generator`, and :meth:`PPOAgent.state_dict` holds everything needed to
continue exactly: ``2N`` steps equal ``N`` steps, a save and load, and ``N`` steps, bit for
bit on the CPU (the caller saves the environment's own state).

References
----------
Schulman, J. et al. (2016). High-dimensional continuous control using generalized advantage estimation. ICLR.
Schulman, J. et al. (2017). Proximal policy optimization algorithms. arXiv:1707.06347.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.agents import (
    AgentBase,
    LogFn,
    check_env,
    check_step_count,
    clone_state,
    env_device,
    is_int,
    is_number,
    log_episodes,
    require,
)
from quantlib_local.rl.interface import BatchedEnvironment
from quantlib_local.rl.networks import actor_critic_spec, build_network, check_hidden_sizes

logger = logging.getLogger(__name__)

__all__ = ["PPOAgent", "PPOConfig", "Rollout", "compute_gae"]

_ADVANTAGE_EPS = 1e-8


@dataclass(frozen=True)
class PPOConfig:
    """Settings of :class:`PPOAgent` (defaults of CleanRL / stable-baselines3 for discrete actions).

    Attributes
    ----------
    learning_rate
        Adam step size (Adam's epsilon is 1e-5, as in both reference implementations).
    n_steps
        Rollout length per environment; one rollout is ``n_steps * n_envs`` transitions.
    n_epochs
        Passes over each rollout.
    n_minibatches
        Minibatches per pass.
    gamma, gae_lambda
        Discount factor and GAE parameter.
    clip_range
        Clipping ``eps`` of the probability ratio.
    ent_coef, vf_coef
        Weights of the entropy bonus and of the value loss.
    max_grad_norm
        Gradients are clipped to this global L2 norm.
    normalize_advantage
        Standardise advantages within each minibatch.
    hidden_sizes
        Widths of the hidden tanh layers of the policy and of the value MLP.
    anneal_lr
        Decrease the step size linearly to 0 over ``total_steps`` (see :meth:`PPOAgent.learn`).
    """

    learning_rate: float = 3e-4
    n_steps: int = 128
    n_epochs: int = 4
    n_minibatches: int = 4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_range: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    normalize_advantage: bool = True
    hidden_sizes: tuple[int, ...] = field(default=(64, 64))
    anneal_lr: bool = False

    def __post_init__(self) -> None:
        require(is_number(self.learning_rate) and self.learning_rate > 0, "learning_rate", self.learning_rate,
                 "use a positive step size such as 3e-4")
        for name in ("n_steps", "n_epochs", "n_minibatches"):
            value = getattr(self, name)
            require(is_int(value) and value >= 1, name, value, "use a positive integer")
        for name in ("gamma", "gae_lambda"):
            value = getattr(self, name)
            require(is_number(value) and 0.0 <= value <= 1.0, name, value, "use a value in [0, 1]")
        require(is_number(self.clip_range) and self.clip_range > 0, "clip_range", self.clip_range,
                 "use a positive clipping range such as 0.2")
        for name in ("ent_coef", "vf_coef"):
            value = getattr(self, name)
            require(is_number(value) and value >= 0, name, value, "use a non-negative coefficient")
        require(is_number(self.max_grad_norm) and self.max_grad_norm > 0, "max_grad_norm", self.max_grad_norm,
                 "use a positive gradient-norm bound such as 0.5")
        for name in ("normalize_advantage", "anneal_lr"):
            require(isinstance(getattr(self, name), bool), name, getattr(self, name), "use True or False")
        object.__setattr__(self, "hidden_sizes", check_hidden_sizes(self.hidden_sizes))
        for name in ("learning_rate", "gamma", "gae_lambda", "clip_range", "ent_coef", "vf_coef",
                     "max_grad_norm"):
            object.__setattr__(self, name, float(getattr(self, name)))  # plain floats: safe in torch.load


def compute_gae(rewards: torch.Tensor, values: torch.Tensor, episode_ends: torch.Tensor, next_values: torch.Tensor,
                gamma: float, gae_lambda: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimates and value targets of a rollout.

    ``delta_t = r_t + gamma (1 - end_t) V_{t+1} - V_t`` and
    ``A_t = delta_t + gamma lambda (1 - end_t) A_{t+1}``, where ``end_t`` marks an episode
    that ended at step ``t`` (for either reason; bootstrap values of truncated episodes
    belong in ``r_t``) and ``V_T`` is ``next_values``.

    Parameters
    ----------
    rewards, values
        ``(T, n_envs)`` rewards and value estimates of the observations the actions were taken in.
    episode_ends
        ``(T, n_envs)`` bool: the episode ended on this step.
    next_values
        ``(n_envs,)`` values of the observations after the last step.
    gamma, gae_lambda
        Discount factor and GAE parameter.

    Returns
    -------
    advantages, returns
        ``(T, n_envs)`` each; ``returns = advantages + values`` (the value targets).
    """
    continues = 1.0 - episode_ends.to(values.dtype)
    advantages = torch.empty_like(values)
    running = torch.zeros_like(next_values)
    following = next_values
    for step in range(values.shape[0] - 1, -1, -1):
        delta = rewards[step] + gamma * continues[step] * following - values[step]
        running = delta + (gamma * gae_lambda) * continues[step] * running
        advantages[step] = running
        following = values[step]
    return advantages, advantages + values


class Rollout:
    """Preallocated storage of one rollout: ``(n_steps, n_envs)`` per quantity.

    ``rewards`` include the ``gamma * V(final_obs)`` bootstrap of truncated episodes;
    ``episode_ends`` marks steps that ended an episode for either reason.
    """

    def __init__(self, n_steps: int, n_envs: int, observation_size: int, device: torch.device) -> None:
        def zeros(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return torch.zeros(shape, dtype=dtype, device=device)

        self.obs = zeros(n_steps, n_envs, observation_size)
        self.actions = zeros(n_steps, n_envs, dtype=torch.int64)
        self.log_probs = zeros(n_steps, n_envs)
        self.rewards = zeros(n_steps, n_envs)
        self.values = zeros(n_steps, n_envs)
        self.episode_ends = zeros(n_steps, n_envs, dtype=torch.bool)


class PPOAgent(AgentBase):
    """PPO agent with separate policy and value networks for discrete actions.

    Parameters
    ----------
    observation_size
        Length of an observation vector.
    n_actions
        Number of discrete actions.
    config
        Hyperparameters; :class:`PPOConfig` defaults when None.
    device
        Where the networks live; CUDA when available unless given.
    seed
        Seeds the initial weights, the agent's generator (action sampling and minibatch
        order) and the first reset of the environment; nothing global is touched.

    Attributes
    ----------
    network
        The :class:`~quantlib_local.rl.networks.ActorCritic`.
    rollout
        The :class:`Rollout` collected last (None before the first).
    steps_done
        Environment transitions collected so far.
    updates_done
        Gradient updates done so far.
    """

    algorithm = "ppo"
    config_type = PPOConfig

    def __init__(self, observation_size: int, n_actions: int, config: PPOConfig | None = None, *,
                 device: torch.device | str | None = None, seed: int = 0) -> None:
        network_seed = self._setup(observation_size, n_actions, config, device, seed)
        config = self.config
        spec = actor_critic_spec(observation_size, n_actions, config.hidden_sizes)
        self.network = build_network(spec, seed=network_seed).to(self.device)
        self._parameters = list(self.network.parameters())
        self.optimizer = torch.optim.Adam(self._parameters, lr=config.learning_rate, eps=1e-5)
        self.rollout: Rollout | None = None

    # ------------------------------------------------------------------ training
    def learn(self, env: BatchedEnvironment, n_steps: int, *, total_steps: int | None = None,
              log: LogFn | None = None) -> PPOAgent:
        """Train for ``n_steps`` more environment transitions, in whole rollouts.

        Parameters
        ----------
        env
            The environment; reset with a seed derived from the agent's on the first call,
            continued where it stands on later calls (and after :meth:`load_state_dict`,
            once the caller restored the environment's own state).
        n_steps
            Transitions to collect, rounded up to whole rollouts of ``config.n_steps * env.n_envs``.
        total_steps
            Horizon of the step-size annealing (``anneal_lr``); ``steps_done + n_steps`` when
            None. Pass the same value to every call of a run split over several calls.
        log
            Optional ``log(tag, value, step)``: after each rollout ``train/policy_loss``,
            ``train/value_loss``, ``train/entropy``, ``train/approx_kl``, ``train/clip_fraction``
            (means over its minibatches), and for finished episodes ``episode/return`` and
            ``episode/<term>``.

        Returns
        -------
        PPOAgent
            ``self``.
        """
        n_steps = check_step_count(n_steps)
        n_envs = check_env(env, self.observation_size, self.n_actions)
        config = self.config
        rollout_size = config.n_steps * n_envs
        if config.n_minibatches > rollout_size:
            raise ValidationError("config.n_minibatches", config.n_minibatches,
                                  f"use at most n_steps * n_envs = {rollout_size} minibatches")
        horizon = self.steps_done + n_steps if total_steps is None else check_step_count(total_steps, "total_steps")
        self._prepare(env, n_envs)
        for _ in range(math.ceil(n_steps / rollout_size)):
            if config.anneal_lr:
                fraction = max(0.0, 1.0 - self.steps_done / horizon) if horizon > 0 else 0.0
                for group in self.optimizer.param_groups:
                    group["lr"] = config.learning_rate * fraction
            advantages, returns = self._collect(env, log)
            self._update(advantages, returns, log)
        logger.debug("PPO learned %d steps: steps_done=%d updates_done=%d", n_steps, self.steps_done,
                     self.updates_done)
        return self

    def _prepare(self, env: BatchedEnvironment, n_envs: int) -> None:
        self._start(env, n_envs)
        if self.rollout is None or self.rollout.obs.shape[1] != n_envs:
            self.rollout = Rollout(self.config.n_steps, n_envs, self.observation_size, self.device)

    def _collect(self, env: BatchedEnvironment, log: LogFn | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Fill the rollout; return advantages and value targets."""
        assert self._obs is not None and self.rollout is not None
        rollout, network, gamma = self.rollout, self.network, self.config.gamma
        device_of_env = env_device(env)
        same_device = device_of_env == self.device
        n_envs = self._obs.shape[0]
        for step in range(self.config.n_steps):
            obs = rollout.obs[step]
            obs.copy_(self._obs)
            with torch.no_grad():
                logits, values = network.logits_and_value(obs)
                log_probs = F.log_softmax(logits, dim=-1)
                # Gumbel-max with exponential noise: argmax(log p - log E), E ~ Exp(1), picks a with probability p_a.
                noise = torch.empty_like(log_probs).exponential_(generator=self.generator)
                actions = (log_probs - noise.log()).argmax(dim=-1)
            rollout.actions[step] = actions
            rollout.log_probs[step] = log_probs.gather(1, actions.unsqueeze(1)).squeeze(1)
            rollout.values[step] = values
            batch = env.step(actions if same_device else actions.to(device_of_env))
            rewards = batch.reward.to(device=self.device, dtype=torch.float32)
            terminated = batch.terminated.to(self.device)
            truncated = batch.truncated.to(self.device)
            cut_short = truncated & ~terminated
            if bool(cut_short.any()):
                with torch.no_grad():
                    final_values = network.value(batch.final_obs.to(device=self.device, dtype=torch.float32))
                rewards = rewards + gamma * final_values * cut_short
            rollout.rewards[step] = rewards
            rollout.episode_ends[step] = terminated | truncated
            self._obs.copy_(batch.obs)
            self.steps_done += n_envs
            if log is not None:
                log_episodes(log, batch, self.steps_done)
        with torch.no_grad():
            next_values = network.value(self._obs)
        return compute_gae(rollout.rewards, rollout.values, rollout.episode_ends, next_values, gamma,
                           self.config.gae_lambda)

    def _update(self, advantages: torch.Tensor, returns: torch.Tensor, log: LogFn | None) -> None:
        assert self.rollout is not None
        config, rollout, network = self.config, self.rollout, self.network
        obs = rollout.obs.reshape(-1, self.observation_size)
        actions = rollout.actions.reshape(-1)
        old_log_probs = rollout.log_probs.reshape(-1)
        advantages = advantages.reshape(-1)
        returns = returns.reshape(-1)
        size = obs.shape[0]
        totals = torch.zeros(5, device=self.device)
        n_minibatches = 0
        for _ in range(config.n_epochs):
            order = torch.randperm(size, generator=self.generator, device=self.device)
            for indices in order.tensor_split(config.n_minibatches):
                logits, values = network.logits_and_value(obs[indices])
                log_probs = F.log_softmax(logits, dim=-1)
                new_log_probs = log_probs.gather(1, actions[indices].unsqueeze(1)).squeeze(1)
                entropy = -(log_probs.exp() * log_probs).sum(dim=-1).mean()
                log_ratio = new_log_probs - old_log_probs[indices]
                ratio = log_ratio.exp()
                minibatch_advantages = advantages[indices]
                if config.normalize_advantage and indices.numel() > 1:
                    minibatch_advantages = (minibatch_advantages - minibatch_advantages.mean()) / (
                        minibatch_advantages.std() + _ADVANTAGE_EPS)
                policy_loss = torch.max(
                    -minibatch_advantages * ratio,
                    -minibatch_advantages * ratio.clamp(1.0 - config.clip_range, 1.0 + config.clip_range),
                ).mean()
                value_loss = 0.5 * (values - returns[indices]).square().mean()
                loss = policy_loss - config.ent_coef * entropy + config.vf_coef * value_loss
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self._parameters, config.max_grad_norm, foreach=True)
                self.optimizer.step()
                self.updates_done += 1
                if log is not None:
                    with torch.no_grad():
                        approx_kl = ((ratio - 1.0) - log_ratio).mean()
                        clip_fraction = ((ratio - 1.0).abs() > config.clip_range).float().mean()
                        totals += torch.stack([policy_loss.detach(), value_loss.detach(), entropy.detach(),
                                               approx_kl, clip_fraction])
                    n_minibatches += 1
        if log is not None and n_minibatches:
            means = (totals / n_minibatches).tolist()
            for tag, value in zip(("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction"), means,
                                  strict=True):
                log(f"train/{tag}", value, self.steps_done)

    # ------------------------------------------------------------------ acting
    @property
    def policy_network(self) -> torch.nn.Module:
        """The actor-critic (greedy actions maximise its policy logits)."""
        return self.network

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """:meth:`AgentBase.state_dict` plus the actor-critic's weights."""
        return {**super().state_dict(), "network": clone_state(self.network.state_dict())}

    def load_state_dict(self, state: dict[str, Any]) -> dict[str, Any]:
        """Continue from :meth:`state_dict` (see :meth:`AgentBase.load_state_dict`)."""
        state = super().load_state_dict(state)
        self.network.load_state_dict(state["network"])
        return state
