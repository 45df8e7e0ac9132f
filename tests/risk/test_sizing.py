"""Position sizing (quantlib_local.risk.sizing): volatility targeting and capped fractional Kelly.

Reference values: volatility targeting ``w = target / forecast`` (Moreira & Muir 2017,
"Volatility-managed portfolios", J. Finance 72, eq. 1, with the cap and floor added here);
Kelly ``f = (b p - q) / b`` (design eq. 10; Thorp 2006: an even-money bet won 60 % of the
time has f = 0.2); design appendix A: Kelly fraction 0.25, max position 0.1.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import kelly_fraction_from_returns
from quantlib_local.risk.sizing import (
    DEFAULT_MAX_POSITION,
    kelly_position_size,
    kelly_position_size_from_returns,
    volatility_target_weight,
)

# --- volatility targeting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("forecast", "target", "max_leverage", "floor", "expected"),
    [
        (0.20, 0.10, 1.0, 0.01, 0.5),  # twice the target volatility: half the exposure
        (0.10, 0.10, 1.0, 0.01, 1.0),
        (0.05, 0.10, 1.0, 0.01, 1.0),  # would be 2x, capped at no leverage
        (0.05, 0.10, 3.0, 0.01, 2.0),
        (0.0, 0.10, 50.0, 0.01, 10.0),  # a zero forecast is read as the 1 % floor
        (0.02, 0.10, 50.0, 0.04, 2.5),
    ],
)
def test_volatility_target_weight(forecast, target, max_leverage, floor, expected) -> None:
    weight = volatility_target_weight(forecast, target, max_leverage=max_leverage, volatility_floor=floor)
    assert weight == pytest.approx(expected, rel=1e-15)
    assert isinstance(weight, float)


def test_volatility_target_vectorised_equals_bar_by_bar() -> None:
    forecasts = pd.Series([0.3, 0.15, np.nan, 0.05, 0.0], index=pd.date_range("2024-01-01", periods=5, tz="UTC"))
    weights = volatility_target_weight(forecasts, 0.12, max_leverage=2.0)
    assert weights.index.equals(forecasts.index)
    assert math.isnan(weights.iloc[2])  # no forecast, no weight
    for stamp, forecast in forecasts.dropna().items():
        assert weights[stamp] == volatility_target_weight(float(forecast), 0.12, max_leverage=2.0)


def test_volatility_target_from_a_garch_forecast() -> None:
    from quantlib_local.data import load_bundled
    from quantlib_local.volatility.garch import fit_garch

    returns = load_bundled("sp500")["close"].pct_change().dropna().iloc[-1500:]
    forecast = fit_garch(returns).forecast(1).table["annualised_volatility"].iloc[0]
    weight = volatility_target_weight(forecast, 0.10, max_leverage=2.0)
    assert weight == pytest.approx(min(0.10 / forecast, 2.0), rel=1e-15)


@pytest.mark.parametrize("forecast", [float("nan"), -0.1, float("inf"), "0.2"])
def test_scalar_forecast_must_be_a_finite_volatility(forecast) -> None:
    with pytest.raises(ValidationError, match="^forecast_volatility="):
        volatility_target_weight(forecast, 0.1)


def test_series_forecast_must_not_be_negative() -> None:
    with pytest.raises(ValidationError, match=r"^forecast_volatility\[1\]="):
        volatility_target_weight(pd.Series([0.1, -0.2]), 0.1)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("target_volatility", {"target_volatility": 0.0}),
        ("max_leverage", {"target_volatility": 0.1, "max_leverage": -1.0}),
        ("volatility_floor", {"target_volatility": 0.1, "volatility_floor": 0.0}),
    ],
)
def test_volatility_target_settings_must_be_positive(field, kwargs) -> None:
    with pytest.raises(ValidationError, match=f"^{field}="):
        volatility_target_weight(0.2, **kwargs)


# --- Kelly -------------------------------------------------------------------------------


def test_design_defaults() -> None:
    assert DEFAULT_MAX_POSITION == 0.1  # appendix A: risk.max_position_size


@pytest.mark.parametrize(
    ("p", "b", "multiplier", "expected"),
    [
        (0.6, 1.0, 0.25, 0.05),  # Thorp: full Kelly 0.2, a quarter of it
        (0.6, 1.0, 0.5, 0.1),
        (0.55, 1.0, 1.0, 0.1),  # full Kelly 0.1, exactly the cap
        (0.9, 2.0, 0.25, 0.1),  # quarter Kelly 0.2125, capped at 0.1
        (0.4, 1.0, 0.25, 0.0),  # negative edge: no position
        (0.5, 1.0, 0.25, 0.0),  # no edge
    ],
)
def test_kelly_position_size(p, b, multiplier, expected) -> None:
    assert kelly_position_size(p, b, multiplier=multiplier) == pytest.approx(expected, abs=1e-15)


def test_kelly_position_size_honours_a_custom_cap() -> None:
    assert kelly_position_size(0.9, 2.0, max_position=0.5) == pytest.approx(0.2125, rel=1e-12)


def test_kelly_vectorised_equals_bar_by_bar() -> None:
    p = pd.Series([0.6, 0.9, np.nan, 0.3, 0.52], index=list("abcde"))
    b = pd.Series([1.0, 2.0, 1.5, 1.0, 1.2], index=list("abcde"))
    sizes = kelly_position_size(p, b)
    assert math.isnan(sizes["c"])
    for key in ["a", "b", "d", "e"]:
        assert sizes[key] == kelly_position_size(float(p[key]), float(b[key]))
    pd.testing.assert_series_equal(kelly_position_size(p, 1.5), kelly_position_size(p, pd.Series(1.5, index=p.index)))


@pytest.mark.parametrize(
    ("field", "args", "kwargs"),
    [
        ("win_probability", (1.2, 1.0), {}),
        ("payoff_ratio", (0.6, 0.0), {}),
        ("multiplier", (0.6, 1.0), {"multiplier": 1.5}),
        ("max_position", (0.6, 1.0), {"max_position": 0.0}),
        ("payoff_ratio", (pd.Series([0.6], index=[0]), pd.Series([1.0], index=[1])), {}),
    ],
)
def test_kelly_rejects_bad_input(field, args, kwargs) -> None:
    with pytest.raises(ValidationError, match=f"^{field}="):
        kelly_position_size(*args, **kwargs)


def test_kelly_from_a_return_sample() -> None:
    # Wins +0.02 (x3), losses -0.01 (x2): p = 0.6, b = 2, full Kelly 0.4 (see test_kelly.py);
    # a quarter is 0.1, at the cap; an eighth is 0.05.
    returns = pd.Series([0.02, -0.01, 0.02, 0.0, -0.01, 0.02])
    assert kelly_position_size_from_returns(returns) == pytest.approx(0.1, rel=1e-12)
    assert kelly_position_size_from_returns(returns, multiplier=0.125) == pytest.approx(0.05, rel=1e-12)


def test_kelly_from_returns_without_a_loss_stakes_nothing() -> None:
    assert kelly_position_size_from_returns(pd.Series([0.01, 0.02, 0.03])) == 0.0


def test_rolling_kelly_equals_the_sample_size_of_each_trailing_window() -> None:
    rng = np.random.default_rng(9)
    returns = pd.Series(rng.normal(0.0005, 0.01, 300), index=pd.date_range("2023-01-01", periods=300, tz="UTC"))
    returns.iloc[100] = np.nan
    sizes = kelly_position_size_from_returns(returns, window=60, multiplier=0.5, max_position=0.2)
    assert sizes.index.equals(returns.index)
    observed = returns.dropna()
    assert sizes.loc[: observed.index[58]].isna().all()  # fewer than 60 returns seen
    assert math.isnan(sizes.iloc[100])  # a missing bar gets no size
    for end in (59, 150, 298):
        trailing = observed.iloc[end - 59 : end + 1]
        expected = min(max(kelly_fraction_from_returns(trailing, multiplier=0.5), 0.0), 0.2)
        assert sizes[observed.index[end]] == pytest.approx(expected, rel=1e-12)
        assert sizes[observed.index[end]] == kelly_position_size_from_returns(trailing, multiplier=0.5, max_position=0.2)


@pytest.mark.parametrize("window", [1, 2.5, 1_000])
def test_rolling_kelly_rejects_a_bad_window(window) -> None:
    with pytest.raises(ValidationError, match="^window="):
        kelly_position_size_from_returns(pd.Series([0.01, -0.01] * 20), window=window)


def test_kelly_from_returns_needs_a_series() -> None:
    with pytest.raises(ValidationError, match="^returns="):
        kelly_position_size_from_returns([0.01, -0.01])
