"""The package side of the Voila dashboards, without a browser: data assembly, figures from known
inputs, the SYNTHETIC demo store, the widget apps reacting to their controls, and the errors."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from quantlib_local import portfolio as pf
from quantlib_local import risk
from quantlib_local.config import load_settings
from quantlib_local.core import GuardCheck, Order, OrderStatus, Position
from quantlib_local.data import BUNDLED_DATASETS
from quantlib_local.exceptions import ValidationError
from quantlib_local.reporting.dashboards import (
    DEMO_DEPLOYMENTS,
    DEMO_SCANNER,
    NO_DEPLOYMENTS_MESSAGE,
    LiveMonitorDashboard,
    PortfolioRiskDashboard,
    deployment_tables_html,
    drawdown_figure,
    equity_curve_figure,
    frontier_figure,
    list_deployments,
    load_dashboard_prices,
    load_deployment_snapshot,
    open_monitor_store,
    portfolio_risk_view,
    portfolio_tables_html,
    replace_figure,
    seed_demo_deployment,
    seed_demo_scanner,
    var_figure,
    weights_figure,
)
from quantlib_local.storage import (
    load_equity_curve,
    load_fills,
    load_guard_checks,
    load_opportunities,
    load_orders,
    load_positions,
    open_database,
    record_guard_checks,
    record_order_intent,
    session_scope,
    upgrade_database,
)

END = "2024-06-28 16:00"
"""Last bar of the seeded deployments, fixed so the tests do not depend on the clock."""


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    """The dashboard's default data: bundled real S&P 500 and NASDAQ closes."""
    return load_dashboard_prices()


@pytest.fixture(scope="module")
def recent(prices) -> pd.DataFrame:
    """The closes from 2010 on, for faster views."""
    return prices.loc["2010-01-01":]


@pytest.fixture()
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade_database(url)
    engine = open_database(url)
    yield engine
    engine.dispose()


def _trace(figure: go.Figure, name_start: str):
    return next(t for t in figure.data if (t.name or "").startswith(name_start))


# --------------------------------------------------------------------------- portfolio and risk


def test_default_prices_are_the_bundled_real_datasets(prices):
    assert list(prices.columns) == list(BUNDLED_DATASETS)
    assert prices.attrs["synthetic"] is False
    assert prices.attrs["source"].startswith("bundled real data, not synthetic")
    assert prices.index.tz is not None and prices.index.is_monotonic_increasing
    assert not prices.isna().any().any()
    assert prices.index[0] == pd.Timestamp("1999-01-04", tz="UTC")


@pytest.mark.parametrize("method", ["historical", "gaussian", "cornish_fisher"])
@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_var_in_the_figure_is_the_risk_module_var_of_the_portfolio(recent, confidence, method):
    view = portfolio_risk_view(recent, strategy="equal_weight", confidence=confidence, var_method=method)
    # the same portfolio computed here: half in each index, rebalanced every day
    expected_returns = recent.pct_change().iloc[1:] @ np.array([0.5, 0.5])
    pd.testing.assert_series_equal(view.returns, expected_returns.rename("portfolio"))
    expected_var = risk.value_at_risk(expected_returns, confidence, method)
    cvar_method = "gaussian" if method == "gaussian" else "historical"
    expected_cvar = risk.conditional_value_at_risk(expected_returns, confidence, cvar_method)
    assert view.value_at_risk == pytest.approx(expected_var, rel=1e-12)
    assert view.conditional_value_at_risk == pytest.approx(expected_cvar, rel=1e-12)
    figure = var_figure(view)
    var_line = _trace(figure, "VaR")
    assert var_line.meta == {"measure": "value_at_risk", "value": pytest.approx(expected_var)}
    assert list(var_line.x) == pytest.approx([-expected_var, -expected_var])
    assert list(_trace(figure, "CVaR").x) == pytest.approx([-expected_cvar, -expected_cvar])
    label = {0.95: "95%", 0.99: "99%"}[confidence]
    assert figure.layout.title.text.startswith(f"1-day VaR {label} = {expected_var:.2%}")
    assert sum(_trace(figure, "daily returns").y) == len(expected_returns)


