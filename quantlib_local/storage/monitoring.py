"""Guard checks and arbitrage opportunities in the store: what a runner saw, for the live monitor.

Like the ledger, every function takes the :class:`~sqlalchemy.orm.Session` of a
:func:`~quantlib_local.storage.session_scope` and leaves committing to it. Guard checks go in
and come out as :class:`~quantlib_local.core.GuardCheck`; opportunities go in and come out as
frames with the columns of :data:`~quantlib_local.core.OPPORTUNITY_COLUMNS`, the shape the
arbitrage scanner produces.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quantlib_local.core import OPPORTUNITY_COLUMNS, OPPORTUNITY_TEXT_COLUMNS, GuardCheck
from quantlib_local.exceptions import ValidationError
from quantlib_local.storage._repository_checks import bounded_name
from quantlib_local.storage.models import NAME_LENGTH, SYMBOL_LENGTH, ArbitrageOpportunityRow, GuardCheckRow
from quantlib_local.storage.records import require_utc

# --------------------------------------------------------------------------- guard checks


def record_guard_checks(session: Session, deployment: str, checks: Iterable[GuardCheck]) -> int:
    """Append guard checks of ``deployment``; return how many were written.

    A check already stored (same deployment, guard and time) is refused, so a runner that
    retries a write cannot double its history.
    """
    bounded_name("deployment", deployment, NAME_LENGTH, "btc-trend-paper")
    items = list(checks)
    for check in items:
        if not isinstance(check, GuardCheck):
            raise ValidationError("checks", type(check).__name__, "pass GuardCheck objects (quantlib_local.core)")
        bounded_name("guard", check.guard, SYMBOL_LENGTH, "max_drawdown")
    keys = [(check.guard, check.checked_at) for check in items]
    if len(set(keys)) != len(keys):
        raise ValidationError("checks", "duplicate guard and checked_at", "record each guard once per check time")
    for check in items:
        taken = session.scalar(
            select(GuardCheckRow.id).where(
                GuardCheckRow.deployment == deployment,
                GuardCheckRow.guard == check.guard,
                GuardCheckRow.checked_at == check.checked_at,
            )
        )
        if taken is not None:
            raise ValidationError(
                "checked_at", check.checked_at, f"guard {check.guard!r} of {deployment!r} is already recorded at this time"
            )
        session.add(
            GuardCheckRow(
                deployment=deployment, guard=check.guard, status=check.status, value=check.value,
                limit=check.limit, message=check.message, checked_at=check.checked_at,
            )
        )
    session.flush()
    return len(items)


def load_guard_status(session: Session, deployment: str) -> list[GuardCheck]:
    """The latest check of every guard of ``deployment``, ordered by guard name (empty when none)."""
    latest = (
        select(GuardCheckRow.guard, func.max(GuardCheckRow.checked_at).label("checked_at"))
        .where(GuardCheckRow.deployment == deployment)
        .group_by(GuardCheckRow.guard)
        .subquery()
    )
    query = (
        select(GuardCheckRow)
        .join(latest, (GuardCheckRow.guard == latest.c.guard) & (GuardCheckRow.checked_at == latest.c.checked_at))
        .where(GuardCheckRow.deployment == deployment)
        .order_by(GuardCheckRow.guard)
    )
    return [_check_from_row(row) for row in session.scalars(query)]


def load_guard_checks(
    session: Session, deployment: str, *, guard: str | None = None, since: datetime | None = None
) -> list[GuardCheck]:
    """Every stored check of ``deployment`` (optionally one guard, from ``since``), oldest first."""
    query = select(GuardCheckRow).where(GuardCheckRow.deployment == deployment)
    if guard is not None:
        query = query.where(GuardCheckRow.guard == guard)
    if since is not None:
        require_utc("since", since)
        query = query.where(GuardCheckRow.checked_at >= since)
    query = query.order_by(GuardCheckRow.checked_at, GuardCheckRow.guard)
    return [_check_from_row(row) for row in session.scalars(query)]


def _check_from_row(row: GuardCheckRow) -> GuardCheck:
    return GuardCheck(row.guard, row.status, row.value, row.limit, row.checked_at, row.message)


# --------------------------------------------------------------------------- arbitrage opportunities


def record_opportunities(session: Session, opportunities: pd.DataFrame, *, source: str) -> int:
    """Append the rows of an opportunities frame seen by ``source``; return how many were written.

    Parameters
    ----------
    opportunities
        A frame with (at least) the columns of :data:`~quantlib_local.core.OPPORTUNITY_COLUMNS`;
        ``detected_at`` UTC (stored to the microsecond, as both databases keep it), prices and
        quantities positive, every number finite.
    source
        The scanner or deployment that saw them, e.g. ``"arb-scanner-paper"``.
    """
    bounded_name("source", source, NAME_LENGTH, "arb-scanner-paper")
    frame = _opportunity_frame(opportunities)
    session.add_all(
        ArbitrageOpportunityRow(source=source, **row) for row in _opportunity_records(frame)
    )
    session.flush()
    return len(frame)


def load_opportunities(
    session: Session, *, source: str | None = None, since: datetime | None = None, limit: int | None = 50
) -> pd.DataFrame:
    """The latest stored opportunities, newest first.

    Parameters
    ----------
    source
        Only those of this scanner or deployment; None for all.
    since
        Only those detected at or after this UTC time.
    limit
        At most this many rows (None for all).

    Returns
    -------
    pandas.DataFrame
        Columns ``source`` and :data:`~quantlib_local.core.OPPORTUNITY_COLUMNS` (``detected_at`` UTC).
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1):
        raise ValidationError("limit", limit, "use a whole number of rows, at least 1, or None for all")
    columns = [getattr(ArbitrageOpportunityRow, name) for name in ("source", *OPPORTUNITY_COLUMNS)]
    query = select(*columns).order_by(ArbitrageOpportunityRow.detected_at.desc(), ArbitrageOpportunityRow.id.desc())
    if source is not None:
        query = query.where(ArbitrageOpportunityRow.source == source)
    if since is not None:
        require_utc("since", since)
        query = query.where(ArbitrageOpportunityRow.detected_at >= since)
    if limit is not None:
        query = query.limit(int(limit))
    frame = pd.DataFrame(session.execute(query).all(), columns=["source", *OPPORTUNITY_COLUMNS])
    frame["detected_at"] = pd.to_datetime(frame["detected_at"], utc=True)
    return frame


