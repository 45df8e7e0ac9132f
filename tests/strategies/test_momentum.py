"""Momentum: the sign rule by hand, its O(1) incremental form, and the contract on real bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import load_ohlcv, load_price_table
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import StrategyConformanceError, check_strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.momentum import Momentum, MomentumIncremental
from quantlib_local.strategies.registry import resolve_strategy
from tests.strategies.conftest import close_table, stepped


@pytest.fixture(scope="module")
def eth_bars(shared_data) -> pd.DataFrame:
    return load_ohlcv(shared_data / "crypto" / "ETH_BTC-5m.csv").iloc[:1000]


@pytest.fixture(scope="module")
def stock_closes(shared_data) -> pd.DataFrame:
    # The last 1,200 days include FB's listing (leading NaN) and AAPL/XOM throughout.
    return load_price_table(shared_data / "stock_prices_20.csv")[["AAPL", "XOM", "FB"]].iloc[-1200:]


# ---------------------------------------------------------------------- the rule by hand


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # returns over 2 bars: t2 3/1-1=2, t3 2/2-1=0, t4 1/3-1=-2/3, t5 1/2-1=-1/2
        ({"lookback": 2, "direction": "both"}, [0, 0, 1, 0, -1, -1]),
        ({"lookback": 2, "direction": "long"}, [0, 0, 1, 0, 0, 0]),
        # |r| must exceed 0.5: -1/2 at t5 does not
        ({"lookback": 2, "direction": "both", "threshold": 0.5}, [0, 0, 1, 0, -1, 0]),
        ({"lookback": 1, "direction": "both"}, [0, 1, 1, -1, -1, 0]),
    ],
)
def test_sign_of_the_lookback_return(params: dict, expected: list[int]) -> None:
    closes = close_table([1.0, 2.0, 3.0, 2.0, 1.0, 1.0])
    strategy = Momentum(**params)
    assert strategy.decide(closes)["A"].tolist() == expected
    assert stepped(strategy, closes) == expected


def test_a_missing_close_flattens_its_bar_and_the_bar_lookback_later() -> None:
    closes = close_table([1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0])
    expected = [0, 0, 1, 0, 1, 0, 1]  # t3 is NaN; t5 looks back at t3
    strategy = Momentum(lookback=2, direction="both")
    assert strategy.decide(closes)["A"].tolist() == expected
    assert stepped(strategy, closes) == expected


def test_incremental_form_is_its_own_ring_buffer() -> None:
    live = Momentum(lookback=3).incremental()
    assert isinstance(live, MomentumIncremental)


# ---------------------------------------------------------------------- the contract on real data


@pytest.mark.parametrize(
    "strategy",
    [Momentum(lookback=12, direction="both", threshold=0.002), Momentum(lookback=48)],
    ids=repr,
)
def test_conforms_on_real_crypto_bars(eth_bars: pd.DataFrame, strategy: Momentum) -> None:
    report = check_strategy(strategy, eth_bars)
    assert report.passed and report.checks["incremental_equals_vectorised"]


def test_conforms_on_real_stocks_with_a_late_listing(stock_closes: pd.DataFrame) -> None:
    strategy = Momentum(lookback=20, direction="both")
    check_strategy(strategy, stock_closes)
    targets = strategy.decide(stock_closes)
    first_fb = stock_closes["FB"].first_valid_index()
    assert (targets.loc[:first_fb, "FB"] == 0).all()


def test_a_strategy_that_reads_the_next_close_fails_the_look_ahead_check(eth_bars: pd.DataFrame) -> None:
    class LookAheadMomentum(Momentum):
        def _decide(self, market: MarketData) -> pd.DataFrame:
            close = market.close
            return np.sign(close.shift(-1) - close).fillna(0.0)

    with pytest.raises(StrategyConformanceError, match="no_look_ahead"):
        check_strategy(LookAheadMomentum(lookback=5, direction="both"), eth_bars.iloc[:300])


# ---------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("field", "value"),
    [("lookback", 0), ("lookback", 2.5), ("direction", "short"), ("threshold", -0.01), ("threshold", 2.0)],
)
def test_bad_parameters_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as error:
        Momentum(**{field: value})
    assert error.value.field == field


def test_registered_and_round_trips() -> None:
    assert resolve_strategy("momentum") is Momentum
    strategy = Momentum(lookback=5, direction="both", threshold=0.01)
    assert strategy.with_params() == strategy
    assert strategy.history_length() == 6
