"""How a backtest trades: costs, sizing, stops, order type and execution timing.

Every field is checked when the config is built, so a bad value fails before any work.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Union

from quantlib_local.exceptions import ValidationError
from quantlib_local.risk import DEFAULT_KELLY_MULTIPLIER

Execution = Literal["next_open", "next_close"]
OrderKind = Literal["market", "limit"]


def check_number(name: str, value: Any, low: float, high: float, fix: str, *, allow_low: bool = True) -> float:
    """``value`` as a float when it is a finite real in ``[low, high]`` (``(low, high]`` without ``allow_low``).

    Raises
    ------
    ValidationError
        Naming ``name``, the value and ``fix`` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(name, value, fix)
    if value < low or value > high or (not allow_low and value == low):
        raise ValidationError(name, value, fix)
    return float(value)


@dataclass(frozen=True)
class FixedFraction:
    """Each entry spends ``fraction`` of the cash available at that moment."""

    fraction: float = 1.0

    def __post_init__(self) -> None:
        check_number("sizing.fraction", self.fraction, 0.0, 1.0, "use a fraction in (0, 1]", allow_low=False)


@dataclass(frozen=True)
class FractionalKelly:
    """Each entry spends ``multiplier`` x the Kelly fraction (design eq. 10) of available cash.

    The Kelly fraction at an entry is estimated from the win rate and payoff of the
    strategy's own per-bar returns over the ``lookback`` bars before the decision
    (no look-ahead), then capped at ``max_fraction``; entries before ``lookback`` bars
    of history, or with a non-positive edge, are skipped.
    """

    multiplier: float = DEFAULT_KELLY_MULTIPLIER
    lookback: int = 250
    max_fraction: float = 1.0

    def __post_init__(self) -> None:
        check_number("sizing.multiplier", self.multiplier, 0.0, 1.0, "use a Kelly multiplier in (0, 1]", allow_low=False)
        check_number("sizing.lookback", self.lookback, 2, 1e9, "use a lookback of at least 2 bars")
        check_number("sizing.max_fraction", self.max_fraction, 0.0, 1.0, "use a cap in (0, 1]", allow_low=False)


@dataclass(frozen=True)
class VolatilityTargetSizing:
    """Each entry spends ``target_volatility / realised volatility`` of available cash (capped).

    Realised volatility is the annualised standard deviation of the asset's simple
    returns over the ``lookback`` bars up to the decision.
    """

    target_volatility: float = 0.15
    lookback: int = 20
    max_fraction: float = 1.0

    def __post_init__(self) -> None:
        check_number("sizing.target_volatility", self.target_volatility, 0.0, 10.0, "use an annual decimal such as 0.15",
               allow_low=False)
        check_number("sizing.lookback", self.lookback, 2, 1e9, "use a lookback of at least 2 bars")
        check_number("sizing.max_fraction", self.max_fraction, 0.0, 1.0, "use a cap in (0, 1]", allow_low=False)


Sizing = Union[FixedFraction, FractionalKelly, VolatilityTargetSizing]
SIZING_KINDS: dict[str, type] = {
    "fixed_fraction": FixedFraction,
    "fractional_kelly": FractionalKelly,
    "volatility_target": VolatilityTargetSizing,
}


