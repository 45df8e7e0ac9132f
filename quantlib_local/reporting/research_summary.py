"""The research summary: indicators and risk metrics of one asset, published as HTML.

This is the main job of ``make demo`` (``qlab demo``): it runs on bundled real data so it
works offline, and says so in the report. The page is self-contained: plotly's
JavaScript is written once beside it, so the report opens without a network.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from quantlib_local import __version__
from quantlib_local._atomic import atomic_write_text
from quantlib_local.data import load_bundled, validate_ohlcv
from quantlib_local.indicators import (
    atr,
    bollinger_bands,
    macd,
    rsi,
    simple_returns,
    sma,
)
from quantlib_local.risk import PerformanceSummary, drawdown_series, performance_summary

logger = logging.getLogger(__name__)
PLOTLY_JS = "plotly.min.js"


@dataclass(frozen=True)
class ResearchSummary:
    """Everything the research summary report shows.

    Attributes
    ----------
    name, source
        Dataset name and where the bars came from (``bundled:sp500``, ``file:...``).
    bars
        The validated bars.
    indicators
        One column per indicator, aligned with ``bars``.
    returns
        Simple close-to-close returns.
    performance, benchmark_performance
        Risk and performance metrics of the asset and (when given) of the benchmark.
    data_hash
        SHA-256 of the bars, so a report can be tied to the exact data it used.
    gaps_summary
        The OHLCV validation summary line.
    """

    name: str
    source: str
    bars: pd.DataFrame
    indicators: pd.DataFrame
    returns: pd.Series
    performance: PerformanceSummary
    benchmark_name: str | None
    benchmark_performance: PerformanceSummary | None
    data_hash: str
    gaps_summary: str


def build_research_summary(
    bars: pd.DataFrame, *, name: str, benchmark: pd.DataFrame | None = None, benchmark_name: str | None = None
) -> ResearchSummary:
    """Compute indicators and risk metrics for ``bars`` (pure computation, no I/O)."""
    report = validate_ohlcv(bars)
    bars = report.frame
    close = bars["close"]
    bands = bollinger_bands(close, 20, 2.0)
    macd_result = macd(close, 12, 26, 9)
    indicators = pd.DataFrame(
        {
            "sma_50": sma(close, 50),
            "sma_200": sma(close, 200),
            "bb_upper": bands.upper,
            "bb_middle": bands.middle,
            "bb_lower": bands.lower,
            "rsi_14": rsi(close, 14),
            "macd": macd_result.macd,
            "macd_signal": macd_result.signal,
            "macd_hist": macd_result.histogram,
            "atr_14": atr(bars["high"], bars["low"], close, 14),
        }
    )
    returns = simple_returns(close).dropna()
    benchmark_returns = None
    if benchmark is not None:
        benchmark_returns = simple_returns(validate_ohlcv(benchmark).frame["close"]).dropna()
    performance = performance_summary(returns, benchmark_returns)
    benchmark_performance = performance_summary(benchmark_returns) if benchmark_returns is not None else None
    digest = hashlib.sha256(pd.util.hash_pandas_object(bars, index=True).to_numpy().tobytes()).hexdigest()
    return ResearchSummary(
        name=name,
        source=str(bars.attrs.get("source", "unknown")),
        bars=bars,
        indicators=indicators,
        returns=returns,
        performance=performance,
        benchmark_name=benchmark_name if benchmark is not None else None,
        benchmark_performance=benchmark_performance,
        data_hash=digest,
        gaps_summary=report.summary(),
    )


def metrics_table(summary: ResearchSummary) -> pd.DataFrame:
    """Metrics by name, one column for the asset and one for the benchmark when there is one."""
    table = pd.DataFrame({summary.name: summary.performance.to_series()})
    if summary.benchmark_performance is not None and summary.benchmark_name:
        table[summary.benchmark_name] = summary.benchmark_performance.to_series()
    return table


def render_research_summary_html(summary: ResearchSummary, plotly_js_src: str = PLOTLY_JS) -> str:
    """The report page; plotly's JavaScript is loaded from ``plotly_js_src``."""
    environment = Environment(loader=PackageLoader("quantlib_local.reporting", "templates"), autoescape=select_autoescape())
    metrics = metrics_table(summary)
    latest = summary.indicators.iloc[-1]
    return environment.get_template("research_summary.html").render(
        summary=summary,
        metrics_rows=[(label, [_format(v) for v in row]) for label, row in metrics.iterrows()],
        metric_columns=list(metrics.columns),
        latest=[(label, _format(value)) for label, value in latest.items()],
        price_figure=_price_figure(summary).to_html(full_html=False, include_plotlyjs=False),
        risk_figure=_risk_figure(summary).to_html(full_html=False, include_plotlyjs=False),
        plotly_js_src=plotly_js_src,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )


