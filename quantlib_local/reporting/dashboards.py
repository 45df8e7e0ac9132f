"""The package side of the Voila dashboards: data assembly, plotly figures and the widget apps.

``notebooks/dashboards/portfolio_risk.ipynb`` and ``notebooks/dashboards/live_monitor.ipynb``
only read their parameters and display :class:`PortfolioRiskDashboard` or
:class:`LiveMonitorDashboard`; ``qlab dashboard NAME`` serves them with Voila. Everything the
pages show is computed here, so tests reach it without a browser.

Portfolio and risk (bundled real data by default)
    :func:`load_dashboard_prices` -> :func:`portfolio_risk_view` -> :class:`PortfolioRiskView`
    -> :func:`weights_figure`, :func:`var_figure` (design eq. 9 VaR and the CVaR),
    :func:`drawdown_figure`, :func:`frontier_figure` and :func:`portfolio_tables_html`.
Live and paper monitor (reads the SQL store)
    :func:`open_monitor_store` -> :func:`list_deployments` and
    :func:`load_deployment_snapshot` -> :class:`DeploymentSnapshot` ->
    :func:`equity_curve_figure` and :func:`deployment_tables_html`.
    :func:`seed_demo_deployment` writes a SYNTHETIC paper deployment (its name starts with
    ``synthetic-``) for demos and tests; the live runner writes the real ones.

The data and figure functions need only plotly (a core dependency); the widget apps import
ipywidgets when they are built (the ``notebooks`` extra). A widget change re-computes the view
and updates the displayed ``plotly.graph_objects.FigureWidget`` objects in place
(:func:`replace_figure`).
"""

from __future__ import annotations

import html
import logging
import math
import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sqlalchemy import select, union
from sqlalchemy.engine import Engine

from quantlib_local import portfolio as pf
from quantlib_local import risk
from quantlib_local.config import Settings, load_settings
from quantlib_local.core import Fill, Order, OrderStatus, Position
from quantlib_local.data import BUNDLED_DATASETS, load_bundled, load_price_table
from quantlib_local.exceptions import QuantLabError, ValidationError
from quantlib_local.storage import (
    EquitySnapshotRow,
    OrderRow,
    PositionRow,
    load_equity_curve,
    load_fills,
    load_orders,
    load_positions,
    open_database,
    record_equity_snapshot,
    record_fill,
    record_order_intent,
    redact_url,
    session_scope,
    update_order_status,
    upgrade_database,
    upsert_position,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import ipywidgets

logger = logging.getLogger(__name__)

__all__ = [
    "CONFIDENCE_CHOICES",
    "DEMO_DEPLOYMENTS",
    "DEMO_STORE_FILE",
    "DeploymentSnapshot",
    "LiveMonitorDashboard",
    "NO_DEPLOYMENTS_MESSAGE",
    "OPEN_ORDER_STATUSES",
    "PortfolioRiskDashboard",
    "PortfolioRiskView",
    "STRATEGIES",
    "SYNTHETIC_PREFIX",
    "VAR_METHODS",
    "deployment_tables_html",
    "drawdown_figure",
    "empty_figure",
    "equity_curve_figure",
    "frontier_figure",
    "is_synthetic_deployment",
    "list_deployments",
    "load_dashboard_prices",
    "load_deployment_snapshot",
    "open_monitor_store",
    "portfolio_risk_view",
    "portfolio_tables_html",
    "replace_figure",
    "seed_demo_deployment",
    "var_figure",
    "weights_figure",
]

# --------------------------------------------------------------------------- constants

STRATEGIES: dict[str, str] = {
    "max_sharpe": "maximum Sharpe",
    "min_volatility": "minimum volatility",
    "equal_weight": "equal weight",
}
"""Weighting schemes of the portfolio dashboard: key -> label."""

VAR_METHODS: dict[str, str] = {
    "historical": "historical",
    "gaussian": "Gaussian",
    "cornish_fisher": "Cornish-Fisher",
}
"""VaR estimators of :func:`quantlib_local.risk.value_at_risk`: key -> label."""

COVARIANCE_ESTIMATORS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "sample": pf.sample_covariance,
    "ledoit_wolf": pf.ledoit_wolf_covariance,
    "exponential": pf.exponential_covariance,
}
"""Covariance estimators the portfolio view can use."""

CONFIDENCE_CHOICES: tuple[float, ...] = (0.90, 0.95, 0.975, 0.99)
"""VaR confidence levels offered by the dashboard's dropdown."""

MIN_BARS = 60
"""Fewest bars (with a price for every selected asset) the portfolio view accepts."""

