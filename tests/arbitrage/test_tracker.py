"""The tick-by-tick tracker on hand-made quote sequences: open once, follow, close on a quote or on staleness."""

from __future__ import annotations

import pytest

from quantlib_local.arbitrage import ArbitrageConfig, OpportunityTracker, Quote
from quantlib_local.exceptions import ValidationError
from tests.arbitrage._reference import at, stamp

CONFIG = ArbitrageConfig(min_profit=0.001, max_slippage=0.0005, min_volume_usd=100.0)


def test_open_follow_and_close_on_a_quote():
    tracker = OpportunityTracker(CONFIG)
    assert tracker.on_quote(at(0, "X", "a", 99.9, 100.0)).opened == ()
    step = tracker.on_quote(at(10, "X", "b", 100.5, 100.6))
    # buy a at 100.0, sell b at 100.5: net 0.005 - 0 - 0.0005 = 0.0045
    (opened,) = step.opened
    assert opened.key == ("X", "a", "b") and opened.net_edge == pytest.approx(0.0045)
    assert opened.detected_at == stamp(10)
    # b's bid rises: same opportunity, still open, not emitted again; peak follows
    step = tracker.on_quote(at(20, "X", "b", 100.7, 100.8))
    assert step.opened == () and step.closed == ()
    assert tracker.open_opportunities == (opened,)
    # an unrelated venue's quote does not touch it
    assert tracker.on_quote(at(25, "X", "c", 100.0, 100.9)) == type(step)()
    # b's bid falls below a's ask: closed by that quote, at its receipt
    (closed,) = tracker.on_quote(at(30, "X", "b", 99.95, 100.05)).closed
    assert closed.opportunity == opened and closed.close_reason == "quote" and closed.closed_at == stamp(30)
    assert closed.lifetime_ms == pytest.approx(20.0)
    assert closed.peak_net_edge == pytest.approx(0.007 - 0.0005) and closed.updates == 2
    assert tracker.open_opportunities == ()


def test_close_when_a_quote_goes_stale_even_without_new_quotes():
    tracker = OpportunityTracker(CONFIG)
    tracker.on_quote(at(0, "X", "a", 99.9, 100.0, latency_ms=5))   # exchange stamp -5 ms
    (opened,) = tracker.on_quote(at(10, "X", "b", 100.5, 100.6, latency_ms=5)).opened
    # a's quote (stamped at -5 ms) passes the 100 ms limit at 95 ms: nothing happens before that
    assert tracker.advance(stamp(95)).closed == ()
    (closed,) = tracker.advance(stamp(95.000001)).closed
    assert closed.close_reason == "stale" and closed.closed_at == stamp(95)
    assert closed.opportunity == opened


def test_a_pair_that_goes_stale_and_is_refreshed_reopens():
    tracker = OpportunityTracker(CONFIG)
    tracker.on_quote(at(0, "X", "a", 99.9, 100.0))
    tracker.on_quote(at(10, "X", "b", 100.5, 100.6))
    # 200 ms later a fresh quote on a: the old episode closed when a went stale (at 95 ms), a new one opens now
    step = tracker.on_quote(at(200, "X", "a", 99.9, 100.0))
    assert [e.close_reason for e in step.closed] == ["stale"] and step.closed[0].closed_at == stamp(95)
    assert step.opened == ()  # b is stale by now (stamped at 5 ms)
    (reopened,) = tracker.on_quote(at(210, "X", "b", 100.5, 100.6)).opened
    assert reopened.detected_at == stamp(210)
    result = tracker.result()
    assert [e.close_reason for e in result.episodes] == ["stale", "open"]
    assert result.episodes[1].closed_at is None and result.n_events == 4


def test_an_out_of_order_quote_changes_nothing():
    tracker = OpportunityTracker(CONFIG)
    tracker.on_quote(at(0, "X", "a", 99.9, 100.0, latency_ms=1))
    tracker.on_quote(at(10, "X", "b", 100.5, 100.6))
    # a quote of a stamped before the stored one (latency 30 ms: stamped at -20 ms) is ignored
    step = tracker.on_quote(at(10, "X", "a", 100.6, 100.7, latency_ms=30))
    assert step == type(step)() and len(tracker.open_opportunities) == 1
    assert tracker.matrix.n_out_of_order == 1


def test_mappings_and_quotes_are_accepted_and_time_runs_forward():
    tracker = OpportunityTracker(CONFIG)
    tracker.on_quote(Quote.from_mapping(at(10, "X", "a", 99.9, 100.0)))
    with pytest.raises(ValidationError) as caught:
        tracker.on_quote(at(5, "X", "b", 100.5, 100.6))
    assert caught.value.field == "timestamp_received"
    with pytest.raises(ValidationError) as caught:
        tracker.advance(stamp(0))
    assert caught.value.field == "now"
    with pytest.raises(ValidationError) as caught:
        OpportunityTracker().result()
    assert caught.value.field == "tracker"
    with pytest.raises(ValidationError) as caught:
        OpportunityTracker(config={"min_profit": 0.0})
    assert caught.value.field == "config"
