"""The store a command writes to, from the settings."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from quantlib_local.config import Settings


def store_engine(settings: Settings) -> Engine:
    """The store's engine; the embedded SQLite default is migrated on first use.

    A configured database (``QLAB_DATABASE_URL``) must already be migrated (`qlab db upgrade`);
    :func:`~quantlib_local.storage.open_database` refuses it otherwise, naming the fix.
    """
    from quantlib_local.storage import open_database, upgrade_database

    url = settings.resolved_database_url
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(url)
    return open_database(url)
