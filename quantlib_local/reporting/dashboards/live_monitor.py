"""The live and paper monitor's data and figures, read from the SQL store."""

from __future__ import annotations

import dataclasses
import html
import logging
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sqlalchemy.engine import Engine

from quantlib_local import risk
from quantlib_local.config import Settings, load_settings
from quantlib_local.core import Fill, GuardCheck, Order, Position
from quantlib_local.exceptions import ValidationError
from quantlib_local.storage import (
    load_deployments,
    load_equity_curve,
    load_fills,
    load_guard_status,
    load_opportunities,
    load_orders,
    load_positions,
    open_database,
    record_equity_snapshot,
    record_fill,
    record_guard_checks,
    record_opportunities,
    record_order_intent,
    records_frame,
    session_scope,
    update_order_status,
    upgrade_database,
    upsert_position,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass

from quantlib_local.reporting.dashboards._common import (
    _FIGURE_HEIGHT,
    _FIGURE_WIDTH,
    _STYLE,
    _TEMPLATE,
    DEMO_DEPLOYMENTS,
    DEMO_SCANNER,
    DEMO_STORE_FILE,
    FILL_COLUMNS,
    GUARD_COLUMNS,
    OPEN_ORDER_STATUSES,
    ORDER_COLUMNS,
    POSITION_COLUMNS,
    SYNTHETIC_PREFIX,
    _finite,
    _table_html,
    _utc_timestamp,
    empty_figure,
)

logger = logging.getLogger(__name__)

DEMO_RISK_LIMITS = risk.RiskLimits(max_position_fraction=0.5)
"""Guard limits of the SYNTHETIC demo deployments: appendix A's, but 50 % per position (not 10 %),
since a demo portfolio of two made-up symbols cannot spread its capital over ten positions."""


# --------------------------------------------------------------------------- live monitor: store


def is_synthetic_deployment(name: str) -> bool:
    """True when a deployment holds SYNTHETIC demo data (its name starts with ``synthetic-``)."""
    return str(name).startswith(SYNTHETIC_PREFIX)


def list_deployments(engine: Engine) -> list[str]:
    """Names of every deployment with orders, positions, equity snapshots or guard checks in the store, sorted.

    Parameters
    ----------
    engine
        An engine of a migrated store (:func:`open_monitor_store`).
    """
    with session_scope(engine) as session:
        return load_deployments(session)


def open_monitor_store(
    database_url: str | None = None, *, demo: bool = False, settings: Settings | None = None
) -> Engine:
    """Open the store the live monitor reads.

    Parameters
    ----------
    database_url
        SQLAlchemy URL; None uses the settings' store (``QLAB_DATABASE_URL``, else
        ``<data_dir>/qlab.sqlite``), or with ``demo`` a separate demo store
        ``<data_dir>/live_monitor_demo.sqlite``.
    demo
        Migrate the store and write the SYNTHETIC deployments of :data:`DEMO_DEPLOYMENTS`
        and the SYNTHETIC scanner run of :func:`seed_demo_scanner` into it when they are
        missing, so the dashboard has something to show before a runner has run.
    settings
        Settings to read; default :func:`quantlib_local.config.load_settings`.

    Returns
    -------
    sqlalchemy.engine.Engine

    Raises
    ------
    StorageError
        When the store cannot be reached, or a configured store is not migrated (the message
        says to run ``qlab db upgrade``). The embedded SQLite default is migrated on first use,
        as the other commands do.
    """
    settings = settings or load_settings()
    if demo:
        url = database_url or f"sqlite:///{(settings.data_dir / DEMO_STORE_FILE).resolve().as_posix()}"
        upgrade_database(url)
        engine = open_database(url)
        try:
            present = set(list_deployments(engine))
            for name, seed in DEMO_DEPLOYMENTS:
                if name not in present:
                    seed_demo_deployment(engine, name, seed=seed)
            with session_scope(engine) as session:
                scanned = not load_opportunities(session, source=DEMO_SCANNER, limit=1).empty
            if not scanned:
                seed_demo_scanner(engine, DEMO_SCANNER)
        except BaseException:
            engine.dispose()
            raise
        return engine
    if database_url is None and settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings.resolved_database_url)
    return open_database(database_url or settings.resolved_database_url)


