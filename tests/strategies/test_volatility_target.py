"""Volatility targeting: sizing by hand, against pandas, the annualisation rule and the contract."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import load_ohlcv, load_price_table
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import SmaCrossover, check_strategy
from quantlib_local.strategies.momentum import Momentum
from quantlib_local.strategies.pairs import PairsTrading
from quantlib_local.strategies.registry import resolve_strategy
from quantlib_local.strategies.volatility_target import VolatilityTargeted
from tests.strategies.conftest import close_table


@pytest.fixture(scope="module")
def eth_bars(shared_data) -> pd.DataFrame:
    # Starts on Wednesday 2018-01-10 04:55; the first weekend bar is bar 823 (Saturday 00:00).
    return load_ohlcv(shared_data / "crypto" / "ETH_BTC-5m.csv").iloc[:1000]


@pytest.fixture(scope="module")
def stock_closes(shared_data) -> pd.DataFrame:
    return load_price_table(shared_data / "stock_prices_20.csv")[["AAPL", "XOM", "FB"]].iloc[-1000:]


# ---------------------------------------------------------------------- sizing by hand


def test_alternating_ten_percent_moves_by_hand() -> None:
    # Returns +10 %, -10 %, ...: the sample std of two of them is 0.1 * sqrt(2); with one bar a
    # year that is the annual volatility, so a 10 % target holds 1 / sqrt(2) against the signal.
    closes = close_table([100.0, 110.0, 99.0, 108.9, 98.01, 107.811])
    inner = Momentum(lookback=1, direction="both")
    strategy = VolatilityTargeted(inner, target_volatility=0.10, window=2, max_leverage=1.0, periods_per_year=1)
    half = 1 / math.sqrt(2)
    expected = [0.0, 0.0, -half, half, -half, half]
    assert strategy.decide(closes)["A"].tolist() == pytest.approx(expected, abs=1e-12)
    live = strategy.incremental()
    stepped = [float(live.update(closes.iloc[i]).iloc[0]) for i in range(len(closes))]
    assert stepped == pytest.approx(expected, abs=1e-12)


def test_low_volatility_is_capped_and_zero_or_unknown_volatility_is_flat() -> None:
    closes = close_table([100.0, 101.0, 102.0, 103.0, 103.0, 103.0, np.nan, 104.0, 105.0, 106.0])
    inner = Momentum(lookback=4, direction="both")  # long from bar 4 on, except at the missing bar
    assert inner.decide(closes)["A"].tolist() == [0, 0, 0, 0, 1, 1, 0, 1, 1, 1]
    strategy = VolatilityTargeted(inner, target_volatility=0.5, window=2, max_leverage=3.0, periods_per_year=1)
    # bar 4: 0.5 / std(1 %, 0 %) is far above the cap; bar 5: two flat returns (std 0); bars 6-8:
    # windows holding the missing bar's returns; bar 9: two ~0.95 % returns, std ~6e-5 -> cap.
    assert strategy.decide(closes)["A"].tolist() == [0, 0, 0, 0, 3, 0, 0, 0, 0, 3]


def test_inner_weights_are_scaled_then_capped(stock_closes: pd.DataFrame) -> None:
    pair = stock_closes[["AAPL", "XOM"]]
    inner = PairsTrading(hedge_window=60, z_window=20, entry_z=1.5)
    strategy = VolatilityTargeted(inner, target_volatility=0.2, window=20, max_leverage=0.8, periods_per_year=252)
    weights = strategy.decide(pair)
    inner_weights = inner.decide(pair)
    vol = pair.pct_change(fill_method=None).rolling(20).std() * math.sqrt(252)
    expected = (inner_weights * 0.2 / vol).clip(-0.8, 0.8).fillna(0.0)
    np.testing.assert_allclose(weights.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    assert (weights.abs().to_numpy() == 0.8).any() and (weights.abs().to_numpy() < 0.8).any()


# ---------------------------------------------------------------------- annualisation


def test_daily_stocks_infer_252_bars_a_year(stock_closes: pd.DataFrame) -> None:
    inner = Momentum(lookback=10, direction="both")
    inferred = VolatilityTargeted(inner).decide(stock_closes)
    explicit = VolatilityTargeted(inner, periods_per_year=252).decide(stock_closes)
    pd.testing.assert_frame_equal(inferred, explicit)


def test_intraday_crypto_waits_for_a_weekend_to_know_its_calendar(eth_bars: pd.DataFrame) -> None:
    inner = Momentum(lookback=12, direction="both")
    inferred = VolatilityTargeted(inner).decide(eth_bars)["asset"]
    explicit = VolatilityTargeted(inner, periods_per_year=105_120).decide(eth_bars)["asset"]
    first_weekend = int(np.flatnonzero(eth_bars.index.day_of_week >= 5)[0])
    assert (inferred.iloc[:first_weekend] == 0).all() and (explicit.iloc[:first_weekend] != 0).any()
    pd.testing.assert_series_equal(inferred.iloc[first_weekend:], explicit.iloc[first_weekend:])


# ---------------------------------------------------------------------- the contract on real data


def test_conforms_on_real_crypto_with_an_inferred_calendar(eth_bars: pd.DataFrame) -> None:
    strategy = VolatilityTargeted(Momentum(lookback=24, direction="both"), target_volatility=0.3, window=48)
    assert check_strategy(strategy, eth_bars).passed


def test_conforms_on_real_stocks_with_a_late_listing(stock_closes: pd.DataFrame) -> None:
    strategy = VolatilityTargeted(Momentum(lookback=20, direction="both"), max_leverage=2.0, periods_per_year=252)
    assert check_strategy(strategy, stock_closes.iloc[-600:]).passed


def test_conforms_around_a_weight_strategy(stock_closes: pd.DataFrame) -> None:
    inner = PairsTrading(hedge_window=60, z_window=20, entry_z=1.5)
    assert check_strategy(VolatilityTargeted(inner, target_volatility=0.1), stock_closes[["AAPL", "XOM"]]).passed


# ---------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"strategy": "momentum"}, "strategy"),
        ({"target_volatility": 0.0}, "target_volatility"),
        ({"window": 1}, "window"),
        ({"max_leverage": 0.0}, "max_leverage"),
        ({"periods_per_year": -252}, "periods_per_year"),
        ({"periods_per_year": "daily"}, "periods_per_year"),
    ],
)
def test_bad_parameters_name_the_field(params: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        VolatilityTargeted(**{"strategy": Momentum(), **params})
    assert error.value.field == field


def test_history_length_and_parameters() -> None:
    assert resolve_strategy("volatility_target") is VolatilityTargeted
    inner = Momentum(lookback=30)
    assert VolatilityTargeted(inner, window=20, periods_per_year=252).history_length() == 31
    assert VolatilityTargeted(inner, window=40, periods_per_year=252).history_length() == 41
    assert VolatilityTargeted(inner, window=20).history_length() is None  # inferred annualisation
    assert VolatilityTargeted(PairsTrading(), periods_per_year=252).history_length() is None
    strategy = VolatilityTargeted(SmaCrossover(fast=5, slow=20), target_volatility=0.2)
    assert strategy.with_params(window=30).strategy == SmaCrossover(fast=5, slow=20)
    assert strategy.required_fields == ("close",) and strategy.output == "weights"
