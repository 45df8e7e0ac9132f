"""Train an agent on market data: :func:`train_agent`.

One call prepares the data (:func:`~quantlib_local.rl.data.prepare_trading_data`), builds
the batched environment and the agent, and trains with a progress bar. With an
``output_dir`` it also writes, atomically:

* ``tensorboard/``: every logged scalar (``tensorboard --logdir <output_dir>``);
* ``checkpoint.pt``: the agent (networks, optimiser, replay buffer, random state), the
  environment's episodes and the log so far, every ``checkpoint_every`` steps; with
  ``resume=True`` training continues from it and ends bit-identical to an uninterrupted
  run on the same device (the tests check it);
* ``policy.pt``: the trained policy (:func:`~quantlib_local.rl.policy.save_policy`),
  which :class:`~quantlib_local.rl.policy.RLPolicy` backtests, promotes and runs live.

Training is seeded: the same data, config and seed give the same policy on the same device.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import torch
from tqdm.auto import tqdm

from quantlib_local._atomic import atomic_write
from quantlib_local.backtest.provenance import code_version, data_fingerprint
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.agents import resolve_device
from quantlib_local.rl.batched import BatchedTradingEnv
from quantlib_local.rl.config import EnvironmentConfig
from quantlib_local.rl.data import TradingData, prepare_trading_data
from quantlib_local.rl.dqn import DQNAgent, DQNConfig
from quantlib_local.rl.policy import save_policy
from quantlib_local.rl.ppo import PPOAgent, PPOConfig
from quantlib_local.strategies.market_data import MarketData

logger = logging.getLogger(__name__)
Algorithm = Literal["dqn", "ppo"]
CHECKPOINT_FILE = "checkpoint.pt"
POLICY_FILE = "policy.pt"


@dataclass(frozen=True)
class TrainingConfig:
    """What to train, for how long, and on what.

    Attributes
    ----------
    algorithm
        ``"dqn"`` (design algorithm 1) or ``"ppo"``.
    total_steps
        Environment transitions to train for (all episodes together).
    n_envs
        Episodes the batched environment steps at once.
    seed
        Seeds the agent, the environment's start bars and everything derived from them.
    device
        ``"cpu"``, ``"cuda"``...; None picks CUDA when present.
    checkpoint_every
        Transitions between checkpoints when training writes to a folder (None: only at the end).
    cpu_threads
        Threads torch uses on the CPU while training (restored afterwards); the networks are
        small, so one thread is fastest and keeps results independent of the machine. None
        leaves torch's setting alone.
    dqn, ppo
        Hyperparameters of each algorithm (defaults: appendix A for DQN).
    environment
        Actions, episodes, reward weights, observation and costs.
    """

    algorithm: Algorithm = "dqn"
    total_steps: int = 200_000
    n_envs: int = 16
    seed: int = 0
    device: str | None = None
    checkpoint_every: int | None = 50_000
    cpu_threads: int | None = 1
    dqn: DQNConfig = field(default_factory=DQNConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)

    def __post_init__(self) -> None:
        if self.algorithm not in ("dqn", "ppo"):
            raise ValidationError("algorithm", self.algorithm, "use 'dqn' or 'ppo'")
        for name, minimum in (("total_steps", 1), ("n_envs", 1), ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValidationError(name, value, f"use a whole number >= {minimum}")
        if self.checkpoint_every is not None and (
                isinstance(self.checkpoint_every, bool) or not isinstance(self.checkpoint_every, int)
                or self.checkpoint_every < 1):
            raise ValidationError("checkpoint_every", self.checkpoint_every, "use a whole number of steps, or None")
        if self.cpu_threads is not None and (isinstance(self.cpu_threads, bool) or not isinstance(self.cpu_threads, int)
                                             or self.cpu_threads < 1):
            raise ValidationError("cpu_threads", self.cpu_threads, "use a whole number of threads >= 1, or None")
        resolve_device(self.device)
        for name, kind in (("dqn", DQNConfig), ("ppo", PPOConfig), ("environment", EnvironmentConfig)):
            if not isinstance(getattr(self, name), kind):
                raise ValidationError(name, getattr(self, name), f"pass a {kind.__name__}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (kept in checkpoints and policy metadata)."""
        return {"algorithm": self.algorithm, "total_steps": self.total_steps, "n_envs": self.n_envs,
                "seed": self.seed, "device": self.device, "checkpoint_every": self.checkpoint_every,
                "cpu_threads": self.cpu_threads,
                "dqn": asdict(self.dqn), "ppo": asdict(self.ppo), "environment": self.environment.to_dict()}