def seed_demo_deployment(
    engine: Engine,
    deployment: str = "synthetic-demo-paper",
    *,
    seed: int = 7,
    bars: int = 240,
    end: Any = None,
    symbols: Sequence[str] = ("SYNTH-A/USD", "SYNTH-B/USD"),
    initial_cash: float = 100_000.0,
    rebalance_every: int = 12,
    fee_rate: float = 0.001,
    limits: risk.RiskLimits = DEMO_RISK_LIMITS,
) -> dict[str, int]:
    """Write a SYNTHETIC paper deployment into the store, through the storage API.

    Hourly prices of made-up symbols follow a seeded geometric random walk; every
    ``rebalance_every`` bars the deployment trades to random long-only target weights with
    market orders (intent -> filled, one fill each, fee ``fee_rate``), and after the last
    bar it leaves one resting limit buy (``open``) and one partially filled limit sell, so
    the monitor has open orders to show. Each target weight stays within three quarters of
    ``limits.max_position_fraction``, as a runner respecting its guard would trade. An equity
    snapshot is written every bar, and the risk guards of :func:`quantlib_local.risk.check_guards`
    are checked with ``limits`` and recorded at every rebalance and at the last bar.

    Parameters
    ----------
    engine
        Engine of a migrated store.
    deployment
        Name; must start with ``synthetic-`` so every page labels it SYNTHETIC.
    seed
        Seed of the random walk and the targets.
    bars
        Number of hourly bars (equity snapshots), at least ``2 * rebalance_every``.
    end
        Time of the last bar (UTC); default the current hour.
    symbols
        Made-up symbols to trade (at least one).
    initial_cash
        Starting cash of the account.
    rebalance_every
        Bars between rebalances (at least 1).
    fee_rate
        Fee as a fraction of the traded notional.
    limits
        Limits of the recorded guard checks; default :data:`DEMO_RISK_LIMITS`.

    Returns
    -------
    dict
        How many ``orders``, ``fills``, ``positions``, ``equity_snapshots`` and ``guard_checks``
        were written.

    Raises
    ------
    ValidationError
        For a name without the ``synthetic-`` prefix, a deployment already in the store, or
        bad sizes.
    """
    if not isinstance(deployment, str) or not is_synthetic_deployment(deployment):
        raise ValidationError(
            "deployment", deployment, f"start the name with {SYNTHETIC_PREFIX!r}, e.g. 'synthetic-demo-paper', "
            "so dashboards label the data as synthetic",
        )
    if isinstance(rebalance_every, bool) or not isinstance(rebalance_every, numbers.Integral) or rebalance_every < 1:
        raise ValidationError("rebalance_every", rebalance_every, "use a whole number of bars, at least 1")
    if isinstance(bars, bool) or not isinstance(bars, numbers.Integral) or bars < 2 * rebalance_every:
        raise ValidationError("bars", bars, f"use a whole number of at least 2 * rebalance_every = {2 * rebalance_every}")
    names = [str(s) for s in symbols]
    if not names or len(set(names)) != len(names):
        raise ValidationError("symbols", list(symbols), "give at least one symbol, each once")
    initial_cash = _finite("initial_cash", initial_cash, "use a positive amount such as 100000", low=0.0)
    fee_rate = _finite("fee_rate", fee_rate, "use a fee fraction in [0, 0.1), e.g. 0.001")
    if not 0.0 <= fee_rate < 0.1:
        raise ValidationError("fee_rate", fee_rate, "use a fee fraction in [0, 0.1), e.g. 0.001")
    last = _utc_timestamp("end", end) or pd.Timestamp.now(tz="UTC").floor("h")
    if not isinstance(limits, risk.RiskLimits):
        raise ValidationError("limits", limits, "pass a quantlib_local.risk.RiskLimits")
    if deployment in list_deployments(engine):
        raise ValidationError(
            "deployment", deployment, "this deployment is already in the store; choose another name or read it as it is"
        )

    rng = np.random.default_rng(seed)
    times = pd.date_range(end=last, periods=int(bars), freq="h")
    steps = rng.normal(0.00005, 0.008, size=(len(times), len(names)))
    steps[0] = 0.0
    prices = 100.0 * rng.uniform(0.5, 2.0, len(names)) * np.exp(np.cumsum(steps, axis=0))
    positions = {name: Position(symbol=name, venue="paper") for name in names}
    cash = initial_cash
    counts = {"orders": 0, "fills": 0, "positions": 0, "equity_snapshots": 0, "guard_checks": 0}
    curve: dict[pd.Timestamp, float] = {}

    def trade(session: Any, when: datetime, symbol: str, side: str, quantity: float, price: float, *,
              order_type: str = "market", limit_price: float | None = None, status: str = "filled",
              fill_quantity: float | None = None) -> None:
        nonlocal cash
        counts["orders"] += 1
        order_id = f"{deployment}-{counts['orders']:05d}"
        order = Order(order_id, symbol, side, quantity, when, order_type=order_type, limit_price=limit_price)
        record_order_intent(session, order, deployment=deployment)
        update_order_status(session, order_id, status, exchange_order_id=f"paper-{counts['orders']}", updated_at=when)
        filled = quantity if status == "filled" else fill_quantity
        if filled:
            fill = Fill(order_id, symbol, side, filled, price, filled * price * fee_rate, when,
                        trade_id=f"{order_id}-t1")
            record_fill(session, fill)
            counts["fills"] += 1
            positions[symbol].apply(fill)
            cash -= fill.signed_quantity * price + fill.fee
            upsert_position(session, positions[symbol], deployment=deployment, updated_at=when)

    with session_scope(engine) as session:
        for i, stamp in enumerate(times):
            when = stamp.to_pydatetime()
            marks = prices[i]
            if i % rebalance_every == 0 and i < len(times) - 1:
                equity = cash + sum(positions[n].quantity * marks[j] for j, n in enumerate(names))
                targets = np.minimum(rng.dirichlet(np.ones(len(names))) * rng.uniform(0.4, 0.9),
                                     0.75 * limits.max_position_fraction)
                for j, name in enumerate(names):
                    change = targets[j] * equity / marks[j] - positions[name].quantity
                    if abs(change) * marks[j] < 0.01 * equity:
                        continue
                    side = "buy" if change > 0 else "sell"
                    slipped = marks[j] * (1.0 + (0.0005 if side == "buy" else -0.0005))
                    trade(session, when, name, side, round(abs(change), 6), float(slipped))
            if i == len(times) - 1:
                first, final = names[0], names[-1]
                trade(session, when, first, "buy", 1.0, float(marks[0]), order_type="limit",
                      limit_price=round(float(marks[0]) * 0.98, 4), status="open")
                held = positions[final].quantity
                if held > 0:
                    price = round(float(marks[-1]) * 1.01, 4)
                    trade(session, when, final, "sell", round(held / 2, 6), price, order_type="limit",
                          limit_price=price, status="partially_filled", fill_quantity=round(held / 5, 6))
            value = sum(positions[n].quantity * marks[j] for j, n in enumerate(names))
            exposure = sum(abs(positions[n].quantity) * marks[j] for j, n in enumerate(names))
            record_equity_snapshot(session, timestamp=when, equity=float(cash + value), cash=float(cash),
                                   exposure=float(exposure), deployment=deployment)
            counts["equity_snapshots"] += 1
            curve[stamp] = float(cash + value)
            if i % rebalance_every == 0 or i == len(times) - 1:
                held = {n: positions[n].quantity * marks[j] for j, n in enumerate(names) if positions[n].quantity}
                checks = risk.check_guards(pd.Series(curve), held, limits)
                counts["guard_checks"] += record_guard_checks(session, deployment, checks)
    counts["positions"] = sum(1 for p in positions.values() if p.quantity != 0 or p.realized_pnl != 0)
    logger.info("seeded SYNTHETIC deployment %s: %s", deployment, counts)
    return counts


