"""Market data: the OHLCV contract, loaders, the exchange cache and synthetic generators."""

from quantlib_local.data.bundled import (
    BUNDLED_DATASETS,
    BundledDataset,
    list_bundled,
    load_bundled,
)
from quantlib_local.data.ccxt_history import RetryPolicy, fetch_ohlcv_history
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
from quantlib_local.data.files import (
    combine_assets,
    load_ohlcv,
    load_ohlcv_many,
    load_price_table,
)
from quantlib_local.data.parquet_cache import OHLCVCache, cached_ohlcv
from quantlib_local.data.synthetic import (
    DEFAULT_VENUES,
    QUOTE_COLUMNS,
    GarchBars,
    HestonBars,
    HestonPaths,
    RegimeSwitchingBars,
    VenueSpec,
    correlated_bars,
    garch_bars,
    gbm_bars,
    heston_bars,
    heston_paths,
    multi_venue_quotes,
    regime_switching_bars,
)

__all__ = [
    "BUNDLED_DATASETS",
    "DEFAULT_VENUES",
    "GarchBars",
    "HestonBars",
    "HestonPaths",
    "QUOTE_COLUMNS",
    "RegimeSwitchingBars",
    "VenueSpec",
    "correlated_bars",
    "garch_bars",
    "gbm_bars",
    "heston_bars",
    "heston_paths",
    "multi_venue_quotes",
    "regime_switching_bars",
    "BundledDataset",
    "OHLCVCache",
    "OHLCVReport",
    "RetryPolicy",
    "cached_ohlcv",
    "combine_assets",
    "fetch_ohlcv_history",
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