SYNTHETIC_PREFIX = "synthetic-"
"""Deployments whose name starts with this hold SYNTHETIC demo data (see :func:`seed_demo_deployment`)."""

DEMO_DEPLOYMENTS: tuple[tuple[str, int], ...] = (("synthetic-trend-paper", 7), ("synthetic-rebalance-paper", 11))
"""The SYNTHETIC deployments ``open_monitor_store(demo=True)`` seeds: (name, seed)."""

DEMO_STORE_FILE = "live_monitor_demo.sqlite"
"""File under ``data_dir`` of the demo store, kept apart from the real one."""

OPEN_ORDER_STATUSES: tuple[OrderStatus, ...] = (
    OrderStatus.INTENT,
    OrderStatus.IN_FLIGHT,
    OrderStatus.OPEN,
    OrderStatus.PARTIALLY_FILLED,
)
"""Statuses of an order that is not finished (shown as open orders)."""

NO_DEPLOYMENTS_MESSAGE = "No deployments recorded yet"
"""First words of the live monitor's message for an empty store."""

ORDER_COLUMNS: tuple[str, ...] = (
    "created_at", "client_order_id", "symbol", "side", "order_type", "quantity", "limit_price", "stop_price",
    "status", "venue", "exchange_order_id",
)
FILL_COLUMNS: tuple[str, ...] = (
    "timestamp", "symbol", "side", "quantity", "price", "fee", "fee_currency", "client_order_id", "trade_id", "venue",
)
POSITION_COLUMNS: tuple[str, ...] = ("symbol", "venue", "quantity", "average_price", "cost_value", "realized_pnl")

_FIGURE_WIDTH = 640
_FIGURE_HEIGHT = 380
_TEMPLATE = "plotly_white"
_STYLE = """<style>
.qlab-table {border-collapse: collapse; font-size: 12px; margin: 4px 12px 8px 0;}
.qlab-table th, .qlab-table td {border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: right;}
.qlab-table th:first-child, .qlab-table td:first-child {text-align: left;}
.qlab-notice {padding: 6px 10px; border-radius: 4px; margin: 4px 0; font-size: 13px;}
.qlab-notice-info {background: #eef5fc; border-left: 4px solid #3b82c4;}
.qlab-notice-warning {background: #fff6e0; border-left: 4px solid #d99a00;}
.qlab-notice-synthetic {background: #fde8e8; border-left: 4px solid #c0392b; font-weight: 600;}
</style>"""


# --------------------------------------------------------------------------- small helpers


