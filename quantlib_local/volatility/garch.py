"""GARCH-family volatility models on top of ``arch``: one entry, :func:`fit_garch`.

Models (``e_t = eps_t / sigma_t`` the standardised shock, ``r_t = mu + eps_t`` or ``r_t = eps_t``):

* ``"garch"``, design eq. 14: ``sigma_t^2 = omega + alpha eps_{t-1}^2 + beta sigma_{t-1}^2``.
* ``"gjr"`` (Glosten, Jagannathan & Runkle 1993): adds ``gamma eps_{t-1}^2 1[eps_{t-1} < 0]``,
  the extra variance after a fall (leverage effect).
* ``"egarch"`` (Nelson 1991): ``log sigma_t^2 = omega + alpha (|e_{t-1}| - sqrt(2/pi))
  + gamma e_{t-1} + beta log sigma_{t-1}^2``.

Errors are ``"normal"`` or ``"t"`` (Student-t with ``nu`` degrees of freedom, unit variance).

Units. ``arch`` optimises best on returns of roughly unit variance (percent daily returns),
so :func:`fit_garch` multiplies the returns by ``scale`` (``"auto"``: a power of ten chosen
from the data, e.g. 100 for decimal daily returns) before fitting and converts everything
back: **every parameter, standard error, volatility, variance and log-likelihood that a
:class:`GarchFit` reports is in the units of the returns passed in.** ``GarchFit.scale``
records the multiplier used; with percent returns and ``scale=1`` the numbers are exactly
``arch``'s.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from quantlib_local._typing import SeedLike
from quantlib_local.risk.annualisation import resolve_periods_per_year
from quantlib_local.volatility.garch_engine import (
    GarchConvergenceWarning,
    GarchEstimate,
    convergence_advice,
    egarch_unconditional_variance,
    estimate,
)
from quantlib_local.volatility.garch_inputs import (
    BackcastRule,
    CovarianceType,
    GarchDistributionName,
    GarchMeanName,
    GarchModelName,
    GarchSpec,
    ScaleSpec,
    coerce_garch_returns,
    known_periods_per_year,
    resolve_scale,
)

if TYPE_CHECKING:
    from quantlib_local.volatility.garch_forecast import ForecastMethod, GarchForecast

logger = logging.getLogger(__name__)

__all__ = ["GarchConvergenceWarning", "GarchFit", "fit_garch"]

_MODEL_TITLES = {"garch": "GARCH(1,1)", "gjr": "GJR-GARCH(1,1,1)", "egarch": "EGARCH(1,1,1)"}


@dataclass(frozen=True)
class GarchFit:
    """A fitted GARCH-family model; every number is in the units of the returns passed in.

    Attributes
    ----------
    spec
        The specification fitted (model, distribution, mean, backcast, covariance type, ...).
    params
        Estimates: ``mu`` (constant mean only), ``omega``, ``alpha``, ``gamma`` (GJR and
        EGARCH), ``beta``, ``nu`` (Student-t).
    covariance
        Covariance matrix of ``params`` (``spec.cov_type``: robust sandwich or inverse Hessian).
    loglikelihood
        Maximised log-likelihood of the returns.
    nobs
        Number of observed returns used.
    conditional_volatility
        In-sample ``sigma_t`` per bar, indexed like the (NaN-free) returns.
    residuals
        ``eps_t = r_t - mu`` per bar.
    converged
        Whether the optimiser reported success (a :class:`GarchConvergenceWarning` was
        issued otherwise).
    optimizer_message
        The optimiser's own message.
    scale
        Multiplier applied to the returns for fitting (results are converted back).
    periods_per_year
        Bars per year used to annualise (given, or inferred from a DatetimeIndex; None if unknown).
    estimate
        The underlying estimation state (the ``arch`` result on the scaled data), used by
        :meth:`forecast`.
    """

    spec: GarchSpec
    params: pd.Series
    covariance: pd.DataFrame
    loglikelihood: float
    nobs: int
    conditional_volatility: pd.Series
    residuals: pd.Series
    converged: bool
    optimizer_message: str
    scale: float
    periods_per_year: float | None
    estimate: GarchEstimate = field(repr=False, compare=False)

    # --- inference ---------------------------------------------------------------------

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return pd.Series(np.sqrt(np.diag(self.covariance.to_numpy())), index=self.params.index, name="std_error")

    @property
    def tvalues(self) -> pd.Series:
        """``params / std_errors``."""
        return (self.params / self.std_errors).rename("t_stat")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided normal p-values of :attr:`tvalues`."""
        return pd.Series(2.0 * stats.norm.sf(np.abs(self.tvalues.to_numpy())), index=self.params.index, name="p_value")

    @property
    def parameter_table(self) -> pd.DataFrame:
        """Estimate, standard error, t-statistic and p-value per parameter."""
        return pd.DataFrame(
            {"estimate": self.params, "std_error": self.std_errors, "t_stat": self.tvalues, "p_value": self.pvalues}
        )

    @property
    def num_params(self) -> int:
        """Number of estimated parameters."""
        return len(self.params)

    @property
    def aic(self) -> float:
        """Akaike information criterion ``-2 loglik + 2 k``."""
        return -2.0 * self.loglikelihood + 2.0 * self.num_params

    @property
    def bic(self) -> float:
        """Bayesian information criterion ``-2 loglik + k log(n)``."""
        return -2.0 * self.loglikelihood + self.num_params * math.log(self.nobs)

    # --- dynamics ----------------------------------------------------------------------

    @property
    def persistence(self) -> float:
        """How much of a variance shock survives one bar.

        ``alpha + beta`` (GARCH); ``alpha + gamma / 2 + beta`` (GJR: a shock is negative
        half the time under the symmetric normal and t); ``beta`` (EGARCH, in log variance).
        Below 1 the process is covariance stationary.
        """
        p = self.params
        if self.spec.model == "garch":
            return float(p["alpha"] + p["beta"])
        if self.spec.model == "gjr":
            return float(p["alpha"] + 0.5 * p["gamma"] + p["beta"])
        return float(p["beta"])

    @property
    def half_life(self) -> float:
        """Bars for a variance shock to decay by half, ``log(0.5) / log(persistence)``; inf if not stationary."""
        persistence = abs(self.persistence)
        if persistence >= 1.0:
            return math.inf
        if persistence == 0.0:
            return 0.0
        return math.log(0.5) / math.log(persistence)

    @property
    def unconditional_variance(self) -> float:
        """Long-run per-bar variance ``E[sigma_t^2]``; inf when it does not exist.

        GARCH and GJR: ``omega / (1 - persistence)``. EGARCH with normal shocks: Nelson's
        (1991) product ``exp(omega / (1 - beta)) prod_i E[exp(beta^i g(z))]`` with
        ``g(z) = alpha (|z| - sqrt(2/pi)) + gamma z``. EGARCH with Student-t shocks: inf,
        because ``E[exp(c |z|)]`` diverges for any Student-t.
        """
        p = self.params
        if self.spec.model != "egarch":
            persistence = self.persistence
            return float(p["omega"] / (1.0 - persistence)) if persistence < 1.0 else math.inf
        return egarch_unconditional_variance(
            float(p["omega"]), float(p["alpha"]), float(p["gamma"]), float(p["beta"]), self.spec.distribution
        )

    @property
    def unconditional_volatility(self) -> float:
        """``sqrt(unconditional_variance)``, per bar."""
        return math.sqrt(self.unconditional_variance)

    @property
    def standardised_residuals(self) -> pd.Series:
        """``eps_t / sigma_t``: approximately i.i.d. with unit variance when the model fits."""
        return (self.residuals / self.conditional_volatility).rename("standardised_residual")

    def annualised_volatility(self, periods_per_year: float | None = None) -> pd.Series:
        """Conditional volatility annualised: ``sigma_t * sqrt(periods_per_year)``.

        Parameters
        ----------
        periods_per_year
            Bars per year; defaults to :attr:`periods_per_year` (see
            :func:`quantlib_local.risk.periods_per_year`).
        """
        if periods_per_year is None and self.periods_per_year is not None:
            ppy = self.periods_per_year
        else:
            ppy = resolve_periods_per_year(periods_per_year, self.conditional_volatility.index)
        return (self.conditional_volatility * math.sqrt(ppy)).rename("annualised_volatility")

    # --- forecasts ---------------------------------------------------------------------

    def forecast(
        self,
        horizon: int,
        *,
        method: ForecastMethod = "auto",
        simulations: int = 1000,
        quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95),
        seed: SeedLike = None,
        periods_per_year: float | None = None,
    ) -> GarchForecast:
        """Variance forecasts for 1..``horizon`` bars after the last observation.

        See :func:`quantlib_local.volatility.garch_forecast.forecast_garch` for the parameters.
        """
        from quantlib_local.volatility.garch_forecast import forecast_garch

        return forecast_garch(
            self, horizon, method=method, simulations=simulations, quantiles=quantiles, seed=seed,
            periods_per_year=periods_per_year,
        )

    # --- report ------------------------------------------------------------------------

    def summary(self) -> str:
        """A plain-text report: specification, fit statistics, parameter table, dynamics."""
        spec = self.spec
        mean = "constant mean" if spec.mean == "constant" else "zero mean"
        errors = "normal errors" if spec.distribution == "normal" else "Student-t errors"
        backcast = spec.backcast if isinstance(spec.backcast, str) else f"{spec.backcast:.6g}"
        lines = [
            f"{_MODEL_TITLES[spec.model]}, {mean}, {errors}",
            f"observations {self.nobs}   log-likelihood {self.loglikelihood:.4f}   "
            f"AIC {self.aic:.4f}   BIC {self.bic:.4f}",
            f"converged: {'yes' if self.converged else 'NO'} ({self.optimizer_message})",
            f"fitted on returns x {self.scale:g}; every value below is in the returns' own units",
            f"covariance: {spec.cov_type}   backcast: {backcast}",
            "",
            self.parameter_table.to_string(float_format=lambda v: f"{v: .6g}"),
            "",
            f"persistence {self.persistence:.6g}   half-life {self.half_life:.4g} bars",
            f"unconditional volatility {self.unconditional_volatility:.6g} per bar",
        ]
        if self.periods_per_year is not None:
            annual = self.unconditional_volatility * math.sqrt(self.periods_per_year)
            lines[-1] += f" ({annual:.6g} annualised at {self.periods_per_year:g} bars a year)"
        if not self.converged:
            lines.append(f"WARNING: the optimiser did not converge. Fix: {convergence_advice(spec)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def fit_garch(
    returns: pd.Series,
    model: GarchModelName = "garch",
    distribution: GarchDistributionName = "normal",
    mean: GarchMeanName = "constant",
    *,
    scale: ScaleSpec = "auto",
    backcast: BackcastRule | float = "ewma",
    cov_type: CovarianceType = "robust",
    periods_per_year: float | None = None,
    max_iterations: int = 500,
    tol: float | None = None,
) -> GarchFit:
    """Fit a GARCH(1,1), GJR-GARCH or EGARCH model to one asset's returns by maximum likelihood.

    Parameters
    ----------
    returns
        One asset's returns (simple decimal returns by house convention; any units work,
        and every result comes back in them). NaN bars are dropped.
    model
        ``"garch"`` (design eq. 14), ``"gjr"`` or ``"egarch"``.
    distribution
        ``"normal"`` or ``"t"``.
    mean
        ``"constant"`` (estimate ``mu``) or ``"zero"``.
    scale
        ``"auto"`` (a power of ten putting the variance in about [1, 100)) or the multiplier
        to apply, e.g. 100 for decimal returns, 1 for returns already in percent.
    backcast
        How the variance recursion starts: ``"ewma"`` (``arch``'s default), ``"sample"``
        (mean squared residual, the convention of rugarch/fGarch and of the published
        Fiorentini-Calzolari-Panattoni benchmark) or a pre-sample variance in the returns' units.
    cov_type
        ``"robust"`` (Bollerslev-Wooldridge, default) or ``"classic"`` (inverse Hessian).
    periods_per_year
        Bars per year for the annualised outputs; inferred from a DatetimeIndex when None.
    max_iterations
        Iteration limit of the optimiser.
    tol
        Optimiser tolerance (None: SciPy's default).

    Returns
    -------
    GarchFit
        Parameters with standard errors, likelihood and information criteria, conditional
        volatility, persistence, half-life, unconditional variance, :meth:`GarchFit.forecast`.

    Raises
    ------
    ValidationError
        For bad returns (empty, NaN-only, shorter than 100 observations, constant,
        non-numeric) or an unknown model, distribution, mean, scale, backcast or cov_type.

    Warns
    -----
    GarchConvergenceWarning
        When the optimiser does not report success; the message says what to try.

    Examples
    --------
    >>> from quantlib_local.data import load_bundled
    >>> close = load_bundled("sp500")["close"]
    >>> fit = fit_garch(close.pct_change().dropna(), model="gjr", distribution="t")
    >>> fit.params.index.tolist()
    ['mu', 'omega', 'alpha', 'gamma', 'beta', 'nu']
    """
    spec = GarchSpec.checked(
        model=model, distribution=distribution, mean=mean, scale=scale, backcast=backcast,
        cov_type=cov_type, max_iterations=max_iterations, tol=tol,
    )
    fit = fit_garch_spec(returns, spec, periods_per_year=periods_per_year)
    if not fit.converged:
        warnings.warn(
            f"GARCH fit did not converge ({fit.optimizer_message}). Fix: {convergence_advice(spec)}",
            GarchConvergenceWarning,
            stacklevel=2,
        )
    return fit


def fit_garch_spec(returns: Any, spec: GarchSpec, *, periods_per_year: float | None = None, field: str = "returns") -> GarchFit:
    """Fit a checked :class:`GarchSpec` (no warning; callers decide how to report non-convergence)."""
    series = coerce_garch_returns(returns, field)
    ppy = known_periods_per_year(periods_per_year, series.index)
    values = series.to_numpy()
    scale = resolve_scale(spec, values)
    state = estimate(values * scale, spec, scale)
    logger.debug("fitted %s to %d bars (scale %g): %s", spec.model, state.nobs, scale, state.params.to_dict())
    return GarchFit(
        spec=spec,
        params=state.params,
        covariance=state.covariance,
        loglikelihood=state.loglikelihood,
        nobs=state.nobs,
        conditional_volatility=pd.Series(state.conditional_volatility, index=series.index, name="conditional_volatility"),
        residuals=pd.Series(state.residuals, index=series.index, name="residual"),
        converged=state.converged,
        optimizer_message=state.message,
        scale=scale,
        periods_per_year=ppy,
        estimate=state,
    )
