"""``qlab`` picks up subcommands from the ``qlab.commands`` entry-point group."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint

import click
from click.testing import CliRunner

import quantlib_local.cli as cli_module


@click.command()
def hello() -> None:
    """A plug-in command."""
    click.echo("hello from a plug-in")


def test_plugin_command_is_added_and_a_broken_one_only_warns(monkeypatch, caplog):
    good = EntryPoint(name="hello", value=f"{__name__}:hello", group=cli_module.ENTRY_POINT_GROUP)
    broken = EntryPoint(name="broken", value="no_such_module:command", group=cli_module.ENTRY_POINT_GROUP)
    monkeypatch.setattr(cli_module, "entry_points", lambda group: [good, broken] if group == cli_module.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(cli_module.cli, "commands", dict(cli_module.cli.commands))
    with caplog.at_level(logging.WARNING, logger="quantlib_local.cli"):
        cli_module._register_plugin_commands()
    assert "broken" in caplog.text and "could not be loaded" in caplog.text
    result = CliRunner().invoke(cli_module.cli, ["hello"])
    assert result.exit_code == 0 and "hello from a plug-in" in result.output
    assert "broken" not in cli_module.cli.commands
