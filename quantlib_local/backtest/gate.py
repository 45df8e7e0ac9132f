"""The promotion gate: out-of-sample results and overfitting statistics against thresholds.

Defaults come from the design's table 1 (Sharpe 2.5, max drawdown -8 %, Sortino 3.0,
win rate 65 %, Calmar 1.9; annual return 15 % and beta 0.3 are available but off by
default) plus two overfitting checks no anchor tool ships: a deflated Sharpe ratio of at
least 0.95 and a probability of backtest overfitting of at most 0.5. Every threshold is
configurable (``gate:`` in qlab.yaml, ``QLAB_GATE__MIN_SHARPE``, or CLI flags); None
switches a check off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from quantlib_local.exceptions import ValidationError

# threshold field -> (metric name, comparison, label)
_CHECKS: dict[str, tuple[str, str, str]] = {
    "min_sharpe": ("sharpe_ratio", ">=", "Sharpe ratio"),
    "max_drawdown": ("max_drawdown", "drawdown", "max drawdown"),
    "min_sortino": ("sortino_ratio", ">=", "Sortino ratio"),
    "min_win_rate": ("win_rate", ">=", "win rate"),
    "min_calmar": ("calmar_ratio", ">=", "Calmar ratio"),
    "min_annual_return": ("annual_return", ">=", "annual return"),
    "max_abs_beta": ("beta", "abs<=", "|beta|"),
    "min_deflated_sharpe": ("deflated_sharpe", ">=", "deflated Sharpe ratio"),
    "max_pbo": ("pbo", "<=", "probability of backtest overfitting"),
    "min_trades": ("n_trades", ">=", "out-of-sample trades"),
}


@dataclass(frozen=True)
class GateThresholds:
    """Thresholds of the promotion gate (None: not checked).

    ``max_drawdown`` is a positive magnitude: 0.08 fails any drawdown deeper than -8 %.
    """

    min_sharpe: float | None = 2.5
    max_drawdown: float | None = 0.08
    min_sortino: float | None = 3.0
    min_win_rate: float | None = 0.65
    min_calmar: float | None = 1.9
    min_annual_return: float | None = None
    max_abs_beta: float | None = None
    min_deflated_sharpe: float | None = 0.95
    max_pbo: float | None = 0.5
    min_trades: float | None = 10

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValidationError(f"gate.{item.name}", value, "give a finite number, or None to skip the check")
        for name in ("max_drawdown", "min_win_rate", "min_deflated_sharpe", "max_pbo"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValidationError(f"gate.{name}", value, "give a fraction between 0 and 1")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> GateThresholds:
        """Defaults overridden by ``values``; unknown names are refused."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValidationError("gate", unknown[0], f"use only {sorted(cls.__dataclass_fields__)}")
        return cls(**values)

    def to_dict(self) -> dict[str, float | None]:
        """Plain dict of every threshold."""
        return asdict(self)


@dataclass(frozen=True)
class GateCheck:
    """One threshold: the value measured, the bar it had to clear, and by how much it missed."""

    name: str
    label: str
    value: float | None
    threshold: float
    passed: bool
    shortfall: float

    def describe(self) -> str:
        """One line such as ``Sharpe ratio 1.20 < 2.50 (short by 1.30)``."""
        shown = "missing" if self.value is None or not math.isfinite(self.value) else f"{self.value:.4g}"
        if self.passed:
            return f"{self.label} {shown} passes {self.name}={self.threshold:g}"
        return f"{self.label} {shown} fails {self.name}={self.threshold:g} (short by {self.shortfall:.4g})"


@dataclass(frozen=True)
class GateVerdict:
    """Every check and the overall verdict."""

    checks: tuple[GateCheck, ...]

    @property
    def passed(self) -> bool:
        """True when every enabled check passed."""
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[GateCheck]:
        """The checks that failed."""
        return [check for check in self.checks if not check.passed]

    def report(self) -> str:
        """Multi-line report: verdict, then one line per check."""
        head = "PASSED" if self.passed else f"FAILED ({len(self.failures)} of {len(self.checks)} checks)"
        return "\n".join([f"promotion gate {head}", *("  " + check.describe() for check in self.checks)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready verdict."""
        return {"passed": self.passed, "checks": [asdict(check) for check in self.checks]}


def evaluate_gate(metrics: Mapping[str, float | None], thresholds: GateThresholds | None = None) -> GateVerdict:
    """Compare ``metrics`` (out-of-sample metrics plus ``deflated_sharpe`` and ``pbo``) with ``thresholds``.

    A metric that is missing or not finite fails its check.
    """
    thresholds = thresholds or GateThresholds()
    checks = []
    for name, (metric, comparison, label) in _CHECKS.items():
        threshold = getattr(thresholds, name)
        if threshold is None:
            continue
        raw = metrics.get(metric)
        value = None if raw is None else float(raw)
        if value is None or not math.isfinite(value):
            checks.append(GateCheck(name, label, value, threshold, False, math.inf))
            continue
        if comparison == ">=":
            shortfall = threshold - value
        elif comparison == "<=":
            shortfall = value - threshold
        elif comparison == "abs<=":
            shortfall = abs(value) - threshold
        else:  # drawdown: a non-positive decimal against a positive magnitude
            shortfall = -value - threshold
        checks.append(GateCheck(name, label, value, threshold, shortfall <= 0, max(shortfall, 0.0)))
    return GateVerdict(tuple(checks))
