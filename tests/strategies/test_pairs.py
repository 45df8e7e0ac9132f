"""Pairs trading: the Engle-Granger helper against statsmodels, the state machine, the contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tsa.stattools import coint

from quantlib_local.data import load_ohlcv, load_price_table
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import check_strategy
from quantlib_local.strategies.pairs import PairsTrading, engle_granger, next_position, pair_weights
from quantlib_local.strategies.registry import resolve_strategy


def _frame(y: np.ndarray, x: np.ndarray) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(y), freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame({"Y": y, "X": x}, index=index)


def _cointegrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x a random walk around 50, y = 2 + 1.5 x + N(0, 1) noise."""
    rng = np.random.default_rng(seed)
    x = 50 + rng.standard_normal(n).cumsum()
    return 2 + 1.5 * x + rng.standard_normal(n), x


@pytest.fixture(scope="module")
def stock_pair(shared_data) -> pd.DataFrame:
    return load_price_table(shared_data / "stock_prices_20.csv")[["XOM", "JPM"]].iloc[-600:]


@pytest.fixture(scope="module")
def crypto_pair(shared_data) -> pd.DataFrame:
    closes = {s: load_ohlcv(shared_data / "crypto" / f"{s}-5m.csv")["close"] for s in ("ETH_BTC", "LTC_BTC")}
    return pd.concat(closes, axis=1).iloc[:900]


# ---------------------------------------------------------------------- Engle-Granger


def test_engle_granger_reproduces_statsmodels(stock_pair: pd.DataFrame) -> None:
    y, x = np.log(stock_pair["XOM"]), np.log(stock_pair["JPM"])
    result = engle_granger(y, x, level=0.10)
    t_statistic, p_value, critical = coint(y.to_numpy(), x.to_numpy(), trend="c")
    intercept, hedge_ratio = sm.OLS(y.to_numpy(), sm.add_constant(x.to_numpy())).fit().params
    assert result.t_statistic == pytest.approx(t_statistic, rel=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-12)
    assert list(result.critical_values) == ["1%", "5%", "10%"]
    assert list(result.critical_values.values()) == pytest.approx(list(critical), rel=1e-12)
    assert result.hedge_ratio == pytest.approx(hedge_ratio, rel=1e-10)
    assert result.intercept == pytest.approx(intercept, rel=1e-10)
    assert result.n_obs == 600 and result.level == 0.10
    assert result.cointegrated == (p_value < 0.10)


def test_a_constructed_cointegrated_pair_is_found() -> None:
    y, x = _cointegrated(500, seed=7)
    result = engle_granger(y, x, level=0.01)
    assert result.hedge_ratio == pytest.approx(1.5, abs=0.01)
    assert result.intercept == pytest.approx(2.0, abs=0.5)
    assert result.p_value < 0.01 and result.cointegrated


