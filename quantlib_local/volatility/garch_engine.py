"""The estimation core shared by every GARCH entry point: ``arch`` in, caller's units out.

Why a layer between ``arch`` and the public results:

* **Units.** ``arch`` is fitted to ``scale * returns`` (see
  :mod:`~quantlib_local.volatility.garch_inputs`); :class:`GarchEstimate` converts back.
  With ``y = r * s``: ``mu = mu_s / s``; for GARCH and GJR ``omega = omega_s / s**2``;
  for EGARCH, whose recursion is in ``log sigma^2``, ``omega = omega_s - 2 log(s) (1 - beta)``;
  ``alpha``, ``gamma``, ``beta`` and ``nu`` are scale-free. The covariance follows by the
  delta method (``J C J'``, ``J`` the Jacobian of that map, exact because the map is affine)
  and the log-likelihood of the returns is ``loglik_s + n log(s)``.
* **Names.** ``arch``'s ``alpha[1]``, ``gamma[1]``, ``beta[1]`` become ``alpha``, ``gamma``,
  ``beta`` (design eq. 14: ``sigma_t^2 = omega + alpha eps_{t-1}^2 + beta sigma_{t-1}^2``).
* **Reproducible bits.** A fit pins BLAS to one thread (:func:`single_threaded_blas`).
  The optimiser's few-parameter linear algebra gains nothing from threads, and the rounding
  of a multi-threaded BLAS depends on its thread count, which Dask workers set to 1; on a
  short, flat likelihood that rounding can move the optimum. Pinned, a fit gives the same
  bits in this process, in the threads of ``fit_garch_many`` or in a worker process.
* **The sample backcast with a constant mean.** ``arch`` holds the pre-sample variance fixed
  during the optimisation. The convention of Fiorentini, Calzolari & Panattoni (1996), and
  of rugarch and fGarch, starts the recursion at the mean squared residual, which moves with
  ``mu``. To honour it exactly, ``mu`` is concentrated out: for each trial ``mu`` a zero-mean
  model is fitted to ``y - mu`` with backcast ``mean((y - mu)^2)`` and a bounded Brent search
  maximises that profile log-likelihood. The covariance is the numerical Hessian (and, for
  ``"robust"``, the score outer product) of that same likelihood, built from ``arch``'s own
  variance recursion and distribution objects.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from arch import arch_model
from arch.univariate.base import ARCHModelResult
from scipy import stats
from scipy.optimize import minimize_scalar
from statsmodels.tools.numdiff import approx_fprime, approx_hess

from quantlib_local.volatility.garch_inputs import GarchSpec

try:  # a dependency of scikit-learn; without it fits run unpinned (same numbers, maybe not the same bits)
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None

logger = logging.getLogger(__name__)

_ARCH_NAMES = {"mu": "mu", "omega": "omega", "alpha[1]": "alpha", "gamma[1]": "gamma", "beta[1]": "beta", "nu": "nu"}
_PROFILE_TOL = 1e-10
"""Inner optimiser tolerance of the profile search (the profile must be smooth for Brent)."""


@dataclass(frozen=True)
class GarchEstimate:
    """One estimation, in the caller's units, plus the ``arch`` result it came from.

    Attributes
    ----------
    spec
        What was fitted.
    scale
        Multiplier applied to the returns before fitting.
    arch_result
        ``arch`` result on the scaled data (for the constant mean with sample backcast: a
        zero-mean model of the scaled returns minus ``mean_offset``).
    mean_offset
        Scaled mean removed before fitting (non-zero only in the sample-backcast profile case).
    params
        Estimates in the caller's units, named ``mu, omega, alpha, [gamma,] beta, [nu]``.
    covariance
        Covariance of ``params`` in the caller's units.
    loglikelihood
        Log-likelihood of the returns in the caller's units.
    nobs
        Observations used in the estimation.
    converged
        Whether the optimiser reported success.
    message
        The optimiser's message.
    """

    spec: GarchSpec
    scale: float
    arch_result: ARCHModelResult
    mean_offset: float
    params: pd.Series
    covariance: pd.DataFrame
    loglikelihood: float
    nobs: int
    converged: bool
    message: str

    @property
    def conditional_volatility(self) -> np.ndarray:
        """``sigma_t`` in the caller's units over the model's data (NaN outside the fit sample)."""
        return np.asarray(self.arch_result.conditional_volatility, dtype=np.float64) / self.scale

    @property
    def residuals(self) -> np.ndarray:
        """``eps_t = r_t - mu`` in the caller's units (NaN outside the fit sample)."""
        return np.asarray(self.arch_result.resid, dtype=np.float64) / self.scale


