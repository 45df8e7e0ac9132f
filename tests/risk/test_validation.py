"""Every bad input raises ValidationError naming the field, the value and the fix.

One test per rule; each asserts the field attribute and that the field name appears in
the message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantlib_local import risk
from quantlib_local.exceptions import QuantLabError, ValidationError

INDEX = pd.bdate_range("2024-01-01", periods=20)
GOOD = pd.Series(np.linspace(-0.02, 0.02, 20), index=INDEX, name="good")


def raises_on(field: str, call: Callable[[], Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    error = info.value
    assert error.field == field
    assert field in str(error)
    assert "Fix:" in str(error)
    return error


def test_errors_are_quantlab_and_value_errors() -> None:
    error = raises_on("returns", lambda: risk.sharpe_ratio([0.01, 0.02]))  # type: ignore[arg-type]
    assert isinstance(error, QuantLabError) and isinstance(error, ValueError)


def test_returns_must_be_a_series_or_frame() -> None:
    raises_on("returns", lambda: risk.max_drawdown([0.01, -0.02]))  # type: ignore[arg-type]


def test_returns_must_be_numeric() -> None:
    raises_on("returns", lambda: risk.max_drawdown(pd.Series(["1%", "2%"], index=INDEX[:2])))


def test_returns_bool_is_not_numeric() -> None:
    raises_on("returns", lambda: risk.win_rate(pd.Series([True, False])))


def test_non_numeric_column_is_named() -> None:
    frame = pd.DataFrame({"ok": GOOD, "text": "x"})
    error = raises_on("returns['text']", lambda: risk.max_drawdown(frame))
    assert error.value == str(frame.dtypes["text"])


def test_returns_must_not_be_empty() -> None:
    raises_on("returns", lambda: risk.max_drawdown(pd.Series([], dtype=float)))


def test_returns_must_not_be_all_nan() -> None:
    raises_on("returns", lambda: risk.max_drawdown(pd.Series([np.nan, np.nan], index=INDEX[:2])))


def test_all_nan_column_is_named() -> None:
    frame = pd.DataFrame({"ok": GOOD, "empty": np.nan})
    raises_on("returns['empty']", lambda: risk.sharpe_ratio(frame))


def test_returns_must_be_finite() -> None:
    raises_on("returns", lambda: risk.annual_volatility(pd.Series([0.01, np.inf], index=INDEX[:2])))


def test_duplicate_columns_are_refused() -> None:
    frame = pd.concat([GOOD, GOOD], axis=1)
    raises_on("returns", lambda: risk.max_drawdown(frame))


def test_unsorted_index_is_refused() -> None:
    raises_on("returns.index", lambda: risk.max_drawdown(GOOD.iloc[::-1]))


def test_duplicate_timestamps_are_refused() -> None:
    doubled = pd.concat([GOOD.iloc[:3], GOOD.iloc[2:5]])
    raises_on("returns.index", lambda: risk.max_drawdown(doubled))


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1, float("nan"), True, "0.95"])
def test_confidence_must_be_inside_zero_one(confidence: Any) -> None:
    raises_on("confidence", lambda: risk.value_at_risk(GOOD, confidence))
    raises_on("confidence", lambda: risk.conditional_value_at_risk(GOOD, confidence))


@pytest.mark.parametrize("tail_probability", [0.0, 1.0, 2.0])
def test_tail_probability_must_be_inside_zero_one(tail_probability: float) -> None:
    raises_on("tail_probability", lambda: risk.tail_ratio(GOOD, tail_probability))


def test_var_method_must_be_known() -> None:
    raises_on("method", lambda: risk.value_at_risk(GOOD, 0.95, "montecarlo"))  # type: ignore[arg-type]


def test_cvar_method_must_be_known() -> None:
    raises_on("method", lambda: risk.conditional_value_at_risk(GOOD, 0.95, "cornish_fisher"))  # type: ignore[arg-type]


@pytest.mark.parametrize("periods", [0, -252, float("nan"), float("inf"), "252", True])
def test_periods_per_year_must_be_positive_and_finite(periods: Any) -> None:
    raises_on("periods_per_year", lambda: risk.sharpe_ratio(GOOD, periods_per_year=periods))


def test_periods_per_year_cannot_be_inferred_without_datetime_index() -> None:
    raises_on("periods_per_year", lambda: risk.annual_return(pd.Series([0.01, 0.02])))


@pytest.mark.parametrize("rate", [-1.0, -2.0, float("nan"), None])
def test_risk_free_rate_must_be_an_annual_rate_above_minus_one(rate: Any) -> None:
    raises_on("risk_free_rate", lambda: risk.sharpe_ratio(GOOD, risk_free_rate=rate))


def test_minimum_acceptable_return_must_be_an_annual_rate() -> None:
    raises_on("minimum_acceptable_return", lambda: risk.sortino_ratio(GOOD, minimum_acceptable_return=-1.5))


def test_benchmark_without_common_timestamps() -> None:
    elsewhere = pd.Series(0.01, index=pd.bdate_range("2010-01-01", periods=20))
    error = raises_on("benchmark", lambda: risk.beta(GOOD, elsewhere))
    assert "no timestamp in common" in str(error)


def test_benchmark_in_another_time_zone_has_no_common_timestamps() -> None:
    utc = pd.Series(0.01, index=INDEX.tz_localize("UTC"))
    raises_on("benchmark", lambda: risk.alpha(GOOD, utc))


def test_benchmark_must_be_a_series() -> None:
    raises_on("benchmark", lambda: risk.beta(GOOD, [0.01] * 20))  # type: ignore[arg-type]


def test_benchmark_values_are_checked_too() -> None:
    raises_on("benchmark", lambda: risk.beta(GOOD, pd.Series(np.nan, index=INDEX)))


@pytest.mark.parametrize("p", [-0.1, 1.1, float("nan")])
def test_kelly_probability_in_zero_one(p: float) -> None:
    raises_on("win_probability", lambda: risk.kelly_fraction(p, 1.0))


@pytest.mark.parametrize("b", [0.0, -1.0, float("inf")])
def test_kelly_payoff_ratio_positive(b: float) -> None:
    raises_on("payoff_ratio", lambda: risk.kelly_fraction(0.6, b))


@pytest.mark.parametrize("multiplier", [0.0, -0.25, 1.5])
def test_kelly_multiplier_in_zero_one(multiplier: float) -> None:
    raises_on("multiplier", lambda: risk.fractional_kelly(0.6, 1.0, multiplier))
    raises_on("multiplier", lambda: risk.kelly_fraction_from_returns(GOOD, multiplier))


def test_summary_kelly_multiplier_is_checked() -> None:
    raises_on("kelly_multiplier", lambda: risk.performance_summary(GOOD, kelly_multiplier=2.0))


def test_summary_takes_one_series() -> None:
    error = raises_on("returns", lambda: risk.performance_summary(GOOD.to_frame()))
    assert "performance_table" in str(error)


def test_calendar_must_be_known() -> None:
    raises_on("calendar", lambda: risk.periods_per_year("1D", calendar="weekdays"))  # type: ignore[arg-type]


def test_daily_frequency_string_needs_a_calendar() -> None:
    raises_on("calendar", lambda: risk.periods_per_year("1D"))


def test_index_that_never_spans_a_weekend_needs_a_calendar() -> None:
    index = pd.date_range("2024-01-02", periods=48, freq="h")  # Tuesday-Wednesday
    raises_on("calendar", lambda: risk.periods_per_year(index))


def test_business_days_contradict_a_24_7_calendar() -> None:
    raises_on("calendar", lambda: risk.periods_per_year("B", calendar="24/7"))


def test_frequency_string_must_parse() -> None:
    raises_on("index_or_freq", lambda: risk.periods_per_year("fortnightly", calendar="24/7"))


def test_index_needs_two_timestamps() -> None:
    raises_on("index_or_freq", lambda: risk.periods_per_year(INDEX[:1]))


def test_frequency_must_be_a_supported_type() -> None:
    raises_on("index_or_freq", lambda: risk.periods_per_year(5))  # type: ignore[arg-type]
