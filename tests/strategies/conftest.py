"""Helpers shared by the strategy tests."""

from __future__ import annotations

import pandas as pd

from quantlib_local.strategies import Strategy


def close_table(values: list[float], symbol: str = "A", start: str = "2024-01-01") -> pd.DataFrame:
    """A one-column table of daily closes (hand-checkable decisions)."""
    index = pd.date_range(start, periods=len(values), freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame({symbol: values}, index=index)


def stepped(strategy: Strategy, closes: pd.DataFrame) -> list[float]:
    """The first symbol's targets from the incremental form, fed one bar at a time."""
    live = strategy.incremental()
    return [float(live.update(closes.iloc[i]).iloc[0]) for i in range(len(closes))]
