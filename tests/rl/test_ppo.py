"""PPO agent: learning the toy task, GAE against a reference, truncation bootstrap, exact resumption."""

from __future__ import annotations

import io
from typing import Any

import pytest
import torch

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.ppo import PPOAgent, PPOConfig, compute_gae
from tests.rl.toy_env import ScriptedEnv, ToyBanditEnv, greedy_accuracy


def _agent(env: Any, seed: int = 1, **settings: Any) -> PPOAgent:
    return PPOAgent(env.observation_size, env.n_actions, PPOConfig(**settings), device="cpu", seed=seed)


def _assert_same_parameters(first: PPOAgent, second: PPOAgent) -> None:
    for a, b in zip(first.network.parameters(), second.network.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("terminate_on_wrong", [False, True])
def test_learns_the_toy_task(terminate_on_wrong: bool) -> None:
    env = ToyBanditEnv(n_envs=8, terminate_on_wrong=terminate_on_wrong)
    agent = _agent(env, n_steps=32).learn(env, 8000)
    assert agent.steps_done == 8192  # whole rollouts of 32 x 8
    assert greedy_accuracy(agent, env) == 1.0


def reference_gae(rewards: list[list[float]], values: list[list[float]], ends: list[list[bool]],
                  next_values: list[float], gamma: float, lam: float) -> list[list[float]]:
    """GAE from its definition: A_t = sum_l (gamma lambda)^l delta_{t+l}, stopping at the episode's end."""
    steps, n_envs = len(rewards), len(rewards[0])
    advantages = [[0.0] * n_envs for _ in range(steps)]
    for env in range(n_envs):
        for t in range(steps):
            total, weight = 0.0, 1.0
            for k in range(t, steps):
                following = next_values[env] if k + 1 == steps else values[k + 1][env]
                delta = rewards[k][env] + (0.0 if ends[k][env] else gamma * following) - values[k][env]
                total += weight * delta
                if ends[k][env]:
                    break
                weight *= gamma * lam
            advantages[t][env] = total
    return advantages


def test_gae_hand_computed() -> None:
    # gamma = lambda = 0.5; the episode ends after step 1.
    # t=2: delta = 3 + 0.5*2.0 - 1.5 = 2.5                      A = 2.5
    # t=1: delta = 2 - 1.0 = 1.0 (episode end: no look-ahead)   A = 1.0
    # t=0: delta = 1 + 0.5*1.0 - 0.5 = 1.0                      A = 1.0 + 0.25*1.0 = 1.25
    advantages, returns = compute_gae(torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([[0.5], [1.0], [1.5]]),
                                      torch.tensor([[False], [True], [False]]), torch.tensor([2.0]), 0.5, 0.5)
    assert advantages.flatten().tolist() == [1.25, 1.0, 2.5]
    assert returns.flatten().tolist() == [1.75, 2.0, 4.0]


def test_gae_matches_reference_implementation() -> None:
    generator = torch.Generator().manual_seed(0)
    steps, n_envs = 12, 3
    rewards = torch.randn(steps, n_envs, generator=generator, dtype=torch.float64)
    values = torch.randn(steps, n_envs, generator=generator, dtype=torch.float64)
    ends = torch.rand(steps, n_envs, generator=generator) < 0.25
    ends[-1, 0] = True
    next_values = torch.randn(n_envs, generator=generator, dtype=torch.float64)
    advantages, returns = compute_gae(rewards, values, ends, next_values, 0.97, 0.9)
    expected = reference_gae(rewards.tolist(), values.tolist(), ends.tolist(), next_values.tolist(), 0.97, 0.9)
    torch.testing.assert_close(advantages, torch.tensor(expected, dtype=torch.float64), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(returns, advantages + values)


def test_rollout_bootstraps_truncated_episodes_only() -> None:
    rewards = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    terminated = torch.zeros(4, 2, dtype=torch.bool)
    truncated = torch.zeros(4, 2, dtype=torch.bool)
    truncated[1, 0] = True  # bootstrap from final_obs [1001, 0]
    terminated[2, 1] = True  # no bootstrap
    env = ScriptedEnv(rewards, terminated, truncated)
    agent = _agent(env, n_steps=4, gamma=0.9, n_minibatches=2)
    initial = _agent(env, n_steps=4, gamma=0.9, n_minibatches=2)  # same seed: the weights used while collecting
    agent.learn(env, 8)
    with torch.no_grad():
        bootstrap = initial.network.value(torch.tensor([[1001.0, 0.0]]))
    expected = rewards.clone()
    expected[1, 0] += 0.9 * bootstrap[0]
    assert agent.rollout is not None
    torch.testing.assert_close(agent.rollout.rewards, expected)
    assert agent.rollout.episode_ends.tolist() == (terminated | truncated).tolist()
    with torch.no_grad():
        torch.testing.assert_close(agent.rollout.values, initial.network.value(agent.rollout.obs))


def test_resume_is_bit_identical() -> None:
    settings = dict(n_steps=16, n_epochs=2, n_minibatches=4, anneal_lr=True)
    rollout = 16 * 4

    def fresh(seed: int = 11) -> tuple[PPOAgent, ToyBanditEnv]:
        env = ToyBanditEnv(n_envs=4, episode_length=5)
        return _agent(env, seed=seed, **settings), env

    whole, whole_env = fresh()
    whole.learn(whole_env, 6 * rollout, total_steps=6 * rollout)

    halves, halves_env = fresh()
    halves.learn(halves_env, 3 * rollout, total_steps=6 * rollout)
    halves.learn(halves_env, 3 * rollout, total_steps=6 * rollout)
    _assert_same_parameters(whole, halves)

    first, first_env = fresh()
    first.learn(first_env, 3 * rollout, total_steps=6 * rollout)
    buffer = io.BytesIO()
    torch.save({"agent": first.state_dict(), "env": first_env.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer)
    resumed, resumed_env = fresh(seed=99)
    resumed_env.load_state_dict(saved["env"])
    resumed.load_state_dict(saved["agent"])
    resumed.learn(resumed_env, 3 * rollout, total_steps=6 * rollout)
    _assert_same_parameters(whole, resumed)
    assert resumed.steps_done == whole.steps_done == 6 * rollout
    assert resumed.updates_done == whole.updates_done == 6 * 2 * 4
    assert PPOAgent.from_state_dict(saved["agent"], device="cpu").config == PPOConfig(**settings)


def test_seeded_reproducibility() -> None:
    def train(seed: int) -> PPOAgent:
        env = ToyBanditEnv(n_envs=2)
        return _agent(env, seed=seed, n_steps=16).learn(env, 64)

    global_state = torch.get_rng_state()
    _assert_same_parameters(train(5), train(5))
    assert torch.equal(torch.get_rng_state(), global_state)
    assert all(not torch.equal(a, b) for a, b in zip(train(5).network.parameters(), train(6).network.parameters(),
                                                      strict=True))


def test_log_tags() -> None:
    env = ToyBanditEnv(n_envs=4, episode_length=8)
    entries: list[tuple[str, float, int]] = []
    _agent(env, n_steps=8).learn(env, 64, log=lambda tag, value, step: entries.append((tag, value, step)))
    tags = [tag for tag, _, step in entries if step == 32]
    assert tags == ["episode/return", "episode/pnl", "episode/hits", "train/policy_loss", "train/value_loss",
                    "train/entropy", "train/approx_kl", "train/clip_fraction"]
    kl = [value for tag, value, _ in entries if tag == "train/approx_kl"]
    assert len(kl) == 2 and all(value >= -1e-6 for value in kl)


@pytest.mark.parametrize(("field", "value"), [
    ("learning_rate", -1.0), ("n_steps", 0), ("n_epochs", 1.5), ("n_minibatches", 0), ("gamma", 2.0),
    ("gae_lambda", -0.5), ("clip_range", 0.0), ("ent_coef", -0.01), ("vf_coef", float("inf")),
    ("max_grad_norm", 0.0), ("normalize_advantage", "no"), ("hidden_sizes", "64"), ("anneal_lr", None),
])
def test_config_validation_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        PPOConfig(**{field: value})
    assert info.value.field == field


def test_too_many_minibatches_for_the_rollout() -> None:
    env = ToyBanditEnv(n_envs=2)
    with pytest.raises(ValidationError) as info:
        _agent(env, n_steps=2, n_minibatches=8).learn(env, 4)
    assert info.value.field == "config.n_minibatches"


def test_greedy_actions_are_the_most_likely() -> None:
    agent = PPOAgent(4, 3, device="cpu")
    obs = torch.randn(6, 4)
    assert torch.equal(agent.greedy_actions(obs), agent.network(obs).argmax(-1))
