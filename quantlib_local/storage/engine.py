"""Engines and sessions for the SQL store.

:func:`create_engine_for` turns a URL into a checked :class:`~sqlalchemy.engine.Engine`
(SQLite pragmas, parent directory, a first connection so a wrong URL fails here with a
message that says how to fix it). :func:`session_scope` is the one unit of work:
commit on success, roll back on any exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from quantlib_local.exceptions import StorageError

logger = logging.getLogger(__name__)

UPGRADE_COMMAND = "qlab db upgrade"
"""The command a user runs to create or migrate the schema."""

URL_EXAMPLES = "sqlite:///path/to/qlab.db or postgresql+psycopg://user:password@host:5432/dbname"

_PASSWORD_IN_URL = re.compile(r"(?P<head>://[^:/@]*:)[^@]*(?P<tail>@)")


def redact_url(url: str | URL) -> str:
    """Return ``url`` as text with its password replaced by ``***``.

    Falls back to a regular expression when the URL cannot be parsed, so a password
    never reaches a message or a log.
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return _PASSWORD_IN_URL.sub(r"\g<head>***\g<tail>", str(url))


def _parse_url(url: str | URL) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError, TypeError) as error:
        raise StorageError(
            f"database url={redact_url(url)!r} is not a valid SQLAlchemy URL ({error}). "
            f"Fix: use a URL such as {URL_EXAMPLES}."
        ) from error


def _sqlite_file_path(parsed: URL) -> Path | None:
    """Return the file of a SQLite URL, or None for an in-memory database."""
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def _install_sqlite_pragmas(engine: Engine, *, use_wal: bool) -> None:
    """Enable foreign keys on every SQLite connection, and WAL journaling for files."""

    @event.listens_for(engine, "connect")
    def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if use_wal:
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()


def create_engine_for(url: str | URL, *, check_connection: bool = True, **engine_options: Any) -> Engine:
    """Create an engine for ``url``, ready for the store.

    Parameters
    ----------
    url
        SQLAlchemy URL, e.g. ``sqlite:///data/qlab.db`` or
        ``postgresql+psycopg://user:password@host:5432/qlab``.
    check_connection
        Open one connection now, so an unreachable server fails here rather than at
        first use.
    **engine_options
        Passed to :func:`sqlalchemy.create_engine`.

    Returns
    -------
    sqlalchemy.engine.Engine
        For SQLite, every connection has ``PRAGMA foreign_keys=ON``, and a file database
        also ``journal_mode=WAL``; the file's parent directory is created. PostgreSQL
        engines ping pooled connections before use.

    Raises
    ------
    StorageError
        When the URL is malformed, its driver is not installed, or the database cannot be
        reached. The message shows the URL with the password hidden.
    """
    parsed = _parse_url(url)
    shown = redact_url(parsed)
    options = dict(engine_options)
    sqlite_file: Path | None = None
    if parsed.get_backend_name() == "sqlite":
        sqlite_file = _sqlite_file_path(parsed)
        if sqlite_file is not None:
            try:
                sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StorageError(
                    f"database url={shown!r}: cannot create the directory {str(sqlite_file.parent)!r} ({error}). "
                    "Fix: choose a writable path, e.g. sqlite:///./qlab.db."
                ) from error
    else:
        options.setdefault("pool_pre_ping", True)
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            connect_args = dict(options.pop("connect_args", {}))
            connect_args.setdefault("connect_timeout", 10)
            options["connect_args"] = connect_args
    try:
        engine = create_engine(parsed, **options)
    except NoSuchModuleError as error:
        raise StorageError(
            f"database url={shown!r} names a dialect or driver that is not installed ({error}). "
            "Fix: for PostgreSQL install the driver with `pip install 'quantlib-local[postgres]'` and use "
            f"postgresql+psycopg://...; otherwise use sqlite:///path/to/qlab.db."
        ) from error
    except (ArgumentError, ImportError, TypeError) as error:
        raise StorageError(
            f"database url={shown!r} cannot be used ({error}). Fix: use a URL such as {URL_EXAMPLES}."
        ) from error
    if parsed.get_backend_name() == "sqlite":
        _install_sqlite_pragmas(engine, use_wal=sqlite_file is not None)
    if check_connection:
        try:
            with engine.connect():
                pass
        except SQLAlchemyError as error:
            engine.dispose()
            raise StorageError(
                f"cannot connect to database url={shown!r}: {_first_line(error)}. "
                "Fix: check that the server is running and reachable and that the user, password and "
                "database name are right, or use a local file with sqlite:///path/to/qlab.db."
            ) from error
    logger.debug("engine ready for %s", shown)
    return engine


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def is_missing_table_error(error: BaseException) -> bool:
    """Return True when a database error says that a table does not exist."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) == "42P01":  # PostgreSQL undefined_table
        return True
    text = f"{type(original).__name__} {original}".lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any exception.

    Parameters
    ----------
    engine
        An engine from :func:`create_engine_for` or :func:`open_database`.

    Yields
    ------
    sqlalchemy.orm.Session
        Objects stay readable after the commit (``expire_on_commit=False``).

    Raises
    ------
    StorageError
        When a query hits a table that does not exist: the database has not been
        migrated, and the message says to run ``qlab db upgrade``. Every other
        exception is re-raised unchanged after the rollback.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException as error:
        session.rollback()
        if is_missing_table_error(error):
            raise StorageError(
                f"database url={redact_url(engine.url)!r} has no store tables ({_first_line(error)}). "
                f"Fix: run `{UPGRADE_COMMAND}` (or quantlib_local.storage.upgrade_database(url)) to create them."
            ) from error
        raise
    finally:
        session.close()
