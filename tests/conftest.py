"""Shared fixtures: where the real test data lives, and small bar frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real market data for tests); skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA}; clone the project beside its shared/ folder")
    return SHARED_DATA


@pytest.fixture()
def bars() -> pd.DataFrame:
    """Ten valid daily bars for one asset."""
    index = pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC", name="timestamp")
    close = 100 + np.arange(10, dtype=float)
    return pd.DataFrame(
        {"open": close - 0.5, "high": close + 1, "low": close - 1, "close": close, "volume": 1000.0}, index=index
    )
