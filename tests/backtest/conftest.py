"""Small deterministic bar sets for the backtest tests (synthetic, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import correlated_bars, gbm_bars


@pytest.fixture(scope="session")
def trending_bars() -> pd.DataFrame:
    """SYNTHETIC: 600 daily GBM bars with a strong drift (an SMA crossover earns on them)."""
    return gbm_bars(600, mu=0.8, sigma=0.2, seed=7)


@pytest.fixture(scope="session")
def three_assets() -> pd.DataFrame:
    """SYNTHETIC: three correlated assets, 400 daily bars, (field, symbol) columns."""
    return correlated_bars(["A", "B", "C"], 0.3, 400, mu=0.1, sigma=0.25, seed=3)


def closes(values: list[float], start: str = "2024-01-01") -> pd.DataFrame:
    """One asset's OHLCV bars with open = high = low = close (hand-checkable prices)."""
    index = pd.date_range(start, periods=len(values), freq="D", tz="UTC", name="timestamp")
    close = np.asarray(values, dtype=float)
    return pd.DataFrame({"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=index)


# The store fixtures (SQLite and a real PostgreSQL server) for the run-recording tests.
from tests.storage.conftest import (  # noqa: E402, F401
    backend,
    engine,
    postgres_database_factory,
    postgres_migrated_database_url,
    sqlite_migrated_template,
)
