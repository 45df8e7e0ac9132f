"""Tradable instruments."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from quantlib_local.exceptions import ValidationError


class AssetClass(str, Enum):
    """Broad asset categories of the design (section 2.4.1)."""

    CRYPTO = "crypto"
    EQUITY = "equity"
    FOREX = "forex"
    COMMODITY = "commodity"
    INDEX = "index"


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument on one venue.

    Parameters
    ----------
    symbol
        Unified symbol, e.g. ``"BTC/USDT"`` or ``"AAPL"``.
    venue
        Exchange or data source id, e.g. ``"binance"`` or ``"bundled"``.
    asset_class
        Broad category.
    quote_currency
        Currency prices are quoted in.
    tick_size, lot_size
        Price and quantity increments (0 when unknown).
    """

    symbol: str
    venue: str
    asset_class: AssetClass = AssetClass.CRYPTO
    quote_currency: str = "USD"
    tick_size: float = 0.0
    lot_size: float = 0.0

    def __post_init__(self) -> None:
        if not self.symbol or not self.symbol.strip():
            raise ValidationError("symbol", self.symbol, "give a non-empty symbol such as 'BTC/USDT'")
        if not self.venue or not self.venue.strip():
            raise ValidationError("venue", self.venue, "give the venue id, e.g. 'binance' or 'bundled'")
        if not isinstance(self.asset_class, AssetClass):
            try:
                object.__setattr__(self, "asset_class", AssetClass(self.asset_class))
            except ValueError:
                allowed = ", ".join(a.value for a in AssetClass)
                raise ValidationError("asset_class", self.asset_class, f"use one of: {allowed}") from None
        for name in ("tick_size", "lot_size"):
            if getattr(self, name) < 0:
                raise ValidationError(name, getattr(self, name), "use 0 (unknown) or a positive increment")

    @property
    def key(self) -> str:
        """``venue:symbol``, unique across venues."""
        return f"{self.venue}:{self.symbol}"
