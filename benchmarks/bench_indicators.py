"""Benchmark: quantlib_local.indicators on a wide frame against TA-Lib and plain pandas.

For each indicator we time three ways of getting the same wide result frame from the
same synthetic random-walk prices: ours on the whole frame, TA-Lib called column by
column in a Python loop (the way TA-Lib is used on many assets), and the natural pandas
formulation on the whole frame (``rolling(...).mean()``, ``ewm(...)`` and so on; note
that pandas' EMA-based indicators seed differently, so its numbers differ from TA-Lib's
in the warm-up, which does not matter for timing).

Run ``python -m benchmarks --only bench_indicators`` (``--quick`` for small sizes), or
``python -c "from benchmarks.bench_indicators import run; print(run(quick=True))"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import talib

from benchmarks._timing import markdown_table, median_seconds, ratio
from quantlib_local.indicators import atr, bollinger_bands, ema, macd, rsi, sma

SEED = 20240601


def synthetic_bars(n_bars: int, n_assets: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded random-walk ``(high, low, close)`` frames, float64, ``n_bars x n_assets``."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=n_bars, freq="5min", tz="UTC", name="timestamp")
    columns = pd.Index([f"A{j:03d}" for j in range(n_assets)], name="symbol")
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, size=(n_bars, n_assets)), axis=0))
    high = close * (1.0 + np.abs(rng.normal(0.0, 0.001, size=close.shape)))
    low = close * (1.0 - np.abs(rng.normal(0.0, 0.001, size=close.shape)))
    return (
        pd.DataFrame(high, index=index, columns=columns),
        pd.DataFrame(low, index=index, columns=columns),
        pd.DataFrame(close, index=index, columns=columns),
    )


def _talib_per_column(function: Callable[..., Any], *frames: pd.DataFrame) -> pd.DataFrame | tuple[pd.DataFrame, ...]:
    """Call a TA-Lib function on each column and assemble the wide result frame(s)."""
    reference = frames[-1]
    results = {column: function(*(frame[column].to_numpy() for frame in frames)) for column in reference.columns}
    first = next(iter(results.values()), None)
    if isinstance(first, tuple):
        return tuple(
            pd.DataFrame({column: outputs[k] for column, outputs in results.items()}, index=reference.index)
            for k in range(len(first))
        )
    return pd.DataFrame(results, index=reference.index)


def _pandas_rsi(close: pd.DataFrame, window: int) -> pd.DataFrame:
    change = close.diff()
    average_gain = change.clip(lower=0.0).ewm(alpha=1.0 / window, adjust=False).mean()
    average_loss = (-change.clip(upper=0.0)).ewm(alpha=1.0 / window, adjust=False).mean()
    return 100.0 - 100.0 / (1.0 + average_gain / average_loss)


def _pandas_bollinger(close: pd.DataFrame, window: int, num_std: float) -> tuple[pd.DataFrame, ...]:
    rolling = close.rolling(window)
    middle = rolling.mean()
    width = num_std * rolling.std(ddof=0)
    return middle + width, middle, middle - width


def _pandas_atr(high: pd.DataFrame, low: pd.DataFrame, close: pd.DataFrame, window: int) -> pd.DataFrame:
    previous_close = close.shift()
    true_range = np.maximum(high - low, np.maximum((high - previous_close).abs(), (low - previous_close).abs()))
    return true_range.ewm(alpha=1.0 / window, adjust=False).mean()


def _pandas_macd(close: pd.DataFrame, fast: int, slow: int, signal: int) -> tuple[pd.DataFrame, ...]:
    line = close.ewm(span=fast, adjust=False).mean() - close.ewm(span=slow, adjust=False).mean()
    signal_line = line.ewm(span=signal, adjust=False).mean()
    return line, signal_line, line - signal_line


def run(quick: bool = False) -> str:
    """Time the indicators and return a Markdown section (``## Indicators``).

    Parameters
    ----------
    quick
        Use 30 assets x 10,000 bars (five repeats) instead of 300 x 100,000 (three).

    Returns
    -------
    str
        The heading, one sentence of method and a table of seconds and speed ratios.
    """
    n_assets, n_bars, repeat = (30, 10_000, 5) if quick else (300, 100_000, 3)
    high, low, close = synthetic_bars(n_bars, n_assets)
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any], Callable[[], Any]]] = [
        (
            "SMA(20)",
            lambda: sma(close, 20),
            lambda: _talib_per_column(lambda x: talib.SMA(x, 20), close),
            lambda: close.rolling(20).mean(),
        ),
        (
            "EMA(20)",
            lambda: ema(close, 20),
            lambda: _talib_per_column(lambda x: talib.EMA(x, 20), close),
            lambda: close.ewm(span=20, adjust=False).mean(),
        ),
        (
            "RSI(14)",
            lambda: rsi(close, 14),
            lambda: _talib_per_column(lambda x: talib.RSI(x, 14), close),
            lambda: _pandas_rsi(close, 14),
        ),
        (
            "Bollinger(20, 2)",
            lambda: bollinger_bands(close, 20, 2.0),
            lambda: _talib_per_column(lambda x: talib.BBANDS(x, 20, 2.0, 2.0, talib.MA_Type.SMA), close),
            lambda: _pandas_bollinger(close, 20, 2.0),
        ),
        (
            "ATR(14)",
            lambda: atr(high, low, close, 14),
            lambda: _talib_per_column(lambda h, l, c: talib.ATR(h, l, c, 14), high, low, close),
            lambda: _pandas_atr(high, low, close, 14),
        ),
        (
            "MACD(12, 26, 9)",
            lambda: macd(close, 12, 26, 9),
            lambda: _talib_per_column(lambda x: talib.MACD(x, 12, 26, 9), close),
            lambda: _pandas_macd(close, 12, 26, 9),
        ),
    ]
    rows = []
    for name, ours, talib_loop, pandas_frame in cases:
        ours_seconds = median_seconds(ours, repeat=repeat)
        talib_seconds = median_seconds(talib_loop, repeat=repeat)
        pandas_seconds = median_seconds(pandas_frame, repeat=repeat)
        rows.append(
            [
                name,
                f"{ours_seconds:.4f}",
                f"{talib_seconds:.4f}",
                ratio(talib_seconds, ours_seconds),
                f"{pandas_seconds:.4f}",
                ratio(pandas_seconds, ours_seconds),
            ]
        )
    method = (
        f"Median wall time of {repeat} runs (after one warm-up run) on seeded random-walk prices, "
        f"{n_assets} assets x {n_bars:,} bars, float64, each producing the full wide result frame: "
        "ours on the whole frame, TA-Lib called per column in a Python loop, and plain pandas on the whole "
        "frame; ratios are reference time / our time (above 1x means ours is faster)."
    )
    table = markdown_table(
        ["indicator", "ours (s)", "TA-Lib loop (s)", "vs TA-Lib", "pandas (s)", "vs pandas"],
        rows,
    )
    return f"## Indicators\n\n{method}\n\n{table}\n"


if __name__ == "__main__":
    print(run(quick=True))