def test_higher_confidence_means_a_larger_loss(recent):
    var = [portfolio_risk_view(recent, confidence=c).value_at_risk for c in (0.90, 0.95, 0.99)]
    assert var[0] < var[1] < var[2]


def test_markowitz_strategies_are_the_optimisers_portfolios(recent):
    mu, covariance = pf.mean_historical_return(recent), pf.ledoit_wolf_covariance(recent)
    optimiser = pf.MeanVarianceOptimiser(mu, covariance, pf.PortfolioConstraints(weight_bounds=(0.0, 0.8)),
                                         risk_free_rate=0.02)
    for strategy, expected in (("min_volatility", optimiser.min_volatility()), ("max_sharpe", optimiser.max_sharpe())):
        view = portfolio_risk_view(recent, strategy=strategy, max_weight=0.8, frontier_points=6)
        pd.testing.assert_series_equal(view.portfolio.weights, expected.weights, atol=1e-6)
        chosen = _trace(frontier_figure(view), "chosen")
        assert chosen.x[0] == pytest.approx(expected.volatility, rel=1e-6)
        assert chosen.y[0] == pytest.approx(expected.expected_return, rel=1e-6)
    frontier = _trace(frontier_figure(view), "efficient frontier")
    assert len(frontier.x) == 6
    assert max(frontier.y) <= mu.max() + 1e-9


def test_positions_exposure_and_risk_contributions(recent):
    view = portfolio_risk_view(recent, strategy="equal_weight", capital=250_000.0)
    positions = view.positions()
    assert positions["weight"].tolist() == [0.5, 0.5]
    assert positions["notional"].sum() == pytest.approx(250_000.0)
    assert (positions["units"] * positions["last_price"]).tolist() == pytest.approx(positions["notional"].tolist())
    assert positions["last_price"].tolist() == recent.iloc[-1].tolist()
    assert positions["risk_contribution"].sum() == pytest.approx(1.0)
    w = np.array([0.5, 0.5])
    cov = view.covariance.to_numpy()
    assert positions["risk_contribution"].to_numpy() == pytest.approx(w * (cov @ w) / (w @ cov @ w))
    assert view.exposure().to_dict() == pytest.approx({"gross": 1.0, "net": 1.0, "long": 1.0, "short": 0.0, "cash": 0.0})
    figure = weights_figure(view)
    assert list(_trace(figure, "weight").y) == [0.5, 0.5]
    assert "equal weight" in figure.layout.title.text
    html = portfolio_tables_html(view)
    assert "VaR 95%, 1 day (historical)" in html and "250,000" in html


def test_drawdown_figure_is_the_risk_module_drawdown(recent):
    view = portfolio_risk_view(recent, strategy="min_volatility", frontier_points=4)
    figure = drawdown_figure(view)
    assert min(_trace(figure, "drawdown").y) == pytest.approx(risk.max_drawdown(view.returns))
    wealth = _trace(figure, "portfolio value").y
    assert wealth[-1] == pytest.approx(100_000.0 * (1.0 + view.returns).prod())
    assert f"max {view.performance.max_drawdown:.1%}" in figure.layout.title.text


def test_period_and_single_asset_selection(prices):
    view = portfolio_risk_view(prices, assets=["sp500"], start="2008-01-01", end="2008-12-31")
    assert view.start == pd.Timestamp("2008-01-02", tz="UTC") and view.end == pd.Timestamp("2008-12-31", tz="UTC")
    assert view.frontier is None and view.portfolio.weights.to_dict() == {"sp500": 1.0}
    assert "at least two assets" in frontier_figure(view).layout.annotations[0].text
    assert view.value_at_risk == pytest.approx(risk.value_at_risk(prices["sp500"].loc["2008"].pct_change().iloc[1:]))


