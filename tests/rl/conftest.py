"""Shared RL fixtures: SYNTHETIC mean-reverting bars, a small environment config, a trained policy."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import torch

from quantlib_local.backtest import BacktestConfig
from quantlib_local.data import ou_bars
from quantlib_local.rl import DQNConfig, EnvironmentConfig, ObservationSettings, TrainingConfig, train_agent


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Small tensors gain nothing from threads, and on a busy machine thread hand-offs stall each op."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def ou_market() -> pd.DataFrame:
    """1,200 SYNTHETIC daily OU bars (half-life about 3 bars)."""
    return ou_bars(1_200, kappa=80.0, sigma=0.3, seed=5)


@pytest.fixture(scope="session")
def small_env_config() -> EnvironmentConfig:
    return EnvironmentConfig(episode_length=64, observation=ObservationSettings(norm_window=50),
                             costs=BacktestConfig(fees=0.0005))


@pytest.fixture(scope="session")
def small_training(small_env_config) -> TrainingConfig:
    return TrainingConfig(algorithm="dqn", total_steps=3_000, n_envs=8, seed=0, device="cpu", checkpoint_every=None,
                          dqn=DQNConfig(learning_starts=500), environment=small_env_config)


@pytest.fixture(scope="session")
def trained_policy(ou_market, small_training, tmp_path_factory):
    """A DQN policy file trained briefly on the first 900 bars."""
    folder = tmp_path_factory.mktemp("policy")
    return train_agent(ou_market.iloc[:900], small_training, output_dir=folder, progress=False)