def seed_demo_scanner(
    engine: Engine,
    source: str = "synthetic-scanner",
    *,
    seed: int = 5,
    n_ticks: int = 3000,
    end: Any = None,
    price_noise_bps: float = 10.0,
) -> int:
    """Record the opportunities an arbitrage scanner finds on a SYNTHETIC quote stream.

    Replays :func:`quantlib_local.data.synthetic.multi_venue_quotes` (BTC/USDT and ETH/USDT on
    four venues, their own taker fees, venue mids ``price_noise_bps`` apart so some dislocations
    beat the fees) through :func:`quantlib_local.arbitrage.replay` with the default
    :class:`~quantlib_local.arbitrage.ArbitrageConfig`, and records each opportunity as it opened.

    Parameters
    ----------
    engine
        Engine of a migrated store.
    source
        Name of the scanner; must start with ``synthetic-``.
    seed, n_ticks
        Seed and quote updates per (symbol, venue) of the stream.
    end
        About when the stream ends (UTC); default now.
    price_noise_bps
        How far the venues' mids wander apart, basis points.

    Returns
    -------
    int
        Opportunities recorded.
    """
    from quantlib_local import arbitrage
    from quantlib_local.data.synthetic import DEFAULT_VENUES, multi_venue_quotes

    if not isinstance(source, str) or not is_synthetic_deployment(source):
        raise ValidationError("source", source, f"start the name with {SYNTHETIC_PREFIX!r}, e.g. 'synthetic-scanner'")
    noise = _finite("price_noise_bps", price_noise_bps, "use a positive number of basis points, e.g. 10", low=0.0)
    last = _utc_timestamp("end", end) or pd.Timestamp.now(tz="UTC").floor("min")
    venues = [dataclasses.replace(DEFAULT_VENUES[name], price_noise_bps=noise)
              for name in ("binance", "bybit", "okx", "kraken")]
    # mean gap 100 ms per (symbol, venue): the stream lasts about n_ticks / 10 seconds
    start = last - pd.Timedelta(milliseconds=100 * int(n_ticks))
    quotes = multi_venue_quotes(["BTC/USDT", "ETH/USDT"], venues, n_ticks, seed=seed, start=start,
                                s0={"BTC/USDT": 60_000.0, "ETH/USDT": 3_000.0})
    opportunities = arbitrage.replay(quotes).frame()
    with session_scope(engine) as session:
        written = record_opportunities(session, opportunities, source=source) if len(opportunities) else 0
    logger.info("seeded SYNTHETIC scanner %s: %d opportunities from %d quotes", source, written, len(quotes))
    return written