_blas_lock = threading.Lock()
_blas_state: dict[str, Any] = {"controller": None, "limiter": None, "depth": 0}


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Pin BLAS to one thread while GARCH fits run in this process (re-entrant, thread-safe).

    The limit is set and restored from the main thread only: OpenBLAS's pthreads pool is
    process-wide, and a limit set from another thread does not reliably take. Fits running
    in other threads are pinned while a main-thread caller (e.g. ``fit_garch_many`` with the
    ``"threads"`` scheduler) holds this context; Dask worker processes already run their
    BLAS on one thread (``OMP_NUM_THREADS=1``).
    """
    if ThreadpoolController is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    with _blas_lock:
        if _blas_state["depth"] == 0:
            if _blas_state["controller"] is None:
                _blas_state["controller"] = ThreadpoolController()
            _blas_state["limiter"] = _blas_state["controller"].limit(limits=1, user_api="blas")
        _blas_state["depth"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_state["depth"] -= 1
            if _blas_state["depth"] == 0:
                _blas_state["limiter"].restore_original_limits()
                _blas_state["limiter"] = None


def build_arch_model(y_scaled: np.ndarray, spec: GarchSpec, *, zero_mean: bool = False) -> Any:
    """The ``arch`` model of ``spec`` on already-scaled data (``arch`` never rescales)."""
    vol = "EGARCH" if spec.model == "egarch" else "GARCH"
    o = 0 if spec.model == "garch" else 1
    mean = "Zero" if (zero_mean or spec.mean == "zero") else "Constant"
    dist = "normal" if spec.distribution == "normal" else "t"
    return arch_model(y_scaled, mean=mean, vol=vol, p=1, o=o, q=1, dist=dist, rescale=False)


def estimate(y_scaled: np.ndarray, spec: GarchSpec, scale: float, *, last_obs: int | None = None) -> GarchEstimate:
    """Fit ``spec`` to ``y_scaled[:last_obs]``; the model keeps all of ``y_scaled`` for filtering.

    Parameters
    ----------
    y_scaled
        Returns already multiplied by ``scale`` (1-D, no NaN).
    spec
        Checked specification.
    scale
        The multiplier used (to convert results back).
    last_obs
        Estimate on the first ``last_obs`` values only (None: all). Values after it are
        used by forecasts only, each forecast origin seeing data up to itself.
    """
    with single_threaded_blas():
        return _estimate(np.ascontiguousarray(y_scaled, dtype=np.float64), spec, scale, last_obs)


def _estimate(y_scaled: np.ndarray, spec: GarchSpec, scale: float, last_obs: int | None) -> GarchEstimate:
    end = len(y_scaled) if last_obs is None else int(last_obs)
    if spec.backcast == "sample" and spec.mean == "constant":
        return _estimate_profiled_mean(y_scaled, spec, scale, end)
    if spec.backcast == "sample":
        backcast: float | None = float(np.mean(y_scaled[:end] ** 2))
    elif spec.backcast == "ewma":
        backcast = None
    else:
        backcast = float(spec.backcast) * scale**2
    model = build_arch_model(y_scaled, spec)
    result = _fit(model, spec, backcast, end, spec.tol)
    params = _rename(result.params)
    covariance = _covariance_or_nan(lambda: result.param_cov.to_numpy(), len(params))
    return _to_user_units(spec, scale, result, 0.0, params, covariance, float(result.loglikelihood), end,
                          result.convergence_flag == 0, str(result.optimization_result.message))


def _fit(model: Any, spec: GarchSpec, backcast: float | None, end: int, tol: float | None) -> ARCHModelResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # trial points outside the admissible region
        return model.fit(
            disp="off",
            backcast=backcast,
            last_obs=end,
            cov_type=spec.cov_type,
            tol=tol,
            options={"maxiter": spec.max_iterations},
            show_warning=False,
        )


def _estimate_profiled_mean(y_scaled: np.ndarray, spec: GarchSpec, scale: float, end: int) -> GarchEstimate:
    """Constant mean with the sample backcast: concentrate ``mu`` out (see the module notes)."""
    sample = y_scaled[:end]
    tol = min(spec.tol, _PROFILE_TOL) if spec.tol is not None else _PROFILE_TOL
    fits: dict[float, ARCHModelResult] = {}

    def inner(mu: float) -> ARCHModelResult:
        if mu not in fits:
            model = build_arch_model(y_scaled - mu, spec, zero_mean=True)
            fits[mu] = _fit(model, spec, float(np.mean((sample - mu) ** 2)), end, tol)
        return fits[mu]

    # Centre the search on the fixed-backcast estimate; the sample mean's standard error sets its width.
    start = _fit(build_arch_model(y_scaled, spec), spec, float(np.var(sample)), end, tol)
    centre = float(start.params["mu"])
    step = float(np.std(sample) / math.sqrt(len(sample)))
    converged, message = False, "profile search did not run"
    for width in (5.0, 25.0):
        bounds = (centre - width * step, centre + width * step)
        search = minimize_scalar(
            lambda mu: -inner(float(mu)).loglikelihood,
            bounds=bounds,
            method="bounded",
            options={"xatol": step * 1e-6, "maxiter": 200},
        )
        mu_hat = float(search.x)
        at_edge = min(mu_hat - bounds[0], bounds[1] - mu_hat) < 1e-3 * (bounds[1] - bounds[0])
        converged, message = bool(search.success) and not at_edge, str(search.message)
        if not at_edge:
            break
        message = f"profile maximum at the edge of mu in {bounds}"
    result = inner(mu_hat)
    converged = converged and result.convergence_flag == 0
    if result.convergence_flag != 0:
        message = str(result.optimization_result.message)
    names = spec.parameter_names
    params = pd.Series(np.r_[mu_hat, result.params.to_numpy()], index=names, dtype=np.float64)
    covariance = _covariance_or_nan(lambda: _profile_covariance(result, sample, params.to_numpy(), spec), len(names))
    return _to_user_units(spec, scale, result, mu_hat, params, covariance, float(result.loglikelihood), end,
                          converged, message)


def _profile_covariance(result: ARCHModelResult, sample: np.ndarray, theta: np.ndarray, spec: GarchSpec) -> np.ndarray:
    """Covariance of ``(mu, variance params, distribution params)`` under the moving sample backcast."""
    volatility = result.model.volatility
    distribution = result.model.distribution
    n_vol = volatility.num_params
    var_bounds = volatility.variance_bounds(sample - theta[0])

    def negative_loglik(params: np.ndarray, individual: bool = False) -> Any:
        resid = sample - params[0]
        backcast = volatility.backcast_transform(float(np.mean(resid**2)))
        sigma2 = np.zeros_like(resid)
        volatility.compute_variance(params[1 : 1 + n_vol], resid, sigma2, backcast, var_bounds)
        return -distribution.loglikelihood(params[1 + n_vol :], resid, sigma2, individual)

    nobs = sample.shape[0]
    inv_hess = np.linalg.inv(approx_hess(theta, negative_loglik) / nobs)
    if spec.cov_type == "classic":
        return inv_hess / nobs
    scores = approx_fprime(theta, negative_loglik, kwargs={"individual": True})
    return inv_hess @ np.cov(scores.T) @ inv_hess / nobs


def _covariance_or_nan(compute: Any, k: int) -> np.ndarray:
    """The covariance, or NaN when the Hessian is singular (reported, not raised)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cov = np.asarray(compute(), dtype=np.float64)
    except (np.linalg.LinAlgError, ValueError) as exc:
        logger.warning("GARCH parameter covariance unavailable (%s); standard errors are NaN", exc)
        return np.full((k, k), np.nan)
    return cov


