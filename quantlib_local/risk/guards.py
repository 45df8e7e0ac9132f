"""Risk guards: the account-level limits the paper and live runners check before they add risk.

Each guard measures one figure of the account from its equity curve and open positions and
compares it with a limit of :class:`RiskLimits`:

=================  ==========================================================  =================
guard              measured figure                                             default limit
=================  ==========================================================  =================
``max_drawdown``   fall of the latest equity from its running peak (eq. 11)    0.08 (appendix A)
``max_position``   largest absolute position value / equity                    0.10 (appendix A)
``value_at_risk``  historical one-bar VaR of the equity returns (eq. 9)        0.05 (ours)
``daily_loss``     fall of equity since the last snapshot before the current   0.03 (ours)
                   UTC day began (or the day's first snapshot)
=================  ==========================================================  =================

A guard is ``tripped`` at or above its limit and ``warning`` from ``warning_fraction`` of it;
the runner stops opening risk while any guard is tripped. Until there is enough history
(``min_var_observations`` returns for VaR, two snapshots for the rest) a guard reports ``ok``
with no value. The design gives the drawdown and position limits and the VaR confidence
(appendix A) but no VaR or daily-loss limit: those defaults are our choice, documented here.

Hand-written: the arithmetic is the package's own (:func:`~quantlib_local.risk.drawdown_series`,
:func:`~quantlib_local.risk.value_at_risk`); what is new is the verdict, which no risk library
offers in the shape the runner and the store need. Pure: no clock is read unless ``checked_at``
is omitted, and nothing is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from quantlib_local.core.guards import GuardCheck, GuardStatus
from quantlib_local.exceptions import ValidationError
from quantlib_local.risk._validation import check_open_unit_interval, check_real
from quantlib_local.risk.drawdown import drawdown_series
from quantlib_local.risk.sizing import DEFAULT_MAX_POSITION
from quantlib_local.risk.tail_risk import DEFAULT_CONFIDENCE, value_at_risk

GUARD_NAMES: tuple[str, ...] = ("max_drawdown", "max_position", "value_at_risk", "daily_loss")
"""The guards :func:`check_guards` evaluates, in that order."""


@dataclass(frozen=True)
class RiskLimits:
    """Limits of the risk guards (see the module table for what each measures).

    Parameters
    ----------
    max_drawdown
        Largest tolerated fall from the equity peak, a positive decimal (0.08 = 8 %).
    max_position_fraction
        Largest absolute position value as a fraction of equity (0.1 = 10 %).
    max_value_at_risk
        Largest one-bar historical VaR of the equity returns, a positive decimal.
    var_confidence
        Confidence level of that VaR, in (0, 1).
    var_window
        Latest equity returns used for the VaR (at least ``min_var_observations``).
    min_var_observations
        Returns needed before the VaR guard reports a value (at least 10).
    max_daily_loss
        Largest tolerated fall of equity within the current UTC day, a positive decimal.
    warning_fraction
        Fraction of a limit from which a guard warns, in (0, 1].
    """

    max_drawdown: float = 0.08
    max_position_fraction: float = DEFAULT_MAX_POSITION
    max_value_at_risk: float = 0.05
    var_confidence: float = DEFAULT_CONFIDENCE
    var_window: int = 250
    min_var_observations: int = 30
    max_daily_loss: float = 0.03
    warning_fraction: float = 0.8

    def __post_init__(self) -> None:
        for name in ("max_drawdown", "max_value_at_risk", "max_daily_loss"):
            value = check_real(getattr(self, name), name, f"pass a positive decimal below 1, e.g. {getattr(RiskLimits, name)}")
            if not 0.0 < value < 1.0:
                raise ValidationError(name, value, f"pass a positive decimal below 1, e.g. {getattr(RiskLimits, name)}")
        fraction = check_real(self.max_position_fraction, "max_position_fraction", "pass a positive fraction, e.g. 0.1")
        if not fraction > 0.0:
            raise ValidationError("max_position_fraction", fraction, "pass a positive fraction of equity, e.g. 0.1")
        check_open_unit_interval(self.var_confidence, "var_confidence", "0.95")
        for name, low in (("min_var_observations", 10), ("var_window", self.min_var_observations)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValidationError(name, value, f"use a whole number of returns, at least {low}")
        warning = check_real(self.warning_fraction, "warning_fraction", "pass a fraction in (0, 1], e.g. 0.8")
        if not 0.0 < warning <= 1.0:
            raise ValidationError("warning_fraction", warning, "pass a fraction in (0, 1], e.g. 0.8")


def guard_status(value: float | None, limit: float, warning_fraction: float) -> GuardStatus:
    """Verdict for one measured ``value`` against ``limit``: tripped at or above, warning from the fraction."""
    if value is None:
        return GuardStatus.OK
    if value >= limit:
        return GuardStatus.TRIPPED
    if value >= warning_fraction * limit:
        return GuardStatus.WARNING
    return GuardStatus.OK


def worst_status(checks: Iterable[GuardCheck]) -> GuardStatus:
    """The most severe status among ``checks`` (``ok`` when there are none)."""
    return max((check.status for check in checks), key=lambda status: status.severity, default=GuardStatus.OK)


def check_guards(
    equity: pd.Series,
    position_values: Mapping[str, float] | pd.Series | None = None,
    limits: RiskLimits | None = None,
    *,
    checked_at: datetime | None = None,
) -> list[GuardCheck]:
    """Evaluate every guard of :data:`GUARD_NAMES` on an account.

    Parameters
    ----------
    equity
        Account equity by time (UTC ``DatetimeIndex``, increasing, positive values), up to now.
    position_values
        Market value of each open position in the account currency, signed (shorts
        negative); None or empty when flat.
    limits
        The limits; default :class:`RiskLimits` ().
    checked_at
        Time stamped on the checks (UTC); default the last equity timestamp.

    Returns
    -------
    list of GuardCheck
        One per guard, in the order of :data:`GUARD_NAMES`.

    Raises
    ------
    ValidationError
        For an empty, non-positive, unsorted or non-UTC equity curve, or non-finite position values.
    """
    limits = RiskLimits() if limits is None else limits
    if not isinstance(limits, RiskLimits):
        raise ValidationError("limits", limits, "pass a RiskLimits object or None for the defaults")
    curve = _equity(equity)
    values = _position_values(position_values)
    when = _checked_at(checked_at, curve)
    warn = limits.warning_fraction
    latest = float(curve.iloc[-1])

    drawdown = -float(drawdown_series(curve.pct_change().fillna(0.0)).iloc[-1]) if len(curve) > 1 else None
    largest = max((abs(v) for v in values.values()), default=0.0) / latest
    returns = curve.pct_change().dropna().iloc[-limits.var_window:]
    var = float(value_at_risk(returns, limits.var_confidence)) if len(returns) >= limits.min_var_observations else None
    day_start = _day_open(curve)
    daily_loss = max(0.0, 1.0 - latest / day_start) if len(curve) > 1 else None

    measured = (
        ("max_drawdown", drawdown, limits.max_drawdown, "drawdown from the equity peak"),
        ("max_position", largest, limits.max_position_fraction, "largest position / equity"),
        ("value_at_risk", var, limits.max_value_at_risk,
         f"{limits.var_confidence:.0%} one-bar VaR of {len(returns)} returns"),
        ("daily_loss", daily_loss, limits.max_daily_loss, "loss since the UTC day began"),
    )
    return [
        GuardCheck(name, guard_status(value, limit, warn), value, limit, when, _message(what, value, limit, warn))
        for name, value, limit, what in measured
    ]


def _message(what: str, value: float | None, limit: float, warning_fraction: float) -> str:
    if value is None:
        return f"{what}: not enough history yet (limit {limit:.2%})"
    verdict = guard_status(value, limit, warning_fraction).value
    return f"{what} {value:.2%} against a limit of {limit:.2%}: {verdict}"


def _equity(equity: object) -> pd.Series:
    fix = "pass the account equity as a Series on an increasing UTC DatetimeIndex with positive values"
    if not isinstance(equity, pd.Series) or equity.empty:
        raise ValidationError("equity", type(equity).__name__, fix)
    index = equity.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None or str(index.tz) != "UTC":
        raise ValidationError("equity.index", getattr(index, "dtype", index), fix)
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise ValidationError("equity.index", "not strictly increasing", fix)
    values = equity.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.all(np.isfinite(values)) or np.any(values <= 0.0):
        raise ValidationError("equity", "non-finite or non-positive values", fix)
    return pd.Series(values, index=index)


def _position_values(position_values: Mapping[str, float] | pd.Series | None) -> dict[str, float]:
    if position_values is None:
        return {}
    if not isinstance(position_values, (Mapping, pd.Series)):
        raise ValidationError(
            "position_values", type(position_values).__name__, "pass a mapping of symbol to signed position value"
        )
    clean: dict[str, float] = {}
    for symbol, value in position_values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
            raise ValidationError(f"position_values[{symbol!r}]", value, "give a finite position value")
        clean[str(symbol)] = float(value)
    return clean


def _checked_at(checked_at: datetime | None, curve: pd.Series) -> datetime:
    if checked_at is None:
        return curve.index[-1].to_pydatetime()
    if not isinstance(checked_at, datetime) or checked_at.utcoffset() is None:
        raise ValidationError("checked_at", checked_at, "pass a timezone-aware UTC datetime or None")
    return checked_at.astimezone(timezone.utc)


def _day_open(curve: pd.Series) -> float:
    """Equity when the latest UTC day began: the last snapshot before midnight, else the day's first."""
    midnight = curve.index[-1].normalize()
    before = curve[curve.index < midnight]
    return float(before.iloc[-1]) if len(before) else float(curve[curve.index >= midnight].iloc[0])