# --------------------------------------------------------------------------- live monitor: data and figures


@dataclass(frozen=True)
class DeploymentSnapshot:
    """What the store holds for one deployment, as frames for the monitor.

    Attributes
    ----------
    deployment
        Its name.
    synthetic
        True for SYNTHETIC demo data (:func:`is_synthetic_deployment`).
    equity
        Equity curve: UTC index, columns ``equity``, ``cash``, ``exposure``.
    open_orders
        Orders not yet finished (:data:`OPEN_ORDER_STATUSES`), oldest first.
    recent_fills
        The latest fills, newest first.
    positions
        Stored positions (flat ones included) with their cost value.
    guards
        The latest check of each risk guard (:data:`GUARD_COLUMNS`), most severe first.
    opportunities
        The latest arbitrage opportunities recorded by any scanner, newest first (``source``
        and :data:`~quantlib_local.core.OPPORTUNITY_COLUMNS`).
    loaded_at
        When the snapshot was read (UTC).
    """

    deployment: str
    synthetic: bool
    equity: pd.DataFrame
    open_orders: pd.DataFrame
    recent_fills: pd.DataFrame
    positions: pd.DataFrame
    guards: pd.DataFrame
    opportunities: pd.DataFrame
    loaded_at: pd.Timestamp

    @property
    def tripped_guards(self) -> list[str]:
        """Names of the guards whose latest check tripped."""
        return list(self.guards.loc[self.guards["status"] == "tripped", "guard"])

    def summary(self) -> pd.Series:
        """Last equity, cash and exposure, return since the first snapshot, max drawdown and counts."""
        curve = self.equity["equity"]
        if curve.empty:
            values = {"equity": np.nan, "cash": np.nan, "exposure": np.nan, "return": np.nan, "max_drawdown": np.nan}
            last_time = None
        else:
            returns = curve.pct_change().iloc[1:]
            values = {
                "equity": float(curve.iloc[-1]),
                "cash": float(self.equity["cash"].iloc[-1]),
                "exposure": float(self.equity["exposure"].iloc[-1]),
                "return": float(curve.iloc[-1] / curve.iloc[0] - 1.0),
                "max_drawdown": float(risk.max_drawdown(returns)) if len(returns) else 0.0,
            }
            last_time = curve.index[-1]
        return pd.Series(
            {**values, "last_snapshot": last_time, "snapshots": len(curve), "open_orders": len(self.open_orders),
             "recent_fills": len(self.recent_fills), "positions": len(self.positions),
             "guards": _worst_guard(self.guards), "opportunities": len(self.opportunities)},
            dtype=object, name=self.deployment,
        )


