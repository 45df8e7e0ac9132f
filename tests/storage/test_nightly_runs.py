"""Nightly notebook job runs in the store: round trip, queries, guards, schema and migration."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from quantlib_local.exceptions import ValidationError
from quantlib_local.storage import (
    JobStatus,
    NightlyRun,
    NightlyRunRow,
    create_engine_for,
    current_revision,
    downgrade_database,
    load_nightly_runs,
    load_orders,
    nightly_runs_frame,
    open_database,
    record_nightly_run,
    record_order_intent,
    session_scope,
    upgrade_database,
)

from .factories import T0, make_order

INDIA = timezone(timedelta(hours=5, minutes=30))
NIGHT = datetime(2024, 3, 10, 2, 0, tzinfo=timezone.utc)


def _fields(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "job": "volatility",
        "notebook": "volatility.ipynb",
        "parameters": {"dataset": "sp500"},
        "scheduled_for": NIGHT,
        "started_at": NIGHT + timedelta(seconds=3),
        "finished_at": NIGHT + timedelta(seconds=45),
        "status": "succeeded",
        "attempts": 1,
        "code_version": "0.1.0+g1234abc",
    }
    fields.update(changes)
    return fields


def _record(engine: Engine, **changes: object) -> NightlyRun:
    with session_scope(engine) as session:
        return record_nightly_run(session, **_fields(**changes))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- round trip


def test_every_field_round_trips(engine: Engine) -> None:
    reason = "Traceback (most recent call last):\n" + "  File 'cell', line 1\n" * 2_000 + "KeyError: 'close'"
    recorded = _record(
        engine,
        job="risk-report",
        notebook=Path("notebooks") / "risk report.ipynb",
        parameters={"dataset": "sp500", "window": 252, "symbols": ["SPY", "QQQ"], "opts": {"alpha": 0.05}},
        scheduled_for=NIGHT.astimezone(INDIA),  # any zone in, UTC out
        started_at=T0,
        finished_at=T0 + timedelta(minutes=2, seconds=5, microseconds=250_000),
        status=JobStatus.FAILED,
        attempts=np.int64(2),
        reason=reason,
        data_hash="sha256:0f3c",
        metrics={"sharpe": np.float64(1.25), "trades": np.int64(12), "sortino": None, "by_year": [0.1, -0.05]},
        output_notebook=Path("risk-report") / "2024-03-10" / "risk-report.ipynb",
        output_html="risk-report/2024-03-10/risk-report.html",
        code_version="0.2.0+gdeadbee",
        run_id="run-0001",
    )
    expected = NightlyRun(
        run_id="run-0001",
        job="risk-report",
        notebook="notebooks/risk report.ipynb",
        parameters={"dataset": "sp500", "window": 252, "symbols": ["SPY", "QQQ"], "opts": {"alpha": 0.05}},
        scheduled_for=NIGHT,
        started_at=T0,
        finished_at=T0 + timedelta(minutes=2, seconds=5, microseconds=250_000),
        duration_seconds=125.25,
        status=JobStatus.FAILED,
        attempts=2,
        code_version="0.2.0+gdeadbee",
        reason=reason,
        data_hash="sha256:0f3c",
        metrics={"sharpe": 1.25, "trades": 12, "sortino": None, "by_year": [0.1, -0.05]},
        output_notebook="risk-report/2024-03-10/risk-report.ipynb",
        output_html="risk-report/2024-03-10/risk-report.html",
    )
    assert recorded == expected
    with session_scope(engine) as session:
        (loaded,) = load_nightly_runs(session)
    assert loaded == expected
    for name in ("scheduled_for", "started_at", "finished_at"):
        assert getattr(loaded, name).tzinfo is timezone.utc
    assert loaded.status is JobStatus.FAILED
    assert type(loaded.attempts) is int and type(loaded.duration_seconds) is float
    assert len(loaded.reason or "") > 40_000  # Text, not a short VARCHAR


def test_optional_fields_default_to_none_and_empty_metrics(engine: Engine) -> None:
    recorded = _record(engine, status="timed_out", reason="timed out after 30 s", parameters={})
    assert len(recorded.run_id) == 32  # uuid4 hex
    with session_scope(engine) as session:
        (loaded,) = load_nightly_runs(session)
    assert loaded == recorded
    assert loaded.status is JobStatus.TIMED_OUT
    assert (loaded.data_hash, loaded.output_notebook, loaded.output_html) == (None, None, None)
    assert loaded.metrics == {} and loaded.parameters == {}
    assert loaded.reason == "timed out after 30 s"
    assert loaded.duration_seconds == 42.0


def test_empty_reason_is_stored_as_none(engine: Engine) -> None:
    assert _record(engine, reason="  ").reason is None


def test_failure_before_the_notebook_ran_has_zero_attempts(engine: Engine) -> None:
    """The runner records a job whose parameter check failed without executing it."""
    start = NIGHT + timedelta(seconds=1)
    recorded = _record(
        engine, status="failed", attempts=0, reason="parameter 'dataset' is not in the notebook", started_at=start,
        finished_at=start,
    )
    with session_scope(engine) as session:
        (loaded,) = load_nightly_runs(session)
    assert loaded == recorded
    assert (loaded.attempts, loaded.duration_seconds) == (0, 0.0)


# --------------------------------------------------------------------------- queries


def _night(day: int) -> datetime:
    return NIGHT + timedelta(days=day)


def _seed(engine: Engine) -> None:
    """volatility on nights 0..3, risk on nights 1 and 3, plus a later re-run of volatility's night 2."""
    for day in (2, 0, 3, 1):  # not in time order
        _record(engine, run_id=f"vol-{day}", scheduled_for=_night(day), started_at=_night(day),
                finished_at=_night(day) + timedelta(minutes=1))
    for day in (1, 3):
        _record(engine, run_id=f"risk-{day}", job="risk", scheduled_for=_night(day), started_at=_night(day),
                finished_at=_night(day) + timedelta(minutes=1), status="failed", reason="ValueError: boom")
    rerun_start = _night(3) + timedelta(hours=8)  # re-run of night 2, started after night 3's run
    _record(engine, run_id="vol-2-rerun", scheduled_for=_night(2), started_at=rerun_start,
            finished_at=rerun_start + timedelta(minutes=1), attempts=3)


