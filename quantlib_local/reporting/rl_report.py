"""Figures and an HTML report for reinforcement-learning agents.

:func:`training_curves_figure` and :func:`reward_decomposition_figure` read a training log
(:attr:`~quantlib_local.rl.training.TrainingResult.history`); :func:`comparison_figure`
draws an out-of-sample :class:`~quantlib_local.rl.evaluation.PolicyComparison`;
:func:`write_rl_report` writes the comparison as ``metrics.csv``, ``returns.csv`` and a
self-contained ``report.html`` (plotly's JavaScript embedded, opens offline).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from quantlib_local._atomic import atomic_write_text
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.config import REWARD_TERMS
from quantlib_local.rl.evaluation import AGENT, BUY_AND_HOLD, RANDOM, PolicyComparison

TRAINING_TAGS = ("episode/return", "train/loss", "train/epsilon", "train/entropy")


def _smoothed(history: pd.DataFrame, tag: str, window: int) -> pd.Series:
    rows = history[history["tag"] == tag]
    return rows.groupby("step")["value"].mean().rolling(window, min_periods=1).mean()


def _check_history(history: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(history, pd.DataFrame) or not {"tag", "step", "value"} <= set(history.columns):
        raise ValidationError("history", type(history).__name__, "pass TrainingResult.history (tag, step, value)")
    return history


def training_curves_figure(history: pd.DataFrame, window: int = 20) -> go.Figure:
    """Episode return and the training scalars against environment steps (trailing means of ``window`` points)."""
    history = _check_history(history)
    tags = [tag for tag in TRAINING_TAGS if (history["tag"] == tag).any()]
    figure = make_subplots(rows=max(len(tags), 1), cols=1, shared_xaxes=True, subplot_titles=tags or ["(no data)"])
    for row, tag in enumerate(tags, start=1):
        curve = _smoothed(history, tag, window)
        figure.add_trace(go.Scatter(x=curve.index, y=curve.to_numpy(), name=tag, mode="lines"), row=row, col=1)
    figure.update_layout(height=220 * max(len(tags), 1), showlegend=False, title="Training curves")
    figure.update_xaxes(title_text="environment steps", row=max(len(tags), 1), col=1)
    return figure


def reward_decomposition(history: pd.DataFrame) -> pd.DataFrame:
    """Per-episode sums of each eq. 5 term (unweighted), indexed by step."""
    history = _check_history(history)
    columns = {term: history[history["tag"] == f"episode/{term}"].groupby("step")["value"].mean()
               for term in REWARD_TERMS}
    return pd.DataFrame(columns)


def reward_decomposition_figure(history: pd.DataFrame, window: int = 20) -> go.Figure:
    """The four terms of design eq. 5 per episode over training (trailing means)."""
    terms = reward_decomposition(history).rolling(window, min_periods=1).mean()
    figure = make_subplots(rows=len(REWARD_TERMS), cols=1, shared_xaxes=True, subplot_titles=list(REWARD_TERMS))
    for row, term in enumerate(REWARD_TERMS, start=1):
        figure.add_trace(go.Scatter(x=terms.index, y=terms[term].to_numpy(), name=term, mode="lines"), row=row, col=1)
    figure.update_layout(height=180 * len(REWARD_TERMS), showlegend=False,
                         title="Reward decomposition (eq. 5 terms, summed per episode)")
    return figure


def comparison_figure(comparison: PolicyComparison) -> go.Figure:
    """Out-of-sample growth of 1 for the agent, buy-and-hold and each random run."""
    equity = comparison.equity
    figure = go.Figure()
    for name in equity.columns:
        random_run = name.startswith(f"{RANDOM}_")
        figure.add_trace(go.Scatter(
            x=equity.index, y=equity[name].to_numpy(), name=name, mode="lines",
            line={"width": 1, "color": "lightgray"} if random_run else {"width": 2},
            opacity=0.7 if random_run else 1.0,
        ))
    figure.update_layout(title="Out of sample: agent vs buy-and-hold vs random", yaxis_title="growth of 1",
                         height=420)
    return figure


def write_rl_report(comparison: PolicyComparison, out_dir: str | Path, *, folds: pd.DataFrame | None = None,
                    title: str = "RL agent evaluation") -> Path:
    """Write ``metrics.csv``, ``returns.csv`` (and ``folds.csv``) and ``report.html``; return the HTML path."""
    if not isinstance(comparison, PolicyComparison):
        raise ValidationError("comparison", type(comparison).__name__, "pass a PolicyComparison")
    folder = Path(out_dir)
    atomic_write_text(folder / "metrics.csv", comparison.metrics.to_csv())
    atomic_write_text(folder / "returns.csv", comparison.returns.to_csv())
    if folds is not None:
        atomic_write_text(folder / "folds.csv", folds.to_csv())
    headline = comparison.metrics.loc[[AGENT, BUY_AND_HOLD, RANDOM]]
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        "<p>Out-of-sample backtests on the same engine, costs and window; the random row is the mean of "
        f"{sum(c.startswith(f'{RANDOM}_') for c in comparison.returns.columns)} seeded runs.</p>",
        headline.to_html(float_format=lambda v: f"{v:.4f}", border=0),
        comparison_figure(comparison).to_html(full_html=False, include_plotlyjs=True),
    ]
    if folds is not None:
        parts += ["<h2>Walk-forward folds</h2>", folds.to_html(float_format=lambda v: f"{v:.4f}", border=0)]
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
            "<style>body{font-family:sans-serif;margin:2em} table{border-collapse:collapse}"
            " td,th{padding:4px 10px;text-align:right}</style></head><body>" + "".join(parts) + "</body></html>")
    return atomic_write_text(folder / "report.html", page)
