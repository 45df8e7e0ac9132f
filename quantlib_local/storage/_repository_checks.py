"""Shared checks and conversions of the store's repository modules (private)."""

from __future__ import annotations

import json
import logging
import math
import numbers
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from quantlib_local.exceptions import ValidationError
from quantlib_local.storage.models import (
    BacktestRunRow,
    OrderRow,
)

logger = logging.getLogger(__name__)



# --------------------------------------------------------------------------- validation


def require_name(field: str, value: str | None, example: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, f"give a non-empty name, e.g. {example!r}")


def bounded_name(field: str, value: str, limit: int, example: str) -> str:
    """Return ``value`` when it is a non-empty name of at most ``limit`` characters (a VARCHAR's width)."""
    require_name(field, value, example)
    return fit_length(field, value, limit)


def fit_length(field: str, value: str, limit: int) -> str:
    """Return ``value`` unless it is longer than ``limit`` characters."""
    if len(value) > limit:
        raise ValidationError(field, value, f"keep it to at most {limit} characters (it has {len(value)})")
    return value


def finite_float(field: str, value: float) -> float:
    """Return ``value`` (a Python or NumPy real) as a plain float any driver can bind; refuse NaN and inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValidationError(field, value, "give a finite number")
    return float(value)


def optional_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_ready(field: str, value: Any) -> dict[str, Any]:
    """Return ``value`` as plain JSON types, refusing NaN/inf (PostgreSQL JSON rejects them)."""
    if not isinstance(value, dict):
        raise ValidationError(field, value, "pass a dict of JSON-serialisable values")
    try:
        text = json.dumps(value, allow_nan=False, default=json_default)
    except ValueError as error:
        raise ValidationError(
            field,
            value,
            "replace NaN and infinite values with None (an undefined metric) before recording",
            detail=str(error),
        ) from None
    except TypeError as error:
        raise ValidationError(
            field, value, "use only str, int, float, bool, None, lists and dicts (convert other objects)", detail=str(error)
        ) from None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def order_row(session: Session, client_order_id: str) -> OrderRow:
    row = session.scalar(select(OrderRow).where(OrderRow.client_order_id == client_order_id))
    if row is None:
        raise ValidationError(
            "client_order_id", client_order_id, "record the order with record_order_intent() before using it"
        )
    return row

def run_row(session: Session, run_id: str) -> BacktestRunRow:
    row = session.get(BacktestRunRow, run_id)
    if row is None:
        raise ValidationError("run_id", run_id, "pass the id returned by record_backtest_run()")
    return row