def _ids(runs: list[NightlyRun]) -> list[str]:
    return [run.run_id for run in runs]


def test_runs_are_loaded_newest_first_and_filtered(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        # newest slot first; in a slot the latest start first; equal starts by id, descending
        assert _ids(load_nightly_runs(session)) == [
            "vol-3", "risk-3", "vol-2-rerun", "vol-2", "vol-1", "risk-1", "vol-0"
        ]
        assert _ids(load_nightly_runs(session, job="volatility")) == ["vol-3", "vol-2-rerun", "vol-2", "vol-1", "vol-0"]
        assert _ids(load_nightly_runs(session, job="risk")) == ["risk-3", "risk-1"]
        assert load_nightly_runs(session, job="never-ran") == []
        assert _ids(load_nightly_runs(session, job="volatility", since=_night(2))) == ["vol-3", "vol-2-rerun", "vol-2"]
        # since compares instants: 07:30 in India is 02:00 UTC, night 2 is included
        assert _ids(load_nightly_runs(session, job="volatility", since=_night(2).astimezone(INDIA))) == [
            "vol-3", "vol-2-rerun", "vol-2"
        ]
        assert _ids(load_nightly_runs(session, job="volatility", limit=2)) == ["vol-3", "vol-2-rerun"]
        assert _ids(load_nightly_runs(session, job="risk", since=_night(1), limit=1)) == ["risk-3"]
        assert len(load_nightly_runs(session, limit=100)) == 7
        assert load_nightly_runs(session, since=_night(4)) == []


def test_ties_on_scheduled_for_and_started_at_are_ordered_by_id(engine: Engine) -> None:
    _record(engine, run_id="b", job="risk")
    _record(engine, run_id="a")
    with session_scope(engine) as session:
        assert _ids(load_nightly_runs(session)) == ["b", "a"]


def test_frame_has_one_row_per_run_and_every_field(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as session:
        runs = load_nightly_runs(session, job="risk")
    frame = nightly_runs_frame(runs)
    assert list(frame.columns) == [f.name for f in dataclasses.fields(NightlyRun)]
    assert frame["run_id"].tolist() == ["risk-3", "risk-1"]
    assert frame["status"].tolist() == ["failed", "failed"]
    assert frame["duration_seconds"].tolist() == [60.0, 60.0]
    empty = nightly_runs_frame([])
    assert empty.empty and list(empty.columns) == list(frame.columns)


# --------------------------------------------------------------------------- guards


@pytest.mark.parametrize(
    ("field", "changes", "hint"),
    [
        ("scheduled_for", {"scheduled_for": datetime(2024, 3, 10, 2, 0)}, "timezone-aware"),
        ("started_at", {"started_at": datetime(2024, 3, 10, 2, 0)}, "timezone-aware"),
        ("finished_at", {"finished_at": datetime(2024, 3, 10, 2, 1)}, "timezone-aware"),
        ("finished_at", {"finished_at": NIGHT}, "must not be before started_at"),
        ("status", {"status": "done"}, "succeeded, failed, timed_out"),
        ("status", {"status": "running"}, "succeeded, failed, timed_out"),
        ("metrics", {"metrics": {"sharpe": float("nan")}}, "replace NaN"),
        ("metrics", {"metrics": {"sharpe": np.float64("inf")}}, "replace NaN"),
        ("metrics", {"metrics": {"model": object()}}, "use only str, int"),
        ("metrics", {"metrics": [1.0, 2.0]}, "dict"),
        ("parameters", {"parameters": {"start": datetime(2024, 1, 1)}}, "use only str, int"),
        ("attempts", {"attempts": -1}, ">= 0"),
        ("attempts", {"attempts": 0}, "succeeded run made at least one attempt"),
        ("attempts", {"attempts": True}, ">= 0"),
        ("attempts", {"attempts": 1.0}, ">= 0"),
        ("job", {"job": ""}, "non-empty"),
        ("job", {"job": "j" * 129}, "at most 128"),
        ("notebook", {"notebook": " "}, "non-empty"),
        ("code_version", {"code_version": None}, "non-empty"),
        ("data_hash", {"data_hash": ""}, "non-empty"),
        ("reason", {"reason": ValueError("boom")}, "as text"),
        ("output_html", {"output_html": "/srv/reports/volatility.html"}, "relative to the reports folder"),
        ("output_notebook", {"output_notebook": "C:\\reports\\v.ipynb"}, "relative to the reports folder"),
        ("run_id", {"run_id": "r" * 37}, "at most 36"),
    ],
)
def test_bad_input_is_refused_naming_the_field(engine: Engine, field: str, changes: dict[str, object], hint: str) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match=f"^{field}=") as caught:
            record_nightly_run(session, **_fields(**changes))  # type: ignore[arg-type]
        assert caught.value.field == field
        assert hint in str(caught.value)
        assert load_nightly_runs(session) == []


def test_taken_run_id_is_refused(engine: Engine) -> None:
    _record(engine, run_id="taken")
    with pytest.raises(ValidationError, match="^run_id='taken'.*run_id=None"):
        _record(engine, run_id="taken", job="other")
    with session_scope(engine) as session:
        assert [run.job for run in load_nightly_runs(session)] == ["volatility"]


@pytest.mark.parametrize(
    ("field", "query"),
    [("since", {"since": datetime(2024, 1, 1)}), ("limit", {"limit": 0}), ("limit", {"limit": "5"})],
)
def test_bad_query_is_refused_naming_the_field(engine: Engine, field: str, query: dict[str, object]) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match=f"^{field}="):
            load_nightly_runs(session, **query)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- schema


