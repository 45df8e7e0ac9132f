"""The typed performance summary and table (quantlib_local.risk.summary)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from quantlib_local import risk


def strategy(n: int = 750, seed: int = 8) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0005, 0.012, n), index=pd.bdate_range("2020-01-01", periods=n), name="strat")


def test_summary_equals_the_individual_metrics() -> None:
    r = strategy()
    m = pd.Series(np.random.default_rng(9).normal(0.0003, 0.01, 750), index=r.index)
    s = risk.performance_summary(r, m, risk_free_rate=0.02, minimum_acceptable_return=0.01, confidence=0.99)
    assert s.periods_per_year == 252.0 and s.observations == 750
    assert s.first_bar == r.index[0] and s.last_bar == r.index[-1]
    assert s.sharpe_ratio == risk.sharpe_ratio(r, 0.02)
    assert s.sortino_ratio == risk.sortino_ratio(r, 0.01)
    assert s.annual_return == risk.annual_return(r)
    assert s.max_drawdown == risk.max_drawdown(r)
    assert s.longest_drawdown == risk.max_drawdown_duration(r)
    assert s.value_at_risk_cornish_fisher == risk.value_at_risk(r, 0.99, "cornish_fisher")
    assert s.conditional_value_at_risk_historical == risk.conditional_value_at_risk(r, 0.99)
    assert s.beta == risk.beta(r, m) and s.alpha == risk.alpha(r, m, 0.02)
    assert s.fractional_kelly_fraction == pytest.approx(0.25 * s.kelly_fraction, rel=1e-15)


def test_summary_is_frozen_and_flattens_for_tables() -> None:
    s = risk.performance_summary(strategy())
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.sharpe_ratio = 0.0  # type: ignore[misc]
    flat = s.to_dict()
    assert flat["longest_drawdown_bars"] == s.longest_drawdown.bars
    assert "longest_drawdown" not in flat
    assert flat["beta"] is None and flat["alpha"] is None
    row = s.to_series(name="strat")
    assert row.name == "strat" and row["sharpe_ratio"] == s.sharpe_ratio


def test_table_has_one_row_per_column() -> None:
    frame = pd.DataFrame({"a": strategy(seed=1), "b": strategy(seed=2)})
    frame.iloc[:100, 1] = np.nan
    table = risk.performance_table(frame)
    assert list(table.index) == ["a", "b"]
    assert table.loc["b", "observations"] == 650
    assert table.loc["b", "sharpe_ratio"] == pytest.approx(risk.sharpe_ratio(frame["b"].dropna()), rel=1e-12)
    assert table.loc["a", "sharpe_ratio"] == pytest.approx(risk.sharpe_ratio(frame)["a"], rel=1e-12)


def test_summary_on_real_stock_against_spy(stock_returns: dict[str, pd.Series], spy_returns: pd.Series) -> None:
    s = risk.performance_summary(stock_returns["AAPL"], spy_returns)
    assert s.periods_per_year == 252.0
    assert -1.0 < s.max_drawdown < 0.0
    assert s.conditional_value_at_risk_historical >= s.value_at_risk_historical > 0.0
    assert 0.0 < s.beta < 3.0
