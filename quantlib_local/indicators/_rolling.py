"""Rolling mean, Bollinger Bands and z-score over column blocks, in one numba pass.

Why not a plain running sum or ``cumsum``
    A running sum carried over the whole history (TA-Lib's SMA, or a difference of
    cumulative sums) accumulates rounding error with the length of the series, and the
    textbook variance ``E[x^2] - E[x]^2`` cancels catastrophically when the spread of a
    window is small against the price level (a 5-minute crypto bar moves by about 1e-4 of
    its price, so ``E[x]^2 / var`` reaches 1e8 and half the digits are lost).

What this kernel does instead
    Every ``window`` bars it re-anchors: it computes the window's mean ``c`` afresh and
    takes the sums ``S1 = sum(x - c)`` and ``S2 = sum((x - c)^2)`` exactly over the window
    (the corrected two-pass algorithm). Between anchors it slides those two sums one bar
    at a time. Deviations from a recent mean are of the size of the window's spread, so
    ``var = S2/n - (S1/n)^2`` no longer cancels, and rounding error cannot build up for
    more than ``window`` steps. Sliding sums still carry the absolute error of the largest
    ``S2`` they held, so when a window's spread suddenly collapses (a calm right after a
    move, e.g. three 5-minute closes one tick apart just after a 0.3% jump) the kernel
    also re-anchors as soon as ``n * var`` drops below 1e-3 of the peak ``S2`` since the
    last anchor; the relative error of ``var`` then stays below about
    ``1e3 * window * eps``. The cost is O(1) per bar amortised: two passes over a window
    every ``window`` bars, plus the rare re-anchors after a collapse.

    A window whose values are all identical gets exactly ``mean = x`` and ``var = 0``
    (a run-length counter detects it), so a flat price gives a zero-width band rather
    than a rounding residue of 1e-20.

Outputs
    One kernel serves SMA, Bollinger Bands and the z-score, and writes only the arrays
    the caller returns (``output`` selects them): every extra full-size temporary costs a
    pass over memory and, for a fresh allocation, a page fault per 4 KiB, which on a
    300 x 100,000 frame is as expensive as the arithmetic.

Missing values
    A NaN ends a run of valid values. Each run is processed independently, so a window
    that contains a NaN gives NaN and the first value after a gap appears ``window - 1``
    bars after it. Leading NaN (an asset listed later) is the special case of a first run
    that starts late.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from quantlib_local._typing import Float64Array

MEAN = 0
"""``output`` code: the rolling mean only (first array)."""
BANDS = 1
"""``output`` code: ``mean + num_std * std``, ``mean``, ``mean - num_std * std``."""
ZSCORE = 2
"""``output`` code: ``(x - mean) / std`` with ``std`` scaled for ``ddof`` (NaN where std is 0)."""

_RECOMPUTE_BELOW = 1e-3
"""Re-anchor when ``n * var`` falls below this fraction of the largest slid ``S2``."""


@njit(cache=True)
def contains_infinity(block: Float64Array) -> bool:
    """True if any element of ``block`` is +/-inf (NaN is allowed); no temporary array."""
    n_columns, n_rows = block.shape
    for j in range(n_columns):
        for t in range(n_rows):
            if np.isinf(block[j, t]):
                return True
    return False


@njit(cache=True)
def rolling_window_kernel(
    block: Float64Array, window: int, output: int, num_std: float, ddof: int
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """Rolling mean / Bollinger Bands / z-score of each row of ``block``.

    Parameters
    ----------
    block
        Float64 array of shape ``(n_columns, n_rows)``; one asset per row, NaN = missing.
    window
        Window length in bars, ``>= 1`` (``>= 2`` for ``BANDS`` and ``ZSCORE``).
    output
        :data:`MEAN`, :data:`BANDS` or :data:`ZSCORE`.
    num_std
        Band width in population standard deviations (``BANDS`` only).
    ddof
        Delta degrees of freedom of the std (``ZSCORE`` only), ``< window``.

    Returns
    -------
    first, second, third : numpy.ndarray
        ``MEAN``: the mean, then two empty (0 x 0) arrays. ``BANDS``: upper, middle,
        lower. ``ZSCORE``: the z-score, then two empty arrays. Full-size outputs have the
        shape of ``block`` and are NaN until a run of valid values is ``window`` long.
    """
    n_columns, n_rows = block.shape
    full_shape = (n_columns, n_rows)
    empty_shape = (0, 0)
    first = np.empty(full_shape)
    second = np.empty(full_shape if output == BANDS else empty_shape)
    third = np.empty(full_shape if output == BANDS else empty_shape)
    inv_window = 1.0 / window
    ddof_factor = window / (window - ddof)
    track_spread = output != MEAN
    for j in range(n_columns):
        x = block[j]
        out_first = first[j]
        # Without bands the second and third rows alias the first; writing NaN to all
        # three on the warm-up path is then harmless and keeps that path branch-free.
        out_second = second[j] if output == BANDS else out_first
        out_third = third[j] if output == BANDS else out_first
        run_length = 0  # consecutive valid values ending at t
        same_length = 0  # consecutive identical values ending at t
        steps_since_anchor = 0
        anchor = 0.0
        sum_dev = 0.0
        sum_sq_dev = 0.0
        peak_sum_sq_dev = 0.0
        for t in range(n_rows):
            value = x[t]
            if value != value:  # NaN: a gap ends the run
                run_length = 0
                same_length = 0
                out_first[t] = np.nan
                out_second[t] = np.nan
                out_third[t] = np.nan
                continue
            run_length += 1
            if run_length > 1 and value == x[t - 1]:
                same_length += 1
            else:
                same_length = 1
            if run_length < window:
                out_first[t] = np.nan
                out_second[t] = np.nan
                out_third[t] = np.nan
                continue
            if same_length >= window:
                # A flat window: exact mean, zero spread. Re-anchor when it ends.
                mean = value
                variance = 0.0
                deviation = 0.0
                steps_since_anchor = window
            else:
                needs_anchor = run_length == window or steps_since_anchor >= window
                if not needs_anchor:
                    new_deviation = value - anchor
                    old_deviation = x[t - window] - anchor
                    sum_dev += new_deviation - old_deviation
                    steps_since_anchor += 1
                    if track_spread:
                        sum_sq_dev += new_deviation * new_deviation - old_deviation * old_deviation
                        if sum_sq_dev > peak_sum_sq_dev:
                            peak_sum_sq_dev = sum_sq_dev
                        # Rounding error of the slid sums is about eps * steps * peak; when
                        # the window's own spread has shrunk below 1e-3 of that peak (a
                        # sudden calm after a move), start afresh rather than lose digits.
                        spread = sum_sq_dev - sum_dev * sum_dev * inv_window
                        needs_anchor = spread < _RECOMPUTE_BELOW * peak_sum_sq_dev
                if needs_anchor:
                    total = 0.0
                    for i in range(t - window + 1, t + 1):
                        total += x[i]
                    anchor = total * inv_window
                    sum_dev = 0.0
                    sum_sq_dev = 0.0
                    for i in range(t - window + 1, t + 1):
                        offset = x[i] - anchor
                        sum_dev += offset
                        sum_sq_dev += offset * offset
                    peak_sum_sq_dev = sum_sq_dev
                    steps_since_anchor = 1
                mean_dev = sum_dev * inv_window
                mean = anchor + mean_dev
                variance = sum_sq_dev * inv_window - mean_dev * mean_dev
                if variance < 0.0:
                    variance = 0.0
                # x - mean as a deviation from the anchor keeps its relative precision
                # when the spread is tiny against the price (no cancellation of two prices).
                deviation = (value - anchor) - mean_dev
            if output == MEAN:
                out_first[t] = mean
            elif output == BANDS:
                half_width = num_std * np.sqrt(variance)
                out_first[t] = mean + half_width
                out_second[t] = mean
                out_third[t] = mean - half_width
            else:
                std = np.sqrt(variance * ddof_factor)
                out_first[t] = deviation / std if std > 0.0 else np.nan
    return first, second, third
