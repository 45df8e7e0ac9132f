"""Real market data that ships inside installed packages, so demos and notebooks work offline.

The datasets come from ``arch.data`` (daily S&P 500 and NASDAQ Composite bars from Yahoo
Finance, 1999-2018), which is a runtime dependency anyway.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

import pandas as pd

from quantlib_local.core.bars import INDEX_NAME
from quantlib_local.data.contract import validate_ohlcv
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledDataset:
    """A dataset shipped inside an installed package."""

    name: str
    symbol: str
    description: str
    module: str


BUNDLED_DATASETS: dict[str, BundledDataset] = {
    "sp500": BundledDataset("sp500", "^GSPC", "S&P 500 index, daily OHLCV 1999-01-04..2018-12-31 (Yahoo Finance via arch)", "arch.data.sp500"),
    "nasdaq": BundledDataset("nasdaq", "^IXIC", "NASDAQ Composite, daily OHLCV 1999-01-04..2018-12-31 (Yahoo Finance via arch)", "arch.data.nasdaq"),
}


def list_bundled() -> list[BundledDataset]:
    """The datasets :func:`load_bundled` can load."""
    return list(BUNDLED_DATASETS.values())


def load_bundled(name: str, *, adjust: bool = True) -> pd.DataFrame:
    """Load a bundled dataset as a validated single-asset bar frame.

    Parameters
    ----------
    name
        One of :data:`BUNDLED_DATASETS` (``"sp500"``, ``"nasdaq"``).
    adjust
        Scale open, high, low and close by ``Adj Close / Close`` (identical for these
        indices, which pay no dividends, but kept for symmetry with the file loaders).
    """
    if name not in BUNDLED_DATASETS:
        raise ValidationError("name", name, f"choose one of {sorted(BUNDLED_DATASETS)} (see `qlab data list`)")
    dataset = BUNDLED_DATASETS[name]
    raw = importlib.import_module(dataset.module).load()
    frame = pd.DataFrame(
        {
            "open": raw["Open"],
            "high": raw["High"],
            "low": raw["Low"],
            "close": raw["Close"],
            "volume": raw["Volume"].astype("float64"),
        }
    )
    if adjust:
        factor = raw["Adj Close"] / raw["Close"]
        for column in ("open", "high", "low", "close"):
            frame[column] = frame[column] * factor
    frame.index = pd.DatetimeIndex(raw.index, name=INDEX_NAME).tz_localize("UTC")
    out = validate_ohlcv(frame).frame
    out.attrs["source"] = f"bundled:{name}"
    out.attrs["symbol"] = dataset.symbol
    return out
