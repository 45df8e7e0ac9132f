"""A 10,000-set SMA-crossover sweep over 20 real stocks: ``run_sweep`` against the same job in plain vectorbt.

Data: the 20 real daily closes of ``../shared/data/stock_prices_20.csv`` (1989-12-29..2018-04-11,
7,126 bars), all of them, with each stock's missing history before its listing handled as the
engine does: prices back-filled for valuation, no position before the first listed bar, and
SMAs undefined until ``window`` listed closes exist. The closes have no opens, so decisions at a
close fill at the next close.

Grid: ``fast`` in 5..104 x ``slow`` in 110..308 (step 2), 100 x 100 = 10,000 parameter sets (quick:
10 fast windows, 1,000 sets); each set trades all 20 stocks with 1/20 of 100,000 cash each,
all-in (``FixedFraction(1)``, fractional units), 0.1 % fees.

Ours: ``run_sweep(SmaCrossover(), closes, grid, max_memory_gb=4)``, which also computes every
per-set metric and the overfitting statistics (deflated Sharpe, CSCV PBO); their share of our
time is shown. Reference: the same job written directly in vectorbt, as a user would: each
window's SMA computed once, numpy comparisons for the signals (shifted one bar, masked before
listing), then for each chunk of sets (the same chunks as ours) one
``vbt.Portfolio.from_signals`` with the same fees, ``init_cash / 20`` per column and a group per
set, keeping each set's returns; ``gc.collect()`` after each chunk, without which vectorbt's
portfolio (freed only by Python's cycle collector) keeps every chunk's memory alive for a while.
The SMAs are ours (``quantlib_local.indicators.sma``, equal to TA-Lib's) rather than
``vbt.MA.run``: the two rolling means differ in the last ulp, and these prices (quoted in 1/16ths
in the early years) have exact ties such as SMA(5) = SMA(210) = 12.2 for AMD, where the sign of
a 1e-15 rounding difference flips a decision (5 of the first 300 sets), which would compare
rounding rather than the engines.

Each side runs once in a fresh child process, after an untimed warm-up on 300 bars, so that its
peak resident memory (``ru_maxrss``) belongs to that job alone. A third child runs a single chunk
of sets and measures the sweep's memory per simulated cell (peak RSS minus the baseline after
warm-up, divided by bars x columns), the figure ``BYTES_PER_CELL`` in ``quantlib_local/backtest/sweep.py``
must cover.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._timing import markdown_table

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "stock_prices_20.csv"
SLOW_WINDOWS = list(range(110, 310, 2))
FEES = 0.001
INIT_CASH = 100_000.0
MAX_MEMORY_GB = 4.0


def _fast_windows(quick: bool) -> list[int]:
    return list(range(5, 15 if quick else 105))


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _peak_rss_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _closes() -> pd.DataFrame:
    from quantlib_local.data import load_price_table

    return load_price_table(DATA)


def _ours(closes: pd.DataFrame, fast: list[int], slow: list[int], chunk_size: int | None,
          max_memory_gb: float) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Our sweep; returns total returns, final equity and the seconds spent in metrics and statistics."""
    import quantlib_local.backtest.sweep as sweep_module
    from quantlib_local.backtest import BacktestConfig, run_sweep
    from quantlib_local.strategies import SmaCrossover

    spent = {"metrics": 0.0, "overfitting": 0.0}
    originals = {"metrics": sweep_module.sweep_metrics, "overfitting": sweep_module.overfitting_statistics}

    def timed(name: str):  # measures, changes nothing
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start
        return call

    sweep_module.sweep_metrics = timed("metrics")
    sweep_module.overfitting_statistics = timed("overfitting")
    try:
        result = run_sweep(SmaCrossover(), closes, grid={"fast": fast, "slow": slow}, config=BacktestConfig(fees=FEES,
                           init_cash=INIT_CASH), max_memory_gb=max_memory_gb, chunk_size=chunk_size, progress=False)
    finally:
        sweep_module.sweep_metrics = originals["metrics"]
        sweep_module.overfitting_statistics = originals["overfitting"]
    params = result.parameters
    assert params["fast"].tolist() == [f for f in fast for _ in slow] and params["slow"].tolist() == slow * len(fast)
    return result.metrics["total_return"].to_numpy(), result.metrics["final_equity"].to_numpy(), spent


