"""``qlab rl train`` and ``qlab rl evaluate``: reinforcement-learning agents from the shell.

``--data`` takes what ``qlab backtest`` takes (files, bundled datasets) and also
``synthetic:ou[:SEED]``, SYNTHETIC mean-reverting bars (labelled as such) for a first run
without data.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
import pandas as pd

from quantlib_local.cli._options import UTC_TIMESTAMP
from quantlib_local.cli.backtest import load_bars, parse_assignments
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)
SYNTHETIC_OU = "synthetic:ou"


def rl_bars(sources: tuple[str, ...]) -> pd.DataFrame:
    """Bars for an RL command: ``synthetic:ou[:SEED]`` or anything ``qlab backtest`` reads."""
    if len(sources) == 1 and sources[0].startswith(SYNTHETIC_OU):
        from quantlib_local.data import ou_bars

        seed_text = sources[0].removeprefix(SYNTHETIC_OU).lstrip(":") or "0"
        if not seed_text.isdigit():
            raise ValidationError("--data", sources[0], "write synthetic:ou or synthetic:ou:SEED with a whole seed")
        click.echo("data: SYNTHETIC Ornstein-Uhlenbeck bars (not market data)")
        return ou_bars(5_000, kappa=25.0, sigma=0.3, seed=int(seed_text), freq="1D")
    return load_bars(sources)


def _window(bars: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    index = bars.index
    mask = pd.Series(True, index=index)
    if start is not None:
        mask &= index >= start
    if end is not None:
        mask &= index < end
    if not mask.any():
        raise ValidationError("--start/--end", (start, end), f"pick dates inside {index[0]} .. {index[-1]}")
    return bars.loc[mask.to_numpy()]


def _training_options(function: Any) -> Any:
    options = [
        click.option("--data", "sources", multiple=True, required=True,
                     help="Bars file(s), a bundled dataset, or synthetic:ou[:SEED] (SYNTHETIC bars)."),
        click.option("--symbol", default=None, help="Traded symbol (required with several)."),
        click.option("--algorithm", type=click.Choice(["dqn", "ppo"]), default="dqn", show_default=True),
        click.option("--steps", default=200_000, show_default=True, help="Environment steps to train for."),
        click.option("--n-envs", default=16, show_default=True, help="Episodes stepped at once."),
        click.option("--seed", default=0, show_default=True),
        click.option("--device", default=None, help="cpu or cuda (default: cuda when present)."),
        click.option("--episode-length", default=256, show_default=True, help="Steps per training episode."),
        click.option("--actions", default="-1,0,1", show_default=True,
                     help="Target weights of the actions, e.g. -1,-0.5,0,0.5,1."),
        click.option("--reward", "reward_items", multiple=True,
                     help="Eq. 5 weight NAME=VALUE: pnl, sharpe, drawdown, risk, sharpe_decay, scale."),
        click.option("--norm-window", default=250, show_default=True, help="Observation normalisation window."),
        click.option("--fees", default=0.001, show_default=True,
                     help="Proportional fee per trade (evaluate: default the policy's training costs)."),
        click.option("--slippage", default=0.0, show_default=True, help="Proportional slippage (as --fees)."),
        click.option("--hyper", "hyper_items", multiple=True,
                     help="Algorithm hyperparameter NAME=VALUE, e.g. double=true, n_step=3, learning_rate=3e-4."),
        click.option("--no-progress", is_flag=True, help="Hide progress bars."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def training_config(algorithm: str, steps: int, n_envs: int, seed: int, device: str | None, episode_length: int,
                    actions: str, reward_items: tuple[str, ...], norm_window: int, fees: float, slippage: float,
                    hyper_items: tuple[str, ...], checkpoint_every: int | None = 50_000) -> Any:
    """A :class:`~quantlib_local.rl.training.TrainingConfig` from the command-line options."""
    from dataclasses import replace

    from quantlib_local.backtest import BacktestConfig
    from quantlib_local.rl import DQNConfig, EnvironmentConfig, ObservationSettings, PPOConfig, RewardWeights
    from quantlib_local.rl.training import TrainingConfig

    try:
        weights = tuple(float(part) for part in actions.split(","))
    except ValueError:
        raise ValidationError("--actions", actions, "write comma-separated target weights such as -1,0,1") from None
    environment = EnvironmentConfig(
        actions=weights, episode_length=episode_length,
        reward=RewardWeights(**parse_assignments(reward_items, "--reward", many=False)),
        observation=ObservationSettings(norm_window=norm_window),
        costs=BacktestConfig(fees=fees, slippage=slippage),
    )
    hyper = parse_assignments(hyper_items, "--hyper", many=False)
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in hyper.items()}
    base = DQNConfig() if algorithm == "dqn" else PPOConfig()
    unknown = sorted(set(hyper) - set(base.__dataclass_fields__))
    if unknown:
        raise ValidationError("--hyper", unknown[0], f"use one of {sorted(base.__dataclass_fields__)}")
    tuned = replace(base, **hyper)
    return TrainingConfig(algorithm=algorithm, total_steps=steps, n_envs=n_envs, seed=seed, device=device,  # type: ignore[arg-type]
                          checkpoint_every=checkpoint_every, environment=environment, **{algorithm: tuned})


@click.group("rl")
def rl() -> None:
    """Train reinforcement-learning agents and evaluate them against baselines."""


@rl.command("train")
@_training_options
@click.option("--start", type=UTC_TIMESTAMP, default=None, help="First training bar (default: the first).")
@click.option("--end", type=UTC_TIMESTAMP, default=None, help="End of training, exclusive (default: all).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for policy.pt, checkpoint.pt and TensorBoard logs.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt.")
@click.option("--checkpoint-every", default=50_000, show_default=True, help="Steps between checkpoints.")
def train(sources: tuple[str, ...], symbol: str | None, algorithm: str, steps: int, n_envs: int, seed: int,
          device: str | None, episode_length: int, actions: str, reward_items: tuple[str, ...], norm_window: int,
          fees: float, slippage: float, hyper_items: tuple[str, ...], no_progress: bool, start: pd.Timestamp | None,
          end: pd.Timestamp | None, out_dir: Path, resume: bool, checkpoint_every: int) -> None:
    """Train an agent on bars before --end; write the policy to OUT/policy.pt."""
    from quantlib_local.rl.training import train_agent

    config = training_config(algorithm, steps, n_envs, seed, device, episode_length, actions, reward_items,
                             norm_window, fees, slippage, hyper_items, checkpoint_every)
    bars = _window(rl_bars(sources), start, end)
    result = train_agent(bars, config, symbol=symbol, output_dir=out_dir, resume=resume, progress=not no_progress)
    returns = result.history[result.history["tag"] == "episode/return"]["value"]
    click.echo(f"trained {algorithm} for {result.agent.steps_done} steps at {result.steps_per_second:,.0f} steps/s "
               f"on {result.data.symbol} ({len(result.data.market)} bars)")
    if len(returns):
        click.echo(f"episode return: first {returns.iloc[:10].mean():.3f}, last {returns.iloc[-10:].mean():.3f}")
    click.echo(f"policy: {result.policy_path.resolve()}")  # type: ignore[union-attr]
    click.echo(f"tensorboard --logdir {(out_dir / 'tensorboard').resolve()}")


@rl.command("evaluate")
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Policy file to evaluate on [--start, --end) (not with --walk-forward).")
@click.option("--start", type=UTC_TIMESTAMP, default=None, help="First held-out bar.")
@click.option("--end", type=UTC_TIMESTAMP, default=None, help="End of the held-out window, exclusive.")
@click.option("--walk-forward", is_flag=True, help="Train a fresh agent per fold and test it on the next window.")
@click.option("--train-bars", type=int, default=None, help="Walk-forward training window (bars).")
@click.option("--test-bars", type=int, default=None, help="Walk-forward test window (bars).")
@_training_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the report (metrics.csv, returns.csv, report.html) and fold policies.")
def evaluate(policy: Path | None, start: pd.Timestamp | None, end: pd.Timestamp | None, walk_forward: bool,
             train_bars: int | None, test_bars: int | None, sources: tuple[str, ...], symbol: str | None,
             algorithm: str, steps: int, n_envs: int, seed: int, device: str | None, episode_length: int,
             actions: str, reward_items: tuple[str, ...], norm_window: int, fees: float, slippage: float,
             hyper_items: tuple[str, ...], no_progress: bool, out_dir: Path) -> None:
    """Compare a policy with buy-and-hold and random policies out of sample, with the backtest metrics."""
    from quantlib_local.backtest import BacktestConfig
    from quantlib_local.reporting.rl_report import write_rl_report
    from quantlib_local.rl.evaluation import compare_policies, walk_forward_rl

    bars = rl_bars(sources)
    if walk_forward:
        if policy is not None:
            raise ValidationError("--policy", str(policy), "drop --policy with --walk-forward (each fold trains one)")
        if train_bars is None or test_bars is None:
            raise ValidationError("--train-bars/--test-bars", (train_bars, test_bars), "give both with --walk-forward")
        config = training_config(algorithm, steps, n_envs, seed, device, episode_length, actions, reward_items,
                                 norm_window, fees, slippage, hyper_items)
        result = walk_forward_rl(bars, config, train_bars=train_bars, test_bars=test_bars, output_dir=out_dir,
                                 symbol=symbol, progress=not no_progress)
        comparison, folds = result.comparison, result.folds
    else:
        if policy is None or start is None:
            raise ValidationError("--policy/--start", (policy, start),
                                  "give the policy file and the first held-out date (or use --walk-forward)")
        context = click.get_current_context()
        given = {name: context.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
                 for name in ("fees", "slippage")}
        costs = BacktestConfig(fees=fees, slippage=slippage) if any(given.values()) else None  # None: as trained
        comparison = compare_policies(policy, bars, start=start, end=end, symbol=symbol, config=costs)
        folds = None
    click.echo(comparison.metrics.to_string(float_format=lambda v: f"{v:.4f}"))
    report = write_rl_report(comparison, out_dir, folds=folds)
    click.echo(f"report: {report.resolve()}")
