"""Orders, fills, positions and signals: the records shared by backtest, paper and live."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from quantlib_local.exceptions import ValidationError


class OrderSide(str, Enum):
    BUY = "buy"
    SELL = "sell"


class OrderType(str, Enum):
    """Order types of the design (section 2.5.2)."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    TRAILING_STOP = "trailing_stop"


class OrderStatus(str, Enum):
    """Life cycle of an order. ``IN_FLIGHT`` means sent with an unknown outcome."""

    INTENT = "intent"
    IN_FLIGHT = "in_flight"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"


def _require_utc(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None or value.utcoffset().total_seconds() != 0:
        raise ValidationError(name, value, "pass a timezone-aware UTC datetime, e.g. datetime.now(timezone.utc)")


def _enum(kind: type[Enum], name: str, value: object) -> Enum:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise ValidationError(name, value, f"use one of: {allowed}") from None


@dataclass(frozen=True, slots=True)
class Order:
    """An order intent or a live order.

    ``client_order_id`` is deterministic and written before the order is sent, so a
    restart can reconcile it with the venue.
    """

    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    created_at: datetime
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    trail_percent: float | None = None
    venue: str = "paper"
    status: OrderStatus = OrderStatus.INTENT
    exchange_order_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", _enum(OrderSide, "side", self.side))
        object.__setattr__(self, "order_type", _enum(OrderType, "order_type", self.order_type))
        object.__setattr__(self, "status", _enum(OrderStatus, "status", self.status))
        if not self.client_order_id:
            raise ValidationError("client_order_id", self.client_order_id, "give a non-empty deterministic id")
        if not self.quantity > 0:
            raise ValidationError("quantity", self.quantity, "use a positive quantity; the side says the direction")
        _require_utc("created_at", self.created_at)
        if self.order_type is OrderType.LIMIT and (self.limit_price is None or self.limit_price <= 0):
            raise ValidationError("limit_price", self.limit_price, "a limit order needs a positive limit_price")
        if self.order_type is OrderType.STOP and (self.stop_price is None or self.stop_price <= 0):
            raise ValidationError("stop_price", self.stop_price, "a stop order needs a positive stop_price")
        if self.order_type is OrderType.TRAILING_STOP and (
            self.trail_percent is None or not 0 < self.trail_percent < 1
        ):
            raise ValidationError(
                "trail_percent", self.trail_percent, "a trailing stop needs trail_percent in (0, 1), e.g. 0.02"
            )


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order."""

    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    price: float
    fee: float
    timestamp: datetime
    venue: str = "paper"
    fee_currency: str = "USD"
    trade_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", _enum(OrderSide, "side", self.side))
        if not self.quantity > 0:
            raise ValidationError("quantity", self.quantity, "a fill quantity must be positive")
        if not self.price > 0:
            raise ValidationError("price", self.price, "a fill price must be positive")
        if self.fee < 0:
            raise ValidationError("fee", self.fee, "record fees as a non-negative cost; rebates are negative fees elsewhere")
        _require_utc("timestamp", self.timestamp)

    @property
    def signed_quantity(self) -> float:
        """Quantity with sign: positive for buys, negative for sells."""
        return self.quantity if self.side is OrderSide.BUY else -self.quantity


@dataclass(slots=True)
class Position:
    """Net holding of one symbol on one venue, with its average entry price."""

    symbol: str
    quantity: float = 0.0
    average_price: float = 0.0
    realized_pnl: float = 0.0
    venue: str = "paper"

    def apply(self, fill: Fill) -> Position:
        """Update the position with a fill (average-cost accounting) and return self."""
        signed = fill.signed_quantity
        new_quantity = self.quantity + signed
        if self.quantity == 0 or (self.quantity > 0) == (signed > 0):
            total = abs(self.quantity) + abs(signed)
            self.average_price = (abs(self.quantity) * self.average_price + abs(signed) * fill.price) / total
        else:
            closed = min(abs(signed), abs(self.quantity))
            direction = 1.0 if self.quantity > 0 else -1.0
            self.realized_pnl += closed * (fill.price - self.average_price) * direction
            if abs(signed) > abs(self.quantity):
                self.average_price = fill.price
            elif new_quantity == 0:
                self.average_price = 0.0
        self.realized_pnl -= fill.fee
        self.quantity = new_quantity
        return self


@dataclass(frozen=True, slots=True)
class Signal:
    """A strategy's decision for one symbol at one time: a target exposure in [-1, 1]."""

    symbol: str
    timestamp: datetime
    target: float
    meta: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_utc("timestamp", self.timestamp)
        if not -1.0 <= self.target <= 1.0:
            raise ValidationError("target", self.target, "use a target exposure between -1 (short) and 1 (long)")