def _row(run_id: str, **changes: object) -> NightlyRunRow:
    fields: dict[str, object] = {
        "id": run_id,
        "job": "volatility",
        "notebook": "volatility.ipynb",
        "parameters": {},
        "scheduled_for": NIGHT,
        "started_at": NIGHT,
        "finished_at": NIGHT + timedelta(seconds=1),
        "duration_seconds": 1.0,
        "status": JobStatus.SUCCEEDED,
        "attempts": 1,
        "metrics": {},
        "code_version": "0.1.0",
    }
    fields.update(changes)
    return NightlyRunRow(**fields)


def test_schema_accepts_every_job_status(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add_all([_row(f"r-{i}", status=status) for i, status in enumerate(JobStatus)])
    with engine.connect() as connection:
        stored = set(connection.execute(text("SELECT status FROM nightly_runs")).scalars())
    assert stored == {"succeeded", "failed", "timed_out"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE nightly_runs SET status = 'bogus'",
        "UPDATE nightly_runs SET attempts = -1",
        "UPDATE nightly_runs SET started_at = finished_at, finished_at = started_at",
    ],
    ids=["status", "attempts", "finished-before-started"],
)
def test_schema_enforces_its_checks(engine: Engine, statement: str) -> None:
    with session_scope(engine) as session:
        session.add(_row("r-1"))
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(text(statement))


