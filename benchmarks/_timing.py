"""Shared timing helpers for the benchmarks: medians of repeated runs, and ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_seconds(func: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``func()`` over ``repeat`` runs after ``warmup`` untimed runs."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio(reference_seconds: float, ours_seconds: float) -> str:
    """How many times faster ours is than the reference, formatted (``>1`` means ours is faster)."""
    return f"{reference_seconds / ours_seconds:.2f}x"


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