def test_a_price_table_with_late_listings(tmp_path):
    index = pd.bdate_range("2020-01-01", periods=300, tz="UTC", name="timestamp")
    rng = np.random.default_rng(3)
    table = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 3)), axis=0)), index=index,
                         columns=["AAA", "BBB", "CCC"])
    table.iloc[:100, 2] = np.nan  # CCC lists 100 bars late
    path = tmp_path / "closes.csv"
    table.to_csv(path)
    prices = load_dashboard_prices(prices_path=path)
    assert prices.attrs["synthetic"] is False and "closes.csv" in prices.attrs["source"]
    view = portfolio_risk_view(prices, strategy="min_volatility", frontier_points=5)
    assert len(view.prices) == 200 and view.assets == ("AAA", "BBB", "CCC")
    assert len(portfolio_risk_view(prices, assets=["AAA", "BBB"], frontier_points=5).prices) == 300


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"assets": ["sp500", "dax"]}, "assets"),
        ({"assets": []}, "assets"),
        ({"strategy": "momentum"}, "strategy"),
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"var_method": "monte_carlo"}, "var_method"),
        ({"estimator": "shrunk"}, "estimator"),
        ({"start": "2012-01-01", "end": "2011-01-01"}, "start"),
        ({"start": "not a date"}, "start"),
        ({"start": "2018-12-01"}, "period"),
        ({"frontier_points": 1}, "frontier_points"),
        ({"capital": -5.0}, "capital"),
        ({"max_weight": 1.5}, "max_weight"),
        ({"max_weight": 0.3}, "weight_bounds"),  # two assets cannot fill the budget at 30 % each
    ],
)
def test_bad_selections_name_the_field(recent, arguments, field):
    with pytest.raises(ValidationError) as caught:
        portfolio_risk_view(recent, **arguments)
    assert caught.value.field == field
    assert "Fix:" in str(caught.value)


def test_max_sharpe_without_a_portfolio_above_the_risk_free_rate(prices):
    with pytest.raises(ValidationError, match="risk-free rate"):
        portfolio_risk_view(prices, start="2000-01-01", end="2002-12-31", strategy="max_sharpe")
    view = portfolio_risk_view(prices, start="2000-01-01", end="2002-12-31", strategy="min_volatility")
    assert view.max_sharpe is None and view.min_volatility is not None


def test_bad_prices_and_datasets():
    with pytest.raises(ValidationError) as caught:
        portfolio_risk_view(pd.DataFrame())
    assert caught.value.field == "prices"
    with pytest.raises(ValidationError):
        load_dashboard_prices(["sp500", "ftse"])
    with pytest.raises(ValidationError) as caught:
        load_dashboard_prices([])
    assert caught.value.field == "datasets"


def test_portfolio_dashboard_follows_its_controls(recent):
    dashboard = PortfolioRiskDashboard(recent, frontier_points=6)
    var = dashboard.figures["var"]
    assert var.layout.title.text.startswith("1-day VaR 95%")
    dashboard.controls["confidence"].value = 0.99
    assert var.layout.title.text.startswith("1-day VaR 99%")
    assert dashboard.view.confidence == 0.99
    assert _trace(var, "VaR").meta["value"] == pytest.approx(dashboard.view.value_at_risk)
    assert "VaR 99%" in dashboard.tables.value

    dashboard.controls["strategy"].value = "equal_weight"
    assert list(_trace(dashboard.figures["weights"], "weight").y) == [0.5, 0.5]

    dashboard.controls["period"].value = ("2015-01", "2016-12")
    assert (dashboard.view.start.year, dashboard.view.end.year) == (2015, 2016)
    assert dashboard.figures["drawdown"].data[0].x[0].year == 2015


