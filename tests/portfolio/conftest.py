"""Fixtures for the portfolio tests: the real 20-stock price table and small synthetic inputs.

The real table ``../shared/data/stock_prices_20.csv`` (daily adjusted closes of 20 US
stocks, 1989-2018, each column from its listing date; PyPortfolioOpt's test resource, MIT,
see ``../shared/data/README.md``) is loaded with :func:`quantlib_local.data.load_price_table`.
Tests that need it skip with a message when the folder is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import load_price_table
from tests.conftest import SHARED_DATA

DATA_DIR = SHARED_DATA


@pytest.fixture(scope="session")
def stock_prices() -> pd.DataFrame:
    """Daily closes of 20 US stocks (UTC index), NaN before each listing."""
    path = DATA_DIR / "stock_prices_20.csv"
    if not path.exists():
        pytest.skip(f"real test data not found at {path}; clone the project beside its shared/ folder")
    return load_price_table(path)


@pytest.fixture(scope="session")
def common_window_prices(stock_prices: pd.DataFrame) -> pd.DataFrame:
    """The real prices from the last listing on (every stock has a price on every row)."""
    return stock_prices.dropna()


@pytest.fixture()
def three_assets() -> tuple[pd.Series, pd.DataFrame]:
    """A small positive-definite problem: mu and S for assets A, B, C (annual decimals)."""
    names = ["A", "B", "C"]
    vols = np.array([0.10, 0.20, 0.30])
    corr = np.array([[1.0, 0.3, 0.1], [0.3, 1.0, 0.4], [0.1, 0.4, 1.0]])
    cov = pd.DataFrame(np.outer(vols, vols) * corr, index=names, columns=names)
    mu = pd.Series([0.05, 0.09, 0.14], index=names)
    return mu, cov


@pytest.fixture()
def synthetic_returns() -> pd.DataFrame:
    """Seeded daily returns of five correlated assets on a business-day index."""
    rng = np.random.default_rng(7)
    loadings = rng.normal(size=(5, 5)) * 0.006
    shocks = rng.normal(size=(750, 5)) @ loadings.T + 0.0004
    index = pd.bdate_range("2020-01-01", periods=750, tz="UTC")
    return pd.DataFrame(shocks, index=index, columns=[f"S{i}" for i in range(5)])
