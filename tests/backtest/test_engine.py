"""The engine against hand-computed portfolios, plus its input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.backtest import (
    BacktestConfig,
    FixedFraction,
    FractionalKelly,
    VolatilityTargetSizing,
    run_backtest,
)
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import MarketData, SmaCrossover, Strategy
from tests.backtest.conftest import closes


class Scripted(Strategy):
    """Targets given by hand (a test double; not registered)."""

    output = "signal"

    def __init__(self, script: tuple[float, ...] = ()) -> None:
        self.script = script

    def _decide(self, market: MarketData) -> np.ndarray:
        values = np.asarray(self.script, dtype=float)
        return np.repeat(values[: len(market), None], len(market.symbols), axis=1)


class FixedWeights(Strategy):
    """Hold the same weights from the first bar (a test double)."""

    output = "weights"

    def __init__(self, weights: tuple[float, ...] = (0.5, 0.5)) -> None:
        self.weights = weights

    def _decide(self, market: MarketData) -> np.ndarray:
        return np.tile(np.asarray(self.weights), (len(market), 1))


FREE = dict(fees=0.0, slippage=0.0)


def test_long_only_equity_compounds_the_held_returns(trending_bars) -> None:
    strategy = SmaCrossover(5, 20)
    result = run_backtest(strategy, trending_bars, BacktestConfig(execution="next_close", **FREE))
    close = trending_bars["close"]
    held = strategy.decide(trending_bars)["asset"].shift(1).fillna(0.0)  # executed at the next close
    expected = 100_000.0 * np.cumprod(1 + held.shift(1).fillna(0.0) * close.pct_change().fillna(0.0))
    np.testing.assert_allclose(result.equity.to_numpy(), expected.to_numpy(), rtol=1e-10)
    assert result.n_trades == int((held.diff().fillna(held) == 1).sum())


def test_next_open_fills_at_the_open_after_the_decision(trending_bars) -> None:
    result = run_backtest(SmaCrossover(5, 20), trending_bars, BacktestConfig(**FREE))
    decided = SmaCrossover(5, 20).decide(trending_bars)["asset"]
    first_long = decided[decided == 1].index[0]
    trade = result.trades.iloc[0]
    entry_bar = trending_bars.index.get_loc(first_long) + 1
    assert trade.entry_time == trending_bars.index[entry_bar]
    assert trade.entry_price == pytest.approx(trending_bars["open"].iloc[entry_bar], rel=1e-12)


def test_fees_are_charged_on_both_sides_of_each_trade() -> None:
    bars = closes([10, 10, 11, 12, 12, 12, 10])
    result = run_backtest(Scripted((1, 1, 1, 0, 0, 0, 0)), bars, BacktestConfig(fees=0.01, execution="next_close"))
    trade = result.trades.iloc[0]
    # bought at 10 (bar 1) with all cash net of fees, sold at 12 (bar 4)
    size = 100_000 / (10 * 1.01)
    assert trade["size"] == pytest.approx(size, rel=1e-12)
    assert trade.fees == pytest.approx(0.01 * size * (10 + 12), rel=1e-12)
    assert result.final_equity == pytest.approx(size * 12 * 0.99, rel=1e-12)


def test_stop_loss_exits_at_the_stop_price() -> None:
    bars = closes([100, 100, 100, 99, 97, 90, 90])
    bars.loc[bars.index[5], "open"] = 96.0  # gaps through nothing: the stop at 95 is hit inside bar 5
    bars.loc[bars.index[5], "high"] = 96.0
    result = run_backtest(Scripted((1,) * 7), bars, BacktestConfig(stop_loss=0.05, **FREE))
    trade = result.trades.iloc[0]
    assert trade.entry_price == 100.0
    assert trade.exit_price == pytest.approx(95.0)
    assert trade.exit_time == bars.index[5]
    assert len(result.trades) == 1  # no re-entry while the signal merely persists


def test_take_profit_and_trailing_stop() -> None:
    bars = closes([100, 100, 100, 105, 112, 120, 118, 110, 100])
    tp = run_backtest(Scripted((1,) * 9), bars, BacktestConfig(take_profit=0.10, **FREE)).trades.iloc[0]
    assert tp.exit_price == pytest.approx(112.0)  # bar 4 opens at 112, above the 110 target: filled at the open
    trailing = run_backtest(Scripted((1,) * 9), bars, BacktestConfig(stop_loss=0.05, trailing_stop=True, **FREE))
    # the stop trails the 120 high to 114; bar 7 opens at 110, through the stop: filled at the open
    assert trailing.trades.iloc[0].exit_price == pytest.approx(110.0)
    assert trailing.trades.iloc[0].exit_time == bars.index[7]


def test_limit_entry_fills_only_when_the_bar_trades_through_the_limit() -> None:
    bars = closes([100, 100, 100, 100, 100, 100])
    bars["low"] = [100, 100, 99.9, 98.5, 98, 100]
    config = BacktestConfig(order_type="limit", limit_offset=0.01, **FREE)
    trade = run_backtest(Scripted((1,) * 6), bars, config).trades.iloc[0]
    assert trade.entry_time == bars.index[3]  # limit 99: bar 2 does not reach it, bar 3 does
    assert trade.entry_price == pytest.approx(99.0)


def test_reversal_closes_then_opens_the_other_side_next_bar() -> None:
    bars = closes([10, 10, 11, 12, 11, 10, 9, 9])
    result = run_backtest(Scripted((1, 1, 1, -1, -1, -1, -1, -1)), bars, BacktestConfig(**FREE))
    assert list(result.trades["direction"]) == ["long", "short"]
    long_trade, short_trade = result.trades.iloc[0], result.trades.iloc[1]
    assert long_trade.exit_time == bars.index[4]
    assert short_trade.entry_time == bars.index[5]


def test_weights_rebalance_with_shared_cash(three_assets) -> None:
    result = run_backtest(FixedWeights((0.5, 0.3, 0.2)), three_assets, BacktestConfig(execution="next_close", **FREE))
    close = three_assets["close"]
    units = 100_000 * np.array([0.5, 0.3, 0.2]) / close.iloc[1].to_numpy()  # bought at bar 1's close
    expected = close.iloc[1:].to_numpy() @ units
    np.testing.assert_allclose(result.equity.iloc[1:].to_numpy(), expected, rtol=1e-10)
    assert result.exposure.iloc[1].sum() == pytest.approx(1.0)


def test_separate_sleeves_without_cash_sharing(three_assets) -> None:
    result = run_backtest(Scripted((1,) * 400), three_assets, BacktestConfig(execution="next_close", **FREE))
    close = three_assets["close"]
    expected = (100_000 / 3 * close.iloc[-1] / close.iloc[1]).sum()
    assert result.final_equity == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    "sizing", [FixedFraction(0.25), VolatilityTargetSizing(0.1, 20, 0.5), FractionalKelly(0.5, 60, 1.0)]
)
def test_sizing_limits_what_each_entry_spends(trending_bars, sizing) -> None:
    result = run_backtest(SmaCrossover(5, 20, "long"), trending_bars, BacktestConfig(sizing=sizing, **FREE))
    assert result.n_trades > 0
    entry_values = result.trades["size"] * result.trades["entry_price"]
    equity_before = result.equity.shift(1).reindex(result.trades["entry_time"]).to_numpy()
    cap = getattr(sizing, "fraction", getattr(sizing, "max_fraction", 1.0))
    assert (entry_values.to_numpy() <= cap * equity_before * (1 + 1e-9)).all()
    if isinstance(sizing, FractionalKelly):  # no entry before the lookback has been seen
        assert result.trades["entry_time"].min() > trending_bars.index[60]


def test_result_metrics_follow_table_1(trending_bars) -> None:
    result = run_backtest(SmaCrossover(5, 20), trending_bars)
    table = result.table1()
    assert list(table.index) == [
        "annual_return", "sharpe_ratio", "max_drawdown", "sortino_ratio", "beta", "win_rate", "calmar_ratio"
    ]
    closed = result.trades[result.trades["status"] == "closed"]
    assert table.loc["win_rate", "value"] == pytest.approx((closed["pnl"] > 0).mean())
    assert result.summary.sharpe_ratio > 1  # the planted drift pays
    assert set(result.json_metrics()) >= set(table.index)


def test_bad_inputs_fail_before_any_work(trending_bars) -> None:
    with pytest.raises(ValidationError, match="bars"):
        run_backtest(SmaCrossover(), trending_bars.iloc[:0])
    with pytest.raises(ValidationError, match="strategy"):
        run_backtest("sma", trending_bars)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="features.index"):
        run_backtest(SmaCrossover(), trending_bars, features=pd.DataFrame({"s": [0.0]}))
    prices = trending_bars[["close"]].rename(columns={"close": "X"})
    with pytest.raises(ValidationError, match="stops and limit orders need OHLC"):
        run_backtest(SmaCrossover(), prices, BacktestConfig(stop_loss=0.05))
    with pytest.raises(ValidationError, match="execution"):
        run_backtest(SmaCrossover(), prices, BacktestConfig(execution="next_open"))
    with pytest.raises(ValidationError, match="weight strategies"):
        run_backtest(FixedWeights((1.0,)), trending_bars, BacktestConfig(stop_loss=0.05))


@pytest.mark.parametrize(
    "field, value",
    [("fees", -0.1), ("init_cash", 0), ("stop_loss", 0.0), ("order_type", "iceberg"), ("limit_offset", 2.0),
     ("execution", "now"), ("sizing", 0.5), ("size_granularity", -1)],
)
def test_config_refuses_bad_values_by_name(field, value) -> None:
    with pytest.raises(ValidationError, match=field):
        BacktestConfig(**{field: value})


def test_config_round_trips_through_a_dict() -> None:
    config = BacktestConfig(sizing=FractionalKelly(0.5), stop_loss=0.02, trailing_stop=True)
    assert BacktestConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValidationError, match="backtest config"):
        BacktestConfig.from_dict({"fee": 0.1})


@pytest.mark.parametrize("config", [BacktestConfig(), BacktestConfig(cash_sharing=True, fees=0.002, fixed_fees=1.0),
                                    BacktestConfig(stop_loss=0.02, trailing_stop=True)])
def test_equity_from_order_records_equals_vectorbt_value(three_assets, config) -> None:
    from quantlib_local.backtest.simulate import group_values

    result = run_backtest(SmaCrossover(5, 20, "both"), three_assets, config)
    expected = result.portfolio.value().to_numpy().reshape(-1, 1)
    np.testing.assert_allclose(group_values(result.portfolio), expected, rtol=1e-12)
