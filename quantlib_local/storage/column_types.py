"""Portable column types shared by the models and the migrations.

Two decisions live here so that every table makes them the same way:

Timestamps
    :class:`UTCDateTime` stores ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and an ISO
    string on SQLite (which has no time zone type), and always hands back an aware
    ``datetime`` in UTC, whatever the database session's ``TimeZone`` is. Naive datetimes
    are refused on the way in rather than guessed at.

Money, prices and quantities
    :data:`Float64` is ``DOUBLE PRECISION`` on PostgreSQL and ``DOUBLE`` (REAL) on SQLite.
    The core dataclasses (:class:`~quantlib_local.core.Order`, ``Fill``, ``Position``)
    carry float64, so a ``NUMERIC`` column would only store exactly a value that was
    already rounded in Python; worse, PostgreSQL's float8 -> numeric cast keeps 15
    significant digits, so a value would not read back bit for bit. A float64 column
    round-trips exactly (tested) and its 15-17 significant digits are ample for research
    and for reconciling a ledger against venue numbers with a tolerance of one tick or
    lot. If exact decimal accounting is ever required (tax lots, fund accounting), move
    these columns to ``Numeric(38, 18)`` together with the dataclasses to ``Decimal``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, Double
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

Float64 = Double
"""Column type for prices, quantities and money (float64; see the module docstring)."""


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that is stored and returned in UTC.

    Raises
    ------
    ValueError
        When a naive datetime is bound (wrapped by SQLAlchemy in ``StatementError``).
        Repository functions validate earlier and raise
        :class:`~quantlib_local.exceptions.ValidationError` instead.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime expects a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value!r} cannot be stored; pass a timezone-aware UTC datetime, "
                "e.g. datetime.now(timezone.utc)"
            )
        as_utc = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            # SQLite keeps text without an offset; every stored value is UTC, so text order is time order.
            return as_utc.replace(tzinfo=None)
        return as_utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
