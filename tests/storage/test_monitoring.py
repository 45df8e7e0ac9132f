"""Guard checks and arbitrage opportunities in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from quantlib_local.core import OPPORTUNITY_COLUMNS, GuardCheck, GuardStatus
from quantlib_local.exceptions import ValidationError
from quantlib_local.storage import (
    create_engine_for,
    current_revision,
    downgrade_database,
    load_deployments,
    load_guard_checks,
    load_guard_status,
    load_opportunities,
    record_guard_checks,
    record_opportunities,
    session_scope,
    upgrade_database,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def _check(guard: str, status: str, value: float | None, minutes: int = 0) -> GuardCheck:
    return GuardCheck(guard, status, value, 0.08, T0 + timedelta(minutes=minutes), f"{guard} {status}")


def _opportunities(n: int = 3, start: datetime = T0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "detected_at": pd.date_range(start, periods=n, freq="s", tz="UTC"),
            "symbol": ["BTC/USDT"] * n,
            "buy_venue": ["kraken"] * n,
            "sell_venue": ["binance"] * n,
            "buy_price": [100.0 + i for i in range(n)],
            "sell_price": [100.5 + i for i in range(n)],
            "quantity": [0.5] * n,
            "gross_edge": [0.005] * n,
            "net_edge": [0.0025 + 0.001 * i for i in range(n)],
            "expected_profit": [0.125] * n,
            "priority": [1.5] * n,
            "latency_ms": [42.0] * n,
        }
    )


def test_guard_status_is_the_latest_check_of_each_guard(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_guard_checks(session, "paper-a", [_check("max_drawdown", "ok", 0.01), _check("daily_loss", "ok", 0.0)])
        record_guard_checks(session, "paper-a", [_check("max_drawdown", "tripped", 0.09, minutes=5)])
        record_guard_checks(session, "paper-b", [_check("max_drawdown", "warning", 0.07, minutes=9)])
    with session_scope(engine) as session:
        status = load_guard_status(session, "paper-a")
        history = load_guard_checks(session, "paper-a", guard="max_drawdown")
        recent = load_guard_checks(session, "paper-a", since=T0 + timedelta(minutes=1))
        deployments = load_deployments(session)
    assert [(c.guard, c.status, c.value) for c in status] == [
        ("daily_loss", GuardStatus.OK, 0.0),
        ("max_drawdown", GuardStatus.TRIPPED, 0.09),
    ]
    assert [c.status.value for c in history] == ["ok", "tripped"]
    assert [c.checked_at for c in recent] == [T0 + timedelta(minutes=5)]
    assert status[1] == _check("max_drawdown", "tripped", 0.09, minutes=5)  # round trip, UTC kept
    assert {"paper-a", "paper-b"} <= set(deployments)


def test_value_may_be_unknown_and_checks_are_not_recorded_twice(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_guard_checks(session, "paper-a", [_check("value_at_risk", "ok", None)])
    with session_scope(engine) as session:
        assert load_guard_status(session, "paper-a")[0].value is None
        with pytest.raises(ValidationError) as caught:
            record_guard_checks(session, "paper-a", [_check("value_at_risk", "ok", 0.01)])
        assert caught.value.field == "checked_at"
        with pytest.raises(ValidationError):
            record_guard_checks(session, "paper-a", [_check("x", "ok", 0.0, 1), _check("x", "ok", 0.0, 1)])


@pytest.mark.parametrize(
    ("deployment", "checks", "field"),
    [
        ("", [], "deployment"),
        ("x" * 200, [], "deployment"),
        ("paper", ["not a check"], "checks"),
    ],
)
def test_bad_guard_input_names_the_field(engine: Engine, deployment, checks, field) -> None:
    with session_scope(engine) as session, pytest.raises(ValidationError) as caught:
        record_guard_checks(session, deployment, checks)
    assert caught.value.field == field


def test_opportunities_round_trip_newest_first_with_filters(engine: Engine) -> None:
    frame = _opportunities(3)
    with session_scope(engine) as session:
        assert record_opportunities(session, frame, source="scanner-a") == 3
        record_opportunities(session, _opportunities(2, T0 + timedelta(hours=1)), source="scanner-b")
    with session_scope(engine) as session:
        every = load_opportunities(session, limit=None)
        mine = load_opportunities(session, source="scanner-a")
        latest = load_opportunities(session, limit=2)
        since = load_opportunities(session, since=T0 + timedelta(minutes=30))
    assert list(every.columns) == ["source", *OPPORTUNITY_COLUMNS]
    assert len(every) == 5 and every["detected_at"].is_monotonic_decreasing
    assert str(every["detected_at"].dt.tz) == "UTC"
    restored = mine.drop(columns="source").iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(restored, frame, check_dtype=False)
    assert list(latest["source"]) == ["scanner-b", "scanner-b"]
    assert set(since["source"]) == {"scanner-b"}


def test_empty_store_gives_empty_frames(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert load_opportunities(session).empty
        assert load_guard_status(session, "nobody") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda f: f.drop(columns="net_edge"), "opportunities"),
        (lambda f: f.assign(detected_at=f["detected_at"].dt.tz_localize(None)), "opportunities.detected_at"),
        (lambda f: f.assign(sell_venue="kraken"), "opportunities.sell_venue"),
        (lambda f: f.assign(priority=float("nan")), "opportunities.priority"),
        (lambda f: f.assign(quantity=0.0), "opportunities.quantity"),
        (lambda f: f.assign(symbol=""), "opportunities.symbol"),
        (lambda f: f.to_dict(), "opportunities"),
    ],
)
def test_bad_opportunities_name_the_field(engine: Engine, change, field) -> None:
    with session_scope(engine) as session, pytest.raises(ValidationError) as caught:
        record_opportunities(session, change(_opportunities()), source="scanner")
    assert caught.value.field == field


def test_bad_queries_name_the_field(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="limit"):
            load_opportunities(session, limit=0)
        with pytest.raises(ValidationError, match="since"):
            load_opportunities(session, since=datetime(2024, 1, 1))


def test_migration_0003_adds_and_drops_both_tables(database_url: str) -> None:
    upgrade_database(database_url, "0002")
    upgrade_database(database_url)
    assert current_revision(database_url) == "0003"
    engine = create_engine_for(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"guard_checks", "arbitrage_opportunities"} <= tables
        checks = {c["name"] for c in inspect(engine).get_check_constraints("arbitrage_opportunities")}
        assert {"ck_arbitrage_opportunities_two_venues", "ck_arbitrage_opportunities_quantity_positive"} <= checks
    finally:
        engine.dispose()
    downgrade_database(database_url, "0002")
    engine = create_engine_for(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "guard_checks" not in tables and "arbitrage_opportunities" not in tables and "nightly_runs" in tables
