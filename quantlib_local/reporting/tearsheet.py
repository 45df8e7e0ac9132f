"""The backtest tearsheet: one self-contained HTML page per backtest.

The page shows the header (title, period, strategy parameters), the metrics table (with the
design's table-1 targets and a pass/fail mark when targets are given), the equity curve
(with a benchmark when given), the drawdown (underwater) chart, the monthly returns heatmap,
the list of trades and a histogram of trade returns.

plotly's JavaScript is embedded once in the page, so the file opens offline and can be mailed
or archived on its own (about 5 MB). Every piece of user text (title, parameter names and
values, symbols) is escaped by jinja2's autoescape; no user text goes into the figures.

Inputs follow the backtest engine's result contract:

- ``equity``: float Series of portfolio value on a tz-aware (UTC) DatetimeIndex;
- ``trades``: DataFrame with the columns of :data:`TRADE_COLUMNS` (may have zero rows);
- ``metrics``: mapping of metric name to a number or None;
- optional ``returns`` (simple per-bar returns on the equity index; derived from ``equity`` when
  absent), ``benchmark`` (value series on the equity index), ``parameters`` and ``targets``.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from quantlib_local import __version__
from quantlib_local._atomic import atomic_write_text
from quantlib_local.backtest.result import TABLE1_TARGETS, TRADE_COLUMNS, BacktestResult
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

TABLE_1_METRICS: tuple[str, ...] = tuple(TABLE1_TARGETS)
"""The design's table-1 metrics, shown first and always (``n/a`` when missing)."""

MONTH_COLUMNS: tuple[str, ...] = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_LABELS = {
    "annual_return": "Annual return",
    "sharpe_ratio": "Sharpe ratio",
    "max_drawdown": "Max drawdown",
    "sortino_ratio": "Sortino ratio",
    "beta": "Beta",
    "win_rate": "Win rate",
    "calmar_ratio": "Calmar ratio",
    "total_return": "Total return",
    "annual_volatility": "Annual volatility",
    "n_trades": "Number of trades",
    "bar_win_rate": "Win rate (bars)",
    "value_at_risk": "Value at risk (1 bar)",
    "conditional_value_at_risk": "CVaR (1 bar)",
}
_PERCENT_METRICS = frozenset({"annual_return", "total_return", "max_drawdown", "win_rate", "annual_volatility",
                              "alpha", "exposure", "exposure_time", "cagr"})
_PERCENT_PREFIXES = ("value_at_risk", "conditional_value_at_risk")
_PERCENT_SUFFIXES = ("_return", "_drawdown", "_volatility", "_rate", "_exposure")
_RATIO_METRICS = frozenset({"beta", "profit_factor", "omega", "tail_ratio"})
_COUNT_PREFIXES = ("n_",)
_COUNT_SUFFIXES = ("_count",)

# How a value is compared with its target. Default: higher is better (value >= target).
# max_drawdown is a non-positive decimal, so "at least -8%" is also ``value >= target``.
_LOWER_IS_BETTER = frozenset(
    {"annual_volatility", "max_drawdown_duration", "value_at_risk", "conditional_value_at_risk"}
)
_ABSOLUTE_AT_MOST = frozenset({"beta"})

_SCATTER_GL_THRESHOLD = 5_000
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class _MetricRow:
    name: str
    label: str
    value: str
    target: str
    verdict: str  # "pass", "fail", "n/a" or "" (no target)


def monthly_returns_table(returns: pd.Series) -> pd.DataFrame:
    """Compounded returns per calendar month (UTC), one row per year, plus the yearly total.

    Parameters
    ----------
    returns
        Simple decimal per-bar returns on a DatetimeIndex. A tz-aware index is converted to
        UTC first (a naive index is taken as UTC). NaN marks a missing bar and is skipped.

    Returns
    -------
    pandas.DataFrame
        Index ``year`` (int); columns ``Jan`` .. ``Dec`` and ``Year``. A cell is
        ``prod(1 + r) - 1`` over the bars of that month; ``Year`` compounds every bar of the
        year (equal to compounding the months). Months without a bar are NaN.

    Examples
    --------
    >>> index = pd.DatetimeIndex(["2023-12-29", "2024-01-02", "2024-01-03"], tz="UTC")
    >>> table = monthly_returns_table(pd.Series([0.10, -0.05, 0.02], index=index))
    >>> round(float(table.loc[2024, "Jan"]), 6), round(float(table.loc[2023, "Year"]), 6)
    (-0.031, 0.1)
    """
    returns = _check_time_series(returns, "returns", allow_nan=True)
    returns = returns.dropna()
    columns = [*MONTH_COLUMNS, "Year"]
    if returns.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], dtype="int64", name="year"), dtype="float64")
    growth = 1.0 + returns.astype("float64")
    years, months = growth.index.year, growth.index.month
    monthly = (growth.groupby([years, months]).prod() - 1.0).unstack()
    monthly = monthly.reindex(columns=range(1, 13))
    monthly.columns = list(MONTH_COLUMNS)
    monthly["Year"] = growth.groupby(years).prod() - 1.0
    monthly.index = pd.Index(monthly.index.astype("int64"), name="year")
    monthly.columns.name = None
    return monthly.astype("float64")


