"""Real market returns for the risk tests (from ``../shared/data``, beside the repo).

The files and their sources are listed in ``../shared/data/README.md``: daily adjusted
closes of 20 US stocks and SPY (PyPortfolioOpt test resources, MIT) and Binance
5-minute / 1-minute candles (freqtrade test data). Tests that need them skip with a
message when the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SHARED_DATA

DATA_DIR = SHARED_DATA


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real test data not found at {path}; clone the project beside its shared/ folder")
    return path


@pytest.fixture(scope="session")
def stock_prices() -> pd.DataFrame:
    """Daily closes of 20 US stocks; NaN before each listing."""
    return pd.read_csv(_require(DATA_DIR / "stock_prices_20.csv"), parse_dates=["date"], index_col="date")


@pytest.fixture(scope="session")
def stock_returns_frame(stock_prices: pd.DataFrame) -> pd.DataFrame:
    """Wide frame of daily simple returns, NaN before each listing (and on the first row)."""
    return stock_prices.pct_change(fill_method=None)


@pytest.fixture(scope="session")
def stock_returns(stock_prices: pd.DataFrame) -> dict[str, pd.Series]:
    """Daily simple returns per stock, blanks before the listing dropped per column."""
    return {str(name): column.dropna().pct_change().dropna() for name, column in stock_prices.items()}


@pytest.fixture(scope="session")
def spy_returns() -> pd.Series:
    """Daily simple returns of SPY (the benchmark)."""
    prices = pd.read_csv(_require(DATA_DIR / "spy_prices.csv"), parse_dates=["date"], index_col="date")["SPY"]
    return prices.pct_change().dropna()


@pytest.fixture(scope="session")
def crypto_returns() -> dict[str, pd.Series]:
    """Close-to-close simple returns of every Binance candle file, keyed by file stem."""
    folder = _require(DATA_DIR / "crypto")
    files = sorted(folder.glob("*.csv"))
    if not files:
        pytest.skip(f"no crypto candle files in {folder}")
    returns = {}
    for path in files:
        bars = pd.read_csv(path, parse_dates=["timestamp"], index_col="timestamp")
        returns[path.stem] = bars["close"].pct_change().dropna()
    return returns
