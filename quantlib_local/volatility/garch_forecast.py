"""Multi-horizon GARCH variance forecasts from a fitted model, and their volatility cone.

For a forecast origin ``T`` (the last observation) and ``h = 1..H``:

* ``variance[h] = E_T[sigma_{T+h}^2]``, the expected per-bar variance ``h`` bars ahead
  (analytic for GARCH and GJR: ``sigma^2 + (persistence)^(h-1) (sigma_{T+1}^2 - sigma^2)``;
  by simulation for EGARCH beyond one bar, where no closed form exists);
* ``cumulative_variance[h] = sum_{i<=h} variance[i]``, the variance of the ``h``-bar return;
* ``term_volatility[h] = sqrt(cumulative_variance[h] / h)``, the average per-bar volatility
  over the next ``h`` bars; annualised (``* sqrt(periods_per_year)``) it is the volatility
  term structure, the GARCH analogue of an implied-volatility curve.

With ``method="simulation"`` the forecast also carries a **cone**: quantiles, across
simulated paths, of the realised per-bar volatility ``sqrt(mean_{i<=h} eps_{T+i}^2)``.
Everything is in the units of the returns the model was fitted to.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from arch.univariate import Normal, StudentsT

from quantlib_local._typing import SeedLike
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk.annualisation import resolve_periods_per_year
from quantlib_local.volatility.garch_engine import GarchEstimate
from quantlib_local.volatility.garch_inputs import check_choice, check_horizon, check_positive_int

if TYPE_CHECKING:
    from quantlib_local.volatility.garch import GarchFit

logger = logging.getLogger(__name__)

ForecastMethod: TypeAlias = Literal["auto", "analytic", "simulation"]
"""``"auto"``: analytic where a closed form exists (GARCH, GJR, EGARCH one bar ahead), else simulation."""

FORECAST_METHODS: tuple[str, ...] = ("auto", "analytic", "simulation")


@dataclass(frozen=True)
class GarchForecast:
    """Variance forecasts for ``h = 1..horizon`` bars after an origin.

    Attributes
    ----------
    origin
        Index label of the last observation the forecast uses.
    method
        ``"analytic"`` or ``"simulation"`` (what ran).
    table
        Indexed by ``horizon`` (1..H); columns ``mean``, ``variance``, ``volatility``
        (``sqrt(variance)``), ``cumulative_variance``, ``term_volatility``, all per bar in
        the returns' units; when ``periods_per_year`` is known also
        ``annualised_volatility`` and ``annualised_term_volatility``.
    cone
        Simulation only (else None): indexed by ``horizon``, one column per quantile level,
        the quantiles of realised per-bar volatility over the next ``h`` bars across paths.
    periods_per_year
        Bars per year used for the annualised columns, or None.
    """

    origin: Any
    method: str
    table: pd.DataFrame
    cone: pd.DataFrame | None
    periods_per_year: float | None

    @property
    def horizon(self) -> int:
        """Number of bars forecast."""
        return len(self.table)

    @property
    def variance(self) -> pd.Series:
        """Expected per-bar variance ``h`` bars ahead."""
        return self.table["variance"]

    @property
    def term_structure(self) -> pd.Series:
        """Annualised volatility term structure (``annualised_term_volatility``)."""
        if "annualised_term_volatility" not in self.table:
            raise ValidationError(
                "periods_per_year", None, "pass periods_per_year to fit_garch or forecast (e.g. 252 for daily equities)"
            )
        return self.table["annualised_term_volatility"]

    def annualised_cone(self) -> pd.DataFrame:
        """:attr:`cone` times ``sqrt(periods_per_year)``."""
        if self.cone is None:
            raise ValidationError("method", self.method, "forecast with method='simulation' to get a cone")
        if self.periods_per_year is None:
            raise ValidationError(
                "periods_per_year", None, "pass periods_per_year to fit_garch or forecast (e.g. 252 for daily equities)"
            )
        return self.cone * math.sqrt(self.periods_per_year)


def forecast_garch(
    fit: GarchFit,
    horizon: int,
    *,
    method: ForecastMethod = "auto",
    simulations: int = 1000,
    quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95),
    seed: SeedLike = None,
    periods_per_year: float | None = None,
) -> GarchForecast:
    """Forecast the variance 1..``horizon`` bars after the last observation of ``fit``.

    Parameters
    ----------
    fit
        A :class:`~quantlib_local.volatility.garch.GarchFit`.
    horizon
        Bars ahead, >= 1.
    method
        ``"auto"``, ``"analytic"`` or ``"simulation"``.
    simulations
        Paths simulated when the method is simulation.
    quantiles
        Levels of the cone (simulation only), each in (0, 1).
    seed
        Seed or Generator of the simulated shocks (reproducible cones).
    periods_per_year
        Bars per year for the annualised columns; defaults to ``fit.periods_per_year``.

    Returns
    -------
    GarchForecast
    """
    horizon = check_horizon(horizon)
    resolved = resolve_method(method, fit.spec.model, horizon)
    simulations = check_positive_int(simulations, "simulations", "e.g. 1000")
    levels = _check_quantiles(quantiles)
    ppy = fit.periods_per_year
    if periods_per_year is not None:
        ppy = resolve_periods_per_year(periods_per_year, fit.conditional_volatility.index)
    variance, mean, residual_paths = forecast_paths(
        fit.estimate, horizon, start=None, method=resolved, simulations=simulations, seed=seed
    )
    table = forecast_table(variance[-1], mean[-1], ppy)
    cone = None
    if residual_paths is not None:
        realised = np.sqrt(np.cumsum(residual_paths[-1] ** 2, axis=1) / np.arange(1, horizon + 1))
        cone = pd.DataFrame(np.quantile(realised, levels, axis=0).T, index=table.index, columns=list(levels))
        cone.columns.name = "quantile"
    return GarchForecast(
        origin=fit.conditional_volatility.index[-1], method=resolved, table=table, cone=cone, periods_per_year=ppy
    )


def resolve_method(method: Any, model: str, horizon: int) -> str:
    """The forecasting method that will run: ``"analytic"`` or ``"simulation"``."""
    method = check_choice(method, "method", FORECAST_METHODS)
    analytic_available = model != "egarch" or horizon == 1
    if method == "analytic" and not analytic_available:
        raise ValidationError(
            "method", method, "use method='simulation' (or 'auto') for EGARCH beyond one bar",
            detail="EGARCH variance forecasts have no closed form for horizon > 1",
        )
    if method == "auto":
        return "analytic" if analytic_available else "simulation"
    return method


def forecast_paths(
    state: GarchEstimate,
    horizon: int,
    *,
    start: int | None,
    method: str,
    simulations: int,
    seed: SeedLike,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Raw forecasts from an estimation state, in the caller's units.

    Returns ``(variance, mean, residual_paths)``: ``(origins, horizon)`` arrays for origins
    ``start..end`` of the state's data (the last one only when ``start`` is None), and for
    simulation the ``(origins, simulations, horizon)`` simulated residuals (else None).
    """
    rng = _shock_generator(state, seed) if method == "simulation" else None
    result = state.arch_result.forecast(
        horizon=horizon, start=start, method=method, simulations=simulations, rng=rng, reindex=False
    )
    scale = state.scale
    variance = result.variance.to_numpy(dtype=np.float64) / scale**2
    mean = (result.mean.to_numpy(dtype=np.float64) + state.mean_offset) / scale
    paths = None
    if method == "simulation":
        paths = np.asarray(result.simulations.residuals, dtype=np.float64) / scale
    return variance, mean, paths


