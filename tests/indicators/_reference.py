"""Helpers that build TA-Lib references column by column and compare results.

TA-Lib works on one gap-free 1-D array at a time. Our indicators treat every run of
valid values in a column as its own series (leading NaN delays the start, an interior NaN
restarts the warm-up), so the reference applies the TA-Lib function to each run and puts
the pieces back at their positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def valid_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of True in a 1-D boolean mask."""
    padded = np.concatenate(([False], valid, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def apply_per_run(func: Callable[..., Any], *columns: np.ndarray) -> list[np.ndarray]:
    """Apply ``func`` to each run where all ``columns`` are valid; NaN elsewhere.

    ``func`` takes one 1-D array per column and returns an array or a tuple of arrays.
    Returns a list with one full-length array per output of ``func``.
    """
    valid = np.logical_and.reduce([~np.isnan(column) for column in columns])
    outputs: list[np.ndarray] | None = None
    for start, stop in valid_runs(valid):
        pieces = func(*(np.ascontiguousarray(column[start:stop]) for column in columns))
        if not isinstance(pieces, tuple):
            pieces = (pieces,)
        if outputs is None:
            outputs = [np.full(len(columns[0]), np.nan) for _ in pieces]
        for output, piece in zip(outputs, pieces):
            output[start:stop] = piece
    if outputs is None:  # no valid value at all: the output count is unknown, assume one
        outputs = [np.full(len(columns[0]), np.nan)]
    return outputs


def talib_by_column(func: Callable[..., Any], *frames: pd.DataFrame) -> list[pd.DataFrame]:
    """Run a TA-Lib function on every column (and every run) of aligned wide frames."""
    per_column = [
        apply_per_run(func, *(frame.iloc[:, j].to_numpy(dtype=np.float64) for frame in frames))
        for j in range(frames[0].shape[1])
    ]
    n_outputs = max(len(outputs) for outputs in per_column)
    return [
        pd.DataFrame(
            np.column_stack(
                [outputs[k] if k < len(outputs) else np.full(len(frames[0]), np.nan) for outputs in per_column]
            ),
            index=frames[0].index,
            columns=frames[0].columns,
        )
        for k in range(n_outputs)
    ]


def max_errors(ours: Any, reference: Any) -> tuple[float, float]:
    """Largest absolute and relative (to ``|reference|``, where non-zero) difference."""
    ours_array = np.asarray(ours, dtype=np.float64)
    reference_array = np.asarray(reference, dtype=np.float64)
    both = ~np.isnan(reference_array)
    difference = np.abs(ours_array[both] - reference_array[both])
    magnitude = np.abs(reference_array[both])
    nonzero = magnitude > 0
    relative = difference[nonzero] / magnitude[nonzero]
    return (float(difference.max(initial=0.0)), float(relative.max(initial=0.0)))


def assert_matches(
    ours: Any,
    reference: Any,
    *,
    label: str,
    rtol: float = 0.0,
    atol: float = 0.0,
    scale: Any = None,
) -> None:
    """Assert the same NaN positions and ``|ours - ref| <= atol + rtol * |scale|``.

    ``scale`` defaults to the reference itself (a plain relative tolerance); pass the
    prices to measure an oscillator's error relative to the price level.
    """
    ours_array = np.asarray(ours, dtype=np.float64)
    reference_array = np.asarray(reference, dtype=np.float64)
    assert ours_array.shape == reference_array.shape, f"{label}: shape {ours_array.shape} != {reference_array.shape}"
    nan_mismatch = np.isnan(ours_array) != np.isnan(reference_array)
    assert not nan_mismatch.any(), (
        f"{label}: NaN positions differ at {np.argwhere(nan_mismatch)[:5].tolist()} (first 5 of {nan_mismatch.sum()})"
    )
    scale_array = (
        reference_array
        if scale is None
        else np.broadcast_to(np.asarray(scale, dtype=np.float64), reference_array.shape)
    )
    both = ~np.isnan(reference_array)
    difference = np.abs(ours_array - reference_array)
    allowed = atol + rtol * np.abs(scale_array)
    failing = both & (difference > allowed)
    if failing.any():
        where = tuple(np.argwhere(failing)[0])
        raise AssertionError(
            f"{label}: {failing.sum()} values off, e.g. at {where}: ours={ours_array[where]!r} "
            f"reference={reference_array[where]!r} (atol={atol}, rtol={rtol})"
        )


def outputs_of(result: Any) -> Sequence[Any]:
    """A result as a sequence of outputs (a NamedTuple of lines, or one array/frame)."""
    return tuple(result) if isinstance(result, tuple) else (result,)
