"""Round trips of the core dataclasses through the store, and the repository's guards."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from quantlib_local.core import (
    AssetClass,
    Fill,
    Instrument,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
)
from quantlib_local.exceptions import ValidationError
from quantlib_local.storage import (
    BacktestRun,
    RunStatus,
    finish_backtest_run,
    load_backtest_run,
    load_backtest_runs,
    load_deployments,
    load_equity_curve,
    load_fills,
    load_instruments,
    load_orders,
    load_positions,
    record_backtest_run,
    record_equity_snapshot,
    record_fill,
    record_order_intent,
    records_frame,
    session_scope,
    update_order_status,
    upsert_instrument,
    upsert_position,
)

from .factories import T0, make_fill, make_order


def _run(engine: Engine, **changes: object) -> BacktestRun:
    fields: dict[str, object] = {
        "strategy_name": "sma_cross",
        "parameters": {"fast": 10, "slow": 50, "symbols": ["BTC/USDT"]},
        "data_start": datetime(2020, 1, 1, tzinfo=timezone.utc),
        "data_end": datetime(2023, 12, 31, tzinfo=timezone.utc),
        "data_hash": "sha256:0f3c",
        "code_version": "0.1.0+g1234abc",
    }
    fields.update(changes)
    with session_scope(engine) as session:
        return record_backtest_run(session, **fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- instruments


def test_instrument_round_trip_and_update(engine: Engine) -> None:
    btc = Instrument("BTC/USDT", "binance", AssetClass.CRYPTO, "USDT", tick_size=0.01, lot_size=1e-5)
    aapl = Instrument("AAPL", "capital", AssetClass.EQUITY, "USD", tick_size=0.01, lot_size=1.0)
    with session_scope(engine) as session:
        upsert_instrument(session, btc)
        upsert_instrument(session, aapl)
    with session_scope(engine) as session:
        assert load_instruments(session) == [btc, aapl]  # ordered by venue, symbol

    finer = Instrument("BTC/USDT", "binance", AssetClass.CRYPTO, "USDT", tick_size=0.001, lot_size=1e-6)
    with session_scope(engine) as session:
        upsert_instrument(session, finer)
    with session_scope(engine) as session:
        assert load_instruments(session, venue="binance") == [finer]


# --------------------------------------------------------------------------- orders


@pytest.mark.parametrize(
    "order",
    [
        make_order("mkt", order_type=OrderType.MARKET, limit_price=None, side=OrderSide.SELL),
        make_order("lmt"),
        make_order("stp", order_type=OrderType.STOP, limit_price=None, stop_price=58_000.0),
        make_order("trl", order_type=OrderType.TRAILING_STOP, limit_price=None, trail_percent=0.025),
        make_order("ext", exchange_order_id="binance-998877", quantity=1e-8, limit_price=0.1 + 0.2),
    ],
    ids=lambda order: order.client_order_id,
)
def test_order_round_trip(engine: Engine, order: Order) -> None:
    with session_scope(engine) as session:
        record_order_intent(session, order, deployment="btc-trend-paper")
    with session_scope(engine) as session:
        (loaded,) = load_orders(session, deployment="btc-trend-paper")
    assert loaded == order
    assert loaded.created_at.tzinfo is timezone.utc


def test_numpy_scalars_from_research_frames_are_accepted(engine: Engine) -> None:
    """Quantities and prices often come out of NumPy/pandas as numpy.int64 or float32."""
    order = make_order("np", quantity=np.int64(3), limit_price=np.float32(100.5))
    with session_scope(engine) as session:
        record_order_intent(session, order)
        record_fill(session, make_fill(order, quantity=np.int64(3), price=np.float64(100.25), fee=np.int64(0)))
        upsert_position(session, Position("BTC/USDT", quantity=np.int64(3), venue="binance"), deployment="d")
        record_equity_snapshot(
            session, timestamp=T0, equity=np.int64(1000), cash=np.float32(500.0), exposure=np.int64(500), deployment="d"
        )
    with session_scope(engine) as session:
        (loaded,) = load_orders(session)
        (fill,) = load_fills(session)
        (position,) = load_positions(session, "d")
        curve = load_equity_curve(session, deployment="d")
    assert (type(loaded.quantity), loaded.quantity, loaded.limit_price) == (float, 3.0, 100.5)
    assert (type(fill.quantity), fill.price, fill.fee) == (float, 100.25, 0.0)
    assert (type(position.quantity), position.quantity) == (float, 3.0)
    assert curve.iloc[0].tolist() == [1000.0, 500.0, 500.0]


def test_only_intents_are_recorded(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="status='open'.*update_order_status"):
            record_order_intent(session, make_order(status=OrderStatus.OPEN))


def test_duplicate_client_order_id_is_refused_with_a_fix(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_order_intent(session, make_order("same"))
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="client_order_id='same'.*reconcile"):
            record_order_intent(session, make_order("same", quantity=2.0))
        assert [order.quantity for order in load_orders(session)] == [0.015]


def test_intent_with_unknown_run_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="run_id='missing'"):
            record_order_intent(session, make_order(), run_id="missing")


def test_update_order_status_through_the_life_cycle(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_order_intent(session, make_order("a"), deployment="live-1")
        record_order_intent(session, make_order("b", created_at=T0 + timedelta(seconds=5)), deployment="live-1")
        record_order_intent(session, make_order("c"), deployment="other")
    with session_scope(engine) as session:
        update_order_status(session, "a", "in_flight", updated_at=T0 + timedelta(seconds=1))
        opened = update_order_status(session, "a", OrderStatus.OPEN, exchange_order_id="x-1")
    assert opened.status is OrderStatus.OPEN
    assert opened.exchange_order_id == "x-1"

    with session_scope(engine) as session:
        unresolved = load_orders(session, deployment="live-1", statuses=["intent", "in_flight"])
        assert [order.client_order_id for order in unresolved] == ["b"]
        assert [order.client_order_id for order in load_orders(session, deployment="live-1")] == ["a", "b"]
        assert load_orders(session, statuses=[OrderStatus.OPEN])[0].exchange_order_id == "x-1"
        with pytest.raises(ValidationError, match="client_order_id='nope'"):
            update_order_status(session, "nope", "open")
        with pytest.raises(ValidationError, match="status='done'"):
            update_order_status(session, "a", "done")
        with pytest.raises(ValidationError, match="updated_at"):
            update_order_status(session, "a", "filled", updated_at=datetime(2024, 1, 1))


# --------------------------------------------------------------------------- fills


def test_fill_round_trip(engine: Engine) -> None:
    order = make_order()
    fills = [
        make_fill(order, "t-1", quantity=0.005),
        make_fill(order, "t-2", quantity=0.01, price=61_231.0, timestamp=T0 + timedelta(seconds=2)),
        make_fill(order, None, quantity=0.001, fee=0.0, timestamp=T0 + timedelta(seconds=3)),
    ]
    with session_scope(engine) as session:
        record_order_intent(session, order, deployment="live-1")
        assert [record_fill(session, fill) for fill in fills] == [True, True, True]
    with session_scope(engine) as session:
        assert load_fills(session, client_order_id=order.client_order_id) == fills
        assert load_fills(session, deployment="live-1") == fills
        assert load_fills(session, deployment="someone-else") == []


def test_recording_the_same_trade_twice_is_a_no_op(engine: Engine) -> None:
    order = make_order()
    with session_scope(engine) as session:
        record_order_intent(session, order)
        assert record_fill(session, make_fill(order, "t-1")) is True
    with session_scope(engine) as session:
        assert record_fill(session, make_fill(order, "t-1")) is False
        assert len(load_fills(session)) == 1


def test_fill_of_unknown_order_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="client_order_id='qlab-btc-0001'.*record_order_intent"):
            record_fill(session, make_fill(make_order()))


@pytest.mark.parametrize(
    ("field", "value"), [("symbol", "ETH/USDT"), ("side", OrderSide.SELL), ("venue", "kraken")]
)
def test_fill_must_match_its_order(engine: Engine, field: str, value: object) -> None:
    order = make_order()
    with session_scope(engine) as session:
        record_order_intent(session, order)
        with pytest.raises(ValidationError, match=f"^{field}="):
            record_fill(session, make_fill(order, **{field: value}))


# --------------------------------------------------------------------------- positions


def test_position_round_trip_and_upsert(engine: Engine) -> None:
    order = make_order()
    position = Position("BTC/USDT", venue="binance").apply(make_fill(order))
    with session_scope(engine) as session:
        upsert_position(session, position, deployment="live-1", updated_at=T0)
        upsert_position(session, Position("ETH/USDT", quantity=-2.0, average_price=3000.0, venue="binance"), deployment="live-1")
        upsert_position(session, Position("BTC/USDT", quantity=9.0, venue="binance"), deployment="live-2")
    with session_scope(engine) as session:
        btc, eth = load_positions(session, "live-1")
    assert btc == position
    assert eth == Position("ETH/USDT", quantity=-2.0, average_price=3000.0, venue="binance")

    sell = Fill(order.client_order_id, "BTC/USDT", OrderSide.SELL, 0.015, 62_000.0, 0.01, T0 + timedelta(hours=1), "binance")
    position.apply(sell)
    with session_scope(engine) as session:
        upsert_position(session, position, deployment="live-1")
    with session_scope(engine) as session:
        btc, _ = load_positions(session, "live-1")
        assert [p.quantity for p in load_positions(session, "live-2")] == [9.0]
    assert btc.quantity == 0.0
    assert btc.realized_pnl == position.realized_pnl
    assert btc.realized_pnl > 0


def test_position_guards(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="deployment=''"):
            upsert_position(session, Position("BTC/USDT"), deployment="")
        with pytest.raises(ValidationError, match="quantity=nan"):
            upsert_position(session, Position("BTC/USDT", quantity=float("nan")), deployment="d")


# --------------------------------------------------------------------------- backtest runs


def test_backtest_run_round_trip(engine: Engine) -> None:
    run = _run(engine, metrics={"sharpe": 1.25, "max_drawdown": -0.18, "sortino": None})
    with session_scope(engine) as session:
        loaded = load_backtest_run(session, run.run_id)
    assert loaded == run
    assert loaded.parameters == {"fast": 10, "slow": 50, "symbols": ["BTC/USDT"]}
    assert loaded.status is RunStatus.COMPLETED
    assert loaded.created_at.tzinfo is timezone.utc


def test_running_backtest_is_finished_later(engine: Engine) -> None:
    run = _run(engine, status="running", run_id="run-42")
    _run(engine, strategy_name="other")
    with session_scope(engine) as session:
        finished = finish_backtest_run(session, "run-42", metrics={"sharpe": np.float64(0.7), "trades": np.int64(12)})
    assert finished.status is RunStatus.COMPLETED
    with session_scope(engine) as session:
        (loaded,) = load_backtest_runs(session, strategy_name="sma_cross")
        assert len(load_backtest_runs(session)) == 2
    assert loaded.run_id == run.run_id
    assert loaded.metrics == {"sharpe": 0.7, "trades": 12}


def test_backtest_run_guards(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="metrics=.*replace NaN"):
        _run(engine, metrics={"sharpe": float("nan")})
    with pytest.raises(ValidationError, match="parameters=.*JSON"):
        _run(engine, parameters={"window": object()})
    with pytest.raises(ValidationError, match="data_end="):
        _run(engine, data_end=datetime(2019, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(ValidationError, match="data_start="):
        _run(engine, data_start=datetime(2020, 1, 1))
    _run(engine, run_id="taken")
    with pytest.raises(ValidationError, match="run_id='taken'"):
        _run(engine, run_id="taken")
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="run_id='missing'"):
            load_backtest_run(session, "missing")


def test_orders_of_a_run_are_loaded_by_run_id(engine: Engine) -> None:
    run = _run(engine)
    with session_scope(engine) as session:
        record_order_intent(session, make_order("in-run"), run_id=run.run_id)
        record_order_intent(session, make_order("outside"))
    with session_scope(engine) as session:
        assert [o.client_order_id for o in load_orders(session, run_id=run.run_id)] == ["in-run"]


# --------------------------------------------------------------------------- equity


def test_equity_curve_round_trip(engine: Engine) -> None:
    run = _run(engine)
    times = [T0 + timedelta(days=day) for day in range(3)]
    with session_scope(engine) as session:
        for day, when in reversed(list(enumerate(times))):
            record_equity_snapshot(
                session, timestamp=when, equity=10_000.0 + day, cash=5_000.0, exposure=5_000.0 + day, run_id=run.run_id
            )
        record_equity_snapshot(session, timestamp=times[0], equity=1.0, cash=1.0, exposure=0.0, deployment="live-1")
    with session_scope(engine) as session:
        curve = load_equity_curve(session, run_id=run.run_id)
        live = load_equity_curve(session, deployment="live-1")
        empty = load_equity_curve(session, deployment="never-ran")

    expected = pd.DataFrame(
        {"equity": [10_000.0, 10_001.0, 10_002.0], "cash": [5_000.0] * 3, "exposure": [5_000.0, 5_001.0, 5_002.0]},
        index=pd.DatetimeIndex(times, name="timestamp"),
    )
    pd.testing.assert_frame_equal(curve, expected, check_index_type=False)
    assert str(curve.index.tz) == "UTC"
    assert curve.index.is_monotonic_increasing
    assert live["equity"].tolist() == [1.0]
    assert empty.empty and list(empty.columns) == ["equity", "cash", "exposure"] and str(empty.index.tz) == "UTC"


def test_equity_snapshot_guards(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="exactly one of deployment= or run_id="):
            record_equity_snapshot(session, timestamp=T0, equity=1.0, cash=1.0, exposure=0.0)
        with pytest.raises(ValidationError, match="run_id='missing'"):
            record_equity_snapshot(session, timestamp=T0, equity=1.0, cash=1.0, exposure=0.0, run_id="missing")
        with pytest.raises(ValidationError, match="equity=inf"):
            record_equity_snapshot(session, timestamp=T0, equity=float("inf"), cash=1.0, exposure=0.0, deployment="d")
        record_equity_snapshot(session, timestamp=T0, equity=1.0, cash=1.0, exposure=0.0, deployment="d")
        with pytest.raises(ValidationError, match="one snapshot per timestamp"):
            record_equity_snapshot(session, timestamp=T0, equity=2.0, cash=1.0, exposure=0.0, deployment="d")


# --------------------------------------------------------------------------- frames


def test_records_frame_of_loaded_orders(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_order_intent(session, make_order("a"))
        record_order_intent(session, make_order("b", side=OrderSide.SELL))
        orders = load_orders(session)
    frame = records_frame(orders, Order)
    assert frame["client_order_id"].tolist() == ["a", "b"]
    assert frame["side"].tolist() == ["buy", "sell"]
    assert frame["status"].tolist() == ["intent", "intent"]
    empty = records_frame([], Fill)
    assert empty.empty and "trade_id" in empty.columns


def test_deployments_are_named_by_their_orders_positions_and_snapshots(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert load_deployments(session) == []
        record_order_intent(session, make_order("qlab-a-1"), deployment="orders-only")
        record_order_intent(session, make_order("qlab-a-2"))  # a research order belongs to no deployment
        upsert_position(session, Position("BTC/USDT", quantity=1.0, venue="binance"), deployment="positions-only")
        record_equity_snapshot(session, timestamp=T0, equity=1.0, cash=1.0, exposure=0.0, deployment="equity-only")
        record_equity_snapshot(session, timestamp=T0, equity=1.0, cash=1.0, exposure=0.0, deployment="orders-only")
    with session_scope(engine) as session:
        assert load_deployments(session) == ["equity-only", "orders-only", "positions-only"]