def _rename(params: pd.Series) -> pd.Series:
    return pd.Series(params.to_numpy(dtype=np.float64), index=[_ARCH_NAMES[n] for n in params.index], dtype=np.float64)


def _to_user_units(
    spec: GarchSpec,
    scale: float,
    result: ARCHModelResult,
    mean_offset: float,
    params_scaled: pd.Series,
    cov_scaled: np.ndarray,
    loglik_scaled: float,
    nobs: int,
    converged: bool,
    message: str,
) -> GarchEstimate:
    names = list(params_scaled.index)
    values = params_scaled.to_numpy(dtype=np.float64).copy()
    jacobian = np.eye(len(names))
    position = {name: i for i, name in enumerate(names)}
    if "mu" in position:
        values[position["mu"]] /= scale
        jacobian[position["mu"], position["mu"]] = 1.0 / scale
    i_omega, i_beta = position["omega"], position["beta"]
    if spec.model == "egarch":
        log_s2 = 2.0 * math.log(scale)
        values[i_omega] -= log_s2 * (1.0 - values[i_beta])
        jacobian[i_omega, i_beta] = log_s2
    else:
        values[i_omega] /= scale**2
        jacobian[i_omega, i_omega] = 1.0 / scale**2
    covariance = jacobian @ cov_scaled @ jacobian.T
    return GarchEstimate(
        spec=spec,
        scale=scale,
        arch_result=result,
        mean_offset=mean_offset,
        params=pd.Series(values, index=names, name="params", dtype=np.float64),
        covariance=pd.DataFrame(covariance, index=names, columns=names),
        loglikelihood=loglik_scaled + nobs * math.log(scale),
        nobs=nobs,
        converged=bool(converged),
        message=message,
    )


