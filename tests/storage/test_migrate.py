"""Alembic migrations: up from empty, down to base and up again, head schema == models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, String, inspect, text
from sqlalchemy.engine import Engine

import quantlib_local.storage as storage
from quantlib_local.exceptions import StorageError
from quantlib_local.storage import (
    Base,
    create_engine_for,
    current_revision,
    downgrade_database,
    head_revision,
    load_orders,
    open_database,
    record_order_intent,
    session_scope,
    upgrade_database,
)
from quantlib_local.storage.migrate import ALEMBIC_INI, alembic_config
from quantlib_local.storage.models import NAMING_CONVENTION

from .factories import make_order

STORE_TABLES = set(Base.metadata.tables)


def _tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _schema_differences(engine: Engine, metadata: object = Base.metadata) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))  # type: ignore[arg-type]


def test_store_has_the_nine_tables() -> None:
    assert STORE_TABLES == {
        "instruments",
        "backtest_runs",
        "orders",
        "fills",
        "positions",
        "equity_snapshots",
        "nightly_runs",
        "guard_checks",
        "arbitrage_opportunities",
    }


def test_migrations_ship_inside_the_package() -> None:
    package_dir = Path(storage.__file__).parent
    assert ALEMBIC_INI == package_dir / "alembic.ini"
    scripts = ScriptDirectory.from_config(alembic_config())
    assert Path(scripts.dir) == package_dir / "migrations"
    assert (package_dir / "migrations" / "script.py.mako").is_file()
    assert [script.revision for script in scripts.walk_revisions()][-1] == "0001"


def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    assert current_revision(database_url) is None
    assert _tables(database_url) == set()

    upgrade_database(database_url)

    assert current_revision(database_url) == head_revision()
    assert _tables(database_url) == STORE_TABLES | {"alembic_version"}


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)
    assert current_revision(database_url) == head_revision()


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    upgrade_database(database_url)
    downgrade_database(database_url, "base")

    assert current_revision(database_url) is None
    assert _tables(database_url) & STORE_TABLES == set()

    upgrade_database(database_url)
    engine = open_database(database_url)
    try:
        with session_scope(engine) as session:
            record_order_intent(session, make_order())
        with session_scope(engine) as session:
            assert len(load_orders(session)) == 1
    finally:
        engine.dispose()


def test_head_schema_matches_models(engine: Engine) -> None:
    assert _schema_differences(engine) == []


def test_schema_comparison_detects_drift(engine: Engine) -> None:
    """Guards the test above: a changed column type must show up as a difference."""
    drifted = MetaData(naming_convention=NAMING_CONVENTION)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["orders"].c["symbol"].type = String(10)
    differences = _schema_differences(engine, drifted)
    assert any("modify_type" in repr(difference) and "symbol" in repr(difference) for difference in differences)


def test_unknown_revision_names_it_and_the_choices(database_url: str) -> None:
    with pytest.raises(StorageError, match="revision='nope'") as caught:
        upgrade_database(database_url, "nope")
    assert "0001" in str(caught.value)


def test_open_database_refuses_an_unmigrated_database(database_url: str) -> None:
    with pytest.raises(StorageError, match="qlab db upgrade") as caught:
        open_database(database_url)
    assert "revision=None" in str(caught.value)


def test_open_database_refuses_a_database_from_newer_code(database_url: str) -> None:
    upgrade_database(database_url)
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    finally:
        engine.dispose()
    with pytest.raises(StorageError, match="upgrade quantlib_local") as caught:
        open_database(database_url)
    assert "'f00dcafe'" in str(caught.value)
