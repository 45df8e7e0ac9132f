"""``qlab nightly``: run the due (or all, or named) notebook jobs and publish ``reports/``."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timezone
from pathlib import Path

import click

from papermill_jobs.manifest import DEFAULT_MANIFEST, DEFAULT_NOTEBOOKS, JobSpec, load_manifest
from papermill_jobs.runner import SUCCEEDED, JobOutcome, run_jobs
from quantlib_local.config import Settings
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)
EXIT_JOBS_FAILED = 1


def record_and_index(settings: Settings, outcomes: list[JobOutcome], reports_dir: Path) -> Path:
    """Store the run records, then rewrite ``reports/index.html`` from every run in the store."""
    from papermill_jobs.index import write_index
    from quantlib_local.backtest.provenance import code_version
    from quantlib_local.cli._store import store_engine
    from quantlib_local.storage import load_nightly_runs, record_nightly_run, session_scope

    engine = store_engine(settings)
    version = code_version()
    with session_scope(engine) as session:
        for outcome in outcomes:  # the outcome's fields are the run record's, by name
            record_nightly_run(session, **dataclasses.asdict(outcome), code_version=version)
    with session_scope(engine) as session:
        runs = load_nightly_runs(session)
    return write_index(reports_dir, runs)


def last_runs(settings: Settings) -> dict[str, datetime]:
    """Each job's latest recorded ``scheduled_for``."""
    from quantlib_local.cli._store import store_engine
    from quantlib_local.storage import load_nightly_runs, session_scope

    with session_scope(store_engine(settings)) as session:
        runs = load_nightly_runs(session)
    latest: dict[str, datetime] = {}
    for run in runs:
        if run.job not in latest or run.scheduled_for > latest[run.job]:
            latest[run.job] = run.scheduled_for
    return latest


def select_jobs(jobs: list[JobSpec], names: tuple[str, ...], run_all: bool, settings: Settings,
                now: datetime) -> list[JobSpec]:
    """The jobs to run now: named ones, all of them, or those due."""
    from papermill_jobs.schedule import due_jobs

    if names:
        known = {job.name: job for job in jobs}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValidationError("--job", unknown[0], f"use one of {sorted(known)}")
        return [known[name] for name in names]
    if run_all:
        return list(jobs)
    return due_jobs(jobs, now, last_runs(settings))


@click.command("nightly")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_MANIFEST,
              show_default=True, help="YAML job manifest.")
@click.option("--all", "run_all", is_flag=True, help="Run every job, due or not.")
@click.option("--job", "names", multiple=True, help="Run this job (repeatable).")
@click.option("--schedule", "keep_running", is_flag=True, help="Stay running and fire jobs on their cron schedules.")
@click.option("--workers", default=2, show_default=True, help="Jobs run at once (one process each).")
@click.option("--scheduler", default="threads", show_default=True,
              help="threads (local processes), serial, or a Dask scheduler address such as tcp://host:8786.")
@click.option("--notebooks-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_NOTEBOOKS,
              show_default=True, help="Where relative notebook paths start.")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where reports go (default: settings reports_dir).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.pass_obj
def nightly(settings: Settings, manifest: Path, run_all: bool, names: tuple[str, ...], keep_running: bool,
            workers: int, scheduler: str, notebooks_dir: Path, reports_dir: Path | None, no_progress: bool) -> None:
    """Run the notebook jobs of MANIFEST that are due (or --all, or --job NAME) and publish reports.

    Each job runs in its own process with its timeout and retries; a failing job never
    stops the others. Writes reports/<date>/<job>.ipynb and .html, a run record in the
    store, and refreshes reports/index.html. Exits 1 when any job did not succeed.
    """
    from quantlib_local.cli._store import store_engine  # not at import: quantlib_local.cli loads this plug-in

    jobs = load_manifest(manifest)
    reports = reports_dir or settings.reports_dir
    store_engine(settings)  # a store that cannot take the run records fails now, before any job runs
    if isinstance(workers, bool) or workers < 1:
        raise ValidationError("--workers", workers, "use a whole number >= 1")

    def run_now(selected: list[JobSpec], when: datetime) -> list[JobOutcome]:
        if not selected:
            click.echo("no job is due")
            return []
        outcomes = run_jobs(selected, reports, notebooks_dir, when, workers=workers, scheduler=scheduler,
                            progress=not no_progress)
        index = record_and_index(settings, outcomes, reports)
        for outcome in outcomes:
            line = f"{outcome.status:<10} {outcome.job:<20} {outcome.duration_seconds:7.1f} s"
            click.echo(line + (f"  {outcome.reason}" if outcome.reason else ""))
        click.echo(f"index: {index.resolve()}")
        return outcomes

    if keep_running:
        from papermill_jobs.schedule import run_forever

        click.echo(f"scheduling {len(jobs)} job(s) from {manifest}; Ctrl-C stops")
        run_forever(jobs, lambda due, when: run_now(due, when), lambda: last_runs(settings))
        return
    now = datetime.now(timezone.utc)
    outcomes = run_now(select_jobs(jobs, names, run_all, settings, now), now)
    failed = [outcome for outcome in outcomes if outcome.status != SUCCEEDED]
    if failed:
        click.echo(f"{len(failed)} of {len(outcomes)} job(s) did not succeed", err=True)
        click.get_current_context().exit(EXIT_JOBS_FAILED)