# --------------------------------------------------------------------------- migration


def _inspect(url: str) -> tuple[set[str], set[str], set[str]]:
    """Return the tables, and the index and check-constraint names of ``nightly_runs``."""
    engine = create_engine_for(url)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        if "nightly_runs" not in tables:
            return tables, set(), set()
        indexes = {index["name"] for index in inspector.get_indexes("nightly_runs")}
        checks = {check["name"] for check in inspector.get_check_constraints("nightly_runs")}
        return tables, indexes, checks  # type: ignore[return-value]
    finally:
        engine.dispose()


def _scalar(url: str, statement: str) -> object:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement)).scalar_one()
    finally:
        engine.dispose()


def test_migration_0002_adds_and_drops_nightly_runs(database_url: str, backend: str) -> None:
    upgrade_database(database_url, "0001")
    tables, _, _ = _inspect(database_url)
    assert "nightly_runs" not in tables and "orders" in tables

    upgrade_database(database_url, "0002")
    assert current_revision(database_url) == "0002"
    tables, indexes, checks = _inspect(database_url)
    assert "nightly_runs" in tables
    assert {"ix_nightly_runs_job", "ix_nightly_runs_scheduled_for"} <= indexes
    assert checks == {
        "ck_nightly_runs_job_status",
        "ck_nightly_runs_attempts_not_negative",
        "ck_nightly_runs_finished_after_started",
    }
    engine = create_engine_for(database_url)  # the store is at 0002 on purpose: no head check
    try:
        with session_scope(engine) as session:
            record_order_intent(session, make_order("kept"))
            record_nightly_run(session, **_fields())  # type: ignore[arg-type]
    finally:
        engine.dispose()

    downgrade_database(database_url, "0001")
    assert current_revision(database_url) == "0001"
    tables, _, _ = _inspect(database_url)
    assert "nightly_runs" not in tables
    assert _scalar(database_url, "SELECT count(*) FROM orders") == 1  # 0001's data survives
    if backend == "postgresql":  # status is VARCHAR + CHECK: no enum type is created, none is left behind
        assert _scalar(database_url, "SELECT count(*) FROM pg_type WHERE typname = 'job_status'") == 0

    upgrade_database(database_url)
    engine = open_database(database_url)
    try:
        with session_scope(engine) as session:
            assert load_nightly_runs(session) == []
            assert [order.client_order_id for order in load_orders(session)] == ["kept"]
            record_nightly_run(session, **_fields(status="timed_out", reason="timed out after 30 s"))  # type: ignore[arg-type]
        with session_scope(engine) as session:
            assert [run.status for run in load_nightly_runs(session)] == [JobStatus.TIMED_OUT]
    finally:
        engine.dispose()
