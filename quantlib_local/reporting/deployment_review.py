"""A deployment's review for analysts: guard history, trading costs and the scanner's opportunities.

The live monitor shows the latest state; this module answers the questions a person asks when
looking back over a paper or live deployment in ``notebooks/live_monitoring.ipynb``: how close did
each risk guard come to its limit and when, what did trading cost, and what did the arbitrage
scanner see. Everything takes the dataclasses and frames the store returns (no session, no I/O).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from quantlib_local.core import OPPORTUNITY_COLUMNS, Fill, GuardCheck
from quantlib_local.exceptions import ValidationError

GUARD_HISTORY_COLUMNS: tuple[str, ...] = ("checked_at", "guard", "status", "value", "limit", "utilisation")
"""Columns of :func:`guard_history_frame`; ``utilisation`` is value / limit (1.0 trips the guard)."""


def guard_history_frame(checks: Sequence[GuardCheck]) -> pd.DataFrame:
    """Guard checks as a long frame, oldest first, with each value as a share of its limit.

    Parameters
    ----------
    checks
        :class:`~quantlib_local.core.GuardCheck` objects, e.g. from
        :func:`quantlib_local.storage.load_guard_checks`.
    """
    rows = []
    for check in checks:
        if not isinstance(check, GuardCheck):
            raise ValidationError("checks", type(check).__name__, "pass GuardCheck objects (quantlib_local.core)")
        utilisation = np.nan if check.value is None else check.value / check.limit
        rows.append((pd.Timestamp(check.checked_at), check.guard, check.status.value,
                     np.nan if check.value is None else check.value, check.limit, utilisation))
    frame = pd.DataFrame(rows, columns=list(GUARD_HISTORY_COLUMNS))
    frame["checked_at"] = pd.to_datetime(frame["checked_at"], utc=True)
    return frame.sort_values(["checked_at", "guard"], kind="stable").reset_index(drop=True)


def guard_episodes(history: pd.DataFrame) -> pd.DataFrame:
    """Stretches of consecutive checks in which a guard was not ``ok``.

    Returns
    -------
    pandas.DataFrame
        One row per episode: ``guard``, ``status`` (the worst in the stretch), ``start``,
        ``end`` (the last check still not ok), ``checks`` and ``peak_utilisation``.
    """
    _require_columns("history", history, GUARD_HISTORY_COLUMNS)
    episodes = []
    for guard, rows in history.groupby("guard", sort=True):
        alert = (rows["status"] != "ok").to_numpy()
        labels = np.cumsum(np.r_[alert[:1], alert[1:] & ~alert[:-1]])
        for label in np.unique(labels[alert]):
            stretch = rows[alert & (labels == label)]
            worst = "tripped" if (stretch["status"] == "tripped").any() else "warning"
            episodes.append((guard, worst, stretch["checked_at"].iloc[0], stretch["checked_at"].iloc[-1],
                             len(stretch), float(stretch["utilisation"].max())))
    columns = ["guard", "status", "start", "end", "checks", "peak_utilisation"]
    return pd.DataFrame(episodes, columns=columns).sort_values("start", kind="stable").reset_index(drop=True)


def guard_history_figure(history: pd.DataFrame, *, title: str = "Risk guards") -> go.Figure:
    """Each guard's value as a share of its limit over time, with the warning and trip lines.

    Parameters
    ----------
    history
        A :func:`guard_history_frame`.
    title
        Figure title (escaped).
    """
    _require_columns("history", history, GUARD_HISTORY_COLUMNS)
    figure = go.Figure()
    for guard, rows in history.groupby("guard", sort=True):
        figure.add_scatter(x=rows["checked_at"], y=rows["utilisation"], name=str(guard), mode="lines+markers",
                           customdata=np.c_[rows["value"], rows["limit"]],
                           hovertemplate="%{y:.0%} of the limit (%{customdata[0]:.2%} / %{customdata[1]:.2%})")
    figure.add_hline(y=1.0, line={"color": "#c0392b", "dash": "dash"}, annotation_text="trips")
    figure.update_layout(title={"text": html.escape(title)}, template="plotly_white", height=380,
                         yaxis={"title": "value / limit", "tickformat": ".0%"}, legend={"orientation": "h", "y": -0.2})
    return figure


def trading_costs(fills: Sequence[Fill], equity: pd.Series | None = None) -> pd.Series:
    """What trading cost: fills, traded notional, fees in money and in basis points, turnover.

    Parameters
    ----------
    fills
        The deployment's fills (:func:`quantlib_local.storage.load_fills`).
    equity
        Its equity curve; when given, ``turnover`` is traded notional over mean equity.
    """
    for fill in fills:
        if not isinstance(fill, Fill):
            raise ValidationError("fills", type(fill).__name__, "pass Fill objects (quantlib_local.core)")
    notional = float(sum(f.quantity * f.price for f in fills))
    fees = float(sum(f.fee for f in fills))
    turnover = np.nan
    if equity is not None:
        if not isinstance(equity, pd.Series) or equity.empty:
            raise ValidationError("equity", type(equity).__name__, "pass the equity curve as a non-empty Series")
        turnover = notional / float(equity.mean())
    return pd.Series(
        {
            "fills": len(fills),
            "symbols": len({f.symbol for f in fills}),
            "traded_notional": notional,
            "fees": fees,
            "fee_bps": fees / notional * 1e4 if notional else np.nan,
            "turnover": turnover,
        },
        name="trading_costs",
    )


def opportunity_summary(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Recorded opportunities per (symbol, buy venue, sell venue): count, edges and expected profit.

    Parameters
    ----------
    opportunities
        A frame with :data:`~quantlib_local.core.OPPORTUNITY_COLUMNS`
        (:func:`quantlib_local.storage.load_opportunities`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``symbol``, ``buy_venue``, ``sell_venue``; columns ``count``,
        ``median_net_edge``, ``max_net_edge``, ``expected_profit`` (sum) and ``last_seen``;
        the most frequent route first.
    """
    _require_columns("opportunities", opportunities, OPPORTUNITY_COLUMNS)
    grouped = opportunities.groupby(["symbol", "buy_venue", "sell_venue"], sort=True)
    summary = grouped.agg(
        count=("net_edge", "size"),
        median_net_edge=("net_edge", "median"),
        max_net_edge=("net_edge", "max"),
        expected_profit=("expected_profit", "sum"),
        last_seen=("detected_at", "max"),
    )
    return summary.sort_values("count", ascending=False, kind="stable")


def _require_columns(field: str, frame: object, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(field, type(frame).__name__, f"pass a DataFrame with the columns {list(columns)}")
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValidationError(field, f"missing columns {missing}", f"pass a DataFrame with the columns {list(columns)}")