@dataclass(frozen=True)
class BacktestConfig:
    """Costs, sizing, stops and timing of a backtest.

    Parameters
    ----------
    init_cash
        Starting cash. Signal strategies on several assets give each asset
        ``init_cash / n_assets`` unless ``cash_sharing`` is on.
    fees, fixed_fees
        Proportional fee per trade (0.001 = 0.1 %) and a fixed fee per order.
    slippage
        Proportional price penalty on market fills.
    sizing
        :class:`FixedFraction`, :class:`FractionalKelly` or :class:`VolatilityTargetSizing`
        (signal strategies; weight strategies size themselves).
    stop_loss, take_profit
        Fractions from the entry price (0.05 = 5 %) or None; signal strategies only.
    trailing_stop
        Make ``stop_loss`` trail the best price since entry.
    order_type, limit_offset
        ``"market"``, or ``"limit"``: an entry decided at bar ``t`` rests at
        ``close_t x (1 -/+ limit_offset)`` (buy/sell) during bar ``t + 1``; it fills at the
        better of that bar's open and the limit when the bar trades through it, and is
        placed again each bar while the signal persists.
    execution
        ``"next_open"`` (decided at the close, filled at the next open; needs opens) or
        ``"next_close"``; None picks ``next_open`` when the bars have opens.
    cash_sharing
        One cash pool for every asset (weight strategies always share cash).
    size_granularity
        Smallest tradable unit (1 = whole shares), or None for fractional units.
    risk_free_rate, periods_per_year
        For the metrics; ``periods_per_year`` is inferred from the index when None.
    """

    init_cash: float = 100_000.0
    fees: float = 0.001
    fixed_fees: float = 0.0
    slippage: float = 0.0
    sizing: Sizing = field(default_factory=FixedFraction)
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: bool = False
    order_type: OrderKind = "market"
    limit_offset: float = 0.0
    execution: Execution | None = None
    cash_sharing: bool = False
    size_granularity: float | None = None
    risk_free_rate: float = 0.0
    periods_per_year: float | None = None

    def __post_init__(self) -> None:
        check_number("init_cash", self.init_cash, 0.0, 1e15, "use a positive amount of cash", allow_low=False)
        check_number("fees", self.fees, 0.0, 0.5, "use a proportional fee such as 0.001 (0.1 %)")
        check_number("fixed_fees", self.fixed_fees, 0.0, 1e12, "use a non-negative fee per order")
        check_number("slippage", self.slippage, 0.0, 0.5, "use a proportional slippage such as 0.0005")
        if not isinstance(self.sizing, (FixedFraction, FractionalKelly, VolatilityTargetSizing)):
            raise ValidationError("sizing", self.sizing, "use FixedFraction, FractionalKelly or VolatilityTargetSizing")
        for name in ("stop_loss", "take_profit"):
            value = getattr(self, name)
            if value is not None:
                check_number(name, value, 0.0, 10.0, "use a fraction of the entry price such as 0.05, or None",
                       allow_low=False)
        if self.trailing_stop and self.stop_loss is None:
            raise ValidationError("trailing_stop", True, "set stop_loss as well (the trailing distance)")
        if self.order_type not in ("market", "limit"):
            raise ValidationError("order_type", self.order_type, "use 'market' or 'limit'")
        check_number("limit_offset", self.limit_offset, 0.0, 0.5, "use a fraction of the close such as 0.002")
        if self.execution not in (None, "next_open", "next_close"):
            raise ValidationError("execution", self.execution, "use 'next_open', 'next_close' or None")
        if self.size_granularity is not None:
            check_number("size_granularity", self.size_granularity, 0.0, 1e12, "use a positive unit such as 1, or None",
                   allow_low=False)
        check_number("risk_free_rate", self.risk_free_rate, -1.0, 1.0, "use an annual decimal such as 0.02")
        if self.periods_per_year is not None:
            check_number("periods_per_year", self.periods_per_year, 0.0, 1e8, "use e.g. 252 or 365, or None",
                   allow_low=False)

    @property
    def uses_stops(self) -> bool:
        """True when a stop loss or take profit is set."""
        return self.stop_loss is not None or self.take_profit is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the sizing becomes ``{"kind": ..., **fields}``)."""
        out = asdict(self)
        kind = next(name for name, cls in SIZING_KINDS.items() if isinstance(self.sizing, cls))
        out["sizing"] = {"kind": kind, **asdict(self.sizing)}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BacktestConfig:
        """Inverse of :meth:`to_dict`; unknown keys are refused by name."""
        data = dict(data)
        sizing = data.pop("sizing", None)
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValidationError("backtest config", unknown[0], f"use only {sorted(cls.__dataclass_fields__)}")
        if isinstance(sizing, dict):
            sizing = dict(sizing)
            kind = sizing.pop("kind", "fixed_fraction")
            if kind not in SIZING_KINDS:
                raise ValidationError("sizing.kind", kind, f"use one of {sorted(SIZING_KINDS)}")
            sizing = SIZING_KINDS[kind](**sizing)
        return cls(**data, **({"sizing": sizing} if sizing is not None else {}))
