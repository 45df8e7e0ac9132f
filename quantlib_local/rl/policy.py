"""A trained policy as a file and as a Strategy: :func:`save_policy`, :func:`load_policy_file`, :class:`RLPolicy`.

A policy file holds the network (spec and weights), the environment config it was trained
with (actions, observation settings, costs), the traded symbol, the feature names and
provenance (algorithm, data span and fingerprint, steps, package version). It is written
atomically and read with ``torch.load(weights_only=True)``: plain values and tensors only,
no pickled code runs on load.

:class:`RLPolicy` (registry name ``rl_policy``) turns a policy file into a weights
strategy: on each bar it rebuilds the observation exactly as the environment does and
holds the greedy action's target weight in the traded symbol (0 in any other symbol).
The observation includes the weight held, so decisions are made in time order; the
network scores every bar under every held weight in one batch (float64, so batch and
single-row scores agree to the last bits that could break a tie) and the walk picks the
actions. The bar-by-bar form keeps the whole history and recomputes (features with
unbounded memory, such as the EWMA volatility, rule out a fixed window); a few
milliseconds per bar on a few thousand bars.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from quantlib_local._atomic import atomic_write
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.config import EnvironmentConfig
from quantlib_local.rl.data import TradingData, observation_rows
from quantlib_local.rl.networks import load_policy
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.registry import register_strategy

POLICY_FORMAT = "qlab-rl-policy/1"


@dataclass(frozen=True)
class PolicyFile:
    """A loaded policy: the network and what it needs to observe and act.

    Attributes
    ----------
    network
        Scores actions from observations (float64, eval mode, CPU).
    algorithm
        ``"dqn"`` or ``"ppo"``.
    environment
        The environment config it was trained with.
    symbol
        The traded symbol it was trained on.
    feature_names
        Observation columns, in order (the last observation entry is the held weight).
    metadata
        Provenance: data span and fingerprint, steps, seed, package version.
    """

    network: nn.Module
    algorithm: str
    environment: EnvironmentConfig
    symbol: str
    feature_names: list[str]
    metadata: dict[str, Any]


def save_policy(path: str | Path, policy_state: dict[str, Any], environment: EnvironmentConfig, data: TradingData,
                metadata: dict[str, Any] | None = None) -> Path:
    """Write a policy file atomically (see the module docstring) and return its path."""
    payload = {
        "format": POLICY_FORMAT,
        "algorithm": policy_state["algorithm"],
        "network": policy_state["network"],
        "state_dict": {k: v.detach().cpu() for k, v in policy_state["state_dict"].items()},
        "environment": environment.to_dict(),
        "symbol": data.symbol,
        "feature_names": list(data.feature_names),
        "metadata": dict(metadata or {}),
    }
    return atomic_write(Path(path), lambda temporary: torch.save(payload, temporary))


def load_policy_file(path: str | Path) -> PolicyFile:
    """Read a policy file written by :func:`save_policy` (cached per path and modification time)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError("policy", str(path), "pass the path of a policy file written by `qlab rl train`")
    return _load_cached(str(path.resolve()), os.stat(path).st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, modified: int) -> PolicyFile:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a file that is not a checkpoint
        raise ValidationError("policy", path, f"pass a policy file written by `qlab rl train` ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != POLICY_FORMAT:
        raise ValidationError("policy", path, f"pass a policy file in format {POLICY_FORMAT}")
    network = load_policy(payload).double()
    return PolicyFile(network, payload["algorithm"], EnvironmentConfig.from_dict(payload["environment"]),
                      payload["symbol"], list(payload["feature_names"]), dict(payload["metadata"]))


def greedy_weights(policy: PolicyFile, observations: np.ndarray, first_bar: int) -> tuple[np.ndarray, np.ndarray]:
    """Target weight and action per bar, walking forward from flat at ``first_bar``.

    Parameters
    ----------
    policy
        The loaded policy.
    observations
        ``(bars, features)`` standardised features (without the held weight).
    first_bar
        First complete observation; earlier bars are flat.

    Returns
    -------
    weights, actions
        ``(bars,)`` float weights and int actions (the flat action before ``first_bar``).
    """
    actions_weights = np.asarray(policy.environment.actions, dtype=float)
    flat = policy.environment.flat_action
    n_bars, n_actions = len(observations), len(actions_weights)
    actions = np.full(n_bars, flat, dtype=np.int64)
    if first_bar >= n_bars:
        return np.zeros(n_bars), actions
    rows = torch.as_tensor(observations[first_bar:], dtype=torch.float64)
    held = torch.as_tensor(actions_weights, dtype=torch.float64)
    batch = torch.cat([rows.repeat_interleave(n_actions, dim=0), held.repeat(len(rows)).unsqueeze(1)], dim=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small network: threads cost more than they save, and tie-breaks stay fixed
    try:
        with torch.no_grad():
            scores = policy.network(batch).reshape(len(rows), n_actions, -1).numpy()
    finally:
        torch.set_num_threads(threads)
    best = scores.argmax(axis=2)  # best[t, k]: greedy action at bar t when holding action k
    current = flat
    for offset in range(len(rows)):
        current = int(best[offset, current])
        actions[first_bar + offset] = current
    return actions_weights[actions], actions


@register_strategy
class RLPolicy(Strategy):
    """A trained reinforcement-learning policy as a weights strategy.

    Parameters
    ----------
    policy
        Path of a policy file written by :func:`save_policy` (``qlab rl train`` writes one).
    symbol
        The traded symbol; default the one the policy was trained on when the data has it,
        else the only symbol of the data.
    """

    name = "rl_policy"
    output = "weights"

    def __init__(self, policy: str, symbol: str | None = None) -> None:
        self.policy = policy
        self.symbol = symbol

    def check_params(self) -> None:
        if not isinstance(self.policy, (str, os.PathLike)):
            raise ValidationError("policy", self.policy, "pass the path of a policy file as a string")
        self.policy = os.fspath(self.policy)
        if self.symbol is not None and not isinstance(self.symbol, str):
            raise ValidationError("symbol", self.symbol, "pass a symbol name or None")
        load_policy_file(self.policy)  # fails now, by name, if the file is missing or not a policy

    def traded_symbol(self, market: MarketData, policy: PolicyFile) -> str:
        """The symbol this strategy trades in ``market``."""
        if self.symbol is not None:
            if self.symbol not in market.symbols:
                raise ValidationError("symbol", self.symbol, f"use one of {market.symbols}")
            return self.symbol
        if policy.symbol in market.symbols:
            return policy.symbol
        if len(market.symbols) == 1:
            return market.symbols[0]
        raise ValidationError("symbol", None, f"name the traded symbol, one of {market.symbols}")

    def _decide(self, market: MarketData) -> np.ndarray:
        policy = load_policy_file(self.policy)
        symbol = self.traded_symbol(market, policy)
        names, observations, _, first_bar = observation_rows(market, symbol, policy.environment.observation)
        if names != policy.feature_names:
            raise ValidationError("bars", names, f"pass data with the fields the policy was trained on, giving "
                                                 f"the features {policy.feature_names}")
        weights, _ = greedy_weights(policy, observations, first_bar)
        targets = np.zeros((len(market), len(market.symbols)))
        targets[:, market.symbols.index(symbol)] = weights
        return targets
