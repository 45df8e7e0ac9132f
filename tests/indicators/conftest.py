"""Fixtures for the indicator tests: the real price data in ``../shared/data``.

The data folder sits beside the repository (``<repo>/../shared/data``, see its README).
When it is absent the tests that need it are skipped with a message saying where it was
looked for; the synthetic-data tests still run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA

DATA_DIR = SHARED_DATA


def _require_data() -> Path:
    if not (DATA_DIR / "stock_prices_20.csv").is_file():
        pytest.skip(f"real test data not found at {DATA_DIR} (expected <repo>/../shared/data); skipping")
    return DATA_DIR


def _read_bars(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, index_col="timestamp", parse_dates=["timestamp"])


@pytest.fixture(scope="session")
def close_datasets() -> dict[str, pd.DataFrame]:
    """Wide close frames (timestamp x asset) from every real data file.

    * ``stock_prices_20``: 20 daily closes; 11 columns start with NaN (later listings).
    * ``spy_prices``: one daily column.
    * ``crypto_btc_5m_aligned``: the nine BTC-quoted 5-minute pairs on the union of their
      timestamps, so the columns have interior NaN where a pair has no bar.
    * ``crypto/<file>``: each crypto file's close on its own (no NaN).
    """
    data_dir = _require_data()
    datasets = {
        "stock_prices_20": pd.read_csv(data_dir / "stock_prices_20.csv", index_col="date", parse_dates=["date"]),
        "spy_prices": pd.read_csv(data_dir / "spy_prices.csv", index_col="date", parse_dates=["date"]),
    }
    bars = ohlc_by_file(data_dir)
    datasets["crypto_btc_5m_aligned"] = pd.concat(
        {name: frame["close"] for name, frame in bars.items() if name.endswith("BTC-5m")}, axis=1, sort=True
    )
    for name, frame in bars.items():
        datasets[f"crypto/{name}"] = frame["close"].to_frame(name)
    return datasets


@pytest.fixture(scope="session")
def ohlc_datasets() -> dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """``(high, low, close)`` wide frames: each crypto file alone, and the BTC pairs aligned."""
    bars = ohlc_by_file(_require_data())
    datasets = {
        f"crypto/{name}": tuple(frame[field].to_frame(name) for field in ("high", "low", "close"))  # type: ignore[misc]
        for name, frame in bars.items()
    }
    btc = {name: frame for name, frame in bars.items() if name.endswith("BTC-5m")}
    datasets["crypto_btc_5m_aligned"] = tuple(  # type: ignore[assignment]
        pd.concat({name: frame[field] for name, frame in btc.items()}, axis=1, sort=True)
        for field in ("high", "low", "close")
    )
    return datasets


def ohlc_by_file(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every ``crypto/*.csv`` file as an OHLCV frame, keyed by file stem."""
    return {path.stem: _read_bars(path) for path in sorted((data_dir / "crypto").glob("*.csv"))}


@pytest.fixture
def random_walk_closes() -> pd.DataFrame:
    """Seeded synthetic closes: 400 bars x 4 assets, one listed 57 bars late."""
    rng = np.random.default_rng(20240601)
    steps = rng.normal(0.0, 0.01, size=(400, 4))
    closes = 100.0 * np.exp(np.cumsum(steps, axis=0))
    closes[:57, 2] = np.nan
    index = pd.date_range("2024-01-01", periods=400, freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame(closes, index=index, columns=["AAA", "BBB", "LATE", "DDD"])
