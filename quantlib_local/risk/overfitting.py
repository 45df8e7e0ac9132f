"""Overfitting statistics: PSR, expected maximum Sharpe, deflated Sharpe ratio and PBO (CSCV).

Hand-written because no maintained package fits: skfolio (1.12+) has PSR/DSR formulas but is
a portfolio-optimisation framework (cvxpy, scikit-learn) that we would not pull into the
runtime for three formulas, and it does not pick the winner from a sweep; we found no package
on the index that runs combinatorially symmetric cross-validation (CSCV) on a returns matrix
(pypbo is a GitHub-only script, mlfinlab is closed source, ml4t-diagnostic only ranks
precomputed in-/out-of-sample scores and pulls numba, shap and polars). The formulas are
short; the tests pin them to the papers' printed examples and to a literal loop over the
CSCV combinations.

Conventions
-----------
* Sharpe ratios are **per period** (not annualised): ``mean(r) / std(r, ddof=1)`` on the
  returns as given (pass excess returns to measure against a risk-free rate).
  Annualised copies are reported only when ``periods_per_year`` is given.
* ``kurtosis`` is the non-excess (Pearson) kurtosis, 3 for normal returns. Skewness and
  kurtosis estimated from returns are the moment (biased) estimators ``m3 / m2**1.5`` and
  ``m4 / m2**2`` (scipy's ``bias=True`` defaults; skfolio uses the same).
* PSR, Bailey & López de Prado (2012), "The Sharpe ratio efficient frontier", J. of Risk 15(2)::

      PSR(SR*) = Phi((SR - SR*) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurt - 1) / 4 * SR**2))

* Expected maximum Sharpe ratio of ``N`` independent zero-skill trials whose Sharpe ratios
  have variance ``V``, Bailey & López de Prado (2014), "The deflated Sharpe ratio", JPM 40(5)::

      E[max SR] = sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e))),  g = 0.5772...

  and ``DSR = PSR(SR* = E[max SR])`` with the moments of the selected trial.
* PBO, Bailey, Borwein, López de Prado & Zhu (2017), "The probability of backtest
  overfitting", J. of Computational Finance 20(4): the ``T x N`` matrix (rows = periods,
  columns = trials) is cut into ``S`` contiguous row blocks; each of the ``C(S, S/2)`` sets
  of ``S/2`` blocks is in-sample (IS) once, its complement out-of-sample (OOS). The trial
  with the best IS metric gets the relative OOS rank ``w = rank / (N + 1)`` (rank 1 = worst,
  ``N`` = best, ties averaged), the logit ``l = ln(w / (1 - w))``, and
  ``PBO = share of combinations with l <= 0`` (the IS winner is at or below the OOS median).

NaN policy
----------
* PSR from returns and the DSR: a NaN is a missing bar, dropped per column (the package's
  policy), so every trial keeps its own listing date.
* PBO: rows where every trial is NaN are dropped; a remaining NaN is a period in which the
  trial was not in the market and counts as a zero return (``nan_policy="zero"``, e.g. the
  warm-up of a long lookback) or is refused (``nan_policy="raise"``).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, fields
from numbers import Integral
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from scipy.stats import norm

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._nanstats import nan_count, nan_excess_kurtosis, nan_mean_and_std, nan_skewness
from quantlib_local.risk._validation import MetricValue, check_real, coerce_returns, describe
from quantlib_local.risk.annualisation import resolve_periods_per_year

logger = logging.getLogger(__name__)

EULER_MASCHERONI = float(np.euler_gamma)
"""The Euler–Mascheroni constant (0.5772...) of the expected-maximum formula."""

MAX_PARTITIONS = 20
"""Largest ``n_partitions`` for PBO: C(20, 10) = 184,756 combinations."""

PBOMetric: TypeAlias = Literal["sharpe", "mean"] | Callable[[Float64Array], Any]
"""A named per-period metric, or ``metric(rows x trials matrix) -> one score per trial``."""

_CHUNK_ELEMENTS = 1 << 15  # combinations x trials per work array (256 KiB): the chunk stays in L2 cache
_ZERO_VARIANCE = 1e-11  # a variance below this share of the mean square is rounding: zero dispersion
_LARGEST_SCORE = math.sqrt((1.0 - _ZERO_VARIANCE) / _ZERO_VARIANCE)  # the same test on the Sharpe score


@dataclass(frozen=True)
class DeflatedSharpeResult:
    """The deflated Sharpe ratio of a selected trial, with every input it used.

    Attributes
    ----------
    dsr
        Probability that the selected trial's true Sharpe ratio is above the expected
        maximum of ``n_trials`` zero-skill trials (``PSR(expected_max_sharpe)``).
    psr
        Probability that its true Sharpe ratio is above zero, ignoring the selection.
    observed_sharpe, expected_max_sharpe, sharpe_variance
        Per-period Sharpe ratio of the selected trial, expected maximum Sharpe ratio under
        the null, and variance of the trials' per-period Sharpe ratios.
    n_trials, n_observations
        Number of (independent) trials and of return observations of the selected trial.
    skewness, kurtosis
        Moments of the selected trial's returns (kurtosis non-excess, 3 when normal).
    selected
        Label of the selected trial (None when the statistics were given directly).
    periods_per_year
        Bars per year used for the annualised copies (None: not annualised).
    observed_sharpe_annualised, expected_max_sharpe_annualised, sharpe_variance_annualised
        The same quantities times ``sqrt(periods_per_year)`` (variance: times
        ``periods_per_year``); None without ``periods_per_year``.
    """

    dsr: float
    psr: float
    observed_sharpe: float
    expected_max_sharpe: float
    sharpe_variance: float
    n_trials: float
    n_observations: int
    skewness: float
    kurtosis: float
    selected: Hashable | None
    periods_per_year: float | None
    observed_sharpe_annualised: float | None
    expected_max_sharpe_annualised: float | None
    sharpe_variance_annualised: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields, in declaration order."""
        return asdict(self)

    def to_series(self, name: Hashable | None = None) -> pd.Series:
        """The fields as an object Series (one column of a table)."""
        return pd.Series(self.to_dict(), name=name, dtype=object)


