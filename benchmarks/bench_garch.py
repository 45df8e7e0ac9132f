"""GARCH(1,1) fits of many series: a serial loop against a Dask LocalCluster of two worker processes.

Both sides call ``fit_garch_many`` (same code per asset, so the results are identical and
the benchmark checks that they are): ``scheduler="serial"`` against a ``distributed.Client``
on a two-process LocalCluster (one thread per worker). The cluster is started, and each worker
imports the package, before the timed run; that start-up is timed and reported separately.
Data: SYNTHETIC GARCH(1,1) daily returns, seeded, with parameters drawn per series.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from benchmarks._timing import markdown_table, median_seconds, ratio


def _returns(n_series: int, n_bars: int, seed: int = 2024) -> pd.DataFrame:
    """SYNTHETIC: ``n_series`` GARCH(1,1) return paths (per-bar decimal units), one per column."""
    rng = np.random.default_rng(seed)
    alpha = rng.uniform(0.03, 0.12, n_series)
    beta = rng.uniform(0.80, 0.95 - alpha)
    omega = (0.01**2) * (1.0 - alpha - beta)  # long-run volatility 1 % a bar
    shocks = rng.standard_normal((n_bars, n_series))
    out = np.empty((n_bars, n_series))
    variance = omega / (1.0 - alpha - beta)
    for t in range(n_bars):
        out[t] = np.sqrt(variance) * shocks[t]
        variance = omega + alpha * out[t] ** 2 + beta * variance
    index = pd.bdate_range("2010-01-01", periods=n_bars, tz="UTC")
    return pd.DataFrame(out, index=index, columns=[f"series_{i:03d}" for i in range(n_series)])


def run(quick: bool = False) -> str:
    from dask.distributed import Client, LocalCluster

    from quantlib_local.volatility.garch_many import fit_garch_many

    n_series, n_bars = (20, 2_500) if quick else (300, 2_500)
    repeat = 3 if quick else 1
    frame = _returns(n_series, n_bars)

    serial_result = fit_garch_many(frame, scheduler="serial", progress=False)
    serial_s = median_seconds(lambda: fit_garch_many(frame, scheduler="serial", progress=False), repeat=repeat, warmup=0)

    start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    ) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("quantlib_local.volatility.garch_many"))
        startup_s = time.perf_counter() - start
        dask_result = fit_garch_many(frame, scheduler=client, progress=False)
        dask_s = median_seconds(lambda: fit_garch_many(frame, scheduler=client, progress=False), repeat=repeat, warmup=0)

    identical = serial_result.params_table().equals(dask_result.params_table())
    rows = [[
        f"{n_series} x {n_bars:,}",
        f"{serial_s:.2f}",
        f"{dask_s:.2f}",
        f"{startup_s:.2f}",
        ratio(serial_s, dask_s),
        ratio(serial_s, dask_s + startup_s),
        "yes" if identical else "NO",
    ]]
    repeats = "median of 3 runs" if repeat > 1 else "one timed run each (after one untimed run)"
    return (
        "## GARCH fitting\n\n"
        f"GARCH(1,1), normal errors, constant mean, fitted with `fit_garch_many` to {n_series} SYNTHETIC "
        f"series of {n_bars:,} daily bars: a serial loop against a Dask LocalCluster of 2 worker processes "
        f"(1 thread each), {repeats}. Cluster start-up (including the workers' imports) is timed separately.\n\n"
        + markdown_table(
            ["series x bars", "serial (s)", "Dask, 2 workers (s)", "cluster start-up (s)",
             "serial / Dask", "serial / (Dask + start-up)", "identical results"],
            rows,
        )
    )
