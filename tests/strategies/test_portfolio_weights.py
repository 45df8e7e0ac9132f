"""PortfolioRebalancing: the contract on real stocks, the weights against direct optimiser calls, fallbacks."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from quantlib_local import portfolio as pf
from quantlib_local.data import load_price_table
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import check_strategy
from quantlib_local.strategies.portfolio_weights import PortfolioRebalancing
from quantlib_local.strategies.registry import resolve_strategy

SYMBOLS = ["GOOG", "FB", "BABA", "XOM", "JPM", "PFE"]


@pytest.fixture(scope="module")
def stocks(shared_data) -> pd.DataFrame:
    """610 daily closes of six stocks, 2013-06 to 2015-10: BABA lists on 2014-09-19 (bar 327)."""
    prices = load_price_table(shared_data / "stock_prices_20.csv")
    return prices[SYMBOLS].loc["2013-06":"2015-10"]


def _rebalance_rows(strategy: PortfolioRebalancing, n: int) -> list[int]:
    return [p for p in range(n) if strategy.is_rebalance_bar(p)]


def test_registered_and_declares_weights() -> None:
    assert resolve_strategy("portfolio") is PortfolioRebalancing
    assert PortfolioRebalancing.output == "weights"
    assert PortfolioRebalancing().history_length() is None


def test_conformance_on_real_stocks(stocks: pd.DataFrame) -> None:
    strategy = PortfolioRebalancing(method="min_volatility", covariance="ledoit_wolf", lookback=120, rebalance_every=60,
                                max_weight=0.4)
    report = check_strategy(strategy, stocks)
    assert report.passed and report.checks["incremental_equals_vectorised"]


def test_weights_sum_to_one_and_respect_bounds_on_rebalance_rows(stocks: pd.DataFrame) -> None:
    strategy = PortfolioRebalancing(method="max_sharpe", covariance="sample", lookback=120, rebalance_every=60,
                                max_weight=0.3)
    weights = strategy.decide(stocks)
    rows = _rebalance_rows(strategy, len(stocks))
    assert rows == list(range(120, len(stocks), 60))
    assert (weights.iloc[:120] == 0).all().all()
    changed = 0
    for row in rows:
        w = weights.iloc[row]
        if row > rows[0] and not w.equals(weights.iloc[row - 1]):
            changed += 1
        assert w.sum() == pytest.approx(1.0, abs=1e-6)
        assert (w >= 0).all() and (w <= 0.3 + 1e-12).all()
        # held between rebalances
        stop = min(row + 60, len(stocks))
        assert (weights.iloc[row:stop].to_numpy() == w.to_numpy()).all()
    assert changed > 0
    listing = stocks.index.get_loc(stocks["BABA"].first_valid_index())
    assert (weights["BABA"].iloc[: listing + 120] == 0).all()  # not in any window until it has 120 returns
    assert (weights["BABA"].iloc[-5:] > 0).all() or (weights["BABA"].iloc[-5:] == 0).all()


def test_min_volatility_equals_a_direct_optimiser_call(stocks: pd.DataFrame) -> None:
    strategy = PortfolioRebalancing(method="min_volatility", covariance="ledoit_wolf", lookback=120, rebalance_every=60,
                                max_weight=0.4)
    weights = strategy.decide(stocks)
    for row in (120, 480, 600):  # before and after BABA enters the optimisation
        window = stocks.iloc[row - 120 : row + 1].dropna(axis=1)
        mu = pf.mean_historical_return(window)
        cov = pf.ledoit_wolf_covariance(window)
        direct = pf.MeanVarianceOptimiser(mu, cov, pf.PortfolioConstraints(weight_bounds=(0.0, 0.4))).min_volatility()
        expected = direct.weights.reindex(SYMBOLS, fill_value=0.0)
        np.testing.assert_allclose(weights.iloc[row].to_numpy(), expected.to_numpy(), atol=1e-12)
    assert weights["BABA"].iloc[120] == 0 and weights["BABA"].iloc[600] > 0


def test_equal_weight_over_listed_assets(stocks: pd.DataFrame) -> None:
    weights = PortfolioRebalancing(method="equal_weight", lookback=120, rebalance_every=60).decide(stocks)
    assert weights.iloc[120].tolist() == pytest.approx([0.2, 0.2, 0.0, 0.2, 0.2, 0.2])
    assert weights.iloc[-1].tolist() == pytest.approx([1 / 6] * 6)


def test_black_litterman_without_views_gives_market_weights(stocks: pd.DataFrame) -> None:
    caps = {"GOOG": 5.0, "FB": 3.0, "BABA": 2.5, "XOM": 4.0, "JPM": 3.0, "PFE": 2.0}
    strategy = PortfolioRebalancing(method="black_litterman", lookback=120, rebalance_every=120, market_caps=caps)
    weights = strategy.decide(stocks)
    before = np.array([5.0, 3.0, 0.0, 4.0, 3.0, 2.0])
    np.testing.assert_allclose(weights.iloc[120].to_numpy(), before / before.sum(), atol=1e-6)
    after = np.array(list(caps.values()))
    np.testing.assert_allclose(weights.iloc[-1].to_numpy(), after / after.sum(), atol=1e-6)
    # no caps: equal caps
    equal = PortfolioRebalancing(method="black_litterman", lookback=120, rebalance_every=120).decide(stocks)
    np.testing.assert_allclose(equal.iloc[120].to_numpy(), [0.2, 0.2, 0.0, 0.2, 0.2, 0.2], atol=1e-6)


def test_black_litterman_view_tilts_towards_the_asset(stocks: pd.DataFrame) -> None:
    view = pf.View.absolute("XOM", 0.30)
    tilted = PortfolioRebalancing(method="black_litterman", lookback=120, rebalance_every=120, views=[view],
                              max_weight=0.6).decide(stocks)
    assert tilted["XOM"].iloc[120] > 0.2 + 0.05
    assert tilted.iloc[120].sum() == pytest.approx(1.0, abs=1e-6) and tilted.iloc[120].max() <= 0.6 + 1e-9
    # a view on an asset without a full window is left out of that rebalance
    on_baba = PortfolioRebalancing(method="black_litterman", lookback=120, rebalance_every=120,
                               views=[pf.View.absolute("BABA", 0.5)]).decide(stocks)
    np.testing.assert_allclose(on_baba.iloc[120].to_numpy(), [0.2, 0.2, 0.0, 0.2, 0.2, 0.2], atol=1e-6)


def _boom_then_bust(n: int = 240, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    drift = np.where(np.arange(n) < n // 2, 0.004, -0.006)[:, None]
    returns = drift + rng.normal(0.0, 0.01, (n, 3))
    index = pd.date_range("2021-01-01", periods=n, freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=index, columns=["A", "B", "C"])


def test_a_failed_rebalance_keeps_the_previous_weights_in_both_forms(caplog: pytest.LogCaptureFixture) -> None:
    closes = _boom_then_bust()
    strategy = PortfolioRebalancing(method="max_sharpe", lookback=40, rebalance_every=40, periods_per_year=252)
    with caplog.at_level(logging.WARNING, logger="quantlib_local.strategies.portfolio_weights"):
        weights = strategy.decide(closes)
    assert "keeping the previous weights" in caplog.text
    rows = _rebalance_rows(strategy, len(closes))
    assert rows == [40, 80, 120, 160, 200]
    last_good = weights.iloc[120]  # the window to bar 120 is all boom (the bust starts at bar 120)
    assert last_good.sum() == pytest.approx(1.0, abs=1e-6)
    assert not (last_good == weights.iloc[80]).all()
    for row in (160, 200):  # all-bust windows: no portfolio beats the risk-free rate
        assert (weights.iloc[row] == last_good).all()
    assert caplog.text.count("keeping the previous weights") == 2
    check_strategy(strategy, closes, n_prefixes=3)


def test_infeasible_bounds_keep_the_previous_weights(stocks: pd.DataFrame) -> None:
    # 5 listed assets cannot reach a sum of 1 with at most 0.18 each; 6 can
    weights = PortfolioRebalancing(method="equal_weight", lookback=120, rebalance_every=60, max_weight=0.18).decide(stocks)
    # BABA (bar 327) has a full 120-return window from bar 447, so from the rebalance at 480
    assert (weights.iloc[:480] == 0).all().all()
    assert weights.iloc[480].tolist() == pytest.approx([1 / 6] * 6)


def test_parameters_are_validated() -> None:
    with pytest.raises(ValidationError, match="views"):
        PortfolioRebalancing(method="black_litterman", views=["XOM up"])
    with pytest.raises(ValidationError, match="market_caps"):
        PortfolioRebalancing(method="black_litterman", market_caps={"XOM": -1.0})
    with pytest.raises(ValidationError, match="method"):
        PortfolioRebalancing(method="risk_parity")
    with pytest.raises(ValidationError, match="periods_per_year"):
        PortfolioRebalancing(periods_per_year=0)
    strategy = PortfolioRebalancing(method="black_litterman", market_caps={"A": 1.0}, lookback=40, rebalance_every=40)
    with pytest.raises(ValidationError, match="market cap for every symbol"):
        strategy.decide(_boom_then_bust())


def test_intraday_windows_need_periods_per_year() -> None:
    index = pd.date_range("2024-01-03", periods=80, freq="5min", tz="UTC", name="timestamp")
    rng = np.random.default_rng(0)
    closes = pd.DataFrame(100 * np.cumprod(1 + rng.normal(0, 1e-3, (80, 2)), axis=0), index=index, columns=["A", "B"])
    with pytest.raises(ValidationError, match="periods_per_year"):
        PortfolioRebalancing(lookback=40, rebalance_every=20).decide(closes)
    weights = PortfolioRebalancing(lookback=40, rebalance_every=20, periods_per_year=105_120).decide(closes)
    assert weights.iloc[40].sum() == pytest.approx(1.0, abs=1e-6)
