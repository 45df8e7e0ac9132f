"""``qlab db``: migrate the store from the command line; errors hide passwords."""

from __future__ import annotations

from click.testing import CliRunner

from quantlib_local.cli import cli
from quantlib_local.storage import head_revision


def test_upgrade_then_current(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'store' / 'qlab.sqlite'}")
    runner = CliRunner()
    before = runner.invoke(cli, ["db", "current"])
    assert before.exit_code == 0 and "not migrated" in before.output
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"is at revision {head_revision()}" in upgraded.output
    after = runner.invoke(cli, ["db", "current"])
    assert after.output.strip().endswith(head_revision())


def test_unreachable_server_message_masks_password(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QLAB_DATABASE_URL", "postgresql+psycopg://trader@127.0.0.1:1/qlab")
    monkeypatch.setenv("QLAB_DATABASE_PASSWORD", "hunter2")
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "Error: cannot connect" in result.output and "Fix:" in result.output
    assert "hunter2" not in result.output and "***" in result.output
