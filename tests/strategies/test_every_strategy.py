"""The shared conformance check, run on every registered strategy (real data)."""

from __future__ import annotations

import pandas as pd
import pytest

from quantlib_local.data import load_price_table
from quantlib_local.rl import (
    BuyAndHold,
    DQNConfig,
    EnvironmentConfig,
    ObservationSettings,
    RandomPolicy,
    RLPolicy,
    TrainingConfig,
    train_agent,
)
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
    "buy_and_hold": (BuyAndHold(symbol="XOM", weight=0.8), 2),
    "random_policy": (RandomPolicy(seed=3, symbol="JPM"), 2),
}
RL_POLICY = "rl_policy"  # needs a trained policy file: built by the fixture below


@pytest.fixture(scope="module")
def stocks(shared_data) -> pd.DataFrame:
    # JPM, XOM, WMT, PFE: listed through the whole window
    return load_price_table(SHARED_DATA / "stock_prices_20.csv")[["JPM", "XOM", "WMT", "PFE"]].iloc[-400:]


@pytest.fixture(scope="module")
def rl_policy_case(stocks, tmp_path_factory) -> tuple[Strategy, int]:
    """A briefly trained DQN policy on JPM, observing JPM and XOM (cross-asset features)."""
    environment = EnvironmentConfig(episode_length=32, observation=ObservationSettings(norm_window=40))
    config = TrainingConfig(total_steps=400, n_envs=4, device="cpu", checkpoint_every=None,
                            dqn=DQNConfig(learning_starts=100), environment=environment)
    trained = train_agent(stocks.iloc[:250, :2], config, symbol="JPM", output_dir=tmp_path_factory.mktemp("rl"),
                          progress=False)
    return RLPolicy(str(trained.policy_path)), 2


def test_every_registered_strategy_has_a_case() -> None:
    assert set(CASES) | {RL_POLICY} == set(available_strategies())


@pytest.mark.parametrize("name", sorted([*CASES, RL_POLICY]))
def test_strategy_conforms(name, stocks, request) -> None:
    strategy, n_symbols = request.getfixturevalue("rl_policy_case") if name == RL_POLICY else CASES[name]
    report = check_strategy(strategy, stocks.iloc[:, :n_symbols], n_prefixes=4)
    assert report.passed
