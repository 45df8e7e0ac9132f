"""Checked inputs of the GARCH family: model specification, returns and their rescaling.

Every public GARCH entry point (:func:`~quantlib_local.volatility.garch.fit_garch`, the
forecasts, :func:`~quantlib_local.volatility.garch_many.fit_garch_many`) turns its
arguments into a :class:`GarchSpec` and a returns Series here, so that every bad input is
rejected with the same :class:`~quantlib_local.exceptions.ValidationError` (field, value,
fix) before any optimiser runs.

Rescaling. ``arch`` optimises best when the returns have a variance between about 1 and
1,000 (percent-scale daily returns); decimal daily returns (variance ~1e-4) make the
optimiser stop early or wander. :func:`choose_scale` picks a power of ten that puts the
variance in ``[1, 100)``; the fit runs on ``scale * returns`` and every number a result
reports is converted back to the caller's units (see
:mod:`quantlib_local.volatility.garch_engine`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from numbers import Real
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._validation import coerce_returns, describe
from quantlib_local.risk.annualisation import periods_per_year as infer_periods_per_year
from quantlib_local.risk.annualisation import resolve_periods_per_year

logger = logging.getLogger(__name__)

GarchModelName: TypeAlias = Literal["garch", "gjr", "egarch"]
"""``"garch"``: GARCH(1,1), design eq. 14; ``"gjr"``: GJR-GARCH(1,1,1) with a leverage term
``gamma eps_{t-1}^2 1[eps_{t-1} < 0]``; ``"egarch"``: Nelson's EGARCH(1,1,1) on the log variance."""

GarchDistributionName: TypeAlias = Literal["normal", "t"]
"""Distribution of the standardised shocks: ``"normal"`` or ``"t"`` (Student-t, unit variance)."""

GarchMeanName: TypeAlias = Literal["constant", "zero"]
"""``"constant"``: ``r_t = mu + eps_t``; ``"zero"``: ``r_t = eps_t``."""

CovarianceType: TypeAlias = Literal["robust", "classic"]
"""``"robust"``: Bollerslev-Wooldridge sandwich covariance; ``"classic"``: inverse Hessian."""

BackcastRule: TypeAlias = Literal["ewma", "sample"]
"""How the variance recursion starts (the pre-sample ``eps_0^2`` and ``sigma_0^2``).

``"ewma"``: exponentially weighted mean of the first 75 squared residuals, weights 0.94^i
(``arch``'s default). ``"sample"``: the mean squared residual of the whole estimation sample,
recomputed at the estimated mean: the convention of Fiorentini, Calzolari & Panattoni
(1996), rugarch and fGarch, needed to reproduce their published estimates."""

ScaleSpec: TypeAlias = float | Literal["auto"]
"""``"auto"`` or a positive multiplier applied to the returns before fitting."""

GARCH_MODELS: tuple[str, ...] = get_args(GarchModelName)
GARCH_DISTRIBUTIONS: tuple[str, ...] = get_args(GarchDistributionName)
GARCH_MEANS: tuple[str, ...] = get_args(GarchMeanName)
COVARIANCE_TYPES: tuple[str, ...] = get_args(CovarianceType)
BACKCAST_RULES: tuple[str, ...] = get_args(BackcastRule)

MIN_OBSERVATIONS = 100
"""Fewest observed returns a GARCH fit accepts. Below this the three or four variance
parameters are not identified in practice; 500 or more bars are advisable."""


@dataclass(frozen=True)
class GarchSpec:
    """A checked GARCH specification (what to fit, not the data).

    Attributes
    ----------
    model
        One of :data:`GARCH_MODELS`.
    distribution
        One of :data:`GARCH_DISTRIBUTIONS`.
    mean
        One of :data:`GARCH_MEANS`.
    scale
        ``"auto"`` or the positive multiplier applied to the returns before fitting.
    backcast
        ``"ewma"``, ``"sample"`` or an explicit pre-sample variance in the caller's units.
    cov_type
        One of :data:`COVARIANCE_TYPES`.
    max_iterations
        Iteration limit of the SLSQP optimiser.
    tol
        Optimiser tolerance, or None for SciPy's default.
    """

    model: GarchModelName = "garch"
    distribution: GarchDistributionName = "normal"
    mean: GarchMeanName = "constant"
    scale: ScaleSpec = "auto"
    backcast: BackcastRule | float = "ewma"
    cov_type: CovarianceType = "robust"
    max_iterations: int = 500
    tol: float | None = None

    @classmethod
    def checked(
        cls,
        *,
        model: Any = "garch",
        distribution: Any = "normal",
        mean: Any = "constant",
        scale: Any = "auto",
        backcast: Any = "ewma",
        cov_type: Any = "robust",
        max_iterations: Any = 500,
        tol: Any = None,
    ) -> GarchSpec:
        """Build a spec, raising :class:`ValidationError` for any bad argument."""
        return cls(
            model=check_choice(model, "model", GARCH_MODELS),
            distribution=check_choice(distribution, "distribution", GARCH_DISTRIBUTIONS),
            mean=check_choice(mean, "mean", GARCH_MEANS),
            scale=check_scale(scale),
            backcast=check_backcast(backcast),
            cov_type=check_choice(cov_type, "cov_type", COVARIANCE_TYPES),
            max_iterations=check_positive_int(max_iterations, "max_iterations", "e.g. 500"),
            tol=None if tol is None else check_positive_real(tol, "tol", "e.g. 1e-8, or None for the default"),
        )

    @property
    def parameter_names(self) -> list[str]:
        """Names of the parameters, in the order results report them."""
        names = ["mu"] if self.mean == "constant" else []
        names += ["omega", "alpha"]
        if self.model in ("gjr", "egarch"):
            names.append("gamma")
        names.append("beta")
        if self.distribution == "t":
            names.append("nu")
        return names


