"""Replay of a SYNTHETIC quote stream: deterministic, equal to the tick-by-tick tracker, and every
opportunity it reports checks out against the quote matrix at that instant."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from quantlib_local.arbitrage import (
    CLOSE_REASONS,
    OPPORTUNITY_COLUMNS,
    ArbitrageConfig,
    OpportunityTracker,
    QuoteMatrix,
    replay,
    scan,
)
from quantlib_local.data.synthetic import DEFAULT_VENUES, VenueSpec, multi_venue_quotes
from quantlib_local.exceptions import ValidationError

VENUES = ("binance", "kraken", "coinbase", "bybit", "okx")
CONFIG = ArbitrageConfig(min_profit=0.0005)


def _stream(seed: int = 21, n_ticks: int = 1500, noise_bps: float = 10.0, fee: float | None = None) -> pd.DataFrame:
    # venues that drift apart by ~10 bps so that opportunities survive the venues' own taker fees
    specs = [dataclasses.replace(DEFAULT_VENUES[name], price_noise_bps=noise_bps,
                                 **({} if fee is None else {"taker_fee": fee})) for name in VENUES]
    return multi_venue_quotes(["BTC/USDT", "ETH/USDT"], specs, n_ticks, seed=seed, tick_interval_ms=50,
                              s0={"BTC/USDT": 60_000.0, "ETH/USDT": 3_000.0})


@pytest.fixture(scope="module")
def quotes() -> pd.DataFrame:
    return _stream()


@pytest.fixture(scope="module")
def history(quotes):
    return replay(quotes, CONFIG)


def test_replay_is_deterministic(quotes, history):
    again = replay(_stream(), CONFIG)
    assert again.episodes == history.episodes
    pd.testing.assert_frame_equal(again.episodes_frame(), history.episodes_frame())
    assert len(history.episodes) > 50  # the stream does hold opportunities
    assert replay(_stream(seed=22), CONFIG).episodes != history.episodes


def test_replay_equals_the_tick_by_tick_tracker(quotes, history):
    tracker = OpportunityTracker(CONFIG)
    step = tracker.feed(quotes)
    live = tracker.result()
    assert live.episodes == history.episodes
    assert (live.symbols, live.venues, live.n_events, live.n_out_of_order, live.start, live.end) == (
        history.symbols, history.venues, history.n_events, history.n_out_of_order, history.start, history.end)
    pd.testing.assert_frame_equal(live.venue_stats, history.venue_stats)
    assert (live.latency_median_ms, live.latency_p95_ms) == (history.latency_median_ms, history.latency_p95_ms)
    # each opportunity was emitted once, when it opened
    assert [o.key for o in step.opened] == [e.opportunity.key for e in sorted(
        history.episodes, key=lambda e: (e.open_event, e.opportunity.buy_venue, e.opportunity.sell_venue))]
    assert len(step.closed) == sum(e.close_reason != "open" for e in history.episodes)


@pytest.mark.parametrize("fee", [0.0, 0.0005])
def test_replay_equals_the_tracker_at_other_fee_levels(fee):
    quotes = _stream(seed=5, n_ticks=600, fee=fee)
    config = ArbitrageConfig(min_profit=0.0002, max_slippage=0.0002)
    tracker = OpportunityTracker(config)
    tracker.feed(quotes)
    assert tracker.result().episodes == replay(quotes, config).episodes


def test_replay_equals_the_tracker_with_coarse_clocks_slow_venues_and_partial_listings():
    specs = [
        VenueSpec("fast", latency_ms_mean=0.0, latency_ms_jitter=0.0, price_noise_bps=8.0, taker_fee=0.0002),
        VenueSpec("slow", latency_ms_mean=90.0, latency_ms_jitter=30.0, price_noise_bps=8.0, taker_fee=0.0002),
        dataclasses.replace(DEFAULT_VENUES["okx"], price_noise_bps=8.0),
    ]
    quotes = multi_venue_quotes(["A", "B"], specs, 1500, seed=3, tick_interval_ms=40, s0=20_000.0)
    # a millisecond receipt clock (many ties, kept in frame order), and "slow" does not list B
    quotes = quotes.assign(timestamp_received=quotes["timestamp_received"].dt.ceil("ms"))
    quotes = quotes[~((quotes["venue"] == "slow") & (quotes["symbol"] == "B"))].reset_index(drop=True)
    assert quotes["timestamp_received"].duplicated().sum() > 100
    config = ArbitrageConfig(min_profit=0.0003)
    history = replay(quotes, config)
    tracker = OpportunityTracker(config)
    tracker.feed(quotes)
    live = tracker.result()
    assert len(history.episodes) > 20 and history.venue_stats.loc["slow", "stale_on_arrival"] > 0
    assert history.venue_stats.loc["slow", "symbols"] == 1
    assert live.episodes == history.episodes
    pd.testing.assert_frame_equal(live.venue_stats, history.venue_stats)


def test_every_opening_checks_out_against_the_matrix_at_that_time(quotes, history):
    assert quotes["timestamp_received"].is_monotonic_increasing  # stream position = row position
    rng = np.random.default_rng(0)
    picks = rng.choice(len(history.episodes), size=min(40, len(history.episodes)), replace=False)
    for k in picks:
        episode = history.episodes[k]
        opened = episode.opportunity
        matrix = QuoteMatrix.from_frame(quotes.iloc[: episode.open_event + 1])
        found = {o.key: o for o in scan(matrix, CONFIG, as_of=opened.detected_at).opportunities}
        assert found[opened.key] == opened  # every field, exactly
        if episode.open_event > 0:
            # the quotes held one quote earlier, scanned at this instant, do not make it: this quote opened it
            before = QuoteMatrix.from_frame(quotes.iloc[: episode.open_event])
            assert opened.key not in {o.key for o in scan(before, CONFIG, as_of=opened.detected_at).opportunities}


def test_every_closing_checks_out(quotes, history):
    assert {e.close_reason for e in history.episodes} <= set(CLOSE_REASONS)
    stale = [e for e in history.episodes if e.close_reason == "stale"]
    by_quote = [e for e in history.episodes if e.close_reason == "quote"]
    assert stale and by_quote
    for episode in stale[:25]:
        # at the closing instant both quotes are still fresh (age == limit); one nanosecond later one is stale
        at, key = episode.closed_at, episode.opportunity.key
        assert key in {o.key for o in scan(QuoteMatrix.from_frame(quotes, as_of=at), CONFIG, as_of=at).opportunities}
        later = at + pd.Timedelta(1, "ns")
        result = scan(QuoteMatrix.from_frame(quotes, as_of=later), CONFIG, as_of=later)
        assert key not in {o.key for o in result.opportunities} and result.n_stale > 0
    received = quotes["timestamp_received"]
    for episode in by_quote[:25]:
        # the first quote of the symbol after the opening that arrived at the closing time disqualified it
        opp = episode.opportunity
        later = np.flatnonzero((received == episode.closed_at).to_numpy() & (quotes["symbol"] == opp.symbol).to_numpy())
        position = int(later[later > episode.open_event][0])
        after = QuoteMatrix.from_frame(quotes.iloc[: position + 1])
        assert opp.key not in {o.key for o in scan(after, CONFIG, as_of=episode.closed_at).opportunities}
        assert quotes["venue"].iloc[position] in (opp.buy_venue, opp.sell_venue)


def test_episode_bookkeeping(history):
    frame = history.episodes_frame()
    closed = frame[frame["close_reason"] != "open"]
    assert (closed["closed_at"] >= closed["detected_at"]).all() and (closed["lifetime_ms"] >= 0).all()
    assert frame.loc[frame["close_reason"] == "open", "closed_at"].isna().all()
    assert (frame["peak_net_edge"] >= frame["net_edge"]).all() and (frame["updates"] >= 1).all()
    assert frame["open_event"].is_monotonic_increasing
    assert tuple(history.frame().columns) == OPPORTUNITY_COLUMNS and len(history.frame()) == len(frame)
    assert (frame["net_edge"] >= CONFIG.min_profit).all() and (frame["buy_venue"] != frame["sell_venue"]).all()


def test_stream_statistics(quotes, history):
    latency_ms = (quotes["timestamp_received"] - quotes["timestamp_exchange"]).dt.total_seconds() * 1e3
    stats = history.venue_stats
    assert stats["quotes"].to_dict() == quotes["venue"].value_counts().to_dict()
    np.testing.assert_allclose(stats["latency_mean_ms"], latency_ms.groupby(quotes["venue"]).mean()[stats.index],
                               rtol=1e-9)
    assert history.latency_median_ms == pytest.approx(latency_ms.median(), rel=1e-9)
    assert history.n_out_of_order == QuoteMatrix.from_frame(quotes).n_out_of_order == stats["out_of_order"].sum()
    assert history.n_events == len(quotes) and history.duration_s > 0


def test_fees_too_high_for_any_opportunity():
    quotes = _stream(seed=8, n_ticks=800)
    assert len(replay(quotes, CONFIG).episodes) > 0  # the same stream does have some at the venues' fees
    # 1 % per leg: the venues never drift 2 % apart (noise ~10 bps)
    expensive = quotes.assign(taker_fee=0.01)
    assert replay(expensive, CONFIG).episodes == ()
    tracker = OpportunityTracker(CONFIG)
    assert tracker.feed(expensive).opened == ()
    assert scan(QuoteMatrix.from_frame(expensive), CONFIG).opportunities == ()


def test_bad_input_names_its_field(quotes):
    for bad, field in ((quotes.iloc[:0], "quotes"), (quotes.to_numpy(), "quotes"),
                       (quotes.head(5).assign(ask=0.0), "quotes.ask")):
        with pytest.raises(ValidationError) as caught:
            replay(bad)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        replay(quotes.head(5), config="strict")
    assert caught.value.field == "config"
