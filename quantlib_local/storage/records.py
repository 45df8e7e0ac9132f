"""Plain records the store adds to the core types: backtest runs, nightly job runs, their statuses.

Orders, fills, positions and instruments use the dataclasses of :mod:`quantlib_local.core`;
backtest runs and nightly notebook runs have no core type, so they are defined here.
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


class JobStatus(str, Enum):
    """How a nightly notebook job run ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


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


@dataclass(frozen=True, slots=True)
class NightlyRun:
    """One recorded run of a nightly notebook job (see :func:`~quantlib_local.storage.record_nightly_run`).

    Parameters
    ----------
    run_id
        Unique id (a UUID4 hex string unless the caller chose one).
    job
        Name of the job in the manifest.
    notebook
        Path of the executed notebook, as the manifest gave it.
    parameters
        Papermill parameters as JSON-serialisable values.
    scheduled_for
        The date and time the run was for (UTC); a re-run keeps the original slot.
    started_at, finished_at
        When the first attempt started and the last one ended (UTC).
    duration_seconds
        ``finished_at - started_at`` in seconds.
    status
        ``succeeded``, ``failed`` or ``timed_out``.
    attempts
        Number of attempts made (1 when the first one settled it; 0 when the job failed
        before its notebook ran, e.g. on a parameter check).
    code_version
        Git commit or package version of the code that ran.
    reason
        Why the run failed or timed out (e.g. ``"KeyError: 'close'"``, ``"timed out after 30 s"``);
        None when there is nothing to say.
    data_hash
        Content hash of the input data, when the job knows it.
    metrics
        Key metrics the notebook reported, as JSON-serialisable values (may be empty).
    output_notebook, output_html
        Paths of the executed notebook and its HTML rendering, relative to the reports folder.
    """

    run_id: str
    job: str
    notebook: str
    parameters: dict[str, Any]
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    status: JobStatus
    attempts: int
    code_version: str
    reason: str | None = None
    data_hash: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    output_notebook: str | None = None
    output_html: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", JobStatus(self.status))
        except ValueError:
            allowed = ", ".join(s.value for s in JobStatus)
            raise ValidationError("status", self.status, f"use one of: {allowed}") from None
        for name in ("run_id", "job", "notebook", "code_version"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(name, value, f"give a non-empty {name}")
        for name in ("scheduled_for", "started_at", "finished_at"):
            require_utc(name, getattr(self, name))
        if self.finished_at < self.started_at:
            raise ValidationError(
                "finished_at",
                self.finished_at,
                f"finished_at must not be before started_at={self.started_at.isoformat()}",
            )
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 0:
            raise ValidationError("attempts", self.attempts, "give the number of attempts made, an int >= 0")
        if self.status is JobStatus.SUCCEEDED and self.attempts < 1:
            raise ValidationError("attempts", self.attempts, "a succeeded run made at least one attempt; give >= 1")
