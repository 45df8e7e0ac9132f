"""Fixtures that run every store test on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``QLAB_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``). The test session creates two
fresh, uniquely named databases on that server and drops them at the end: one for
migration tests (each test starts from an empty ``public`` schema) and one migrated once
to head (each test starts with empty tables, which is much faster than migrating again). Without a reachable server the PostgreSQL cases skip
with a message saying how to point them at one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from quantlib_local.storage import Base, open_database, redact_url, upgrade_database

POSTGRES_URL_ENV = "QLAB_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_database_factory() -> Iterator[Callable[[], str]]:
    """Return a function that creates a uniquely named database on the test server.

    Every database it created is dropped when the test session ends.
    """
    server_url = make_url(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL))
    how_to = (
        f"set {POSTGRES_URL_ENV}=postgresql+psycopg://USER:PASSWORD@HOST:5432/postgres to point the tests at a "
        "server whose user may CREATE DATABASE"
    )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip(f"psycopg is not installed (pip install 'quantlib-local[postgres]'); then {how_to}")
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect():
            pass
    except Exception as error:  # any driver error means: no usable server here
        admin.dispose()
        pytest.skip(f"PostgreSQL at {redact_url(server_url)} is not reachable ({type(error).__name__}); {how_to}")
    created: list[str] = []

    def create_database() -> str:
        name = f"qlab_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return server_url.set(database=name).render_as_string(hide_password=False)

    try:
        yield create_database
    finally:
        with admin.connect() as connection:
            for name in created:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_empty_database_url(postgres_database_factory: Callable[[], str]) -> str:
    """Database for migration tests; each test gets its ``public`` schema emptied."""
    return postgres_database_factory()


@pytest.fixture(scope="session")
def postgres_migrated_database_url(postgres_database_factory: Callable[[], str]) -> str:
    """Database migrated to head once; each test gets its tables emptied."""
    url = postgres_database_factory()
    upgrade_database(url)
    return url


def _run_autocommit(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests get a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "qlab.db"
    upgrade_database(f"sqlite:///{path}")  # the engine is disposed, so the WAL is checkpointed into the file
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgresql"``: every test that uses the store runs on both."""
    name: str = request.param
    return name


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database: a new SQLite file (in a directory that does not exist yet) or PostgreSQL."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'qlab.db'}"
    url: str = request.getfixturevalue("postgres_empty_database_url")
    _run_autocommit(url, "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public")
    return url


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Engine on an empty database migrated to head."""
    if backend == "sqlite":
        path = tmp_path / "store" / "qlab.db"
        path.parent.mkdir()
        shutil.copyfile(request.getfixturevalue("sqlite_migrated_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated_database_url")
        # DELETE, children first: on tiny tables it is ~10x faster than TRUNCATE.
        _run_autocommit(url, *(f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)))
    migrated = open_database(url)
    try:
        yield migrated
    finally:
        migrated.dispose()
