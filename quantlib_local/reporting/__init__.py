"""Presentation: plots, tables and published reports (layer 6; may do I/O)."""

from quantlib_local.reporting.research_summary import (
    ResearchSummary,
    build_research_summary,
    publish_research_summary,
    render_research_summary_html,
)
from quantlib_local.reporting.tearsheet import (
    TABLE_1_METRICS,
    TRADE_COLUMNS,
    monthly_returns_table,
    render_tearsheet,
    write_backtest_tearsheet,
    write_tearsheet,
)

__all__ = [
    "ResearchSummary",
    "TABLE_1_METRICS",
    "TRADE_COLUMNS",
    "build_research_summary",
    "monthly_returns_table",
    "publish_research_summary",
    "render_research_summary_html",
    "render_tearsheet",
    "write_backtest_tearsheet",
    "write_tearsheet",
]
