"""Rolling and expanding re-fit GARCH forecasts over a return series, without look-ahead.

Forecast origins are the bars ``window - 1, ..., n - 1`` (an origin is the last bar a
forecast may use; its one-bar-ahead target is the next bar, and the last origin forecasts
beyond the sample). Every ``refit_every`` origins the model is re-estimated on the data up
to and including that origin: the last ``window`` bars (``scheme="rolling"``) or every bar
so far (``scheme="expanding"``). Between re-fits the parameters stay fixed and the variance
recursion is filtered forward bar by bar, so the forecast made at origin ``t`` depends on
returns up to ``t`` only. The returns' scale multiplier (see
:mod:`~quantlib_local.volatility.garch_inputs`) is chosen once, from the first window.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from quantlib_local._typing import SeedLike
from quantlib_local.exceptions import ValidationError
from quantlib_local.volatility.garch_engine import GarchConvergenceWarning, convergence_advice, estimate
from quantlib_local.volatility.garch_forecast import ForecastMethod, forecast_paths, resolve_method
from quantlib_local.volatility.garch_inputs import (
    MIN_OBSERVATIONS,
    BackcastRule,
    CovarianceType,
    GarchDistributionName,
    GarchMeanName,
    GarchModelName,
    GarchSpec,
    ScaleSpec,
    check_choice,
    check_horizon,
    check_positive_int,
    coerce_garch_returns,
    known_periods_per_year,
    resolve_scale,
)

logger = logging.getLogger(__name__)

RefitScheme: TypeAlias = Literal["rolling", "expanding"]
REFIT_SCHEMES: tuple[str, ...] = ("rolling", "expanding")


@dataclass(frozen=True)
class RollingGarchForecast:
    """Out-of-sample variance forecasts made at each origin with data up to that origin.

    Attributes
    ----------
    variance
        Index: origin labels (bars ``window - 1 .. n - 1`` of the returns); columns
        ``1..horizon``: expected per-bar variance ``h`` bars after the origin, in the returns' units.
    refits
        One row per re-estimation, indexed by its origin: the parameters, ``loglikelihood``
        and ``converged``.
    spec
        The specification re-fitted.
    scheme, window, refit_every
        How the estimation windows were chosen.
    scale
        Multiplier applied to the returns for every re-fit (chosen from the first window).
    periods_per_year
        Bars per year used to annualise, or None.
    """

    variance: pd.DataFrame
    refits: pd.DataFrame
    spec: GarchSpec
    scheme: str
    window: int
    refit_every: int
    scale: float
    periods_per_year: float | None

    @property
    def volatility(self) -> pd.DataFrame:
        """``sqrt(variance)``: per-bar volatility ``h`` bars after each origin."""
        return np.sqrt(self.variance)

    @property
    def not_converged(self) -> pd.Index:
        """Origins whose re-fit did not converge."""
        return self.refits.index[~self.refits["converged"].to_numpy(dtype=bool)]

    def one_step_ahead(self, annualise: bool = False) -> pd.Series:
        """The one-bar-ahead volatility forecast indexed by the bar it forecasts.

        The forecast made at origin ``t`` is placed on bar ``t + 1`` (the last origin, whose
        target lies beyond the sample, is dropped), ready to compare with that bar's
        realised return.

        Parameters
        ----------
        annualise
            Multiply by ``sqrt(periods_per_year)``.
        """
        values = self.volatility[1].to_numpy()[:-1]
        series = pd.Series(values, index=self.variance.index[1:], name="forecast_volatility")
        if annualise:
            series = series * math.sqrt(self._require_periods_per_year())
        return series

    def _require_periods_per_year(self) -> float:
        if self.periods_per_year is None:
            raise ValidationError(
                "periods_per_year", None, "pass periods_per_year to rolling_garch_forecast (e.g. 252 for daily equities)"
            )
        return self.periods_per_year


def rolling_garch_forecast(
    returns: pd.Series,
    window: int,
    *,
    scheme: RefitScheme = "rolling",
    refit_every: int = 20,
    horizon: int = 1,
    model: GarchModelName = "garch",
    distribution: GarchDistributionName = "normal",
    mean: GarchMeanName = "constant",
    scale: ScaleSpec = "auto",
    backcast: BackcastRule | float = "ewma",
    cov_type: CovarianceType = "robust",
    method: ForecastMethod = "auto",
    simulations: int = 500,
    seed: SeedLike = None,
    periods_per_year: float | None = None,
    max_iterations: int = 500,
    progress: bool = True,
) -> RollingGarchForecast:
    """Re-fit a GARCH model through time and forecast at every bar with past data only.

    Parameters
    ----------
    returns
        One asset's returns; NaN bars are dropped.
    window
        Estimation window in bars (``"rolling"``) or the first window (``"expanding"``);
        at least 100 and at most the number of observed returns.
    scheme
        ``"rolling"`` (fixed-length window) or ``"expanding"`` (all data so far).
    refit_every
        Re-estimate every this many origins (1: at every bar).
    horizon
        Bars ahead to forecast from each origin.
    model, distribution, mean, scale, backcast, cov_type
        As in :func:`~quantlib_local.volatility.garch.fit_garch`.
    method, simulations, seed
        Forecasting method (see :func:`~quantlib_local.volatility.garch_forecast.forecast_garch`);
        EGARCH beyond one bar is simulated, ``simulations`` paths per origin.
    periods_per_year
        Bars per year for annualised outputs; inferred from a DatetimeIndex when None.
    max_iterations
        Iteration limit of each re-fit.
    progress
        Show a tqdm progress bar over the re-fits.

    Returns
    -------
    RollingGarchForecast

    Warns
    -----
    GarchConvergenceWarning
        Once, listing how many re-fits did not converge (see ``RollingGarchForecast.not_converged``).
    """
    spec = GarchSpec.checked(
        model=model, distribution=distribution, mean=mean, scale=scale, backcast=backcast,
        cov_type=cov_type, max_iterations=max_iterations,
    )
    series = coerce_garch_returns(returns)
    n = len(series)
    window = _check_window(window, n)
    scheme = check_choice(scheme, "scheme", REFIT_SCHEMES)
    refit_every = check_positive_int(refit_every, "refit_every", "e.g. 20 to re-estimate every 20 bars")
    horizon = check_horizon(horizon)
    resolved = resolve_method(method, spec.model, horizon)
    simulations = check_positive_int(simulations, "simulations", "e.g. 500")
    ppy = known_periods_per_year(periods_per_year, series.index)

    values = series.to_numpy()
    scale = resolve_scale(spec, values[:window])
    scaled = values * scale
    generator = np.random.default_rng(seed)
    first_origin = window - 1
    refit_origins = list(range(first_origin, n, refit_every))
    variance = np.full((n - first_origin, horizon), np.nan)
    rows: list[dict[str, Any]] = []
    for origin in tqdm(refit_origins, desc=f"{scheme} {spec.model} re-fits", unit="fit", disable=not progress, leave=False):
        block_end = min(origin + refit_every, n)  # origins origin..block_end-1 share this fit
        start = origin - window + 1 if scheme == "rolling" else 0
        state = estimate(scaled[start:block_end], spec, scale, last_obs=origin - start + 1)
        block, _, _ = forecast_paths(
            state, horizon, start=origin - start, method=resolved, simulations=simulations, seed=generator
        )
        variance[origin - first_origin : block_end - first_origin] = block
        rows.append({**state.params.to_dict(), "loglikelihood": state.loglikelihood, "converged": state.converged})

    labels = series.index[first_origin:]
    refits = pd.DataFrame(rows, index=series.index[refit_origins])
    result = RollingGarchForecast(
        variance=pd.DataFrame(variance, index=labels, columns=pd.RangeIndex(1, horizon + 1, name="horizon")),
        refits=refits,
        spec=spec,
        scheme=scheme,
        window=window,
        refit_every=refit_every,
        scale=scale,
        periods_per_year=ppy,
    )
    failed = len(result.not_converged)
    if failed:
        warnings.warn(
            f"{failed} of {len(refits)} GARCH re-fits did not converge (see .not_converged). "
            f"Fix: {convergence_advice(spec)}",
            GarchConvergenceWarning,
            stacklevel=2,
        )
    return result


def _check_window(window: Any, n: int) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
        raise ValidationError("window", window, f"pass a whole number of bars between {MIN_OBSERVATIONS} and {n}")
    if window > n:
        raise ValidationError(
            "window", window, f"pass a window of at most {n} bars (the observed returns) or use more data",
            detail="the window is longer than the data",
        )
    if window < MIN_OBSERVATIONS:
        raise ValidationError(
            "window", window, f"pass a window of at least {MIN_OBSERVATIONS} bars (500 or more are advisable)"
        )
    return int(window)