def check_choice(value: Any, field: str, valid: tuple[str, ...]) -> Any:
    """Return ``value`` if it is one of ``valid``; otherwise raise naming the valid choices."""
    if not isinstance(value, str) or value not in valid:
        raise ValidationError(field, value, f"choose one of {list(valid)}")
    return value


def check_positive_int(value: Any, field: str, example: str) -> int:
    """Return ``value`` as an int >= 1, or raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValidationError(field, value, f"pass a positive whole number, {example}")
    return int(value)


def check_positive_real(value: Any, field: str, example: str) -> float:
    """Return ``value`` as a finite float > 0, or raise."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)) or value <= 0:
        raise ValidationError(field, value, f"pass a positive finite number, {example}")
    return float(value)


def check_scale(value: Any) -> ScaleSpec:
    """``"auto"`` or a positive finite multiplier."""
    if isinstance(value, str) and value == "auto":
        return "auto"
    if isinstance(value, str):
        raise ValidationError("scale", value, "pass 'auto' or a positive number such as 100 (decimal to percent)")
    return check_positive_real(value, "scale", "e.g. 100 to fit decimal returns in percent, or 'auto'")


def check_backcast(value: Any) -> BackcastRule | float:
    """``"ewma"``, ``"sample"`` or a positive pre-sample variance."""
    if isinstance(value, str):
        return check_choice(value, "backcast", BACKCAST_RULES)
    return check_positive_real(value, "backcast", f"a pre-sample variance in the returns' units, or one of {list(BACKCAST_RULES)}")


def check_horizon(value: Any) -> int:
    """A forecast horizon: a whole number of bars >= 1."""
    return check_positive_int(value, "horizon", "e.g. horizon=10 for ten bars ahead")


def coerce_garch_returns(returns: Any, field: str = "returns") -> pd.Series:
    """Check one asset's returns and return them as a float Series without NaN.

    Parameters
    ----------
    returns
        A pandas Series (or 1-D NumPy array) of returns. NaN marks a missing bar and is
        dropped (the recursion then runs over the observed bars only).
    field
        Name used in error messages.

    Raises
    ------
    ValidationError
        For anything that is not one series of finite numbers; an empty or NaN-only
        series; fewer than :data:`MIN_OBSERVATIONS` observed values; a series with no
        variation; an unsorted or duplicated DatetimeIndex.
    """
    if isinstance(returns, pd.DataFrame):
        raise ValidationError(
            field, describe(returns), "pass one asset as a Series, or use fit_garch_many for a frame of assets"
        )
    if isinstance(returns, np.ndarray) and returns.ndim != 1:
        raise ValidationError(field, describe(returns), "pass a 1-D array or a pandas Series of returns")
    if not isinstance(returns, (pd.Series, np.ndarray)):
        raise ValidationError(field, describe(returns), "pass a pandas Series of returns (one asset)")
    block = coerce_returns(returns, field)
    series = block.shape_like_input(block.values)
    observed = series.dropna()
    dropped = len(series) - len(observed)
    if dropped:
        logger.info("%s: dropped %d NaN bars (missing observations) before fitting", field, dropped)
    if len(observed) < MIN_OBSERVATIONS:
        raise ValidationError(
            field,
            f"{len(observed)} observed returns",
            f"pass at least {MIN_OBSERVATIONS} observed returns (500 or more are advisable)",
            detail="too short to estimate a GARCH model",
        )
    if not float(np.ptp(observed.to_numpy())) > 0.0:
        raise ValidationError(field, f"constant {observed.iloc[0]!r}", "pass returns that vary; a constant series has no volatility to model")
    return observed.astype(np.float64)


def choose_scale(values: np.ndarray) -> float:
    """The power of ten that puts the variance of ``scale * values`` in about ``[1, 100)``.

    Parameters
    ----------
    values
        Observed returns (no NaN).

    Returns
    -------
    float
        For example 100.0 for decimal daily returns (variance ~1e-4), 1.0 for percent returns.
    """
    variance = float(np.mean((values - values.mean()) ** 2))
    if not variance > 0.0:
        return 1.0
    # the smallest power of ten with variance * scale**2 >= 1; the result is then below ~100
    exponent = math.ceil(-math.log10(variance) / 2.0)
    return float(10.0**exponent)


def resolve_scale(spec: GarchSpec, values: np.ndarray) -> float:
    """The multiplier the fit will use: ``spec.scale`` or :func:`choose_scale` of ``values``."""
    return choose_scale(values) if spec.scale == "auto" else float(spec.scale)


def known_periods_per_year(given: float | None, index: pd.Index) -> float | None:
    """An explicit ``periods_per_year``, the one a DatetimeIndex implies, or None."""
    if given is not None:
        return resolve_periods_per_year(given, index)
    if not isinstance(index, pd.DatetimeIndex):
        return None
    try:
        return infer_periods_per_year(index)
    except ValidationError as exc:
        logger.info("periods_per_year not inferred from the index (%s); pass it to annualise", exc)
        return None
