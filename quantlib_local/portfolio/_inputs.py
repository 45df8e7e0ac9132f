"""Input checks shared by the portfolio estimators and optimisers (layer 3, no I/O).

Two contracts live here:

* **Price or return tables** (the estimators' input): a wide DataFrame, one column per
  asset, float prices (``kind="prices"``) or simple decimal returns (``kind="returns"``).
  NaN is allowed only *before* an asset's first value (not yet listed); a blank after the
  first value is an error, as in :func:`quantlib_local.data.load_price_table`.
* **Expected returns and covariance** (the optimisers' input): a Series ``mu`` and a square
  DataFrame ``S`` with the same labels, finite, ``S`` symmetric and positive semidefinite.

Every violation raises :class:`~quantlib_local.exceptions.ValidationError` naming the
field, the bad value and the fix.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk.annualisation import resolve_periods_per_year

logger = logging.getLogger(__name__)

DataKind: TypeAlias = Literal["prices", "returns"]
"""What a table holds: prices (returns are computed as ``p_t / p_{t-1} - 1``) or simple returns."""

Window: TypeAlias = Literal["pairwise", "common"]
"""How assets with different listing dates are combined: ``"pairwise"`` uses, for every
asset (or pair of assets), all bars where it (both) has a return; ``"common"`` first drops
every bar where any asset lacks a return, so all statistics share one window."""

PSD_RELATIVE_TOLERANCE = 1e-10
"""An eigenvalue above ``-PSD_RELATIVE_TOLERANCE * max(|eigenvalue|)`` counts as zero."""

_PSD_FIX = (
    "estimate the covariance with ledoit_wolf_covariance(...) (positive definite by construction), "
    "use window='common' so every pair shares one window, or repair the matrix with "
    "fix_nonpositive_semidefinite(covariance)"
)


def returns_table(data: Any, *, kind: DataKind = "prices", field: str = "data") -> pd.DataFrame:
    """Check a wide price or return table and answer simple returns (first bar dropped for prices).

    Parameters
    ----------
    data
        Wide DataFrame, one column per asset (a Series is treated as one asset).
    kind
        ``"prices"`` or ``"returns"``.
    field
        Argument name used in error messages.

    Returns
    -------
    DataFrame
        float64 simple returns, NaN before each asset's listing; rows where no asset has a
        return are dropped.
    """
    if kind not in ("prices", "returns"):
        raise ValidationError("kind", kind, "pass kind='prices' or kind='returns'")
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else "asset")
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(field, type(data).__name__, "pass a wide pandas DataFrame with one column per asset")
    if data.shape[1] == 0 or data.shape[0] == 0:
        raise ValidationError(field, f"DataFrame{data.shape}", "pass at least one asset column and some rows")
    if data.columns.has_duplicates:
        duplicated = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise ValidationError(field, duplicated, "give every asset column a unique name")
    try:
        values = data.astype("float64")
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, str(data.dtypes.to_dict()), "pass numeric columns only", detail=str(exc)) from exc
    array = values.to_numpy()
    if np.isinf(array).any():
        column = values.columns[np.isinf(array).any(axis=0)][0]
        raise ValidationError(str(column), "inf", f"remove infinite values from {field}")
    _check_blanks_only_before_listing(values, field)
    if kind == "prices":
        if (array <= 0).any():
            column = values.columns[(array <= 0).any(axis=0)][0]
            raise ValidationError(str(column), float(values[column][values[column] <= 0].iloc[0]), "prices must be positive")
        returns = values / values.shift(1) - 1.0
        returns = returns.iloc[1:]
    else:
        if (array <= -1).any():
            column = values.columns[(array <= -1).any(axis=0)][0]
            raise ValidationError(
                str(column), float(values[column][values[column] <= -1].iloc[0]),
                "simple returns must be above -1 (a -100 % return wipes the asset out); did you pass log returns?",
            )
        returns = values
    return returns.dropna(how="all")


def _check_blanks_only_before_listing(values: pd.DataFrame, field: str) -> None:
    listed = values.notna().cummax()
    holes = listed & values.isna()
    if holes.to_numpy().any():
        column = holes.columns[holes.any()][0]
        first = holes[column].idxmax()
        raise ValidationError(
            str(column), f"NaN at {first}",
            f"fill or drop blanks in {field}; only blanks before an asset's first value (its listing) are allowed",
            detail=f"{int(holes[column].sum())} blank(s) after the first value",
        )
    never = values.columns[values.isna().all()]
    if len(never):
        raise ValidationError(str(never[0]), "all NaN", f"drop asset columns without data from {field}")


def apply_window(returns: pd.DataFrame, window: Window, minimum: int = 2) -> pd.DataFrame:
    """Keep every bar (``"pairwise"``) or only bars where every asset has a return (``"common"``, at least ``minimum``)."""
    if window == "pairwise":
        return returns
    if window == "common":
        common = returns.dropna(how="any")
        if len(common) < minimum:
            latest = returns.apply(lambda column: column.first_valid_index()).max()
            raise ValidationError(
                "window", "common", "use window='pairwise' or drop the most recently listed asset",
                detail=f"fewer than {minimum} bar(s) where every asset has a return (the last listing is {latest})",
            )
        return common
    raise ValidationError("window", window, "pass window='pairwise' or window='common'")


def check_enough_observations(returns: pd.DataFrame, minimum: int = 2) -> None:
    """Every asset needs at least ``minimum`` returns."""
    counts = returns.count()
    short = counts[counts < minimum]
    if len(short):
        raise ValidationError(
            str(short.index[0]), f"{int(short.iloc[0])} return(s)", f"give every asset at least {minimum} returns"
        )


def annualisation_factor(periods_per_year: float | None, index: pd.Index) -> float:
    """Explicit bars per year, or inferred from a DatetimeIndex (see :func:`quantlib_local.risk.periods_per_year`)."""
    return resolve_periods_per_year(periods_per_year, index)


def check_expected_returns(expected_returns: Any, field: str = "expected_returns") -> pd.Series:
    """A finite float Series with unique labels."""
    if isinstance(expected_returns, pd.DataFrame) and expected_returns.shape[1] == 1:
        expected_returns = expected_returns.iloc[:, 0]
    if not isinstance(expected_returns, pd.Series):
        raise ValidationError(field, type(expected_returns).__name__, "pass a pandas Series indexed by asset name")
    if len(expected_returns) == 0:
        raise ValidationError(field, "empty Series", "pass at least one asset")
    if expected_returns.index.has_duplicates:
        raise ValidationError(field, sorted(map(str, expected_returns.index[expected_returns.index.duplicated()])),
                              "give every asset a unique label")
    try:
        values = expected_returns.astype("float64")
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, str(expected_returns.dtype), "pass numeric expected returns") from exc
    bad = values[~np.isfinite(values.to_numpy())]
    if len(bad):
        raise ValidationError(
            field, {str(k): float(v) for k, v in bad.head(5).items()},
            "drop or estimate the assets with NaN/inf expected returns (e.g. more history, or window='common')",
            detail=f"{len(bad)} asset(s) not finite",
        )
    return values


def check_square_matrix(matrix: Any, field: str) -> pd.DataFrame:
    """A finite, square, symmetric float DataFrame whose row and column labels agree."""
    if not isinstance(matrix, pd.DataFrame):
        raise ValidationError(field, type(matrix).__name__, "pass a square pandas DataFrame indexed and labelled by asset")
    rows, cols = matrix.shape
    if rows != cols or rows == 0:
        raise ValidationError(field, f"shape {matrix.shape}", "pass a non-empty square matrix (one row and one column per asset)")
    if not matrix.index.equals(matrix.columns):
        raise ValidationError(field, f"index {list(matrix.index)[:5]} vs columns {list(matrix.columns)[:5]}",
                              "label rows and columns with the same assets in the same order")
    if matrix.index.has_duplicates:
        raise ValidationError(field, sorted(map(str, matrix.index[matrix.index.duplicated()])), "give every asset a unique label")
    try:
        values = matrix.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, str(matrix.dtypes.iloc[0]), "pass a numeric matrix") from exc
    if not np.isfinite(values).all():
        i, j = np.argwhere(~np.isfinite(values))[0]
        raise ValidationError(
            field, f"{values[i, j]} at ({matrix.index[i]!s}, {matrix.columns[j]!s})",
            "drop the assets with NaN/inf entries or estimate over a window where every pair has data (window='common')",
            detail=f"{int((~np.isfinite(values)).sum())} entries not finite",
        )
    scale = max(float(np.abs(values).max()), np.finfo(float).tiny)
    asymmetry = float(np.abs(values - values.T).max())
    if asymmetry > 1e-10 * scale:
        raise ValidationError(field, f"max |S - S.T| = {asymmetry:.3g}", "pass a symmetric matrix, e.g. (S + S.T) / 2")
    return pd.DataFrame(values, index=matrix.index, columns=matrix.columns)


def smallest_eigenvalue(values: Float64Array) -> tuple[float, float]:
    """(smallest eigenvalue, tolerance below which it counts as negative)."""
    eigenvalues = np.linalg.eigvalsh((values + values.T) / 2.0)
    tolerance = PSD_RELATIVE_TOLERANCE * max(float(np.abs(eigenvalues).max()), np.finfo(float).tiny)
    return float(eigenvalues[0]), tolerance


def check_covariance(covariance: Any, field: str = "covariance") -> pd.DataFrame:
    """Square, finite, symmetric and positive semidefinite, else a ValidationError naming the smallest eigenvalue."""
    matrix = check_square_matrix(covariance, field)
    values = matrix.to_numpy()
    if (np.diag(values) < 0).any():
        asset = matrix.index[int(np.argmin(np.diag(values)))]
        raise ValidationError(field, f"variance {np.diag(values).min():.3g} for {asset!s}", "variances must be non-negative")
    lowest, tolerance = smallest_eigenvalue(values)
    if lowest < -tolerance:
        raise ValidationError(
            field, f"smallest eigenvalue {lowest:.6g}", _PSD_FIX,
            detail="the matrix is not positive semidefinite, so some portfolio would have negative variance",
        )
    return matrix


def aligned_inputs(
    expected_returns: Any, covariance: Any, field: str = "expected_returns"
) -> tuple[pd.Series, pd.DataFrame]:
    """Check ``mu`` and ``S`` and that they carry the same asset labels (S is reordered to mu's order)."""
    mu = check_expected_returns(expected_returns, field)
    cov = check_covariance(covariance)
    mu_labels, cov_labels = set(mu.index), set(cov.index)
    if mu_labels != cov_labels:
        only_mu = sorted(map(str, mu_labels - cov_labels))
        only_cov = sorted(map(str, cov_labels - mu_labels))
        raise ValidationError(
            field, f"assets only in {field}: {only_mu}; only in covariance: {only_cov}",
            f"estimate {field} and covariance for the same asset columns (or select the common assets)",
            detail=f"the labels of {field} and covariance differ",
        )
    cov = cov.loc[mu.index, mu.index]
    return mu, cov


def finite_float(value: Any, field: str, fix: str, *, minimum: float | None = None, strict: bool = False) -> float:
    """A finite real number, optionally ``>= minimum`` (``> minimum`` when ``strict``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(field, value, fix, detail="expected a number")
    number = float(value)
    if not np.isfinite(number):
        raise ValidationError(field, value, fix, detail="must be finite")
    if minimum is not None and (number <= minimum if strict else number < minimum):
        raise ValidationError(field, value, fix, detail=f"must be {'>' if strict else '>='} {minimum}")
    return number
