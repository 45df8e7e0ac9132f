"""Tests of quantlib_local.rl.data: the arrays the trading environments step through.

The central property is no look-ahead: row ``t`` of the observations uses only bars ``<= t``,
so the rows of a prefix of the data are bit for bit those of the whole, and changing every
bar after ``t`` leaves rows ``<= t`` unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.backtest import BacktestConfig
from quantlib_local.data import correlated_bars, ou_bars
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.config import EnvironmentConfig, ObservationSettings
from quantlib_local.rl.data import TradingData, prepare_trading_data, standardise
from quantlib_local.strategies.features import FeatureSettings, feature_block, feature_matrix

N_BARS = 700
CONFIG = EnvironmentConfig()  # default features, 250-bar normalisation window


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return ou_bars(N_BARS, kappa=20.0, sigma=0.5, seed=42)


@pytest.fixture(scope="module")
def data(bars: pd.DataFrame) -> TradingData:
    return prepare_trading_data(bars, CONFIG)


def perturb_after(bars: pd.DataFrame, t: int, seed: int = 0) -> pd.DataFrame:
    """``bars`` with every bar after position ``t`` changed (prices scaled per bar, volumes redrawn)."""
    rng = np.random.default_rng(seed)
    changed = bars.copy()
    later = len(bars) - t - 1
    scale = np.exp(rng.normal(0.0, 0.05, later))
    for name in ("open", "high", "low", "close"):
        changed.iloc[t + 1:, changed.columns.get_loc(name)] *= scale
    changed.iloc[t + 1:, changed.columns.get_loc("volume")] = rng.uniform(100.0, 5000.0, later)
    return changed


def test_arrays_have_the_documented_shapes_and_types(data: TradingData, bars: pd.DataFrame) -> None:
    assert data.n_bars == N_BARS
    assert data.observations.shape == (N_BARS, data.n_features) and data.observations.dtype == np.float32
    assert data.n_features == len(data.feature_names)
    assert data.execution == "next_open"  # the bars have opens
    np.testing.assert_array_equal(data.fill_price, bars["open"].to_numpy())
    np.testing.assert_array_equal(data.close, bars["close"].to_numpy())
    assert data.volatility.dtype == np.float64 and (data.volatility >= 0).all()
    assert np.abs(data.observations).max() <= CONFIG.observation.clip


def test_next_close_execution_fills_at_the_close(bars: pd.DataFrame) -> None:
    config = EnvironmentConfig(costs=BacktestConfig(execution="next_close"))
    data = prepare_trading_data(bars, config)
    assert data.execution == "next_close"
    np.testing.assert_array_equal(data.fill_price, bars["close"].to_numpy())
    closes_only = prepare_trading_data(bars[["close"]].rename(columns={"close": "XYZ"}))  # a table of closes
    assert closes_only.execution == "next_close" and closes_only.symbol == "XYZ"


def test_observations_of_a_prefix_equal_those_of_the_whole(bars: pd.DataFrame, data: TradingData) -> None:
    for stop in (data.first_bar + 2, 450, N_BARS - 1):
        prefix = prepare_trading_data(bars.iloc[:stop], CONFIG)
        assert prefix.first_bar == data.first_bar
        np.testing.assert_array_equal(prefix.observations, data.observations[:stop])
        np.testing.assert_array_equal(prefix.volatility, data.volatility[:stop])
        np.testing.assert_array_equal(prefix.close, data.close[:stop])
        np.testing.assert_array_equal(prefix.fill_price, data.fill_price[:stop])


@pytest.mark.parametrize("t", [300, 420, N_BARS - 3])
def test_changing_every_bar_after_t_leaves_rows_up_to_t_unchanged(bars: pd.DataFrame, data: TradingData,
                                                                  t: int) -> None:
    changed = prepare_trading_data(perturb_after(bars, t), CONFIG)
    np.testing.assert_array_equal(changed.observations[: t + 1], data.observations[: t + 1])
    np.testing.assert_array_equal(changed.volatility[: t + 1], data.volatility[: t + 1])
    np.testing.assert_array_equal(changed.close[: t + 1], data.close[: t + 1])
    assert not np.array_equal(changed.observations[t + 1], data.observations[t + 1])  # the change is seen at t + 1


def test_first_bar_is_where_every_feature_and_a_full_normalisation_window_exist(bars: pd.DataFrame,
                                                                                data: TradingData) -> None:
    market_close = bars[["close"]].to_numpy()
    names, block = feature_block(market_close, high=bars[["high"]].to_numpy(), low=bars[["low"]].to_numpy(),
                                 volume=bars[["volume"]].to_numpy(), settings=CONFIG.observation.features)
    raw = block[:, 0, :]
    assert names == data.feature_names
    first_defined = np.array([np.argmax(np.isfinite(raw[:, j])) for j in range(raw.shape[1])])
    assert all(np.isfinite(raw[first_defined[j]:, j]).all() for j in range(raw.shape[1]))
    window = CONFIG.observation.norm_window
    assert data.first_bar == first_defined.max() + window - 1
    assert (data.observations[: data.first_bar] == 0).all()
    assert (data.observations[data.first_bar] != 0).any()

    shorter = prepare_trading_data(bars, EnvironmentConfig(observation=ObservationSettings(norm_window=50)))
    assert shorter.first_bar == data.first_bar - (window - 50)

    # each row is the clipped z-score of the features over the trailing window (population std)
    for t in (data.first_bar, data.first_bar + 1, 500, N_BARS - 1):
        trail = raw[t - window + 1: t + 1]
        expected = np.clip((raw[t] - trail.mean(axis=0)) / trail.std(axis=0), -5.0, 5.0)
        np.testing.assert_allclose(data.observations[t], expected, rtol=1e-5, atol=1e-5)


def test_volatility_is_the_ewma_feature(bars: pd.DataFrame, data: TradingData) -> None:
    raw = feature_matrix(bars, settings=CONFIG.observation.features)
    ewma = raw["ewma_volatility"].to_numpy()
    np.testing.assert_array_equal(data.volatility, np.nan_to_num(ewma, nan=0.0))
    assert (data.volatility[data.first_bar:] > 0).all()


def test_unknown_symbol_is_refused_by_name(bars: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="symbol") as info:
        prepare_trading_data(bars, CONFIG, symbol="NOPE")
    assert info.value.field == "symbol"


def test_several_symbols_need_the_symbol_argument() -> None:
    many = correlated_bars(["AAA", "BBB"], 0.5, 400, mu=0.05, sigma=0.3, seed=1)
    with pytest.raises(ValidationError, match="symbol") as info:
        prepare_trading_data(many, CONFIG)
    assert info.value.field == "symbol"
    assert "AAA" in str(info.value) and "BBB" in str(info.value)


def test_too_few_bars_names_the_field_and_the_bars_needed(bars: pd.DataFrame, data: TradingData) -> None:
    too_short = data.first_bar + 1  # a complete observation but no bar to execute a step on
    with pytest.raises(ValidationError, match="norm_window") as info:
        prepare_trading_data(bars.iloc[:too_short], CONFIG)
    assert info.value.field == "bars"
    assert str(data.first_bar + 2) in str(info.value)
    assert prepare_trading_data(bars.iloc[: data.first_bar + 2], CONFIG).first_bar == data.first_bar


def test_bad_observation_setting_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as info:
        EnvironmentConfig(observation=ObservationSettings(norm_window=1))
    assert info.value.field == "observation.norm_window"


@pytest.fixture(scope="module")
def many_assets() -> pd.DataFrame:
    return correlated_bars(["AAA", "BBB", "CCC"], 0.6, 500, mu=0.05, sigma=[0.3, 0.5, 0.4], seed=5)


def test_many_asset_bars_add_the_cross_asset_correlation(many_assets: pd.DataFrame) -> None:
    settings = ObservationSettings(features=FeatureSettings(correlation_window=30), norm_window=100)
    config = EnvironmentConfig(observation=settings)
    data = prepare_trading_data(many_assets, config, symbol="BBB")
    assert data.symbol == "BBB"
    assert "correlation_30" in data.feature_names
    np.testing.assert_array_equal(data.close, many_assets[("close", "BBB")].to_numpy())
    np.testing.assert_array_equal(data.fill_price, many_assets[("open", "BBB")].to_numpy())

    # the rows are the traded symbol's features, standardised
    raw = feature_matrix(many_assets, settings=settings.features).xs("BBB", level="symbol")
    assert list(raw.columns) == data.feature_names
    expected, first = standardise(raw.to_numpy(), settings)
    assert first == data.first_bar
    np.testing.assert_array_equal(data.observations, expected)
    # correlated with the others (rho 0.6), and the standardised column moves
    assert np.nanmean(raw["correlation_30"].to_numpy()) > 0.4
    column = data.observations[data.first_bar:, data.feature_names.index("correlation_30")]
    assert column.std() > 0.1

    other = prepare_trading_data(many_assets, config, symbol="CCC")
    assert not np.array_equal(other.observations, data.observations)
    one_asset = prepare_trading_data(many_assets.xs("BBB", axis=1, level="symbol"), config)
    assert "correlation_30" not in one_asset.feature_names


def test_sentiment_passed_as_a_feature_is_observed(bars: pd.DataFrame, data: TradingData) -> None:
    rng = np.random.default_rng(9)
    sentiment = pd.DataFrame({"sentiment": rng.normal(0.0, 1.0, N_BARS)}, index=bars.index)
    with_sentiment = prepare_trading_data(bars, CONFIG, features=sentiment)
    assert "sentiment" in with_sentiment.feature_names
    assert with_sentiment.n_features == data.n_features + 1
    column = with_sentiment.feature_names.index("sentiment")
    assert with_sentiment.first_bar == data.first_bar  # sentiment has no warm-up of its own

    # another sentiment path changes that column and nothing else
    sentiment2 = pd.DataFrame({"sentiment": rng.normal(0.0, 1.0, N_BARS)}, index=bars.index)
    other = prepare_trading_data(bars, CONFIG, features=sentiment2)
    rest = [j for j in range(with_sentiment.n_features) if j != column]
    np.testing.assert_array_equal(other.observations[:, rest], with_sentiment.observations[:, rest])
    assert not np.array_equal(other.observations[:, column], with_sentiment.observations[:, column])
    # and that column is the standardised sentiment
    t, window = N_BARS - 1, CONFIG.observation.norm_window
    trail = sentiment["sentiment"].to_numpy()[t - window + 1: t + 1]
    expected = (trail[-1] - trail.mean()) / trail.std()
    assert with_sentiment.observations[t, column] == pytest.approx(np.clip(expected, -5, 5), rel=1e-5, abs=1e-5)
