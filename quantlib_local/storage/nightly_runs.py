"""Runs of the nightly notebook jobs in the store.

The papermill runner (``papermill_jobs``) records one row per job run with
:func:`record_nightly_run` when the run has settled (succeeded, failed or timed out after
its retries); dashboards and reports read them back with :func:`load_nightly_runs` and
:func:`nightly_runs_frame`. Like :mod:`quantlib_local.storage.ledger`, every function takes a
session from :func:`~quantlib_local.storage.session_scope` and leaves committing to it.
"""

from __future__ import annotations

import logging
import numbers
import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import PureWindowsPath
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from quantlib_local.exceptions import ValidationError
from quantlib_local.storage._repository_checks import bounded_name, finite_float, fit_length, json_ready, require_name
from quantlib_local.storage.models import NAME_LENGTH, PATH_LENGTH, RUN_ID_LENGTH, SYMBOL_LENGTH, NightlyRunRow
from quantlib_local.storage.records import JobStatus, NightlyRun
from quantlib_local.storage.run_records import records_frame

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


# --------------------------------------------------------------------------- checks


def _optional_name(field: str, value: str | None, limit: int, example: str) -> str | None:
    return None if value is None else bounded_name(field, value, limit, example)


def _path_text(field: str, value: PathLike, example: str) -> str:
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    require_name(field, text, example)
    return fit_length(field, text, PATH_LENGTH)


def _report_path(field: str, value: PathLike | None, example: str) -> str | None:
    if value is None:
        return None
    text = _path_text(field, value, example)
    as_windows = PureWindowsPath(text)  # catches "/x", "\\x" and "C:\\x" alike
    if as_windows.root or as_windows.drive:
        raise ValidationError(field, text, f"give the path relative to the reports folder, e.g. {example!r}")
    return text


def _aware_utc(field: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError(field, value, "pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)")
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.astimezone(timezone.utc)


def _status(value: JobStatus | str) -> JobStatus:
    try:
        return JobStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in JobStatus)
        raise ValidationError("status", value, f"use one of: {allowed}") from None


