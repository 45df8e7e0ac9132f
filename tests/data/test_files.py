"""File loaders: column spellings found in the wild, epoch units, JSON rows, wide price tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import (
    combine_assets,
    load_bundled,
    load_ohlcv,
    load_ohlcv_many,
    load_price_table,
)
from quantlib_local.exceptions import (
    DataSourceError,
    OHLCVValidationError,
    ValidationError,
)


def _yahoo_csv(bars: pd.DataFrame) -> pd.DataFrame:
    out = bars.rename(columns=str.title).rename_axis("Date").reset_index()
    out["Date"] = out["Date"].dt.strftime("%Y-%m-%d")
    out["Adj Close"] = out["Close"] * 0.5
    return out


def test_yahoo_spelling_with_adjusted_close(tmp_path, bars):
    path = tmp_path / "yahoo.csv"
    _yahoo_csv(bars).to_csv(path, index=False)
    adjusted = load_ohlcv(path)
    assert np.allclose(adjusted["close"], bars["close"] * 0.5)
    assert np.allclose(adjusted["high"], bars["high"] * 0.5)
    assert np.allclose(adjusted["volume"], bars["volume"])
    raw = load_ohlcv(path, adjust=False)
    assert np.allclose(raw["close"], bars["close"])
    assert adjusted.attrs["source"] == f"file:{path}"


@pytest.mark.parametrize("unit,scale", [("s", 10**9), ("ms", 10**6), ("us", 10**3), ("ns", 1)])
def test_epoch_timestamps_in_any_unit(tmp_path, bars, unit, scale):
    table = bars.reset_index()
    table["timestamp"] = table["timestamp"].astype("datetime64[ns, UTC]").astype("int64") // scale
    path = tmp_path / f"epoch_{unit}.csv"
    table.to_csv(path, index=False)
    loaded = load_ohlcv(path)
    assert loaded.index.equals(bars.index.as_unit("ns"))


@pytest.mark.parametrize("columns", [
    ["open_time", "o", "h", "l", "c", "v"],
    ["Datetime", "Open Price", "High Price", "Low Price", "Close Price", "Volume"],
    ["time", "OPEN", "HIGH", "LOW", "LAST", "VOL"],
])
def test_column_spellings(tmp_path, bars, columns):
    table = bars.reset_index()
    table.columns = columns
    path = tmp_path / "bars.csv"
    table.to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_ohlcv(path), bars, check_freq=False, check_index_type=False)


def test_parquet_and_feather_round_trip(tmp_path, bars):
    bars.to_parquet(tmp_path / "bars.parquet")
    bars.reset_index().to_feather(tmp_path / "bars.feather")
    for name in ("bars.parquet", "bars.feather"):
        loaded = load_ohlcv(tmp_path / name)
        assert np.array_equal(loaded.to_numpy(), bars.to_numpy())


def test_freqtrade_json_rows(tmp_path, bars):
    rows = [[int(t.value // 10**6), *row] for t, row in zip(bars.index, bars.to_numpy().tolist())]
    path = tmp_path / "ETH_BTC-1d.json"
    path.write_text(json.dumps(rows))
    loaded = load_ohlcv(path)
    assert np.array_equal(loaded.to_numpy(), bars.to_numpy())
    path.write_text('{"not": "rows"}')
    with pytest.raises(ValidationError, match="path"):
        load_ohlcv(path)


def test_naive_timestamps_are_localised_with_the_given_zone(tmp_path, bars):
    table = bars.reset_index()
    table["timestamp"] = table["timestamp"].dt.tz_localize(None)
    path = tmp_path / "bars.csv"
    table.to_csv(path, index=False)
    berlin = load_ohlcv(path, timezone="Europe/Berlin")
    assert (berlin.index == bars.index - pd.Timedelta(hours=1)).all()


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist"):
        load_ohlcv(tmp_path / "missing.csv")
    odd = tmp_path / "bars.xlsx"
    odd.write_text("x")
    with pytest.raises(ValidationError, match="supported formats"):
        load_ohlcv(odd)


def test_file_without_time_or_price_columns(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1.0], "b": [2.0]}).to_csv(path, index=False)
    with pytest.raises(ValidationError, match="time column"):
        load_ohlcv(path)
    pd.DataFrame({"date": ["2024-01-01"], "close": [1.0]}).to_csv(path, index=False)
    with pytest.raises(ValidationError, match="lacks"):
        load_ohlcv(path)


def test_broken_bars_in_a_file_are_rejected(tmp_path, bars):
    broken = bars.copy()
    broken.iloc[2, 1] = 0.1  # high far below low
    broken.to_csv(tmp_path / "broken.csv")
    with pytest.raises(OHLCVValidationError, match="high"):
        load_ohlcv(tmp_path / "broken.csv")


def test_price_table_keeps_blanks_before_listing_only(shared_data, tmp_path):
    prices = load_price_table(shared_data / "stock_prices_20.csv")
    assert prices.shape[1] == 20 and str(prices.index.tz) == "UTC"
    first_fb = prices["FB"].first_valid_index()
    assert prices["FB"].loc[:first_fb].isna().sum() == prices.index.get_loc(first_fb)
    holed = prices.copy()
    holed.iloc[-3, 0] = np.nan
    holed.rename_axis("date").to_csv(tmp_path / "holed.csv")
    with pytest.raises(ValidationError, match="GOOG"):
        load_price_table(tmp_path / "holed.csv")


def test_real_crypto_many_assets(shared_data):
    paths = {p.name.split("-")[0]: p for p in sorted((shared_data / "crypto").glob("*_BTC-5m.csv"))}
    with pytest.raises(OHLCVValidationError, match="nan"):
        load_ohlcv_many(paths)
    frame = load_ohlcv_many(paths, fill_missing=True)
    assert frame["close"].shape[1] == len(paths)
    assert frame.columns.names == ["field", "symbol"]


def test_bundled_sp500_is_real_and_valid():
    frame = load_bundled("sp500")
    assert frame.attrs["source"] == "bundled:sp500"
    assert frame.index[0] == pd.Timestamp("1999-01-04", tz="UTC") and len(frame) == 5031
    # First close of the S&P 500 in 1999 (Yahoo Finance ^GSPC, 1999-01-04): 1228.099976
    assert frame["close"].iloc[0] == pytest.approx(1228.099976, rel=1e-9)
    with pytest.raises(ValidationError, match="name"):
        load_bundled("dow")


def test_combine_requires_frames():
    with pytest.raises(ValidationError, match="frames"):
        combine_assets({})
