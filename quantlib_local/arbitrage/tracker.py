"""Tick-by-tick opportunity tracking for a live feed: :class:`OpportunityTracker`.

Hand-written because a live scanner must react to one quote at a time with bounded work.
Each quote updates its cell of the :class:`~quantlib_local.arbitrage.quote_matrix.QuoteMatrix`
and re-checks only the pairs it can change: its venue against every other venue of the
same symbol, as buyer and as seller (``2 x venues`` pairs through the shared eq. 7 kernel,
so O(venues) per quote). Quotes going stale are handled with a heap of expiry times, so an
opportunity whose quote ages past ``max_quote_age_ms`` closes at that instant even when
nothing else arrives (:meth:`OpportunityTracker.advance` moves the clock without a quote).

Each opportunity is emitted once, when it opens; the tracker follows it until it closes
(see :mod:`~quantlib_local.arbitrage.episodes`). Fed the same stream, :meth:`result`
equals :func:`~quantlib_local.arbitrage.replay.replay` exactly. The tracker keeps four
numbers per quote for the latency statistics; start a new one per reporting window.
"""

from __future__ import annotations

import functools
import heapq
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local.arbitrage._inputs import quote_arrays, timestamp_ns
from quantlib_local.arbitrage._pairs import check_pairs
from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.arbitrage.edges import PairEdges
from quantlib_local.arbitrage.episodes import OpportunityEpisode, ReplayResult, sort_episodes, venue_stats
from quantlib_local.arbitrage.quote_matrix import MatrixBlock, Quote, QuoteMatrix
from quantlib_local.arbitrage.scanner import Opportunity, check_config, make_opportunities
from quantlib_local.exceptions import ValidationError


@dataclass(frozen=True)
class TrackerStep:
    """What one quote (or one clock advance) changed: opportunities opened and episodes closed."""

    opened: tuple[Opportunity, ...] = ()
    closed: tuple[OpportunityEpisode, ...] = ()


class _Open:
    """Book-keeping of an open episode (mutable; becomes an OpportunityEpisode when it closes)."""

    __slots__ = ("opportunity", "open_event", "peak", "updates", "expiry", "version")

    def __init__(self, opportunity: Opportunity, open_event: int, peak: float, expiry: int, version: int) -> None:
        self.opportunity, self.open_event, self.peak = opportunity, open_event, peak
        self.updates, self.expiry, self.version = 1, expiry, version

    def close(self, at_ns: int | None, reason: str) -> OpportunityEpisode:
        closed = None if at_ns is None else pd.Timestamp(at_ns, unit="ns", tz="UTC")
        return OpportunityEpisode(self.opportunity, self.open_event, closed, reason, self.peak, self.updates)


@functools.lru_cache(maxsize=4096)
def _pairs_of(n_venues: int, v: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[tuple[int, int, int], ...]]:
    """Venue ``v`` as buyer against every venue, then every venue against ``v`` as seller.

    Returns the buy and sell venue of each of the ``2 x n_venues`` slots, which slots pair two
    distinct venues, and ``(slot, buy, sell)`` for those.
    """
    others = np.arange(n_venues)
    buy, sell = np.r_[np.full(n_venues, v), others], np.r_[others, np.full(n_venues, v)]
    distinct = buy != sell
    for shared in (buy, sell, distinct):
        shared.flags.writeable = False  # the cache hands the same arrays to every call
    pairs = tuple((k, int(buy[k]), int(sell[k])) for k in np.flatnonzero(distinct))
    return buy, sell, distinct, pairs


