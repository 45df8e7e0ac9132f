"""Training runs: seeded, logged, checkpointed and resumable; bad configs fail by name."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

import quantlib_local.rl.training as training
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl import PPOConfig, TrainingConfig, train_agent


def _weights(result) -> dict[str, torch.Tensor]:
    return result.agent.policy_state()["state_dict"]


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def train_bars(ou_market):
    return ou_market.iloc[:600]


def test_seeded_runs_are_identical_and_seeds_differ(train_bars, small_training) -> None:
    config = replace(small_training, total_steps=1_200)
    first = train_agent(train_bars, config, progress=False)
    again = train_agent(train_bars, config, progress=False)
    other = train_agent(train_bars, replace(config, seed=1), progress=False)
    assert _same(_weights(first), _weights(again))
    assert not _same(_weights(first), _weights(other))


def test_logs_tensorboard_and_reward_terms(train_bars, small_training, tmp_path) -> None:
    result = train_agent(train_bars, replace(small_training, total_steps=1_200), output_dir=tmp_path, progress=False)
    tags = set(result.history["tag"])
    assert {"episode/return", "episode/pnl", "episode/sharpe", "episode/drawdown", "episode/risk",
            "train/loss", "train/epsilon"} <= tags
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert (tmp_path / "policy.pt").is_file() and (tmp_path / "checkpoint.pt").is_file()
    curve = result.curve("episode/return")
    assert curve.index.is_monotonic_increasing and curve.notna().all()
    with pytest.raises(ValidationError, match="tag"):
        result.curve("no/such")


@pytest.mark.parametrize("algorithm", ["dqn", "ppo"])
def test_interrupted_run_resumes_to_the_same_weights(algorithm, train_bars, small_training, tmp_path,
                                                     monkeypatch) -> None:
    config = replace(small_training, algorithm=algorithm, total_steps=2_048, checkpoint_every=1_024,
                     ppo=PPOConfig(n_steps=64))
    straight = train_agent(train_bars, config, output_dir=tmp_path / "straight", progress=False)

    saved = training._save_checkpoint
    calls = []

    def crash_after_first_checkpoint(*args, **kwargs):
        saved(*args, **kwargs)
        calls.append(1)
        raise KeyboardInterrupt("simulated crash")

    monkeypatch.setattr(training, "_save_checkpoint", crash_after_first_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        train_agent(train_bars, config, output_dir=tmp_path / "resumed", progress=False)
    monkeypatch.setattr(training, "_save_checkpoint", saved)
    assert not (tmp_path / "resumed" / "policy.pt").exists()
    resumed = train_agent(train_bars, config, output_dir=tmp_path / "resumed", resume=True, progress=False)
    assert calls == [1]
    assert resumed.agent.steps_done == straight.agent.steps_done
    assert _same(_weights(straight), _weights(resumed))
    assert len(resumed.history) == len(straight.history)


def test_resume_refuses_another_config(train_bars, small_training, tmp_path) -> None:
    config = replace(small_training, total_steps=600)
    train_agent(train_bars, config, output_dir=tmp_path, progress=False)
    with pytest.raises(ValidationError, match="seed"):
        train_agent(train_bars, replace(config, seed=9), output_dir=tmp_path, resume=True, progress=False)


def test_cpu_threads_are_restored(train_bars, small_training) -> None:
    before = torch.get_num_threads()
    train_agent(train_bars, replace(small_training, total_steps=300), progress=False)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"algorithm": "a2c"}, "algorithm"),
    ({"total_steps": 0}, "total_steps"),
    ({"n_envs": 0}, "n_envs"),
    ({"checkpoint_every": -1}, "checkpoint_every"),
    ({"cpu_threads": 0}, "cpu_threads"),
    ({"device": "tpu-9"}, "device"),
])
def test_bad_config_fails_by_name(changes, field) -> None:
    with pytest.raises(ValidationError, match=field):
        TrainingConfig(**changes)


def test_resume_needs_a_folder(train_bars, small_training) -> None:
    with pytest.raises(ValidationError, match="resume"):
        train_agent(train_bars, small_training, resume=True, progress=False)
