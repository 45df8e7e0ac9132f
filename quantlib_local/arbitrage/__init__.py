"""Multi-venue arbitrage (layer 4, pure math, no I/O): quote matrix, scanner (eq. 7), priority (eq. 8).

The same logic runs on a recorded quote frame and tick by tick::

    from quantlib_local import arbitrage as arb
    from quantlib_local.data.synthetic import multi_venue_quotes

    quotes = multi_venue_quotes(["BTC/USDT"], ["binance", "okx", "kraken"], 5_000, seed=7)
    config = arb.ArbitrageConfig()                       # listing 3 defaults
    result = arb.scan(arb.QuoteMatrix.from_frame(quotes), config)   # one snapshot, ranked by eq. 8
    result.frame()                                       # OPPORTUNITY_COLUMNS
    history = arb.replay(quotes, config)                 # every episode, vectorised
    report = arb.monitoring_report(history)              # listing 3 metrics and alerts

    tracker = arb.OpportunityTracker(config)             # live: one quote at a time
    step = tracker.on_quote(arb.Quote.from_ccxt_ticker("binance", ticker, taker_fee=0.001, received_at=now))

Modules: :mod:`~.config` (thresholds and their sources), :mod:`~.edges` (eq. 7 and eq. 8
arithmetic and our definitions of eq. 8's factors), :mod:`~.quote_matrix`, :mod:`~.scanner`,
:mod:`~.replay`, :mod:`~.tracker`, :mod:`~.episodes`, :mod:`~.monitoring`.
"""

from __future__ import annotations

from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.arbitrage.edges import (
    PairEdges,
    execution_time_s,
    liquidity_score,
    pair_edges,
    priority_score,
    risk_factor,
)
from quantlib_local.arbitrage.episodes import (
    CLOSE_REASONS,
    VENUE_STATS_COLUMNS,
    OpportunityEpisode,
    ReplayResult,
)
from quantlib_local.arbitrage.monitoring import ALERT_CODES, Alert, MonitoringReport, monitoring_report
from quantlib_local.arbitrage.quote_matrix import MatrixBlock, Quote, QuoteMatrix
from quantlib_local.arbitrage.replay import replay
from quantlib_local.arbitrage.scanner import (
    OPPORTUNITY_COLUMNS,
    Opportunity,
    ScanResult,
    opportunities_frame,
    scan,
    scan_quotes,
)
from quantlib_local.arbitrage.tracker import OpportunityTracker, TrackerStep

__all__ = [
    "ALERT_CODES",
    "CLOSE_REASONS",
    "OPPORTUNITY_COLUMNS",
    "VENUE_STATS_COLUMNS",
    "Alert",
    "ArbitrageConfig",
    "MatrixBlock",
    "MonitoringReport",
    "Opportunity",
    "OpportunityEpisode",
    "OpportunityTracker",
    "PairEdges",
    "Quote",
    "QuoteMatrix",
    "ReplayResult",
    "ScanResult",
    "TrackerStep",
    "execution_time_s",
    "liquidity_score",
    "monitoring_report",
    "opportunities_frame",
    "pair_edges",
    "priority_score",
    "replay",
    "risk_factor",
    "scan",
    "scan_quotes",
]
