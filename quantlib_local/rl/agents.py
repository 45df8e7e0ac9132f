"""What the DQN and PPO agents share: the log callback, devices, seeds, episode statistics.

An agent trains on any :class:`~quantlib_local.rl.interface.BatchedEnvironment`. These
helpers check that an environment fits an agent, derive the agent's independent seeds from
its one ``seed``, report finished episodes to a log callback, and copy state dicts so a
saved state never aliases tensors that training keeps changing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, ClassVar, TypeAlias

import numpy as np
import torch

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.interface import BatchedEnvironment, StepBatch

logger = logging.getLogger(__name__)

LogFn: TypeAlias = Callable[[str, float, int], None]
"""``log(tag, value, step)``: receives training scalars such as ``"train/loss"`` and
``"episode/return"``; ``step`` is the agent's ``steps_done`` (environment transitions)."""


def require(condition: bool, field: str, value: Any, fix: str) -> None:
    """Raise :class:`ValidationError` naming ``field``, ``value`` and ``fix`` unless ``condition`` holds."""
    if not condition:
        raise ValidationError(field, value, fix)


def is_int(value: Any) -> bool:
    """A Python integer that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite real number that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def resolve_device(device: torch.device | str | None) -> torch.device:
    """The given device, or CUDA when available and CPU otherwise."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValidationError("device", device, "pass 'cpu', 'cuda', 'cuda:0' or a torch.device") from exc


def check_seed(seed: int) -> int:
    """Validate a non-negative integer seed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError("seed", seed, "pass a non-negative integer")
    return int(seed)


def derive_seeds(seed: int) -> tuple[int, int, int]:
    """Independent seeds for the network weights, the agent's generator and the first env reset.

    Parameters
    ----------
    seed
        The agent's seed.

    Returns
    -------
    tuple of int
        ``(network_seed, generator_seed, env_seed)``, drawn from
        ``numpy.random.SeedSequence(seed)`` so nearby seeds give unrelated streams.
    """
    words = np.random.SeedSequence(check_seed(seed)).generate_state(3, dtype=np.uint32)
    return int(words[0]), int(words[1]), int(words[2])


def check_step_count(n_steps: int, field: str = "n_steps") -> int:
    """Validate a non-negative integer number of environment steps."""
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValidationError(field, n_steps, "pass a non-negative integer number of environment steps")
    return int(n_steps)


def check_env(env: BatchedEnvironment, observation_size: int, n_actions: int) -> int:
    """Check that ``env`` matches an agent's sizes; return its ``n_envs``.

    Raises
    ------
    ValidationError
        When the environment's observation size or action count differ from the agent's,
        or ``n_envs`` is not a positive integer.
    """
    for name in ("n_envs", "observation_size", "n_actions", "reset", "step"):
        if not hasattr(env, name):
            raise ValidationError("env", type(env).__name__,
                                  "pass an object implementing quantlib_local.rl.interface.BatchedEnvironment",
                                  detail=f"it has no attribute {name!r}")
    if int(env.observation_size) != observation_size:
        raise ValidationError("env.observation_size", env.observation_size,
                              f"train on an environment with observation_size={observation_size} like the agent")
    if int(env.n_actions) != n_actions:
        raise ValidationError("env.n_actions", env.n_actions,
                              f"train on an environment with n_actions={n_actions} like the agent")
    n_envs = int(env.n_envs)
    if n_envs < 1:
        raise ValidationError("env.n_envs", env.n_envs, "use an environment with at least one episode")
    return n_envs


def env_device(env: BatchedEnvironment) -> torch.device:
    """The environment's device (CPU when it does not say)."""
    return torch.device(getattr(env, "device", "cpu"))


def log_episodes(log: LogFn, batch: StepBatch, step: int) -> None:
    """Report episodes that ended in ``batch``: ``episode/return`` and ``episode/<term>``.

    Each value is the mean over the environments whose episode ended on this step; nothing
    is logged when none did.
    """
    done = batch.terminated | batch.truncated
    if not bool(done.any()):
        return
    if batch.episode_return is not None:
        log("episode/return", float(torch.nanmean(batch.episode_return[done].double())), step)
    for name, values in batch.episode_terms.items():
        log(f"episode/{name}", float(torch.nanmean(values[done].double())), step)


def clone_state(tree: Any) -> Any:
    """Deep copy of nested dicts, lists and tuples with every tensor detached and cloned."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().clone()
    if isinstance(tree, dict):
        return {key: clone_state(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [clone_state(value) for value in tree]
    if isinstance(tree, tuple):
        return tuple(clone_state(value) for value in tree)
    return tree


def cpu_weights(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A module's parameters and buffers, cloned onto the CPU (portable checkpoints)."""
    return {name: value.detach().to("cpu", copy=True) for name, value in module.state_dict().items()}


def check_state(state: Any, algorithm: str, observation_size: int, n_actions: int, config: dict[str, Any]) -> None:
    """Check that an agent ``state_dict`` fits the agent about to load it.

    Raises
    ------
    ValidationError
        When ``state`` comes from another algorithm, other sizes or another configuration.
    """
    if not isinstance(state, dict) or state.get("algorithm") != algorithm:
        raise ValidationError("state", type(state).__name__, f"pass the dict returned by a {algorithm} agent's "
                              "state_dict()")
    for key, expected in (("observation_size", observation_size), ("n_actions", n_actions)):
        if state.get(key) != expected:
            raise ValidationError(f"state[{key!r}]", state.get(key),
                                  f"load into an agent built with {key}={state.get(key)} (this one has {expected})")
    saved = _plain(state.get("config") or {})
    config = _plain(config)
    if saved != config:
        differing = sorted(key for key in set(saved) | set(config) if saved.get(key) != config.get(key))
        raise ValidationError("state['config']", {key: saved.get(key) for key in differing},
                              "build the agent with the configuration it was saved with, or use from_state_dict()",
                              detail=f"these settings differ from the agent's: {differing}")


