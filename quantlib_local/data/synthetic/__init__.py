"""SYNTHETIC market data: seeded generators for tests, demos and research on known truth.

Nothing here is market data. Every bar frame carries ``attrs["synthetic"] = True`` and
``attrs["source"] = "synthetic:<generator>"`` (plus ``attrs["params"]``), and satisfies the
OHLCV contract of :mod:`quantlib_local.data.contract`. Every generator takes ``seed`` (an
integer, a ``numpy.random.Generator``, or None for fresh entropy): the same integer seed
gives identical output.

Bars are built from a finer path (``substeps`` points per bar): the open is the previous
close, high and low are the path extremes inside the bar. Rates are annualised decimals,
converted with the bar length (365-day year for ``calendar="24/7"``, 252 trading days for
``calendar="business"``).

=========================  ==========================================================
``gbm_bars``               geometric Brownian motion, one asset
``correlated_bars``        correlated GBMs, many assets (columns ``(field, symbol)``)
``garch_bars``             GARCH(1,1) returns; true conditional volatility exposed
``heston_paths``           Heston price/variance paths (full-truncation Euler)
``heston_bars``            Heston bars; true variance exposed
``regime_switching_bars``  Markov-switching GBM; true regime path exposed
``ou_bars``                Ornstein-Uhlenbeck (mean-reverting) log price
``multi_venue_quotes``     top-of-book quotes on several venues with latency and fees
``news_headlines``         timestamped headlines whose tone is correlated with returns
=========================  ==========================================================
"""

from quantlib_local.data.synthetic._common import (
    CALENDAR_DAYS_PER_YEAR,
    TRADING_DAYS_PER_YEAR,
)
from quantlib_local.data.synthetic.correlated import correlated_bars
from quantlib_local.data.synthetic.garch import GarchBars, garch_bars
from quantlib_local.data.synthetic.gbm import gbm_bars
from quantlib_local.data.synthetic.heston import (
    HestonBars,
    HestonPaths,
    heston_bars,
    heston_paths,
)
from quantlib_local.data.synthetic.news import news_headlines
from quantlib_local.data.synthetic.ou import ou_bars
from quantlib_local.data.synthetic.quotes import (
    DEFAULT_VENUES,
    QUOTE_COLUMNS,
    VenueSpec,
    multi_venue_quotes,
)
from quantlib_local.data.synthetic.regime import (
    RegimeSwitchingBars,
    regime_switching_bars,
)

__all__ = [
    "CALENDAR_DAYS_PER_YEAR",
    "DEFAULT_VENUES",
    "GarchBars",
    "HestonBars",
    "HestonPaths",
    "QUOTE_COLUMNS",
    "RegimeSwitchingBars",
    "TRADING_DAYS_PER_YEAR",
    "VenueSpec",
    "correlated_bars",
    "garch_bars",
    "gbm_bars",
    "heston_bars",
    "heston_paths",
    "multi_venue_quotes",
    "news_headlines",
    "ou_bars",
    "regime_switching_bars",
]
