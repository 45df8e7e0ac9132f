"""Run independent tasks serially, on Dask's local schedulers or on a Dask cluster.

Shared by every "many independent jobs" entry point (GARCH fits of many assets,
parameter sweeps). Where the work runs (``scheduler``):

* None (default): a ``distributed.LocalCluster`` sized to the machine (one worker process
  per available core, one thread each), closed when the tasks are done;
* ``"serial"``: a plain loop in this process (no Dask; the reference);
* ``"threads"`` or ``"processes"``: Dask's local schedulers (no cluster);
* ``"tcp://host:8786"`` (any scheduler address): connect to a running cluster (the client is
  closed afterwards, the cluster is left running);
* a ``distributed.Client``: use it as is (left open).

Results come back in task order whatever order they finish in.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from tqdm.auto import tqdm

from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

LOCAL_SCHEDULERS: tuple[str, ...] = ("serial", "threads", "processes")
SCHEDULER_FIX = (
    f"pass None (a LocalCluster sized to this machine), one of {list(LOCAL_SCHEDULERS)}, "
    "a scheduler address such as 'tcp://10.0.0.5:8786', or a dask.distributed.Client"
)
TaskFailure = Callable[[tuple[Any, ...], BaseException], Any]


def check_scheduler(scheduler: Any) -> None:
    """Refuse anything :func:`run_tasks` cannot run on, naming the fix."""
    if scheduler is None or (isinstance(scheduler, str) and (scheduler in LOCAL_SCHEDULERS or ":" in scheduler)):
        return
    if not isinstance(scheduler, str):
        from dask.distributed import Client

        if isinstance(scheduler, Client):
            return
    raise ValidationError("scheduler", scheduler, SCHEDULER_FIX)


def run_tasks(
    function: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    scheduler: Any,
    *,
    bar: tqdm,
    n_workers: int | None = None,
    on_failure: TaskFailure | None = None,
    label: str = "tasks",
) -> list[Any]:
    """``[function(*task) for task in tasks]`` on ``scheduler``, advancing ``bar`` per task.

    ``on_failure(task, error)`` turns a task lost on a cluster (a dead worker) into a
    result; without it the error is raised.
    """
    if scheduler == "serial":
        outcomes = []
        for task in tasks:
            outcomes.append(function(*task))
            bar.update(1)
        return outcomes
    if isinstance(scheduler, str) and scheduler in LOCAL_SCHEDULERS:
        return _run_local_scheduler(function, tasks, scheduler, bar, label)
    from dask.distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        return _run_on_client(scheduler, function, tasks, bar, on_failure)
    if isinstance(scheduler, str):
        with Client(scheduler) as client:
            logger.info("running %d %s on the cluster at %s", len(tasks), label, scheduler)
            return _run_on_client(client, function, tasks, bar, on_failure)
    workers = n_workers or available_cores()
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    ) as cluster, Client(cluster) as client:
        logger.info("running %d %s on a LocalCluster of %d worker processes", len(tasks), label, workers)
        return _run_on_client(client, function, tasks, bar, on_failure)


def _run_local_scheduler(
    function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], scheduler: str, bar: tqdm, label: str
) -> list[Any]:
    import dask
    from dask.callbacks import Callback

    delayed = [dask.delayed(function)(*task, dask_key_name=f"{label}-{i}") for i, task in enumerate(tasks)]
    keys = {item.key for item in delayed}

    def count(key: Any, *_: Any) -> None:
        if key in keys:
            bar.update(1)

    with Callback(posttask=count):
        return list(dask.compute(*delayed, scheduler=scheduler))


def _run_on_client(
    client: Any,
    function: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    bar: tqdm,
    on_failure: TaskFailure | None,
) -> list[Any]:
    from dask.distributed import as_completed

    futures = [client.submit(function, *task, pure=False) for task in tasks]
    task_of = {future.key: task for future, task in zip(futures, tasks)}
    outcome_of: dict[Any, Any] = {}
    for future in as_completed(futures):
        try:
            outcome_of[future.key] = future.result()
        except Exception as exc:  # a lost worker or a task that could not run
            if on_failure is None:
                raise
            outcome_of[future.key] = on_failure(task_of[future.key], exc)
        bar.update(1)
    return [outcome_of[future.key] for future in futures]


def available_cores() -> int:
    """CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