def _percent_label(value: float) -> str:
    """0.95 -> '95%', 0.975 -> '97.5%'."""
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _finite(field: str, value: Any, fix: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValidationError(field, value, fix)
    number = float(value)
    if (low is not None and number <= low) or (high is not None and number > high):
        raise ValidationError(field, value, fix)
    return number


def _choice(field: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValidationError(field, value, f"use one of {', '.join(repr(a) for a in allowed)}")
    return str(value)


def _utc_timestamp(field: str, value: Any) -> pd.Timestamp | None:
    """Read a date or datetime as a UTC Timestamp; None stays None."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValidationError(field, value, "give a date such as '2015-01-31' or None") from None
    if stamp is pd.NaT:
        raise ValidationError(field, value, "give a date such as '2015-01-31' or None")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _notice_html(text: str, kind: str = "info") -> str:
    """A coloured one-paragraph notice (``kind``: info, warning or synthetic); ``text`` is escaped."""
    return f'<div class="qlab-notice qlab-notice-{kind}">{html.escape(text)}</div>'


def _table_html(frame: pd.DataFrame, empty: str, *, index: bool = False, float_format: str = "{:,.4f}") -> str:
    """``frame`` as an escaped HTML table, or ``empty`` in a notice when it has no rows."""
    if frame.empty:
        return _notice_html(empty, "info")
    shown = frame.copy()
    for column in shown.columns:
        if isinstance(shown[column].dtype, pd.DatetimeTZDtype):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M UTC")
        elif not pd.api.types.is_numeric_dtype(shown[column]):
            shown[column] = shown[column].astype(object).where(shown[column].notna(), "")
    return shown.to_html(
        index=index, border=0, classes="qlab-table", na_rep="", escape=True,
        float_format=lambda x: float_format.format(x),
    )


def empty_figure(message: str, *, title: str = "") -> go.Figure:
    """A blank figure that shows ``message`` in its middle (for empty stores and selections)."""
    figure = go.Figure()
    figure.add_annotation(text=html.escape(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                          font={"size": 14})
    figure.update_layout(
        title={"text": html.escape(title)}, template=_TEMPLATE, width=_FIGURE_WIDTH * 2,
        height=_FIGURE_HEIGHT, xaxis={"visible": False}, yaxis={"visible": False},
    )
    return figure


def replace_figure(target: go.FigureWidget, source: go.Figure) -> None:
    """Make a displayed ``FigureWidget`` show ``source``: its traces and layout, in one update.

    The widget stays the same object, so the page updates in place (no flicker, no new output).
    """
    with target.batch_update():
        target.data = ()
        target.add_traces(list(source.data))
        target.layout = source.layout


# --------------------------------------------------------------------------- portfolio and risk: data


def load_dashboard_prices(
    datasets: Sequence[str] | None = None, *, prices_path: str | Path | None = None
) -> pd.DataFrame:
    """Daily closes for the portfolio dashboard: bundled real data, or a price table.

    Parameters
    ----------
    datasets
        Bundled datasets (:data:`quantlib_local.data.BUNDLED_DATASETS`) to use as assets;
        None takes all of them. Ignored when ``prices_path`` is given.
    prices_path
        A wide CSV/Parquet table of prices, one column per asset
        (:func:`quantlib_local.data.load_price_table`).

    Returns
    -------
    pandas.DataFrame
        Timestamp x asset closes (UTC index). ``attrs["source"]`` says where they came from
        and ``attrs["synthetic"]`` is False for both sources.

    Raises
    ------
    ValidationError
        For an unknown dataset name or an empty list.
    """
    if prices_path is not None:
        prices = load_price_table(prices_path)
        prices.attrs.update(source=f"price table {Path(prices_path).name} ({prices.shape[1]} assets)", synthetic=False)
        return prices
    names = list(BUNDLED_DATASETS) if datasets is None else [str(name).strip() for name in datasets]
    if not names:
        raise ValidationError("datasets", datasets, f"name at least one of {sorted(BUNDLED_DATASETS)}")
    closes = {name: load_bundled(name)["close"] for name in names}
    prices = pd.concat(closes, axis=1, join="inner")
    prices.index.name = "timestamp"
    described = "; ".join(f"{name}: {BUNDLED_DATASETS[name].description}" for name in names)
    prices.attrs.update(source=f"bundled real data, not synthetic ({described})", synthetic=False)
    logger.debug("dashboard prices: %s assets, %s bars", prices.shape[1], prices.shape[0])
    return prices


@dataclass(frozen=True)
class PortfolioRiskView:
    """Everything the portfolio and risk dashboard shows for one selection.

    Attributes
    ----------
    assets, start, end
        The selection: asset labels and the first and last bar used.
    strategy, confidence, var_method, cvar_method, estimator, risk_free_rate, max_weight, capital
        The settings the view was computed with (``cvar_method`` is ``"gaussian"`` with the
        Gaussian VaR and ``"historical"`` otherwise: there is no Cornish-Fisher CVaR).
    source, synthetic
        Where the prices came from and whether they are synthetic.
    prices, asset_returns
        Closes of the window and their simple daily returns.
    expected_returns, covariance
        Annual ``mu`` (geometric historical mean) and ``S`` of the window.
    portfolio
        The chosen weights with their ex-ante return, volatility and Sharpe ratio.
    returns
        Daily returns of the portfolio, rebalanced to its weights every bar.
    value_at_risk, conditional_value_at_risk
        One-day VaR (design eq. 9) and CVaR as positive loss fractions of capital.
    drawdown
        Drawdown of the portfolio from its running peak (non-positive decimals).
    performance
        :func:`quantlib_local.risk.performance_summary` of ``returns``.
    frontier, min_volatility, max_sharpe
        Efficient frontier and its two landmark portfolios (None with one asset; ``max_sharpe``
        is None when no portfolio beats the risk-free rate).
    """

    assets: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    strategy: str
    confidence: float
    var_method: str
    cvar_method: str
    estimator: str
    risk_free_rate: float
    max_weight: float
    capital: float
    source: str
    synthetic: bool
    prices: pd.DataFrame
    asset_returns: pd.DataFrame
    expected_returns: pd.Series
    covariance: pd.DataFrame
    portfolio: pf.PortfolioWeights
    returns: pd.Series
    value_at_risk: float
    conditional_value_at_risk: float
    drawdown: pd.Series
    performance: risk.PerformanceSummary
    frontier: pf.EfficientFrontier | None
    min_volatility: pf.PortfolioWeights | None
    max_sharpe: pf.PortfolioWeights | None

    @property
    def weights(self) -> pd.Series:
        """Cleaned weights (tiny ones set to 0), by asset."""
        return pf.clean_weights(self.portfolio.weights)

    @property
    def risk_contributions(self) -> pd.Series:
        """Share of the portfolio variance from each asset, ``w_i (S w)_i / (w' S w)``; sums to 1."""
        w = self.portfolio.weights.reindex(self.covariance.index).to_numpy(dtype=np.float64)
        cov = self.covariance.to_numpy(dtype=np.float64)
        variance = float(w @ cov @ w)
        shares = w * (cov @ w) / variance if variance > 0 else np.full_like(w, np.nan)
        return pd.Series(shares, index=self.covariance.index, name="risk_contribution")

    def positions(self) -> pd.DataFrame:
        """One row per asset: weight, notional, last price, units, share of risk, volatility, mu."""
        weights = self.weights
        last = self.prices.iloc[-1]
        notional = weights * self.capital
        return pd.DataFrame(
            {
                "weight": weights,
                "notional": notional,
                "last_price": last,
                "units": notional / last,
                "risk_contribution": self.risk_contributions,
                "annual_volatility": np.sqrt(np.diag(self.covariance.to_numpy())),
                "expected_return": self.expected_returns,
            },
            index=pd.Index(self.assets, name="asset"),
        )

    def exposure(self) -> pd.Series:
        """Gross, net, long and short exposure and cash, as fractions of capital."""
        weights = self.weights
        long = float(weights[weights > 0].sum())
        short = float(weights[weights < 0].sum())
        return pd.Series(
            {"gross": long - short, "net": long + short, "long": long, "short": short, "cash": 1.0 - (long + short)},
            name="exposure",
        )

    def key_figures(self) -> pd.Series:
        """The headline numbers of the page, as display strings keyed by label."""
        perf = self.performance
        exposure = self.exposure()
        level = _percent_label(self.confidence)
        return pd.Series(
            {
                "period": f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} ({len(self.returns)} daily returns)",
                "strategy": STRATEGIES[self.strategy],
                "gross / net exposure": f"{exposure['gross']:.0%} / {exposure['net']:.0%}",
                f"VaR {level}, 1 day ({VAR_METHODS[self.var_method]})":
                    f"{self.value_at_risk:.2%} = {self.value_at_risk * self.capital:,.0f}",
                f"CVaR {level}, 1 day ({self.cvar_method})":
                    f"{self.conditional_value_at_risk:.2%} = {self.conditional_value_at_risk * self.capital:,.0f}",
                "max drawdown": f"{perf.max_drawdown:.2%}",
                "annual return (realised)": f"{perf.annual_return:.2%}",
                "annual volatility (realised)": f"{perf.annual_volatility:.2%}",
                "Sharpe ratio (realised)": f"{perf.sharpe_ratio:.2f}",
                "expected return / volatility (ex ante)":
                    f"{self.portfolio.expected_return:.2%} / {self.portfolio.volatility:.2%}",
            },
            name="value",
        )


def portfolio_risk_view(
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
) -> PortfolioRiskView:
    """Compute the portfolio and risk view of a selection of assets and a period.

    Parameters
    ----------
    prices
        Timestamp x asset closes (e.g. from :func:`load_dashboard_prices`).
    assets
        Columns of ``prices`` to hold; None takes all.
    start, end
        First and last date of the period (inclusive; strings or timestamps, read as UTC);
        None for the first or last bar. Only bars where every selected asset has a price count.
    strategy
        ``"max_sharpe"``, ``"min_volatility"`` (long-only Markowitz, design eq. 12) or
        ``"equal_weight"``.
    confidence
        VaR/CVaR confidence level in (0, 1), e.g. 0.95.
    var_method
        ``"historical"``, ``"gaussian"`` or ``"cornish_fisher"`` (see :mod:`quantlib_local.risk.tail_risk`).
    estimator
        Covariance estimator: ``"sample"``, ``"ledoit_wolf"`` or ``"exponential"``.
    risk_free_rate
        Annual decimal rate for the Sharpe ratios and the tangency portfolio.
    max_weight
        Upper bound of every weight in (0, 1] (long only, fully invested).
    frontier_points
        Number of portfolios on the efficient frontier (at least 2).
    capital
        Account value, to show VaR, CVaR and positions in money.

    Returns
    -------
    PortfolioRiskView

    Raises
    ------
    ValidationError
        For an unknown asset, strategy, estimator or VaR method, a confidence outside (0, 1),
        a period with fewer than :data:`MIN_BARS` bars, infeasible weight bounds, or
        ``strategy="max_sharpe"`` when no portfolio beats the risk-free rate in the period.
    """
    if not isinstance(prices, pd.DataFrame) or prices.empty or not isinstance(prices.index, pd.DatetimeIndex):
        raise ValidationError(
            "prices", type(prices).__name__, "pass a non-empty DataFrame of closes with a DatetimeIndex "
            "(e.g. load_dashboard_prices())",
        )
    columns = [str(c) for c in prices.columns]
    chosen = columns if assets is None else [str(a) for a in assets]
    if not chosen:
        raise ValidationError("assets", list(chosen), f"select at least one of {columns}")
    unknown = [a for a in chosen if a not in columns]
    if unknown:
        raise ValidationError("assets", unknown, f"choose from {columns}")
    if len(set(chosen)) != len(chosen):
        raise ValidationError("assets", chosen, "name each asset once")
    strategy = _choice("strategy", strategy, tuple(STRATEGIES))
    var_method = _choice("var_method", var_method, tuple(VAR_METHODS))
    estimator = _choice("estimator", estimator, tuple(COVARIANCE_ESTIMATORS))
    confidence = _finite("confidence", confidence, "use a confidence level between 0 and 1, e.g. 0.95", low=0.0)
    if confidence >= 1.0:
        raise ValidationError("confidence", confidence, "use a confidence level between 0 and 1, e.g. 0.95")
    risk_free_rate = _finite("risk_free_rate", risk_free_rate, "use an annual decimal rate such as 0.02")
    max_weight = _finite("max_weight", max_weight, "use an upper weight bound in (0, 1], e.g. 0.6", low=0.0, high=1.0)
    capital = _finite("capital", capital, "use a positive account value such as 100000", low=0.0)
    if isinstance(frontier_points, bool) or not isinstance(frontier_points, numbers.Integral) or frontier_points < 2:
        raise ValidationError("frontier_points", frontier_points, "use a whole number of points, at least 2 (e.g. 30)")
    first, last = _utc_timestamp("start", start), _utc_timestamp("end", end)
    if first is not None and last is not None and first > last:
        raise ValidationError("start", str(first.date()), f"choose a start on or before the end {last.date()}")

    frame = prices.copy()
    frame.columns = columns
    if frame.index.tz is None:
        frame.index = frame.index.tz_localize("UTC")
    window = frame.loc[first:last, chosen].dropna(how="any")
    if len(window) < MIN_BARS:
        raise ValidationError(
            "period", f"{start}..{end}",
            f"choose a period with at least {MIN_BARS} bars where every selected asset has a price",
            detail=f"it has {len(window)}",
        )
    asset_returns = window.pct_change().iloc[1:]
    mu = pf.mean_historical_return(window)
    covariance = COVARIANCE_ESTIMATORS[estimator](window)
    frontier = min_volatility = max_sharpe = None
    if len(chosen) == 1:
        chosen_portfolio = pf.PortfolioWeights.from_weights(
            pd.Series(1.0, index=chosen), mu, covariance, risk_free_rate
        )
    else:
        optimiser = pf.MeanVarianceOptimiser(
            mu, covariance, pf.PortfolioConstraints(weight_bounds=(0.0, max_weight)), risk_free_rate=risk_free_rate
        )
        min_volatility = optimiser.min_volatility()
        try:
            max_sharpe = optimiser.max_sharpe()
        except ValidationError as error:
            if strategy == "max_sharpe":
                raise
            logger.debug("no tangency portfolio in this window: %s", error)
        frontier = optimiser.efficient_frontier(int(frontier_points))
        if strategy == "max_sharpe":
            assert max_sharpe is not None
            chosen_portfolio = max_sharpe
        elif strategy == "min_volatility":
            chosen_portfolio = min_volatility
        else:
            chosen_portfolio = pf.PortfolioWeights.from_weights(
                pd.Series(1.0 / len(chosen), index=chosen), mu, covariance, risk_free_rate
            )
    weights = chosen_portfolio.weights.reindex(chosen).to_numpy(dtype=np.float64)
    returns = pd.Series(asset_returns.to_numpy() @ weights, index=asset_returns.index, name="portfolio")
    cvar_method = "gaussian" if var_method == "gaussian" else "historical"
    return PortfolioRiskView(
        assets=tuple(chosen),
        start=window.index[0],
        end=window.index[-1],
        strategy=strategy,
        confidence=confidence,
        var_method=var_method,
        cvar_method=cvar_method,
        estimator=estimator,
        risk_free_rate=risk_free_rate,
        max_weight=max_weight,
        capital=capital,
        source=str(prices.attrs.get("source", "prices passed by the caller")),
        synthetic=bool(prices.attrs.get("synthetic", False)),
        prices=window,
        asset_returns=asset_returns,
        expected_returns=mu,
        covariance=covariance,
        portfolio=chosen_portfolio,
        returns=returns,
        value_at_risk=float(risk.value_at_risk(returns, confidence, var_method)),  # type: ignore[arg-type]
        conditional_value_at_risk=float(risk.conditional_value_at_risk(returns, confidence, cvar_method)),  # type: ignore[arg-type]
        drawdown=risk.drawdown_series(returns),
        performance=risk.performance_summary(returns, risk_free_rate=risk_free_rate, confidence=confidence),
        frontier=frontier,
        min_volatility=min_volatility,
        max_sharpe=max_sharpe,
    )


# --------------------------------------------------------------------------- portfolio and risk: figures


def _layout(figure: go.Figure, title: str, **extra: Any) -> go.Figure:
    figure.update_layout(
        title={"text": html.escape(title)}, template=_TEMPLATE, width=_FIGURE_WIDTH, height=_FIGURE_HEIGHT,
        margin={"l": 60, "r": 20, "t": 80, "b": 50}, legend={"orientation": "h", "y": -0.18}, **extra,
    )
    return figure


def weights_figure(view: PortfolioRiskView) -> go.Figure:
    """Positions and exposure: each asset's weight beside its share of the portfolio's risk."""
    positions = view.positions()
    exposure = view.exposure()
    figure = go.Figure()
    figure.add_bar(x=list(positions.index), y=positions["weight"], name="weight (share of capital)",
                   text=[f"{w:.1%}" for w in positions["weight"]], textposition="outside")
    figure.add_bar(x=list(positions.index), y=positions["risk_contribution"], name="share of portfolio variance")
    return _layout(
        figure, f"Positions: {STRATEGIES[view.strategy]} (gross {exposure['gross']:.0%}, net {exposure['net']:.0%})",
        barmode="group", yaxis={"tickformat": ".0%", "title": "fraction"},
    )


def var_figure(view: PortfolioRiskView, *, bins: int = 80) -> go.Figure:
    """Histogram of daily portfolio returns with the VaR (eq. 9) and CVaR as vertical lines.

    The two line traces carry ``meta={"measure": ..., "value": ...}`` with the positive loss
    they mark (the line sits at minus that value).
    """
    values = view.returns.to_numpy()
    counts, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    top = float(counts.max()) * 1.05 if counts.size else 1.0
    level = _percent_label(view.confidence)
    figure = go.Figure()
    figure.add_bar(x=centres, y=counts, width=np.diff(edges), name="daily returns", marker_color="#9aa7b4")
    for measure, value, label, colour in (
        ("value_at_risk", view.value_at_risk, f"VaR {level} ({VAR_METHODS[view.var_method]})", "#c0392b"),
        ("conditional_value_at_risk", view.conditional_value_at_risk, f"CVaR {level} ({view.cvar_method})", "#6c3483"),
    ):
        figure.add_scatter(
            x=[-value, -value], y=[0.0, top], mode="lines", name=f"{label}: {value:.2%}",
            line={"color": colour, "dash": "dash", "width": 2}, meta={"measure": measure, "value": value},
        )
    title = (
        f"1-day VaR {level} = {view.value_at_risk:.2%} ({view.value_at_risk * view.capital:,.0f}), "
        f"CVaR = {view.conditional_value_at_risk:.2%}"
    )
    return _layout(figure, title, bargap=0, xaxis={"tickformat": ".1%", "title": "daily return"},
                   yaxis={"title": "days"})


def drawdown_figure(view: PortfolioRiskView) -> go.Figure:
    """Growth of the capital (top) and the drawdown from its running peak (bottom)."""
    wealth = view.capital * (1.0 + view.returns).cumprod()
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.06)
    figure.add_scatter(x=wealth.index, y=wealth, name="portfolio value", line={"color": "#1f77b4"}, row=1, col=1)
    figure.add_scatter(x=view.drawdown.index, y=view.drawdown, name="drawdown", fill="tozeroy",
                       line={"color": "#c0392b"}, row=2, col=1)
    figure.update_yaxes(tickformat=",.0f", row=1, col=1)
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    return _layout(figure, f"Growth of {view.capital:,.0f} and drawdown (max {view.performance.max_drawdown:.1%})")


def frontier_figure(view: PortfolioRiskView) -> go.Figure:
    """Efficient frontier (eq. 12) with the assets, the chosen portfolio and the landmarks."""
    if view.frontier is None:
        figure = empty_figure("The efficient frontier needs at least two assets: select more.")
        figure.update_layout(width=_FIGURE_WIDTH)
        return figure
    points = view.frontier.points
    volatilities = np.sqrt(np.diag(view.covariance.to_numpy()))
    figure = go.Figure()
    figure.add_scatter(x=points["volatility"], y=points["expected_return"], mode="lines", name="efficient frontier",
                       line={"color": "#1f77b4", "width": 3})
    figure.add_scatter(x=volatilities, y=view.expected_returns.to_numpy(), mode="markers+text", name="assets",
                       text=list(view.assets), textposition="top center", marker={"color": "#7f8c8d", "size": 9})
    for label, result, symbol in (("minimum volatility", view.min_volatility, "diamond"),
                                  ("maximum Sharpe", view.max_sharpe, "triangle-up")):
        if result is not None:
            figure.add_scatter(x=[result.volatility], y=[result.expected_return], mode="markers", name=label,
                               marker={"size": 12, "symbol": symbol})
    figure.add_scatter(
        x=[view.portfolio.volatility], y=[view.portfolio.expected_return], mode="markers",
        name=f"chosen: {STRATEGIES[view.strategy]}", marker={"size": 18, "symbol": "star", "color": "#c0392b"},
    )
    return _layout(
        figure, f"Efficient frontier ({view.estimator} covariance, long only, max weight {view.max_weight:.0%})",
        xaxis={"tickformat": ".1%", "title": "annual volatility"},
        yaxis={"tickformat": ".1%", "title": "annual expected return"},
    )


PORTFOLIO_FIGURES: dict[str, Callable[[PortfolioRiskView], go.Figure]] = {
    "weights": weights_figure,
    "var": var_figure,
    "drawdown": drawdown_figure,
    "frontier": frontier_figure,
}
"""The portfolio dashboard's figures, in page order."""


def portfolio_tables_html(view: PortfolioRiskView) -> str:
    """The key figures and the positions table of a view, as HTML."""
    key = view.key_figures().to_frame()
    key.index.name = "measure"
    positions = view.positions().reset_index()
    formats = {"weight": "{:.2%}", "risk_contribution": "{:.2%}", "annual_volatility": "{:.2%}",
               "expected_return": "{:.2%}", "notional": "{:,.0f}", "last_price": "{:,.2f}", "units": "{:,.4f}"}
    for column, pattern in formats.items():
        positions[column] = [pattern.format(value) for value in positions[column]]
    return (
        _STYLE
        + '<div style="display:flex; flex-wrap:wrap; gap:12px">'
        + f"<div><b>Risk</b>{_table_html(key.reset_index(), 'no figures')}</div>"
        + f"<div><b>Positions of {view.capital:,.0f}</b>{_table_html(positions, 'no positions')}</div>"
        + "</div>"
    )


# --------------------------------------------------------------------------- live monitor: store


def is_synthetic_deployment(name: str) -> bool:
    """True when a deployment holds SYNTHETIC demo data (its name starts with ``synthetic-``)."""
    return str(name).startswith(SYNTHETIC_PREFIX)


def list_deployments(engine: Engine) -> list[str]:
    """Names of every deployment with orders, positions or equity snapshots in the store, sorted.

    Parameters
    ----------
    engine
        An engine of a migrated store (:func:`open_monitor_store`).
    """
    query = union(
        select(OrderRow.deployment).where(OrderRow.deployment.is_not(None)),
        select(PositionRow.deployment),
        select(EquitySnapshotRow.deployment).where(EquitySnapshotRow.deployment.is_not(None)),
    )
    with session_scope(engine) as session:
        names = {row[0] for row in session.execute(query)}
    return sorted(names)


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
        into it when they are missing, so the dashboard has something to show before a
        paper or live runner has run.
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
) -> dict[str, int]:
    """Write a SYNTHETIC paper deployment into the store, through the storage API.

    Hourly prices of made-up symbols follow a seeded geometric random walk; every
    ``rebalance_every`` bars the deployment trades to random long-only target weights with
    market orders (intent -> filled, one fill each, fee ``fee_rate``), and after the last
    bar it leaves one resting limit buy (``open``) and one partially filled limit sell, so
    the monitor has open orders to show. An equity snapshot is written every bar.

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

    Returns
    -------
    dict
        How many ``orders``, ``fills``, ``positions`` and ``equity_snapshots`` were written.

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
    counts = {"orders": 0, "fills": 0, "positions": 0, "equity_snapshots": 0}

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
                targets = rng.dirichlet(np.ones(len(names))) * rng.uniform(0.4, 0.9)
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
    counts["positions"] = sum(1 for p in positions.values() if p.quantity != 0 or p.realized_pnl != 0)
    logger.info("seeded SYNTHETIC deployment %s: %s", deployment, counts)
    return counts


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
    loaded_at
        When the snapshot was read (UTC).
    """

    deployment: str
    synthetic: bool
    equity: pd.DataFrame
    open_orders: pd.DataFrame
    recent_fills: pd.DataFrame
    positions: pd.DataFrame
    loaded_at: pd.Timestamp

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
             "recent_fills": len(self.recent_fills), "positions": len(self.positions)},
            dtype=object, name=self.deployment,
        )


