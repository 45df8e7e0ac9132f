"""The eq. 6 feature vector: no look-ahead, hand-checked values, columns by available data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import combine_assets, load_ohlcv, load_price_table
from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators import atr, rsi, sma
from quantlib_local.strategies.features import FeatureSettings, feature_block, feature_matrix, feature_names
from quantlib_local.strategies.market_data import MarketData


@pytest.fixture(scope="module")
def crypto(shared_data) -> pd.DataFrame:
    """Two real 5-minute pairs (OHLCV, many-asset shape), 700 bars."""
    frames = {
        sym: load_ohlcv(shared_data / "crypto" / f"{sym}_BTC-5m.csv").iloc[:700] for sym in ("ETH", "LTC")
    }
    return combine_assets(frames)


@pytest.fixture(scope="module")
def stocks(shared_data) -> pd.DataFrame:
    """Daily closes of five stocks around BABA's listing (2014-09-19): NaN before it."""
    prices = load_price_table(shared_data / "stock_prices_20.csv")
    return prices[["GOOG", "FB", "BABA", "XOM", "JPM"]].loc["2014-01":"2015-06"]


def _sentiment(index: pd.DatetimeIndex) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"sentiment": rng.uniform(-1, 1, len(index))}, index=index)


def test_columns_follow_the_available_data(crypto: pd.DataFrame, stocks: pd.DataFrame) -> None:
    full = feature_matrix(crypto, _sentiment(crypto.index))
    assert list(full.columns) == [
        "ret_1", "ret_5", "ret_20", "price_sma_20", "log_volume_change", "volume_zscore_20", "sentiment",
        "rsi_14", "macd_hist", "bollinger_pct_b", "atr_ratio_14", "volatility_20", "ewma_volatility",
        "correlation_60",
    ]
    assert full.index.names == ["timestamp", "symbol"]
    assert full.shape[0] == len(crypto) * 2
    closes_only = feature_matrix(stocks[["XOM"]])
    assert list(closes_only.columns) == feature_names(n_symbols=1)
    assert not {"log_volume_change", "sentiment", "atr_ratio_14", "correlation_60"} & set(closes_only.columns)


@pytest.mark.parametrize("use_crypto", [True, False])
def test_no_look_ahead_prefix_rows_are_identical(use_crypto: bool, crypto: pd.DataFrame, stocks: pd.DataFrame) -> None:
    bars = crypto if use_crypto else stocks
    features = _sentiment(bars.index) if use_crypto else None
    full = feature_matrix(bars, features)
    for cut in (1, 2, 59, 60, 61, 150, 333, len(bars) - 1):
        head = feature_matrix(bars.iloc[:cut], None if features is None else features.iloc[:cut])
        expected = full.iloc[: cut * len(head.index.unique("symbol"))]
        pd.testing.assert_frame_equal(head, expected, check_exact=True)


def test_warm_up_is_nan_and_a_late_listing_starts_its_own_warm_up(stocks: pd.DataFrame) -> None:
    x = feature_matrix(stocks)
    xom = x.xs("XOM", level="symbol")
    assert xom.iloc[0].isna().all()  # no return on the first bar
    assert xom.iloc[60:].notna().all().all()  # past the longest window (correlation, 60 returns)
    baba = x.xs("BABA", level="symbol")
    listing = stocks["BABA"].first_valid_index()
    assert baba.loc[:listing].isna().all().all()
    after = baba.loc[listing:]
    assert after["ret_1"].iloc[1:].notna().all()
    assert after["volatility_20"].iloc[:20].isna().all() and after["volatility_20"].iloc[20:].notna().all()
    # the others' correlation keeps going: BABA's missing return is simply not in their mean
    assert x.xs("GOOG", level="symbol").loc[listing:, "correlation_60"].notna().all()