def test_portfolio_dashboard_shows_a_rejected_selection_and_keeps_its_figures(recent):
    dashboard = PortfolioRiskDashboard(recent, frontier_points=6)
    title = dashboard.figures["var"].layout.title.text
    dashboard.controls["period"].value = ("2018-12", "2018-12")  # about 20 bars: too short
    assert "cannot be shown" in dashboard.status.value and "period" in dashboard.status.value
    assert dashboard.figures["var"].layout.title.text == title
    dashboard.controls["period"].value = ("2016-01", "2018-12")
    assert "cannot be shown" not in dashboard.status.value


def test_bad_dashboard_parameters_fail_at_once(recent):
    with pytest.raises(ValidationError) as caught:
        PortfolioRiskDashboard(recent, strategy="best")
    assert caught.value.field == "strategy"


def test_replace_figure_changes_traces_and_layout_in_place():
    target = go.FigureWidget(go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="one"), layout={"title": {"text": "a"}}))
    source = go.Figure([go.Bar(x=["p"], y=[3], name="two"), go.Scatter(x=[0], y=[0], name="three")],
                       layout={"title": {"text": "b"}})
    replace_figure(target, source)
    assert [t.name for t in target.data] == ["two", "three"] and target.layout.title.text == "b"


# --------------------------------------------------------------------------- live monitor: store


def test_seed_demo_deployment_writes_a_consistent_synthetic_ledger(store):
    counts = seed_demo_deployment(store, "synthetic-test-paper", seed=3, bars=120, end=END)
    assert list_deployments(store) == ["synthetic-test-paper"]
    with session_scope(store) as session:
        equity = load_equity_curve(session, deployment="synthetic-test-paper")
        orders = load_orders(session, deployment="synthetic-test-paper")
        fills = load_fills(session, deployment="synthetic-test-paper")
        positions = load_positions(session, "synthetic-test-paper")
        guards = load_guard_checks(session, "synthetic-test-paper")
    assert counts == {"orders": len(orders), "fills": len(fills), "positions": len(positions), "equity_snapshots": 120,
                      "guard_checks": len(guards)}
    assert len(equity) == 120 and equity.index[-1] == pd.Timestamp(END, tz="UTC")
    assert (equity.index.to_series().diff().dropna() == pd.Timedelta(hours=1)).all()
    first_fees = sum(fill.fee for fill in fills if fill.timestamp == equity.index[0])
    assert 99_000.0 < equity["equity"].iloc[0] < 100_000.0 - first_fees  # the first trades pay fees and slippage
    # long-only: equity is cash plus the gross market value of the positions
    assert (equity["equity"] - equity["cash"]).to_numpy() == pytest.approx(equity["exposure"].to_numpy())
    statuses = [order.status for order in orders]
    assert statuses.count(OrderStatus.OPEN) == 1 and statuses.count(OrderStatus.PARTIALLY_FILLED) == 1
    assert set(statuses) == {OrderStatus.FILLED, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED}
    # the stored positions are the fills replayed
    replayed: dict[str, Position] = {}
    for fill in fills:
        replayed.setdefault(fill.symbol, Position(symbol=fill.symbol, venue=fill.venue)).apply(fill)
    for position in positions:
        assert position.quantity == pytest.approx(replayed[position.symbol].quantity)
        assert position.average_price == pytest.approx(replayed[position.symbol].average_price)
        assert position.realized_pnl == pytest.approx(replayed[position.symbol].realized_pnl)
    assert {p.symbol for p in positions} == {"SYNTH-A/USD", "SYNTH-B/USD"}
    # the guards were checked at every rebalance (bars 0, 12, ..., 108) and the last bar, on the curve so far
    times = sorted({check.checked_at for check in guards})
    assert len(times) == 11 and times[-1] == equity.index[-1]
    last = [check for check in guards if check.checked_at == times[-1]]
    replayed_checks = {c.guard: c for c in risk.check_guards(equity["equity"])}
    for check in last:
        if check.guard == "max_position":  # the marks are not stored: bounded by the gross exposure
            assert 0.0 < check.value <= equity["exposure"].iloc[-1] / equity["equity"].iloc[-1]
        else:
            assert check.value == pytest.approx(replayed_checks[check.guard].value)


