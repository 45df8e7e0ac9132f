"""The promotion gate's thresholds and its report."""

from __future__ import annotations

import math

import pytest

from quantlib_local.backtest import GateThresholds, evaluate_gate
from quantlib_local.exceptions import ValidationError

GOOD = {"sharpe_ratio": 2.6, "max_drawdown": -0.05, "sortino_ratio": 3.5, "win_rate": 0.7, "calmar_ratio": 2.0,
        "deflated_sharpe": 0.97, "pbo": 0.1, "n_trades": 40, "annual_return": 0.2, "beta": 0.1}


def test_defaults_are_the_design_table_1() -> None:
    t = GateThresholds()
    assert (t.min_sharpe, t.max_drawdown, t.min_sortino, t.min_win_rate, t.min_calmar) == (2.5, 0.08, 3.0, 0.65, 1.9)
    assert evaluate_gate(GOOD).passed


def test_each_failure_says_by_how_much() -> None:
    verdict = evaluate_gate({**GOOD, "sharpe_ratio": 1.2, "max_drawdown": -0.11, "pbo": 0.6})
    failed = {check.name: check.shortfall for check in verdict.failures}
    assert failed == pytest.approx({"min_sharpe": 1.3, "max_drawdown": 0.03, "max_pbo": 0.1})
    report = verdict.report()
    assert "FAILED (3 of 8 checks)" in report
    assert "Sharpe ratio 1.2 fails min_sharpe=2.5 (short by 1.3)" in report


def test_missing_metrics_fail_and_none_switches_a_check_off() -> None:
    verdict = evaluate_gate({**GOOD, "deflated_sharpe": None})
    assert [c.name for c in verdict.failures] == ["min_deflated_sharpe"]
    assert verdict.failures[0].shortfall == math.inf
    assert evaluate_gate({**GOOD, "deflated_sharpe": None}, GateThresholds(min_deflated_sharpe=None)).passed
    beta_checked = GateThresholds.from_mapping({"max_abs_beta": 0.05})
    assert [c.name for c in evaluate_gate(GOOD, beta_checked).failures] == ["max_abs_beta"]


def test_bad_thresholds_are_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="gate.max_pbo"):
        GateThresholds(max_pbo=1.5)
    with pytest.raises(ValidationError, match="gate"):
        GateThresholds.from_mapping({"min_sharp": 1.0})
    with pytest.raises(ValidationError, match="gate.min_sharpe"):
        GateThresholds(min_sharpe="high")  # type: ignore[arg-type]