def test_values_by_hand(crypto: pd.DataFrame) -> None:
    x = feature_matrix(crypto, _sentiment(crypto.index))
    close, volume = crypto["close"], crypto["volume"]
    high, low = crypto["high"], crypto["low"]
    eth = x.xs("ETH", level="symbol")
    c, v = close["ETH"], volume["ETH"]
    t = 500
    assert eth["ret_1"].iloc[t] == pytest.approx(c.iloc[t] / c.iloc[t - 1] - 1, rel=1e-12)
    assert eth["ret_5"].iloc[t] == pytest.approx(c.iloc[t] / c.iloc[t - 5] - 1, rel=1e-12)
    assert eth["ret_20"].iloc[t] == pytest.approx(c.iloc[t] / c.iloc[t - 20] - 1, rel=1e-12)
    assert eth["price_sma_20"].iloc[t] == pytest.approx(c.iloc[t] / c.iloc[t - 19 : t + 1].mean() - 1, rel=1e-9)
    assert eth["log_volume_change"].iloc[t] == pytest.approx(np.log1p(v.iloc[t]) - np.log1p(v.iloc[t - 1]), rel=1e-12)
    window = v.iloc[t - 19 : t + 1]
    assert eth["volume_zscore_20"].iloc[t] == pytest.approx((v.iloc[t] - window.mean()) / window.std(ddof=0), rel=1e-9)
    assert eth["sentiment"].iloc[t] == _sentiment(crypto.index)["sentiment"].iloc[t]
    assert eth["rsi_14"].iloc[t] == pytest.approx(rsi(c, 14).iloc[t], rel=1e-12)
    closes = c.iloc[t - 19 : t + 1]
    mid, std = closes.mean(), closes.std(ddof=0)
    assert eth["bollinger_pct_b"].iloc[t] == pytest.approx((c.iloc[t] - (mid - 2 * std)) / (4 * std), rel=1e-7)
    assert eth["atr_ratio_14"].iloc[t] == pytest.approx(atr(high["ETH"], low["ETH"], c, 14).iloc[t] / c.iloc[t], rel=1e-12)
    # MACD histogram from pandas EMAs (TA-Lib seeding is forgotten after 500 bars) over the close
    fast, slow = c.ewm(span=12, adjust=False).mean(), c.ewm(span=26, adjust=False).mean()
    line = fast - slow
    hist = line - line.ewm(span=9, adjust=False).mean()
    assert eth["macd_hist"].iloc[t] == pytest.approx(hist.iloc[t] / c.iloc[t], rel=1e-6, abs=1e-12)
    returns = c.pct_change()
    assert eth["volatility_20"].iloc[t] == pytest.approx(returns.iloc[t - 19 : t + 1].std(ddof=1), rel=1e-10)
    # EWMA: seed = mean of r^2 over returns 1..20, then the RiskMetrics recursion
    variance = float((returns.iloc[1:21] ** 2).mean())
    for r in returns.iloc[21 : t + 1]:
        variance = 0.94 * variance + 0.06 * r * r
    assert eth["ewma_volatility"].iloc[t] == pytest.approx(np.sqrt(variance), rel=1e-10)
    # two symbols: the "mean of the others" of ETH is LTC itself
    other = close["LTC"].pct_change()
    assert eth["correlation_60"].iloc[t] == pytest.approx(returns.iloc[t - 59 : t + 1].corr(other.iloc[t - 59 : t + 1]),
                                                         rel=1e-10)


def test_correlation_uses_the_equal_weighted_mean_of_the_others(stocks: pd.DataFrame) -> None:
    prices = stocks[["GOOG", "XOM", "JPM"]]
    x = feature_matrix(prices, settings=FeatureSettings(correlation_window=30))
    returns = prices.pct_change()
    others = returns[["XOM", "JPM"]].mean(axis=1)
    expected = returns["GOOG"].rolling(30).corr(others)
    got = x.xs("GOOG", level="symbol")["correlation_30"]
    np.testing.assert_allclose(got.to_numpy()[31:], expected.to_numpy()[31:], rtol=1e-9)
    assert got.iloc[:30].isna().all()


def test_block_and_frame_agree_and_sentiment_per_symbol(crypto: pd.DataFrame) -> None:
    per_symbol = pd.DataFrame(
        np.arange(len(crypto) * 2, dtype=float).reshape(-1, 2),
        index=crypto.index,
        columns=pd.MultiIndex.from_product([["sentiment"], ["ETH", "LTC"]]),
    )
    x = feature_matrix(MarketData.from_frames(crypto, per_symbol))
    assert x.loc[(crypto.index[3], "LTC"), "sentiment"] == 7.0
    names, block = feature_block(crypto["close"].to_numpy(), sentiment=per_symbol["sentiment"].to_numpy())
    assert names == feature_names(has_sentiment=True, n_symbols=2)
    np.testing.assert_array_equal(block[:, 1, 0], x.xs("LTC", level="symbol")["ret_1"].to_numpy())


def test_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="macd_spans"):
        FeatureSettings(macd_spans=(26, 12, 9))
    with pytest.raises(ValidationError, match="return_windows"):
        FeatureSettings(return_windows=(0, 5))
    with pytest.raises(ValidationError, match="ewma_lambda"):
        FeatureSettings(ewma_lambda=1.0)
    with pytest.raises(ValidationError, match="high/low"):
        feature_block(np.ones((30, 1)), high=np.ones((30, 1)))
    custom = FeatureSettings(return_windows=(2,), trend_window=10, volatility_window=5)
    names = feature_matrix(pd.DataFrame({"A": np.linspace(1, 2, 40)},
                                        index=pd.date_range("2024", periods=40, freq="D", tz="UTC")),
                           settings=custom).columns
    assert list(names)[:2] == ["ret_2", "price_sma_10"] and "volatility_5" in names


def test_sma_helper_matches_feature(stocks: pd.DataFrame) -> None:
    x = feature_matrix(stocks[["XOM"]])
    expected = stocks["XOM"] / sma(stocks["XOM"], 20) - 1
    np.testing.assert_array_equal(x["price_sma_20"].to_numpy(), expected.to_numpy())
