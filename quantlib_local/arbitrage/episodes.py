"""What a replay or a live tracker reports: :class:`OpportunityEpisode` and :class:`ReplayResult`.

An *episode* is one persisting opportunity: a (symbol, buy venue, sell venue) pair that
qualifies under eq. 7 from the quote that opened it until a quote of one of its legs
disqualifies it (``close_reason="quote"``, closed at that quote's receipt), or until one
of its quotes goes stale (``"stale"``, closed at the instant it passed ``max_quote_age_ms``),
or it is still open when the stream ends (``"open"``). It is reported once, as first
detected, with its lifetime, its peak net edge and how many leg updates it survived.

Shared by :func:`~quantlib_local.arbitrage.replay.replay` (vectorised) and
:class:`~quantlib_local.arbitrage.tracker.OpportunityTracker` (tick by tick), which build
equal results from the same stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.arbitrage.scanner import Opportunity, opportunities_frame

CLOSE_REASONS: tuple[str, ...] = ("quote", "stale", "open")
"""Why an episode ended: a leg's quote disqualified it, a leg went stale, or it was open at the end."""

VENUE_STATS_COLUMNS: tuple[str, ...] = (
    "quotes", "symbols", "out_of_order", "stale_on_arrival", "latency_mean_ms", "latency_median_ms", "latency_p95_ms",
)
"""Columns of :attr:`ReplayResult.venue_stats` (one row per venue)."""


@dataclass(frozen=True)
class OpportunityEpisode:
    """One opportunity from the quote that opened it to the moment it closed.

    Attributes
    ----------
    opportunity
        As first detected (``detected_at`` is the opening time).
    open_event
        Position of the opening quote in the stream (received-time order, ties in input order).
    closed_at
        When it closed (UTC), or None while open at the end of the stream.
    close_reason
        One of :data:`CLOSE_REASONS`.
    peak_net_edge
        Largest net edge (eq. 7) while it lasted.
    updates
        Quotes of its two legs accepted while it stayed open, the opening one included.
    """

    opportunity: Opportunity
    open_event: int
    closed_at: pd.Timestamp | None
    close_reason: str
    peak_net_edge: float
    updates: int

    @property
    def opened_at(self) -> pd.Timestamp:
        return self.opportunity.detected_at

    @property
    def lifetime_ms(self) -> float:
        """Milliseconds from opening to closing (NaN while open)."""
        if self.closed_at is None:
            return math.nan
        return (self.closed_at - self.opened_at).value / 1e6


@dataclass(frozen=True)
class ReplayResult:
    """Every opportunity episode of a quote stream, with the stream's own statistics.

    Attributes
    ----------
    episodes
        In order of opening (``open_event``, then buy and sell venue names).
    symbols, venues
        Names seen, in order of first appearance.
    n_events, n_out_of_order
        Quotes processed, and those ignored because a newer quote of their (symbol, venue) was stored.
    start, end
        First and last receipt time (UTC).
    venue_stats
        One row per venue, columns :data:`VENUE_STATS_COLUMNS`: quotes, distinct symbols,
        out-of-order and stale-on-arrival counts, feed latency mean / median / p95 (ms).
    latency_median_ms, latency_p95_ms
        Feed latency over every quote.
    config
        The thresholds used.
    """

    episodes: tuple[OpportunityEpisode, ...]
    symbols: tuple[str, ...]
    venues: tuple[str, ...]
    n_events: int
    n_out_of_order: int
    start: pd.Timestamp
    end: pd.Timestamp
    venue_stats: pd.DataFrame
    latency_median_ms: float
    latency_p95_ms: float
    config: ArbitrageConfig

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).value / 1e9

    @property
    def opportunities(self) -> tuple[Opportunity, ...]:
        """Each episode's opportunity as first detected."""
        return tuple(episode.opportunity for episode in self.episodes)

    def frame(self) -> pd.DataFrame:
        """One row per episode at its opening, exactly ``OPPORTUNITY_COLUMNS`` (what the store keeps)."""
        return opportunities_frame(self.opportunities)

    def episodes_frame(self) -> pd.DataFrame:
        """Every :class:`~quantlib_local.arbitrage.scanner.Opportunity` field plus the episode's lifetime columns."""
        frame = opportunities_frame(self.opportunities, full=True)
        frame["open_event"] = np.array([e.open_event for e in self.episodes], dtype=np.int64)
        closed = [e.closed_at for e in self.episodes]
        frame["closed_at"] = pd.to_datetime(pd.Series(closed, dtype=object), utc=True).dt.as_unit("ns")
        frame["lifetime_ms"] = np.array([e.lifetime_ms for e in self.episodes], dtype=np.float64)
        frame["close_reason"] = [e.close_reason for e in self.episodes]
        frame["peak_net_edge"] = np.array([e.peak_net_edge for e in self.episodes], dtype=np.float64)
        frame["updates"] = np.array([e.updates for e in self.episodes], dtype=np.int64)
        return frame


def sort_episodes(episodes: list[OpportunityEpisode]) -> tuple[OpportunityEpisode, ...]:
    """The order of :attr:`ReplayResult.episodes`."""
    return tuple(sorted(episodes, key=lambda e: (e.open_event, e.opportunity.buy_venue, e.opportunity.sell_venue)))


def venue_stats(
    venues: tuple[str, ...], venue: np.ndarray, symbol: np.ndarray, latency_ns: np.ndarray, accepted: np.ndarray,
    config: ArbitrageConfig,
) -> tuple[pd.DataFrame, float, float]:
    """Per-venue table (:data:`VENUE_STATS_COLUMNS`) and the overall median and p95 latency (ms)."""
    latency_ms = latency_ns / 1e6
    rows = {}
    for code, name in enumerate(venues):
        mine = venue == code
        lat = latency_ms[mine]
        spread = (math.nan,) * 3
        if len(lat):
            spread = (float(lat.mean()), float(np.median(lat)), float(np.percentile(lat, 95)))
        rows[name] = (int(mine.sum()), len(np.unique(symbol[mine])), int((~accepted[mine]).sum()),
                      int((latency_ns[mine] > config.max_quote_age_ns).sum()), *spread)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(VENUE_STATS_COLUMNS))
    table.index.name = "venue"
    if len(latency_ms) == 0:
        return table, math.nan, math.nan
    return table, float(np.median(latency_ms)), float(np.percentile(latency_ms, 95))

