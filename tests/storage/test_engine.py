"""Engines, error messages and the unit of work of the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from quantlib_local.exceptions import StorageError
from quantlib_local.storage import (
    create_engine_for,
    load_fills,
    load_orders,
    record_fill,
    record_order_intent,
    redact_url,
    session_scope,
)

from .factories import make_fill, make_order


def test_sqlite_file_engine_creates_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "does" / "not" / "exist" / "qlab.db"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    finally:
        engine.dispose()
    assert path.is_file()


def test_sqlite_memory_engine_enforces_foreign_keys() -> None:
    engine = create_engine_for("sqlite://")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "memory"
    finally:
        engine.dispose()


def test_unparseable_url_names_it_and_the_fix() -> None:
    with pytest.raises(StorageError, match="not a valid SQLAlchemy URL") as caught:
        create_engine_for("no scheme here")
    assert "'no scheme here'" in str(caught.value)
    assert "sqlite:///" in str(caught.value)


def test_unknown_driver_hides_the_password() -> None:
    with pytest.raises(StorageError, match="not installed") as caught:
        create_engine_for("postgresql+nosuchdriver://trader:hunter2@db.example:5432/qlab")
    message = str(caught.value)
    assert "hunter2" not in message
    assert "trader:***@db.example:5432/qlab" in message
    assert "pip install" in message


def test_unreachable_server_names_redacted_url_and_fix() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(StorageError, match="cannot connect") as caught:
        create_engine_for("postgresql+psycopg://trader:hunter2@127.0.0.1:1/qlab")
    message = str(caught.value)
    assert "hunter2" not in message
    assert "postgresql+psycopg://trader:***@127.0.0.1:1/qlab" in message
    assert "check that the server is running" in message
    assert "sqlite:///" in message


def test_unwritable_sqlite_directory_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot create the directory"):
        create_engine_for(f"sqlite:///{blocker / 'qlab.db'}")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:p%40ss@host/db", "postgresql://u:***@host/db"),
        ("sqlite:///plain.db", "sqlite:///plain.db"),
        ("garbage://u:secret@host:notaport/db", "garbage://u:***@host:notaport/db"),
    ],
)
def test_redact_url_hides_passwords_even_when_unparseable(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_session_scope_commits(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_order_intent(session, make_order())
    with session_scope(engine) as session:
        assert [order.client_order_id for order in load_orders(session)] == ["qlab-btc-0001"]


def test_exception_inside_session_scope_leaves_nothing_written(engine: Engine) -> None:
    order = make_order()
    with pytest.raises(RuntimeError, match="broker exploded"):
        with session_scope(engine) as session:
            record_order_intent(session, order)
            record_fill(session, make_fill(order))
            assert len(load_orders(session)) == 1  # flushed: visible inside the transaction
            raise RuntimeError("broker exploded")
    with session_scope(engine) as session:
        assert load_orders(session) == []
        assert load_fills(session) == []


def test_unmigrated_database_says_to_run_upgrade(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        with pytest.raises(StorageError, match="qlab db upgrade") as caught:
            with session_scope(engine) as session:
                load_orders(session)
    finally:
        engine.dispose()
    assert "has no store tables" in str(caught.value)
