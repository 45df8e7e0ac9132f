"""Plain records the store adds to the core types: backtest runs and their status.

Orders, fills, positions and instruments use the dataclasses of :mod:`quantlib_local.core`;
a backtest run has no core type, so it is defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from quantlib_local.exceptions import ValidationError


class RunStatus(str, Enum):
    """Life cycle of a backtest run."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


def require_utc(name: str, value: datetime) -> None:
    """Raise :class:`ValidationError` unless ``value`` is a timezone-aware UTC datetime."""
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is None or offset.total_seconds() != 0:
        raise ValidationError(name, value, "pass a timezone-aware UTC datetime, e.g. datetime.now(timezone.utc)")


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """One recorded backtest: what ran, on which data and code, and what it measured.

    Parameters
    ----------
    run_id
        Unique id (a UUID4 hex string unless the caller chose one).
    strategy_name
        Name of the strategy class or registry entry.
    parameters
        Strategy parameters as JSON-serialisable values.
    data_start, data_end
        First and last bar timestamp of the data (UTC).
    data_hash
        Content hash of the input data, so a run can be repeated on the same bars.
    code_version
        Git commit or package version of the code that ran.
    metrics
        Result metrics as JSON-serialisable values (``None`` where undefined).
    status
        Whether the run is still running, completed or failed.
    created_at
        When the run was recorded (UTC).
    """

    run_id: str
    strategy_name: str
    parameters: dict[str, Any]
    data_start: datetime
    data_end: datetime
    data_hash: str
    code_version: str
    created_at: datetime
    metrics: dict[str, Any] = field(default_factory=dict)
    status: RunStatus = RunStatus.COMPLETED

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", RunStatus(self.status))
        except ValueError:
            allowed = ", ".join(s.value for s in RunStatus)
            raise ValidationError("status", self.status, f"use one of: {allowed}") from None
        for name in ("run_id", "strategy_name", "data_hash", "code_version"):
            if not getattr(self, name):
                raise ValidationError(name, getattr(self, name), f"give a non-empty {name}")
        for name in ("data_start", "data_end", "created_at"):
            require_utc(name, getattr(self, name))
        if self.data_end < self.data_start:
            raise ValidationError(
                "data_end", self.data_end, f"data_end must not be before data_start={self.data_start.isoformat()}"
            )