def render_tearsheet(
    *,
    equity: pd.Series,
    trades: pd.DataFrame,
    metrics: Mapping[str, Any],
    title: str = "Backtest tearsheet",
    parameters: Mapping[str, Any] | None = None,
    benchmark: pd.Series | None = None,
    targets: Mapping[str, float] | None = None,
    max_trades: int = 500,
    returns: pd.Series | None = None,
) -> str:
    """Render the tearsheet of one backtest as a self-contained HTML document.

    Parameters
    ----------
    equity
        Portfolio value per bar: float Series on a tz-aware DatetimeIndex (converted to UTC),
        sorted, unique, finite, first value positive.
    trades
        One row per trade with the columns of :data:`TRADE_COLUMNS`; ``direction`` is
        ``"long"``/``"short"``, ``status`` ``"closed"``/``"open"``; ``exit_time`` may be NaT for
        open trades. May have zero rows.
    metrics
        Metric name -> number or None (None and NaN show as ``n/a``). The table-1 metrics
        (:data:`TABLE_1_METRICS`) come first, then the others in the mapping's order.
        Percent-like metrics (returns, drawdowns, volatility, win rate) show as ``-12.34%``,
        ratios with two decimals, counts (``n_*``) as integers.
    title
        Page title (escaped).
    parameters
        Strategy parameters shown in the header (names and values escaped).
    benchmark
        Benchmark value (e.g. buy and hold) on the same index as ``equity``; drawn rebased to the
        starting equity, with its own drawdown.
    targets
        Target value per metric name, shown beside the metric with a pass/fail mark. Pass means
        ``value >= target`` (``max_drawdown`` is non-positive, so a target of ``-0.08`` passes a
        drawdown of ``-0.05``), ``abs(value) <= target`` for ``beta``, and ``value <= target``
        for volatility-like metrics. A target for a metric not in ``metrics`` is an error.
    max_trades
        Most recent trades (by entry time) listed; a line says how many were left out. The
        histogram uses every closed trade.
    returns
        Simple per-bar returns on the equity index for the monthly table (the engine's, so the
        first bar's return against the starting cash counts). Default: ``equity.pct_change()``.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ValidationError
        When an input breaks its contract; the message names the field, the value and the fix.
    """
    equity = _check_equity(equity)
    trades = _check_trades(trades)
    metric_values = _check_metrics(metrics)
    title = _check_title(title)
    parameters = _check_parameters(parameters)
    benchmark = _check_benchmark(benchmark, equity.index)
    target_values = _check_targets(targets, metric_values)
    max_trades = _check_max_trades(max_trades)
    if returns is None:
        returns = equity.pct_change().replace([np.inf, -np.inf], np.nan).iloc[1:]
    else:
        returns = _check_returns(returns, equity.index)

    shown_trades, left_out = _recent_trades(trades, max_trades)
    closed_returns = _closed_trade_returns(trades)
    monthly = monthly_returns_table(returns)
    loader = PackageLoader("quantlib_local.reporting", "templates")
    environment = Environment(loader=loader, autoescape=select_autoescape())
    start, end = equity.index[0], equity.index[-1]
    years = (end - start).total_seconds() / (365.25 * 86_400)
    html = environment.get_template("tearsheet.html").render(
        title=title,
        period_start=_format_time(start),
        period_end=_format_time(end),
        n_bars=len(equity),
        years=f"{years:.2f}",
        start_equity=_format_money(float(equity.iloc[0])),
        end_equity=_format_money(float(equity.iloc[-1])),
        parameters=[(str(name), _format_parameter(value)) for name, value in parameters.items()],
        metric_rows=_metric_rows(metric_values, target_values),
        has_targets=bool(target_values),
        has_benchmark=benchmark is not None,
        equity_figure=_figure_html(_equity_figure(equity, benchmark), "tearsheet-equity"),
        drawdown_figure=_figure_html(_drawdown_figure(equity, benchmark), "tearsheet-drawdown"),
        monthly_figure=_figure_html(_monthly_figure(monthly), "tearsheet-monthly") if not monthly.empty else None,
        histogram_figure=(_figure_html(_histogram_figure(closed_returns), "tearsheet-trade-returns")
                          if len(closed_returns) else None),
        n_trades=len(trades),
        n_closed=int((trades["status"] == "closed").sum()),
        n_open=int((trades["status"] == "open").sum()),
        n_shown=len(shown_trades),
        n_left_out=left_out,
        trade_rows=_trade_rows(shown_trades),
        plotly_js=get_plotlyjs(),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )
    return html


