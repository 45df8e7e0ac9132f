"""Run nightly jobs: each in its own process, with its timeout and retries, isolated from the others.

:func:`run_job` executes one :class:`~papermill_jobs.manifest.JobSpec`:

* before anything runs, the notebook must exist and every parameter must be defined in its
  ``parameters`` cell (a misspelt parameter would otherwise be silently ignored);
* each attempt is a child process (``python -m papermill_jobs.execute``) in a new session;
  past the job's ``timeout`` the whole session (papermill and its kernel) is killed;
* a failure or a timeout is retried ``retries`` times; the outcome records every attempt.

:func:`run_jobs` runs many jobs at once (threads that each wait on a child process, or a
Dask cluster whose workers see the same files) and never lets one job's failure stop
another. Outputs go to ``<reports>/<YYYY-MM-DD>/<job>.ipynb`` and ``.html``, with a
``<job>.json`` run record beside them; the notebook runs with ``QLAB_REPORTS_DIR`` set to
``<reports>/<YYYY-MM-DD>/<job>_files``, so whatever it publishes stays with its report.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from papermill_jobs.manifest import JobSpec
from quantlib_local._atomic import atomic_write_text
from quantlib_local._parallel import check_scheduler, run_tasks
from quantlib_local.reporting.job_metrics import JOB_METRICS_ENV

logger = logging.getLogger(__name__)
SUCCEEDED, FAILED, TIMED_OUT = "succeeded", "failed", "timed_out"


@dataclass(frozen=True)
class JobOutcome:
    """What one job's run came to.

    Attributes
    ----------
    job, notebook, parameters
        The job as run.
    scheduled_for
        The date/time the run is for (its report folder is that date).
    started_at, finished_at
        Wall-clock span of all attempts (UTC).
    status
        ``"succeeded"``, ``"failed"`` or ``"timed_out"`` (of the last attempt).
    attempts
        Attempts made (1 + retries used).
    reason
        Why the last attempt failed (None on success).
    output_notebook, output_html
        Paths relative to the reports folder (None when nothing was written).
    metrics, data_hash
        What the notebook published with :func:`quantlib_local.reporting.publish_job_metrics`.
    """

    job: str
    notebook: str
    parameters: dict[str, Any]
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime
    status: str
    attempts: int
    reason: str | None
    output_notebook: str | None
    output_html: str | None
    metrics: dict[str, Any] = field(default_factory=dict)
    data_hash: str | None = None

    @property
    def duration_seconds(self) -> float:
        """Seconds from the first attempt's start to the last one's end."""
        return (self.finished_at - self.started_at).total_seconds()

    def to_json(self) -> str:
        """The run record as JSON (timestamps in ISO 8601)."""
        data = asdict(self)
        for key in ("scheduled_for", "started_at", "finished_at"):
            data[key] = data[key].isoformat()
        data["duration_seconds"] = self.duration_seconds
        return json.dumps(data, indent=1, default=str)


def check_parameters(job: JobSpec, notebook: Path) -> str | None:
    """Why the job cannot start (missing notebook, unknown parameter), or None."""
    if not notebook.is_file():
        return f"notebook not found: {notebook}"
    import papermill

    try:
        declared = papermill.inspect_notebook(str(notebook))
    except Exception as error:  # an unreadable notebook
        return f"cannot read the notebook: {type(error).__name__}: {error}"
    if not declared and job.parameters:
        return "the notebook has no cell tagged 'parameters'"
    unknown = sorted(set(job.parameters) - set(declared))
    if unknown:
        return (f"missing parameter: {unknown[0]!r} is not defined in the notebook's parameters cell "
                f"(it defines {', '.join(sorted(declared))})")
    return None


def run_job(job: JobSpec, reports_dir: Path, notebooks_dir: Path, scheduled_for: datetime) -> JobOutcome:
    """Run one job (see the module docstring); never raises for the notebook's own failures."""
    folder = Path(reports_dir) / f"{scheduled_for:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    output_notebook, output_html = folder / f"{job.name}.ipynb", folder / f"{job.name}.html"
    notebook = job.notebook_path(Path(notebooks_dir))
    started = datetime.now(timezone.utc)
    status, reason, attempts, published = FAILED, check_parameters(job, notebook), 0, {}
    if reason is None:
        for attempts in range(1, job.retries + 2):
            status, reason, published = _attempt(job, notebook, output_notebook, output_html)
            if status == SUCCEEDED:
                break
            logger.warning("job %s attempt %d/%d %s: %s", job.name, attempts, job.retries + 1, status, reason)
    outcome = JobOutcome(
        job=job.name, notebook=job.notebook, parameters=dict(job.parameters), scheduled_for=scheduled_for,
        started_at=started, finished_at=datetime.now(timezone.utc), status=status, attempts=attempts, reason=reason,
        output_notebook=_relative(output_notebook, reports_dir), output_html=_relative(output_html, reports_dir),
        metrics=published.get("metrics") or {}, data_hash=published.get("data_hash"),
    )
    atomic_write_text(folder / f"{job.name}.json", outcome.to_json())
    logger.info("job %s %s in %.1f s (%d attempt(s))", job.name, status, outcome.duration_seconds, attempts)
    return outcome


