"""Drawdown series, maximum drawdown (eq. 11) and the longest drawdown period.

Reference values are worked by hand in the comments (wealth starts at 1 before the
first return; the high-water mark includes it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.risk import (
    DrawdownPeriod,
    drawdown_series,
    max_drawdown,
    max_drawdown_duration,
)


def daily(values: list[float], start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D", tz="UTC"), name="strategy")


@pytest.mark.parametrize("seed", range(5))
def test_max_drawdown_of_a_rising_series_is_zero(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rising = daily(list(rng.uniform(0.0, 0.05, 250)))
    assert max_drawdown(rising) == 0.0
    assert (drawdown_series(rising) == 0.0).all()
    period = max_drawdown_duration(rising)
    assert period.bars == 0 and period.duration == pd.Timedelta(0) and period.depth == 0.0 and period.start is None


@pytest.mark.parametrize("seed", range(5))
def test_drawdown_is_never_positive_and_its_minimum_is_the_max_drawdown(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    returns = daily(list(rng.normal(0.0, 0.02, 500)))
    series = drawdown_series(returns)
    assert (series <= 0.0).all()
    assert series.min() == max_drawdown(returns)


def test_max_drawdown_hand_computed() -> None:
    # wealth 1.5, 0.75, 1.125: peak 1.5, trough 0.75 -> 0.75 / 1.5 - 1 = -0.5
    assert max_drawdown(daily([0.5, -0.5, 0.5])) == pytest.approx(-0.5, abs=1e-15)
    # A loss on the first bar is measured from the opening capital: -0.2.
    assert max_drawdown(daily([-0.2, 0.1])) == pytest.approx(-0.2, abs=1e-15)


def test_drawdown_series_hand_computed() -> None:
    # wealth 1.1, 0.99, 1.0395, 1.14345 -> drawdowns 0, -0.1, -0.055, 0
    expected = [0.0, -0.1, 1.0395 / 1.1 - 1.0, 0.0]
    np.testing.assert_allclose(drawdown_series(daily([0.1, -0.1, 0.05, 0.1])).to_numpy(), expected, atol=1e-15)


def test_duration_hand_built_series() -> None:
    # bar:    0     1      2      3     4      5      6
    # r:     0.1  -0.1   0.05   0.1  -0.02   0.01  0.01
    # W:     1.1   0.99  1.0395 1.14345 1.120581 1.13178681 1.1431046781
    # Period A: peak bar 0, under water bars 1-2, recovered on bar 3 -> 3 bars, 3 days.
    # Period B: peak bar 3, under water bars 4-6, still open -> 3 bars to the last bar.
    # Equal length: the earlier one (A) is reported.
    returns = daily([0.1, -0.1, 0.05, 0.1, -0.02, 0.01, 0.01])
    index = returns.index
    period = max_drawdown_duration(returns)
    assert period == DrawdownPeriod(
        bars=3,
        duration=pd.Timedelta(days=3),
        depth=pytest.approx(-0.1, abs=1e-15),
        peak=index[0],
        start=index[1],
        trough=index[1],
        end=index[3],
        recovered=True,
    )


def test_duration_prefers_the_longest_over_the_deepest() -> None:
    # Deep but short: -50 % then +100 % straight back to 1.0 (peak bar 0, recovery bar 2: 2 bars).
    # Shallow but long: -1 % for five bars before recovery (peak bar 2, recovery bar 8: 6 bars).
    returns = daily([0.0, -0.5, 1.0, -0.01, 0.0, 0.0, 0.0, 0.0, 0.02])
    period = max_drawdown_duration(returns)
    assert max_drawdown(returns) == -0.5
    assert period.bars == 6
    assert period.peak == returns.index[2] and period.end == returns.index[8]
    assert period.depth == pytest.approx(-0.01, abs=1e-15)
    assert period.duration == pd.Timedelta(days=6)


def test_unrecovered_drawdown_runs_to_the_last_bar() -> None:
    returns = daily([0.05, -0.1, 0.01, 0.01])
    period = max_drawdown_duration(returns)
    assert not period.recovered and period.end is None
    assert period.peak == returns.index[0] and period.start == returns.index[1]
    assert period.bars == 3 and period.duration == pd.Timedelta(days=3)


def test_series_opening_under_water_counts_from_the_first_bar() -> None:
    # The peak is the opening capital (no bar of its own): peak None, counted from bar 0.
    returns = daily([-0.1, 0.05, 0.07, 0.01])  # W: 0.9, 0.945, 1.01115 -> recovered on bar 2
    period = max_drawdown_duration(returns)
    assert period.peak is None and period.start == returns.index[0]
    assert period.end == returns.index[2] and period.recovered
    assert period.bars == 2 and period.duration == pd.Timedelta(days=2)


def test_duration_without_datetime_index_has_bars_only() -> None:
    period = max_drawdown_duration(pd.Series([0.1, -0.1, 0.2]))
    assert period.bars == 2 and period.duration is None and period.end == 2


def test_wide_frame_gives_one_row_per_column_and_skips_unlisted_bars() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="D")
    frame = pd.DataFrame(
        {"listed_late": [np.nan, np.nan, 0.1, -0.1, 0.2], "always": [0.1, -0.1, 0.05, 0.1, 0.0]}, index=index
    )
    table = max_drawdown_duration(frame)
    assert list(table.index) == ["listed_late", "always"]
    assert table.loc["listed_late", "bars"] == 2 and table.loc["listed_late", "peak"] == index[2]
    assert table.loc["always", "bars"] == 3
    dd = drawdown_series(frame)
    assert dd["listed_late"].isna().tolist() == [True, True, False, False, False]
    late = max_drawdown(frame)["listed_late"]
    assert late == max_drawdown(frame["listed_late"].dropna())


def test_period_to_series_and_dict() -> None:
    period = max_drawdown_duration(daily([0.1, -0.1, 0.2]))
    assert period.to_dict()["bars"] == 2
    assert list(period.to_series().index) == [
        "bars", "duration", "depth", "peak", "start", "trough", "end", "recovered"
    ]