def test_seeding_is_deterministic(tmp_path):
    curves = []
    for name in ("one", "two"):
        url = f"sqlite:///{tmp_path / name}.sqlite"
        upgrade_database(url)
        engine = open_database(url)
        seed_demo_deployment(engine, "synthetic-x", seed=9, bars=48, end=END)
        with session_scope(engine) as session:
            curves.append(load_equity_curve(session, deployment="synthetic-x"))
        engine.dispose()
    pd.testing.assert_frame_equal(curves[0], curves[1])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"deployment": "btc-trend-paper"}, "deployment"),
        ({"bars": 5}, "bars"),
        ({"rebalance_every": 0}, "rebalance_every"),
        ({"symbols": []}, "symbols"),
        ({"initial_cash": 0.0}, "initial_cash"),
        ({"fee_rate": 0.5}, "fee_rate"),
        ({"limits": {"max_drawdown": 0.1}}, "limits"),
    ],
)
def test_seed_refuses_bad_input(store, arguments, field):
    with pytest.raises(ValidationError) as caught:
        seed_demo_deployment(store, **{"end": END, **arguments})
    assert caught.value.field == field
    assert list_deployments(store) == []


def test_seed_refuses_a_deployment_already_in_the_store(store):
    seed_demo_deployment(store, "synthetic-once", bars=24, end=END)
    with pytest.raises(ValidationError, match="already in the store"):
        seed_demo_deployment(store, "synthetic-once", bars=24, end=END)


def test_snapshot_of_a_deployment(store):
    seed_demo_deployment(store, "synthetic-a", seed=1, bars=96, end=END)
    seed_demo_deployment(store, "synthetic-b", seed=2, bars=96, end=END)
    snapshot = load_deployment_snapshot(store, "synthetic-b", fills_limit=5)
    assert snapshot.synthetic and snapshot.deployment == "synthetic-b"
    assert len(snapshot.equity) == 96
    assert set(snapshot.open_orders["status"]) == {"open", "partially_filled"}
    assert len(snapshot.recent_fills) == 5
    assert snapshot.recent_fills["timestamp"].is_monotonic_decreasing
    with session_scope(store) as session:
        newest = load_fills(session, deployment="synthetic-b")[-1]
    assert snapshot.recent_fills.iloc[0]["trade_id"] == newest.trade_id
    assert snapshot.positions["cost_value"].tolist() == pytest.approx(
        (snapshot.positions["quantity"] * snapshot.positions["average_price"]).tolist())
    summary = snapshot.summary()
    assert summary["equity"] == pytest.approx(snapshot.equity["equity"].iloc[-1])
    assert summary["open_orders"] == 2
    assert sorted(snapshot.guards["guard"]) == sorted(risk.GUARD_NAMES)
    assert (snapshot.guards["checked_at"] == snapshot.equity.index[-1]).all()
    tables = deployment_tables_html(snapshot)
    assert tables["guards"].count("<tr class=\"qlab-guard-") == len(risk.GUARD_NAMES)
    assert "No arbitrage opportunities recorded" in tables["opportunities"] and snapshot.opportunities.empty
    figure = equity_curve_figure(snapshot)
    assert figure.layout.title.text.startswith("SYNTHETIC synthetic-b: equity")
    assert list(_trace(figure, "equity").y) == pytest.approx(snapshot.equity["equity"].tolist())
    with pytest.raises(ValidationError) as caught:
        load_deployment_snapshot(store, "synthetic-c")
    assert caught.value.field == "deployment" and "synthetic-a" in str(caught.value)