def _attempt(job: JobSpec, notebook: Path, output_notebook: Path, output_html: Path) -> tuple[str, str | None, dict]:
    with tempfile.TemporaryDirectory(prefix=f"qlab-{job.name}-") as scratch:
        task, result, metrics = Path(scratch) / "task.json", Path(scratch) / "result.json", Path(scratch) / "metrics.json"
        task.write_text(json.dumps({
            "notebook": str(notebook), "output_notebook": str(output_notebook), "output_html": str(output_html),
            "parameters": job.parameters, "kernel": job.kernel, "cwd": str(notebook.parent), "result": str(result),
        }))
        # files a notebook publishes under its reports folder land beside the job's report
        environment = {**os.environ, JOB_METRICS_ENV: str(metrics),
                       "QLAB_REPORTS_DIR": str((output_notebook.parent / f"{job.name}_files").resolve())}
        child = subprocess.Popen([sys.executable, "-m", "papermill_jobs.execute", str(task)], env=environment,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, text=True)
        try:
            _, stderr = child.communicate(timeout=job.timeout)
        except subprocess.TimeoutExpired:
            _kill_session(child)
            return TIMED_OUT, f"timed out after {job.timeout:g} s (killed with its kernel)", {}
        published = json.loads(metrics.read_text()) if metrics.is_file() else {}
        if result.is_file():
            outcome = json.loads(result.read_text())
            return outcome["status"], outcome["reason"], published
        tail = (stderr or "").strip().splitlines()[-1:] or [f"exit status {child.returncode}"]
        return FAILED, f"the job process died: {tail[0]}", published


def _kill_session(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)  # papermill and the kernel it started share the session
    except ProcessLookupError:
        pass
    child.communicate()


def _relative(path: Path, root: Path) -> str | None:
    return str(path.relative_to(root)) if path.is_file() else None


def run_jobs(
    jobs: Sequence[JobSpec],
    reports_dir: Path,
    notebooks_dir: Path,
    scheduled_for: datetime | None = None,
    *,
    workers: int = 2,
    scheduler: Any = "threads",
    progress: bool = True,
) -> list[JobOutcome]:
    """Run ``jobs`` side by side; outcomes in job order (see the module docstring).

    Parameters
    ----------
    jobs
        The jobs to run.
    reports_dir, notebooks_dir
        Where outputs go, and where relative notebook paths start.
    scheduled_for
        The run's date/time (default now, UTC).
    workers
        Jobs running at once with ``scheduler="threads"``.
    scheduler
        ``"threads"`` (each thread drives one child process; the default), ``"serial"``, or a
        Dask scheduler address / client (workers must see the same files).
    progress
        Show a progress bar.
    """
    check_scheduler(scheduler)
    when = scheduled_for or datetime.now(timezone.utc)
    tasks = [(job, Path(reports_dir), Path(notebooks_dir), when) for job in jobs]
    started = time.perf_counter()
    with tqdm(total=len(tasks), desc="nightly jobs", unit="job", disable=not progress) as bar:
        if scheduler == "threads":
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                futures = [pool.submit(run_job, *task) for task in tasks]
                outcomes = []
                for future in futures:
                    outcomes.append(future.result())
                    bar.update(1)
        else:
            outcomes = run_tasks(run_job, tasks, scheduler, bar=bar, label="nightly jobs")
    logger.info("%d job(s) in %.1f s", len(outcomes), time.perf_counter() - started)
    return outcomes