def _orders_frame(orders: Sequence[Order]) -> pd.DataFrame:
    frame = records_frame(orders, Order)[list(ORDER_COLUMNS)]
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def _fills_frame(fills: Sequence[Fill]) -> pd.DataFrame:
    frame = records_frame(fills, Fill)[list(FILL_COLUMNS)]
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def _positions_frame(positions: Sequence[Position]) -> pd.DataFrame:
    rows = [
        {
            "symbol": p.symbol, "venue": p.venue, "quantity": p.quantity, "average_price": p.average_price,
            "cost_value": p.quantity * p.average_price, "realized_pnl": p.realized_pnl,
        }
        for p in positions
    ]
    return pd.DataFrame(rows, columns=list(POSITION_COLUMNS))


def _guards_frame(checks: Sequence[GuardCheck]) -> pd.DataFrame:
    frame = records_frame(checks, GuardCheck)[list(GUARD_COLUMNS)]
    frame["checked_at"] = pd.to_datetime(frame["checked_at"], utc=True)
    severity = frame["status"].map({"tripped": 0, "warning": 1, "ok": 2})
    return frame.iloc[severity.argsort(kind="stable")].reset_index(drop=True)


def _worst_guard(guards: pd.DataFrame) -> str:
    for status in ("tripped", "warning", "ok"):
        if (guards["status"] == status).any():
            return status
    return "not checked"


def load_deployment_snapshot(
    engine: Engine, deployment: str, *, fills_limit: int = 20, opportunities_limit: int = 20
) -> DeploymentSnapshot:
    """Read the equity curve, open orders, recent fills, positions and guards of one deployment,
    and the latest arbitrage opportunities of the store.

    Parameters
    ----------
    engine
        Engine of a migrated store.
    deployment
        One of :func:`list_deployments`.
    fills_limit
        How many of the latest fills to keep (at least 1).
    opportunities_limit
        How many of the latest opportunities to keep (at least 1).

    Raises
    ------
    ValidationError
        For a deployment the store does not know, or a bad limit.
    """
    for field, limit in (("fills_limit", fills_limit), ("opportunities_limit", opportunities_limit)):
        if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1:
            raise ValidationError(field, limit, "use a whole number of rows, at least 1 (e.g. 20)")
    known = list_deployments(engine)
    if deployment not in known:
        fix = f"choose one of {known}" if known else "record a deployment first (the paper or live runner writes them)"
        raise ValidationError("deployment", deployment, fix)
    with session_scope(engine) as session:
        equity = load_equity_curve(session, deployment=deployment)
        orders = load_orders(session, deployment=deployment, statuses=OPEN_ORDER_STATUSES)
        fills = load_fills(session, deployment=deployment)
        positions = load_positions(session, deployment)
        guards = load_guard_status(session, deployment)
        opportunities = load_opportunities(session, limit=int(opportunities_limit))
    recent = _fills_frame(fills[-int(fills_limit):][::-1])
    return DeploymentSnapshot(
        deployment=deployment,
        synthetic=is_synthetic_deployment(deployment),
        equity=equity,
        open_orders=_orders_frame(orders),
        recent_fills=recent,
        positions=_positions_frame(positions),
        guards=_guards_frame(guards),
        opportunities=opportunities,
        loaded_at=pd.Timestamp.now(tz="UTC"),
    )