def test_a_real_deployment_is_not_labelled_synthetic(store):
    order = Order("btc-1", "BTC/USDT", "buy", 0.1, datetime(2024, 6, 1, tzinfo=timezone.utc), venue="binance")
    with session_scope(store) as session:
        record_order_intent(session, order, deployment="btc-trend-paper")
    assert list_deployments(store) == ["btc-trend-paper"]
    snapshot = load_deployment_snapshot(store, "btc-trend-paper")
    assert not snapshot.synthetic and snapshot.equity.empty
    assert snapshot.open_orders["status"].tolist() == ["intent"]
    figure = equity_curve_figure(snapshot)
    assert "SYNTHETIC" not in (figure.layout.title.text or "")
    assert "no equity snapshots" in figure.layout.annotations[0].text


def test_seed_demo_scanner_records_what_the_replay_found(store):
    from quantlib_local import arbitrage
    from quantlib_local.data.synthetic import DEFAULT_VENUES, multi_venue_quotes

    written = seed_demo_scanner(store, seed=2, n_ticks=1500, end=END)
    with session_scope(store) as session:
        stored = load_opportunities(session, source="synthetic-scanner", limit=None)
    assert written == len(stored) > 0
    # the same stream replayed here finds the same opportunities (times stored to the microsecond)
    venues = [dataclasses.replace(DEFAULT_VENUES[n], price_noise_bps=10.0) for n in ("binance", "bybit", "okx", "kraken")]
    quotes = multi_venue_quotes(["BTC/USDT", "ETH/USDT"], venues, 1500, seed=2,
                                start=pd.Timestamp(END, tz="UTC") - pd.Timedelta(milliseconds=150_000),
                                s0={"BTC/USDT": 60_000.0, "ETH/USDT": 3_000.0})
    expected = arbitrage.replay(quotes).frame().sort_values("detected_at", kind="stable")
    restored = stored.drop(columns="source").sort_values("detected_at", kind="stable")
    assert (restored["net_edge"] >= arbitrage.ArbitrageConfig().min_profit).all()
    pd.testing.assert_series_equal(restored["net_edge"].reset_index(drop=True),
                                   expected["net_edge"].reset_index(drop=True), check_names=False)
    assert (restored["detected_at"].to_numpy() == expected["detected_at"].dt.floor("us").to_numpy()).all()
    with pytest.raises(ValidationError) as caught:
        seed_demo_scanner(store, "real-scanner")
    assert caught.value.field == "source"


def test_open_monitor_store_demo_seeds_once_in_its_own_file(tmp_path):
    settings = load_settings(data_dir=tmp_path)
    engine = open_monitor_store(demo=True, settings=settings)
    assert list_deployments(engine) == sorted(name for name, _ in DEMO_DEPLOYMENTS)
    with session_scope(engine) as session:
        seeded = len(load_opportunities(session, source=DEMO_SCANNER, limit=None))
    assert seeded > 0
    assert str(tmp_path / "live_monitor_demo.sqlite") in str(engine.url)
    engine.dispose()
    again = open_monitor_store(demo=True, settings=settings)
    with session_scope(again) as session:
        first = DEMO_DEPLOYMENTS[0][0]
        assert len(load_equity_curve(session, deployment=first)) == 240
        assert len(load_opportunities(session, source=DEMO_SCANNER, limit=None)) == seeded  # not seeded twice
    snapshot = load_deployment_snapshot(again, first)
    assert len(snapshot.opportunities) == 20 and set(snapshot.opportunities["source"]) == {DEMO_SCANNER}
    assert "synthetic-scanner" in deployment_tables_html(snapshot)["opportunities"]
    again.dispose()
    assert not (tmp_path / "qlab.sqlite").exists(), "the demo must not touch the real store"


def test_open_monitor_store_migrates_the_embedded_default_only(tmp_path):
    engine = open_monitor_store(settings=load_settings(data_dir=tmp_path / "data"))
    assert list_deployments(engine) == []
    engine.dispose()
    from quantlib_local.exceptions import StorageError

    with pytest.raises(StorageError, match="qlab db upgrade"):
        open_monitor_store(f"sqlite:///{tmp_path / 'configured.sqlite'}")


