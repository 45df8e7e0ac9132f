"""``qlab dashboard NAME``: serve a Voila dashboard of ``notebooks/dashboards/`` on localhost.

The dashboards are notebooks of the source checkout (``notebooks/dashboards/NAME.ipynb``),
found relative to this file like ``papermill_jobs`` finds ``notebooks/``. Voila runs as a
child process (``python -m voila``) bound to 127.0.0.1; Ctrl-C or SIGTERM stops it and its
kernels. The kernels run in the notebook's folder, so the settings that name paths (data and
reports folders, a SQLite store) are handed to them as absolute paths in the environment.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import FrameType

import click

from quantlib_local.config import Settings
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

DASHBOARDS_DIR = Path(__file__).resolve().parent.parent.parent / "notebooks" / "dashboards"
"""``notebooks/dashboards`` of the source checkout."""

DEFAULT_PORT = 8866
"""Voila's own default port."""

HOST = "127.0.0.1"
"""Dashboards listen on the loopback interface only."""

DEMO_ENV = "QLAB_DASHBOARD_DEMO"
"""Set to ``1`` by ``--demo``; the live monitor then reads its SYNTHETIC demo store."""


def available_dashboards(directory: Path = DASHBOARDS_DIR) -> dict[str, Path]:
    """Dashboard names (notebook stems) and their notebooks, sorted by name."""
    if not directory.is_dir():
        return {}
    return {path.stem: path for path in sorted(directory.glob("*.ipynb"))}


def dashboard_notebook(name: str, directory: Path = DASHBOARDS_DIR) -> Path:
    """The notebook of dashboard ``name``.

    Raises
    ------
    ValidationError
        When there is no such dashboard (the message lists the available ones), or the
        dashboards folder is missing (an installed package without its source checkout).
    """
    found = available_dashboards(directory)
    if not found:
        raise ValidationError(
            "dashboards folder", str(directory), "run qlab from a source checkout (pip install -e .), where "
            "notebooks/dashboards/ holds the dashboard notebooks",
        )
    if name not in found:
        raise ValidationError("NAME", name, f"choose one of: {', '.join(found)}")
    return found[name]


def _absolute_sqlite(url: str) -> str:
    """A SQLite URL with a relative file made absolute (the kernel runs in another folder)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return url
    if Path(database).is_absolute():
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)


def dashboard_environment(settings: Settings, *, demo: bool = False, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the Voila process: the caller's, with the settings' paths made absolute.

    ``QLAB_DATA_DIR`` and ``QLAB_REPORTS_DIR`` become absolute, and so does a relative SQLite
    ``QLAB_DATABASE_URL``; a password stays where it was (``QLAB_DATABASE_PASSWORD``).
    ``--demo`` sets :data:`DEMO_ENV`.
    """
    env = dict(os.environ if base is None else base)
    env["QLAB_DATA_DIR"] = str(settings.data_dir.resolve())
    env["QLAB_REPORTS_DIR"] = str(settings.reports_dir.resolve())
    if settings.database_url is not None:
        env["QLAB_DATABASE_URL"] = _absolute_sqlite(settings.database_url)
    if demo:
        env[DEMO_ENV] = "1"
    else:
        env.pop(DEMO_ENV, None)
    return env


def voila_command(notebook: Path, *, port: int, open_browser: bool) -> list[str]:
    """The command line that serves ``notebook`` with Voila on ``HOST:port``."""
    command = [
        sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"--Voila.ip={HOST}",
        "--Voila.port_retries=0", "--show_tracebacks=True",
    ]
    if not open_browser:
        command.append("--no-browser")
    return command


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado does: a closed port is free
        try:
            probe.bind((HOST, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ValidationError("--port", port, f"choose a free port, e.g. --port {port + 1}",
                                      detail="another program listens on it") from None
            raise ValidationError("--port", port, "choose a port this user may open, e.g. 8866",
                                  detail=str(error)) from None


def _epilog() -> str:
    names = ", ".join(available_dashboards()) or "none found (run from a source checkout)"
    return f"Dashboards: {names}."


@click.command(epilog=_epilog())
@click.argument("name")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1 to serve on.")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@click.option("--demo", is_flag=True,
              help="live_monitor: read a separate demo store with SYNTHETIC paper deployments instead of the real one.")
@click.pass_obj
def dashboard(settings: Settings, name: str, port: int, no_browser: bool, demo: bool) -> None:
    """Serve the Voila dashboard NAME (notebooks/dashboards/NAME.ipynb) on http://127.0.0.1:PORT/.

    portfolio_risk: positions, exposure, VaR and CVaR, drawdown and the efficient frontier on
    bundled real data. live_monitor: equity, positions, open orders and fills of the deployments
    in the SQL store. Stop the server with Ctrl-C.
    """
    notebook = dashboard_notebook(name)
    _check_port_free(port)
    command = voila_command(notebook, port=port, open_browser=not no_browser)
    click.echo(f"Serving dashboard {name} at http://{HOST}:{port}/ (Ctrl-C to stop)")
    logger.debug("running %s", " ".join(command))
    process = subprocess.Popen(command, env=dashboard_environment(settings, demo=demo))

    def _forward(signum: int, frame: FrameType | None) -> None:
        process.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, _forward)
    try:
        returncode = process.wait()
    except KeyboardInterrupt:  # ask voila to stop (a no-op if the terminal's SIGINT reached it already)
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.terminate()
            returncode = process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
        raise click.ClickException(f"voila exited with status {returncode}; see its messages above")