def forecast_table(variance: np.ndarray, mean: np.ndarray, periods_per_year: float | None) -> pd.DataFrame:
    """The per-horizon table of :class:`GarchForecast` from one origin's variance and mean paths."""
    steps = np.arange(1, len(variance) + 1)
    cumulative = np.cumsum(variance)
    table = pd.DataFrame(
        {
            "mean": mean,
            "variance": variance,
            "volatility": np.sqrt(variance),
            "cumulative_variance": cumulative,
            "term_volatility": np.sqrt(cumulative / steps),
        },
        index=pd.RangeIndex(1, len(variance) + 1, name="horizon"),
    )
    if periods_per_year is not None:
        root = math.sqrt(periods_per_year)
        table["annualised_volatility"] = table["volatility"] * root
        table["annualised_term_volatility"] = table["term_volatility"] * root
    return table


def _shock_generator(state: GarchEstimate, seed: SeedLike) -> Callable[[Any], np.ndarray]:
    """Standardised shocks of the fitted distribution drawn from ``seed`` (reproducible paths)."""
    generator = np.random.default_rng(seed)
    if state.spec.distribution == "normal":
        return Normal(seed=generator).simulate([])
    return StudentsT(seed=generator).simulate([float(state.params["nu"])])


def _check_quantiles(quantiles: Any) -> tuple[float, ...]:
    fix = "pass quantile levels strictly between 0 and 1, e.g. (0.05, 0.5, 0.95)"
    try:
        levels = tuple(float(q) for q in quantiles)
    except (TypeError, ValueError) as exc:
        raise ValidationError("quantiles", quantiles, fix) from exc
    if not levels or not all(0.0 < q < 1.0 for q in levels):
        raise ValidationError("quantiles", quantiles, fix)
    return levels