def write_tearsheet(path: str | Path, **kwargs: Any) -> Path:
    """Render the tearsheet (same keyword arguments as :func:`render_tearsheet`) and write it atomically.

    Parent folders are created; a failure leaves any previous file intact and no temporary
    file behind.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    html = render_tearsheet(**kwargs)
    written = atomic_write_text(path, html)
    logger.info("tearsheet %r written to %s", kwargs.get("title", "Backtest tearsheet"), written)
    return written


# --- validation -----------------------------------------------------------------------------------------------------


def write_backtest_tearsheet(
    result: BacktestResult,
    path: str | Path,
    *,
    targets: Mapping[str, float] | None = TABLE1_TARGETS,
    title: str | None = None,
    max_trades: int = 500,
) -> Path:
    """:func:`write_tearsheet` for a :class:`~quantlib_local.backtest.BacktestResult`.

    The benchmark is the equal-weighted buy-and-hold of the same symbols, rebased to the
    starting equity; ``targets`` default to the design's table 1.
    """
    if not isinstance(result, BacktestResult):
        raise ValidationError("result", _describe(result), "pass the BacktestResult that run_backtest returned")
    start = result.config.init_cash
    return write_tearsheet(
        path, equity=result.equity, returns=result.returns, trades=result.trades, metrics=result.metrics(),
        benchmark=start * (1 + result.benchmark_returns).cumprod(), parameters=result.parameters, targets=targets,
        title=title or f"{result.strategy_name} backtest", max_trades=max_trades,
    )


def _describe(value: Any) -> str:
    if isinstance(value, pd.DataFrame):
        return f"DataFrame(shape={value.shape})"
    if isinstance(value, pd.Series):
        return f"Series(len={len(value)}, dtype={value.dtype})"
    return type(value).__name__


def _check_time_series(series: Any, field: str, *, allow_nan: bool) -> pd.Series:
    """A float Series on a sorted, unique DatetimeIndex (tz-aware -> UTC, naive kept)."""
    if not isinstance(series, pd.Series):
        raise ValidationError(field, _describe(series), "pass a pandas Series indexed by UTC timestamps, e.g. "
                              "pd.Series(values, index=pd.DatetimeIndex(times, tz='UTC'))")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValidationError(f"{field}.index", type(series.index).__name__,
                              f"index {field} by timestamps: {field}.index = pd.to_datetime({field}.index, utc=True)")
    if not (pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)):
        raise ValidationError(f"{field}.dtype", str(series.dtype), f"pass numbers: {field}.astype('float64')")
    if series.index.has_duplicates:
        first = series.index[series.index.duplicated()][0]
        raise ValidationError(f"{field}.index", str(first), f"drop duplicate timestamps, e.g. "
                              f"{field}[~{field}.index.duplicated(keep='last')]", detail="timestamp appears twice")
    if not series.index.is_monotonic_increasing:
        raise ValidationError(f"{field}.index", "unsorted", f"sort by time: {field}.sort_index()")
    values = series.to_numpy(dtype="float64")
    bad = ~np.isfinite(values) if not allow_nan else np.isinf(values)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValidationError(field, float(values[position]),
                              f"pass finite values only; drop or fill the {int(bad.sum())} bad bar(s)",
                              detail=f"first non-finite value at {series.index[position]}")
    series = series.astype("float64")
    if series.index.tz is not None:
        series = series.tz_convert("UTC")
    return series


def _check_equity(equity: Any) -> pd.Series:
    if isinstance(equity, pd.Series) and equity.empty:
        raise ValidationError("equity", _describe(equity), "pass the backtest's equity curve with at least one bar")
    equity = _check_time_series(equity, "equity", allow_nan=False)
    if equity.index.tz is None:
        raise ValidationError("equity.index.tz", None, "localise the index to UTC: equity.tz_localize('UTC')",
                              detail="timestamps are UTC in this package")
    if not equity.iloc[0] > 0:
        raise ValidationError("equity", float(equity.iloc[0]), "start the equity curve at the (positive) initial cash",
                              detail="the first value must be positive")
    return equity


def _check_returns(returns: Any, index: pd.DatetimeIndex) -> pd.Series:
    returns = _check_time_series(returns, "returns", allow_nan=True)
    if not returns.index.equals(index):
        raise ValidationError("returns.index", f"{len(returns)} bars from {returns.index[:1].tolist()}",
                              "pass returns on the equity index, e.g. returns.reindex(equity.index), or omit returns "
                              "to derive them from equity", detail=f"equity has {len(index)} bars")
    return returns


def _check_benchmark(benchmark: Any, index: pd.DatetimeIndex) -> pd.Series | None:
    if benchmark is None:
        return None
    benchmark = _check_time_series(benchmark, "benchmark", allow_nan=False)
    if not benchmark.index.equals(index):
        raise ValidationError("benchmark.index", f"{len(benchmark)} bars from {benchmark.index[:1].tolist()}",
                              "align the benchmark with the equity curve: benchmark.reindex(equity.index).ffill()",
                              detail=f"equity has {len(index)} bars")
    if not benchmark.iloc[0] > 0:
        raise ValidationError("benchmark", float(benchmark.iloc[0]),
                              "pass the benchmark's value (positive), e.g. the buy-and-hold equity, not its returns",
                              detail="the first value must be positive")
    return benchmark


def _check_trades(trades: Any) -> pd.DataFrame:
    if not isinstance(trades, pd.DataFrame):
        raise ValidationError("trades", _describe(trades), f"pass a DataFrame with columns {list(TRADE_COLUMNS)} "
                              f"(zero rows when there were no trades)")
    missing = [column for column in TRADE_COLUMNS if column not in trades.columns]
    if missing:
        raise ValidationError("trades.columns", list(trades.columns), f"add the missing columns {missing}",
                              detail=f"required: {list(TRADE_COLUMNS)}")
    trades = trades.loc[:, list(TRADE_COLUMNS)].copy()
    for column, allowed in (("direction", {"long", "short"}), ("status", {"closed", "open"})):
        unknown = sorted({str(v) for v in trades[column].dropna().unique()} - allowed)
        if unknown or trades[column].isna().any():
            raise ValidationError(f"trades.{column}", unknown or [None], f"use only {sorted(allowed)}")
    for column in ("entry_time", "exit_time"):
        try:
            trades[column] = pd.to_datetime(trades[column], utc=True, format="ISO8601")
        except (ValueError, TypeError) as error:
            raise ValidationError(f"trades.{column}", str(trades[column].dtype),
                                  "pass UTC timestamps (pd.Timestamp(..., tz='UTC'); NaT for an open trade's exit)",
                                  detail=str(error)) from None
    if trades["entry_time"].isna().any():
        raise ValidationError("trades.entry_time", "NaT", "every trade needs an entry time")
    for column in ("size", "entry_price", "exit_price", "fees", "pnl", "return"):
        converted = pd.to_numeric(trades[column], errors="coerce")
        if (converted.isna() & trades[column].notna()).any():
            bad = trades.loc[converted.isna() & trades[column].notna(), column].iloc[0]
            raise ValidationError(f"trades.{column}", bad, f"pass numbers in trades['{column}'] (NaN when unknown)")
        trades[column] = converted.astype("float64")
    return trades


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_metrics(metrics: Any) -> dict[str, float | None]:
    if not isinstance(metrics, Mapping):
        raise ValidationError("metrics", _describe(metrics), "pass a mapping of metric name to float or None, "
                              "e.g. {'sharpe_ratio': 1.3, 'beta': None}")
    checked: dict[str, float | None] = {}
    for name, value in metrics.items():
        if value is None:
            checked[str(name)] = None
        elif _is_number(value):
            checked[str(name)] = None if math.isnan(float(value)) else float(value)
        else:
            raise ValidationError(f"metrics[{name!r}]", value, "pass a float or None for every metric")
    return checked


def _check_targets(targets: Any, metrics: Mapping[str, float | None]) -> dict[str, float]:
    if targets is None:
        return {}
    if not isinstance(targets, Mapping):
        raise ValidationError("targets", _describe(targets), "pass a mapping of metric name to target value, "
                              "e.g. {'sharpe_ratio': 2.5, 'max_drawdown': -0.08}")
    checked: dict[str, float] = {}
    for name, value in targets.items():
        if not _is_number(value) or not math.isfinite(float(value)):
            raise ValidationError(f"targets[{name!r}]", value, "pass a finite number as the target")
        if name not in metrics and name not in TABLE_1_METRICS:
            raise ValidationError(f"targets[{name!r}]", value, f"use a metric name from metrics: {sorted(metrics)}",
                                  detail="no such metric")
        checked[str(name)] = float(value)
    return checked


def _check_title(title: Any) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError("title", title, "pass a non-empty string, e.g. 'SMA cross BTC/USDT 1h'")
    return title


def _check_parameters(parameters: Any) -> Mapping[str, Any]:
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise ValidationError("parameters", _describe(parameters), "pass a mapping of parameter name to value, "
                              "e.g. {'fast': 10, 'slow': 50}")
    return parameters


def _check_max_trades(max_trades: Any) -> int:
    if not isinstance(max_trades, numbers.Integral) or isinstance(max_trades, bool) or max_trades < 0:
        raise ValidationError("max_trades", max_trades, "pass a non-negative int, e.g. 500")
    return int(max_trades)


# --- tables ---------------------------------------------------------------------------------------------------------


def _metric_kind(name: str) -> str:
    if name in _PERCENT_METRICS or name.startswith(_PERCENT_PREFIXES) or name.endswith(_PERCENT_SUFFIXES):
        return "percent"
    if name in _RATIO_METRICS or name.endswith("_ratio"):
        return "ratio"
    if name.startswith(_COUNT_PREFIXES) or name.endswith(_COUNT_SUFFIXES):
        return "count"
    return "number"


def _format_metric(name: str, value: float | None) -> str:
    """Format a metric value for display by what its name says it is.

    Percent-like metrics (``*_return``, ``*_drawdown``, ``*_volatility``, ``*_rate``, ``value_at_risk*``,
    ``exposure_time``) give
    ``-12.34%``, ratios (``*_ratio``, ``beta``) two decimals, counts (``n_*``) an integer, None
    or NaN ``n/a``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    kind = _metric_kind(name)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if kind == "percent":
        return f"{value:.2%}"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1_000 else f"{value:.4g}"


