"""Replay a whole quote stream event by event, vectorised: :func:`replay`.

The state after each quote is what a live tracker would hold: the quote matrix as of
that quote's receipt, scanned at that instant. Rather than loop over events, the replay
rebuilds that state for every event at once, one symbol at a time:

1. for each event and venue, the stored quote is the one with the largest
   ``(exchange time, position)`` among the symbol's quotes received so far (the matrix's
   out-of-order rule): a running maximum over ranks (``numpy.maximum.accumulate``);
2. every ``(event, buy venue, sell venue)`` is checked with the shared eq. 7 kernel,
   in chunks of events (memory stays ``chunk x venues^2``);
3. a pair that qualifies at event ``e`` *continues* an episode when it qualified at
   ``e - 1`` and the quotes it held then are still fresh at ``e``; otherwise it opens one.
   An episode ends at the next event where it does not continue: at that quote's receipt,
   or earlier, when a leg went stale (closed at the instant it passed ``max_quote_age_ms``).

Opportunities can only change when a quote of the same symbol arrives or a quote goes
stale, so this equals the tick-by-tick :class:`~quantlib_local.arbitrage.tracker.OpportunityTracker`
exactly (a test checks it), at numpy speed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantlib_local.arbitrage._inputs import QuoteArrays, quote_arrays
from quantlib_local.arbitrage._pairs import check_pairs, legs
from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.arbitrage.edges import PairEdges
from quantlib_local.arbitrage.episodes import OpportunityEpisode, ReplayResult, sort_episodes, venue_stats
from quantlib_local.arbitrage.quote_matrix import MatrixBlock
from quantlib_local.arbitrage.scanner import check_config, make_opportunities, timestamps
from quantlib_local.exceptions import ValidationError

_CELLS_PER_CHUNK = 1_000_000  # (events x venues x venues) evaluated at once


def replay(quotes: pd.DataFrame, config: ArbitrageConfig | None = None) -> ReplayResult:
    """Every opportunity episode of a quote stream, as a live tracker would have seen it.

    Parameters
    ----------
    quotes
        A frame with ``QUOTE_COLUMNS`` (e.g. :func:`~quantlib_local.data.synthetic.multi_venue_quotes`,
        or quotes recorded from a live feed); processed in received-time order (ties in frame order).
    config
        Thresholds; None uses the design's defaults.

    Returns
    -------
    ReplayResult
        Episodes in order of opening, plus the stream's latency and coverage statistics.
    """
    config = check_config(config)
    data = quote_arrays(quotes)
    if len(data) == 0:
        raise ValidationError("quotes", "empty frame", "pass at least one quote")
    accepted = np.ones(len(data), dtype=bool)
    episodes: list[OpportunityEpisode] = []
    by_symbol = np.argsort(data.symbol, kind="stable")  # each symbol's events, still in received order
    bounds = np.cumsum(np.bincount(data.symbol, minlength=len(data.symbols)))
    for rows in np.split(by_symbol, bounds[:-1]):
        episodes.extend(_replay_symbol(data, rows, config, accepted))
    stats, median, p95 = venue_stats(data.venues, data.venue, data.symbol, data.received_ns - data.exchange_ns,
                                     accepted, config)
    return ReplayResult(
        episodes=sort_episodes(episodes), symbols=data.symbols, venues=data.venues, n_events=len(data),
        n_out_of_order=int((~accepted).sum()), start=_stamp(data.received_ns[0]), end=_stamp(data.received_ns[-1]),
        venue_stats=stats, latency_median_ms=median, latency_p95_ms=p95, config=config,
    )


def _stamp(ns: int) -> pd.Timestamp:
    return pd.Timestamp(int(ns), unit="ns", tz="UTC")


def _stored_quotes(venue: np.ndarray, exchange_ns: np.ndarray, n_venues: int) -> tuple[np.ndarray, np.ndarray]:
    """For each event and venue, the event whose quote the matrix holds (``present`` False: none yet)."""
    n = len(venue)
    position = np.arange(n)
    by_rank = np.lexsort((position, exchange_ns))  # ascending (exchange time, position)
    rank = np.empty(n, dtype=np.int64)
    rank[by_rank] = position
    marks = np.full((n, n_venues), -1, dtype=np.int64)
    marks[position, venue] = rank
    np.maximum.accumulate(marks, axis=0, out=marks)
    present = marks >= 0
    return by_rank[np.where(present, marks, 0)], present


def _replay_symbol(data: QuoteArrays, rows: np.ndarray, config: ArbitrageConfig,
                   accepted: np.ndarray) -> list[OpportunityEpisode]:
    n_venues, n_events = len(data.venues), len(rows)
    venue, now = data.venue[rows], data.received_ns[rows]
    stored, present = _stored_quotes(venue, data.exchange_ns[rows], n_venues)
    accepted[rows] = stored[np.arange(n_events), venue] == np.arange(n_events)
    book = MatrixBlock(*(getattr(data, name)[rows][stored] for name in MatrixBlock._fields[:-1]), present)
    distinct = ~np.eye(n_venues, dtype=bool)
    chunk = max(1, _CELLS_PER_CHUNK // (n_venues * n_venues))
    was_valid = np.zeros((n_venues, n_venues), dtype=bool)
    was_expiry = np.zeros((n_venues, n_venues), dtype=np.int64)
    found: dict[str, list[np.ndarray]] = {key: [] for key in ("event", "pair", "cont", "net", "expiry", "touched")}
    opening: dict[str, list[np.ndarray]] = {key: [] for key in (
        "event", "buy", "sell", "buy_price", "sell_price", *PairEdges._fields, "latency_ms", "quote_age_ms",
        "execution_time_s")}
    for a in range(0, n_events, chunk):
        b = min(a + chunk, n_events)
        part = MatrixBlock(*(array[a:b] for array in book))
        at = now[a:b, None, None]
        check = check_pairs(legs(part, -2), legs(part, -1), at, distinct, config)
        prev_valid = np.concatenate([was_valid[None], check.valid[:-1]])
        prev_expiry = np.concatenate([was_expiry[None], check.expiry_ns[:-1]])
        cont = check.valid & prev_valid & (prev_expiry >= at)
        e, j, i = np.nonzero(check.valid)
        for key, values in (("event", a + e), ("pair", j * n_venues + i), ("cont", cont[e, j, i]),
                            ("net", check.edges.net_edge[e, j, i]), ("expiry", check.expiry_ns[e, j, i]),
                            ("touched", ((venue[a + e] == j) | (venue[a + e] == i)) & accepted[rows[a + e]])):
            found[key].append(values)
        o = ~cont[e, j, i]  # the entries that open an episode: keep everything an Opportunity needs
        e, j, i = e[o], j[o], i[o]
        for key, values in (("event", a + e), ("buy", j), ("sell", i), ("buy_price", part.ask[e, j]),
                            ("sell_price", part.bid[e, i]),
                            *((name, array[e, j, i]) for name, array in zip(PairEdges._fields, check.edges)),
                            ("latency_ms", check.latency_ms[e, j, i]), ("quote_age_ms", check.quote_age_ms[e, j, i]),
                            ("execution_time_s", check.execution_time_s[e, j, i])):
            opening[key].append(values)
        was_valid, was_expiry = check.valid[-1], check.expiry_ns[-1]
    return _episodes(data, rows, now, found, opening, config)


def _episodes(data: QuoteArrays, rows: np.ndarray, now: np.ndarray, found: dict[str, list[np.ndarray]],
              opening: dict[str, list[np.ndarray]], config: ArbitrageConfig) -> list[OpportunityEpisode]:
    """Group the qualifying (event, pair) entries into episodes and say how each one ended."""
    entry = {key: np.concatenate(parts) for key, parts in found.items()}
    if len(entry["event"]) == 0:
        return []
    order = np.lexsort((entry["event"], entry["pair"]))
    entry = {key: array[order] for key, array in entry.items()}
    starts = np.flatnonzero(~entry["cont"])  # every episode begins with an opening entry
    ends = np.r_[starts[1:] - 1, len(order) - 1]
    peak = np.maximum.reduceat(entry["net"], starts)
    updates = np.add.reduceat(entry["touched"].astype(np.int64), starts)
    last_event, expiry = entry["event"][ends], entry["expiry"][ends]
    n_events, end_ns = len(rows), int(data.received_ns[-1])
    has_next = last_event + 1 < n_events
    next_ns = now[np.minimum(last_event + 1, n_events - 1)]
    stale = expiry < np.where(has_next, next_ns, end_ns)
    closed_ns = np.where(stale, expiry, next_ns)
    # the opening entries, put in the same (pair, event) order as `starts`
    opened = {key: np.concatenate(parts) for key, parts in opening.items()}
    open_order = np.lexsort((opened["event"], opened["buy"] * len(data.venues) + opened["sell"]))
    opened = {key: array[open_order] for key, array in opened.items()}
    venues = np.array(data.venues, dtype=object)
    opportunities = make_opportunities(
        [data.symbols[data.symbol[rows[0]]]] * len(open_order), venues[opened["buy"]], venues[opened["sell"]],
        opened["buy_price"], opened["sell_price"], PairEdges(*(opened[name] for name in PairEdges._fields)),
        opened["latency_ms"], opened["quote_age_ms"], opened["execution_time_s"], now[opened["event"]], config,
    )
    out = []
    for opportunity, event, followed, went_stale, closed, top, count in zip(
        opportunities, rows[opened["event"]].tolist(), has_next.tolist(), stale.tolist(), timestamps(closed_ns),
        peak.tolist(), updates.tolist(),
    ):
        still_open = not followed and not went_stale
        out.append(OpportunityEpisode(
            opportunity=opportunity, open_event=event, closed_at=None if still_open else closed,
            close_reason="open" if still_open else ("stale" if went_stale else "quote"),
            peak_net_edge=top, updates=count,
        ))
    return out