# --------------------------------------------------------------------------- live monitor: widget app


def test_live_monitor_on_an_empty_store_says_so(store):
    dashboard = LiveMonitorDashboard(str(store.url))
    assert NO_DEPLOYMENTS_MESSAGE in dashboard.banner.value
    assert dashboard.deployment.options == () and dashboard.deployment.disabled
    assert dashboard.snapshot is None
    assert NO_DEPLOYMENTS_MESSAGE in dashboard.figure.layout.annotations[0].text


def test_live_monitor_on_an_unmigrated_store_says_how_to_fix_it(tmp_path):
    dashboard = LiveMonitorDashboard(f"sqlite:///{tmp_path / 'new.sqlite'}")
    assert "cannot be read" in dashboard.banner.value and "qlab db upgrade" in dashboard.banner.value


def test_live_monitor_switches_deployments_and_refreshes(store):
    seed_demo_deployment(store, "synthetic-a", seed=1, bars=48, end=END)
    seed_demo_deployment(store, "synthetic-b", seed=2, bars=48, end=END)
    dashboard = LiveMonitorDashboard(str(store.url), fills_limit=3)
    assert dashboard.deployment.options == ("synthetic-a", "synthetic-b")
    assert dashboard.figure.layout.title.text.startswith("SYNTHETIC synthetic-a")
    assert "SYNTHETIC paper deployment" in dashboard.banner.value
    assert "partially_filled" in dashboard.tables["open_orders"].value
    first_curve = list(dashboard.figure.data[0].y)

    dashboard.deployment.value = "synthetic-b"
    assert dashboard.figure.layout.title.text.startswith("SYNTHETIC synthetic-b")
    assert list(dashboard.figure.data[0].y) != first_curve

    seed_demo_deployment(store, "synthetic-c", seed=3, bars=48, end=END)
    dashboard.refresh_button.click()
    assert dashboard.deployment.options == ("synthetic-a", "synthetic-b", "synthetic-c")
    assert dashboard.deployment.value == "synthetic-b"  # the selection survives a refresh
    dashboard.timer.value += 1  # what the browser-side timer does every refresh_seconds
    assert dashboard.snapshot.deployment == "synthetic-b"


def test_a_tripped_guard_is_listed_first_in_red_and_named_in_the_status(store):
    seed_demo_deployment(store, "synthetic-a", seed=1, bars=48, end=END)
    late = pd.Timestamp(END, tz="UTC").to_pydatetime() + timedelta(minutes=5)
    with session_scope(store) as session:
        record_guard_checks(session, "synthetic-a", [
            GuardCheck("max_drawdown", "tripped", 0.11, 0.08, late, "drawdown 11% over 8%"),
            GuardCheck("daily_loss", "warning", 0.025, 0.03, late, "close to the daily limit"),
        ])
    snapshot = load_deployment_snapshot(store, "synthetic-a")
    assert list(snapshot.guards["status"])[:2] == ["tripped", "warning"]
    assert snapshot.tripped_guards == ["max_drawdown"] and snapshot.summary()["guards"] == "tripped"
    html = deployment_tables_html(snapshot)["guards"]
    assert html.index('class="qlab-guard-tripped"') < html.index('class="qlab-guard-warning"')
    assert "11.00%" in html and "8.00%" in html
    dashboard = LiveMonitorDashboard(str(store.url))
    assert "guards TRIPPED: max_drawdown" in dashboard.status.value
    assert "qlab-notice-warning" in dashboard.status.value
    assert "qlab-guard-tripped" in dashboard.tables["guards"].value


def test_live_monitor_parameters_are_checked(store):
    with pytest.raises(ValidationError) as caught:
        LiveMonitorDashboard(str(store.url), refresh_seconds=0.1)
    assert caught.value.field == "refresh_seconds"
    with pytest.raises(ValidationError) as caught:
        LiveMonitorDashboard(str(store.url), fills_limit=0)
    assert caught.value.field == "fills_limit"