@dataclass
class TrainingResult:
    """A trained agent, its data and its log.

    Attributes
    ----------
    agent
        The :class:`~quantlib_local.rl.dqn.DQNAgent` or :class:`~quantlib_local.rl.ppo.PPOAgent`.
    data
        The prepared training data.
    config
        The training config.
    history
        Every logged scalar: columns ``tag``, ``step``, ``value`` (``episode/return``,
        ``episode/pnl`` ... for reward decomposition, ``train/loss``...).
    policy_path
        Where the policy file was written (None without an output folder).
    steps_per_second
        Environment transitions per second of training in this call.
    """

    agent: DQNAgent | PPOAgent
    data: TradingData
    config: TrainingConfig
    history: pd.DataFrame
    policy_path: Path | None
    steps_per_second: float

    def curve(self, tag: str, window: int = 20) -> pd.Series:
        """One logged scalar against steps, smoothed with a trailing mean of ``window`` points."""
        rows = self.history[self.history["tag"] == tag]
        if rows.empty:
            raise ValidationError("tag", tag, f"use one of {sorted(self.history['tag'].unique())}")
        series = rows.groupby("step")["value"].mean()
        return series.rolling(window, min_periods=1).mean().rename(tag)


def make_agent(config: TrainingConfig, observation_size: int, n_actions: int) -> DQNAgent | PPOAgent:
    """A fresh agent of the configured algorithm."""
    if config.algorithm == "dqn":
        return DQNAgent(observation_size, n_actions, config.dqn, device=config.device, seed=config.seed)
    return PPOAgent(observation_size, n_actions, config.ppo, device=config.device, seed=config.seed)


