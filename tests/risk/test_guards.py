"""Risk guards: each measured figure equals the package's own metric, verdicts switch at the limits."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from quantlib_local import risk
from quantlib_local.core import GuardCheck, GuardStatus
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import GUARD_NAMES, RiskLimits, check_guards, guard_status, worst_status


def _equity(values, start="2024-03-01 00:00", freq="h") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq=freq, tz="UTC"), dtype=float)


def _by_name(checks: list[GuardCheck]) -> dict[str, GuardCheck]:
    return {check.guard: check for check in checks}


def test_one_check_per_guard_in_order_stamped_with_the_last_bar():
    curve = _equity(100_000 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.002, 60))))
    checks = check_guards(curve)
    assert [check.guard for check in checks] == list(GUARD_NAMES)
    assert all(check.checked_at == curve.index[-1].to_pydatetime() for check in checks)


def test_drawdown_guard_measures_the_fall_from_the_peak():
    # peak 110 then 99: drawdown 1 - 99/110 = 0.1 -> over the 0.08 limit of appendix A
    checks = _by_name(check_guards(_equity([100.0, 110.0, 104.0, 99.0])))
    assert checks["max_drawdown"].value == pytest.approx(0.1)
    assert checks["max_drawdown"].status is GuardStatus.TRIPPED
    assert checks["max_drawdown"].limit == 0.08


def test_drawdown_value_equals_the_package_drawdown_series_on_real_prices(shared_data):
    prices = pd.read_csv(shared_data / "spy_prices.csv", index_col=0, parse_dates=True).iloc[:, 0].dropna()
    curve = pd.Series(prices.to_numpy()[:800], index=pd.date_range("2000-01-03", periods=800, freq="D", tz="UTC"))
    expected = -float(risk.drawdown_series(curve.pct_change().fillna(0.0)).iloc[-1])
    assert _by_name(check_guards(curve))["max_drawdown"].value == pytest.approx(expected, abs=1e-15)
    assert expected == pytest.approx(1.0 - curve.iloc[-1] / curve.max(), rel=1e-12)


def test_position_guard_uses_the_largest_absolute_value_over_equity():
    curve = _equity([100_000.0, 100_000.0])
    checks = _by_name(check_guards(curve, {"A": 4_000.0, "B": -9_000.0, "C": 1_000.0}))
    assert checks["max_position"].value == pytest.approx(0.09)
    assert checks["max_position"].status is GuardStatus.WARNING  # 0.09 >= 0.8 * 0.1
    assert _by_name(check_guards(curve))["max_position"].value == 0.0
    assert _by_name(check_guards(curve, pd.Series({"A": 10_000.0})))["max_position"].status is GuardStatus.TRIPPED


def test_var_guard_equals_historical_var_of_the_latest_window_and_waits_for_history():
    rng = np.random.default_rng(4)
    curve = _equity(1e6 * np.cumprod(1 + rng.normal(0, 0.01, 400)))
    limits = RiskLimits(var_window=100, min_var_observations=50)
    expected = risk.value_at_risk(curve.pct_change().dropna().iloc[-100:], 0.95)
    assert _by_name(check_guards(curve, limits=limits))["value_at_risk"].value == pytest.approx(expected, rel=1e-12)
    short = _by_name(check_guards(curve.iloc[:50], limits=limits))["value_at_risk"]
    assert short.value is None and short.status is GuardStatus.OK and "not enough history" in short.message


def test_daily_loss_counts_from_the_last_snapshot_before_midnight():
    curve = _equity([100.0, 105.0, 104.0, 101.0], start="2024-03-01 22:00")  # 22:00, 23:00 | 00:00, 01:00
    check = _by_name(check_guards(curve))["daily_loss"]
    assert check.value == pytest.approx(1.0 - 101.0 / 105.0)  # 3.8 % > 3 %
    assert check.status is GuardStatus.TRIPPED
    gain = _equity([100.0, 99.0, 101.0], start="2024-03-01 23:00")
    assert _by_name(check_guards(gain))["daily_loss"].value == 0.0


def test_first_bar_of_history_is_ok_with_no_value():
    checks = _by_name(check_guards(_equity([100.0])))
    assert checks["max_drawdown"].value is None and checks["daily_loss"].value is None
    assert worst_status(checks.values()) is GuardStatus.OK


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "ok"), (0.0, "ok"), (0.0799, "warning"), (0.064, "warning"), (0.0639, "ok"), (0.08, "tripped"), (0.2, "tripped")],
)
def test_status_boundaries(value, expected):
    assert guard_status(value, 0.08, 0.8).value == expected


def test_worst_status_and_custom_limits():
    curve = _equity([100.0, 110.0, 104.0])  # drawdown 5.45 %
    assert _by_name(check_guards(curve))["max_drawdown"].status is GuardStatus.OK
    loose = _by_name(check_guards(curve, limits=RiskLimits(max_drawdown=0.06)))
    assert loose["max_drawdown"].status is GuardStatus.WARNING
    assert worst_status(check_guards(curve, limits=RiskLimits(max_drawdown=0.05))) is GuardStatus.TRIPPED
    assert worst_status([]) is GuardStatus.OK


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_drawdown": 0.0}, "max_drawdown"),
        ({"max_drawdown": 1.5}, "max_drawdown"),
        ({"max_position_fraction": -0.1}, "max_position_fraction"),
        ({"var_confidence": 1.0}, "var_confidence"),
        ({"min_var_observations": 5}, "min_var_observations"),
        ({"var_window": 20}, "var_window"),
        ({"warning_fraction": 0.0}, "warning_fraction"),
        ({"max_daily_loss": float("nan")}, "max_daily_loss"),
    ],
)
def test_bad_limits_name_the_field(changes, field):
    with pytest.raises(ValidationError) as caught:
        RiskLimits(**changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("equity", "kwargs", "field"),
    [
        ([100.0], {}, None),
        (pd.Series([1.0, 2.0]), {}, "equity.index"),
        (pd.Series([100.0, -1.0], index=pd.date_range("2024", periods=2, tz="UTC")), {}, "equity"),
        (pd.Series([100.0, 99.0], index=pd.date_range("2024", periods=2, tz="UTC")[::-1]), {}, "equity.index"),
        (None, {"position_values": {"A": float("inf")}}, "position_values['A']"),
        (None, {"position_values": [1.0]}, "position_values"),
        (None, {"checked_at": datetime(2024, 1, 1)}, "checked_at"),
        (None, {"limits": {"max_drawdown": 0.1}}, "limits"),
    ],
)
def test_bad_input_names_the_field(equity, kwargs, field):
    curve = _equity([100.0, 101.0]) if equity is None else equity
    with pytest.raises(ValidationError) as caught:
        check_guards(curve, **kwargs)
    assert caught.value.field == (field or "equity")


def test_checked_at_is_converted_to_utc():
    when = datetime(2024, 3, 1, 12, tzinfo=timezone.utc)
    assert check_guards(_equity([100.0, 101.0]), checked_at=when)[0].checked_at == when
