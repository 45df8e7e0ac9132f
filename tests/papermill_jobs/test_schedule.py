"""Cron schedules against recorded runs: what is due, once per missed night, and the loop."""

from __future__ import annotations

from datetime import datetime, timezone

from papermill_jobs.manifest import JobSpec
from papermill_jobs.schedule import due_jobs, latest_fire, next_fire, run_forever

NIGHTLY = JobSpec("nightly", "a.ipynb", schedule="0 2 * * *")
WEEKLY = JobSpec("weekly", "b.ipynb", schedule="0 3 * * 6")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_latest_fire_and_next_fire() -> None:
    assert latest_fire(NIGHTLY, utc(2026, 11, 20, 1, 0)) == utc(2026, 11, 19, 2, 0)
    assert latest_fire(NIGHTLY, utc(2026, 11, 20, 2, 0, 30)) == utc(2026, 11, 20, 2, 0)
    assert next_fire([NIGHTLY, WEEKLY], utc(2026, 11, 20, 2, 5)) == utc(2026, 11, 21, 2, 0)  # 20 Nov 2026 is a Friday


def test_due_once_per_fire_time_even_after_missed_nights() -> None:
    now = utc(2026, 11, 20, 9, 0)
    assert due_jobs([NIGHTLY, WEEKLY], now, {}) == [NIGHTLY, WEEKLY]  # never ran
    recorded = {"nightly": utc(2026, 11, 17, 2, 1), "weekly": utc(2026, 11, 14, 3, 0)}
    assert due_jobs([NIGHTLY, WEEKLY], now, recorded) == [NIGHTLY]  # three missed nights: one run
    assert due_jobs([NIGHTLY], now, {"nightly": utc(2026, 11, 20, 2, 0)}) == []


def test_run_forever_fires_due_jobs_and_sleeps_until_the_next_fire() -> None:
    clock = [utc(2026, 11, 20, 1, 59)]
    fired, slept, recorded = [], [], {"nightly": utc(2026, 11, 19, 2, 0), "weekly": utc(2026, 11, 14, 3, 0)}

    def run_due(jobs, when):
        fired.append(([job.name for job in jobs], when))
        for job in jobs:
            recorded[job.name] = when

    def sleep(seconds):
        slept.append(seconds)
        clock[0] = clock[0].fromtimestamp(clock[0].timestamp() + seconds, timezone.utc)

    run_forever([NIGHTLY, WEEKLY], run_due, lambda: recorded, clock=lambda: clock[0], sleep=sleep, iterations=3)
    assert fired[0][0] == ["nightly"] and fired[0][1] >= utc(2026, 11, 20, 2, 0)
    assert slept[0] == 61.0  # 01:59 -> 02:00, plus one second
    assert len(fired) == 2 and fired[1][0] == ["nightly"] and fired[1][1] >= utc(2026, 11, 21, 2, 0)
