"""Input checks and coercion shared by every risk metric.

Hand-written because every public metric promises the same contract: a pandas Series
(one asset) or a wide DataFrame (one column per asset) of simple decimal returns, NaN
meaning "no observation" (for example before a listing), and a
:class:`~quantlib_local.exceptions.ValidationError` naming the field, the value and the
fix for anything else. Centralising it keeps the metric modules pure arithmetic on a
``(n_bars, n_columns)`` float64 block.

NaN policy: a NaN is a missing bar and is dropped per column. Every statistic of a
column equals the statistic of ``column.dropna()``; drawdown arithmetic carries the
wealth level across a missing bar unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from numbers import Real
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError

MetricValue: TypeAlias = float | pd.Series
"""A float for Series input, a Series (one value per column) for DataFrame input."""


@dataclass(frozen=True)
class ReturnsBlock:
    """Returns as a 2-D float64 block plus what is needed to shape the answer.

    Attributes
    ----------
    values
        ``(n_bars, n_columns)`` float64 array; NaN marks a missing bar.
    index
        Row labels (timestamps for time series).
    columns
        Column labels; a single-element index holding the Series name for Series input.
    is_series
        True when the caller passed a Series (answers are floats, not Series).
    missing
        Boolean NaN mask of ``values`` (computed once, reused by every statistic).
    """

    values: Float64Array
    index: pd.Index
    columns: pd.Index
    is_series: bool
    missing: np.ndarray

    def shape_answer(self, per_column: np.ndarray, name: str) -> MetricValue:
        """Return a float for Series input, else a Series indexed by the columns."""
        per_column = np.asarray(per_column, dtype=np.float64)
        if self.is_series:
            return float(per_column[0])
        return pd.Series(per_column, index=self.columns, name=name)

    def shape_like_input(self, block: Float64Array) -> pd.Series | pd.DataFrame:
        """Return a ``(n_bars, n_columns)`` block shaped like the input (Series or DataFrame)."""
        if self.is_series:
            return pd.Series(block[:, 0], index=self.index, name=self.columns[0])
        return pd.DataFrame(block, index=self.index, columns=self.columns)


def describe(value: Any) -> str:
    """Short description of a container for error messages (never its full repr)."""
    if isinstance(value, pd.DataFrame):
        return f"DataFrame(shape={value.shape})"
    if isinstance(value, pd.Series):
        return f"Series(len={len(value)}, dtype={value.dtype})"
    if isinstance(value, np.ndarray):
        return f"ndarray(shape={value.shape}, dtype={value.dtype})"
    return f"{type(value).__name__}"


def _column_field(field: str, block_is_series: bool, column: Hashable) -> str:
    return field if block_is_series else f"{field}[{column!r}]"


def coerce_returns(returns: Any, field: str = "returns") -> ReturnsBlock:
    """Check a returns container and turn it into a :class:`ReturnsBlock`.

    Parameters
    ----------
    returns
        Series or DataFrame of simple decimal returns. A 1-D or 2-D NumPy array is
        accepted too (with a default integer index, so ``periods_per_year`` must then be
        given explicitly).
    field
        Name used in error messages.

    Raises
    ------
    ValidationError
        When the input is not a Series/DataFrame/array, is empty, has duplicate column
        labels, holds non-numeric or infinite values, has a column that is entirely NaN,
        or has a datetime index that is unsorted or has duplicates.
    """
    if isinstance(returns, np.ndarray) and returns.ndim in (1, 2):
        returns = pd.Series(returns) if returns.ndim == 1 else pd.DataFrame(returns, copy=False)  # no transpose-copy
    if isinstance(returns, pd.Series):
        frame = returns.to_frame(name=returns.name)
        is_series = True
    elif isinstance(returns, pd.DataFrame):
        frame = returns
        is_series = False
    else:
        raise ValidationError(
            field,
            describe(returns),
            "pass a pandas Series (one asset) or DataFrame (one column per asset) of simple decimal returns",
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValidationError(field, describe(returns), "pass at least one bar of returns", detail="it is empty")
    if not is_series and frame.columns.has_duplicates:
        duplicated = list(frame.columns[frame.columns.duplicated()].unique())
        raise ValidationError(
            field, describe(returns), "give every column a unique label", detail=f"duplicate columns {duplicated}"
        )
    numeric = {
        dtype: pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        for dtype in set(frame.dtypes)
    }
    for position, dtype in enumerate(frame.dtypes):
        if not numeric[dtype]:
            column = frame.columns[position]
            raise ValidationError(
                _column_field(field, is_series, column),
                str(dtype),
                "convert the returns to float, e.g. with pd.to_numeric(..., errors='coerce')",
                detail="returns must be numeric",
            )
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    missing = np.isnan(values)
    if np.isinf(values).any():
        column = frame.columns[int(np.flatnonzero(np.isinf(values).any(axis=0))[0])]
        raise ValidationError(
            _column_field(field, is_series, column),
            "inf",
            "replace infinite returns (usually a division by a zero price) with NaN or drop them",
            detail="returns contain infinite values",
        )
    all_missing = missing.all(axis=0)
    if all_missing.any():
        column = frame.columns[int(np.flatnonzero(all_missing)[0])]
        raise ValidationError(
            _column_field(field, is_series, column),
            "all NaN",
            "pass at least one observed (non-NaN) return per column, or drop the empty column",
        )
    index = frame.index
    if isinstance(index, pd.DatetimeIndex):
        if index.has_duplicates:
            raise ValidationError(
                f"{field}.index",
                str(index[index.duplicated()][0]),
                "remove duplicate timestamps (e.g. returns[~returns.index.duplicated()])",
                detail="duplicate timestamp",
            )
        if not index.is_monotonic_increasing:
            raise ValidationError(
                f"{field}.index", "unsorted", "sort the returns by time with .sort_index()", detail="timestamps must increase"
            )
    return ReturnsBlock(values=values, index=index, columns=frame.columns, is_series=is_series, missing=missing)


def check_real(value: Any, field: str, fix: str) -> float:
    """Return ``value`` as a finite float, or raise naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(field, value, fix, detail="expected a real number")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(field, value, fix, detail="expected a finite number")
    return number


def check_open_unit_interval(value: Any, field: str, example: str) -> float:
    """Check ``0 < value < 1`` (a confidence level or tail probability)."""
    fix = f"pass a number strictly between 0 and 1, e.g. {example}"
    number = check_real(value, field, fix)
    if not 0.0 < number < 1.0:
        raise ValidationError(field, value, fix)
    return number


def check_annual_rate(value: Any, field: str) -> float:
    """Check an annualised decimal rate: finite and above -100 %."""
    fix = "pass an annualised decimal rate above -1, e.g. 0.04 for 4 % a year"
    number = check_real(value, field, fix)
    if number <= -1.0:
        raise ValidationError(field, value, fix)
    return number


def per_period_rate(annual_rate: float, periods_per_year: float) -> float:
    """Geometric de-annualisation: ``(1 + annual_rate) ** (1 / periods_per_year) - 1``."""
    return float(np.expm1(np.log1p(annual_rate) / periods_per_year))
