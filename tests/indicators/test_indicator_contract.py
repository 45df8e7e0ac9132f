"""The contract every indicator keeps, run against each one.

Shape and labels preserved, Series == single-column frame == NumPy, each column computed
on its own from its first valid value, no look-ahead, interior NaN restarts the warm-up,
inputs left untouched, warm-up length as documented.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest

from quantlib_local.indicators import (
    atr,
    bollinger_bands,
    ema,
    log_returns,
    macd,
    rolling_zscore,
    rsi,
    simple_returns,
    sma,
)

from ._reference import outputs_of


class Indicator(NamedTuple):
    name: str
    compute: Callable[[Any], Any]
    warm_up: int  # leading NaN bars of each output on a gap-free column
    restarts_after_gap: bool  # False for returns, whose lag is positional


def _atr_from_close(close: Any) -> Any:
    # Synthetic bars around the close; enough to exercise alignment and the recursion.
    return atr(close * 1.01, close * 0.985, close, 14)


INDICATORS = [
    Indicator("sma", lambda x: sma(x, 10), 9, True),
    Indicator("ema", lambda x: ema(x, 10), 9, True),
    Indicator("ema_seed_first", lambda x: ema(x, 10, seed="first"), 0, True),
    Indicator("rsi", lambda x: rsi(x, 14), 14, True),
    Indicator("macd", lambda x: macd(x, 5, 13, 4), 13 + 4 - 2, True),
    Indicator("bollinger_bands", lambda x: bollinger_bands(x, 10, 2.0), 9, True),
    Indicator("atr", _atr_from_close, 14, True),
    Indicator("rolling_zscore", lambda x: rolling_zscore(x, 10), 9, True),
    Indicator("simple_returns", lambda x: simple_returns(x, 3), 3, False),
    Indicator("log_returns", lambda x: log_returns(x, 3), 3, False),
]
by_name = pytest.mark.parametrize("indicator", INDICATORS, ids=[indicator.name for indicator in INDICATORS])


def _assert_same_values(actual: Any, expected: Any, label: str) -> None:
    np.testing.assert_array_equal(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), err_msg=label)


@by_name
def test_frame_output_keeps_shape_index_and_columns(indicator: Indicator, random_walk_closes: pd.DataFrame) -> None:
    for output in outputs_of(indicator.compute(random_walk_closes)):
        assert isinstance(output, pd.DataFrame)
        assert output.shape == random_walk_closes.shape
        pd.testing.assert_index_equal(output.index, random_walk_closes.index)
        pd.testing.assert_index_equal(output.columns, random_walk_closes.columns)
        assert (output.dtypes == np.float64).all()


@by_name
def test_series_equals_single_column_frame_and_numpy(indicator: Indicator, random_walk_closes: pd.DataFrame) -> None:
    series = random_walk_closes["LATE"]
    from_series = outputs_of(indicator.compute(series))
    from_frame = outputs_of(indicator.compute(random_walk_closes[["LATE"]]))
    from_1d = outputs_of(indicator.compute(series.to_numpy()))
    from_2d = outputs_of(indicator.compute(random_walk_closes.to_numpy()))
    for k, output in enumerate(from_series):
        assert isinstance(output, pd.Series) and output.name == "LATE"
        pd.testing.assert_index_equal(output.index, series.index)
        pd.testing.assert_series_equal(output, from_frame[k]["LATE"])
        assert isinstance(from_1d[k], np.ndarray) and from_1d[k].shape == series.shape
        _assert_same_values(from_1d[k], output, f"{indicator.name} 1-D array, output {k}")
        assert from_2d[k].shape == random_walk_closes.shape
        _assert_same_values(from_2d[k][:, 2], output, f"{indicator.name} 2-D array, output {k}")


@by_name
def test_each_column_starts_at_its_own_first_valid_value(
    indicator: Indicator, random_walk_closes: pd.DataFrame
) -> None:
    wide = outputs_of(indicator.compute(random_walk_closes))
    late = random_walk_closes["LATE"]
    first_valid = int(np.flatnonzero(late.notna())[0])
    alone = outputs_of(indicator.compute(late.iloc[first_valid:].to_numpy()))
    for k, output in enumerate(wide):
        column = output["LATE"].to_numpy()
        assert np.isnan(column[:first_valid]).all()
        _assert_same_values(column[first_valid:], alone[k], f"{indicator.name} output {k}")
        assert np.isnan(column[first_valid : first_valid + indicator.warm_up]).all()
        assert not np.isnan(column[first_valid + indicator.warm_up :]).any()


@by_name
def test_value_at_t_does_not_change_when_later_bars_are_appended(
    indicator: Indicator, random_walk_closes: pd.DataFrame
) -> None:
    full = outputs_of(indicator.compute(random_walk_closes))
    for t in (5, 40, 61, 200, 399):
        truncated = outputs_of(indicator.compute(random_walk_closes.iloc[:t]))
        for k, output in enumerate(truncated):
            pd.testing.assert_frame_equal(output, full[k].iloc[:t], obj=f"{indicator.name} output {k}, first {t} bars")


@by_name
def test_interior_nan(indicator: Indicator, random_walk_closes: pd.DataFrame) -> None:
    gap = 150
    prices = random_walk_closes["AAA"].to_numpy().copy()
    prices[gap] = np.nan
    with_gap = outputs_of(indicator.compute(prices))
    before = outputs_of(indicator.compute(prices[:gap]))
    for k, output in enumerate(with_gap):
        _assert_same_values(output[:gap], before[k], f"{indicator.name} before the gap")
        assert np.isnan(output[gap])
    if indicator.restarts_after_gap:
        # Each run of valid values is its own series: NaN at the gap, a fresh warm-up after it.
        after = outputs_of(indicator.compute(prices[gap + 1 :]))
        for k, output in enumerate(with_gap):
            _assert_same_values(output[gap + 1 :], after[k], f"{indicator.name} after the gap")
    else:
        # Positional lag of 3: NaN at the gap and at the one bar whose lag points at it;
        # the bars in between reach back over the gap.
        for output in with_gap:
            missing = np.flatnonzero(np.isnan(output[gap:])) + gap
            assert missing.tolist() == [gap, gap + 3]


@by_name
def test_inputs_are_not_modified(indicator: Indicator, random_walk_closes: pd.DataFrame) -> None:
    original = random_walk_closes.copy()
    array = random_walk_closes.to_numpy().copy()
    indicator.compute(random_walk_closes)
    indicator.compute(array)
    pd.testing.assert_frame_equal(random_walk_closes, original)
    np.testing.assert_array_equal(array, original.to_numpy())


@by_name
def test_integer_prices_and_empty_frames_are_accepted(indicator: Indicator) -> None:
    integers = pd.DataFrame({"A": np.arange(100, 160), "B": np.arange(200, 260)})
    for output in outputs_of(indicator.compute(integers)):
        assert output.dtypes.eq(np.float64).all() and output.notna().any().all()
    empty = pd.DataFrame(index=pd.RangeIndex(0), columns=pd.Index(["A"]), dtype=float)
    for output in outputs_of(indicator.compute(empty)):
        assert output.shape == (0, 1)