def _verdict(name: str, value: float | None, target: float) -> tuple[str, str]:
    """The target as shown, and "pass", "fail" or "n/a"."""
    shown = _format_metric(name, target)
    if name in _ABSOLUTE_AT_MOST:
        text, passed = f"|value| ≤ {shown}", (None if value is None else abs(value) <= target)
    elif name in _LOWER_IS_BETTER:
        text, passed = f"≤ {shown}", (None if value is None else value <= target)
    else:
        text, passed = f"≥ {shown}", (None if value is None else value >= target)
    return text, "n/a" if passed is None else ("pass" if passed else "fail")


def _metric_rows(metrics: Mapping[str, float | None], targets: Mapping[str, float]) -> list[_MetricRow]:
    names = list(TABLE_1_METRICS) + [name for name in metrics if name not in TABLE_1_METRICS]
    rows = []
    for name in names:
        value = metrics.get(name)
        target, verdict = _verdict(name, value, targets[name]) if name in targets else ("", "")
        label = _LABELS.get(name, name.replace("_", " ").capitalize())
        rows.append(_MetricRow(name, label, _format_metric(name, value), target, verdict))
    return rows


def _recent_trades(trades: pd.DataFrame, max_trades: int) -> tuple[pd.DataFrame, int]:
    """The ``max_trades`` most recent trades by entry time, newest first, and how many were left out."""
    ordered = trades.sort_values("entry_time", ascending=False, kind="stable")
    shown = ordered.iloc[:max_trades]
    return shown, len(trades) - len(shown)