@dataclass(frozen=True, eq=False)
class BacktestOverfittingResult:
    """Outcome of CSCV: the probability of backtest overfitting and its by-products.

    Every array has one entry per combination, in :func:`itertools.combinations` order of
    the in-sample block sets.

    Attributes
    ----------
    pbo
        Share of combinations whose IS-best trial ranks at or below the OOS median
        (logit <= 0).
    logits
        ``ln(w / (1 - w))`` with ``w = rank / (n_trials + 1)`` the IS winner's OOS rank.
    relative_ranks
        ``w`` itself, in (0, 1); 1 - 1/(N+1) when the IS winner is also the OOS winner.
    is_performance, oos_performance
        Metric of the IS-best trial in-sample, and of the same trial out-of-sample.
    selected
        Column position of the IS-best trial (see :meth:`selection_frequency`).
    degradation_slope, degradation_intercept
        Least-squares fit ``oos_performance = intercept + slope * is_performance`` over the
        combinations with finite metrics (NaN when it cannot be fitted).
    probability_of_oos_loss
        Share of combinations where the IS-best trial's OOS metric is below zero.
    n_combinations, n_partitions, n_trials, n_observations
        ``C(S, S/2)``, ``S``, ``N`` and ``T`` (rows after dropping all-NaN rows).
    metric
        Name of the metric ("sharpe", "mean" or the callable's name).
    trials
        Column labels of the trials.
    """

    pbo: float
    logits: Float64Array
    relative_ranks: Float64Array
    is_performance: Float64Array
    oos_performance: Float64Array
    selected: np.ndarray
    degradation_slope: float
    degradation_intercept: float
    probability_of_oos_loss: float
    n_combinations: int
    n_partitions: int
    n_trials: int
    n_observations: int
    metric: str
    trials: pd.Index

    def selection_frequency(self) -> pd.Series:
        """Share of combinations in which each trial was the IS winner, largest first."""
        counts = np.bincount(self.selected, minlength=self.n_trials) / self.n_combinations
        frequency = pd.Series(counts, index=self.trials, name="selection_frequency")
        return frequency[frequency > 0].sort_values(ascending=False, kind="stable")

    def to_series(self) -> pd.Series:
        """The scalar fields as an object Series (arrays and labels left out)."""
        scalars = {
            field.name: getattr(self, field.name)
            for field in fields(self)
            if not isinstance(getattr(self, field.name), (np.ndarray, pd.Index))
        }
        return pd.Series(scalars, dtype=object)


