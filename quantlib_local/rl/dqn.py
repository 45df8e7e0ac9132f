"""Deep Q-learning (design, algorithm 1) on batched environments.

The agent follows algorithm 1 of the design: epsilon-greedy actions from the online
network ``Q``, transitions stored in a replay buffer ``D``, minibatch gradient steps on the
Huber (smooth L1) loss against targets from a target network ``Q_hat`` copied from ``Q``
every ``C`` environment steps (Mnih et al. 2015). Options: Double DQN (van Hasselt et al.
2016: the online network picks the next action, the target network values it), a dueling
head (Wang et al. 2016) and n-step returns.

Counting follows stable-baselines3, in environment transitions: one iteration of a batch
of ``n_envs`` environments is ``n_envs`` steps. Exploration is linear from
``exploration_initial`` to ``exploration_final`` over the first ``exploration_fraction``
of the planned steps, and actions are uniform until ``learning_starts`` steps are stored.
Every ``train_freq`` steps the agent does ``gradient_steps`` updates (so with many
environments it does several per iteration, keeping updates per transition fixed), and
every ``target_update`` steps it copies ``Q`` into ``Q_hat``.

n-step returns are formed per environment: a transition started at ``s_t`` stores
``R = r_t + gamma r_{t+1} + ... + gamma^{k-1} r_{t+k-1}``, the discount ``gamma^k`` and the
observation after the ``k``-th reward, where ``k = n`` unless the episode ended earlier.
A terminated episode stores discount 0 (no bootstrap); a truncated one bootstraps from
``final_obs``. The target is ``y = R + discount * max_a Q_hat(s', a)``.

Everything random (exploration, replay sampling) comes from the agent's own
:class:`torch.Generator`, and :meth:`DQNAgent.state_dict` holds all of the agent's state
(networks, optimizer, buffer, pending n-step transitions, counters, generator, current
observation), so training ``2N`` steps equals ``N`` steps, a save and load, and ``N``
steps, bit for bit on the CPU (the caller saves the environment's own state).

References
----------
Mnih, V. et al. (2015). Human-level control through deep reinforcement learning. Nature 518.
van Hasselt, H., Guez, A., Silver, D. (2016). Deep reinforcement learning with double Q-learning. AAAI.
Wang, Z. et al. (2016). Dueling network architectures for deep reinforcement learning. ICML.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable
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
from quantlib_local.rl.interface import BatchedEnvironment, StepBatch
from quantlib_local.rl.networks import build_network, check_hidden_sizes, q_network_spec

logger = logging.getLogger(__name__)

__all__ = ["DQNAgent", "DQNConfig", "NStepAccumulator", "ReplayBuffer"]


@dataclass(frozen=True)
class DQNConfig:
    """Settings of :class:`DQNAgent`; defaults from the design's appendix A where it has them.

    Attributes
    ----------
    learning_rate
        Adam step size (appendix A: 0.001).
    batch_size
        Transitions per gradient step (appendix A: 32).
    buffer_size
        Replay capacity in transitions (appendix A: 10,000); the oldest are overwritten.
    target_update
        Environment steps between copies of the online network into the target network
        (appendix A: 100; stable-baselines3's ``target_update_interval``).
    gamma
        Discount factor.
    train_freq
        Environment steps between rounds of ``gradient_steps`` updates.
    gradient_steps
        Updates per round.
    learning_starts
        Environment steps stored (with uniform random actions) before the first update.
    exploration_initial, exploration_final, exploration_fraction
        Epsilon falls linearly from the initial to the final value over this fraction of the
        planned total steps, then stays at the final value.
    double
        Double DQN targets: the online network chooses the next action, the target values it.
    dueling
        Dueling network head (``Q = V + A - mean A``).
    n_step
        Length of the multi-step returns (1: ordinary one-step Q-learning).
    hidden_sizes
        Widths of the hidden ReLU layers of the Q-network.
    max_grad_norm
        Gradients are clipped to this global L2 norm.
    log_interval
        Gradient updates between ``train/...`` log entries (each the mean since the last).
    """

    learning_rate: float = 1e-3
    batch_size: int = 32
    buffer_size: int = 10_000
    target_update: int = 100
    gamma: float = 0.99
    train_freq: int = 4
    gradient_steps: int = 1
    learning_starts: int = 1000
    exploration_initial: float = 1.0
    exploration_final: float = 0.05
    exploration_fraction: float = 0.1
    double: bool = False
    dueling: bool = False
    n_step: int = 1
    hidden_sizes: tuple[int, ...] = field(default=(64, 64))
    max_grad_norm: float = 10.0
    log_interval: int = 100

    def __post_init__(self) -> None:
        require(is_number(self.learning_rate) and self.learning_rate > 0, "learning_rate", self.learning_rate,
                 "use a positive step size such as 1e-3")
        for name in ("batch_size", "buffer_size", "target_update", "train_freq", "gradient_steps", "n_step",
                     "log_interval"):
            value = getattr(self, name)
            require(is_int(value) and value >= 1, name, value, "use a positive integer")
        require(is_int(self.learning_starts) and self.learning_starts >= 0, "learning_starts", self.learning_starts,
                 "use a non-negative integer number of environment steps")
        require(is_number(self.gamma) and 0.0 <= self.gamma <= 1.0, "gamma", self.gamma,
                 "use a discount factor in [0, 1], such as 0.99")
        for name in ("exploration_initial", "exploration_final", "exploration_fraction"):
            value = getattr(self, name)
            require(is_number(value) and 0.0 <= value <= 1.0, name, value, "use a value in [0, 1]")
        require(is_number(self.max_grad_norm) and self.max_grad_norm > 0, "max_grad_norm", self.max_grad_norm,
                 "use a positive gradient-norm bound such as 10.0")
        for name in ("double", "dueling"):
            require(isinstance(getattr(self, name), bool), name, getattr(self, name), "use True or False")
        object.__setattr__(self, "hidden_sizes", check_hidden_sizes(self.hidden_sizes))
        for name in ("learning_rate", "gamma", "exploration_initial", "exploration_final", "exploration_fraction",
                     "max_grad_norm"):
            object.__setattr__(self, name, float(getattr(self, name)))  # plain floats: safe in torch.load

    def exploration_rate(self, step: int, total_steps: int) -> float:
        """Epsilon of the linear schedule after ``step`` of ``total_steps`` environment steps.

        ``initial + (final - initial) * min(1, step / (fraction * total_steps))``; the final
        value throughout when ``exploration_fraction`` is 0.
        """
        horizon = self.exploration_fraction * total_steps
        if horizon <= 0 or step >= horizon:
            return self.exploration_final
        return self.exploration_initial + (self.exploration_final - self.exploration_initial) * (step / horizon)


class ReplayBuffer:
    """Circular store of transitions in preallocated tensors on one device.

    Each row holds an observation, the action taken, the (n-step) return, the discount to
    apply to the bootstrap value (``gamma^k``, 0 after termination) and the observation to
    bootstrap from.

    Parameters
    ----------
    capacity
        Number of rows; the oldest are overwritten once full.
    observation_size
        Length of an observation.
    device
        Where the tensors live.
    """

    def __init__(self, capacity: int, observation_size: int, device: torch.device) -> None:
        self.capacity = capacity
        self.obs = torch.zeros((capacity, observation_size), dtype=torch.float32, device=device)
        self.next_obs = torch.zeros((capacity, observation_size), dtype=torch.float32, device=device)
        self.actions = torch.zeros(capacity, dtype=torch.int64, device=device)
        self.rewards = torch.zeros(capacity, dtype=torch.float32, device=device)
        self.discounts = torch.zeros(capacity, dtype=torch.float32, device=device)
        self.pos = 0
        self.size = 0

    def _columns(self) -> tuple[torch.Tensor, ...]:
        return self.obs, self.actions, self.rewards, self.discounts, self.next_obs

    def add(self, obs: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor, discounts: torch.Tensor,
            next_obs: torch.Tensor) -> None:
        """Append ``m`` rows (the last ``capacity`` of them when ``m`` exceeds it)."""
        rows = (obs, actions, rewards, discounts, next_obs)
        count = obs.shape[0]
        if count > self.capacity:
            rows = tuple(row[count - self.capacity:] for row in rows)
            count = self.capacity
        first = min(count, self.capacity - self.pos)
        for column, row in zip(self._columns(), rows, strict=True):
            if first == count:
                column[self.pos:self.pos + count].copy_(row)
            else:  # wrap around the end
                column[self.pos:].copy_(row[:first])
                column[:count - first].copy_(row[first:])
        self.pos = (self.pos + count) % self.capacity
        self.size = min(self.size + count, self.capacity)

    def sample(self, indices: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Rows at ``indices``: ``(obs, actions, rewards, discounts, next_obs)``."""
        return tuple(column[indices] for column in self._columns())

    def state_dict(self) -> dict[str, Any]:
        """The filled rows and the write position."""
        names = ("obs", "actions", "rewards", "discounts", "next_obs")
        state: dict[str, Any] = {name: column[:self.size] for name, column in zip(names, self._columns(), strict=True)}
        state.update(pos=self.pos, size=self.size)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore rows and position saved by :meth:`state_dict`."""
        size = int(state["size"])
        if size > self.capacity:
            raise ValidationError("state['replay']['size']", size,
                                  f"load into an agent whose buffer_size is at least {size}")
        for name, column in zip(("obs", "actions", "rewards", "discounts", "next_obs"), self._columns(), strict=True):
            column[:size].copy_(state[name])
        self.pos, self.size = int(state["pos"]), size


class NStepAccumulator:
    """Pending n-step transitions of each environment, emitted once complete.

    All environments step together, so the transition started at iteration ``t`` lives in
    slot ``t mod n`` of every environment. Each step adds ``gamma^age r`` to the return of
    every pending transition; a transition is emitted when it has ``n`` rewards or its
    episode ended, with discount ``gamma^age`` (0 on termination) and the step's
    ``final_obs`` as the observation to bootstrap from.

    Parameters
    ----------
    n_step
        Rewards per transition.
    n_envs, observation_size
        Shape of the batch.
    gamma
        Discount factor.
    device
        Where the tensors live.
    """

    def __init__(self, n_step: int, n_envs: int, observation_size: int, gamma: float, device: torch.device) -> None:
        self.n_step = n_step
        self.obs = torch.zeros((n_step, n_envs, observation_size), dtype=torch.float32, device=device)
        self.actions = torch.zeros((n_step, n_envs), dtype=torch.int64, device=device)
        self.returns = torch.zeros((n_step, n_envs), dtype=torch.float32, device=device)
        self.ages = torch.zeros((n_step, n_envs), dtype=torch.int64, device=device)
        self.pending = torch.zeros((n_step, n_envs), dtype=torch.bool, device=device)
        powers = gamma ** torch.arange(n_step + 1, dtype=torch.float64)
        self.powers = powers.to(device=device, dtype=torch.float32)
        self.slot = 0

    def push(self, obs: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor, terminated: torch.Tensor,
             truncated: torch.Tensor, final_obs: torch.Tensor) -> tuple[torch.Tensor, ...] | None:
        """Add one step; return the completed rows ``(obs, actions, returns, discounts, next_obs)`` or None."""
        slot = self.slot
        self.slot = (slot + 1) % self.n_step
        self.obs[slot].copy_(obs)
        self.actions[slot].copy_(actions)
        self.returns[slot].zero_()
        self.ages[slot].zero_()
        self.pending[slot].fill_(True)
        self.returns.add_(self.powers[self.ages] * rewards)
        self.ages.add_(1).clamp_(max=self.n_step)
        emit = self.pending & ((self.ages >= self.n_step) | (terminated | truncated))
        slots, envs = emit.nonzero(as_tuple=True)
        if slots.numel() == 0:
            return None
        self.pending[slots, envs] = False
        discounts = self.powers[self.ages[slots, envs]] * (~terminated[envs])
        return self.obs[slots, envs], self.actions[slots, envs], self.returns[slots, envs], discounts, final_obs[envs]

    def state_dict(self) -> dict[str, Any]:
        """Pending transitions and the next slot."""
        return {"obs": self.obs, "actions": self.actions, "returns": self.returns, "ages": self.ages,
                "pending": self.pending, "slot": self.slot}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved."""
        if tuple(state["obs"].shape) != tuple(self.obs.shape):
            raise ValidationError("state['n_step_queue']['obs'].shape", tuple(state["obs"].shape),
                                  "continue on an environment with as many episodes (n_envs) as the saved one")
        for name in ("obs", "actions", "returns", "ages", "pending"):
            getattr(self, name).copy_(state[name])
        self.slot = int(state["slot"])


class _UpdateLog:
    """Reports ``train/loss``, ``train/q_mean`` (means since the last report) and ``train/epsilon``.

    Sums stay on the agent's device between reports, so logging costs one synchronisation
    per ``interval`` updates.
    """

    def __init__(self, log: LogFn, interval: int, device: torch.device) -> None:
        self.log = log
        self.interval = interval
        self.sums = torch.zeros(2, device=device)
        self.count = 0

    def add(self, loss: torch.Tensor, q_values: torch.Tensor, step: int, epsilon: Callable[[], float]) -> None:
        self.sums += torch.stack([loss.detach(), q_values.detach().mean()])
        self.count += 1
        if self.count == self.interval:
            loss_mean, q_mean = (self.sums / self.count).tolist()
            self.log("train/loss", loss_mean, step)
            self.log("train/q_mean", q_mean, step)
            self.log("train/epsilon", epsilon(), step)
            self.sums.zero_()
            self.count = 0


class DQNAgent(AgentBase):
    """DQN agent (design, algorithm 1) for discrete actions on a batched environment.

    Parameters
    ----------
    observation_size
        Length of an observation vector.
    n_actions
        Number of discrete actions.
    config
        Hyperparameters; :class:`DQNConfig` defaults when None.
    device
        Where networks and replay buffer live; CUDA when available unless given.
    seed
        Seeds the initial weights, the agent's generator (exploration and replay sampling)
        and the first reset of the environment; nothing global is touched.

    Attributes
    ----------
    q_network, target_network
        Online and target :class:`~quantlib_local.rl.networks.QNetwork`.
    replay
        The :class:`ReplayBuffer`.
    steps_done
        Environment transitions collected so far.
    updates_done
        Gradient updates done so far.

    Examples
    --------
    >>> agent = DQNAgent(env.observation_size, env.n_actions, DQNConfig(double=True), seed=7)  # doctest: +SKIP
    >>> agent.learn(env, 100_000, log=lambda tag, value, step: print(tag, value, step))  # doctest: +SKIP
    >>> actions = agent.greedy_actions(obs)  # doctest: +SKIP
    """

    algorithm = "dqn"
    config_type = DQNConfig

    def __init__(self, observation_size: int, n_actions: int, config: DQNConfig | None = None, *,
                 device: torch.device | str | None = None, seed: int = 0) -> None:
        network_seed = self._setup(observation_size, n_actions, config, device, seed)
        config = self.config
        spec = q_network_spec(observation_size, n_actions, config.hidden_sizes, config.dueling)
        self.q_network = build_network(spec, seed=network_seed).to(self.device)
        self.target_network = copy.deepcopy(self.q_network).requires_grad_(False)
        self._parameters = list(self.q_network.parameters())
        self._target_parameters = list(self.target_network.parameters())
        # The fused implementation updates all tensors in one kernel: several times faster for small networks.
        self.optimizer = torch.optim.Adam(self._parameters, lr=config.learning_rate,
                                          fused=self.device.type in ("cpu", "cuda"))
        self.replay = ReplayBuffer(config.buffer_size, observation_size, self.device)
        self._steps_since_train = 0
        self._steps_since_target = 0
        self._n_step_queue: NStepAccumulator | None = None

    # ------------------------------------------------------------------ training
    def learn(self, env: BatchedEnvironment, n_steps: int, *, total_steps: int | None = None,
              log: LogFn | None = None) -> DQNAgent:
        """Train for ``n_steps`` more environment transitions.

        Parameters
        ----------
        env
            The environment; reset with a seed derived from the agent's on the first call,
            continued where it stands on later calls (and after :meth:`load_state_dict`,
            once the caller restored the environment's own state).
        n_steps
            Transitions to collect, rounded up to whole iterations of ``env.n_envs``.
        total_steps
            Horizon of the exploration schedule; ``steps_done + n_steps`` when None. Pass the
            same value to every call of a run split over several calls.
        log
            Optional ``log(tag, value, step)``: ``train/loss``, ``train/q_mean`` (means over
            the last ``log_interval`` updates), ``train/epsilon``, and for finished episodes
            ``episode/return`` and ``episode/<term>``.

        Returns
        -------
        DQNAgent
            ``self``.
        """
        n_steps = check_step_count(n_steps)
        n_envs = check_env(env, self.observation_size, self.n_actions)
        config = self.config
        if config.buffer_size < n_envs * config.n_step:
            raise ValidationError("config.buffer_size", config.buffer_size,
                                  f"use a buffer of at least n_envs * n_step = {n_envs * config.n_step} transitions")
        horizon = self.steps_done + n_steps if total_steps is None else check_step_count(total_steps, "total_steps")
        self._prepare(env, n_envs)
        device_of_env = env_device(env)
        same_device = device_of_env == self.device
        update_log = None if log is None else _UpdateLog(log, config.log_interval, self.device)
        for _ in range(math.ceil(n_steps / n_envs)):
            learning = self.steps_done >= config.learning_starts
            epsilon = config.exploration_rate(self.steps_done, horizon) if learning else 1.0
            actions = self._explore(epsilon)
            batch = env.step(actions if same_device else actions.to(device_of_env))
            self._store(actions, batch, same_device)
            self.steps_done += n_envs
            self._steps_since_train += n_envs
            self._steps_since_target += n_envs
            if self._steps_since_train >= config.train_freq:
                rounds, self._steps_since_train = divmod(self._steps_since_train, config.train_freq)
                if self.steps_done >= config.learning_starts and self.replay.size > 0:
                    for _ in range(rounds * config.gradient_steps):
                        loss, q_values = self._gradient_step()
                        if update_log is not None:
                            update_log.add(loss, q_values, self.steps_done,
                                           lambda: config.exploration_rate(self.steps_done, horizon))
            if self._steps_since_target >= config.target_update:
                self._steps_since_target %= config.target_update
                self._update_target()
            if log is not None:
                log_episodes(log, batch, self.steps_done)
        logger.debug("DQN learned %d steps: steps_done=%d updates_done=%d", n_steps, self.steps_done,
                     self.updates_done)
        return self

    def _store(self, actions: torch.Tensor, batch: StepBatch, same_device: bool) -> None:
        """Put the step's transitions (or the n-step transitions it completes) into the replay buffer."""
        assert self._obs is not None
        rewards, terminated, truncated, final_obs = batch.reward, batch.terminated, batch.truncated, batch.final_obs
        if not same_device:
            rewards, terminated, truncated, final_obs = (tensor.to(self.device)
                                                         for tensor in (rewards, terminated, truncated, final_obs))
        if self._n_step_queue is None:
            self.replay.add(self._obs, actions, rewards, self.config.gamma * ~terminated, final_obs)
        else:
            rows = self._n_step_queue.push(self._obs, actions, rewards, terminated, truncated, final_obs)
            if rows is not None:
                self.replay.add(*rows)
        self._obs.copy_(batch.obs)

    def _prepare(self, env: BatchedEnvironment, n_envs: int) -> None:
        self._start(env, n_envs)
        if self.config.n_step > 1 and self._n_step_queue is None:
            self._n_step_queue = NStepAccumulator(self.config.n_step, n_envs, self.observation_size,
                                                  self.config.gamma, self.device)

    def _explore(self, epsilon: float) -> torch.Tensor:
        """Epsilon-greedy actions for the current observations."""
        assert self._obs is not None
        shape = (self._obs.shape[0],)
        random_actions = torch.randint(self.n_actions, shape, generator=self.generator, device=self.device)
        if epsilon >= 1.0:
            return random_actions
        with torch.no_grad():
            greedy = self.q_network(self._obs).argmax(dim=1)
        explore = torch.rand(shape, generator=self.generator, device=self.device) < epsilon
        return torch.where(explore, random_actions, greedy)

    def _gradient_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        config = self.config
        indices = torch.randint(self.replay.size, (config.batch_size,), generator=self.generator, device=self.device)
        obs, actions, rewards, discounts, next_obs = self.replay.sample(indices)
        with torch.no_grad():
            next_q = self.target_network(next_obs)
            if config.double:
                next_actions = self.q_network(next_obs).argmax(dim=1, keepdim=True)
                next_values = next_q.gather(1, next_actions).squeeze(1)
            else:
                next_values = next_q.max(dim=1).values
            targets = rewards + discounts * next_values
        q_values = self.q_network(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q_values, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self._parameters, config.max_grad_norm, foreach=True)
        self.optimizer.step()
        self.updates_done += 1
        return loss, q_values

    def _update_target(self) -> None:
        with torch.no_grad():
            for target, online in zip(self._target_parameters, self._parameters, strict=True):
                target.copy_(online)

    # ------------------------------------------------------------------ acting
    @property
    def policy_network(self) -> torch.nn.Module:
        """The online Q-network (greedy actions maximise its Q-values)."""
        return self.q_network

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """:meth:`AgentBase.state_dict` plus both networks, the replay buffer and the n-step queue."""
        return {**super().state_dict(), **clone_state({
            "q_network": self.q_network.state_dict(), "target_network": self.target_network.state_dict(),
            "replay": self.replay.state_dict(),
            "n_step_queue": None if self._n_step_queue is None else self._n_step_queue.state_dict(),
            "steps_since_train": self._steps_since_train, "steps_since_target": self._steps_since_target,
        })}

    def load_state_dict(self, state: dict[str, Any]) -> dict[str, Any]:
        """Continue from :meth:`state_dict` (see :meth:`AgentBase.load_state_dict`)."""
        state = super().load_state_dict(state)
        self.q_network.load_state_dict(state["q_network"])
        self.target_network.load_state_dict(state["target_network"])
        self.replay.load_state_dict(state["replay"])
        queue = state["n_step_queue"]
        if queue is None:
            self._n_step_queue = None
        else:
            n_envs = queue["obs"].shape[1]
            self._n_step_queue = NStepAccumulator(self.config.n_step, n_envs, self.observation_size,
                                                  self.config.gamma, self.device)
            self._n_step_queue.load_state_dict(queue)
        self._steps_since_train = int(state["steps_since_train"])
        self._steps_since_target = int(state["steps_since_target"])
        return state
