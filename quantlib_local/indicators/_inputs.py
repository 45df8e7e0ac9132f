"""Input checks and shape handling shared by every indicator.

Every indicator accepts one of four shapes and returns the same shape:

* a :class:`pandas.Series` (one asset),
* a wide :class:`pandas.DataFrame` (timestamp x asset, one column per asset),
* a 1-D NumPy array (one asset),
* a 2-D NumPy array (rows are bars, columns are assets).

The numeric kernels all work on one layout, a C-contiguous float64 array of shape
``(n_columns, n_rows)`` ("column blocks"): each asset's history is contiguous in memory,
so a kernel's inner loop over time reads memory in order. :func:`to_column_block`
converts any accepted input to that layout (copying only when it must) and
:func:`from_column_block` wraps a kernel's output back into the caller's shape with the
original index, columns and name.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators._rolling import contains_infinity

logger = logging.getLogger(__name__)

IndicatorInput = TypeVar("IndicatorInput", pd.Series, pd.DataFrame, np.ndarray)
"""The shapes an indicator accepts; each indicator returns the shape it was given."""

_ACCEPTED = "a pandas Series, a wide pandas DataFrame (one column per asset), or a 1-D/2-D numpy array"


@dataclass(frozen=True)
class InputLayout:
    """What is needed to give a kernel's output the caller's shape back.

    Attributes
    ----------
    kind
        ``"series"``, ``"frame"``, ``"array1d"`` or ``"array2d"``.
    index
        Row labels of a Series or DataFrame, else None.
    columns
        Column labels of a DataFrame, else None.
    name
        Name of a Series, else None.
    """

    kind: Literal["series", "frame", "array1d", "array2d"]
    index: pd.Index | None = None
    columns: pd.Index | None = None
    name: Hashable | None = None


def _is_numeric_dtype(dtype: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype)) and not pd.api.types.is_bool_dtype(dtype)


def to_column_block(values: object, field: str = "values") -> tuple[Float64Array, InputLayout]:
    """Convert an accepted input to a C-contiguous ``(n_columns, n_rows)`` float64 array.

    Parameters
    ----------
    values
        A Series, a DataFrame, or a 1-D/2-D numeric NumPy array. NaN marks a missing bar.
    field
        Argument name used in error messages.

    Returns
    -------
    block : numpy.ndarray
        Float64 array of shape ``(n_columns, n_rows)``; a Series or 1-D array gives one row.
    layout : InputLayout
        What :func:`from_column_block` needs to restore the caller's shape.

    Raises
    ------
    ValidationError
        If ``values`` has an unsupported type, a non-numeric (or boolean) dtype, more than
        two dimensions, or contains +/-inf.
    """
    if isinstance(values, pd.Series):
        if not _is_numeric_dtype(values.dtype):
            raise ValidationError(
                field,
                values.dtype,
                "pass numeric prices (float or int); convert with pd.to_numeric(series, errors='coerce')",
                detail=f"Series {values.name!r} has a non-numeric dtype",
            )
        array = values.to_numpy(dtype=np.float64, na_value=np.nan).reshape(1, -1)
        layout = InputLayout("series", index=values.index, name=values.name)
    elif isinstance(values, pd.DataFrame):
        bad = [str(column) for column, dtype in values.dtypes.items() if not _is_numeric_dtype(dtype)]
        if bad:
            raise ValidationError(
                field,
                bad,
                "pass a frame of numeric prices only (one column per asset); "
                "drop or convert the listed columns with pd.to_numeric",
                detail="these columns have a non-numeric dtype",
            )
        # A float64 frame's values are already column-major, so .T below is a free view.
        array = values.to_numpy(dtype=np.float64, na_value=np.nan).T
        layout = InputLayout("frame", index=values.index, columns=values.columns)
    elif isinstance(values, np.ndarray):
        if not _is_numeric_dtype(values.dtype):
            raise ValidationError(
                field, values.dtype, "pass a float or integer array", detail="the array is not numeric"
            )
        if values.ndim == 1:
            array = values.astype(np.float64, copy=False).reshape(1, -1)
            layout = InputLayout("array1d")
        elif values.ndim == 2:
            array = values.astype(np.float64, copy=False).T
            layout = InputLayout("array2d")
        else:
            raise ValidationError(
                field,
                values.shape,
                "pass a 1-D array (one asset) or a 2-D array of shape (bars, assets)",
                detail=f"the array has {values.ndim} dimensions",
            )
    else:
        raise ValidationError(field, type(values).__name__, f"pass {_ACCEPTED}")

    block = np.ascontiguousarray(array)
    if contains_infinity(block):
        raise ValidationError(
            field,
            "inf",
            "replace infinite values with NaN (a missing bar), e.g. values.replace([np.inf, -np.inf], np.nan)",
            detail="the input contains +/-inf",
        )
    logger.debug("%s: %d column(s) x %d bar(s) from a %s", field, block.shape[0], block.shape[1], layout.kind)
    return block, layout


def from_column_block(block: Float64Array, layout: InputLayout) -> Any:
    """Wrap a ``(n_columns, n_rows)`` result in the shape described by ``layout``.

    Parameters
    ----------
    block
        Kernel output with the same shape as the block :func:`to_column_block` produced.
    layout
        The layout returned alongside that block.

    Returns
    -------
    pandas.Series, pandas.DataFrame or numpy.ndarray
        Same kind, index, columns and name as the original input.
    """
    if layout.kind == "series":
        return pd.Series(block[0], index=layout.index, name=layout.name, copy=False)
    if layout.kind == "frame":
        return pd.DataFrame(block.T, index=layout.index, columns=layout.columns, copy=False)
    if layout.kind == "array1d":
        return block[0]
    return block.T


def check_window(value: object, field: str = "window", minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is a whole number of bars ``>= minimum``.

    Parameters
    ----------
    value
        The candidate window length (a Python or NumPy integer; bool is refused).
    field
        Argument name used in error messages.
    minimum
        Smallest allowed value.

    Raises
    ------
    ValidationError
        If ``value`` is not an integer or is below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValidationError(
            field,
            value,
            f"pass a whole number of bars >= {minimum}, e.g. {field}={max(minimum, 14)}",
            detail=f"must be an int, got {type(value).__name__}",
        )
    if value < minimum:
        raise ValidationError(field, value, f"pass a whole number of bars >= {minimum}", detail="too small")
    return int(value)


def check_aligned(
    named_inputs: dict[str, object],
) -> None:
    """Check that several inputs (e.g. high, low, close) share type, shape and labels.

    Parameters
    ----------
    named_inputs
        Argument name -> input, in the order they are reported; the first is the reference.

    Raises
    ------
    ValidationError
        Naming the first input that differs from the reference in type, shape, index or
        columns.
    """
    (reference_name, reference), *others = named_inputs.items()
    for name, other in others:
        if type(other) is not type(reference):
            raise ValidationError(
                name,
                type(other).__name__,
                f"pass {name} as the same kind of object as {reference_name} ({type(reference).__name__})",
            )
        shape_other = getattr(other, "shape", None)
        shape_reference = getattr(reference, "shape", None)
        if shape_other != shape_reference:
            raise ValidationError(
                name,
                shape_other,
                f"pass {name} with the same shape as {reference_name} {shape_reference}",
                detail="shapes differ",
            )
        if isinstance(other, (pd.Series, pd.DataFrame)) and not other.index.equals(
            reference.index  # type: ignore[union-attr]
        ):
            raise ValidationError(
                name,
                f"index of length {len(other.index)} starting {other.index[:1].tolist()}",
                f"align the inputs first, e.g. {name} = {name}.reindex({reference_name}.index)",
                detail=f"its index differs from {reference_name}'s",
            )
        if isinstance(other, pd.DataFrame) and not other.columns.equals(reference.columns):  # type: ignore[union-attr]
            raise ValidationError(
                name,
                list(other.columns)[:10],
                f"use the same columns in the same order, e.g. {name} = {name}[{reference_name}.columns]",
                detail=f"its columns differ from {reference_name}'s",
            )