def test_two_independent_random_walks_are_not_cointegrated() -> None:
    rng = np.random.default_rng(0)  # seed 0: p = 0.68; seeds 0-7 give p from 0.24 to 0.97
    result = engle_granger(rng.standard_normal(500).cumsum(), rng.standard_normal(500).cumsum())
    assert result.p_value > 0.5 and not result.cointegrated


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"y": np.arange(10.0), "x": np.arange(10.0)}, "y"),
        ({"y": np.r_[np.arange(29.0), np.nan], "x": np.arange(30.0)}, "y"),
        ({"y": np.arange(30.0), "x": np.arange(31.0)}, "x"),
        ({"y": np.arange(30.0), "x": np.ones(30)}, "x"),
        ({"y": np.arange(30.0), "x": np.arange(30.0), "level": 1.5}, "level"),
    ],
)
def test_engle_granger_refuses_bad_input(kwargs: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        engle_granger(**kwargs)
    assert error.value.field == field


# ---------------------------------------------------------------------- the decision rule


def test_state_machine_enters_beyond_entry_and_exits_inside_exit() -> None:
    zs = [np.nan, 0.0, 2.5, 1.0, 0.4, -2.1, -1.0, -3.0, 0.0, 2.1, -2.5]
    expected = [0, 0, -1, -1, 0, 1, 1, 1, 0, -1, 1]  # the last bar jumps straight to the other side
    positions, held = [], 0
    for z in zs:
        held = next_position(held, z, entry_z=2.0, exit_z=0.5)
        positions.append(held)
    assert positions == expected


def test_weights_hold_one_unit_of_gross_exposure() -> None:
    position, beta = np.array([1.0, -1.0, 0.0]), np.array([1.5, 1.5, 1.5])
    log_weights = pair_weights(position, beta, np.full(3, 10.0), np.full(3, 20.0), use_log=True)
    np.testing.assert_array_equal(log_weights, [[0.4, -0.6], [-0.4, 0.6], [0.0, 0.0]])
    # prices: one unit of y (10) against 0.5 units of x (0.5 * 20 = 10) -> equal halves
    price_weights = pair_weights(np.array([1.0]), np.array([0.5]), np.array([10.0]), np.array([20.0]), use_log=False)
    np.testing.assert_array_equal(price_weights, [[0.5, -0.5]])


def test_a_spread_spike_on_a_hand_built_pair_shorts_the_spread() -> None:
    x = np.arange(1.0, 31.0)
    y = 2 + 1.5 * x + 0.01 * (-1.0) ** np.arange(30)  # a tight spread, z within +-1
    y[-1] += 1.0  # then y jumps above its hedge
    strategy = PairsTrading(hedge_window=20, z_window=10, entry_z=2.0, exit_z=0.5, use_log=False)
    weights = strategy.decide(_frame(y, x))
    assert (weights.iloc[:-1] == 0).all().all()
    w_y, w_x = weights.iloc[-1]
    assert w_y < 0 < w_x and abs(w_y) + abs(w_x) == pytest.approx(1.0, abs=1e-15)


def test_decisions_match_a_plain_reference() -> None:
    y, x = _cointegrated(300, seed=3)
    hedge_window, z_window, entry_z, exit_z = 60, 20, 1.5, 0.3
    expected, held = np.zeros((300, 2)), 0
    for t in range(hedge_window - 1, 300):
        ys, xs = y[t - hedge_window + 1 : t + 1], x[t - hedge_window + 1 : t + 1]
        beta = np.polyfit(xs, ys, 1)[0]
        spread = ys[-z_window:] - beta * xs[-z_window:]
        z = (spread[-1] - spread.mean()) / spread.std()
        if z > entry_z:
            held = -1
        elif z < -entry_z:
            held = 1
        elif abs(z) < exit_z:
            held = 0
        legs = np.array([held * y[t], -held * beta * x[t]])
        expected[t] = legs / np.abs(legs).sum() if held else 0.0
    strategy = PairsTrading(hedge_window, z_window, entry_z, exit_z, use_log=False)
    got = strategy.decide(_frame(y, x)).to_numpy()
    assert (np.sign(got) == np.sign(expected)).all() and np.abs(got).sum() > 0
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_max_pvalue_trades_only_after_a_passed_test() -> None:
    rng = np.random.default_rng(0)
    y, x = 100 + rng.standard_normal(400).cumsum(), 100 + rng.standard_normal(400).cumsum()
    strategy = PairsTrading(hedge_window=100, z_window=20, entry_z=1.0, exit_z=0.2, max_pvalue=0.2, retest_every=25)
    weights = strategy.decide(_frame(y, x))
    free = strategy.with_params(max_pvalue=None).decide(_frame(y, x))
    passed = np.zeros(400, dtype=bool)  # whether the latest test (every 25 bars from bar 99) passed
    for t in range(99, 400, 25):
        passed[t:] = engle_granger(np.log(y[t - 99 : t + 1]), np.log(x[t - 99 : t + 1])).p_value < 0.2
    trading = (weights.abs().sum(axis=1) > 0).to_numpy()
    assert not trading[~passed].any()
    assert trading[passed].any() and trading.sum() < (free.abs().sum(axis=1) > 0).sum()


# ---------------------------------------------------------------------- the contract on real data


def test_conforms_on_real_stocks(stock_pair: pd.DataFrame) -> None:
    assert check_strategy(PairsTrading(hedge_window=120, z_window=30), stock_pair).passed


def test_conforms_on_real_crypto_with_the_cointegration_gate(crypto_pair: pd.DataFrame) -> None:
    strategy = PairsTrading(hedge_window=200, z_window=50, max_pvalue=0.2, retest_every=150)
    assert check_strategy(strategy, crypto_pair).passed


# ---------------------------------------------------------------------- parameters and inputs


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"exit_z": 2.0}, "exit_z"),
        ({"hedge_window": 50, "z_window": 60}, "z_window"),
        ({"hedge_window": 5}, "hedge_window"),
        ({"entry_z": -1.0}, "entry_z"),
        ({"max_pvalue": 0.0}, "max_pvalue"),
        ({"max_pvalue": "0.05"}, "max_pvalue"),
        ({"use_log": "yes"}, "use_log"),
        ({"retest_every": 0}, "retest_every"),
    ],
)
def test_bad_parameters_name_the_field(params: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        PairsTrading(**params)
    assert error.value.field == field


def test_exactly_two_symbols(stock_pair: pd.DataFrame, shared_data) -> None:
    three = load_price_table(shared_data / "stock_prices_20.csv")[["XOM", "JPM", "BAC"]].iloc[-200:]
    for bars in (three, stock_pair[["XOM"]]):
        with pytest.raises(ValidationError) as error:
            PairsTrading().decide(bars)
        assert error.value.field == "symbols"
        with pytest.raises(ValidationError) as error:
            PairsTrading().incremental().update(bars.iloc[0])
        assert error.value.field == "symbols"


def test_log_prices_must_be_positive() -> None:
    y, x = _cointegrated(50, seed=1)
    with pytest.raises(ValidationError, match="use_log=False"):
        PairsTrading(hedge_window=20, z_window=10).decide(_frame(y, x - 100))


def test_registered_and_path_dependent() -> None:
    assert resolve_strategy("pairs") is PairsTrading
    assert PairsTrading().history_length() is None
