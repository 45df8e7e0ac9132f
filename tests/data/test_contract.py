"""The OHLCV contract: one test per rejection rule, gap reports and gap filling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import (
    combine_assets,
    fill_missing_bars,
    find_gaps,
    infer_bar_frequency,
    ohlcv_from_rows,
    validate_ohlcv,
)
from quantlib_local.exceptions import OHLCVValidationError, ValidationError


def _broken(bars: pd.DataFrame, rows: list[int], column: str, value: float) -> pd.DataFrame:
    out = bars.copy()
    out.iloc[rows, out.columns.get_loc(column)] = value
    return out


def _assert_names(error: OHLCVValidationError, rule: str, column: str, first: pd.Timestamp | None, count: int) -> None:
    message = str(error)
    assert error.rule == rule
    assert column in message
    assert "Fix:" in message
    if first is not None:
        assert error.first_timestamp == first
        assert str(first) in message
    assert error.count == count
    if count:
        assert f"{count} row(s)" in message


def test_valid_frame_passes_and_is_canonical(bars):
    report = validate_ohlcv(bars.astype({"volume": "int64"}))
    assert report.n_rows == 10 and report.n_symbols == 1
    assert list(report.frame.columns) == ["open", "high", "low", "close", "volume"]
    assert (report.frame.dtypes == "float64").all()
    assert report.frame.index.name == "timestamp" and str(report.frame.index.tz) == "UTC"
    assert report.bar_frequency == pd.Timedelta("1D") and report.calendar == "24/7"
    assert report.gaps.empty


@pytest.mark.parametrize("column", ["open", "high", "low", "close", "volume"])
def test_rejects_nan(bars, column):
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(_broken(bars, [3, 7], column, np.nan))
    _assert_names(info.value, "nan", column, bars.index[3], 2)


def test_rejects_inf(bars):
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(_broken(bars, [5], "volume", np.inf))
    _assert_names(info.value, "inf", "volume", bars.index[5], 1)


def test_rejects_non_monotonic_timestamps(bars):
    shuffled = bars.iloc[[0, 1, 3, 2, 4, 5, 6, 7, 8, 9]]
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(shuffled)
    _assert_names(info.value, "not_increasing", "index", bars.index[2], 1)
    assert "sort_index" in str(info.value)


def test_rejects_duplicate_timestamps(bars):
    duplicated = pd.concat([bars.iloc[:4], bars.iloc[3:]])
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(duplicated)
    _assert_names(info.value, "duplicate_timestamp", "index", bars.index[3], 1)


def test_rejects_high_below_low(bars):
    broken = bars.copy()
    broken.iloc[4, broken.columns.get_loc("high")] = broken["low"].iloc[4] - 5
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(broken)
    _assert_names(info.value, "high_below_low", "high", bars.index[4], 1)


@pytest.mark.parametrize("column", ["open", "close"])
@pytest.mark.parametrize("offset", [+5.0, -5.0])
def test_rejects_open_or_close_outside_range(bars, column, offset):
    broken = bars.copy()
    level = "high" if offset > 0 else "low"
    broken.iloc[[2, 6], broken.columns.get_loc(column)] = broken[level].iloc[[2, 6]] + offset
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(broken)
    _assert_names(info.value, f"{column}_outside_range", column, bars.index[2], 2)


@pytest.mark.parametrize("column", ["open", "high", "low", "close"])
def test_rejects_negative_prices(bars, column):
    broken = bars.copy()
    broken[["open", "high", "low", "close"]] = -broken[["open", "high", "low", "close"]].abs()
    broken[["high", "low"]] = broken[["low", "high"]].to_numpy()
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(broken[["open", "high", "low", "close", "volume"]])
    assert info.value.rule == "non_positive_price"
    assert info.value.count == 10


def test_rejects_zero_price(bars):
    broken = _broken(bars, [1], "low", 0.0)
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(broken)
    _assert_names(info.value, "non_positive_price", "low", bars.index[1], 1)


def test_rejects_negative_volume(bars):
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(_broken(bars, [8], "volume", -1.0))
    _assert_names(info.value, "negative_volume", "volume", bars.index[8], 1)


@pytest.mark.parametrize("missing", ["open", "volume"])
def test_rejects_missing_columns(bars, missing):
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(bars.drop(columns=[missing]))
    assert info.value.rule == "missing_columns"
    assert missing in str(info.value) and "columns" in str(info.value)


def test_rejects_non_numeric_column(bars):
    broken = bars.astype({"close": "object"})
    broken["close"] = broken["close"].astype(str)
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(broken)
    assert info.value.rule == "non_numeric" and "close" in str(info.value)


def test_rejects_naive_index(bars):
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(bars.tz_localize(None))
    assert info.value.rule == "index_not_utc" and "tz_localize('UTC')" in str(info.value)


def test_rejects_non_utc_index(bars):
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(bars.tz_convert("Europe/Berlin"))
    assert info.value.rule == "index_not_utc" and "Europe/Berlin" in str(info.value)


def test_rejects_non_datetime_index(bars):
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(bars.reset_index(drop=True))
    assert info.value.rule == "index_not_datetime"


def test_rejects_non_frame():
    with pytest.raises(ValidationError, match="frame"):
        validate_ohlcv([1, 2, 3])  # type: ignore[arg-type]


def test_gaps_reported_not_filled(bars):
    holed = bars.drop(bars.index[[3, 4, 7]])
    report = validate_ohlcv(holed)
    assert report.n_rows == 7
    assert report.gaps["missing_bars"].tolist() == [2, 1]
    assert report.gaps["after"].tolist() == [bars.index[2], bars.index[6]]
    assert report.missing_bars == 3 and report.filled_bars == 0


def test_gaps_filled_on_request(bars):
    holed = bars.drop(bars.index[[3, 4]])
    report = validate_ohlcv(holed, fill_gaps=True)
    assert report.filled_bars == 2
    assert report.frame.index.equals(bars.index)
    inserted = report.frame.loc[bars.index[3]]
    last_close = bars["close"].iloc[2]
    assert inserted[["open", "high", "low", "close"]].tolist() == [last_close] * 4
    assert inserted["volume"] == 0.0


def test_business_calendar_skips_weekends():
    index = pd.bdate_range("2024-01-01", "2024-01-31", tz="UTC")
    index = index.drop(pd.Timestamp("2024-01-15", tz="UTC"))  # a holiday-like missing weekday
    assert find_gaps(index, pd.Timedelta("1D"), "business")["missing_bars"].tolist() == [1]
    close = np.linspace(10, 11, len(index))
    frame = pd.DataFrame({"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=index)
    report = validate_ohlcv(frame)
    assert report.calendar == "business" and report.missing_bars == 1
    filled = validate_ohlcv(frame, fill_gaps=True).frame
    assert pd.Timestamp("2024-01-15", tz="UTC") in filled.index
    assert not (filled.index.day_of_week >= 5).any()


def test_bar_frequency_is_inferred_in_nanoseconds_whatever_the_index_unit(bars):
    coarse = bars.copy()
    coarse.index = coarse.index.as_unit("s")
    assert infer_bar_frequency(coarse.index) == pd.Timedelta("1D")
    assert validate_ohlcv(coarse).frame.index.unit == "ns"


def test_bad_bar_frequency_and_calendar(bars):
    with pytest.raises(ValidationError, match="bar_frequency"):
        validate_ohlcv(bars, bar_frequency="soon")
    with pytest.raises(ValidationError, match="calendar"):
        validate_ohlcv(bars, calendar="weekly")  # type: ignore[arg-type]


def test_multi_asset_allows_blanks_only_outside_listing(bars):
    late = bars.iloc[4:] * 2
    frame = combine_assets({"AAA": bars, "BBB": late})
    assert frame["close"].columns.tolist() == ["AAA", "BBB"]
    assert frame["close"]["BBB"].isna().sum() == 4
    holed = frame.copy()
    holed.loc[bars.index[6], ("close", "BBB")] = np.nan
    with pytest.raises(OHLCVValidationError) as info:
        validate_ohlcv(holed)
    _assert_names(info.value, "nan", "close[BBB]", bars.index[6], 1)


def test_multi_asset_rule_names_the_symbol(bars):
    frame = combine_assets({"AAA": bars, "BBB": bars * 1.0})
    frame.loc[bars.index[5], ("volume", "BBB")] = -3.0
    with pytest.raises(OHLCVValidationError, match=r"volume\[BBB\]"):
        validate_ohlcv(frame)


def test_combine_assets_fills_holes_only_on_request(bars):
    holed = bars.drop(bars.index[5])
    with pytest.raises(OHLCVValidationError, match="nan"):
        combine_assets({"AAA": bars, "BBB": holed})
    frame = combine_assets({"AAA": bars, "BBB": holed}, fill_missing=True)
    assert frame.loc[bars.index[5], ("close", "BBB")] == bars["close"].iloc[4]
    assert frame.loc[bars.index[5], ("volume", "BBB")] == 0.0


def test_fill_missing_bars_keeps_listing_window(bars):
    frame = combine_assets({"AAA": bars, "BBB": bars.iloc[:6]})
    filled = fill_missing_bars(frame)
    assert filled["close"]["BBB"].iloc[6:].isna().all()


def test_ohlcv_from_rows_epoch_milliseconds():
    rows = [[1706630400000, 43519.34, 43936, 43171, 43488.71, 20.55495], [1706634000000, 43488.71, 43832.08, 43345.9, 43600.0, 9.1]]
    frame = ohlcv_from_rows(rows)
    assert frame.index[0] == pd.Timestamp("2024-01-30 16:00", tz="UTC")
    assert frame["close"].tolist() == [43488.71, 43600.0]
    with pytest.raises(ValidationError, match="rows"):
        ohlcv_from_rows([[1, 2, 3]])


def test_real_crypto_bars_validate(shared_data):
    from quantlib_local.data import load_ohlcv

    report = validate_ohlcv(load_ohlcv(shared_data / "crypto" / "ETH_BTC-5m.csv"))
    assert report.bar_frequency == pd.Timedelta("5min") and report.calendar == "24/7"
    assert report.n_rows == 5760
