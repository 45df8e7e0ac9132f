"""The widget apps the dashboard notebooks display: controls wired to the figures."""

from __future__ import annotations

import logging
import numbers
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy.engine import Engine

from quantlib_local import risk
from quantlib_local.config import Settings
from quantlib_local.exceptions import QuantLabError, ValidationError
from quantlib_local.storage import (
    redact_url,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import ipywidgets

from quantlib_local.reporting.dashboards._common import (
    _STYLE,
    CONFIDENCE_CHOICES,
    NO_DEPLOYMENTS_MESSAGE,
    STRATEGIES,
    VAR_METHODS,
    _finite,
    _notice_html,
    _percent_label,
    empty_figure,
    replace_figure,
)
from quantlib_local.reporting.dashboards.live_monitor import (
    DeploymentSnapshot,
    deployment_tables_html,
    equity_curve_figure,
    list_deployments,
    load_deployment_snapshot,
    open_monitor_store,
)
from quantlib_local.reporting.dashboards.portfolio_risk import (
    PORTFOLIO_FIGURES,
    PortfolioRiskView,
    portfolio_risk_view,
    portfolio_tables_html,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- widget apps


def _widgets() -> Any:
    try:
        import ipywidgets
    except ImportError as error:  # pragma: no cover - the notebooks extra installs it
        raise QuantLabError(
            f"the dashboards need ipywidgets ({error}). Fix: pip install 'quantlib-local[notebooks]'"
        ) from error
    return ipywidgets


def _figure_box(widgets: Any, figure: go.FigureWidget, name: str) -> ipywidgets.Box:
    box = widgets.Box([figure])
    box.add_class(f"qlab-figure-{name}")
    return box


def _control(widget: Any, name: str) -> Any:
    widget.add_class(f"qlab-control-{name}")
    return widget


class PortfolioRiskDashboard:
    """The portfolio and risk dashboard: controls, key figures, positions and four figures.

    Changing any control recomputes :func:`portfolio_risk_view` and updates the displayed
    figures in place. A selection the view rejects (e.g. a period too short, or maximum
    Sharpe when no portfolio beats the risk-free rate) shows its message above the figures
    and leaves them as they were.

    Parameters
    ----------
    prices
        Timestamp x asset closes (:func:`load_dashboard_prices`).
    assets, start, end, strategy, confidence, var_method
        Initial selection (the controls); see :func:`portfolio_risk_view`.
    estimator, risk_free_rate, max_weight, frontier_points, capital
        Fixed settings of the page; see :func:`portfolio_risk_view`.

    Attributes
    ----------
    controls
        The control widgets by name: ``assets``, ``strategy``, ``period``, ``confidence``,
        ``var_method``.
    figures
        The ``FigureWidget`` objects by name (keys of :data:`PORTFOLIO_FIGURES`).
    view
        The :class:`PortfolioRiskView` on display.
    widget
        The whole page, to display in a notebook.

    Raises
    ------
    ValidationError
        When the initial parameters are invalid (the notebook fails with the message).
    """

    def __init__(
        self,
        prices: pd.DataFrame,
        *,
        assets: Sequence[str] | None = None,
        start: Any = None,
        end: Any = None,
        strategy: str = "max_sharpe",
        confidence: float = risk.DEFAULT_CONFIDENCE,
        var_method: str = "historical",
        estimator: str = "ledoit_wolf",
        risk_free_rate: float = 0.02,
        max_weight: float = 1.0,
        frontier_points: int = 30,
        capital: float = 100_000.0,
    ) -> None:
        w = _widgets()
        self.prices = prices
        self.settings = {"estimator": estimator, "risk_free_rate": risk_free_rate, "max_weight": max_weight,
                         "frontier_points": frontier_points, "capital": capital}
        self.view = portfolio_risk_view(prices, assets=assets, start=start, end=end, strategy=strategy,
                                        confidence=confidence, var_method=var_method, **self.settings)
        index = pd.DatetimeIndex(prices.index)
        naive = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
        self._months = [str(p) for p in naive.to_period("M").unique()]
        month_options = [(pd.Period(m, "M").strftime("%b %Y"), m) for m in self._months]
        first_month = str(self.view.start.tz_localize(None).to_period("M"))
        last_month = str(self.view.end.tz_localize(None).to_period("M"))
        confidences = sorted(set(CONFIDENCE_CHOICES) | {float(confidence)})
        self.controls: dict[str, Any] = {
            "assets": _control(w.SelectMultiple(
                options=[str(c) for c in prices.columns], value=self.view.assets, description="Assets",
                rows=min(6, prices.shape[1]), layout=w.Layout(width="320px")), "assets"),
            "strategy": _control(w.Dropdown(
                options=[(label, key) for key, label in STRATEGIES.items()], value=self.view.strategy,
                description="Weights"), "strategy"),
            "confidence": _control(w.Dropdown(
                options=[(_percent_label(c), c) for c in confidences], value=float(confidence),
                description="VaR level"), "confidence"),
            "var_method": _control(w.Dropdown(
                options=[(label, key) for key, label in VAR_METHODS.items()], value=self.view.var_method,
                description="VaR method"), "var_method"),
            "period": _control(w.SelectionRangeSlider(
                options=month_options, index=(self._months.index(first_month), self._months.index(last_month)),
                description="Period", continuous_update=False, layout=w.Layout(width="95%")), "period"),
        }
        self.figures: dict[str, go.FigureWidget] = {
            name: go.FigureWidget(build(self.view)) for name, build in PORTFOLIO_FIGURES.items()
        }
        self.source = w.HTML()
        self.status = w.HTML()
        self.status.add_class("qlab-status")
        self.tables = w.HTML()
        self.tables.add_class("qlab-tables")
        self.errors = w.Output()
        self._show(self.view, seconds=None, figures=False)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        boxes = {name: _figure_box(w, figure, name) for name, figure in self.figures.items()}
        self.widget = w.VBox([
            w.HTML(_STYLE), self.source,
            w.HBox([self.controls["assets"], w.VBox([self.controls[n] for n in ("strategy", "confidence", "var_method")])]),
            self.controls["period"], self.status, self.tables,
            w.HBox([boxes["weights"], boxes["var"]], layout=w.Layout(flex_flow="row wrap")),
            w.HBox([boxes["drawdown"], boxes["frontier"]], layout=w.Layout(flex_flow="row wrap")),
            self.errors,
        ])
        self.widget.add_class("qlab-dashboard")

    def selection(self) -> dict[str, Any]:
        """The controls' current values as keyword arguments of :func:`portfolio_risk_view`."""
        first, last = self.controls["period"].value
        return {
            "assets": list(self.controls["assets"].value),
            "start": pd.Period(first, "M").start_time.tz_localize("UTC"),
            "end": pd.Period(last, "M").end_time.tz_localize("UTC"),
            "strategy": self.controls["strategy"].value,
            "confidence": float(self.controls["confidence"].value),
            "var_method": self.controls["var_method"].value,
        }

    def refresh(self) -> PortfolioRiskView | None:
        """Recompute the view from the controls and update the page; None when it was rejected."""
        started = time.perf_counter()
        try:
            view = portfolio_risk_view(self.prices, **self.selection(), **self.settings)
        except QuantLabError as error:
            logger.info("portfolio dashboard selection rejected: %s", error)
            self.status.value = _notice_html(f"This selection cannot be shown: {error}", "warning")
            return None
        self._show(view, seconds=time.perf_counter() - started)
        return view

    def _on_change(self, change: dict[str, Any]) -> None:
        with self.errors:  # an unexpected error shows its traceback on the page instead of vanishing
            self.refresh()

    def _show(self, view: PortfolioRiskView, *, seconds: float | None, figures: bool = True) -> None:
        self.view = view
        kind = "synthetic" if view.synthetic else "info"
        prefix = "SYNTHETIC data: " if view.synthetic else "Data: "
        self.source.value = _notice_html(prefix + view.source, kind)
        took = "" if seconds is None else f" (computed in {seconds:.2f} s)"
        portfolio = "single-asset" if len(view.assets) == 1 else STRATEGIES[view.strategy]
        self.status.value = _notice_html(
            f"{portfolio} portfolio of {', '.join(view.assets)} from {view.start:%Y-%m-%d} "
            f"to {view.end:%Y-%m-%d}{took}.", "info")
        self.tables.value = portfolio_tables_html(view)
        if figures:  # last, so a page that shows the new figures shows the new tables too
            for name, build in PORTFOLIO_FIGURES.items():
                replace_figure(self.figures[name], build(view))


class LiveMonitorDashboard:
    """The live and paper monitor: equity curve, positions, open orders and fills per deployment.

    Reads whatever the store holds; an empty store shows :data:`NO_DEPLOYMENTS_MESSAGE`, and a
    store that cannot be read shows why (e.g. "run `qlab db upgrade`"), with the Refresh button
    trying again. The page refreshes on the button and, while "auto-refresh" is ticked, every
    ``refresh_seconds`` (a browser-side timer, so nothing runs when no page is open).

    Parameters
    ----------
    database_url
        Store to read; None for the settings' store (see :func:`open_monitor_store`).
    demo
        Read a separate demo store with SYNTHETIC deployments (:func:`open_monitor_store`).
    refresh_seconds
        Auto-refresh interval (at least 1).
    fills_limit
        How many recent fills to show.
    auto_refresh
        Start with auto-refresh on.
    settings
        Settings to read; default :func:`quantlib_local.config.load_settings`.

    Attributes
    ----------
    deployment
        The Dropdown of deployments found in the store.
    refresh_button, auto_refresh
        The Refresh button and the auto-refresh Checkbox.
    timer
        A hidden ``Play`` widget, linked to ``auto_refresh``: the browser bumps its value every
        ``refresh_seconds`` and each bump refreshes the page.
    figure
        The equity ``FigureWidget``.
    tables
        HTML widgets ``guards``, ``positions``, ``open_orders``, ``recent_fills``, ``opportunities``.
    snapshot
        The :class:`DeploymentSnapshot` on display (None when there is none).
    widget
        The whole page, to display in a notebook.
    """

    def __init__(
        self,
        database_url: str | None = None,
        *,
        demo: bool = False,
        refresh_seconds: float = 10.0,
        fills_limit: int = 20,
        auto_refresh: bool = False,
        settings: Settings | None = None,
    ) -> None:
        w = _widgets()
        refresh_seconds = _finite("refresh_seconds", refresh_seconds, "use an interval of at least 1 second, e.g. 10",
                                  low=0.999)
        if isinstance(fills_limit, bool) or not isinstance(fills_limit, numbers.Integral) or fills_limit < 1:
            raise ValidationError("fills_limit", fills_limit, "use a whole number of fills, at least 1 (e.g. 20)")
        self.database_url = database_url
        self.demo = bool(demo)
        self.fills_limit = int(fills_limit)
        self.settings = settings
        self.engine: Engine | None = None
        self.snapshot: DeploymentSnapshot | None = None
        self._listing = False
        self.deployment = _control(w.Dropdown(options=[], description="Deployment", layout=w.Layout(width="420px")),
                                   "deployment")
        self.refresh_button = _control(w.Button(description="Refresh", icon="refresh"), "refresh")
        self.auto_refresh = _control(w.Checkbox(value=bool(auto_refresh),
                                                description=f"auto-refresh every {refresh_seconds:g} s"), "auto-refresh")
        self.timer = w.Play(interval=int(refresh_seconds * 1000), min=0, max=10**9, repeat=True,
                             layout=w.Layout(display="none"))
        w.link((self.auto_refresh, "value"), (self.timer, "playing"))
        self.banner = w.HTML()
        self.banner.add_class("qlab-banner")
        self.status = w.HTML()
        self.status.add_class("qlab-status")
        self.figure: go.FigureWidget | None = None  # built from the first content: updates before display are lost
        self.tables = {
            name: w.HTML() for name in ("guards", "positions", "open_orders", "recent_fills", "opportunities")
        }
        for name, table in self.tables.items():
            table.add_class(f"qlab-table-{name.replace('_', '-')}")
        self.errors = w.Output()
        self._guarded(self.refresh)
        if self.figure is None:  # an unexpected error on the first read; its traceback is in self.errors
            self.figure = go.FigureWidget(empty_figure("Nothing to show"))
        self.refresh_button.on_click(lambda _button: self._guarded(self.refresh))
        self.timer.observe(lambda _change: self._guarded(self.refresh), names="value")
        self.deployment.observe(self._on_select, names="value")
        self.widget = w.VBox([
            w.HTML(_STYLE),
            w.HBox([self.deployment, self.refresh_button, self.auto_refresh, self.timer]),
            self.banner, self.status, _figure_box(w, self.figure, "equity"),
            w.HTML("<h4>Risk guards (latest check of each)</h4>"), self.tables["guards"],
            w.HTML("<h4>Positions</h4>"), self.tables["positions"],
            w.HTML("<h4>Open orders</h4>"), self.tables["open_orders"],
            w.HTML(f"<h4>Recent fills (latest {self.fills_limit}, newest first)</h4>"), self.tables["recent_fills"],
            w.HTML("<h4>Latest arbitrage opportunities (every scanner, newest first)</h4>"),
            self.tables["opportunities"],
            self.errors,
        ])
        self.widget.add_class("qlab-dashboard")

    @property
    def store(self) -> str:
        """The store's URL with any password hidden ("not open" before it is)."""
        return redact_url(self.engine.url) if self.engine is not None else "not open"

    def refresh(self) -> None:
        """Open the store if needed, re-list the deployments and show the selected one."""
        if self.engine is None:
            try:
                self.engine = open_monitor_store(self.database_url, demo=self.demo, settings=self.settings)
            except QuantLabError as error:
                logger.info("live monitor cannot open the store: %s", error)
                self._show_nothing("The store cannot be read", f"The store cannot be read: {error}", "warning")
                return
        names = list_deployments(self.engine)
        current = self.deployment.value
        self._listing = True
        try:
            self.deployment.options = names
            self.deployment.value = current if current in names else (names[0] if names else None)
            self.deployment.disabled = not names
        finally:
            self._listing = False
        if not names:
            self._show_nothing(
                NO_DEPLOYMENTS_MESSAGE,
                f"{NO_DEPLOYMENTS_MESSAGE} in the store {self.store}. The paper and live runners record orders, fills, "
                "positions and equity snapshots there as they trade; this page shows them once they do. "
                "For a demo with SYNTHETIC data run `qlab dashboard live_monitor --demo`.", "info")
            return
        self.show(self.deployment.value)

    def show(self, deployment: str) -> DeploymentSnapshot:
        """Read ``deployment`` from the store and show it."""
        if self.engine is None:
            raise QuantLabError("the store is not open. Fix: call refresh() first")
        snapshot = load_deployment_snapshot(self.engine, deployment, fills_limit=self.fills_limit)
        self.snapshot = snapshot
        for name, text in deployment_tables_html(snapshot).items():
            self.tables[name].value = text
        if snapshot.synthetic:
            self.banner.value = _notice_html(
                f"SYNTHETIC paper deployment '{deployment}': simulated prices of made-up symbols written by "
                "quantlib_local.reporting.dashboards.seed_demo_deployment for demos and tests. Not a real account.",
                "synthetic")
        else:
            self.banner.value = ""
        summary = snapshot.summary()
        last = summary["last_snapshot"]
        when = "no equity snapshot yet" if last is None else f"last snapshot {last:%Y-%m-%d %H:%M} UTC"
        tripped = snapshot.tripped_guards
        guards = f"guards TRIPPED: {', '.join(tripped)}" if tripped else f"guards {summary['guards']}"
        self.status.value = _notice_html(
            f"Store {self.store}; {when}; {guards}; {summary['open_orders']} open orders, "
            f"{summary['positions']} positions; read at {snapshot.loaded_at:%H:%M:%S} UTC.",
            "warning" if tripped else "info")
        self._set_figure(equity_curve_figure(snapshot))  # last, so a page showing the new curve shows the rest too
        return snapshot

    def _set_figure(self, figure: go.Figure) -> None:
        if self.figure is None:
            self.figure = go.FigureWidget(figure)
        else:
            replace_figure(self.figure, figure)

    def _on_select(self, change: dict[str, Any]) -> None:
        if self._listing or change["new"] is None:
            return
        self._guarded(lambda: self.show(change["new"]))

    def _guarded(self, action: Callable[[], Any]) -> None:
        with self.errors:  # an unexpected error shows its traceback on the page instead of vanishing
            try:
                action()
            except QuantLabError as error:
                logger.info("live monitor: %s", error)
                self.status.value = _notice_html(str(error), "warning")

    def _show_nothing(self, headline: str, message: str, kind: str) -> None:
        self.snapshot = None
        self.banner.value = _notice_html(message, kind)
        self.status.value = ""
        self._set_figure(empty_figure(headline))
        for table in self.tables.values():
            table.value = ""
