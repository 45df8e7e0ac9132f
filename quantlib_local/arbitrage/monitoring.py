"""The arbitrage monitor of design listing 3, as data: :func:`monitoring_report`.

Listing 3 collects metrics (venues connected, assets monitored, average latency,
opportunities per minute), writes a 24 h report (opportunities identified, best venue
pair, most profitable assets) and raises alerts. Here the period is whatever window the
:class:`~quantlib_local.arbitrage.episodes.ReplayResult` covers (a replay, or a live
tracker's window), and nothing is printed or sent: the report is a typed object whose
:meth:`~MonitoringReport.to_dict` feeds a nightly job, a dashboard or a REST answer.

Alerts (thresholds from :class:`~quantlib_local.arbitrage.config.ArbitrageConfig`):

=============================  ==================================================================
``LOW_ARBITRAGE_OPPORTUNITIES``  opportunities per hour below ``alert_min_opportunities_per_hour``
``HIGH_EXCHANGE_LATENCY``        a venue's mean feed latency above ``alert_max_latency_ms`` (one per venue)
``EXCHANGE_COVERAGE_LOW``        fewer venues quoting than ``alert_min_exchanges``
``ASSET_COVERAGE_LOW``           fewer symbols quoted than ``alert_min_assets``
=============================  ==================================================================

Opportunities are counted once per episode (when they open), as listing 3's detection rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.arbitrage.episodes import ReplayResult
from quantlib_local.exceptions import ValidationError

ALERT_CODES: tuple[str, ...] = (
    "LOW_ARBITRAGE_OPPORTUNITIES", "HIGH_EXCHANGE_LATENCY", "EXCHANGE_COVERAGE_LOW", "ASSET_COVERAGE_LOW",
)
"""The alerts :func:`monitoring_report` can raise (names from listing 3, plus exchange coverage)."""


@dataclass(frozen=True)
class Alert:
    """One alert: which rule, the value measured, the threshold it broke, and the venue when it is about one."""

    code: str
    message: str
    value: float
    threshold: float
    venue: str | None = None


@dataclass(frozen=True)
class MonitoringReport:
    """Listing 3's metrics and report over one period, with its alerts.

    Attributes
    ----------
    period_start, period_end, duration_s
        The window (first and last quote receipt).
    quote_updates, updates_per_second
        Quotes processed, and their rate over the window (table 2 asks 10,000+/s of the system).
    venues_covered, symbols_covered
        Venues that sent at least one quote; symbols quoted.
    opportunities, opportunities_per_minute, opportunities_per_hour
        Episodes opened in the window, and their rate (NaN for a zero-length window).
    net_edge_median, net_edge_p95
        Net edge (eq. 7) of the opportunities as detected (NaN when there were none).
    lifetime_median_ms, lifetime_p95_ms
        How long the closed episodes lasted.
    latency_mean_ms, latency_median_ms, latency_p95_ms
        Feed latency over every quote (receipt minus exchange timestamp).
    expected_profit_total
        Sum of the expected profits (eq. 7) as detected: an upper bound, nothing was executed.
    best_pair
        ``"buy_venue->sell_venue"`` with the largest total expected profit (None without opportunities).
    top_symbols
        Up to ten symbols by total expected profit.
    venue_latency
        The replay's per-venue table (quotes, out-of-order, stale on arrival, latency mean / median / p95).
    alerts
        In the order of :data:`ALERT_CODES`.
    """

    period_start: pd.Timestamp
    period_end: pd.Timestamp
    duration_s: float
    quote_updates: int
    updates_per_second: float
    venues_covered: int
    symbols_covered: int
    opportunities: int
    opportunities_per_minute: float
    opportunities_per_hour: float
    net_edge_median: float
    net_edge_p95: float
    lifetime_median_ms: float
    lifetime_p95_ms: float
    latency_mean_ms: float
    latency_median_ms: float
    latency_p95_ms: float
    expected_profit_total: float
    best_pair: str | None
    top_symbols: tuple[str, ...]
    venue_latency: pd.DataFrame
    alerts: tuple[Alert, ...]

    def to_dict(self) -> dict[str, float | int | str | None]:
        """Scalar metrics (timestamps as ISO strings, alert codes joined by commas), JSON-ready."""
        out: dict[str, float | int | str | None] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name in ("venue_latency", "alerts"):
                continue
            if isinstance(value, pd.Timestamp):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, float) and not math.isfinite(value):
                value = None
            out[name] = value
        out["alerts"] = ",".join(alert.code for alert in self.alerts)
        return out

    def alerts_frame(self) -> pd.DataFrame:
        """One row per alert: code, venue, value, threshold, message."""
        columns = ["code", "venue", "value", "threshold", "message"]
        return pd.DataFrame([{name: getattr(alert, name) for name in columns} for alert in self.alerts],
                            columns=columns)


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else math.nan


def monitoring_report(replay: ReplayResult, config: ArbitrageConfig | None = None) -> MonitoringReport:
    """Listing 3's metrics, report and alerts for the window ``replay`` covers.

    Parameters
    ----------
    replay
        From :func:`~quantlib_local.arbitrage.replay.replay` or ``OpportunityTracker.result()``.
    config
        Alert thresholds; None uses the replay's own config.
    """
    if not isinstance(replay, ReplayResult):
        raise ValidationError("replay", type(replay).__name__, "pass the ReplayResult of replay() or a tracker")
    config = replay.config if config is None else config
    if not isinstance(config, ArbitrageConfig):
        raise ValidationError("config", config, "pass an ArbitrageConfig, or None for the replay's own")
    opportunities = replay.opportunities
    net = np.array([o.net_edge for o in opportunities], dtype=np.float64)
    lifetimes = np.array([e.lifetime_ms for e in replay.episodes], dtype=np.float64)
    lifetimes = lifetimes[np.isfinite(lifetimes)]
    duration = replay.duration_s
    per_minute = len(opportunities) / (duration / 60.0) if duration > 0 else math.nan
    stats = replay.venue_stats
    profit = pd.DataFrame({
        "pair": [f"{o.buy_venue}->{o.sell_venue}" for o in opportunities],
        "symbol": [o.symbol for o in opportunities],
        "profit": [o.expected_profit for o in opportunities],
    })
    by_pair = profit.groupby("pair")["profit"].sum().sort_values(ascending=False, kind="stable")
    by_symbol = profit.groupby("symbol")["profit"].sum().sort_values(ascending=False, kind="stable")
    quotes = stats["quotes"].to_numpy()
    weighted = (stats["latency_mean_ms"] * stats["quotes"]).sum()
    latency_mean = float(weighted / quotes.sum()) if quotes.sum() else math.nan
    report = dict(
        period_start=replay.start, period_end=replay.end, duration_s=duration, quote_updates=replay.n_events,
        updates_per_second=replay.n_events / duration if duration > 0 else math.nan,
        venues_covered=int((quotes > 0).sum()), symbols_covered=len(replay.symbols),
        opportunities=len(opportunities), opportunities_per_minute=per_minute,
        opportunities_per_hour=per_minute * 60.0,
        net_edge_median=_quantile(net, 50), net_edge_p95=_quantile(net, 95),
        lifetime_median_ms=_quantile(lifetimes, 50), lifetime_p95_ms=_quantile(lifetimes, 95),
        latency_mean_ms=latency_mean, latency_median_ms=replay.latency_median_ms, latency_p95_ms=replay.latency_p95_ms,
        expected_profit_total=float(profit["profit"].sum()),
        best_pair=str(by_pair.index[0]) if len(by_pair) else None,
        top_symbols=tuple(str(name) for name in by_symbol.index[:10]),
        venue_latency=stats,
    )
    return MonitoringReport(**report, alerts=tuple(_alerts(report, stats, config)))


def _alerts(report: dict, stats: pd.DataFrame, config: ArbitrageConfig) -> list[Alert]:
    alerts = []
    rate = report["opportunities_per_hour"]
    if math.isfinite(rate) and rate < config.alert_min_opportunities_per_hour:
        alerts.append(Alert("LOW_ARBITRAGE_OPPORTUNITIES",
                            f"{rate:.1f} opportunities per hour, below {config.alert_min_opportunities_per_hour:g}",
                            rate, config.alert_min_opportunities_per_hour))
    for venue, mean in stats["latency_mean_ms"].items():
        if math.isfinite(mean) and mean > config.alert_max_latency_ms:
            alerts.append(Alert("HIGH_EXCHANGE_LATENCY",
                                f"{venue}: mean feed latency {mean:.1f} ms, above {config.alert_max_latency_ms:g} ms",
                                float(mean), config.alert_max_latency_ms, venue=str(venue)))
    for code, key, threshold, what in (
        ("EXCHANGE_COVERAGE_LOW", "venues_covered", config.alert_min_exchanges, "venues"),
        ("ASSET_COVERAGE_LOW", "symbols_covered", config.alert_min_assets, "symbols"),
    ):
        if report[key] < threshold:
            alerts.append(Alert(code, f"{report[key]} {what} quoted, below {threshold}", float(report[key]),
                                float(threshold)))
    return alerts
