"""MLClassifier: walk-forward only, the no-leak rule, and an edge where one was planted."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from quantlib_local.data import load_ohlcv, load_price_table
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import StrategyConformanceError, check_strategy, ml_classifier
from quantlib_local.strategies.features import FeatureSettings
from quantlib_local.strategies.ml_classifier import MLClassifier
from quantlib_local.strategies.registry import resolve_strategy

FAST = dict(horizon=5, train_window=120, refit_every=60, min_train_rows=100, threshold=0.52, direction="both")


@pytest.fixture(scope="module")
def stocks(shared_data) -> pd.DataFrame:
    return load_price_table(shared_data / "stock_prices_20.csv")[["GOOG", "XOM", "JPM", "PFE"]].iloc[-600:]


@pytest.fixture(scope="module")
def eth(shared_data) -> pd.DataFrame:
    return load_ohlcv(shared_data / "crypto" / "ETH_BTC-5m.csv")


def _closes(returns: np.ndarray, start: str = "2020-01-01") -> pd.DataFrame:
    index = pd.date_range(start, periods=len(returns), freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame({"SYN": 100 * np.cumprod(1 + returns)}, index=index)


def _hit_rate(targets: pd.Series, closes: pd.Series) -> tuple[float, int]:
    """Share of non-zero targets whose sign matches the next bar's return."""
    forward = closes.shift(-1) / closes - 1
    traded = (targets != 0) & forward.notna()
    return float((np.sign(targets[traded]) == np.sign(forward[traded])).mean()), int(traded.sum())


class LeakyClassifier(MLClassifier):
    """Breaks the no-leak rule: trains on rows whose labels need closes after the refit bar."""

    def last_labelled_row(self, refit_position: int) -> int:
        return refit_position


def test_registered_signal_strategy() -> None:
    assert resolve_strategy("ml_classifier") is MLClassifier
    assert MLClassifier.output == "signal" and MLClassifier().history_length() is None


def test_conformance_on_real_stocks_holds_because_of_the_no_leak_rule(stocks: pd.DataFrame) -> None:
    report = check_strategy(MLClassifier(**FAST), stocks, n_prefixes=4)
    assert report.passed
    # the same model trained on rows whose labels need closes after the refit bar breaks the contract
    with pytest.raises(StrategyConformanceError, match="incremental_equals_vectorised"):
        check_strategy(LeakyClassifier(**FAST), stocks, n_prefixes=2)


def test_conformance_on_real_ohlcv_with_a_tree_model(eth: pd.DataFrame) -> None:
    trees = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=8, random_state=0)
    strategy = MLClassifier(horizon=3, train_window=150, refit_every=100, min_train_rows=100, threshold=0.55,
                            estimator=trees)
    report = check_strategy(strategy, eth.iloc[:400], n_prefixes=3)
    assert report.passed


def test_batch_predictions_match_bar_by_bar_predictions(stocks: pd.DataFrame, monkeypatch) -> None:
    strategy = MLClassifier(**FAST)
    batched = strategy.decide(stocks.iloc[:300])
    monkeypatch.setattr(ml_classifier, "_GUARD", 1.0)  # every bar is "near a threshold": decided one by one
    pd.testing.assert_frame_equal(strategy.decide(stocks.iloc[:300]), batched)


def test_training_rows_only_hold_labels_known_at_the_refit() -> None:
    strategy = MLClassifier(horizon=5, train_window=100, refit_every=50)
    rows = strategy.training_rows(300)
    assert rows == range(196, 296)  # labels of rows s <= 295 need closes up to s + 5 <= 300
    assert max(rows) + strategy.horizon == 300
    assert MLClassifier(horizon=5, train_window=100, expanding=True).training_rows(300) == range(0, 296)
    assert strategy.training_rows(3) == range(0, 0)
    labels = strategy.labels(np.array([[1.0], [2.0], [1.0], [1.0], [3.0], [0.5], [4.0], [9.0]]))
    np.testing.assert_array_equal(labels[:, 0], [0, 1, 1, np.nan, np.nan, np.nan, np.nan, np.nan])


def test_flat_before_the_first_fit_and_refits_on_an_absolute_schedule(stocks: pd.DataFrame) -> None:
    strategy = MLClassifier(**FAST)
    targets = strategy.decide(stocks)
    # first refit with 100 usable rows: 60 warm-up bars (correlation_60) + 25 labelled bars x 4 symbols at bar 120
    assert (targets.iloc[:120] == 0).all().all()
    assert (targets.iloc[120:] != 0).any().any()
    assert [p for p in range(300) if strategy.is_refit_bar(p)] == [0, 60, 120, 180, 240]


def test_planted_pattern_is_found_out_of_sample() -> None:
    # AR(1) returns with phi = -0.5: the sign of the next return leans against ret_1
    # (theoretical hit rate 1/2 + arcsin(0.5)/pi = 2/3)
    rng = np.random.default_rng(11)
    shocks = rng.normal(0.0, 0.01, 2000)
    returns = np.empty_like(shocks)
    returns[0] = shocks[0]
    for t in range(1, len(shocks)):
        returns[t] = -0.5 * returns[t - 1] + shocks[t]
    closes = _closes(returns)
    strategy = MLClassifier(horizon=1, train_window=400, refit_every=100, threshold=0.5, direction="both")
    targets = strategy.decide(closes)["SYN"]
    hit, traded = _hit_rate(targets, closes["SYN"])
    assert traded > 1500 and hit > 0.6


def test_no_edge_on_a_random_walk() -> None:
    rng = np.random.default_rng(12)
    closes = _closes(rng.normal(0.0, 0.01, 1500))
    targets = MLClassifier(horizon=1, train_window=400, refit_every=250, threshold=0.5,
                           direction="both").decide(closes)["SYN"]
    hit, traded = _hit_rate(targets, closes["SYN"])
    assert traded > 1000 and 0.44 < hit < 0.56


def test_walk_forward_is_fast(eth: pd.DataFrame) -> None:
    strategy = MLClassifier(train_window=1000, refit_every=250)
    strategy.decide(eth.iloc[:300])  # warm the numba caches
    start = time.perf_counter()
    targets = strategy.decide(eth.iloc[:5000])
    assert time.perf_counter() - start < 5.0
    assert targets.shape == (5000, 1)


def test_parameters_are_validated() -> None:
    with pytest.raises(ValidationError, match="estimator"):
        MLClassifier(estimator=object())
    with pytest.raises(ValidationError, match="horizon"):
        MLClassifier(horizon=50, train_window=40)
    with pytest.raises(ValidationError, match="threshold"):
        MLClassifier(threshold=0.4)
    with pytest.raises(ValidationError, match="feature_settings"):
        MLClassifier(feature_settings={"rsi_window": 7})
    custom = MLClassifier(feature_settings=FeatureSettings(rsi_window=7))
    assert custom.with_params(threshold=0.6).feature_settings == FeatureSettings(rsi_window=7)
