"""The reports index: newest first, status colours, reasons and links, escaped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from papermill_jobs.index import render_index, write_index
from papermill_jobs.runner import JobOutcome


def outcome(job: str, status: str, day: int, reason: str | None = None) -> JobOutcome:
    start = datetime(2026, 11, day, 2, 0, tzinfo=timezone.utc)
    return JobOutcome(job=job, notebook=f"{job}.ipynb", parameters={}, scheduled_for=start, started_at=start,
                      finished_at=start + timedelta(seconds=12.5), status=status, attempts=1, reason=reason,
                      output_notebook=f"2026-11-{day:02d}/{job}.ipynb", output_html=f"2026-11-{day:02d}/{job}.html",
                      metrics={"sharpe_ratio": 1.23456, "note": "ok", "missing": None})


def test_index_lists_runs_newest_first_with_reasons_and_links(tmp_path) -> None:
    runs = [outcome("old", "succeeded", 19), outcome("bad", "failed", 20, "ValueError: <boom> & more"),
            outcome("slow", "timed_out", 20, "timed out after 30 s")]
    page = write_index(tmp_path, runs).read_text()
    assert page.index('data-job="slow"') < page.index('data-job="bad"') < page.index('data-job="old"')
    assert "ValueError: &lt;boom&gt; &amp; more" in page and "<boom>" not in page
    assert 'href="2026-11-20/bad.html"' in page and "sharpe_ratio=1.235" in page and "missing=n/a" in page
    assert "1 succeeded, 1 failed, 1 timed out" in page and "12.5 s" in page


def test_empty_index_renders() -> None:
    assert "0 run(s)" in render_index([])
