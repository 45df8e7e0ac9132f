"""The market data a strategy decides on: bars (and optional features) in one checked shape.

Strategies accept three shapes and see one: a one-asset OHLCV frame (its symbol is
``"asset"`` unless named), a many-asset frame with ``(field, symbol)`` columns, or a wide
table of closes (timestamp x symbol, as :func:`quantlib_local.data.load_price_table`
returns). Features (sentiment, alternative data) come as a frame on the same index,
with one column per feature (shared by every symbol) or ``(feature, symbol)`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantlib_local.core.bars import FIELD_LEVEL, OHLCV_COLUMNS, SYMBOL_LEVEL
from quantlib_local.exceptions import ValidationError

DEFAULT_SYMBOL = "asset"


@dataclass(frozen=True)
class MarketData:
    """Bars as ``(field, symbol)`` columns plus optional features, on one UTC index.

    Build it with :meth:`from_frames`, which checks the input; strategies read
    :attr:`close` or :meth:`field` as timestamp x symbol frames.
    """

    bars: pd.DataFrame
    features: pd.DataFrame | None = None

    @classmethod
    def from_frames(
        cls,
        bars: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        required_fields: Sequence[str] = ("close",),
        symbol: str = DEFAULT_SYMBOL,
    ) -> MarketData:
        """Check ``bars`` and ``features`` and put them in the many-asset shape.

        Raises
        ------
        ValidationError
            When bars are not a frame, are empty, lack a required field, have a
            non-datetime, unsorted or duplicated index, hold infinities, or when
            features do not share the bars' index.
        """
        if isinstance(bars, MarketData):
            return bars
        if not isinstance(bars, pd.DataFrame):
            raise ValidationError("bars", type(bars).__name__, "pass a pandas DataFrame of bars or closes")
        if bars.empty or bars.shape[1] == 0:
            raise ValidationError("bars", f"{bars.shape[0]} rows x {bars.shape[1]} columns", "pass at least one bar")
        _check_index(bars.index, "bars.index")
        multi = _to_multi_asset(bars, symbol)
        fields = set(multi.columns.get_level_values(FIELD_LEVEL))
        missing = [name for name in required_fields if name not in fields]
        if missing:
            raise ValidationError(
                "bars", sorted(fields), f"this strategy needs the field(s) {missing}; pass OHLCV bars that include them"
            )
        values = multi.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(values).any():
            raise ValidationError("bars", "inf", "replace infinite prices with NaN or drop those bars")
        checked_features = None
        if features is not None:
            checked_features = _check_features(features, multi.index)
        return cls(bars=multi, features=checked_features)

    @property
    def index(self) -> pd.DatetimeIndex:
        """The bar timestamps."""
        return self.bars.index  # type: ignore[return-value]

    @property
    def symbols(self) -> list[str]:
        """Symbols in column order."""
        return list(dict.fromkeys(self.bars.columns.get_level_values(SYMBOL_LEVEL)))

    @property
    def close(self) -> pd.DataFrame:
        """Closes as a timestamp x symbol frame."""
        return self.field("close")

    def field(self, name: str) -> pd.DataFrame:
        """One field (``open``, ``high``, ``low``, ``close``, ``volume``) as timestamp x symbol."""
        if name not in set(self.bars.columns.get_level_values(FIELD_LEVEL)):
            raise ValidationError("field", name, f"use one of {sorted(set(self.bars.columns.get_level_values(0)))}")
        frame = self.bars[name]
        return frame.reindex(columns=self.symbols)

    def has_field(self, name: str) -> bool:
        """True when the bars carry ``name``."""
        return name in set(self.bars.columns.get_level_values(FIELD_LEVEL))

    def feature(self, name: str) -> pd.DataFrame | None:
        """Feature ``name`` as timestamp x symbol (broadcast when shared), or None when absent."""
        if self.features is None:
            return None
        columns = self.features.columns
        if isinstance(columns, pd.MultiIndex):
            if name not in set(columns.get_level_values(0)):
                return None
            return self.features[name].reindex(columns=self.symbols)
        if name not in columns:
            return None
        shared = self.features[name].to_numpy(dtype=float)
        return pd.DataFrame(np.repeat(shared[:, None], len(self.symbols), axis=1), index=self.index, columns=self.symbols)

    def head(self, stop: int) -> MarketData:
        """The first ``stop`` bars (and features): what was known at bar ``stop - 1``."""
        features = None if self.features is None else self.features.iloc[:stop]
        return MarketData(self.bars.iloc[:stop], features)

    def __len__(self) -> int:
        return len(self.bars)


def _check_index(index: pd.Index, field: str) -> None:
    if not isinstance(index, pd.DatetimeIndex):
        raise ValidationError(field, type(index).__name__, "index the bars by a UTC pandas DatetimeIndex")
    if index.has_duplicates:
        raise ValidationError(field, str(index[index.duplicated()][0]), "drop duplicated timestamps")
    if not index.is_monotonic_increasing:
        raise ValidationError(field, "unsorted", "sort the bars by timestamp (frame.sort_index())")


def _to_multi_asset(bars: pd.DataFrame, symbol: str) -> pd.DataFrame:
    if isinstance(bars.columns, pd.MultiIndex):
        if bars.columns.nlevels != 2:
            raise ValidationError("bars.columns", bars.columns.nlevels, "use two column levels (field, symbol)")
        return bars.rename_axis(columns=[FIELD_LEVEL, SYMBOL_LEVEL])
    names = [str(column).lower() for column in bars.columns]
    if "close" in names and set(names) <= set(OHLCV_COLUMNS):
        single = bars.set_axis(names, axis=1)
        columns = pd.MultiIndex.from_product([single.columns, [symbol]], names=[FIELD_LEVEL, SYMBOL_LEVEL])
        return pd.DataFrame(single.to_numpy(dtype=float), index=bars.index, columns=columns)
    if any(name in OHLCV_COLUMNS for name in names):
        raise ValidationError("bars.columns", list(bars.columns), "pass OHLCV columns only, or a table of closes")
    columns = pd.MultiIndex.from_product([["close"], [str(c) for c in bars.columns]], names=[FIELD_LEVEL, SYMBOL_LEVEL])
    return pd.DataFrame(bars.to_numpy(dtype=float, na_value=np.nan), index=bars.index, columns=columns)


def _check_features(features: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    if not isinstance(features, pd.DataFrame):
        raise ValidationError("features", type(features).__name__, "pass a DataFrame on the bars' index, or None")
    if len(features.index) != len(index) or not features.index.equals(index):
        raise ValidationError(
            "features.index",
            f"{len(features.index)} rows",
            f"align features to the {len(index)} bar timestamps first (features.reindex(bars.index))",
        )
    return features
