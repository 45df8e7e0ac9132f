"""Presentation: plots, tables and published reports (layer 6; may do I/O)."""

from quantlib_local.reporting.research_summary import (
    ResearchSummary,
    build_research_summary,
    publish_research_summary,
    render_research_summary_html,
)

__all__ = ["ResearchSummary", "build_research_summary", "publish_research_summary", "render_research_summary_html"]
