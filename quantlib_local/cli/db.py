"""``qlab db``: create and migrate the SQL store."""

from __future__ import annotations

import click

from quantlib_local.config import Settings


@click.group()
def db() -> None:
    """Create, migrate and inspect the SQL store (SQLite by default, any SQLAlchemy URL)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to migrate to.")
@click.pass_obj
def upgrade_command(settings: Settings, revision: str) -> None:
    """Apply migrations up to REVISION (creates the database file for SQLite)."""
    from quantlib_local.storage import current_revision, upgrade_database

    url = settings.resolved_database_url
    upgrade_database(url, revision)
    click.echo(f"{settings.display_database_url} is at revision {current_revision(url)}")


@db.command("current")
@click.pass_obj
def current_command(settings: Settings) -> None:
    """Show the store's URL (password masked) and its migration revision."""
    from quantlib_local.storage import current_revision

    revision = current_revision(settings.resolved_database_url)
    click.echo(f"{settings.display_database_url}: {revision or 'not migrated (run `qlab db upgrade`)'}")