def publish_research_summary(dataset: str, *, benchmark: str | None = None, out_dir: str | Path) -> dict[str, Path]:
    """Run the research summary on a bundled dataset and write the report files.

    Returns
    -------
    dict
        ``{"report": html, "metrics": csv, "plotly": js}`` paths.
    """
    out = Path(out_dir)
    bars = load_bundled(dataset)
    benchmark_bars = load_bundled(benchmark) if benchmark else None
    summary = build_research_summary(bars, name=dataset, benchmark=benchmark_bars, benchmark_name=benchmark)
    plotly_path = out / PLOTLY_JS
    if not plotly_path.is_file():
        atomic_write_text(plotly_path, get_plotlyjs())
    outputs = {
        "report": atomic_write_text(out / "research_summary.html", render_research_summary_html(summary)),
        "metrics": atomic_write_text(out / "research_summary_metrics.csv", metrics_table(summary).to_csv()),
        "plotly": plotly_path,
    }
    logger.info("research summary of %s written to %s", dataset, outputs["report"])
    return outputs


def _price_figure(summary: ResearchSummary) -> go.Figure:
    bars, ind = summary.bars, summary.indicators
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.6, 0.2, 0.2], vertical_spacing=0.03,
                           subplot_titles=("Close, SMA 50/200, Bollinger 20/2", "RSI 14", "MACD 12/26/9"))
    figure.add_trace(go.Scattergl(x=bars.index, y=bars["close"], name="close", line={"width": 1}), 1, 1)
    for column, style in (("sma_50", {"width": 1}), ("sma_200", {"width": 1}),
                          ("bb_upper", {"width": 0.5, "dash": "dot"}), ("bb_lower", {"width": 0.5, "dash": "dot"})):
        figure.add_trace(go.Scattergl(x=ind.index, y=ind[column], name=column, line=style), 1, 1)
    figure.add_trace(go.Scattergl(x=ind.index, y=ind["rsi_14"], name="rsi_14", line={"width": 1}), 2, 1)
    for level in (30, 70):
        figure.add_hline(y=level, line={"dash": "dash", "width": 0.5}, row=2, col=1)
    figure.add_trace(go.Bar(x=ind.index, y=ind["macd_hist"], name="macd_hist"), 3, 1)
    figure.add_trace(go.Scattergl(x=ind.index, y=ind["macd"], name="macd", line={"width": 1}), 3, 1)
    figure.add_trace(go.Scattergl(x=ind.index, y=ind["macd_signal"], name="macd_signal", line={"width": 1}), 3, 1)
    figure.update_layout(height=800, margin={"t": 40, "b": 20}, legend={"orientation": "h"})
    return figure


def _risk_figure(summary: ResearchSummary) -> go.Figure:
    returns, perf = summary.returns, summary.performance
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Drawdown", "Daily returns and one-day VaR"))
    drawdown = drawdown_series(returns)
    figure.add_trace(go.Scattergl(x=drawdown.index, y=drawdown, fill="tozeroy", name="drawdown", line={"width": 1},
                                  showlegend=False), 1, 1)
    counts, edges = np.histogram(returns, bins=200)
    figure.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), name="returns",
                            showlegend=False), 1, 2)
    confidence = f"{perf.confidence:.0%}"
    for label, value, dash in (("historical", perf.value_at_risk_historical, "solid"),
                               ("Gaussian", perf.value_at_risk_gaussian, "dash"),
                               ("Cornish-Fisher", perf.value_at_risk_cornish_fisher, "dot")):
        figure.add_trace(go.Scatter(x=[-value, -value], y=[0, counts.max()], mode="lines", line={"dash": dash, "width": 2},
                                    name=f"VaR {confidence} {label}: {value:.2%}"), 1, 2)
    figure.update_layout(height=400, margin={"t": 40, "b": 20}, legend={"x": 0.56, "y": 0.98})
    return figure


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return "" if value is None else str(value)
