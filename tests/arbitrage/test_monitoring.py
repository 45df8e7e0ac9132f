"""Listing 3's monitor: metrics and alerts computed from a replay, as data."""

from __future__ import annotations

import json

import pytest

from quantlib_local.arbitrage import ALERT_CODES, ArbitrageConfig, OpportunityTracker, monitoring_report
from quantlib_local.exceptions import ValidationError
from tests.arbitrage._reference import at

CONFIG = ArbitrageConfig(min_profit=0.001, max_slippage=0.0005, min_volume_usd=100.0)


@pytest.fixture()
def window():
    """Two venues, one symbol, 60 s: two opportunities (a->b twice), venue b with a 150 ms feed."""
    tracker = OpportunityTracker(CONFIG)
    tracker.on_quote(at(0, "X", "a", 99.9, 100.0, latency_ms=5))
    tracker.on_quote(at(160, "X", "b", 100.5, 100.6, latency_ms=150))  # stale on arrival: nothing opens
    tracker.on_quote(at(30_000, "X", "a", 99.9, 100.0, latency_ms=5))
    tracker.on_quote(at(30_010, "X", "b", 100.3, 100.4, latency_ms=5))  # net 0.003 - 0.0005 = 0.0025
    tracker.on_quote(at(59_990, "X", "a", 99.9, 100.0, latency_ms=5))
    tracker.on_quote(at(60_000, "X", "b", 100.5, 100.6, latency_ms=5))  # net 0.005 - 0.0005 = 0.0045
    return tracker.result()


def test_metrics_of_a_hand_made_window(window):
    report = monitoring_report(window)
    assert report.duration_s == pytest.approx(60.0)
    assert (report.quote_updates, report.venues_covered, report.symbols_covered, report.opportunities) == (6, 2, 1, 2)
    assert report.opportunities_per_minute == pytest.approx(2.0) and report.opportunities_per_hour == pytest.approx(120)
    assert report.net_edge_median == pytest.approx((0.0025 + 0.0045) / 2)
    assert report.best_pair == "a->b" and report.top_symbols == ("X",)
    # expected profit: 0.0025 x 10 x 100 + 0.0045 x 10 x 100 = 2.5 + 4.5
    assert report.expected_profit_total == pytest.approx(7.0)
    # latencies: a 5, 5, 5 ms; b 150, 5, 5 ms -> mean 175 / 6, b's mean 53.3 ms
    assert report.latency_mean_ms == pytest.approx(175 / 6)
    assert report.venue_latency.loc["b", "stale_on_arrival"] == 1
    # the first episode opened at 30,010 ms and closed when a's quote (stamped 29,995 ms) passed 100 ms, at
    # 30,095 ms: 85 ms; the second is still open at the end and has no lifetime yet
    assert report.lifetime_median_ms == pytest.approx(85.0)


def test_alerts_follow_the_thresholds(window):
    report = monitoring_report(window)  # defaults: 15 venues, 300 assets, 50 per hour, 100 ms
    assert [a.code for a in report.alerts] == ["EXCHANGE_COVERAGE_LOW", "ASSET_COVERAGE_LOW"]
    assert report.alerts[0].value == 2 and report.alerts[0].threshold == 15
    strict = ArbitrageConfig(alert_min_opportunities_per_hour=500, alert_max_latency_ms=50, alert_min_exchanges=2,
                             alert_min_assets=1)
    alerts = monitoring_report(window, strict).alerts
    assert [(a.code, a.venue) for a in alerts] == [("LOW_ARBITRAGE_OPPORTUNITIES", None),
                                                   ("HIGH_EXCHANGE_LATENCY", "b")]
    assert alerts[1].value == pytest.approx(160 / 3)
    assert set(a.code for a in alerts) <= set(ALERT_CODES)
    relaxed = ArbitrageConfig(alert_min_opportunities_per_hour=0, alert_min_exchanges=0, alert_min_assets=0)
    assert monitoring_report(window, relaxed).alerts == ()


def test_report_as_plain_data(window):
    report = monitoring_report(window)
    data = report.to_dict()
    json.dumps(data)  # JSON-ready
    assert data["alerts"] == "EXCHANGE_COVERAGE_LOW,ASSET_COVERAGE_LOW" and data["opportunities"] == 2
    assert "venue_latency" not in data and data["period_start"].startswith("2023-11-14T22:13:20")
    frame = report.alerts_frame()
    assert frame["code"].tolist() == ["EXCHANGE_COVERAGE_LOW", "ASSET_COVERAGE_LOW"]


def test_bad_input_names_its_field(window):
    with pytest.raises(ValidationError) as caught:
        monitoring_report(window.episodes)
    assert caught.value.field == "replay"
    with pytest.raises(ValidationError) as caught:
        monitoring_report(window, config={"min_assets": 1})
    assert caught.value.field == "config"
