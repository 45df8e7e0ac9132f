"""Alembic environment of the quantlib_local SQL store.

The database comes from, in order:

1. ``config.attributes["connection"]``: a connection handed over by
   :func:`quantlib_local.storage.upgrade_database` (the normal path);
2. ``-x url=...`` on the alembic command line;
3. ``sqlalchemy.url`` in the ini file (empty by default: URLs carry passwords).

SQLite runs in batch mode so later ``ALTER`` migrations work there too.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from quantlib_local.storage.engine import create_engine_for
from quantlib_local.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url_from_command_line() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit(
            "No database URL: pass it as `alembic -x url=sqlite:///path/to/qlab.db ...`, "
            "or run `qlab db upgrade` / quantlib_local.storage.upgrade_database(url)."
        )
    return url


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``)."""
    context.configure(
        url=_url_from_command_line(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    engine = create_engine_for(_url_from_command_line())
    try:
        with engine.begin() as new_connection:
            _configure_and_run(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
