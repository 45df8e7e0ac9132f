"""Networks of the RL agents: shapes, dueling identity, initialisation, specs and policy loading."""

from __future__ import annotations

import io
import math

import pytest
import torch
from torch import nn

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.dqn import DQNAgent, DQNConfig
from quantlib_local.rl.networks import ActorCritic, QNetwork, build_mlp, build_network, load_policy
from quantlib_local.rl.ppo import PPOAgent


def test_build_mlp_layers() -> None:
    mlp = build_mlp(5, 3, (16, 8), activation=nn.Tanh)
    kinds = [type(module) for module in mlp]
    assert kinds == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]
    assert [m.out_features for m in mlp if isinstance(m, nn.Linear)] == [16, 8, 3]
    assert [type(m) for m in build_mlp(5, 3, ())] == [nn.Linear]


@pytest.mark.parametrize("dueling", [False, True])
def test_q_network_forward_matches_its_modules(dueling: bool) -> None:
    network = build_network({"kind": "q", "observation_size": 5, "n_actions": 3, "hidden_sizes": [16, 8],
                             "dueling": dueling}, seed=1)
    obs = torch.randn(7, 5, generator=torch.Generator().manual_seed(0))
    q = network(obs)
    assert q.shape == (7, 3)
    if dueling:
        features = network.trunk(obs)
        advantage = network.advantage_head(features)
        expected = network.value_head(features) + advantage - advantage.mean(-1, keepdim=True)
        # Wang et al. (2016) eq. 9: the mean over actions of Q is V.
        torch.testing.assert_close(q.mean(-1), network.value_head(features).squeeze(-1))
    else:
        expected = network.q(obs)  # stable-baselines3's layout: Linear-ReLU-Linear-ReLU-Linear
    torch.testing.assert_close(q, expected)


def test_dueling_without_hidden_layers() -> None:
    network = QNetwork(4, 2, (), dueling=True)
    assert network(torch.zeros(3, 4)).shape == (3, 2)


def test_actor_critic_orthogonal_initialisation() -> None:
    network = ActorCritic(6, 3, (64, 64))
    policy = [m for m in network.policy if isinstance(m, nn.Linear)]
    value = [m for m in network.value_function if isinstance(m, nn.Linear)]
    assert all(isinstance(m, (nn.Linear, nn.Tanh)) for m in network.policy)
    for layers, output_gain in ((policy, 0.01), (value, 1.0)):
        for layer, gain in zip(layers, [math.sqrt(2.0)] * (len(layers) - 1) + [output_gain], strict=True):
            weight = layer.weight.detach().double()
            rows, cols = weight.shape
            gram = weight @ weight.T if rows <= cols else weight.T @ weight
            torch.testing.assert_close(gram, gain**2 * torch.eye(min(rows, cols), dtype=torch.float64),
                                       atol=1e-5, rtol=1e-5)
            assert torch.count_nonzero(layer.bias) == 0
    obs = torch.randn(4, 6)
    logits, values = network.logits_and_value(obs)
    assert logits.shape == (4, 3) and values.shape == (4,)
    torch.testing.assert_close(network(obs), logits)
    torch.testing.assert_close(network.value(obs), values)


@pytest.mark.parametrize("spec", [
    {"kind": "q", "observation_size": 5, "n_actions": 3, "hidden_sizes": [32], "dueling": True},
    {"kind": "actor_critic", "observation_size": 5, "n_actions": 4, "hidden_sizes": [8, 8]},
])
def test_spec_round_trip_and_seeded_build(spec: dict) -> None:
    before = torch.get_rng_state()
    first, second = build_network(spec, seed=3), build_network(spec, seed=3)
    assert torch.equal(torch.get_rng_state(), before)  # seeded construction leaves the global generator alone
    assert first.network_spec() == spec
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    other = build_network(spec, seed=4)
    assert not all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), other.state_dict().values(),
                                                      strict=True))


@pytest.mark.parametrize(("spec", "field"), [
    ({"kind": "lstm"}, "spec['kind']"),
    ({"kind": "q", "observation_size": 3}, "spec"),
    ({"kind": "q", "observation_size": 0, "n_actions": 2, "hidden_sizes": [4], "dueling": False}, "observation_size"),
    ({"kind": "actor_critic", "observation_size": 3, "n_actions": 2, "hidden_sizes": [4, -1]}, "hidden_sizes"),
])
def test_build_network_rejects_bad_specs(spec: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build_network(spec)
    assert info.value.field == field


@pytest.mark.parametrize("algorithm", ["dqn", "ppo"])
def test_load_policy_reproduces_agent_scores(algorithm: str) -> None:
    if algorithm == "dqn":
        agent = DQNAgent(4, 3, DQNConfig(dueling=True, hidden_sizes=(16,)), device="cpu", seed=2)
        network = agent.q_network
    else:
        agent = PPOAgent(4, 3, device="cpu", seed=2)
        network = agent.network
    buffer = io.BytesIO()
    torch.save(agent.policy_state(), buffer)
    buffer.seek(0)
    policy = load_policy(torch.load(buffer))
    obs = torch.randn(10, 4)
    with torch.no_grad():
        torch.testing.assert_close(policy(obs), network(obs))
    assert not policy.training
    assert not any(p.requires_grad for p in policy.parameters())
    assert torch.equal(policy(obs).argmax(-1), agent.greedy_actions(obs))


def test_load_policy_rejects_mismatches() -> None:
    state = DQNAgent(4, 3, device="cpu").policy_state()
    with pytest.raises(ValidationError) as info:
        load_policy({**state, "algorithm": "a3c"})
    assert info.value.field == "policy_state['algorithm']"
    with pytest.raises(ValidationError) as info:
        load_policy({**state, "algorithm": "ppo"})
    assert info.value.field == "policy_state['network']"
    with pytest.raises(ValidationError) as info:
        load_policy({**state, "network": {**state["network"], "hidden_sizes": [8]}})
    assert info.value.field == "policy_state['state_dict']"
    with pytest.raises(ValidationError) as info:
        load_policy({"state_dict": {}})
    assert info.value.field == "policy_state"
