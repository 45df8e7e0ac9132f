"""`qlab backtest` and `qlab promote` end to end (bundled real data and a temporary store)."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from quantlib_local.cli import cli
from quantlib_local.cli.backtest import parse_assignments
from quantlib_local.exceptions import ValidationError
from quantlib_local.storage import load_backtest_runs, open_database, session_scope


@pytest.fixture()
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QLAB_DATABASE_URL", raising=False)
    return CliRunner()


def test_backtest_prints_table_1_writes_a_tearsheet_and_records_the_run(runner, tmp_path) -> None:
    result = runner.invoke(cli, ["backtest", "sma_crossover", "--data", "sp500", "--param", "fast=10",
                                 "--param", "slow=40", "--tearsheet", "out/ts.html"])
    assert result.exit_code == 0, result.output
    assert "sharpe_ratio" in result.output and "calmar_ratio" in result.output
    assert (tmp_path / "out" / "ts.html").stat().st_size > 100_000
    with session_scope(open_database(f"sqlite:///{tmp_path / '.qlab' / 'qlab.sqlite'}")) as session:
        runs = load_backtest_runs(session)
    assert len(runs) == 1 and runs[0].parameters == {"fast": 10, "slow": 40, "direction": "long"}
    assert runs[0].metrics["config"]["fees"] == 0.001


def test_promote_fails_with_a_report_and_writes_nothing(runner, tmp_path) -> None:
    result = runner.invoke(cli, ["promote", "sma_crossover", "--data", "sp500", "--grid", "fast=5,10",
                                 "--grid", "slow=50:100:50", "--train-bars", "1000", "--test-bars", "500",
                                 "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "promotion gate FAILED" in result.output and "short by" in result.output
    assert not (tmp_path / "live").exists()


def test_promote_passes_with_lenient_thresholds(runner, tmp_path) -> None:
    args = ["promote", "sma_crossover", "--data", "sp500", "--grid", "fast=5,10", "--grid", "slow=50,100",
            "--train-bars", "1000", "--test-bars", "500", "--no-progress", "--name", "spx-trend"]
    for name in ("min_sharpe", "min_sortino", "min_calmar", "min_win_rate", "max_drawdown", "min_deflated_sharpe",
                 "max_pbo", "min_trades"):
        args += ["--threshold", f"{name}=none"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((tmp_path / "live" / "strategies" / "spx-trend.yaml").read_text())
    assert manifest["name"] == "spx-trend" and manifest["data"]["source"] == "sp500"


@pytest.mark.parametrize(
    "args, message",
    [
        (["backtest", "sma_crossover", "--data", "sp500", "--param", "fast"], "--param='fast'"),
        (["backtest", "sma_crossover", "--data", "sp500", "--param", "fast=50", "--param", "slow=20"], "fast=50"),
        (["backtest", "sma_crossover", "--data", "missing.csv"], "missing.csv"),
        (["promote", "sma_crossover", "--data", "sp500", "--train-bars", "9000", "--test-bars", "900"], "train_bars"),
        (["promote", "sma_crossover", "--data", "sp500", "--train-bars", "500", "--test-bars", "100",
          "--threshold", "min_sharp=1"], "gate"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, args, message) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_help_on_both_commands(runner) -> None:
    for command in ("backtest", "promote"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "--data" in result.output


def test_assignments_parse_values_lists_and_ranges() -> None:
    assert parse_assignments(("a=1", "b=0.5", "c=both", "d=true"), "--param", many=False) == {
        "a": 1, "b": 0.5, "c": "both", "d": True}
    assert parse_assignments(("a=1,2", "b=10:30:10"), "--grid", many=True) == {"a": [1, 2], "b": [10, 20, 30]}
    with pytest.raises(ValidationError, match="--grid"):
        parse_assignments(("b=10:x:1",), "--grid", many=True)