def _closed_trade_returns(trades: pd.DataFrame) -> np.ndarray:
    values = trades.loc[trades["status"] == "closed", "return"].to_numpy(dtype="float64")
    return values[np.isfinite(values)]


def _trade_rows(trades: pd.DataFrame) -> list[dict[str, str]]:
    formatters: dict[str, Callable[[Any], str]] = {
        "symbol": str,
        "direction": str,
        "size": _format_quantity,
        "entry_time": _format_time,
        "entry_price": _format_quantity,
        "exit_time": _format_time,
        "exit_price": _format_quantity,
        "fees": _format_quantity,
        "pnl": _format_money,
        "return": lambda value: "" if pd.isna(value) else f"{value:.2%}",
        "status": str,
    }
    return [{column: formatters[column](row[column]) for column in TRADE_COLUMNS} for _, row in trades.iterrows()]


def _format_time(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    stamp = pd.Timestamp(value)
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M")


def _format_quantity(value: Any) -> str:
    if pd.isna(value):
        return ""
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.6g}"


def _format_money(value: Any) -> str:
    return "" if pd.isna(value) else f"{value:,.2f}"


def _format_parameter(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# --- figures --------------------------------------------------------------------------------------------------------


def _figure_html(figure: go.Figure, div_id: str) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOTLY_CONFIG)