def equity_curve_figure(snapshot: DeploymentSnapshot) -> go.Figure:
    """Equity, cash and exposure of a deployment (top) and the equity's drawdown (bottom)."""
    label = f"SYNTHETIC {snapshot.deployment}" if snapshot.synthetic else snapshot.deployment
    curve = snapshot.equity
    if curve.empty:
        return empty_figure(f"{label}: no equity snapshots recorded yet")
    summary = snapshot.summary()
    drawdown = curve["equity"] / curve["equity"].cummax() - 1.0
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.06)
    for column, colour in (("equity", "#1f77b4"), ("cash", "#7f8c8d"), ("exposure", "#e67e22")):
        figure.add_scatter(x=curve.index, y=curve[column], name=column, line={"color": colour}, row=1, col=1)
    figure.add_scatter(x=drawdown.index, y=drawdown, name="drawdown", fill="tozeroy", line={"color": "#c0392b"},
                       row=2, col=1)
    figure.update_yaxes(tickformat=",.0f", row=1, col=1)
    figure.update_yaxes(tickformat=".1%", row=2, col=1)
    title = (
        f"{label}: equity {summary['equity']:,.2f} ({summary['return']:+.2%} since "
        f"{curve.index[0]:%Y-%m-%d %H:%M} UTC, max drawdown {summary['max_drawdown']:.2%})"
    )
    figure.update_layout(
        title={"text": html.escape(title)}, template=_TEMPLATE, width=_FIGURE_WIDTH * 2, height=_FIGURE_HEIGHT + 60,
        margin={"l": 70, "r": 20, "t": 80, "b": 40}, legend={"orientation": "h", "y": -0.12},
    )
    return figure


def deployment_tables_html(snapshot: DeploymentSnapshot) -> dict[str, str]:
    """HTML of the guards, positions, open orders, recent fills and opportunities tables, keyed by those names.

    Guard rows carry the class ``qlab-guard-<status>`` so a tripped guard shows in red and a
    warning in amber.
    """
    return {
        "guards": _STYLE + _guards_html(snapshot.guards),
        "positions": _STYLE + _table_html(snapshot.positions, "No positions recorded."),
        "open_orders": _STYLE + _table_html(snapshot.open_orders, "No open orders."),
        "recent_fills": _STYLE + _table_html(snapshot.recent_fills, "No fills recorded."),
        "opportunities": _STYLE + _table_html(
            snapshot.opportunities, "No arbitrage opportunities recorded (a scanner records them as it runs).",
            float_format="{:,.6g}",
        ),
    }


def _guards_html(guards: pd.DataFrame) -> str:
    if guards.empty:
        return _table_html(guards, "No guard checks recorded for this deployment yet.")
    rows = []
    for record in guards.itertuples(index=False):
        value = "" if pd.isna(record.value) else f"{record.value:.2%}"
        cells = (record.guard, record.status, value, f"{record.limit:.2%}", record.message,
                 f"{record.checked_at:%Y-%m-%d %H:%M} UTC")
        rows.append(f'<tr class="qlab-guard-{html.escape(record.status)}">'
                    + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{name}</th>" for name in ("guard", "status", "value", "limit", "message", "checked at"))
    return f'<table class="qlab-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'



