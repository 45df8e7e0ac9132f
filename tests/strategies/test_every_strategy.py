"""The shared conformance check, run on every registered strategy (real data)."""

from __future__ import annotations

import pandas as pd
import pytest

from quantlib_local.data import load_price_table
from quantlib_local.strategies import (
    MeanReversion,
    MLClassifier,
    Momentum,
    PairsTrading,
    PortfolioRebalancing,
    SmaCrossover,
    Strategy,
    VolatilityTargeted,
    available_strategies,
    check_strategy,
)
from tests.conftest import SHARED_DATA

# One small configuration per registered strategy; a newly registered strategy must be added here.
CASES: dict[str, tuple[Strategy, int]] = {
    "sma_crossover": (SmaCrossover(5, 20, "both"), 4),
    "momentum": (Momentum(lookback=10, direction="both"), 4),
    "mean_reversion": (MeanReversion(window=20, entry_z=1.0, direction="both"), 4),
    "pairs": (PairsTrading(hedge_window=60, z_window=20, entry_z=1.5, exit_z=0.3), 2),
    "portfolio": (PortfolioRebalancing(method="min_volatility", lookback=60, rebalance_every=40), 4),
    "volatility_target": (VolatilityTargeted(Momentum(lookback=10), 0.15, 20, 1.0, 252.0), 4),
    "ml_classifier": (MLClassifier(train_window=150, refit_every=50, min_train_rows=60, threshold=0.5), 2),
}


@pytest.fixture(scope="module")
def stocks(shared_data) -> pd.DataFrame:
    # JPM, XOM, WMT, PFE: listed through the whole window
    return load_price_table(SHARED_DATA / "stock_prices_20.csv")[["JPM", "XOM", "WMT", "PFE"]].iloc[-400:]


def test_every_registered_strategy_has_a_case() -> None:
    assert set(CASES) == set(available_strategies())


@pytest.mark.parametrize("name", sorted(CASES))
def test_strategy_conforms(name, stocks) -> None:
    strategy, n_symbols = CASES[name]
    report = check_strategy(strategy, stocks.iloc[:, :n_symbols], n_prefixes=4)
    assert report.passed
