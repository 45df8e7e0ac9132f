"""One test per input rule: each bad input raises ValidationError naming the field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.exceptions import ValidationError
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

PRICES = pd.Series(np.linspace(100.0, 120.0, 50), name="AAA")

WINDOW_FUNCTIONS = {
    "sma": (lambda window: sma(PRICES, window), 1),
    "ema": (lambda window: ema(PRICES, window), 1),
    "rsi": (lambda window: rsi(PRICES, window), 2),
    "bollinger_bands": (lambda window: bollinger_bands(PRICES, window), 2),
    "atr": (lambda window: atr(PRICES + 1, PRICES - 1, PRICES, window), 1),
    "rolling_zscore": (lambda window: rolling_zscore(PRICES, window), 2),
}


def _raises(field: str, call, *fragments: str) -> ValidationError:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    assert error.field == field
    message = str(error)
    assert message.startswith(f"{field}=") and "Fix:" in message
    for fragment in fragments:
        assert fragment in message
    return error


@pytest.mark.parametrize("name", WINDOW_FUNCTIONS)
def test_window_below_minimum_is_refused(name: str) -> None:
    compute, minimum = WINDOW_FUNCTIONS[name]
    _raises("window", lambda: compute(minimum - 1), str(minimum - 1), f">= {minimum}")
    compute(minimum)  # the minimum itself is accepted


@pytest.mark.parametrize("name", WINDOW_FUNCTIONS)
@pytest.mark.parametrize("window", [14.0, "14", True, None])
def test_window_that_is_not_an_int_is_refused(name: str, window: object) -> None:
    compute, _ = WINDOW_FUNCTIONS[name]
    _raises("window", lambda: compute(window), repr(window))


def test_numpy_integer_window_is_accepted() -> None:
    pd.testing.assert_series_equal(sma(PRICES, np.int64(5)), sma(PRICES, 5))


def test_values_of_an_unsupported_type_are_refused() -> None:
    _raises("values", lambda: sma([1.0, 2.0, 3.0], 2), "list", "pandas Series")


def test_non_numeric_series_is_refused() -> None:
    _raises("values", lambda: sma(pd.Series(["1.0", "2.0", "3.0"], name="AAA"), 2), "non-numeric", "AAA")


def test_non_numeric_frame_column_is_named() -> None:
    frame = pd.DataFrame({"AAA": [1.0, 2.0, 3.0], "ticker": ["x", "y", "z"]})
    _raises("values", lambda: ema(frame, 2), "ticker")


def test_boolean_values_are_refused() -> None:
    _raises("values", lambda: rsi(np.array([True, False, True]), 2), "bool")


def test_array_with_three_dimensions_is_refused() -> None:
    _raises("values", lambda: sma(np.ones((4, 3, 2)), 2), "(4, 3, 2)", "2-D array")


def test_infinite_values_are_refused() -> None:
    prices = PRICES.copy()
    prices.iloc[10] = np.inf
    _raises("values", lambda: sma(prices, 5), "inf", "NaN")


def test_unknown_ema_seed_is_refused() -> None:
    _raises("seed", lambda: ema(PRICES, 5, seed="pandas"), "'pandas'", "seed='first'")  # type: ignore[arg-type]


def test_macd_fast_not_shorter_than_slow_is_refused() -> None:
    _raises("fast", lambda: macd(PRICES, fast=26, slow=12), "26", "slow=12")
    _raises("fast", lambda: macd(PRICES, fast=12, slow=12), "12")


@pytest.mark.parametrize(("field", "kwargs"), [("fast", {"fast": 0}), ("slow", {"slow": 1}), ("signal", {"signal": 0})])
def test_macd_span_below_minimum_is_refused(field: str, kwargs: dict[str, int]) -> None:
    _raises(field, lambda: macd(PRICES, **kwargs))


@pytest.mark.parametrize("num_std", [-1.0, float("nan"), float("inf"), "2", None])
def test_bollinger_num_std_must_be_a_finite_non_negative_number(num_std: object) -> None:
    _raises("num_std", lambda: bollinger_bands(PRICES, 20, num_std))  # type: ignore[arg-type]


@pytest.mark.parametrize("ddof", [-1, 5, 1.0, True])
def test_zscore_ddof_must_be_an_int_below_window(ddof: object) -> None:
    _raises("ddof", lambda: rolling_zscore(PRICES, 5, ddof=ddof))  # type: ignore[arg-type]


@pytest.mark.parametrize("function", [simple_returns, log_returns])
def test_returns_periods_must_be_a_positive_int(function) -> None:  # type: ignore[no-untyped-def]
    _raises("periods", lambda: function(PRICES, 0), ">= 1")
    _raises("periods", lambda: function(PRICES, 1.5))


def test_log_returns_of_a_non_positive_price_are_refused() -> None:
    prices = PRICES.copy()
    prices.iloc[7] = 0.0
    _raises("values", lambda: log_returns(prices), "row 7", "simple_returns")
    simple_returns(prices)  # simple returns of the same prices are defined (inf after the zero)


def test_atr_inputs_of_different_kinds_are_refused() -> None:
    _raises("high", lambda: atr(PRICES.to_numpy() + 1, PRICES - 1, PRICES), "ndarray", "close")


def test_atr_inputs_of_different_shapes_are_refused() -> None:
    _raises("low", lambda: atr(PRICES + 1, PRICES.iloc[:-1] - 1, PRICES), "(49,)", "(50,)")


def test_atr_inputs_with_different_index_are_refused() -> None:
    shifted = (PRICES + 1).set_axis(PRICES.index + 1)
    _raises("high", lambda: atr(shifted, PRICES - 1, PRICES), "reindex")


def test_atr_inputs_with_different_columns_are_refused() -> None:
    close = pd.DataFrame({"AAA": PRICES, "BBB": PRICES})
    high = close[["BBB", "AAA"]] + 1
    _raises("high", lambda: atr(high, close - 1, close), "BBB", "close.columns")


def test_atr_non_numeric_high_is_refused() -> None:
    high = pd.Series(["x"] * len(PRICES), name="AAA")
    _raises("high", lambda: atr(high, PRICES - 1, PRICES), "non-numeric")
