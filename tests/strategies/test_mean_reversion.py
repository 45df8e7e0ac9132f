"""Mean reversion: -sign(P - SMA) with an entry band, by hand and on real bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import load_ohlcv, load_price_table
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import check_strategy
from quantlib_local.strategies.mean_reversion import MeanReversion, rolling_deviation_and_std
from quantlib_local.strategies.registry import resolve_strategy
from tests.strategies.conftest import close_table, stepped


@pytest.fixture(scope="module")
def eth_bars(shared_data) -> pd.DataFrame:
    return load_ohlcv(shared_data / "crypto" / "ETH_BTC-5m.csv").iloc[:1000]


@pytest.fixture(scope="module")
def stock_closes(shared_data) -> pd.DataFrame:
    return load_price_table(shared_data / "stock_prices_20.csv")[["AAPL", "XOM", "FB"]].iloc[-1200:]


# ---------------------------------------------------------------------- the rule by hand

# Window 3 over [1, 1, 4, 1]: at t2 the mean is 2, P - SMA = +2, population std sqrt(2),
# z = +1.414; at t3 the mean is 2, P - SMA = -1, std sqrt(2), z = -0.707.
HAND = [1.0, 1.0, 4.0, 1.0]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"window": 3, "direction": "both"}, [0, 0, -1, 1]),
        ({"window": 3, "direction": "long"}, [0, 0, 0, 1]),
        ({"window": 3, "direction": "both", "entry_z": 1.4}, [0, 0, -1, 0]),
        ({"window": 3, "direction": "both", "entry_z": 1.5}, [0, 0, 0, 0]),
        ({"window": 3, "direction": "both", "entry_z": 0.7}, [0, 0, -1, 1]),
        ({"window": 3, "direction": "both", "entry_z": 0.71}, [0, 0, -1, 0]),
    ],
)
def test_minus_sign_of_the_gap_beyond_the_band(params: dict, expected: list[int]) -> None:
    strategy = MeanReversion(**params)
    assert strategy.decide(close_table(HAND))["A"].tolist() == expected
    assert stepped(strategy, close_table(HAND)) == expected


def test_a_flat_price_is_no_gap() -> None:
    # 0.1 + 0.1 + 0.1 != 0.3 in floating point; deviations from the last close keep it exact.
    closes = close_table([0.1] * 6 + [0.2])
    assert MeanReversion(window=3, direction="both").decide(closes)["A"].tolist() == [0, 0, 0, 0, 0, 0, -1]


def test_window_statistics_match_pandas_and_depend_only_on_the_window(eth_bars: pd.DataFrame) -> None:
    close = eth_bars[["close"]].to_numpy()
    deviation, std = rolling_deviation_and_std(close, 20)
    rolling = eth_bars["close"].rolling(20)
    np.testing.assert_allclose(deviation[:, 0], eth_bars["close"] - rolling.mean(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(std[:, 0], rolling.std(ddof=0), rtol=1e-9)
    _, sample_std = rolling_deviation_and_std(close, 20, ddof=1)
    np.testing.assert_allclose(sample_std[:, 0], rolling.std(ddof=1), rtol=1e-9)
    last_deviation, last_std = rolling_deviation_and_std(close[-20:], 20)
    assert last_deviation[-1, 0] == deviation[-1, 0] and last_std[-1, 0] == std[-1, 0]  # bit for bit


# ---------------------------------------------------------------------- the contract on real data


@pytest.mark.parametrize(
    "strategy", [MeanReversion(window=20, entry_z=1.0, direction="both"), MeanReversion(window=50)], ids=repr
)
def test_conforms_on_real_crypto_bars(eth_bars: pd.DataFrame, strategy: MeanReversion) -> None:
    assert check_strategy(strategy, eth_bars).passed


def test_conforms_on_real_stocks_with_a_late_listing(stock_closes: pd.DataFrame) -> None:
    assert check_strategy(MeanReversion(window=10, entry_z=0.5, direction="both"), stock_closes).passed


# ---------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("field", "value"), [("window", 1), ("window", "20"), ("entry_z", -0.5), ("direction", "short")]
)
def test_bad_parameters_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as error:
        MeanReversion(**{field: value})
    assert error.value.field == field


def test_registered_with_an_honest_history_length() -> None:
    assert resolve_strategy("mean_reversion") is MeanReversion
    assert MeanReversion(window=30).history_length() == 30
