"""Plain domain types shared by research, backtest and live code."""

from quantlib_local.core.bars import (
    FIELD_LEVEL,
    INDEX_NAME,
    OHLCV_COLUMNS,
    SYMBOL_LEVEL,
)
from quantlib_local.core.guards import GuardCheck, GuardStatus
from quantlib_local.core.instrument import AssetClass, Instrument
from quantlib_local.core.opportunities import OPPORTUNITY_COLUMNS, OPPORTUNITY_TEXT_COLUMNS
from quantlib_local.core.orders import (
    Fill,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    Signal,
)

__all__ = [
    "AssetClass",
    "FIELD_LEVEL",
    "Fill",
    "GuardCheck",
    "GuardStatus",
    "INDEX_NAME",
    "Instrument",
    "OHLCV_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "OPPORTUNITY_TEXT_COLUMNS",
    "Order",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "Position",
    "SYMBOL_LEVEL",
    "Signal",
]