class GarchConvergenceWarning(UserWarning):
    """A GARCH optimiser stopped without reporting success; its estimates may be wrong."""


def convergence_advice(spec: GarchSpec) -> str:
    """What to try when a fit of ``spec`` does not converge (used in warnings and reports)."""
    return (
        "check the estimates before using them; try scale='auto' (arch needs returns of roughly unit "
        f"variance), raise max_iterations (now {spec.max_iterations}), a simpler model "
        "(model='garch', distribution='normal'), or a longer sample"
    )


_EXPECTED_ABS_NORMAL = math.sqrt(2.0 / math.pi)


def egarch_unconditional_variance(omega: float, alpha: float, gamma: float, beta: float, distribution: str) -> float:
    """``E[sigma^2]`` of a stationary EGARCH(1,1,1) (Nelson 1991, theorem 2.1), inf if it does not exist."""
    if abs(beta) >= 1.0:
        return math.inf
    if distribution != "normal" and (alpha != 0.0 or gamma != 0.0):
        return math.inf
    log_level = omega / (1.0 - beta)
    weight = 1.0
    for _ in range(100_000):
        a, c = weight * alpha, weight * gamma
        # E[exp(a|z| + c z)] for z ~ N(0, 1), times exp(-a sqrt(2/pi)); in logs for stability.
        term = np.logaddexp(
            0.5 * (a + c) ** 2 + stats.norm.logcdf(a + c), 0.5 * (a - c) ** 2 + stats.norm.logcdf(a - c)
        )
        log_level += float(term) - a * _EXPECTED_ABS_NORMAL
        weight *= beta
        if abs(weight) < 1e-14:
            break
    return math.exp(log_level)
