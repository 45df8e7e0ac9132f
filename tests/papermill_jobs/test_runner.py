"""Failure isolation, timeouts, retries, missing parameters and outputs of the nightly runner."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from papermill_jobs.manifest import JobSpec
from papermill_jobs.runner import FAILED, SUCCEEDED, TIMED_OUT, run_job, run_jobs

WHEN = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def test_one_failure_or_hang_does_not_stop_the_others(notebooks, tmp_path) -> None:
    jobs = [
        JobSpec("ok", "ok.ipynb", parameters={"value": 21}),
        JobSpec("broken", "broken.ipynb", retries=0),
        JobSpec("hangs", "hangs.ipynb", timeout=8, retries=0),
        JobSpec("typo", "ok.ipynb", parameters={"valeu": 3}),
        JobSpec("absent", "absent.ipynb"),
    ]
    outcomes = {o.job: o for o in run_jobs(jobs, tmp_path / "reports", notebooks, WHEN, workers=3, progress=False)}
    ok = outcomes["ok"]
    assert ok.status == SUCCEEDED and ok.attempts == 1 and ok.reason is None
    assert ok.metrics == {"value": 42, "label": "fine"} and ok.data_hash == "abc123"
    assert ok.output_notebook == "2026-11-20/ok.ipynb" and ok.output_html == "2026-11-20/ok.html"
    assert "value is 21" in (tmp_path / "reports" / "2026-11-20" / "ok.html").read_text()

    broken = outcomes["broken"]
    assert broken.status == FAILED and "ValueError: deliberately broken: 1" in broken.reason
    assert broken.output_html is not None  # the partial notebook is published with its traceback
    assert outcomes["hangs"].status == TIMED_OUT and "timed out after 8 s" in outcomes["hangs"].reason
    assert outcomes["hangs"].duration_seconds < 30
    assert outcomes["typo"].status == FAILED and "missing parameter: 'valeu'" in outcomes["typo"].reason
    assert outcomes["typo"].attempts == 0  # refused before starting
    assert outcomes["absent"].status == FAILED and "notebook not found" in outcomes["absent"].reason

    record = json.loads((tmp_path / "reports" / "2026-11-20" / "broken.json").read_text())
    assert record["status"] == "failed" and record["job"] == "broken" and record["duration_seconds"] > 0


def test_a_failure_is_retried_and_can_recover(notebooks, tmp_path) -> None:
    marker = tmp_path / "attempted"
    outcome = run_job(JobSpec("flaky", "flaky.ipynb", retries=1, parameters={"marker": str(marker)}),
                      tmp_path / "reports", notebooks, WHEN)
    assert outcome.status == SUCCEEDED and outcome.attempts == 2


def test_retries_run_out(notebooks, tmp_path) -> None:
    outcome = run_job(JobSpec("broken", "broken.ipynb", retries=1), tmp_path / "reports", notebooks, WHEN)
    assert outcome.status == FAILED and outcome.attempts == 2


def test_serial_scheduler_and_bad_scheduler(notebooks, tmp_path) -> None:
    from quantlib_local.exceptions import ValidationError

    outcomes = run_jobs([JobSpec("ok", "ok.ipynb")], tmp_path / "r", notebooks, WHEN, scheduler="serial",
                        progress=False)
    assert outcomes[0].status == SUCCEEDED
    with pytest.raises(ValidationError, match="scheduler"):
        run_jobs([JobSpec("ok", "ok.ipynb")], tmp_path / "r", notebooks, WHEN, scheduler="fast", progress=False)