def _opportunity_frame(opportunities: object) -> pd.DataFrame:
    fix = f"pass a DataFrame with the columns {list(OPPORTUNITY_COLUMNS)} (quantlib_local.core.OPPORTUNITY_COLUMNS)"
    if not isinstance(opportunities, pd.DataFrame):
        raise ValidationError("opportunities", type(opportunities).__name__, fix)
    missing = [name for name in OPPORTUNITY_COLUMNS if name not in opportunities.columns]
    if missing:
        raise ValidationError("opportunities", f"missing columns {missing}", fix)
    frame = opportunities.loc[:, list(OPPORTUNITY_COLUMNS)].copy()
    detected = frame["detected_at"]
    if not pd.api.types.is_datetime64_any_dtype(detected) or str(detected.dt.tz) != "UTC":
        raise ValidationError("opportunities.detected_at", detected.dtype, "give UTC timestamps (tz-aware, UTC)")
    if detected.isna().any():
        raise ValidationError("opportunities.detected_at", "missing values", "give every opportunity its time")
    for name in OPPORTUNITY_TEXT_COLUMNS:
        for value in frame[name]:
            bounded_name(f"opportunities.{name}", value, SYMBOL_LENGTH, "binance")
    if (frame["buy_venue"] == frame["sell_venue"]).any():
        raise ValidationError("opportunities.sell_venue", "same as buy_venue", "an opportunity spans two venues")
    numeric = [name for name in OPPORTUNITY_COLUMNS if name not in OPPORTUNITY_TEXT_COLUMNS and name != "detected_at"]
    for name in numeric:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise ValidationError(f"opportunities.{name}", "non-finite values", "give finite numbers")
        frame[name] = values
    for name in ("buy_price", "sell_price", "quantity"):
        if (frame[name] <= 0.0).any():
            raise ValidationError(f"opportunities.{name}", "non-positive values", "prices and quantities are positive")
    return frame


def _opportunity_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as plain Python values any driver binds (datetimes, str, float); times kept to the microsecond."""
    records = frame.to_dict(orient="records")
    for record, stamp in zip(records, frame["detected_at"].dt.floor("us"), strict=True):
        record["detected_at"] = stamp.to_pydatetime()
    return records

