"""``qlab dashboard NAME``: lists the dashboards, refuses a bad name in one line, and serves Voila
on localhost until it is stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from quantlib_local.cli import cli
from quantlib_local.cli.dashboard import (
    DASHBOARDS_DIR,
    DEMO_ENV,
    available_dashboards,
    dashboard_environment,
    dashboard_notebook,
    voila_command,
)
from quantlib_local.config import load_settings
from quantlib_local.exceptions import ValidationError
from tests.conftest import REPO_ROOT

QLAB = Path(sys.executable).with_name("qlab")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_dashboards_are_the_notebooks_of_notebooks_dashboards():
    assert DASHBOARDS_DIR == REPO_ROOT / "notebooks" / "dashboards"
    found = available_dashboards()
    assert {"portfolio_risk", "live_monitor"} <= set(found)
    assert found == {path.stem: path for path in sorted(DASHBOARDS_DIR.glob("*.ipynb"))}
    assert dashboard_notebook("live_monitor") == DASHBOARDS_DIR / "live_monitor.ipynb"


def test_help_shows_the_options_and_the_dashboards():
    result = CliRunner().invoke(cli, ["dashboard", "--help"])
    assert result.exit_code == 0, result.output
    for text in ("NAME", "--port", "--no-browser", "--demo", "portfolio_risk", "live_monitor"):
        assert text in result.output
    assert "dashboard" in CliRunner().invoke(cli, ["--help"]).output


def test_unknown_name_is_one_line_listing_the_names():
    result = CliRunner().invoke(cli, ["dashboard", "risk"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["Error: NAME='risk' is invalid. Fix: choose one of: live_monitor, portfolio_risk"]


def test_missing_dashboards_folder_says_to_use_a_checkout(tmp_path):
    with pytest.raises(ValidationError, match="source checkout"):
        dashboard_notebook("portfolio_risk", tmp_path / "nowhere")


def test_a_busy_port_is_refused_before_voila_starts():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["dashboard", "live_monitor", "--port", str(port), "--no-browser"])
    assert result.exit_code == 2
    assert f"--port={port} is invalid" in result.output and "Fix:" in result.output


def test_port_outside_the_range_is_a_usage_error():
    result = CliRunner().invoke(cli, ["dashboard", "live_monitor", "--port", "70000"])
    assert result.exit_code == 2 and "--port" in result.output


def test_voila_command_binds_localhost():
    notebook = DASHBOARDS_DIR / "portfolio_risk.ipynb"
    command = voila_command(notebook, port=8899, open_browser=False)
    assert command[:3] == [sys.executable, "-m", "voila"]
    assert str(notebook) in command
    assert {"--port=8899", "--Voila.ip=127.0.0.1", "--no-browser", "--Voila.port_retries=0"} <= set(command)
    assert "--no-browser" not in voila_command(notebook, port=8899, open_browser=True)


def test_environment_hands_the_kernel_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir=Path("store"), reports_dir=Path("out"), database_url="sqlite:///local/qlab.db")
    env = dashboard_environment(settings, demo=True, base={"PATH": "/bin", DEMO_ENV: "0"})
    assert env["PATH"] == "/bin"
    assert env["QLAB_DATA_DIR"] == str(tmp_path / "store")
    assert env["QLAB_REPORTS_DIR"] == str(tmp_path / "out")
    assert env["QLAB_DATABASE_URL"] == f"sqlite:///{tmp_path / 'local' / 'qlab.db'}"
    assert env[DEMO_ENV] == "1"
    plain = dashboard_environment(load_settings(data_dir=Path("store")), base={DEMO_ENV: "1"})
    assert DEMO_ENV not in plain and "QLAB_DATABASE_URL" not in plain
    remote = load_settings(database_url="postgresql+psycopg://trader@db:5432/qlab")
    assert dashboard_environment(remote, base={})["QLAB_DATABASE_URL"] == "postgresql+psycopg://trader@db:5432/qlab"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_serves_the_dashboard_over_http_until_terminated(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QLAB_")}
    env.update(QLAB_DATA_DIR=str(tmp_path / "data"), QLAB_REPORTS_DIR=str(tmp_path / "reports"))
    log = tmp_path / "qlab.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(QLAB), "dashboard", "live_monitor", "--port", str(port), "--no-browser"],
            cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        page = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as answer:
                    assert answer.status == 200
                    page = answer.read().decode("utf-8", "replace")
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        output = log.read_text(errors="replace")
        assert "Live and paper monitor" in page, f"no dashboard page on port {port}:\n{output}"
        assert f"Serving dashboard live_monitor at http://127.0.0.1:{port}/" in output
        process.send_signal(signal.SIGTERM)  # qlab forwards it; voila stops its kernels and exits
        assert process.wait(timeout=30) == 0, log.read_text(errors="replace")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "voila still listens after qlab stopped"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