def _plain(config: dict[str, Any]) -> dict[str, Any]:
    """Settings with lists as tuples, so a configuration that went through JSON compares equal."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in config.items()}


def restore_generator(generator: torch.Generator, state: torch.Tensor, saved_device_type: str) -> None:
    """Load a generator state saved on a device of the same type; otherwise keep the current one."""
    if saved_device_type != generator.device.type:
        logger.warning("agent state was saved on %s and is loaded on %s: the random stream restarts, so training "
                       "continues reproducibly but not bit-identically", saved_device_type, generator.device.type)
        return
    generator.set_state(state.cpu())


class AgentBase:
    """What :class:`~quantlib_local.rl.dqn.DQNAgent` and :class:`~quantlib_local.rl.ppo.PPOAgent` share.

    Subclasses set :attr:`algorithm` and :attr:`config_type`, call :meth:`_setup` first in
    ``__init__``, expose the network that scores actions as :attr:`policy_network`, and
    extend :meth:`state_dict` / :meth:`load_state_dict` with their own pieces.
    """

    algorithm: ClassVar[str]
    config_type: ClassVar[type]
    config: Any
    optimizer: torch.optim.Optimizer

    def _setup(self, observation_size: int, n_actions: int, config: Any, device: torch.device | str | None,
               seed: int) -> int:
        """Check the config, place the agent, seed its generator; return the seed of the network weights."""
        if config is None:
            config = self.config_type()
        if not isinstance(config, self.config_type):
            raise ValidationError("config", type(config).__name__, f"pass a {self.config_type.__name__} or None")
        self.config = config
        self.device = resolve_device(device)
        self.seed = seed
        network_seed, generator_seed, self._env_seed = derive_seeds(seed)
        self.observation_size = observation_size
        self.n_actions = n_actions
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(generator_seed)
        self.steps_done = 0
        self.updates_done = 0
        self._obs: torch.Tensor | None = None
        return network_seed

    @property
    def policy_network(self) -> torch.nn.Module:
        """The network whose scores (Q-values or logits) pick the greedy action."""
        raise NotImplementedError

    def _start(self, env: BatchedEnvironment, n_envs: int) -> None:
        """Reset ``env`` on the first call; later calls must continue on as many episodes."""
        if self._obs is None:
            obs = env.reset(seed=self._env_seed)
            self._obs = obs.to(device=self.device, dtype=torch.float32).clone()
        elif self._obs.shape[0] != n_envs:
            raise ValidationError("env.n_envs", n_envs,
                                  f"continue on an environment with n_envs={self._obs.shape[0]} as before, or build a "
                                  "new agent")

    def greedy_actions(self, obs: torch.Tensor) -> torch.Tensor:
        """Highest-scoring actions, ``(B,)`` int64 on ``obs``'s device."""
        with torch.no_grad():
            scores = self.policy_network(obs.to(device=self.device, dtype=torch.float32))
        return scores.argmax(dim=-1).to(obs.device)

    def policy_state(self) -> dict[str, Any]:
        """``{"algorithm", "network": spec, "state_dict": weights}`` for :func:`~.networks.load_policy`."""
        return {"algorithm": self.algorithm, "network": self.policy_network.network_spec(),
                "state_dict": cpu_weights(self.policy_network)}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly (a copy; save it with :func:`torch.save`).

        The environment's state is not included: save ``env.state_dict()`` beside it.
        """
        return clone_state({
            "algorithm": self.algorithm, "observation_size": self.observation_size, "n_actions": self.n_actions,
            "config": asdict(self.config), "seed": self.seed, "device_type": self.device.type,
            "optimizer": self.optimizer.state_dict(), "generator": self.generator.get_state(),
            "steps_done": self.steps_done, "updates_done": self.updates_done, "obs": self._obs,
        })

    def load_state_dict(self, state: dict[str, Any]) -> dict[str, Any]:
        """Continue from :meth:`state_dict` (then restore the environment with its own ``load_state_dict``).

        Returns the checked copy of ``state`` for subclasses to load their own pieces from.

        Raises
        ------
        ValidationError
            When the state comes from another algorithm, other sizes or another configuration.
        """
        check_state(state, self.algorithm, self.observation_size, self.n_actions, asdict(self.config))
        state = clone_state(state)
        self.optimizer.load_state_dict(state["optimizer"])
        restore_generator(self.generator, state["generator"], state["device_type"])
        obs = state["obs"]
        self._obs = None if obs is None else obs.to(self.device)
        self.seed = state["seed"]
        self._env_seed = derive_seeds(self.seed)[2]
        self.steps_done = int(state["steps_done"])
        self.updates_done = int(state["updates_done"])
        return state

    @classmethod
    def from_state_dict(cls, state: dict[str, Any], *, device: torch.device | str | None = None) -> Any:
        """A new agent built with the saved configuration and loaded from ``state``."""
        if not isinstance(state, dict) or state.get("algorithm") != cls.algorithm:
            raise ValidationError("state", type(state).__name__,
                                  f"pass the dict returned by {cls.__name__}.state_dict()")
        config = dict(state["config"])
        config["hidden_sizes"] = tuple(config["hidden_sizes"])
        agent = cls(state["observation_size"], state["n_actions"], cls.config_type(**config),  # type: ignore[call-arg]
                    device=device, seed=state["seed"])
        agent.load_state_dict(state)
        return agent
