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
    :func:`seed_demo_scanner` records a SYNTHETIC arbitrage scanner's opportunities.

The data and figure functions need only plotly (a core dependency); the widget apps import
ipywidgets when they are built (the ``notebooks`` extra). A widget change re-computes the view
and updates the displayed ``plotly.graph_objects.FigureWidget`` objects in place
(:func:`replace_figure`).
"""

from __future__ import annotations

from quantlib_local.reporting.dashboards._common import (
    CONFIDENCE_CHOICES,
    DEMO_DEPLOYMENTS,
    DEMO_SCANNER,
    DEMO_STORE_FILE,
    NO_DEPLOYMENTS_MESSAGE,
    OPEN_ORDER_STATUSES,
    STRATEGIES,
    SYNTHETIC_PREFIX,
    VAR_METHODS,
    empty_figure,
    replace_figure,
)
from quantlib_local.reporting.dashboards.apps import LiveMonitorDashboard, PortfolioRiskDashboard
from quantlib_local.reporting.dashboards.live_monitor import (
    DeploymentSnapshot,
    deployment_tables_html,
    equity_curve_figure,
    is_synthetic_deployment,
    list_deployments,
    load_deployment_snapshot,
    open_monitor_store,
    seed_demo_deployment,
    seed_demo_scanner,
)
from quantlib_local.reporting.dashboards.portfolio_risk import (
    PortfolioRiskView,
    drawdown_figure,
    frontier_figure,
    load_dashboard_prices,
    portfolio_risk_view,
    portfolio_tables_html,
    var_figure,
    weights_figure,
)

__all__ = [
    "CONFIDENCE_CHOICES",
    "DEMO_DEPLOYMENTS",
    "DEMO_SCANNER",
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
    "seed_demo_scanner",
    "var_figure",
    "weights_figure",
]
