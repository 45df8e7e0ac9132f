"""Bars per year from an index or a frequency (quantlib_local.risk.annualisation).

Reference values are arithmetic from the conventions in the module docstring:
365 days x 1,440 minutes = 525,600; / 5 = 105,120; 365 x 24 = 8,760; exchange days 252,
exchange session 6.5 h = 390 minutes, so 252 x 390 = 98,280 one-minute bars and
252 x 6.5 = 1,638 hourly bars.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import periods_per_year, sharpe_ratio


@pytest.mark.parametrize(
    ("freq", "calendar", "expected"),
    [
        ("1D", "exchange", 252.0),
        ("1D", "24/7", 365.0),
        ("1min", "24/7", 525_600.0),
        ("5min", "24/7", 105_120.0),
        ("1h", "24/7", 8_760.0),
        ("1min", "exchange", 98_280.0),
        ("5min", "exchange", 19_656.0),
        ("1h", "exchange", 1_638.0),
        ("1D", "business", 252.0),  # the calendar name used by quantlib_local.data.contract
        ("B", None, 252.0),
        ("W", None, 52.0),
        ("W-FRI", "exchange", 52.0),
        ("ME", None, 12.0),
        ("QE", None, 4.0),
        ("YE", None, 1.0),
        ("2W", None, 26.0),
    ],
)
def test_frequency_strings(freq: str, calendar: str | None, expected: float) -> None:
    assert periods_per_year(freq, calendar=calendar) == expected


def test_timedelta_and_offset_inputs() -> None:
    assert periods_per_year(pd.Timedelta("5min"), calendar="24/7") == 105_120.0
    assert periods_per_year(dt.timedelta(hours=1), calendar="24/7") == 8_760.0
    assert periods_per_year(pd.offsets.Minute(15), calendar="exchange") == 252 * 26.0


def test_daily_equity_index_without_weekends_is_252() -> None:
    index = pd.bdate_range("2024-01-01", periods=60)
    assert periods_per_year(index) == 252.0


def test_daily_index_with_weekends_is_365() -> None:
    index = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
    assert periods_per_year(index) == 365.0


def test_crypto_minute_and_five_minute_bars() -> None:
    assert periods_per_year(pd.date_range("2024-01-05", periods=5_000, freq="min", tz="UTC")) == 525_600.0
    assert periods_per_year(pd.date_range("2024-01-05", periods=2_000, freq="5min", tz="UTC")) == 105_120.0
    assert periods_per_year(pd.date_range("2024-01-05", periods=500, freq="h", tz="UTC")) == 8_760.0


def test_equity_intraday_bars_use_the_exchange_session() -> None:
    # Ten trading days of 5-minute bars 14:30-21:00 UTC (NYSE regular hours), no weekends.
    days = pd.bdate_range("2024-03-04", periods=10, tz="UTC")
    index = pd.DatetimeIndex(
        [day + pd.Timedelta(hours=14, minutes=30) + k * pd.Timedelta("5min") for day in days for k in range(78)]
    )
    assert periods_per_year(index) == 19_656.0


def test_median_spacing_ignores_gaps() -> None:
    index = pd.date_range("2024-01-05", periods=1_000, freq="5min", tz="UTC")  # Fri-Mon
    index = index.delete(slice(100, 160))  # a five-hour outage
    assert periods_per_year(index) == 105_120.0


def test_weekly_and_monthly_index() -> None:
    assert periods_per_year(pd.date_range("2020-01-03", periods=40, freq="W-FRI")) == 52.0
    assert periods_per_year(pd.date_range("2020-01-31", periods=40, freq="ME")) == 12.0


def test_explicit_calendar_overrides_inference() -> None:
    index = pd.date_range("2024-01-01", periods=60, freq="D")
    assert periods_per_year(index, calendar="exchange") == 252.0


def test_weekday_is_read_in_the_index_time_zone() -> None:
    # Sydney sessions open Monday 10:00 local = Sunday 23:00 UTC; in local time there is no weekend bar.
    days = pd.bdate_range("2024-03-04", periods=15)
    local = pd.DatetimeIndex([d + pd.Timedelta(hours=10) for d in days]).tz_localize("Australia/Sydney")
    assert periods_per_year(local) == 252.0
    assert periods_per_year(local.tz_convert("UTC")) == 365.0  # the same bars seen in UTC do fall on Sundays


def test_metrics_infer_the_factor_from_the_index() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(0.001, 0.01, 400)
    crypto = pd.Series(values, index=pd.date_range("2024-01-01", periods=400, freq="D", tz="UTC"))
    equity = pd.Series(values, index=pd.bdate_range("2024-01-01", periods=400))
    assert sharpe_ratio(crypto) == pytest.approx(sharpe_ratio(crypto, periods_per_year=365), rel=1e-15)
    assert sharpe_ratio(equity) == pytest.approx(sharpe_ratio(equity, periods_per_year=252), rel=1e-15)
    assert sharpe_ratio(crypto) / sharpe_ratio(equity) == pytest.approx(np.sqrt(365 / 252), rel=1e-12)


def test_unsupported_bar_length_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        periods_per_year(pd.date_range("2024-01-01", periods=50, freq="2D"))
    assert info.value.field == "index_or_freq"
    assert "periods_per_year" in str(info.value)
