"""Thresholds of the arbitrage scanner and of its monitor: :class:`ArbitrageConfig`.

Every default comes from the design (listing 3's ``ARBITRAGE_CONFIG``, appendix A's
``arbitrage_config`` and the requirements of section 2.4.1), except the two scales of
eq. 8 that the design leaves undefined (``liquidity_scale_usd``; ``price_update_interval_ms``
is the design's but its use in the execution time is ours); each field says where its
default comes from. :meth:`ArbitrageConfig.from_mapping` also reads the design's own key
names (``MIN_PROFIT_THRESHOLD``, ``min_profit_threshold``, ``EXECUTION_TIMEOUT_SEC`` ...),
so a config file written after appendix A loads unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from quantlib_local.exceptions import ValidationError

# the design's key names (listing 3 upper case, appendix A lower case) -> field
_DESIGN_KEYS: dict[str, str] = {
    "min_profit_threshold": "min_profit",
    "max_slippage": "max_slippage",
    "min_volume_usd": "min_volume_usd",
    "max_latency_ms": "max_quote_age_ms",
    "execution_timeout_sec": "execution_timeout_s",
    "price_update_interval_ms": "price_update_interval_ms",
    "min_exchanges": "alert_min_exchanges",
    "min_assets": "alert_min_assets",
}


def _real(name: str, value: Any, *, low: float, high: float = math.inf, open_low: bool = False, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(name, value, fix)
    if value < low or value > high or (open_low and value == low):
        raise ValidationError(name, value, fix)
    return float(value)


@dataclass(frozen=True)
class ArbitrageConfig:
    """What counts as an arbitrage opportunity (eq. 7), how it is ranked (eq. 8) and when the monitor alerts.

    Parameters
    ----------
    min_profit
        Smallest net edge kept, decimal (0.001 = 0.1 %): listing 3 ``MIN_PROFIT_THRESHOLD``,
        section 2.4.1 "only spreads > 0.1 % after fees". An opportunity needs
        ``net_edge >= min_profit``.
    max_slippage
        The slippage term of eq. 7, decimal: listing 3 ``MAX_SLIPPAGE`` (0.05 %). The scanner
        charges this worst allowed slippage on every opportunity (conservative; top-of-book
        quotes say nothing about the depth behind the touch).
    min_volume_usd
        Smallest executable notional (quantity x buy price, in the quote currency, read as
        USD: USDT/USDC books): listing 3 ``MIN_VOLUME_USD``.
    max_quote_age_ms
        A quote counts as fresh while ``scan time - exchange timestamp <= max_quote_age_ms``:
        listing 3 ``MAX_LATENCY_MS`` and section 2.4.1 "real-time data with latency < 100 ms".
        Stale quotes are left out of the scan and counted.
    execution_timeout_s
        Opportunities whose estimated execution time (eq. 8) exceeds this are dropped:
        listing 3 ``EXECUTION_TIMEOUT_SEC``.
    price_update_interval_ms
        Listing 3 ``PRICE_UPDATE_INTERVAL_MS``: the resolution at which we see the books,
        added to the round trip in the execution time of eq. 8 (our use of it).
    liquidity_scale_usd
        Notional at which the liquidity score of eq. 8 is 1/2 (ours: 10 x ``min_volume_usd``).
    alert_min_exchanges, alert_min_assets
        Coverage below these raises ``EXCHANGE_COVERAGE_LOW`` / ``ASSET_COVERAGE_LOW``:
        listing 3 ``MIN_EXCHANGES`` 15 and ``MIN_ASSETS`` 300 (table 2: 15-20 venues, 300+ instruments).
    alert_max_latency_ms
        A venue whose mean feed latency exceeds this raises ``HIGH_EXCHANGE_LATENCY``:
        listing 3 (``latency > 100``).
    alert_min_opportunities_per_hour
        Fewer opportunities per hour raise ``LOW_ARBITRAGE_OPPORTUNITIES``: the design's critical
        metric "opportunity detection rate > 50 per hour" (listing 3 counts "< 10" per scan; a
        replay window has a duration, so the monitor uses the rate).
    """

    min_profit: float = 0.001
    max_slippage: float = 0.0005
    min_volume_usd: float = 1000.0
    max_quote_age_ms: float = 100.0
    execution_timeout_s: float = 5.0
    price_update_interval_ms: float = 50.0
    liquidity_scale_usd: float = 10_000.0
    alert_min_exchanges: int = 15
    alert_min_assets: int = 300
    alert_max_latency_ms: float = 100.0
    alert_min_opportunities_per_hour: float = 50.0

    def __post_init__(self) -> None:
        _real("min_profit", self.min_profit, low=0.0, high=1.0, fix="use a decimal net edge in [0, 1], e.g. 0.001")
        _real("max_slippage", self.max_slippage, low=0.0, high=1.0, fix="use a decimal slippage in [0, 1], e.g. 0.0005")
        _real("min_volume_usd", self.min_volume_usd, low=0.0, open_low=True, fix="use a positive notional, e.g. 1000")
        _real("max_quote_age_ms", self.max_quote_age_ms, low=0.0, high=86_400_000.0, open_low=True,
              fix="use a positive age in milliseconds up to one day (86,400,000), e.g. 100")
        _real("execution_timeout_s", self.execution_timeout_s, low=0.0, open_low=True,
              fix="use a positive timeout in seconds, e.g. 5")
        _real("price_update_interval_ms", self.price_update_interval_ms, low=0.0, open_low=True,
              fix="use a positive interval in milliseconds, e.g. 50")
        _real("liquidity_scale_usd", self.liquidity_scale_usd, low=0.0, open_low=True,
              fix="use a positive notional, e.g. 10000")
        for name in ("alert_min_exchanges", "alert_min_assets"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(name, value, "use a non-negative whole number, e.g. 15")
        _real("alert_max_latency_ms", self.alert_max_latency_ms, low=0.0, open_low=True,
              fix="use a positive latency in milliseconds, e.g. 100")
        _real("alert_min_opportunities_per_hour", self.alert_min_opportunities_per_hour, low=0.0,
              fix="use a non-negative rate, e.g. 50")

    @property
    def max_quote_age_ns(self) -> int:
        """``max_quote_age_ms`` in integer nanoseconds (freshness is decided on integer timestamps)."""
        return round(self.max_quote_age_ms * 1_000_000)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ArbitrageConfig:
        """Defaults overridden by ``values``: field names or the design's keys, any case.

        ``max_latency_ms`` (the design's key) sets both ``max_quote_age_ms`` and
        ``alert_max_latency_ms``; unknown names are refused.
        """
        if values is not None and not isinstance(values, Mapping):
            raise ValidationError("arbitrage config", values, "pass a mapping such as {'min_profit_threshold': 0.001}")
        known = {item.name for item in fields(cls)}
        out: dict[str, Any] = {}
        for key, value in dict(values or {}).items():
            name = str(key).lower()
            if name in known:
                out[name] = value
            elif name in _DESIGN_KEYS:
                out[_DESIGN_KEYS[name]] = value
                if name == "max_latency_ms":
                    out.setdefault("alert_max_latency_ms", value)
            else:
                raise ValidationError("arbitrage config", key, f"use field names {sorted(known)} "
                                      f"or the design's keys {sorted(k.upper() for k in _DESIGN_KEYS)}")
        return cls(**out)

    def to_dict(self) -> dict[str, float | int]:
        """Plain dict of every field."""
        return asdict(self)
