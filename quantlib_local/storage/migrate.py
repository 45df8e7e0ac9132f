"""Schema migrations of the SQL store, driven by Alembic from Python.

The migration scripts ship inside the package (``storage/migrations``); these functions
hand Alembic a connection, so no ``alembic.ini`` edit or environment variable is needed.
The ``qlab db upgrade`` command calls :func:`upgrade_database`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL, Connection, Engine

from quantlib_local.exceptions import StorageError
from quantlib_local.storage.engine import UPGRADE_COMMAND, create_engine_for, redact_url

logger = logging.getLogger(__name__)

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
"""The Alembic configuration shipped with the package (its ``script_location`` is ``migrations``)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Return the Alembic configuration of the store.

    Parameters
    ----------
    connection
        When given, ``env.py`` runs the migrations on this connection (and leaves the
        application's logging configuration alone).
    """
    config = Config(str(ALEMBIC_INI))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """Return the newest migration revision shipped with this version of the package."""
    head = _script_directory().get_current_head()
    if head is None:  # pragma: no cover - the package always ships the initial revision
        raise StorageError(f"no migrations found under {ALEMBIC_INI.parent / 'migrations'}. Fix: reinstall quantlib_local.")
    return head


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _run_command(url: str | URL, revision: str, *, upgrade: bool) -> None:
    engine = create_engine_for(url)
    shown = redact_url(engine.url)
    action = "upgrade" if upgrade else "downgrade"
    try:
        with engine.begin() as connection:
            before = _revision_of(connection)
            config = alembic_config(connection)
            if upgrade:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
            after = _revision_of(connection)
    except CommandError as error:
        known = ", ".join(script.revision for script in _script_directory().walk_revisions())
        raise StorageError(
            f"cannot {action} database url={shown!r} to revision={revision!r}: {error}. "
            f"Fix: use 'head', 'base' or one of the shipped revisions: {known}."
        ) from error
    finally:
        engine.dispose()
    logger.info("%sd %s from revision %s to %s", action, shown, before, after)


def upgrade_database(url: str | URL, revision: str = "head") -> None:
    """Create or migrate the store's schema up to ``revision``.

    Parameters
    ----------
    url
        SQLAlchemy URL of the database; a SQLite file and its directory are created.
    revision
        Target revision, ``"head"`` (the default) for the newest.

    Raises
    ------
    StorageError
        When the database cannot be reached or the revision is unknown.
    """
    _run_command(url, revision, upgrade=True)


def downgrade_database(url: str | URL, revision: str = "base") -> None:
    """Migrate the store's schema down to ``revision``; ``"base"`` drops every table.

    Raises
    ------
    StorageError
        When the database cannot be reached or the revision is unknown.
    """
    _run_command(url, revision, upgrade=False)


def current_revision(url: str | URL) -> str | None:
    """Return the database's migration revision, or None when it was never migrated.

    Raises
    ------
    StorageError
        When the database cannot be reached.
    """
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return _revision_of(connection)
    finally:
        engine.dispose()


def require_current_schema(engine: Engine) -> None:
    """Raise unless the database behind ``engine`` is migrated to the shipped head.

    Raises
    ------
    StorageError
        When the database was never migrated or is behind (the fix is
        ``qlab db upgrade``), or is at a revision this package does not know (the fix is
        to upgrade the package).
    """
    shown = redact_url(engine.url)
    with engine.connect() as connection:
        current = _revision_of(connection)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise StorageError(
            f"database url={shown!r} has no store schema yet (revision=None, expected {head!r}). "
            f"Fix: run `{UPGRADE_COMMAND}` (or quantlib_local.storage.upgrade_database(url))."
        )
    known = {script.revision for script in _script_directory().walk_revisions()}
    if current not in known:
        raise StorageError(
            f"database url={shown!r} is at revision={current!r}, which this version of quantlib_local does not "
            f"know (its newest is {head!r}). Fix: upgrade quantlib_local to the version that migrated this database."
        )
    raise StorageError(
        f"database url={shown!r} is at revision={current!r} but this code needs {head!r}. "
        f"Fix: run `{UPGRADE_COMMAND}` (or quantlib_local.storage.upgrade_database(url))."
    )


def open_database(url: str | URL) -> Engine:
    """Return an engine for a store that is reachable and migrated to the shipped head.

    This is the entry point for code that reads or writes the store; use
    :func:`upgrade_database` first on a new database.

    Raises
    ------
    StorageError
        When the database cannot be reached or is not migrated to head.
    """
    engine = create_engine_for(url)
    try:
        require_current_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
