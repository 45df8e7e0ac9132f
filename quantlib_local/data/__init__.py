"""Market data: the OHLCV contract, loaders, the exchange cache and synthetic generators."""

from quantlib_local.data.bundled import BUNDLED_DATASETS, BundledDataset, list_bundled, load_bundled
from quantlib_local.data.contract import (
    OHLCVReport,
    fill_missing_bars,
    fill_ohlcv_gaps,
    find_gaps,
    infer_bar_frequency,
    is_multi_asset,
    ohlcv_from_rows,
    validate_ohlcv,
)
from quantlib_local.data.files import combine_assets, load_ohlcv, load_ohlcv_many, load_price_table

__all__ = [
    "BUNDLED_DATASETS",
    "BundledDataset",
    "OHLCVReport",
    "combine_assets",
    "fill_missing_bars",
    "fill_ohlcv_gaps",
    "find_gaps",
    "infer_bar_frequency",
    "is_multi_asset",
    "list_bundled",
    "load_bundled",
    "load_ohlcv",
    "load_ohlcv_many",
    "load_price_table",
    "ohlcv_from_rows",
    "validate_ohlcv",
]
