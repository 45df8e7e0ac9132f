"""The portfolio and risk dashboard's data and figures (bundled real data by default)."""

from __future__ import annotations

import html
import logging
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from quantlib_local import portfolio as pf
from quantlib_local import risk
from quantlib_local.data import BUNDLED_DATASETS, load_bundled, load_price_table
from quantlib_local.exceptions import ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass

from quantlib_local.reporting.dashboards._common import (
    _FIGURE_HEIGHT,
    _FIGURE_WIDTH,
    _STYLE,
    _TEMPLATE,
    COVARIANCE_ESTIMATORS,
    MIN_BARS,
    STRATEGIES,
    VAR_METHODS,
    _choice,
    _finite,
    _percent_label,
    _table_html,
    _utc_timestamp,
    empty_figure,
)

logger = logging.getLogger(__name__)


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


