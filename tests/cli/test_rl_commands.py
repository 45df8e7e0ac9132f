"""`qlab rl train` and `qlab rl evaluate` end to end (SYNTHETIC OU bars and a bundled real dataset)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from quantlib_local.cli import cli

FAST = ["--steps", "600", "--n-envs", "4", "--episode-length", "32", "--norm-window", "50", "--no-progress",
        "--hyper", "learning_starts=100"]


@pytest.fixture()
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture()
def trained(runner, tmp_path):
    result = runner.invoke(cli, ["rl", "train", "--data", "synthetic:ou:3", "--end", "2030-01-01", "--out", "agent",
                                 "--fees", "0.0005", *FAST])
    assert result.exit_code == 0, result.output
    return result


def test_train_writes_policy_checkpoint_and_tensorboard(trained, tmp_path) -> None:
    assert "SYNTHETIC" in trained.output and "steps/s" in trained.output
    assert (tmp_path / "agent" / "policy.pt").is_file() and (tmp_path / "agent" / "checkpoint.pt").is_file()
    assert list((tmp_path / "agent" / "tensorboard").glob("events.out.tfevents.*"))


def test_train_resumes_a_finished_run_without_more_steps(trained, runner) -> None:
    again = runner.invoke(cli, ["rl", "train", "--data", "synthetic:ou:3", "--end", "2030-01-01", "--out", "agent",
                                "--fees", "0.0005", "--resume", *FAST])
    assert again.exit_code == 0, again.output
    assert "for 600 steps" in again.output


def test_evaluate_a_policy_against_baselines(trained, runner, tmp_path) -> None:
    result = runner.invoke(cli, ["rl", "evaluate", "--policy", "agent/policy.pt", "--data", "synthetic:ou:3",
                                 "--start", "2030-01-01", "--out", "report"])
    assert result.exit_code == 0, result.output
    assert "buy_and_hold" in result.output and "random" in result.output and "sharpe_ratio" in result.output
    for name in ("metrics.csv", "returns.csv", "report.html"):
        assert (tmp_path / "report" / name).is_file()


def test_walk_forward_evaluation_on_bundled_real_data(runner, tmp_path) -> None:
    result = runner.invoke(cli, ["rl", "evaluate", "--walk-forward", "--data", "sp500", "--train-bars", "1500",
                                 "--test-bars", "500", "--out", "wf", *FAST])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "wf" / "folds.csv").is_file() and (tmp_path / "wf" / "fold_0" / "policy.pt").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["rl", "train", "--data", "synthetic:ou:x", "--out", "a"], "--data"),
    (["rl", "train", "--data", "synthetic:ou", "--out", "a", "--actions", "1,2"], "actions"),
    (["rl", "train", "--data", "synthetic:ou", "--out", "a", "--hyper", "nonsense=1"], "--hyper"),
    (["rl", "train", "--data", "synthetic:ou", "--out", "a", "--reward", "pnl=-1"], "reward.pnl"),
    (["rl", "evaluate", "--data", "synthetic:ou", "--out", "r"], "--policy"),
    (["rl", "evaluate", "--walk-forward", "--data", "synthetic:ou", "--out", "r"], "--train-bars"),
])
def test_bad_input_is_one_line_and_exit_2(runner, args, message) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_help_on_every_rl_command(runner) -> None:
    for args in (["rl", "--help"], ["rl", "train", "--help"], ["rl", "evaluate", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Usage" in result.output