def _attempts(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValidationError("attempts", value, "give the number of attempts made, an int >= 0")
    return int(value)


def _reason(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("reason", value, "give the failure reason as text, e.g. \"KeyError: 'close'\"")
    return value if value.strip() else None


# --------------------------------------------------------------------------- nightly runs


def _nightly_run_from_row(row: NightlyRunRow) -> NightlyRun:
    return NightlyRun(
        run_id=row.id,
        job=row.job,
        notebook=row.notebook,
        parameters=row.parameters,
        scheduled_for=row.scheduled_for,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_seconds=row.duration_seconds,
        status=row.status,
        attempts=row.attempts,
        code_version=row.code_version,
        reason=row.reason,
        data_hash=row.data_hash,
        metrics=row.metrics,
        output_notebook=row.output_notebook,
        output_html=row.output_html,
    )


def record_nightly_run(
    session: Session,
    *,
    job: str,
    notebook: PathLike,
    parameters: dict[str, Any],
    scheduled_for: datetime,
    started_at: datetime,
    finished_at: datetime,
    status: JobStatus | str,
    attempts: int,
    reason: str | None = None,
    data_hash: str | None = None,
    metrics: dict[str, Any] | None = None,
    output_notebook: PathLike | None = None,
    output_html: PathLike | None = None,
    code_version: str,
    run_id: str | None = None,
) -> NightlyRun:
    """Record one settled run of a nightly notebook job and return it with its id.

    Parameters
    ----------
    job
        Job name from the manifest, e.g. ``"volatility"``.
    notebook
        Path of the notebook that ran, stored as given.
    parameters
        Papermill parameters (JSON-serialisable; NumPy scalars are converted).
    scheduled_for
        The date and time the run was for; a re-run of an earlier night keeps that night's slot.
    started_at, finished_at
        Start of the first attempt and end of the last one. ``duration_seconds`` of the
        record is ``finished_at - started_at``.
    status
        ``"succeeded"``, ``"failed"`` or ``"timed_out"``.
    attempts
        Number of attempts made: >= 1, or 0 for a failure before the notebook ran (e.g. a
        parameter check); a succeeded run needs >= 1.
    reason
        Why the run failed or timed out, e.g. ``"KeyError: 'close'"`` or
        ``"timed out after 30 s"``; any length. An empty string is stored as None.
    data_hash
        Content hash of the input data, when known.
    metrics
        Key metrics the notebook reported; None or ``{}`` when it reported none. Use None
        for an undefined metric (NaN is refused: PostgreSQL JSON cannot hold it).
    output_notebook, output_html
        Executed notebook and HTML report, relative to the reports folder.
    code_version
        Git commit or package version of the code that ran.
    run_id
        Chosen id; a UUID4 hex string by default.

    Returns
    -------
    NightlyRun
        The record as stored: timestamps converted to UTC, paths as text.

    Raises
    ------
    ValidationError
        Naming the field, when a name is empty or too long, a timestamp is naive,
        ``finished_at`` is before ``started_at``, ``status`` is unknown, ``attempts`` < 0 (< 1 if succeeded),
        parameters or metrics are not JSON-serialisable (NaN, inf, arbitrary objects), an
        output path is absolute, or ``run_id`` is taken.
    """
    started = _aware_utc("started_at", started_at)
    finished = _aware_utc("finished_at", finished_at)
    run = NightlyRun(
        run_id=bounded_name(
            "run_id", uuid.uuid4().hex if run_id is None else run_id, RUN_ID_LENGTH, "volatility-20240310"
        ),
        job=bounded_name("job", job, NAME_LENGTH, "volatility"),
        notebook=_path_text("notebook", notebook, "volatility.ipynb"),
        parameters=json_ready("parameters", parameters),
        scheduled_for=_aware_utc("scheduled_for", scheduled_for),
        started_at=started,
        finished_at=finished,
        duration_seconds=finite_float("duration_seconds", (finished - started).total_seconds()),
        status=_status(status),
        attempts=_attempts(attempts),
        code_version=bounded_name("code_version", code_version, SYMBOL_LENGTH, "0.1.0+g1234abc"),
        reason=_reason(reason),
        data_hash=_optional_name("data_hash", data_hash, NAME_LENGTH, "sha256:0f3c"),
        metrics=json_ready("metrics", {} if metrics is None else metrics),
        output_notebook=_report_path("output_notebook", output_notebook, "volatility/2024-03-10/volatility.ipynb"),
        output_html=_report_path("output_html", output_html, "volatility/2024-03-10/volatility.html"),
    )
    if session.get(NightlyRunRow, run.run_id) is not None:
        raise ValidationError("run_id", run.run_id, "choose a new run_id, or pass run_id=None for a fresh UUID")
    session.add(
        NightlyRunRow(
            id=run.run_id,
            job=run.job,
            notebook=run.notebook,
            parameters=run.parameters,
            scheduled_for=run.scheduled_for,
            started_at=run.started_at,
            finished_at=run.finished_at,
            duration_seconds=run.duration_seconds,
            status=run.status,
            attempts=run.attempts,
            reason=run.reason,
            data_hash=run.data_hash,
            metrics=run.metrics,
            output_notebook=run.output_notebook,
            output_html=run.output_html,
            code_version=run.code_version,
        )
    )
    session.flush()
    logger.debug("recorded nightly run %s of job %s: %s", run.run_id, run.job, run.status.value)
    return run


def load_nightly_runs(
    session: Session, *, job: str | None = None, since: datetime | None = None, limit: int | None = None
) -> list[NightlyRun]:
    """Return recorded nightly runs, newest first.

    Runs are ordered by ``scheduled_for``, then ``started_at`` (so the latest re-run of a
    slot comes first), newest first.

    Parameters
    ----------
    job
        Only this job's runs.
    since
        Only runs scheduled for this time or later (timezone-aware).
    limit
        At most this many runs (the newest), >= 1.

    Raises
    ------
    ValidationError
        When ``since`` is naive or ``limit`` is not a positive int.
    """
    query = select(NightlyRunRow).order_by(
        NightlyRunRow.scheduled_for.desc(), NightlyRunRow.started_at.desc(), NightlyRunRow.id.desc()
    )
    if job is not None:
        query = query.where(NightlyRunRow.job == job)
    if since is not None:
        query = query.where(NightlyRunRow.scheduled_for >= _aware_utc("since", since))
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1:
            raise ValidationError("limit", limit, "give a positive int, or None for every run")
        query = query.limit(int(limit))
    return [_nightly_run_from_row(row) for row in session.scalars(query)]


def nightly_runs_frame(runs: Sequence[NightlyRun]) -> pd.DataFrame:
    """Return nightly runs as a frame, one row each, columns the :class:`NightlyRun` fields.

    ``status`` holds the string values; the columns are there also when ``runs`` is empty.
    """
    return records_frame(runs, NightlyRun)