def _orders_frame(orders: Sequence[Order]) -> pd.DataFrame:
    rows = [
        {
            "created_at": order.created_at, "client_order_id": order.client_order_id, "symbol": order.symbol,
            "side": order.side.value, "order_type": order.order_type.value, "quantity": order.quantity,
            "limit_price": order.limit_price, "stop_price": order.stop_price, "status": order.status.value,
            "venue": order.venue, "exchange_order_id": order.exchange_order_id,
        }
        for order in orders
    ]
    frame = pd.DataFrame(rows, columns=list(ORDER_COLUMNS))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def _fills_frame(fills: Sequence[Fill]) -> pd.DataFrame:
    rows = [
        {
            "timestamp": fill.timestamp, "symbol": fill.symbol, "side": fill.side.value, "quantity": fill.quantity,
            "price": fill.price, "fee": fill.fee, "fee_currency": fill.fee_currency,
            "client_order_id": fill.client_order_id, "trade_id": fill.trade_id, "venue": fill.venue,
        }
        for fill in fills
    ]
    frame = pd.DataFrame(rows, columns=list(FILL_COLUMNS))
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


def load_deployment_snapshot(engine: Engine, deployment: str, *, fills_limit: int = 20) -> DeploymentSnapshot:
    """Read the equity curve, open orders, recent fills and positions of one deployment.

    Parameters
    ----------
    engine
        Engine of a migrated store.
    deployment
        One of :func:`list_deployments`.
    fills_limit
        How many of the latest fills to keep (at least 1).

    Raises
    ------
    ValidationError
        For a deployment the store does not know, or a bad ``fills_limit``.
    """
    if isinstance(fills_limit, bool) or not isinstance(fills_limit, numbers.Integral) or fills_limit < 1:
        raise ValidationError("fills_limit", fills_limit, "use a whole number of fills, at least 1 (e.g. 20)")
    known = list_deployments(engine)
    if deployment not in known:
        fix = f"choose one of {known}" if known else "record a deployment first (the paper or live runner writes them)"
        raise ValidationError("deployment", deployment, fix)
    with session_scope(engine) as session:
        equity = load_equity_curve(session, deployment=deployment)
        orders = load_orders(session, deployment=deployment, statuses=OPEN_ORDER_STATUSES)
        fills = load_fills(session, deployment=deployment)
        positions = load_positions(session, deployment)
    recent = _fills_frame(fills[-int(fills_limit):][::-1])
    return DeploymentSnapshot(
        deployment=deployment,
        synthetic=is_synthetic_deployment(deployment),
        equity=equity,
        open_orders=_orders_frame(orders),
        recent_fills=recent,
        positions=_positions_frame(positions),
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
    """HTML of the positions, open orders and recent fills tables, keyed by those names."""
    return {
        "positions": _STYLE + _table_html(snapshot.positions, "No positions recorded."),
        "open_orders": _STYLE + _table_html(snapshot.open_orders, "No open orders."),
        "recent_fills": _STYLE + _table_html(snapshot.recent_fills, "No fills recorded."),
    }


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
        HTML widgets ``positions``, ``open_orders``, ``recent_fills``.
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
        self.tables = {name: w.HTML() for name in ("positions", "open_orders", "recent_fills")}
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
            w.HTML("<h4>Positions</h4>"), self.tables["positions"],
            w.HTML("<h4>Open orders</h4>"), self.tables["open_orders"],
            w.HTML(f"<h4>Recent fills (latest {self.fills_limit}, newest first)</h4>"), self.tables["recent_fills"],
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
        self.status.value = _notice_html(
            f"Store {self.store}; {when}; {summary['open_orders']} open orders, {summary['positions']} positions; "
            f"read at {snapshot.loaded_at:%H:%M:%S} UTC.", "info")
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