def _vectorbt(closes: pd.DataFrame, fast: list[int], slow: list[int], chunk_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The same sweep written directly in vectorbt; total returns and final equity per set (fast-major order)."""
    import vectorbt as vbt

    from quantlib_local.indicators import sma

    raw = closes.to_numpy(dtype=float)
    n_bars, n_symbols = raw.shape
    listed = np.isfinite(raw)
    close = pd.DataFrame(raw).ffill().bfill().to_numpy()  # valuation prices before listing
    windows = sorted(set(fast) | set(slow))
    position = {window: i for i, window in enumerate(windows)}
    averages = np.stack([sma(raw, window) for window in windows], axis=1)  # (bars, windows, symbols)
    sets = [(f, s) for f in fast for s in slow]
    final_equity = np.empty(len(sets))
    returns = np.empty((n_bars, len(sets)))
    for start in range(0, len(sets), chunk_size):
        part = sets[start : start + chunk_size]
        with np.errstate(invalid="ignore"):
            long = averages[:, [position[f] for f, _ in part], :] > averages[:, [position[s] for _, s in part], :]
        long = long.reshape(n_bars, len(part) * n_symbols)
        held = np.zeros_like(long)
        held[1:] = long[:-1]  # decided at a close, filled at the next close
        held &= np.tile(listed, len(part))
        before = np.zeros_like(held)
        before[1:] = held[:-1]
        portfolio = vbt.Portfolio.from_signals(
            close=pd.DataFrame(np.tile(close, len(part)), index=closes.index), entries=held & ~before,
            exits=before & ~held, size=1.0, size_type="percent", fees=FEES, init_cash=INIT_CASH / n_symbols,
            group_by=np.repeat(np.arange(len(part)), n_symbols), cash_sharing=False, freq="1D",
        )
        value = portfolio.value().to_numpy()
        block = returns[:, start : start + len(part)]
        block[0] = value[0] / INIT_CASH - 1
        block[1:] = value[1:] / value[:-1] - 1
        final_equity[start : start + len(part)] = value[-1]
        del portfolio, held, before, long
        gc.collect()
    return final_equity / INIT_CASH - 1, final_equity


def _child(job: str, quick: bool, output: str, chunk_size: int = 0) -> None:
    """Run one job in this (fresh) process and print a JSON line with its time and memory."""
    from quantlib_local.backtest.sweep import plan_chunks

    closes = _closes()
    fast = _fast_windows(quick)
    warm = closes.iloc[-300:]
    if job == "vectorbt":
        _vectorbt(warm, [5, 6], [20, 22], 2)
    else:
        _ours(warm, [5, 6], [20, 22], None, 1000.0)
    gc.collect()
    baseline = _rss_bytes()
    report: dict[str, float] = {"baseline": baseline}
    start = time.perf_counter()
    if job == "ours":
        total, final, spent = _ours(closes, fast, SLOW_WINDOWS, None, MAX_MEMORY_GB)
        report.update(spent)
    elif job == "vectorbt":
        chunk = plan_chunks(len(closes), closes.shape[1], len(fast) * len(SLOW_WINDOWS), MAX_MEMORY_GB, None)
        total, final = _vectorbt(closes, fast, SLOW_WINDOWS, chunk)
    else:  # "one_chunk": a single chunk of `chunk_size` sets, for the memory per cell
        fast = list(range(5, 5 + chunk_size // 2))
        total, final, _ = _ours(closes, fast, SLOW_WINDOWS[:2], chunk_size, 1000.0)
    report["seconds"] = time.perf_counter() - start
    report["peak"] = _peak_rss_bytes()
    report["cells"] = len(closes) * closes.shape[1] * len(total)
    np.save(output, np.vstack([total, final]))
    print(json.dumps(report))


def _run_child(job: str, quick: bool, folder: str, chunk_size: int = 0) -> tuple[dict[str, float], np.ndarray]:
    output = os.path.join(folder, f"{job}.npy")
    code = f"from benchmarks.bench_sweep import _child; _child({job!r}, {quick!r}, {output!r}, {chunk_size})"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child {job!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(output)


def run(quick: bool = False) -> str:
    from quantlib_local.backtest import sweep as sweep_module

    closes = _closes()
    n_bars, n_symbols = closes.shape
    n_sets = len(_fast_windows(quick)) * len(SLOW_WINDOWS)
    chunk = sweep_module.plan_chunks(n_bars, n_symbols, n_sets, MAX_MEMORY_GB, None)
    one_chunk = 50 if quick else 150
    with tempfile.TemporaryDirectory() as folder:
        ours, (our_total, our_final) = _run_child("ours", quick, folder)
        theirs, (their_total, their_final) = _run_child("vectorbt", quick, folder)
        single, _ = _run_child("one_chunk", quick, folder, one_chunk)
    gib = 2**30
    analytics = ours["metrics"] + ours["overfitting"]
    overhead = ours["seconds"] / theirs["seconds"] - 1
    overhead_core = (ours["seconds"] - analytics) / theirs["seconds"] - 1
    total_diff = np.max(np.abs(our_total - their_total))
    equity_diff = np.max(np.abs(our_final / their_final - 1))
    per_cell = (single["peak"] - single["baseline"]) / single["cells"]
    timing = markdown_table(
        ["job", "seconds", "of which metrics + overfitting statistics (s)", "ours / vectorbt", "overhead"],
        [
            ["vectorbt, by hand", f"{theirs['seconds']:.1f}", "-", "-", "-"],
            ["`run_sweep`", f"{ours['seconds']:.1f}", f"{analytics:.1f}", f"{ours['seconds'] / theirs['seconds']:.2f}",
             f"{overhead:+.1%}"],
            ["`run_sweep` without its metrics and statistics", f"{ours['seconds'] - analytics:.1f}", "-",
             f"{(ours['seconds'] - analytics) / theirs['seconds']:.2f}", f"{overhead_core:+.1%}"],
        ],
    )
    memory = markdown_table(
        ["process", "baseline RSS after warm-up (GiB)", "peak RSS (GiB)", f"within {MAX_MEMORY_GB:g} GiB"],
        [
            ["`run_sweep`", f"{ours['baseline'] / gib:.2f}", f"{ours['peak'] / gib:.2f}",
             "yes" if ours["peak"] <= MAX_MEMORY_GB * gib else "**NO**"],
            ["vectorbt, by hand (gc after each chunk)", f"{theirs['baseline'] / gib:.2f}",
             f"{theirs['peak'] / gib:.2f}", "yes" if theirs["peak"] <= MAX_MEMORY_GB * gib else "**NO**"],
        ],
    )
    return (
        f"## Parameter sweep: {n_sets:,} SMA-crossover sets x {n_symbols} real stocks\n\n"
        f"`run_sweep` against the same job written directly in vectorbt, on the {n_symbols} REAL daily closes of "
        f"stock_prices_20.csv ({n_bars:,} bars, 1989-2018, each stock from its listing, as the engine handles "
        f"missing history), fast 5..{_fast_windows(quick)[-1]} x slow 110..308 step 2, {FEES:.1%} fees, "
        f"{INIT_CASH:,.0f} cash split over the {n_symbols} stocks, chunks of {chunk} sets "
        f"(planned by `plan_chunks` for {MAX_MEMORY_GB:g} GiB, the same chunks on both sides). One timed run of each "
        "in its own fresh process after a warm-up (the overhead goal is < 10 %).\n\n"
        + timing
        + f"\n\nSame results: largest absolute difference in per-set total return {total_diff:.1e}, largest relative "
        f"difference in final equity {equity_diff:.1e}.\n\n"
        "Peak resident memory of each whole process (`ru_maxrss`):\n\n" + memory
        + f"\n\nMemory per simulated cell: one chunk of {one_chunk} sets ({single['cells']:,.0f} bar x column cells) "
        f"in a fresh process peaks {(single['peak'] - single['baseline']) / gib:.2f} GiB above its "
        f"{single['baseline'] / gib:.2f} GiB baseline: {per_cell:.0f} bytes per cell, against "
        f"`BYTES_PER_CELL = {sweep_module.BYTES_PER_CELL}` and `FIXED_OVERHEAD_BYTES = "
        f"{sweep_module.FIXED_OVERHEAD_BYTES / 2**20:.0f} MiB` in quantlib_local/backtest/sweep.py."
    )


if __name__ == "__main__":  # pragma: no cover
    print(run(quick=True))
