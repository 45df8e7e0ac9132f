"""Drawdowns: the drawdown series, the maximum drawdown (eq. 11) and the longest drawdown.

Hand-written, not delegated to empyrical (which the tests use as the reference for the
drawdown series and maximum drawdown), because we need wide frames with per-column
listing dates, durations in bars and in time with the peak/start/trough/end timestamps,
and a typed result; empyrical has no duration at all.

Definitions. Wealth starts at 1 *before* the first return, ``W_t = prod_{s<=t}(1 + r_s)``,
and the high-water mark includes that opening capital, ``H_t = max(1, max_{s<=t} W_s)``, so
a loss on the very first bar is already a drawdown (empyrical does the same). The
drawdown is ``D_t = W_t / H_t - 1`` (a non-positive decimal) and the maximum drawdown is
``min_t D_t``, e.g. -0.25 for a fall of a quarter from the peak. Eq. 11 of the design,
``MDD = max_t [max_{s<=t} X(s) - X(t)]``, is the same peak-to-trough fall measured in
units of wealth; we report it relative to the peak and with a negative sign, the usual
convention of performance tables (empyrical, pyfolio).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import asdict, dataclass
from typing import Any, overload

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.risk._validation import MetricValue, ReturnsBlock, coerce_returns

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrawdownPeriod:
    """One stretch of bars below a previous high-water mark.

    Attributes
    ----------
    bars
        Length in bars, from the peak bar to the recovery bar (or to the last bar while
        still under water). When the series opens under water the peak is the opening
        capital, which has no bar of its own, and the count starts at the first bar.
    duration
        Elapsed time between the same two bars (``None`` unless the index is a
        DatetimeIndex).
    depth
        Deepest drawdown inside the period, a non-positive decimal (0.0 when the series
        never falls below its high-water mark).
    peak
        Label of the last bar at the high-water mark before the fall; ``None`` when the
        peak is the opening capital or when there is no drawdown.
    start
        Label of the first bar below the high-water mark.
    trough
        Label of the lowest bar of the period.
    end
        Label of the recovery bar (first bar back at the high-water mark); ``None`` while
        the drawdown is still open at the last bar.
    recovered
        Whether the period ended with a recovery inside the sample.
    """

    bars: int
    duration: pd.Timedelta | None
    depth: float
    peak: Hashable | None
    start: Hashable | None
    trough: Hashable | None
    end: Hashable | None
    recovered: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields, in declaration order."""
        return asdict(self)

    def to_series(self) -> pd.Series:
        """The fields as an object Series (one row of a table)."""
        return pd.Series(self.to_dict(), dtype=object)


def drawdown_series(returns: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Drawdown from the running high-water mark at every bar.

    Parameters
    ----------
    returns
        Simple decimal returns, a Series or a wide DataFrame (one column per asset).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``W_t / H_t - 1`` shaped like the input: 0 at a new high, negative below it
        (-0.25 is 25 % below the peak), NaN where the return is missing.
    """
    block = coerce_returns(returns)
    return block.shape_like_input(_drawdown_block(block.values))


def max_drawdown(returns: pd.Series | pd.DataFrame) -> MetricValue:
    """Maximum drawdown (design eq. 11) as a non-positive decimal.

    Parameters
    ----------
    returns
        Simple decimal returns, a Series or a wide DataFrame.

    Returns
    -------
    float or pandas.Series
        ``min_t (W_t / H_t - 1)``, e.g. -0.25; 0.0 for a series that never falls. One value
        per column for a DataFrame.
    """
    block = coerce_returns(returns)
    return block.shape_answer(max_drawdown_of_block(block), "max_drawdown")


@overload
def max_drawdown_duration(returns: pd.Series) -> DrawdownPeriod: ...
@overload
def max_drawdown_duration(returns: pd.DataFrame) -> pd.DataFrame: ...
def max_drawdown_duration(returns: pd.Series | pd.DataFrame) -> DrawdownPeriod | pd.DataFrame:
    """The longest drawdown: peak to recovery, in bars and in time.

    The longest period is not necessarily the deepest one. Ties go to the earliest
    period. An unrecovered drawdown at the end of the sample counts up to the last bar.

    Parameters
    ----------
    returns
        Simple decimal returns, a Series or a wide DataFrame.

    Returns
    -------
    DrawdownPeriod or pandas.DataFrame
        A :class:`DrawdownPeriod` for a Series; for a DataFrame one row per column with
        the :class:`DrawdownPeriod` fields as columns.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="D")
    >>> period = max_drawdown_duration(pd.Series([0.1, -0.1, 0.05, 0.1], index=idx))
    >>> period.bars, period.duration, period.recovered
    (3, Timedelta('3 days 00:00:00'), True)
    """
    block = coerce_returns(returns)
    periods = longest_drawdown_periods(block)
    if block.is_series:
        return periods[0]
    return pd.DataFrame([p.to_dict() for p in periods], index=block.columns)


def max_drawdown_of_block(block: ReturnsBlock) -> Float64Array:
    """Per-column maximum drawdown of a checked block (used by other risk modules)."""
    return np.nanmin(_drawdown_block(block.values), axis=0)


def longest_drawdown_periods(block: ReturnsBlock) -> list[DrawdownPeriod]:
    """Per-column longest drawdown of a checked block (used by the performance summary)."""
    drawdowns = _drawdown_block(block.values)
    periods = []
    for column in range(drawdowns.shape[1]):
        observed = ~np.isnan(drawdowns[:, column])
        periods.append(_longest_period(drawdowns[observed, column], block.index[observed]))
    return periods


def _drawdown_block(values: Float64Array) -> Float64Array:
    missing = np.isnan(values)
    wealth = np.cumprod(1.0 + np.where(missing, 0.0, values), axis=0)
    high_water = np.maximum(np.maximum.accumulate(wealth, axis=0), 1.0)
    drawdowns = wealth / high_water - 1.0
    drawdowns[missing] = np.nan
    return drawdowns


def _longest_period(drawdowns: Float64Array, labels: pd.Index) -> DrawdownPeriod:
    is_time = isinstance(labels, pd.DatetimeIndex)
    under = drawdowns < 0.0
    if not under.any():
        return DrawdownPeriod(
            bars=0,
            duration=pd.Timedelta(0) if is_time else None,
            depth=0.0,
            peak=None,
            start=None,
            trough=None,
            end=None,
            recovered=True,
        )
    n_bars = len(drawdowns)
    edges = np.diff(np.concatenate(([0], under.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)  # first bar under water
    stops = np.flatnonzero(edges == -1)  # recovery bar (== n_bars when still open)
    from_bar = np.maximum(starts - 1, 0)
    to_bar = np.minimum(stops, n_bars - 1)
    longest = int(np.argmax(to_bar - from_bar))
    start, stop = int(starts[longest]), int(stops[longest])
    trough = start + int(np.argmin(drawdowns[start:stop]))
    first, last = int(from_bar[longest]), int(to_bar[longest])
    return DrawdownPeriod(
        bars=last - first,
        duration=pd.Timedelta(labels[last] - labels[first]) if is_time else None,
        depth=float(drawdowns[trough]),
        peak=labels[start - 1] if start > 0 else None,
        start=labels[start],
        trough=labels[trough],
        end=labels[stop] if stop < n_bars else None,
        recovered=stop < n_bars,
    )
