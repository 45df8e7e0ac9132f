"""Shared pieces of the dashboards: constants, input checks, HTML and figure helpers."""

from __future__ import annotations

import html
import logging
import math
import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from quantlib_local import portfolio as pf
from quantlib_local.core import OrderStatus
from quantlib_local.exceptions import ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass

logger = logging.getLogger(__name__)


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

DEMO_SCANNER = "synthetic-scanner"
"""The SYNTHETIC arbitrage scanner whose opportunities ``open_monitor_store(demo=True)`` records."""

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
GUARD_COLUMNS: tuple[str, ...] = ("guard", "status", "value", "limit", "message", "checked_at")
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
.qlab-guard-tripped td {background: #fde8e8; color: #922b21; font-weight: 600;}
.qlab-guard-warning td {background: #fff6e0;}
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