def train_agent(
    bars: pd.DataFrame | MarketData | TradingData,
    config: TrainingConfig | None = None,
    *,
    symbol: str | None = None,
    features: pd.DataFrame | None = None,
    output_dir: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> TrainingResult:
    """Train an agent on ``bars``; see the module docstring for what is written.

    Parameters
    ----------
    bars
        Training bars (any shape strategies accept) or prepared data.
    config
        What to train; default :class:`TrainingConfig`.
    symbol, features
        The traded symbol and optional sentiment (see :func:`~quantlib_local.rl.data.prepare_trading_data`).
    output_dir
        Folder for TensorBoard logs, checkpoints and the policy file; None keeps everything in memory.
    resume
        Continue from ``output_dir/checkpoint.pt`` when it exists (the config must match).
    progress
        Show a tqdm progress bar.
    """
    config = config or TrainingConfig()
    if not isinstance(config, TrainingConfig):
        raise ValidationError("config", type(config).__name__, "pass a TrainingConfig")
    threads = torch.get_num_threads()
    if config.cpu_threads is not None:
        torch.set_num_threads(config.cpu_threads)
    try:
        return _train(bars, config, symbol, features, output_dir, resume, progress)
    finally:
        torch.set_num_threads(threads)


def _train(bars: pd.DataFrame | MarketData | TradingData, config: TrainingConfig, symbol: str | None,
           features: pd.DataFrame | None, output_dir: str | Path | None, resume: bool,
           progress: bool) -> TrainingResult:
    if resume and output_dir is None:
        raise ValidationError("resume", True, "give output_dir, the folder holding checkpoint.pt")
    device = resolve_device(config.device)
    data = bars if isinstance(bars, TradingData) else prepare_trading_data(
        bars, config.environment, symbol=symbol, features=features)
    env = BatchedTradingEnv(data, config.environment, n_envs=config.n_envs, device=device, seed=config.seed)
    agent = make_agent(config, env.observation_size, env.n_actions)
    folder = None if output_dir is None else Path(output_dir)
    records: list[tuple[str, int, float]] = []
    if resume and folder is not None and (folder / CHECKPOINT_FILE).is_file():
        records = _restore(folder / CHECKPOINT_FILE, config, agent, env)
        logger.info("resumed %s at step %d", folder / CHECKPOINT_FILE, agent.steps_done)
    writer = _tensorboard(folder)

    def log(tag: str, value: float, step: int) -> None:
        records.append((tag, step, float(value)))
        if writer is not None:
            writer.add_scalar(tag, value, step)

    started, first_step = time.perf_counter(), agent.steps_done
    chunk = config.checkpoint_every if folder is not None and config.checkpoint_every else config.total_steps
    with tqdm(total=config.total_steps, initial=agent.steps_done, desc=f"train {config.algorithm}", unit="step",
              disable=not progress) as bar:
        while agent.steps_done < config.total_steps:
            before = agent.steps_done
            agent.learn(env, min(chunk, config.total_steps - before), total_steps=config.total_steps, log=log)
            bar.update(agent.steps_done - before)
            if folder is not None:
                _save_checkpoint(folder / CHECKPOINT_FILE, config, agent, env, records)
    elapsed = time.perf_counter() - started
    if writer is not None:
        writer.close()
    policy_path = None
    if folder is not None:
        metadata = {
            "algorithm": config.algorithm, "steps": agent.steps_done, "seed": config.seed,
            "data_start": str(data.market.index[0]), "data_end": str(data.market.index[-1]),
            "data_fingerprint": data_fingerprint(data.market.bars), "code_version": code_version(),
        }
        policy_path = save_policy(folder / POLICY_FILE, agent.policy_state(), config.environment, data, metadata)
    history = pd.DataFrame(records, columns=["tag", "step", "value"])
    speed = (agent.steps_done - first_step) / elapsed if elapsed > 0 else float("nan")
    return TrainingResult(agent, data, config, history, policy_path, speed)


def _tensorboard(folder: Path | None) -> Any:
    if folder is None:
        return None
    from torch.utils.tensorboard import SummaryWriter  # imported late: tensorboard is heavy

    return SummaryWriter(str(folder / "tensorboard"))


def _save_checkpoint(path: Path, config: TrainingConfig, agent: DQNAgent | PPOAgent, env: BatchedTradingEnv,
                     records: list[tuple[str, int, float]]) -> None:
    payload = {"config": config.to_dict(), "agent": agent.state_dict(), "env": env.state_dict(),
               "records": list(records)}
    atomic_write(path, lambda temporary: torch.save(payload, temporary))


def _restore(path: Path, config: TrainingConfig, agent: DQNAgent | PPOAgent,
             env: BatchedTradingEnv) -> list[tuple[str, int, float]]:
    # our own file, holding random-generator states that weights_only loading refuses
    payload = torch.load(path, map_location=agent.device, weights_only=False)
    saved = payload["config"]
    mismatched = sorted(k for k in saved if k not in ("total_steps", "checkpoint_every", "cpu_threads")
                        and saved[k] != config.to_dict()[k])
    if mismatched:
        raise ValidationError("config", mismatched[0], f"resume with the config of {path} ({saved[mismatched[0]]!r}) "
                                                       "or start a new output folder")
    agent.load_state_dict(payload["agent"])
    env.load_state_dict(payload["env"])
    return [tuple(record) for record in payload["records"]]  # type: ignore[misc]