# --------------------------------------------------------------------------------------
# PSR and the expected maximum Sharpe ratio
# --------------------------------------------------------------------------------------


def probabilistic_sharpe_ratio(
    observed_sharpe: float,
    benchmark_sharpe: float,
    n_observations: int,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Probability that the true Sharpe ratio exceeds a benchmark (PSR).

    Bailey & López de Prado (2012), eq. in the module docstring.

    Parameters
    ----------
    observed_sharpe
        Per-period (not annualised) Sharpe ratio of the track record.
    benchmark_sharpe
        Per-period benchmark Sharpe ratio ``SR*`` (0 asks "is there any skill?").
    n_observations
        Number of returns ``T`` behind ``observed_sharpe`` (at least 2).
    skewness
        Skewness of the returns (0 for normal returns).
    kurtosis
        Non-excess (Pearson) kurtosis of the returns (3 for normal returns).

    Returns
    -------
    float
        A probability in [0, 1].

    Raises
    ------
    ValidationError
        On non-finite inputs, fewer than two observations, or moments no distribution has
        (``kurtosis < skewness**2 + 1``; often an excess kurtosis passed by mistake).
    """
    sharpe = check_real(observed_sharpe, "observed_sharpe", "pass the per-period Sharpe ratio, e.g. 0.05")
    benchmark = check_real(benchmark_sharpe, "benchmark_sharpe", "pass a per-period Sharpe ratio, e.g. 0.0")
    n = _check_observations(n_observations)
    skew, kurt = _check_moments(skewness, kurtosis)
    return _psr(sharpe, benchmark, n, skew, kurt)


def probabilistic_sharpe_ratio_from_returns(
    returns: pd.Series | pd.DataFrame, benchmark_sharpe: float = 0.0
) -> MetricValue:
    """PSR of a return series (or of each column), moments estimated from the returns.

    Parameters
    ----------
    returns
        Simple decimal returns (Series, or a wide DataFrame with one column per series);
        NaN bars are dropped per column.
    benchmark_sharpe
        Per-period benchmark Sharpe ratio.

    Returns
    -------
    float or pandas.Series
        The PSR; NaN for a column with fewer than two observations or no dispersion.
    """
    block = coerce_returns(returns)
    benchmark = check_real(benchmark_sharpe, "benchmark_sharpe", "pass a per-period Sharpe ratio, e.g. 0.0")
    sharpe, count, skew, kurt = _column_statistics(block.values, block.missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance_term = 1.0 - skew * sharpe + (kurt - 1.0) / 4.0 * sharpe**2
        z = (sharpe - benchmark) * np.sqrt(count - 1.0) / np.sqrt(variance_term)
    value = np.where(np.isfinite(z) & (count >= 2), norm.cdf(z), np.nan)
    return block.shape_answer(value, "probabilistic_sharpe_ratio")


def expected_maximum_sharpe(sharpe_variance: float, n_trials: float) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` independent zero-skill trials.

    Bailey & López de Prado (2014): ``sqrt(V) * ((1 - g) Phi^-1(1 - 1/N) + g Phi^-1(1 - 1/(N e)))``
    with ``g`` the Euler–Mascheroni constant.

    Parameters
    ----------
    sharpe_variance
        Variance ``V`` of the trials' Sharpe ratios, in the units wanted for the answer
        (per period, or annualised).
    n_trials
        Number ``N`` of independent trials; may be fractional (an effective number of
        trials). With one trial there is no selection and the answer is 0.

    Returns
    -------
    float
        ``E[max SR]`` in the units of ``sqrt(sharpe_variance)``.
    """
    variance = check_real(sharpe_variance, "sharpe_variance", "pass the variance of the trials' Sharpe ratios (>= 0)")
    if variance < 0:
        raise ValidationError(
            "sharpe_variance", sharpe_variance, "pass the variance of the trials' Sharpe ratios (>= 0)"
        )
    trials = _check_trials(n_trials)
    if trials == 1.0:
        return 0.0
    quantiles = (1.0 - EULER_MASCHERONI) * norm.ppf(1.0 - 1.0 / trials) + EULER_MASCHERONI * norm.ppf(
        1.0 - 1.0 / (trials * math.e)
    )
    return float(math.sqrt(variance) * quantiles)


# --------------------------------------------------------------------------------------
# Deflated Sharpe ratio
# --------------------------------------------------------------------------------------


def deflated_sharpe_ratio(
    trial_returns: pd.DataFrame | np.ndarray,
    *,
    selected: Hashable | None = None,
    n_trials: float | None = None,
    periods_per_year: float | None = None,
) -> DeflatedSharpeResult:
    """Deflated Sharpe ratio of the best (or a chosen) trial of a parameter sweep.

    Parameters
    ----------
    trial_returns
        ``T x N`` per-period simple returns, one column per trial (at least two), e.g.
        every parameter set of a sweep. NaN bars are dropped per column.
    selected
        Column label of the trial to assess; by default the trial with the highest Sharpe
        ratio (the first one on ties).
    n_trials
        Number of independent trials; defaults to the number of columns. Pass a smaller
        effective number when the trials are strongly correlated, or a larger one when
        more trials were run than are shown.
    periods_per_year
        Bars per year, only for the annualised copies in the result.

    Returns
    -------
    DeflatedSharpeResult
        ``sharpe_variance`` is the sample variance (``ddof=1``) of the trials' per-period
        Sharpe ratios; skewness and kurtosis are those of the selected trial.

    Raises
    ------
    ValidationError
        When the matrix is not valid returns (see
        :func:`~quantlib_local.risk._validation.coerce_returns`), has fewer than two
        columns, a trial has no finite Sharpe ratio, or ``selected`` is not a column.
    """
    block = coerce_returns(_as_frame(trial_returns), "trial_returns")
    if block.is_series or block.values.shape[1] < 2:
        raise ValidationError(
            "trial_returns",
            describe(trial_returns),
            "pass the returns of every trial, one column per trial (at least two), "
            "or use deflated_sharpe_ratio_from_statistics",
        )
    sharpe, count, skew, kurt = _column_statistics(block.values, block.missing)
    bad = np.flatnonzero(~np.isfinite(sharpe))
    if bad.size:
        column = block.columns[bad[0]]
        raise ValidationError(
            f"trial_returns[{column!r}]",
            f"{int(count[bad[0]])} observations",
            "drop trials with fewer than two observations or with constant non-zero returns",
            detail="its Sharpe ratio is not finite",
        )
    if selected is None:
        position = int(np.argmax(sharpe))
    else:
        try:
            position = block.columns.get_loc(selected)
        except (KeyError, TypeError, pd.errors.InvalidIndexError):
            position = None
        if not isinstance(position, (int, np.integer)):
            raise ValidationError(
                "selected", selected, f"pass one of the column labels, e.g. {block.columns[0]!r}, or None for the best"
            )
        position = int(position)
    return deflated_sharpe_ratio_from_statistics(
        observed_sharpe=float(sharpe[position]),
        sharpe_variance=float(np.var(sharpe, ddof=1)),
        n_trials=block.values.shape[1] if n_trials is None else n_trials,
        n_observations=int(count[position]),
        skewness=float(skew[position]),
        kurtosis=float(kurt[position]),
        periods_per_year=periods_per_year,
        selected=block.columns[position],
    )


def deflated_sharpe_ratio_from_statistics(
    observed_sharpe: float,
    sharpe_variance: float,
    n_trials: float,
    n_observations: int,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
    *,
    periods_per_year: float | None = None,
    selected: Hashable | None = None,
) -> DeflatedSharpeResult:
    """Deflated Sharpe ratio from summary numbers (all per period, not annualised).

    Parameters
    ----------
    observed_sharpe
        Per-period Sharpe ratio of the selected trial.
    sharpe_variance
        Variance of the per-period Sharpe ratios across the trials (annualised variance
        divided by ``periods_per_year``).
    n_trials
        Number of independent trials ``N`` (>= 1; may be fractional).
    n_observations
        Number of returns ``T`` of the selected trial.
    skewness, kurtosis
        Moments of the selected trial's returns (kurtosis non-excess, 3 when normal).
    periods_per_year
        Bars per year, only for the annualised copies in the result.
    selected
        Label to carry into the result.

    Returns
    -------
    DeflatedSharpeResult
    """
    sharpe = check_real(observed_sharpe, "observed_sharpe", "pass the per-period Sharpe ratio, e.g. 0.05")
    n = _check_observations(n_observations)
    skew, kurt = _check_moments(skewness, kurtosis)
    trials = _check_trials(n_trials)
    benchmark = expected_maximum_sharpe(sharpe_variance, trials)
    ppy = None if periods_per_year is None else resolve_periods_per_year(periods_per_year, pd.RangeIndex(0))
    root = None if ppy is None else math.sqrt(ppy)
    variance = float(sharpe_variance)
    return DeflatedSharpeResult(
        dsr=_psr(sharpe, benchmark, n, skew, kurt),
        psr=_psr(sharpe, 0.0, n, skew, kurt),
        observed_sharpe=sharpe,
        expected_max_sharpe=benchmark,
        sharpe_variance=variance,
        n_trials=trials,
        n_observations=n,
        skewness=skew,
        kurtosis=kurt,
        selected=selected,
        periods_per_year=ppy,
        observed_sharpe_annualised=None if root is None else sharpe * root,
        expected_max_sharpe_annualised=None if root is None else benchmark * root,
        sharpe_variance_annualised=None if ppy is None else variance * ppy,
    )


# --------------------------------------------------------------------------------------
# Probability of backtest overfitting (CSCV)
# --------------------------------------------------------------------------------------


def probability_of_backtest_overfitting(
    performance: pd.DataFrame | np.ndarray,
    n_partitions: int = 16,
    metric: PBOMetric = "sharpe",
    *,
    nan_policy: Literal["zero", "raise"] = "zero",
) -> BacktestOverfittingResult:
    """Probability of backtest overfitting by combinatorially symmetric cross-validation.

    Bailey, Borwein, López de Prado & Zhu (2017); the algorithm and the rank convention
    ``w = rank / (N + 1)`` are in the module docstring.

    Parameters
    ----------
    performance
        ``T x N`` per-period returns, one column per trial (at least two), rows in time
        order (e.g. every parameter set of a sweep).
    n_partitions
        Number ``S`` of contiguous row blocks: even, 2 to :data:`MAX_PARTITIONS`, and at
        most ``T / 2`` (two rows per block). When ``T`` is not a multiple of ``S`` the
        first ``T mod S`` blocks get one row more.
    metric
        ``"sharpe"`` (per-period ``mean / std(ddof=1)``; a subsample with zero dispersion,
        i.e. a variance below 1e-11 of its mean square, scores 0 when flat at zero and
        +-inf otherwise) or ``"mean"`` (mean return), both computed from per-block sums;
        or a callable ``metric(matrix) -> scores`` that maps a ``rows x N`` float array to
        ``N`` scores (higher is better). A callable is applied once to each half of the
        sample (``C(S, S/2)`` calls; the half is IS for one combination and OOS for its
        complement). NaN scores rank last and are reported as -inf.
    nan_policy
        What a NaN left after dropping all-NaN rows means: ``"zero"`` (the trial was out of
        the market: zero return) or ``"raise"``.

    Returns
    -------
    BacktestOverfittingResult

    Raises
    ------
    ValidationError
        On invalid returns, fewer than two trials, an invalid ``n_partitions`` (odd, < 2,
        > MAX_PARTITIONS, or more than ``T / 2``), an unknown metric, or a callable metric
        that does not return one score per trial.

    Notes
    -----
    The named metrics read the data once, for per-block sums (and sums of squares); each
    combination then costs ``O(S * N)`` from those sums, processed in chunks of about 32k
    cells, so memory beyond the input's copy is ``O(S * N)``. ``T = 2,000``,
    ``N = 10,000``, ``S = 16`` (12,870 combinations) takes one to two seconds on one core.
    """
    values, trials = _trial_matrix(performance, nan_policy)
    n_rows, n_cols = values.shape
    s = _check_partitions(n_partitions, n_rows)
    metric_name, scorer = _resolve_metric(metric, n_cols)
    bounds = np.cumsum([0] + [len(part) for part in np.array_split(np.arange(n_rows), s)])
    # In itertools order the complement of combination i is combination C - 1 - i, so each
    # half of the sample is scored once and serves as IS for one combination and OOS for its twin.
    combos = np.array(list(itertools.combinations(range(s), s // 2)), dtype=np.intp)
    n_combos = len(combos)
    membership = np.zeros((n_combos // 2, s))
    membership[np.arange(n_combos // 2)[:, None], combos[: n_combos // 2]] = 1.0

    rank = np.empty(n_combos)
    selected = np.empty(n_combos, dtype=np.intp)
    is_best = np.empty(n_combos)
    oos_best = np.empty(n_combos)
    if scorer is None:
        chunks = _aggregate_scores(values, bounds, membership, metric_name)
    else:
        chunks = _callable_scores(values, bounds, membership, scorer, metric_name)
    for start, first, second, first_scale, second_scale in chunks:
        twins = n_combos - 1 - np.arange(start, start + first.shape[0])
        for where, is_scores, oos_scores, is_scale, oos_scale in (
            (slice(start, start + first.shape[0]), first, second, first_scale, second_scale),
            (twins, second, first, second_scale, first_scale),
        ):
            rows = np.arange(is_scores.shape[0])
            best = np.argmax(is_scores, axis=1)
            winner = oos_scores[rows, best]
            below = np.count_nonzero(oos_scores < winner[:, None], axis=1)
            at_or_below = np.count_nonzero(oos_scores <= winner[:, None], axis=1)
            rank[where] = (below + at_or_below + 1) / 2.0  # average rank on ties; 1 = worst
            selected[where] = best
            is_best[where] = is_scores[rows, best] * is_scale
            oos_best[where] = winner * oos_scale

    relative = rank / (n_cols + 1)
    logits = np.log(rank) - np.log(n_cols + 1 - rank)
    slope, intercept = _degradation_fit(is_best, oos_best)
    with np.errstate(invalid="ignore"):
        losses = np.count_nonzero(oos_best < 0)
    return BacktestOverfittingResult(
        pbo=float(np.count_nonzero(2.0 * rank <= n_cols + 1) / n_combos),
        logits=logits,
        relative_ranks=relative,
        is_performance=is_best,
        oos_performance=oos_best,
        selected=selected,
        degradation_slope=slope,
        degradation_intercept=intercept,
        probability_of_oos_loss=float(losses / n_combos),
        n_combinations=n_combos,
        n_partitions=s,
        n_trials=n_cols,
        n_observations=n_rows,
        metric=metric_name,
        trials=trials,
    )


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _psr(sharpe: float, benchmark: float, n: int, skew: float, kurt: float) -> float:
    variance_term = 1.0 - skew * sharpe + (kurt - 1.0) / 4.0 * sharpe**2
    if not variance_term > 0:
        raise ValidationError(
            "observed_sharpe",
            sharpe,
            "check the skewness and kurtosis: with these moments the Sharpe ratio estimate has no variance",
            detail=f"1 - skewness * SR + (kurtosis - 1) / 4 * SR**2 = {variance_term:.3g}",
        )
    return float(norm.cdf((sharpe - benchmark) * math.sqrt(n - 1) / math.sqrt(variance_term)))


def _column_statistics(
    values: Float64Array, missing: np.ndarray
) -> tuple[Float64Array, Float64Array, Float64Array, Float64Array]:
    """Per-column Sharpe ratio, count, skewness and non-excess kurtosis (NaN bars dropped).

    A column that is flat at zero gets a Sharpe ratio of 0 (no return, no risk).
    """
    count = nan_count(values, missing).astype(np.float64)
    mean, std = nan_mean_and_std(values, ddof=1, missing=missing)
    with np.errstate(invalid="ignore", divide="ignore"):
        sharpe = mean / std
        skew = nan_skewness(values, missing)
        kurt = nan_excess_kurtosis(values, missing) + 3.0
    sharpe[(std == 0) & (mean == 0)] = 0.0
    return sharpe, count, skew, kurt


def _check_observations(n_observations: Any) -> int:
    fix = "pass the number of returns behind the Sharpe ratio, an integer >= 2"
    if isinstance(n_observations, bool) or not isinstance(n_observations, Integral) or n_observations < 2:
        raise ValidationError("n_observations", n_observations, fix)
    return int(n_observations)


def _check_moments(skewness: Any, kurtosis: Any) -> tuple[float, float]:
    skew = check_real(skewness, "skewness", "pass the skewness of the returns, 0 for normal returns")
    fix = (
        "pass the non-excess (Pearson) kurtosis, 3 for normal returns; any distribution has kurtosis >= skewness**2 + 1"
    )
    kurt = check_real(kurtosis, "kurtosis", fix)
    if kurt < (skew**2 + 1.0) * (1.0 - 1e-9):
        raise ValidationError("kurtosis", kurtosis, fix, detail=f"below skewness**2 + 1 = {skew**2 + 1.0:.6g}")
    return skew, kurt


def _check_trials(n_trials: Any) -> float:
    fix = "pass the number of independent trials, a number >= 1"
    trials = check_real(n_trials, "n_trials", fix)
    if trials < 1:
        raise ValidationError("n_trials", n_trials, fix)
    return int(trials) if float(trials).is_integer() else trials


def _as_frame(matrix: Any) -> Any:
    """Wrap a 2-D array without copying: coerce_returns copies it once, in row order.

    (pandas 3 copies an array into a transposed block by default, and transposing back
    costs seconds on a 5,000 x 10,000 sweep.)
    """
    if isinstance(matrix, np.ndarray) and matrix.ndim == 2:
        return pd.DataFrame(matrix, copy=False)
    return matrix


def _trial_matrix(performance: Any, nan_policy: Any) -> tuple[Float64Array, pd.Index]:
    block = coerce_returns(_as_frame(performance), "performance")
    if block.is_series or block.values.shape[1] < 2:
        raise ValidationError(
            "performance", describe(performance), "pass the returns of at least two trials, one column per trial"
        )
    if nan_policy not in ("zero", "raise"):
        raise ValidationError("nan_policy", nan_policy, "pass 'zero' (NaN = out of the market) or 'raise'")
    values, missing = block.values, block.missing  # values is coerce_returns' own copy
    observed_rows = ~missing.all(axis=1)
    if not observed_rows.all():
        logger.debug("PBO: dropped %d rows where every trial is NaN", int((~observed_rows).sum()))
        values, missing = values[observed_rows], missing[observed_rows]
    if missing.any():
        if nan_policy == "raise":
            column = block.columns[int(np.flatnonzero(missing.any(axis=0))[0])]
            raise ValidationError(
                f"performance[{column!r}]",
                "NaN",
                "fill the periods a trial was out of the market with 0, or pass nan_policy='zero'",
            )
        values[missing] = 0.0
    return values, block.columns


def _check_partitions(n_partitions: Any, n_rows: int) -> int:
    fix = f"pass an even integer from 2 to {MAX_PARTITIONS}, e.g. 16"
    if isinstance(n_partitions, bool) or not isinstance(n_partitions, Integral):
        raise ValidationError("n_partitions", n_partitions, fix)
    s = int(n_partitions)
    if s < 2 or s > MAX_PARTITIONS or s % 2:
        raise ValidationError("n_partitions", n_partitions, fix)
    if n_rows < 2 * s:
        largest = n_rows // 4 * 2
        fix = f"pass at most {largest} partitions for {n_rows} rows" if largest >= 2 else "pass at least 4 rows"
        raise ValidationError(
            "n_partitions", n_partitions, fix, detail=f"{n_rows} rows leave fewer than two rows per block"
        )
    return s


def _resolve_metric(metric: Any, n_cols: int) -> tuple[str, Callable[[Float64Array], Any] | None]:
    if isinstance(metric, str):
        if metric in ("sharpe", "mean"):
            return metric, None
    elif callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    raise ValidationError("metric", metric, "pass 'sharpe', 'mean' or a callable metric(matrix) -> one score per trial")


def _aggregate_scores(values: Float64Array, bounds: np.ndarray, membership: Float64Array, metric: str) -> Any:
    """Yield ``(first combination, scores of its IS half, scores of the complement, scales)``.

    The scores come from per-block sums and order the trials like the metric within each
    combination (every trial has the same number of rows there); ``score * scale`` is the
    metric itself: ``sum * (1 / n)`` for the mean, ``u * sqrt((n - 1) / n)`` for the Sharpe
    ratio with ``u = sum / sqrt(n * sum_of_squares - sum**2)``.
    """
    sums = np.add.reduceat(values, bounds[:-1], axis=0)
    squares = None
    if metric == "sharpe":  # block by block: never a second T x N array
        squares = np.stack([np.einsum("ij,ij->j", values[a:b], values[a:b]) for a, b in itertools.pairwise(bounds)])
    counts = np.diff(bounds).astype(np.float64)
    total_sum, total_count = sums.sum(axis=0), counts.sum()
    total_square = None if squares is None else squares.sum(axis=0)
    chunk = max(1, _CHUNK_ELEMENTS // values.shape[1])
    for start in range(0, membership.shape[0], chunk):
        member = membership[start : start + chunk]
        first_sum = member @ sums
        first_count = member @ counts
        second_sum = total_sum - first_sum
        second_count = total_count - first_count
        if squares is None:
            yield start, first_sum, second_sum, 1.0 / first_count, 1.0 / second_count
            continue
        first_square = member @ squares
        second_square = total_square - first_square
        yield (
            start,
            _sharpe_score(first_sum, first_square, first_count),
            _sharpe_score(second_sum, second_square, second_count),
            np.sqrt((first_count - 1.0) / first_count),
            np.sqrt((second_count - 1.0) / second_count),
        )


def _sharpe_score(total: Float64Array, square: Float64Array, count: Float64Array) -> Float64Array:
    """``sum / sqrt(n * sum_of_squares - sum**2)`` per cell, with zero dispersion made exact.

    A cell whose variance is below ``_ZERO_VARIANCE`` times its mean square (``|u|`` beyond
    ``_LARGEST_SCORE``: no real strategy) has zero dispersion: 0 when flat at zero, else +-inf.
    """
    spread = square * count[:, None]
    spread -= total * total
    with np.errstate(invalid="ignore", divide="ignore"):
        score = total / np.sqrt(spread)
    if score.max() < _LARGEST_SCORE and score.min() > -_LARGEST_SCORE:  # NaN fails both tests
        return score
    flat = ~(np.abs(score) < _LARGEST_SCORE)
    score[flat] = np.copysign(np.inf, total[flat])
    score[flat & (total == 0)] = 0.0
    return score


def _callable_scores(
    values: Float64Array, bounds: np.ndarray, membership: Float64Array, scorer: Callable[..., Any], name: str
) -> Any:
    block_of_row = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    one = np.ones(1)
    for start, member in enumerate(membership.astype(bool)):
        in_sample = member[block_of_row]
        first = _score(scorer, values[in_sample], values.shape[1], name)
        second = _score(scorer, values[~in_sample], values.shape[1], name)
        yield start, first[None, :], second[None, :], one, one


def _score(scorer: Callable[..., Any], matrix: Float64Array, n_cols: int, name: str) -> Float64Array:
    scores = np.asarray(scorer(matrix), dtype=np.float64)
    if scores.shape != (n_cols,):
        raise ValidationError(
            "metric", name, f"return one score per trial: an array of shape ({n_cols},), not {scores.shape}"
        )
    return np.where(np.isnan(scores), -np.inf, scores)  # NaN ranks last


def _degradation_fit(is_best: Float64Array, oos_best: Float64Array) -> tuple[float, float]:
    finite = np.isfinite(is_best) & np.isfinite(oos_best)
    x, y = is_best[finite], oos_best[finite]
    if x.size < 2 or np.ptp(x) == 0:
        return math.nan, math.nan
    x_centred = x - x.mean()
    slope = float(x_centred @ (y - y.mean()) / (x_centred @ x_centred))
    return slope, float(y.mean() - slope * x.mean())
