"""When jobs are due: cron expressions (UTC) against the runs already recorded.

A job is due at ``now`` when its schedule fired at or before ``now`` (its latest fire time)
and no run of it is recorded for that fire time or later: a ``qlab nightly`` started late,
or after a missed night, runs each job once, not once per missed night.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from croniter import croniter

from papermill_jobs.manifest import JobSpec


def latest_fire(job: JobSpec, now: datetime) -> datetime:
    """The job's most recent scheduled time at or before ``now``."""
    if croniter.match(job.schedule, now):
        return now.replace(second=0, microsecond=0)
    return croniter(job.schedule, now).get_prev(datetime)


def next_fire(jobs: Sequence[JobSpec], now: datetime) -> datetime:
    """The next scheduled time of any job after ``now``."""
    return min(croniter(job.schedule, now).get_next(datetime) for job in jobs)


def due_jobs(jobs: Sequence[JobSpec], now: datetime, last_runs: Mapping[str, datetime]) -> list[JobSpec]:
    """Jobs due at ``now`` given each job's latest recorded ``scheduled_for`` (see the module docstring)."""
    return [job for job in jobs if job.name not in last_runs or last_runs[job.name] < latest_fire(job, now)]


def run_forever(
    jobs: Sequence[JobSpec],
    run_due: Callable[[list[JobSpec], datetime], None],
    last_runs: Callable[[], Mapping[str, datetime]],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    sleep: Callable[[float], None] | None = None,
    iterations: int | None = None,
) -> None:
    """Fire due jobs, sleep until the next scheduled time, repeat (``iterations`` times, or forever)."""
    import time

    sleep = sleep or time.sleep
    done = 0
    while iterations is None or done < iterations:
        now = clock()
        due = due_jobs(jobs, now, last_runs())
        if due:
            run_due(due, now)
        wake = next_fire(jobs, clock())
        sleep(max((wake - clock()).total_seconds(), 0.0) + timedelta(seconds=1).total_seconds())
        done += 1
