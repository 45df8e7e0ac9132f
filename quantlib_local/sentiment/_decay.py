"""The per-source recursion behind :func:`~quantlib_local.sentiment.sentiment_index`.

Hand-written (numba) because pandas has no decay-weighted mean over irregular event times
with a per-bar readout, and because the weights must stay exact however old the news is:
the mass of past items is carried as a logarithm, so a half-life of minutes on daily bars,
or items years before the first bar, neither underflow to 0/0 nor overflow.

For one source (and one symbol), with items sorted by bar:

* at a bar with items, the value is the decay-weighted mean of every item so far,
  ``sum_i d_i s_i / sum_i d_i`` with ``d_i = exp(-rate * age_i)``; the age is counted in
  bars (``mode=MODE_BARS``, items of one bar share age 0) or in time from the item's
  publication to the bar's timestamp (``mode=MODE_TIME``); ``mode=MODE_NONE`` keeps no
  memory (the plain mean of the bar's own items);
* at a bar without items the value follows ``no_news``: ``NO_NEWS_ZERO`` gives 0,
  ``NO_NEWS_HOLD`` the value of the last bar with items, ``NO_NEWS_FADE`` that value times
  ``exp(-rate * age)`` with the age since that bar (in bars or time);
* before the source's first item the value is 0 and ``seen`` is False.

The recursion is exact: carrying ``(mean, log mass)`` from the last bar with items and
decaying the mass by the time elapsed gives the same numbers as summing over all items.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MODE_NONE = 0
MODE_BARS = 1
MODE_TIME = 2
NO_NEWS_ZERO = 0
NO_NEWS_HOLD = 1
NO_NEWS_FADE = 2


@njit(cache=True)
def decayed_source_kernel(
    item_bar: np.ndarray,
    item_ns: np.ndarray,
    score: np.ndarray,
    bar_ns: np.ndarray,
    mode: int,
    rate: float,
    no_news: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, item counts and ``seen`` flags on every bar for one source.

    Parameters
    ----------
    item_bar
        Bar position of each item (int64, sorted ascending, each in ``[0, len(bar_ns))``).
    item_ns
        Publication time of each item (int64 ns).
    score
        Score of each item.
    bar_ns
        Bar timestamps (int64 ns, increasing).
    mode
        ``MODE_NONE``, ``MODE_BARS`` (rate per bar) or ``MODE_TIME`` (rate per nanosecond).
    rate
        ``ln 2 / half_life`` in the mode's unit (unused with ``MODE_NONE``).
    no_news
        ``NO_NEWS_ZERO``, ``NO_NEWS_HOLD`` or ``NO_NEWS_FADE``.
    """
    n = bar_ns.shape[0]
    values = np.zeros(n)
    counts = np.zeros(n, dtype=np.int64)
    seen = np.zeros(n, dtype=np.bool_)
    mean = 0.0
    log_mass = -np.inf
    last = -1
    p = 0
    m = item_bar.shape[0]
    for j in range(n):
        start = p
        while p < m and item_bar[p] == j:
            p += 1
        if p > start:
            counts[j] = p - start
            if mode == MODE_NONE or last < 0:
                log_old = -np.inf
            elif mode == MODE_BARS:
                log_old = log_mass - rate * (j - last)
            else:
                log_old = log_mass - rate * float(bar_ns[j] - bar_ns[last])
            top = log_old
            for i in range(start, p):
                exponent = -rate * float(bar_ns[j] - item_ns[i]) if mode == MODE_TIME else 0.0
                if exponent > top:
                    top = exponent
            weight_old = 0.0 if log_old == -np.inf else np.exp(log_old - top)
            total = weight_old
            weighted = weight_old * mean
            for i in range(start, p):
                exponent = -rate * float(bar_ns[j] - item_ns[i]) if mode == MODE_TIME else 0.0
                weight = np.exp(exponent - top)
                total += weight
                weighted += weight * score[i]
            mean = weighted / total
            log_mass = top + np.log(total)
            last = j
            values[j] = mean
        elif last >= 0:
            if no_news == NO_NEWS_HOLD:
                values[j] = mean
            elif no_news == NO_NEWS_FADE:
                age = float(j - last) if mode == MODE_BARS else float(bar_ns[j] - bar_ns[last])
                values[j] = mean * np.exp(-rate * age)
        seen[j] = last >= 0
    return values, counts, seen
