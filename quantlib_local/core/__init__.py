"""Plain domain types shared by research, backtest and live code."""

from quantlib_local.core.bars import (
    FIELD_LEVEL,
    INDEX_NAME,
    OHLCV_COLUMNS,
    SYMBOL_LEVEL,
)
from quantlib_local.core.instrument import AssetClass, Instrument
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
    "INDEX_NAME",
    "Instrument",
    "OHLCV_COLUMNS",
    "Order",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "Position",
    "SYMBOL_LEVEL",
    "Signal",
]
