"""Annualisation factors: how many bars make a year.

Hand-written because empyrical (our test reference) only knows the fixed names
``daily``/``weekly``/``monthly`` and assumes 252 trading days, which is wrong for 24/7
crypto markets and for intraday bars. Here the factor is inferred from the bars
themselves: the median spacing of a DatetimeIndex gives the bar length, and whether any
bar falls on a Saturday or Sunday decides between a 24/7 calendar and an exchange
calendar.

Conventions (periods per year):

============  ==================================  ====================================
bar           ``calendar="24/7"`` (crypto)        ``calendar="exchange"`` (equities)
============  ==================================  ====================================
1 minute      525,600 (365 x 1,440)               98,280 (252 x 390)
5 minutes     105,120                             19,656
1 hour        8,760 (365 x 24)                    1,638 (252 x 6.5)
1 day         365                                 252
1 week        52                                  52
1 month       12                                  12
1 quarter     4                                   4
1 year        1                                   1
============  ==================================  ====================================

Intraday exchange bars assume one 6.5-hour session a day (NYSE/Nasdaq regular hours),
so an hourly bar counts 6.5 bars a day: a half-hour closing bar counts as half a bar.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

Calendar: TypeAlias = Literal["24/7", "exchange", "business"]
"""``"24/7"`` (crypto: every day, every hour) or ``"exchange"`` (trading days and session
hours only). ``"business"`` is accepted as a synonym of ``"exchange"`` so that the
calendar reported by :mod:`quantlib_local.data.contract` can be passed straight in."""

CALENDAR_DAYS_PER_YEAR = 365
TRADING_DAYS_PER_YEAR = 252
EXCHANGE_SESSION_HOURS = 6.5
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12
QUARTERS_PER_YEAR = 4

_SECONDS_PER_DAY = 86_400.0
_SESSION_SECONDS = EXCHANGE_SESSION_HOURS * 3_600.0
_CALENDAR_FIX = "pass calendar='24/7' (crypto, bars every day) or calendar='exchange' (equities, trading days only)"
_PPY_FIX = (
    "pass periods_per_year explicitly (252 for daily equities, 365 for daily crypto, "
    "105120 for 5-minute crypto bars) or give the returns a DatetimeIndex"
)

# (low, high, periods per year) for bars of a day or longer, by spacing in days.
_MULTI_DAY_BANDS: tuple[tuple[float, float, float], ...] = (
    (6.5, 7.5, WEEKS_PER_YEAR),
    (27.5, 31.5, MONTHS_PER_YEAR),
    (88.5, 92.5, QUARTERS_PER_YEAR),
    (364.5, 366.5, 1),
)


def periods_per_year(
    index_or_freq: pd.DatetimeIndex | str | pd.offsets.BaseOffset | pd.Timedelta | dt.timedelta,
    calendar: Calendar | None = None,
) -> float:
    """Number of bars in one year, from a DatetimeIndex or an explicit bar frequency.

    Parameters
    ----------
    index_or_freq
        Either the DatetimeIndex of the returns (the bar length is the median spacing;
        the calendar is inferred from weekend bars unless ``calendar`` is given), or a
        bar frequency: a pandas frequency string (``"1D"``, ``"5min"``, ``"1h"``,
        ``"W"``, ``"ME"``, ``"QE"``, ``"YE"``, ``"B"``), a ``DateOffset`` or a
        ``Timedelta``.
    calendar
        ``"24/7"`` or ``"exchange"`` (synonym ``"business"``). Needed for daily and
        intraday frequencies given as strings/offsets; for an index it overrides the
        weekend-based inference. Ignored for weekly and longer bars.

    Returns
    -------
    float
        Bars per year, e.g. 252.0 for daily equities, 365.0 for daily crypto, 105120.0 for
        5-minute crypto bars (see the module table).

    Raises
    ------
    ValidationError
        For an unknown calendar, an unparseable frequency, an index with fewer than two
        timestamps, a bar length that matches no supported frequency, or (for an index)
        when the calendar cannot be inferred because the data never spans a weekend.

    Examples
    --------
    >>> periods_per_year("5min", calendar="24/7")
    105120.0
    >>> periods_per_year(pd.bdate_range("2024-01-01", periods=30))
    252.0
    """
    cal = _check_calendar(calendar)
    if isinstance(index_or_freq, pd.DatetimeIndex):
        return _from_index(index_or_freq, cal)
    if isinstance(index_or_freq, str):
        try:
            offset = to_offset(index_or_freq)
        except ValueError as exc:
            raise ValidationError(
                "index_or_freq",
                index_or_freq,
                "use a pandas frequency such as '1D', '5min', '1h', 'W', 'ME', 'QE' or 'YE'",
                detail=str(exc).split(". Failed")[0],
            ) from exc
        return _from_offset(offset, cal, index_or_freq)
    if isinstance(index_or_freq, pd.offsets.BaseOffset):
        return _from_offset(index_or_freq, cal, index_or_freq)
    if isinstance(index_or_freq, (pd.Timedelta, dt.timedelta)):
        seconds = pd.Timedelta(index_or_freq).total_seconds()
        if not seconds > 0:
            raise ValidationError("index_or_freq", index_or_freq, "pass a positive bar length, e.g. pd.Timedelta('5min')")
        return _from_spacing(seconds, cal, index_or_freq)
    raise ValidationError(
        "index_or_freq",
        type(index_or_freq).__name__,
        "pass a DatetimeIndex, a frequency string such as '1D' or '5min', a DateOffset or a Timedelta",
    )


def resolve_periods_per_year(given: Any, index: pd.Index) -> float:
    """Check an explicit ``periods_per_year`` or infer it from ``index``.

    Parameters
    ----------
    given
        The caller's ``periods_per_year`` (None to infer).
    index
        Index of the returns; must be a DatetimeIndex when ``given`` is None.

    Returns
    -------
    float
        A positive, finite number of bars per year.
    """
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, (int, float, np.integer, np.floating)):
            raise ValidationError("periods_per_year", given, _PPY_FIX, detail="expected a positive number")
        value = float(given)
        if not np.isfinite(value) or value <= 0:
            raise ValidationError("periods_per_year", given, _PPY_FIX, detail="must be positive and finite")
        return value
    if not isinstance(index, pd.DatetimeIndex):
        raise ValidationError(
            "periods_per_year",
            None,
            _PPY_FIX,
            detail=f"it cannot be inferred from a {type(index).__name__}",
        )
    return _from_index(index, None)


def _check_calendar(calendar: Any) -> Literal["24/7", "exchange"] | None:
    if calendar is None:
        return None
    if calendar == "24/7":
        return "24/7"
    if calendar in ("exchange", "business"):
        return "exchange"
    raise ValidationError("calendar", calendar, _CALENDAR_FIX)


def _from_index(index: pd.DatetimeIndex, calendar: Literal["24/7", "exchange"] | None) -> float:
    if len(index) < 2:
        raise ValidationError(
            "index_or_freq", f"DatetimeIndex(len={len(index)})", _PPY_FIX, detail="need at least two timestamps"
        )
    spacing = (index[1:] - index[:-1]).median()
    seconds = pd.Timedelta(spacing).total_seconds()
    if not seconds > 0:
        raise ValidationError(
            "index_or_freq", str(spacing), "sort the index and remove duplicate timestamps", detail="median bar spacing is not positive"
        )
    if calendar is None and seconds < 1.5 * _SECONDS_PER_DAY:
        calendar = _infer_calendar(index)
    result = _from_spacing(seconds, calendar, str(spacing))
    logger.debug("periods_per_year=%s inferred from median spacing %s (calendar %s)", result, spacing, calendar)
    return result


def _infer_calendar(index: pd.DatetimeIndex) -> Literal["24/7", "exchange"]:
    """Weekend bars mean 24/7; a span that crosses a weekend without bars means exchange.

    Weekdays are read in the index's own time zone (UTC when naive), so a Monday-morning
    session in Sydney is not mistaken for a Sunday bar in UTC.
    """
    if bool((index.day_of_week >= 5).any()):
        return "24/7"
    first, last = index[0].normalize(), index[-1].normalize()
    if (last - first) >= pd.Timedelta(days=7) or bool((pd.date_range(first, last, freq="D").day_of_week >= 5).any()):
        return "exchange"
    raise ValidationError(
        "calendar",
        None,
        _CALENDAR_FIX,
        detail=f"the index ({index[0]} to {index[-1]}) never spans a weekend, so it cannot tell crypto from equities",
    )


def _from_offset(offset: pd.offsets.BaseOffset, calendar: Literal["24/7", "exchange"] | None, shown: Any) -> float:
    n = offset.n
    if n <= 0:
        raise ValidationError("index_or_freq", shown, "pass a positive frequency such as '1D' or '5min'")
    if isinstance(offset, pd.offsets.BusinessDay):
        if calendar == "24/7":
            raise ValidationError(
                "calendar", calendar, "use calendar='exchange' with business-day bars, or freq='1D' for 24/7 bars"
            )
        return TRADING_DAYS_PER_YEAR / n
    if isinstance(offset, pd.offsets.Week):
        return WEEKS_PER_YEAR / n
    if isinstance(offset, (pd.offsets.MonthEnd, pd.offsets.MonthBegin, pd.offsets.BusinessMonthEnd, pd.offsets.BusinessMonthBegin)):
        return MONTHS_PER_YEAR / n
    if isinstance(offset, (pd.offsets.QuarterEnd, pd.offsets.QuarterBegin, pd.offsets.BQuarterEnd, pd.offsets.BQuarterBegin)):
        return QUARTERS_PER_YEAR / n
    if isinstance(offset, (pd.offsets.YearEnd, pd.offsets.YearBegin, pd.offsets.BYearEnd, pd.offsets.BYearBegin)):
        return 1.0 / n
    if isinstance(offset, pd.offsets.Day):
        return _from_spacing(n * _SECONDS_PER_DAY, calendar, shown)
    if isinstance(offset, pd.offsets.Tick):
        return _from_spacing(pd.Timedelta(offset).total_seconds(), calendar, shown)
    raise ValidationError(
        "index_or_freq", shown, "use a fixed bar frequency such as '1D', '5min', '1h', 'W', 'ME', 'QE' or 'YE'"
    )


def _from_spacing(seconds: float, calendar: Literal["24/7", "exchange"] | None, shown: Any) -> float:
    days = seconds / _SECONDS_PER_DAY
    for low, high, per_year in _MULTI_DAY_BANDS:
        if low <= days <= high:
            return float(per_year)
    if days > 1.0:
        raise ValidationError(
            "index_or_freq",
            shown,
            _PPY_FIX,
            detail="bar length matches none of daily, weekly, monthly, quarterly or yearly",
        )
    if calendar is None:
        raise ValidationError("calendar", None, _CALENDAR_FIX, detail=f"needed to annualise {shown} bars")
    if days == 1.0:
        return float(CALENDAR_DAYS_PER_YEAR if calendar == "24/7" else TRADING_DAYS_PER_YEAR)
    if calendar == "24/7":
        return CALENDAR_DAYS_PER_YEAR * _SECONDS_PER_DAY / seconds
    if seconds > _SESSION_SECONDS:
        raise ValidationError(
            "index_or_freq",
            shown,
            _PPY_FIX,
            detail=f"exchange bars longer than the {EXCHANGE_SESSION_HOURS}-hour session but shorter than a day",
        )
    return TRADING_DAYS_PER_YEAR * _SESSION_SECONDS / seconds
