"""Fit one GARCH specification to many assets in parallel through Dask.

Each column of a wide returns frame is fitted independently (the same code path as
:func:`~quantlib_local.volatility.garch.fit_garch`, with BLAS pinned to one thread as in a
Dask worker), so a parallel run gives exactly the serial numbers, bit for bit. An asset whose fit raises is recorded in ``errors`` and an asset whose
optimiser does not converge is kept but listed in ``not_converged``: neither stops the
others.

Where the work runs (``scheduler``): see :mod:`quantlib_local._parallel`; the default None
starts a ``distributed.LocalCluster`` sized to the machine and closes it afterwards, and
``"serial"`` is the plain loop the parallel results are checked against.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from quantlib_local._parallel import check_scheduler, run_tasks
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._validation import describe
from quantlib_local.volatility.garch import GarchFit, fit_garch_spec
from quantlib_local.volatility.garch_engine import GarchConvergenceWarning, convergence_advice, single_threaded_blas
from quantlib_local.volatility.garch_inputs import (
    BackcastRule,
    CovarianceType,
    GarchDistributionName,
    GarchMeanName,
    GarchModelName,
    GarchSpec,
    ScaleSpec,
    check_positive_int,
)

logger = logging.getLogger(__name__)



@dataclass(frozen=True, eq=False)
class GarchFitCollection(Mapping[Hashable, GarchFit]):
    """GARCH fits of many assets: a read-only mapping asset -> :class:`GarchFit`.

    Attributes
    ----------
    fits
        The fits that ran, by asset (including those that did not converge).
    errors
        Assets whose fit raised, with the error (``"ValidationError: ..."``).
    spec
        The specification fitted to every asset.
    """

    fits: dict[Hashable, GarchFit]
    errors: dict[Hashable, str]
    spec: GarchSpec

    def __getitem__(self, asset: Hashable) -> GarchFit:
        if asset not in self.fits:
            reason = f" (its fit failed: {self.errors[asset]})" if asset in self.errors else ""
            raise KeyError(f"no GARCH fit for {asset!r}{reason}")
        return self.fits[asset]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.fits)

    def __len__(self) -> int:
        return len(self.fits)

    @property
    def not_converged(self) -> list[Hashable]:
        """Assets whose optimiser did not report success."""
        return [asset for asset, fit in self.fits.items() if not fit.converged]

    def params_table(self) -> pd.DataFrame:
        """One row per fitted asset: parameters, fit statistics and dynamics.

        Columns: the parameters (``mu``, ``omega``, ``alpha``, ...), ``loglikelihood``,
        ``aic``, ``bic``, ``persistence``, ``half_life``, ``unconditional_volatility``,
        ``nobs``, ``converged``; each asset in its own returns' units.
        """
        rows = {
            asset: {
                **fit.params.to_dict(),
                "loglikelihood": fit.loglikelihood,
                "aic": fit.aic,
                "bic": fit.bic,
                "persistence": fit.persistence,
                "half_life": fit.half_life,
                "unconditional_volatility": fit.unconditional_volatility,
                "nobs": fit.nobs,
                "converged": fit.converged,
            }
            for asset, fit in self.fits.items()
        }
        columns = self.spec.parameter_names + [
            "loglikelihood", "aic", "bic", "persistence", "half_life", "unconditional_volatility", "nobs", "converged",
        ]
        table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
        table.index.name = "asset"
        return table

    def std_errors_table(self) -> pd.DataFrame:
        """One row per fitted asset: the standard error of each parameter."""
        table = pd.DataFrame({asset: fit.std_errors for asset, fit in self.fits.items()}).T
        table.index.name = "asset"
        return table.reindex(columns=self.spec.parameter_names)


def fit_garch_many(
    returns_frame: pd.DataFrame,
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
    scheduler: Any = None,
    n_workers: int | None = None,
    progress: bool = True,
) -> GarchFitCollection:
    """Fit the same GARCH specification to every column of a wide returns frame.

    Parameters
    ----------
    returns_frame
        One column of returns per asset; NaN (e.g. before a listing) is dropped per column.
    model, distribution, mean, scale, backcast, cov_type, periods_per_year, max_iterations, tol
        As in :func:`~quantlib_local.volatility.garch.fit_garch`; ``scale="auto"`` is chosen per asset.
    scheduler
        None, ``"serial"``, ``"threads"``, ``"processes"``, a scheduler address or a
        ``distributed.Client`` (see the module notes).
    n_workers
        Worker processes of the LocalCluster started when ``scheduler`` is None (default:
        the cores available to this process).
    progress
        Show a tqdm progress bar counted in assets.

    Returns
    -------
    GarchFitCollection
        ``fits`` by asset, ``errors`` for assets whose fit raised, ``not_converged``,
        :meth:`GarchFitCollection.params_table`.

    Raises
    ------
    ValidationError
        For a frame that is not a non-empty DataFrame with unique column labels, a bad
        specification, or an unknown scheduler. Problems of one asset are collected instead.

    Warns
    -----
    GarchConvergenceWarning
        Once, naming the assets whose fit did not converge.
    """
    spec = GarchSpec.checked(
        model=model, distribution=distribution, mean=mean, scale=scale, backcast=backcast,
        cov_type=cov_type, max_iterations=max_iterations, tol=tol,
    )
    frame = _check_frame(returns_frame)
    check_scheduler(scheduler)
    if n_workers is not None:
        n_workers = check_positive_int(n_workers, "n_workers", "e.g. 2")
    tasks = [(asset, frame[asset], spec, periods_per_year) for asset in frame.columns]
    bar = tqdm(total=len(tasks), desc=f"{spec.model} fits", unit="asset", disable=not progress, leave=False)
    with bar, single_threaded_blas():
        outcomes = run_tasks(
            fit_one_asset, tasks, scheduler, bar=bar, n_workers=n_workers, label="garch fits",
            on_failure=lambda task, exc: (task[0], None, f"{type(exc).__name__}: {exc}"),
        )
    fits = {asset: fit for asset, fit, _ in outcomes if fit is not None}
    errors = {asset: error for asset, _, error in outcomes if error is not None}
    collection = GarchFitCollection(fits=fits, errors=errors, spec=spec)
    if errors:
        logger.warning("GARCH fit failed for %d of %d assets: %s", len(errors), len(tasks), errors)
    if collection.not_converged:
        warnings.warn(
            f"GARCH fits of {collection.not_converged} did not converge. Fix: {convergence_advice(spec)}",
            GarchConvergenceWarning,
            stacklevel=2,
        )
    return collection


def fit_one_asset(
    asset: Hashable, returns: pd.Series, spec: GarchSpec, periods_per_year: float | None
) -> tuple[Hashable, GarchFit | None, str | None]:
    """Fit one asset; any error is returned as text instead of raised (runs on Dask workers)."""
    try:
        fit = fit_garch_spec(returns, spec, periods_per_year=periods_per_year, field=f"returns_frame[{asset!r}]")
    except Exception as exc:  # one asset's failure must not sink the others: report it
        return asset, None, f"{type(exc).__name__}: {exc}"
    return asset, fit, None


def _check_frame(returns_frame: Any) -> pd.DataFrame:
    if not isinstance(returns_frame, pd.DataFrame):
        raise ValidationError(
            "returns_frame", describe(returns_frame), "pass a DataFrame with one column of returns per asset"
        )
    if returns_frame.shape[1] == 0 or returns_frame.shape[0] == 0:
        raise ValidationError("returns_frame", describe(returns_frame), "pass at least one asset with returns", detail="it is empty")
    if returns_frame.columns.has_duplicates:
        duplicated = list(returns_frame.columns[returns_frame.columns.duplicated()].unique())
        raise ValidationError("returns_frame", describe(returns_frame), f"give every asset a unique column label (duplicated: {duplicated})")
    return returns_frame
