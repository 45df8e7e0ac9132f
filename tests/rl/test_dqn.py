"""DQN agent: learning the toy task, n-step arithmetic, target updates, schedule, exact resumption."""

from __future__ import annotations

import io
from typing import Any

import pytest
import torch

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.dqn import DQNAgent, DQNConfig
from tests.rl.toy_env import ScriptedEnv, ToyBanditEnv, greedy_accuracy

FAST = dict(learning_starts=200, exploration_fraction=0.3, gamma=0.9)


def _agent(env: Any, seed: int = 1, **settings: Any) -> DQNAgent:
    return DQNAgent(env.observation_size, env.n_actions, DQNConfig(**settings), device="cpu", seed=seed)


def _parameters(agent: DQNAgent) -> list[torch.Tensor]:
    return [p.detach().clone() for p in (*agent.q_network.parameters(), *agent.target_network.parameters())]


def _assert_same_parameters(first: DQNAgent, second: DQNAgent) -> None:
    for a, b in zip(_parameters(first), _parameters(second), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("variant", [{}, {"double": True}, {"dueling": True}, {"n_step": 3}])
def test_learns_the_toy_task(variant: dict) -> None:
    env = ToyBanditEnv(n_envs=8)
    agent = _agent(env, **FAST, **variant).learn(env, 3000)
    assert agent.steps_done == 3000
    assert greedy_accuracy(agent, env) == 1.0


def test_learns_with_terminating_episodes() -> None:
    env = ToyBanditEnv(n_envs=8, terminate_on_wrong=True)
    agent = _agent(env, **FAST, double=True).learn(env, 3000)
    assert greedy_accuracy(agent, env) == 1.0


def _scripted_run(n_step: int) -> tuple[DQNAgent, ScriptedEnv]:
    """Six steps of two environments, gamma = 0.5, no training (hand-computed rows below)."""
    rewards = torch.tensor([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [4.0, 1.0], [5.0, 1.0], [6.0, 1.0]])
    terminated = torch.zeros(6, 2, dtype=torch.bool)
    truncated = torch.zeros(6, 2, dtype=torch.bool)
    truncated[3, 0] = True  # env 0: first episode is cut at step 3 (bootstrap from final_obs [1003, 0])
    terminated[5, 0] = True  # env 0: second episode ends for good at step 5 (no bootstrap)
    env = ScriptedEnv(rewards, terminated, truncated)
    agent = _agent(env, gamma=0.5, n_step=n_step, learning_starts=10**6, buffer_size=100)
    agent.learn(env, 12)
    return agent, env


def _stored_rows(agent: DQNAgent) -> dict[tuple[int, int], tuple[float, float, list[float], int]]:
    replay = agent.replay
    rows = {}
    for i in range(replay.size):
        start, env_index = (int(v) for v in replay.obs[i])
        rows[(env_index, start)] = (float(replay.rewards[i]), float(replay.discounts[i]),
                                    replay.next_obs[i].tolist(), int(replay.actions[i]))
    return rows


def test_n_step_returns_match_hand_computation() -> None:
    agent, env = _scripted_run(n_step=3)
    # (env, start step): (return, discount, bootstrap observation) with gamma = 0.5, n = 3:
    expected = {
        (0, 0): (1 + 0.5 * 2 + 0.25 * 3, 0.125, [3.0, 0.0]),  # full window, episode goes on
        (0, 1): (2 + 0.5 * 3 + 0.25 * 4, 0.125, [1003.0, 0.0]),  # window ends at the truncation
        (0, 2): (3 + 0.5 * 4, 0.25, [1003.0, 0.0]),  # truncated after 2 rewards: gamma^2 bootstrap
        (0, 3): (4.0, 0.5, [1003.0, 0.0]),  # truncated after 1 reward
        (0, 4): (5 + 0.5 * 6, 0.0, [1005.0, 0.0]),  # terminated: no bootstrap
        (0, 5): (6.0, 0.0, [1005.0, 0.0]),
        (1, 0): (1.75, 0.125, [3.0, 1.0]),
        (1, 1): (1.75, 0.125, [4.0, 1.0]),
        (1, 2): (1.75, 0.125, [5.0, 1.0]),
        (1, 3): (1.75, 0.125, [6.0, 1.0]),
    }
    rows = _stored_rows(agent)
    assert set(rows) == set(expected)
    for key, (value, discount, next_obs) in expected.items():
        assert rows[key][:3] == (value, discount, next_obs), key
        env_index, start = key
        assert rows[key][3] == int(env.actions[start][env_index])
    # env 1's transitions from steps 4 and 5 still wait for their third reward
    assert int(agent.state_dict()["n_step_queue"]["pending"].sum()) == 2


def test_one_step_transitions() -> None:
    agent, _ = _scripted_run(n_step=1)
    rows = _stored_rows(agent)
    assert len(rows) == 12
    assert rows[(0, 2)][:3] == (3.0, 0.5, [3.0, 0.0])
    assert rows[(0, 3)][:3] == (4.0, 0.5, [1003.0, 0.0])  # truncated: bootstrap from final_obs
    assert rows[(0, 5)][:3] == (6.0, 0.0, [1005.0, 0.0])  # terminated: discount 0
    assert rows[(1, 5)][:3] == (1.0, 0.5, [6.0, 1.0])


def test_target_network_changes_only_every_target_update_steps() -> None:
    env = ToyBanditEnv(n_envs=1)
    agent = _agent(env, learning_starts=0, train_freq=1, batch_size=4, target_update=10)
    previous = [p.clone() for p in agent.target_network.parameters()]
    for _ in range(35):
        agent.learn(env, 1, total_steps=35)
        current = [p.clone() for p in agent.target_network.parameters()]
        changed = any(not torch.equal(a, b) for a, b in zip(previous, current, strict=True))
        assert changed == (agent.steps_done % 10 == 0), agent.steps_done
        if changed:
            for target, online in zip(current, agent.q_network.parameters(), strict=True):
                assert torch.equal(target, online)
        previous = current
    assert agent.updates_done == 35


def test_target_update_counts_environment_steps_across_a_batch() -> None:
    env = ToyBanditEnv(n_envs=4)
    agent = _agent(env, learning_starts=0, train_freq=4, batch_size=4, target_update=10)
    copies = 0
    previous = [p.clone() for p in agent.target_network.parameters()]
    for _ in range(10):
        agent.learn(env, 4, total_steps=40)
        current = [p.clone() for p in agent.target_network.parameters()]
        copies += any(not torch.equal(a, b) for a, b in zip(previous, current, strict=True))
        previous = current
    assert copies == 4  # 40 environment steps, one copy per 10
    assert agent.updates_done == 10  # one update per train_freq = 4 environment steps


def test_epsilon_schedule() -> None:
    config = DQNConfig(exploration_initial=1.0, exploration_final=0.1, exploration_fraction=0.5)
    assert config.exploration_rate(0, 100) == 1.0
    assert config.exploration_rate(25, 100) == pytest.approx(0.55)
    assert config.exploration_rate(50, 100) == pytest.approx(0.1)
    assert config.exploration_rate(90, 100) == pytest.approx(0.1)
    assert DQNConfig(exploration_fraction=0.0).exploration_rate(0, 100) == 0.05

    env = ToyBanditEnv(n_envs=1)
    agent = _agent(env, learning_starts=0, train_freq=1, batch_size=4, log_interval=1,
                   exploration_initial=1.0, exploration_final=0.1, exploration_fraction=0.5)
    logged: dict[tuple[str, int], float] = {}
    agent.learn(env, 100, log=lambda tag, value, step: logged.__setitem__((tag, step), value))
    assert logged[("train/epsilon", 25)] == pytest.approx(0.55)
    assert logged[("train/epsilon", 60)] == pytest.approx(0.1)


def test_log_tags() -> None:
    env = ToyBanditEnv(n_envs=4, episode_length=8)
    agent = _agent(env, learning_starts=0, train_freq=4, log_interval=2)
    entries: list[tuple[str, float, int]] = []
    agent.learn(env, 64, log=lambda tag, value, step: entries.append((tag, value, step)))
    tags = {tag for tag, _, _ in entries}
    assert tags == {"train/loss", "train/q_mean", "train/epsilon", "episode/return", "episode/pnl", "episode/hits"}
    returns = [(value, step) for tag, value, step in entries if tag == "episode/return"]
    assert [step for _, step in returns] == [32, 64]  # all four episodes end after 8 iterations
    assert all(-8.0 <= value <= 8.0 for value, _ in returns)
    assert sum(tag == "train/loss" for tag, _, _ in entries) == 8  # 16 updates, logged every 2


def _resume_config() -> dict:
    return dict(learning_starts=40, train_freq=2, gradient_steps=2, target_update=24, batch_size=16, buffer_size=200,
                n_step=3, double=True, exploration_fraction=0.5)


def test_resume_is_bit_identical() -> None:
    steps = 240

    def fresh(seed: int = 11) -> tuple[DQNAgent, ToyBanditEnv]:
        env = ToyBanditEnv(n_envs=4, episode_length=5)
        return _agent(env, seed=seed, **_resume_config()), env

    whole, whole_env = fresh()
    whole.learn(whole_env, 2 * steps, total_steps=2 * steps)

    halves, halves_env = fresh()
    halves.learn(halves_env, steps, total_steps=2 * steps)
    halves.learn(halves_env, steps, total_steps=2 * steps)
    _assert_same_parameters(whole, halves)

    first, first_env = fresh()
    first.learn(first_env, steps, total_steps=2 * steps)
    buffer = io.BytesIO()
    torch.save({"agent": first.state_dict(), "env": first_env.state_dict()}, buffer)
    first.learn(first_env, 7)  # training on after the save must not leak into the saved state
    buffer.seek(0)
    saved = torch.load(buffer)
    resumed, resumed_env = fresh(seed=99)
    resumed_env.load_state_dict(saved["env"])
    resumed.load_state_dict(saved["agent"])
    resumed.learn(resumed_env, steps, total_steps=2 * steps)
    _assert_same_parameters(whole, resumed)
    assert resumed.steps_done == whole.steps_done == 2 * steps
    assert resumed.updates_done == whole.updates_done
    for a, b in zip(whole.optimizer.state_dict()["state"].values(), resumed.optimizer.state_dict()["state"].values(),
                    strict=True):
        assert torch.equal(a["exp_avg"], b["exp_avg"])

    rebuilt = DQNAgent.from_state_dict(saved["agent"], device="cpu")
    assert rebuilt.config == DQNConfig(**_resume_config())
    assert rebuilt.steps_done == steps


def test_seeded_reproducibility() -> None:
    def train(seed: int) -> DQNAgent:
        env = ToyBanditEnv(n_envs=2)
        return _agent(env, seed=seed, learning_starts=20, batch_size=8).learn(env, 100)

    global_state = torch.get_rng_state()
    _assert_same_parameters(train(5), train(5))
    assert torch.equal(torch.get_rng_state(), global_state)  # nothing drawn from the global generator
    different = [not torch.equal(a, b) for a, b in zip(_parameters(train(5)), _parameters(train(6)), strict=True)]
    assert all(different)


@pytest.mark.parametrize(("field", "value"), [
    ("learning_rate", 0.0), ("batch_size", 0), ("buffer_size", 2.5), ("target_update", -1), ("gamma", 1.5),
    ("train_freq", 0), ("gradient_steps", True), ("learning_starts", -1), ("exploration_initial", 1.2),
    ("exploration_final", -0.1), ("exploration_fraction", float("nan")), ("double", 1), ("dueling", "yes"),
    ("n_step", 0), ("hidden_sizes", (64, 0)), ("max_grad_norm", 0.0), ("log_interval", 0),
])
def test_config_validation_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        DQNConfig(**{field: value})
    assert info.value.field == field
    assert field in str(info.value) and "Fix:" in str(info.value)


def test_learn_rejects_a_mismatched_environment() -> None:
    agent = DQNAgent(5, 3, device="cpu")
    with pytest.raises(ValidationError) as info:
        agent.learn(ToyBanditEnv(n_actions=3), 10)
    assert info.value.field == "env.observation_size"
    env = ToyBanditEnv(n_envs=2)
    agent = _agent(env).learn(env, 4)
    with pytest.raises(ValidationError) as info:
        agent.learn(ToyBanditEnv(n_envs=3), 4)
    assert info.value.field == "env.n_envs"
    with pytest.raises(ValidationError) as info:
        agent.learn(env, -1)
    assert info.value.field == "n_steps"


def test_load_state_dict_rejects_another_configuration() -> None:
    env = ToyBanditEnv(n_envs=2)
    state = _agent(env).state_dict()
    with pytest.raises(ValidationError) as info:
        _agent(env, batch_size=64).load_state_dict(state)
    assert info.value.field == "state['config']"
    with pytest.raises(ValidationError) as info:
        DQNAgent(env.observation_size, env.n_actions + 1, device="cpu").load_state_dict(state)
    assert info.value.field == "state['n_actions']"


def test_greedy_actions() -> None:
    agent = DQNAgent(4, 3, device="cpu")
    obs = torch.randn(6, 4)
    actions = agent.greedy_actions(obs)
    assert actions.dtype == torch.int64 and actions.shape == (6,)
    assert torch.equal(actions, agent.q_network(obs).argmax(-1))


def test_updates_wait_for_the_first_complete_n_step_transition() -> None:
    env = ToyBanditEnv(n_envs=1)
    agent = _agent(env, n_step=3, learning_starts=0, train_freq=1).learn(env, 10)
    assert agent.replay.size == 8  # the first transition completes on the third step
    assert agent.updates_done == 8
