"""Neural networks of the RL agents, and how to rebuild them from a plain description.

Every network here maps observations ``(B, observation_size)`` float32 to one score per
action ``(B, n_actions)``: Q-values for :class:`QNetwork`, policy logits for
:class:`ActorCritic`. A strategy therefore acts greedily with ``scores.argmax(-1)``
whichever algorithm trained it.

Each network describes itself with :meth:`network_spec` as a dict of plain values
(JSON-safe), and :func:`build_network` rebuilds it from that dict. An agent's
``policy_state()`` bundles the spec with the weights, and :func:`load_policy` turns such
a bundle back into a ready module, without the training configuration.

References
----------
Wang, Z. et al. (2016). Dueling network architectures for deep reinforcement learning. ICML.
Huang, S. et al. (2022). The 37 implementation details of proximal policy optimization. ICLR blog track
(orthogonal initialisation with gains sqrt(2), 0.01 and 1, as CleanRL and stable-baselines3 use).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

__all__ = ["ActorCritic", "QNetwork", "actor_critic_spec", "build_mlp", "build_network", "load_policy", "q_network_spec"]

_ALGORITHM_KINDS = {"dqn": "q", "ppo": "actor_critic"}


def _check_sizes(observation_size: int, n_actions: int, hidden_sizes: Sequence[int]) -> tuple[int, ...]:
    # numbers.Integral: gymnasium gives Discrete(n).n as a NumPy integer
    if isinstance(observation_size, bool) or not isinstance(observation_size, Integral) or observation_size < 1:
        raise ValidationError("observation_size", observation_size, "pass a positive integer")
    if isinstance(n_actions, bool) or not isinstance(n_actions, Integral) or n_actions < 1:
        raise ValidationError("n_actions", n_actions, "pass a positive integer")
    return check_hidden_sizes(hidden_sizes)


def check_hidden_sizes(hidden_sizes: Sequence[int], field: str = "hidden_sizes") -> tuple[int, ...]:
    """Validate layer widths and return them as a tuple of ints.

    Parameters
    ----------
    hidden_sizes
        Widths of the hidden layers, input side first; may be empty.
    field
        Name used in the error message.

    Returns
    -------
    tuple of int

    Raises
    ------
    ValidationError
        When ``hidden_sizes`` is not a sequence of positive integers.
    """
    if isinstance(hidden_sizes, (str, bytes)) or not isinstance(hidden_sizes, Sequence):
        raise ValidationError(field, hidden_sizes, "pass a sequence of positive integers such as (64, 64)")
    sizes = tuple(hidden_sizes)
    if any(isinstance(size, bool) or not isinstance(size, int) or size < 1 for size in sizes):
        raise ValidationError(field, hidden_sizes, "pass a sequence of positive integers such as (64, 64)")
    return sizes


def build_mlp(
    input_size: int,
    output_size: int,
    hidden_sizes: Sequence[int] = (64, 64),
    activation: type[nn.Module] = nn.ReLU,
) -> nn.Sequential:
    """A multilayer perceptron: ``Linear -> activation`` per hidden layer, then a linear output.

    Parameters
    ----------
    input_size, output_size
        Widths of the input and of the (linear, unactivated) output.
    hidden_sizes
        Widths of the hidden layers; empty gives a single linear layer.
    activation
        Module class placed after every hidden layer.

    Returns
    -------
    torch.nn.Sequential
        Layers initialised with PyTorch's defaults (draws from the global generator; see
        :func:`build_network` for a seeded construction).
    """
    sizes = (input_size, *check_hidden_sizes(hidden_sizes), output_size)
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if index < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class QNetwork(nn.Module):
    """Action values ``Q(s, .)`` from an MLP with ReLU activations; optionally dueling.

    Parameters
    ----------
    observation_size
        Length of an observation vector.
    n_actions
        Number of discrete actions.
    hidden_sizes
        Widths of the hidden layers (the shared trunk when ``dueling``).
    dueling
        When True the trunk feeds a value head ``V(s)`` and an advantage head ``A(s, a)``
        combined as ``Q = V + A - mean_a A`` (Wang et al. 2016, eq. 9), so the two are
        identifiable. When False the MLP outputs Q directly (stable-baselines3's layout).
    """

    def __init__(
        self, observation_size: int, n_actions: int, hidden_sizes: Sequence[int] = (64, 64), dueling: bool = False
    ) -> None:
        super().__init__()
        sizes = _check_sizes(observation_size, n_actions, hidden_sizes)
        self.observation_size = int(observation_size)
        self.n_actions = int(n_actions)
        self.hidden_sizes = sizes
        self.dueling = bool(dueling)
        if self.dueling:
            trunk = build_mlp(observation_size, sizes[-1], sizes[:-1]) if sizes else nn.Sequential()
            if sizes:
                trunk.append(nn.ReLU())
            width = sizes[-1] if sizes else observation_size
            self.trunk = trunk
            self.value_head = nn.Linear(width, 1)
            self.advantage_head = nn.Linear(width, n_actions)
            linears = [module for module in trunk if isinstance(module, nn.Linear)]
        else:
            self.q = build_mlp(observation_size, n_actions, sizes)
            linears = [module for module in self.q if isinstance(module, nn.Linear)]
        # Plain lists (so not registered twice): forward calls F.linear on these layers directly, which skips
        # the per-module call overhead that dominates small networks acting on batches of one.
        self._hidden_layers = linears if self.dueling else linears[:-1]
        self._output_layers = [] if self.dueling else linears[-1:]

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values ``(B, n_actions)`` of observations ``(B, observation_size)``."""
        features = obs
        for layer in self._hidden_layers:
            features = F.relu(F.linear(features, layer.weight, layer.bias))
        if not self.dueling:
            output = self._output_layers[0]
            return F.linear(features, output.weight, output.bias)
        advantage = F.linear(features, self.advantage_head.weight, self.advantage_head.bias)
        value = F.linear(features, self.value_head.weight, self.value_head.bias)
        return value + advantage - advantage.mean(dim=-1, keepdim=True)

    def network_spec(self) -> dict[str, Any]:
        """Plain description of the architecture; :func:`build_network` rebuilds it."""
        return q_network_spec(self.observation_size, self.n_actions, self.hidden_sizes, self.dueling)


def _orthogonal(layer: nn.Linear, gain: float) -> nn.Linear:
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


def _tanh_mlp(input_size: int, output_size: int, hidden_sizes: tuple[int, ...], output_gain: float) -> nn.Sequential:
    mlp = build_mlp(input_size, output_size, hidden_sizes, activation=nn.Tanh)
    linears = [module for module in mlp if isinstance(module, nn.Linear)]
    for layer in linears[:-1]:
        _orthogonal(layer, math.sqrt(2.0))
    _orthogonal(linears[-1], output_gain)
    return mlp


class ActorCritic(nn.Module):
    """Separate policy and value MLPs (tanh) for PPO; ``forward`` returns the policy logits.

    Parameters
    ----------
    observation_size
        Length of an observation vector.
    n_actions
        Number of discrete actions.
    hidden_sizes
        Widths of the hidden layers of each of the two MLPs.

    Notes
    -----
    Weights are orthogonal with gain ``sqrt(2)`` in hidden layers, ``0.01`` in the policy
    output (near-uniform initial policy) and ``1`` in the value output; biases are zero
    (CleanRL, stable-baselines3).
    """

    def __init__(self, observation_size: int, n_actions: int, hidden_sizes: Sequence[int] = (64, 64)) -> None:
        super().__init__()
        sizes = _check_sizes(observation_size, n_actions, hidden_sizes)
        self.observation_size = int(observation_size)
        self.n_actions = int(n_actions)
        self.hidden_sizes = sizes
        self.policy = _tanh_mlp(observation_size, n_actions, sizes, output_gain=0.01)
        self.value_function = _tanh_mlp(observation_size, 1, sizes, output_gain=1.0)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Policy logits ``(B, n_actions)`` of observations ``(B, observation_size)``."""
        return self.policy(obs)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        """State values ``(B,)``."""
        return self.value_function(obs).squeeze(-1)

    def logits_and_value(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy logits ``(B, n_actions)`` and state values ``(B,)`` in one call."""
        return self.policy(obs), self.value_function(obs).squeeze(-1)

    def network_spec(self) -> dict[str, Any]:
        """Plain description of the architecture; :func:`build_network` rebuilds it."""
        return actor_critic_spec(self.observation_size, self.n_actions, self.hidden_sizes)


def q_network_spec(observation_size: int, n_actions: int, hidden_sizes: Sequence[int] = (64, 64),
                   dueling: bool = False) -> dict[str, Any]:
    """The :meth:`QNetwork.network_spec` of a network with these arguments (without building it)."""
    sizes = _check_sizes(observation_size, n_actions, hidden_sizes)
    return {"kind": "q", "observation_size": int(observation_size), "n_actions": int(n_actions), "hidden_sizes": list(sizes),
            "dueling": bool(dueling)}


def actor_critic_spec(observation_size: int, n_actions: int, hidden_sizes: Sequence[int] = (64, 64)) -> dict[str, Any]:
    """The :meth:`ActorCritic.network_spec` of a network with these arguments (without building it)."""
    sizes = _check_sizes(observation_size, n_actions, hidden_sizes)
    return {"kind": "actor_critic", "observation_size": int(observation_size), "n_actions": int(n_actions),
            "hidden_sizes": list(sizes)}


def build_network(spec: Mapping[str, Any], seed: int | None = None) -> QNetwork | ActorCritic:
    """Rebuild a network from its :meth:`network_spec` dict.

    Parameters
    ----------
    spec
        ``{"kind": "q", "observation_size", "n_actions", "hidden_sizes", "dueling"}`` or
        ``{"kind": "actor_critic", "observation_size", "n_actions", "hidden_sizes"}``.
    seed
        When given, the initial weights are drawn from ``torch.manual_seed(seed)`` inside
        :func:`torch.random.fork_rng`, so they depend on the seed only and the global
        generator is left as it was. When None, PyTorch's global generator is used.

    Returns
    -------
    QNetwork or ActorCritic
        On the CPU, in training mode.

    Raises
    ------
    ValidationError
        When ``spec`` lacks a key or names an unknown kind.
    """
    if not isinstance(spec, Mapping):
        raise ValidationError("spec", spec, "pass the dict returned by a network's network_spec()")
    kind = spec.get("kind")
    required = {"q": ("observation_size", "n_actions", "hidden_sizes", "dueling"),
                "actor_critic": ("observation_size", "n_actions", "hidden_sizes")}
    if kind not in required:
        raise ValidationError("spec['kind']", kind, "use 'q' (DQN) or 'actor_critic' (PPO)")
    missing = [key for key in required[kind] if key not in spec]
    if missing:
        raise ValidationError("spec", dict(spec), f"add the keys {missing} (see network_spec())")

    def construct() -> QNetwork | ActorCritic:
        if kind == "q":
            return QNetwork(int(spec["observation_size"]), int(spec["n_actions"]), tuple(spec["hidden_sizes"]),
                            dueling=bool(spec["dueling"]))
        return ActorCritic(int(spec["observation_size"]), int(spec["n_actions"]), tuple(spec["hidden_sizes"]))

    if seed is None:
        return construct()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return construct()


def load_policy(policy_state: Mapping[str, Any], device: torch.device | str = "cpu") -> nn.Module:
    """An inference-ready network from an agent's ``policy_state()``.

    Parameters
    ----------
    policy_state
        ``{"algorithm": "dqn" | "ppo", "network": spec, "state_dict": weights}`` as returned by
        :meth:`~quantlib_local.rl.dqn.DQNAgent.policy_state` or
        :meth:`~quantlib_local.rl.ppo.PPOAgent.policy_state` (possibly after a round trip
        through :func:`torch.save` / :func:`torch.load`).
    device
        Where the returned module lives.

    Returns
    -------
    torch.nn.Module
        In eval mode with gradients disabled; calling it on float32 observations
        ``(B, observation_size)`` gives action scores ``(B, n_actions)`` (Q-values for DQN,
        logits for PPO), so ``scores.argmax(-1)`` is the greedy action.

    Raises
    ------
    ValidationError
        When the algorithm is unknown, the spec does not match it, or the weights do not fit.
    """
    if not isinstance(policy_state, Mapping) or not {"algorithm", "network", "state_dict"} <= set(policy_state):
        raise ValidationError("policy_state", policy_state,
                              "pass the dict returned by an agent's policy_state() (keys algorithm, network, "
                              "state_dict)")
    algorithm = policy_state["algorithm"]
    if algorithm not in _ALGORITHM_KINDS:
        raise ValidationError("policy_state['algorithm']", algorithm, "use 'dqn' or 'ppo'")
    spec = policy_state["network"]
    expected = _ALGORITHM_KINDS[algorithm]
    if not isinstance(spec, Mapping) or spec.get("kind") != expected:
        raise ValidationError("policy_state['network']", spec,
                              f"a {algorithm!r} policy needs a network spec of kind {expected!r}")
    network = build_network(spec)
    try:
        network.load_state_dict(policy_state["state_dict"])
    except RuntimeError as exc:
        raise ValidationError("policy_state['state_dict']", "<weights>",
                              "save the weights and the spec from the same agent", detail=str(exc)) from exc
    network.to(device).eval()
    network.requires_grad_(False)
    logger.debug("loaded %s policy %s", algorithm, dict(spec))
    return network
