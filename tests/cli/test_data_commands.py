"""``qlab data``: messages instead of tracebacks, non-zero exit on bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from quantlib_local.cli import cli


@pytest.fixture()
def runner(monkeypatch, tmp_path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QLAB_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _broken_csv(bars: pd.DataFrame, path: Path) -> Path:
    broken = bars.copy()
    broken.iloc[3, broken.columns.get_loc("low")] = broken["high"].iloc[3] + 10
    broken.to_csv(path)
    return path


@pytest.mark.parametrize("args", [[], ["data"], ["data", "list"], ["data", "load"], ["data", "validate"], ["data", "fetch"], ["db"], ["demo"]])
def test_every_command_has_help(runner, args):
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_validate_good_file_reports_gaps(runner, tmp_path, bars):
    bars.drop(bars.index[[4, 5]]).to_csv(tmp_path / "bars.csv")
    result = runner.invoke(cli, ["data", "validate", str(tmp_path / "bars.csv")])
    assert result.exit_code == 0, result.output
    assert "1 gap(s) with 2 missing bar(s)" in result.output


def test_validate_fill_gaps_writes_output(runner, tmp_path, bars):
    bars.drop(bars.index[[4, 5]]).to_csv(tmp_path / "bars.csv")
    out = tmp_path / "filled.parquet"
    result = runner.invoke(cli, ["data", "validate", str(tmp_path / "bars.csv"), "--fill-gaps", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(out)) == 10


def test_validate_broken_file_prints_message_and_exits_2(runner, tmp_path, bars):
    path = _broken_csv(bars, tmp_path / "broken.csv")
    result = runner.invoke(cli, ["data", "validate", str(path)])
    assert result.exit_code == 2
    assert "Error: high=" in result.output and "first at 2024-01-04" in result.output and "Fix:" in result.output
    assert "Traceback" not in result.output


def test_load_bundled_and_write(runner, tmp_path):
    result = runner.invoke(cli, ["data", "load", "sp500", "--rows", "1", "--out", str(tmp_path / "sp.csv")])
    assert result.exit_code == 0, result.output
    assert "5031 bars" in result.output
    assert (tmp_path / "sp.csv").is_file()


def test_load_bad_output_suffix(runner, tmp_path):
    result = runner.invoke(cli, ["data", "load", "sp500", "--out", str(tmp_path / "sp.xls")])
    assert result.exit_code == 2 and "out=" in result.output


def test_list_shows_bundled_and_empty_cache(runner):
    result = runner.invoke(cli, ["data", "list"])
    assert result.exit_code == 0, result.output
    assert "sp500" in result.output and "nasdaq" in result.output and "empty" in result.output


def test_fetch_rejects_bad_date(runner):
    result = runner.invoke(cli, ["data", "fetch", "binance", "BTC/USDT", "1h", "--since", "yesterday-ish"])
    assert result.exit_code == 2 and "ISO-8601" in result.output


def test_console_script_shows_message_not_traceback(tmp_path, bars):
    path = _broken_csv(bars, tmp_path / "broken.csv")
    qlab = Path(sys.executable).with_name("qlab")
    completed = subprocess.run([str(qlab), "data", "validate", str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.startswith("Error: high=")
    assert "Traceback" not in completed.stderr + completed.stdout