class OpportunityTracker:
    """Follow arbitrage opportunities quote by quote (see the module docstring).

    Parameters
    ----------
    config
        Thresholds; None uses the design's defaults.

    Attributes
    ----------
    matrix
        The quote matrix the tracker maintains.
    """

    def __init__(self, config: ArbitrageConfig | None = None) -> None:
        self.config = check_config(config)
        self.matrix = QuoteMatrix()
        self._open: dict[tuple[int, int, int], _Open] = {}
        self._heap: list[tuple[int, int, tuple[int, int, int]]] = []
        self._closed: list[OpportunityEpisode] = []
        self._version = 0
        self._events = 0
        self._first_ns: int | None = None
        self._now_ns: int | None = None
        self._log = {name: array("q") for name in ("venue", "symbol", "latency", "accepted")}

    @property
    def open_opportunities(self) -> tuple[Opportunity, ...]:
        """The opportunities open now, as first detected."""
        return tuple(record.opportunity for record in self._open.values())

    def on_quote(self, quote: Quote | Mapping[str, Any]) -> TrackerStep:
        """Process one quote (received-time order); return what opened and what closed."""
        if not isinstance(quote, Quote):
            quote = Quote.from_mapping(quote)
        s, v = self.matrix.code(quote.symbol, quote.venue)
        return self._step(s, v, quote.bid, quote.ask, quote.bid_size, quote.ask_size, quote.taker_fee,
                          quote.exchange_ns, quote.received_ns)

    def feed(self, quotes: pd.DataFrame) -> TrackerStep:
        """Process every quote of a frame with ``QUOTE_COLUMNS`` in received-time order, one at a time."""
        data = quote_arrays(quotes)
        opened: list[Opportunity] = []
        closed: list[OpportunityEpisode] = []
        columns = [getattr(data, name).tolist() for name in
                   ("symbol", "venue", "bid", "ask", "bid_size", "ask_size", "taker_fee", "exchange_ns", "received_ns")]
        for sym, ven, *values in zip(*columns):
            s, v = self.matrix.code(data.symbols[sym], data.venues[ven])
            step = self._step(s, v, *values)
            opened.extend(step.opened)
            closed.extend(step.closed)
        return TrackerStep(tuple(opened), tuple(closed))

    def advance(self, now: Any) -> TrackerStep:
        """Move the clock to ``now`` without a quote, closing what went stale meanwhile."""
        now_ns = self._tick(timestamp_ns(now, "now"), "now")
        return TrackerStep(closed=tuple(self._expire(now_ns)))

    def result(self) -> ReplayResult:
        """Everything so far as a :class:`ReplayResult` (open episodes reported with ``close_reason="open"``)."""
        if self._now_ns is None or self._first_ns is None:
            raise ValidationError("tracker", "no quotes yet", "feed at least one quote before asking for the result")
        episodes = self._closed + [record.close(None, "open") for record in self._open.values()]
        log = {name: np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)
               for name, values in self._log.items()}
        stats, median, p95 = venue_stats(self.matrix.venues, log["venue"], log["symbol"], log["latency"],
                                         log["accepted"].astype(bool), self.config)
        return ReplayResult(
            episodes=sort_episodes(episodes), symbols=self.matrix.symbols, venues=self.matrix.venues,
            n_events=self._events, n_out_of_order=self.matrix.n_out_of_order,
            start=pd.Timestamp(self._first_ns, unit="ns", tz="UTC"),
            end=pd.Timestamp(self._now_ns, unit="ns", tz="UTC"),
            venue_stats=stats, latency_median_ms=median, latency_p95_ms=p95, config=self.config,
        )

    # --- the work per quote ---------------------------------------------------------------

    def _tick(self, now_ns: int, field: str) -> int:
        if self._now_ns is not None and now_ns < self._now_ns:
            clock = pd.Timestamp(self._now_ns, unit="ns", tz="UTC")
            raise ValidationError(field, pd.Timestamp(now_ns, unit="ns", tz="UTC"),
                                  f"feed quotes in received-time order (the clock is at {clock})")
        self._now_ns = now_ns
        return now_ns

    def _step(self, s: int, v: int, bid: float, ask: float, bid_size: float, ask_size: float, taker_fee: float,
              exchange_ns: int, received_ns: int) -> TrackerStep:
        now = self._tick(received_ns, "timestamp_received")
        if self._first_ns is None:
            self._first_ns = now
        closed = self._expire(now)
        accepted = self.matrix.set_cell(s, v, bid, ask, bid_size, ask_size, taker_fee, exchange_ns, received_ns)
        for name, value in (("venue", v), ("symbol", s), ("latency", received_ns - exchange_ns),
                            ("accepted", int(accepted))):
            self._log[name].append(value)
        event = self._events
        self._events += 1
        if not accepted:  # nothing changed; time alone only closes (handled by _expire)
            return TrackerStep(closed=tuple(closed))
        opened = self._recheck(s, v, now, event, closed)
        return TrackerStep(tuple(opened), tuple(closed))

    def _recheck(self, s: int, v: int, now: int, event: int, closed: list[OpportunityEpisode]) -> list[Opportunity]:
        """Re-check venue ``v`` of symbol ``s`` against the others, as buyer and as seller."""
        block = self.matrix.block()
        buy, sell, distinct, pairs = _pairs_of(block.bid.shape[1], v)
        row = MatrixBlock(*(a[s] for a in block))
        check = check_pairs(MatrixBlock(*(a[buy] for a in row)), MatrixBlock(*(a[sell] for a in row)), now,
                            distinct, self.config)
        new = []
        valid, net, expiry = check.valid.tolist(), check.edges.net_edge.tolist(), check.expiry_ns.tolist()
        for k, j, i in pairs:
            key = (s, j, i)
            record = self._open.get(key)
            if valid[k] and record is not None:
                record.peak = max(record.peak, net[k])
                record.updates += 1
                self._schedule(key, record, expiry[k])
            elif valid[k]:
                new.append(k)
            elif record is not None:
                del self._open[key]
                closed.append(record.close(now, "quote"))
                self._closed.append(closed[-1])
        if not new:
            return []
        pick = np.array(new)
        symbol, venues = self.matrix.symbols[s], np.array(self.matrix.venues, dtype=object)
        opportunities = make_opportunities(
            [symbol] * len(pick), venues[buy[pick]], venues[sell[pick]], row.ask[buy[pick]], row.bid[sell[pick]],
            PairEdges(*(a[pick] for a in check.edges)), check.latency_ms[pick], check.quote_age_ms[pick],
            check.execution_time_s[pick], np.full(len(pick), now), self.config,
        )
        for k, opportunity in zip(new, opportunities):
            key = (s, int(buy[k]), int(sell[k]))
            record = _Open(opportunity, event, net[k], expiry[k], 0)
            self._open[key] = record
            self._schedule(key, record, expiry[k])
        return opportunities

    def _schedule(self, key: tuple[int, int, int], record: _Open, expiry: int) -> None:
        self._version += 1
        record.expiry, record.version = expiry, self._version
        heapq.heappush(self._heap, (expiry, self._version, key))

    def _expire(self, now: int) -> list[OpportunityEpisode]:
        """Close every open episode with a quote that went stale before ``now`` (at the instant it did)."""
        closed = []
        while self._heap and self._heap[0][0] < now:
            expiry, version, key = heapq.heappop(self._heap)
            record = self._open.get(key)
            if record is not None and record.version == version:
                del self._open[key]
                closed.append(record.close(expiry, "stale"))
        self._closed.extend(closed)
        return closed
