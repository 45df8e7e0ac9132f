"""Wall time of the full nightly suite with the demo parameters: serial against parallel.

Runs every job of ``papermill_jobs/jobs.yaml`` (the demo parameters on embedded data) with
``run_jobs`` once with one worker and once with two (one process per job, 2 cores here),
into fresh temporary report folders, alternating, and reports the median wall time of each
and the speed-up. Quick mode runs the three shortest jobs.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._timing import markdown_table, ratio

QUICK_JOBS = ("volatility", "heston", "portfolio")


def _wall_seconds(jobs, workers: int) -> tuple[float, int]:
    from papermill_jobs.manifest import DEFAULT_NOTEBOOKS
    from papermill_jobs.runner import SUCCEEDED, run_jobs

    with tempfile.TemporaryDirectory(prefix="qlab-bench-nightly-") as reports:
        start = time.perf_counter()
        outcomes = run_jobs(jobs, Path(reports), DEFAULT_NOTEBOOKS, workers=workers, progress=False)
        elapsed = time.perf_counter() - start
    return elapsed, sum(outcome.status == SUCCEEDED for outcome in outcomes)


def run(quick: bool) -> str:
    from papermill_jobs.manifest import DEFAULT_MANIFEST, load_manifest

    jobs = load_manifest(DEFAULT_MANIFEST)
    if quick:
        jobs = [job for job in jobs if job.name in QUICK_JOBS]
    repeat = 1 if quick else 3
    times: dict[int, list[float]] = {1: [], 2: []}
    succeeded = {}
    for _ in range(repeat):
        for workers in (1, 2):
            seconds, succeeded[workers] = _wall_seconds(jobs, workers)
            times[workers].append(seconds)
    serial, parallel = statistics.median(times[1]), statistics.median(times[2])
    rows = [
        ["serial (1 worker)", f"{serial:.1f}", f"{succeeded[1]}/{len(jobs)}", "1.00x"],
        ["parallel (2 workers)", f"{parallel:.1f}", f"{succeeded[2]}/{len(jobs)}", ratio(serial, parallel)],
    ]
    return (
        "## Nightly suite: serial vs parallel\n\n"
        f"Wall time of `run_jobs` over the {len(jobs)} jobs of `papermill_jobs/jobs.yaml` "
        f"({', '.join(job.name for job in jobs)}) with their demo parameters on embedded data, each job in its own "
        f"process (papermill + kernel), outputs to a fresh temporary folder; median of {repeat} alternating runs "
        "on this 2-core machine. The ratio is the serial time over the parallel time.\n\n"
        + markdown_table(["run", "wall time (s)", "jobs succeeded", "speed-up"], rows)
    )