def _line(x: pd.Index, y: pd.Series, **kwargs: Any) -> go.Scatter | go.Scattergl:
    trace = go.Scattergl if len(x) > _SCATTER_GL_THRESHOLD else go.Scatter
    return trace(x=x, y=y, mode="lines", **kwargs)


def _equity_figure(equity: pd.Series, benchmark: pd.Series | None) -> go.Figure:
    figure = go.Figure()
    figure.add_trace(_line(equity.index, equity, name="strategy", line={"width": 1.5}))
    if benchmark is not None:
        rebased = benchmark / benchmark.iloc[0] * equity.iloc[0]
        figure.add_trace(_line(rebased.index, rebased, name="benchmark (rebased)", line={"width": 1, "dash": "dot"}))
    figure.update_layout(height=400, margin={"t": 20, "b": 20}, yaxis_title="equity", legend={"orientation": "h"},
                         hovermode="x unified")
    return figure


def _underwater(values: pd.Series) -> pd.Series:
    return values / values.cummax() - 1.0


def _drawdown_figure(equity: pd.Series, benchmark: pd.Series | None) -> go.Figure:
    figure = go.Figure()
    drawdown = _underwater(equity)
    figure.add_trace(_line(drawdown.index, drawdown, name="strategy", fill="tozeroy", line={"width": 1}))
    if benchmark is not None:
        bench_drawdown = _underwater(benchmark)
        figure.add_trace(_line(bench_drawdown.index, bench_drawdown, name="benchmark",
                               line={"width": 1, "dash": "dot"}))
    figure.update_layout(height=260, margin={"t": 20, "b": 20}, yaxis={"title": "drawdown", "tickformat": ".0%"},
                         legend={"orientation": "h"}, hovermode="x unified")
    return figure


def _monthly_figure(monthly: pd.DataFrame) -> go.Figure:
    months = monthly[list(MONTH_COLUMNS)]
    yearly = monthly[["Year"]]
    years = [str(year) for year in monthly.index]

    def text(frame: pd.DataFrame) -> list[list[str]]:
        return [["" if pd.isna(v) else f"{v:.1%}" for v in row] for row in frame.to_numpy()]

    def limit(frame: pd.DataFrame) -> float:
        finite = frame.to_numpy()[np.isfinite(frame.to_numpy())]
        return float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 0.01

    figure = make_subplots(rows=1, cols=2, column_widths=[0.88, 0.12], shared_yaxes=True, horizontal_spacing=0.02)
    for column, (frame, labels) in enumerate(((months, list(MONTH_COLUMNS)), (yearly, ["Year"])), start=1):
        bound = limit(frame)
        figure.add_trace(go.Heatmap(z=frame.to_numpy(), x=labels, y=years, text=text(frame), texttemplate="%{text}",
                                    colorscale="RdYlGn", zmid=0.0, zmin=-bound, zmax=bound, showscale=False,
                                    hovertemplate="%{y} %{x}: %{text}<extra></extra>", xgap=1, ygap=1),
                         row=1, col=column)
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(side="top", type="category")
    figure.update_layout(height=max(200, 70 + 30 * len(years)), margin={"t": 40, "b": 10})
    return figure


def _histogram_figure(trade_returns: np.ndarray) -> go.Figure:
    figure = go.Figure(go.Histogram(x=trade_returns, nbinsx=int(min(60, max(10, math.sqrt(len(trade_returns)) * 3))),
                                    name="closed trades", hovertemplate="%{x}: %{y} trades<extra></extra>"))
    figure.add_vline(x=0.0, line={"dash": "dash", "width": 1})
    figure.update_layout(height=300, margin={"t": 20, "b": 20}, xaxis={"title": "trade return", "tickformat": ".1%"},
                         yaxis_title="trades", bargap=0.05)
    return figure
