"""The ``qlab`` command.

Every :class:`~quantlib_local.exceptions.QuantLabError` raised by a subcommand is printed
as one line (``Error: field=value is invalid. Fix: ...``) and the command exits with
status 2; no traceback is shown unless ``--debug`` is given. ``live`` and
``papermill_jobs`` add subcommands through the ``qlab.commands`` entry-point group, so
the package never imports them.
"""

from __future__ import annotations

import logging
import sys
from importlib.metadata import entry_points
from typing import Any

import click

from quantlib_local import __version__
from quantlib_local.exceptions import QuantLabError

logger = logging.getLogger("quantlib_local.cli")
ENTRY_POINT_GROUP = "qlab.commands"
EXIT_USER_ERROR = 2
NOISY_LIBRARY_LOGGERS = ("alembic", "ccxt", "numba", "matplotlib")


class QuantLabGroup(click.Group):
    """A click group that shows package errors as a message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuantLabError as error:
            if ctx.find_root().params.get("debug"):
                raise
            click.echo(f"Error: {error}", err=True)
            ctx.exit(EXIT_USER_ERROR)


@click.group(cls=QuantLabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qlab")
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR (default from settings: INFO).")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, log_level: str | None, debug: bool) -> None:
    """Quant research workbench: data, research jobs and (through plug-ins) live deployment."""
    from quantlib_local.config import (
        SecretRedactingFilter,
        load_settings,
        secret_values,
    )

    overrides = {"log_level": log_level} if log_level else {}
    settings = load_settings(**overrides)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretRedactingFilter(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in NOISY_LIBRARY_LOGGERS:  # their INFO lines drown ours; --log-level DEBUG shows them
        logging.getLogger(noisy).setLevel(settings.log_level if settings.log_level == "DEBUG" else "WARNING")
    ctx.obj = settings


def _register_builtin_commands() -> None:
    from quantlib_local.cli.backtest import backtest, promote
    from quantlib_local.cli.dashboard import dashboard
    from quantlib_local.cli.data import data
    from quantlib_local.cli.db import db
    from quantlib_local.cli.demo import demo
    from quantlib_local.cli.rl import rl

    for command in (data, db, demo, backtest, promote, rl, dashboard):
        cli.add_command(command)


def _register_plugin_commands() -> None:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            command = entry.load()
        except Exception as error:  # a broken plug-in must not take the whole CLI down
            logger.warning("qlab plug-in %r could not be loaded: %s", entry.name, error)
            continue
        cli.add_command(command, name=entry.name)


_register_builtin_commands()
_register_plugin_commands()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="qlab")
