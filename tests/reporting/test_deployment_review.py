"""Deployment review: guard history and episodes, trading costs and opportunity routes, from known inputs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from quantlib_local.core import OPPORTUNITY_COLUMNS, Fill, GuardCheck
from quantlib_local.exceptions import ValidationError
from quantlib_local.reporting.deployment_review import (
    GUARD_HISTORY_COLUMNS,
    guard_episodes,
    guard_history_figure,
    guard_history_frame,
    opportunity_summary,
    trading_costs,
)

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


def _checks(guard: str, values: list[float | None], limit: float = 0.1) -> list[GuardCheck]:
    out = []
    for i, value in enumerate(values):
        status = "ok" if value is None or value < 0.8 * limit else ("warning" if value < limit else "tripped")
        out.append(GuardCheck(guard, status, value, limit, T0 + timedelta(hours=i)))
    return out


def test_history_is_sorted_with_utilisation_as_value_over_limit():
    history = guard_history_frame(_checks("b", [0.05, None]) + _checks("a", [0.02, 0.09]))
    assert list(history.columns) == list(GUARD_HISTORY_COLUMNS)
    assert list(history["guard"]) == ["a", "b", "a", "b"]
    assert history["utilisation"].tolist()[:3] == pytest.approx([0.2, 0.5, 0.9])
    assert np.isnan(history["utilisation"].iloc[3])
    assert str(history["checked_at"].dt.tz) == "UTC"
    assert guard_history_frame([]).empty


def test_episodes_are_the_stretches_not_ok_with_their_worst_status():
    #            ok    warn  trip  ok    warn  ok
    values = [0.01, 0.085, 0.12, 0.02, 0.09, 0.03]
    history = guard_history_frame(_checks("dd", values) + _checks("pos", [0.0] * 6))
    episodes = guard_episodes(history)
    assert episodes[["guard", "status", "checks"]].values.tolist() == [["dd", "tripped", 2], ["dd", "warning", 1]]
    assert episodes["start"].iloc[0] == pd.Timestamp(T0 + timedelta(hours=1))
    assert episodes["end"].iloc[0] == pd.Timestamp(T0 + timedelta(hours=2))
    assert episodes["peak_utilisation"].tolist() == pytest.approx([1.2, 0.9])
    assert guard_episodes(guard_history_frame(_checks("pos", [0.0, 0.01]))).empty


def test_guard_figure_has_a_trace_per_guard_and_the_trip_line():
    history = guard_history_frame(_checks("a", [0.02, 0.09]) + _checks("b", [0.05, 0.05]))
    figure = guard_history_figure(history, title="<x>")
    assert [trace.name for trace in figure.data] == ["a", "b"]
    assert list(figure.data[0].y) == pytest.approx([0.2, 0.9])
    assert figure.layout.shapes[0].y0 == 1.0 and figure.layout.title.text == "&lt;x&gt;"


def test_trading_costs_from_known_fills():
    fills = [
        Fill("o1", "A", "buy", 2.0, 100.0, 0.2, T0),
        Fill("o2", "B", "sell", 1.0, 50.0, 0.1, T0),
    ]
    equity = pd.Series([1000.0, 1100.0, 900.0])
    costs = trading_costs(fills, equity)
    assert costs["traded_notional"] == 250.0 and costs["fees"] == pytest.approx(0.3)
    assert costs["fee_bps"] == pytest.approx(0.3 / 250.0 * 1e4)  # 12 bps
    assert costs["turnover"] == pytest.approx(0.25) and costs["fills"] == 2 and costs["symbols"] == 2
    empty = trading_costs([])
    assert empty["fills"] == 0 and np.isnan(empty["fee_bps"]) and np.isnan(empty["turnover"])


def test_opportunity_routes_are_counted_and_ordered():
    frame = pd.DataFrame(
        [
            (T0, "BTC", "kraken", "binance", 100.0, 100.3, 1.0, 0.003, 0.0012, 0.12, 1.0, 40.0),
            (T0 + timedelta(seconds=1), "BTC", "kraken", "binance", 100.0, 100.4, 1.0, 0.004, 0.0022, 0.22, 2.0, 40.0),
            (T0, "ETH", "okx", "bybit", 10.0, 10.02, 5.0, 0.002, 0.0011, 0.055, 1.0, 30.0),
        ],
        columns=list(OPPORTUNITY_COLUMNS),
    )
    frame["detected_at"] = pd.to_datetime(frame["detected_at"], utc=True)
    routes = opportunity_summary(frame)
    first = routes.iloc[0]
    assert routes.index[0] == ("BTC", "kraken", "binance") and first["count"] == 2
    assert first["median_net_edge"] == pytest.approx(0.0017) and first["max_net_edge"] == pytest.approx(0.0022)
    assert first["expected_profit"] == pytest.approx(0.34)
    assert first["last_seen"] == pd.Timestamp(T0 + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: guard_history_frame(["x"]), "checks"),
        (lambda: guard_episodes(pd.DataFrame({"guard": []})), "history"),
        (lambda: guard_history_figure([]), "history"),
        (lambda: trading_costs([1]), "fills"),
        (lambda: trading_costs([], pd.Series(dtype=float)), "equity"),
        (lambda: opportunity_summary(pd.DataFrame()), "opportunities"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field
