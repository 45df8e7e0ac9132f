"""SMA crossover: the rule by hand, the shared conformance check on real data, batched decisions."""

from __future__ import annotations

import numpy as np
import pytest

from quantlib_local.data import load_ohlcv, load_price_table
from quantlib_local.exceptions import QuantLabError
from quantlib_local.strategies import MarketData, SmaCrossover, StrategyConformanceError, check_strategy
from tests.conftest import SHARED_DATA


class PeekingCrossover(SmaCrossover):
    """Deliberately wrong: decides on tomorrow's close (must fail the conformance check)."""

    name = ""

    def _decide(self, market: MarketData):
        return super()._decide(MarketData(market.bars.shift(-1).ffill(), market.features))


def test_rule_by_hand(bars) -> None:
    close = bars["close"].copy()
    close.iloc[:] = [5, 4, 3, 2, 1, 2, 3, 4, 5, 6]
    bars = bars.assign(close=close, high=np.maximum(bars["high"], close), low=np.minimum(bars["low"], close))
    long_only = SmaCrossover(2, 4).decide(bars)["asset"].tolist()
    # SMA2 vs SMA4 from bar 3: 2.5<3.5, 1.5<2.5, 1.5<2, 2.5>2, 3.5>2.5, 4.5>3.5, 5.5>4.5
    assert long_only == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    both = SmaCrossover(2, 4, "both").decide(bars)["asset"].tolist()
    assert both == [0, 0, 0, -1, -1, -1, 1, 1, 1, 1]


@pytest.mark.parametrize("source", ["crypto/ETH_BTC-5m.csv", "stock_prices_20.csv"])
def test_conformance_on_real_data(shared_data, source) -> None:
    path = SHARED_DATA / source
    data = load_ohlcv(path).iloc[:1200] if "crypto" in source else load_price_table(path).iloc[-600:, :4]
    report = check_strategy(SmaCrossover(8, 30, "both"), data)
    assert report.passed and report.checks["incremental_equals_vectorised"]


def test_look_ahead_fails_the_conformance_check(shared_data) -> None:
    data = load_ohlcv(SHARED_DATA / "crypto" / "ETH_BTC-5m.csv").iloc[:600]
    with pytest.raises(StrategyConformanceError, match="no_look_ahead") as raised:
        check_strategy(PeekingCrossover(8, 30, "both"), data)
    assert isinstance(raised.value, QuantLabError)


def test_decide_many_equals_one_by_one(shared_data) -> None:
    prices = load_price_table(SHARED_DATA / "stock_prices_20.csv").iloc[-500:, :5]
    strategy = SmaCrossover()
    sets = [{"fast": f, "slow": s} for f in (3, 10) for s in (20, 50)]
    market = strategy.market_data(prices)
    batched = strategy.decide_many(market, sets)
    for position, params in enumerate(sets):
        np.testing.assert_array_equal(batched[:, position, :], strategy.with_params(**params).decide(market).to_numpy())
