"""Risk-guard checks: the record a guard leaves each time it looks at an account.

A guard (``quantlib_local.risk.guards``) compares one measured figure with its limit and
says ``ok``, ``warning`` (close to the limit) or ``tripped`` (over it: the runner must stop
opening risk). The same :class:`GuardCheck` is produced by the backtest, the paper runner
and the live runner, stored in the ``guard_checks`` table and shown by the live monitor.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from quantlib_local.core.orders import _enum, _require_utc
from quantlib_local.exceptions import ValidationError


class GuardStatus(str, Enum):
    """Outcome of one guard check, in increasing severity."""

    OK = "ok"
    WARNING = "warning"
    TRIPPED = "tripped"

    @property
    def severity(self) -> int:
        """0 for ok, 1 for warning, 2 for tripped (for sorting and the worst of several)."""
        return _SEVERITY[self]


_SEVERITY = {GuardStatus.OK: 0, GuardStatus.WARNING: 1, GuardStatus.TRIPPED: 2}


@dataclass(frozen=True, slots=True)
class GuardCheck:
    """One guard's verdict at one time.

    Attributes
    ----------
    guard
        The guard's name, e.g. ``"max_drawdown"``.
    status
        :class:`GuardStatus` (strings such as ``"tripped"`` are accepted).
    value
        The measured figure, in the guard's units (e.g. 0.052 for a 5.2 % drawdown); None
        when it could not be measured yet (too little history).
    limit
        The configured limit, same units.
    checked_at
        UTC time of the check.
    message
        One line for a person: what was measured against what.
    """

    guard: str
    status: GuardStatus
    value: float | None
    limit: float
    checked_at: datetime
    message: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.guard, str) or not self.guard.strip():
            raise ValidationError("guard", self.guard, "name the guard, e.g. 'max_drawdown'")
        object.__setattr__(self, "status", _enum(GuardStatus, "status", self.status))
        if self.value is not None:
            object.__setattr__(self, "value", _finite("value", self.value))
        object.__setattr__(self, "limit", _finite("limit", self.limit))
        if not isinstance(self.checked_at, datetime):
            raise ValidationError("checked_at", self.checked_at, "pass a timezone-aware UTC datetime")
        _require_utc("checked_at", self.checked_at)
        if not isinstance(self.message, str):
            raise ValidationError("message", self.message, "pass the message as a string")


def _finite(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValidationError(field, value, "give a finite number")
    return float(value)
