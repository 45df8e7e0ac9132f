"""ArbitrageConfig: the design's defaults, the design's key names, and refusals that name the field."""

from __future__ import annotations

import math

import pytest

from quantlib_local.arbitrage import ArbitrageConfig
from quantlib_local.exceptions import ValidationError


def test_defaults_are_the_designs():
    config = ArbitrageConfig()
    # listing 3 ARBITRAGE_CONFIG / appendix A arbitrage_config
    assert config.min_profit == 0.001            # MIN_PROFIT_THRESHOLD
    assert config.max_slippage == 0.0005         # MAX_SLIPPAGE
    assert config.min_volume_usd == 1000         # MIN_VOLUME_USD
    assert config.max_quote_age_ms == 100        # MAX_LATENCY_MS
    assert config.execution_timeout_s == 5       # EXECUTION_TIMEOUT_SEC
    assert config.price_update_interval_ms == 50  # PRICE_UPDATE_INTERVAL_MS
    assert config.alert_min_exchanges == 15      # MIN_EXCHANGES
    assert config.alert_min_assets == 300        # MIN_ASSETS
    assert config.alert_max_latency_ms == 100    # "latency > 100" alert
    assert config.alert_min_opportunities_per_hour == 50  # "> 50 opportunities per hour"
    assert config.max_quote_age_ns == 100_000_000


def test_from_mapping_reads_the_designs_keys():
    appendix_a = {"min_exchanges": 15, "min_assets": 300, "max_latency_ms": 80, "min_profit_threshold": 0.002,
                  "max_slippage": 0.0004, "execution_timeout_sec": 3}
    config = ArbitrageConfig.from_mapping(appendix_a)
    assert (config.min_profit, config.max_slippage, config.execution_timeout_s) == (0.002, 0.0004, 3)
    assert config.max_quote_age_ms == 80 and config.alert_max_latency_ms == 80
    listing_3 = {"MIN_VOLUME_USD": 5000, "PRICE_UPDATE_INTERVAL_MS": 20, "MIN_PROFIT_THRESHOLD": 0.001}
    config = ArbitrageConfig.from_mapping(listing_3)
    assert (config.min_volume_usd, config.price_update_interval_ms) == (5000, 20)
    assert ArbitrageConfig.from_mapping({"min_profit": 0.0}).min_profit == 0.0
    assert ArbitrageConfig.from_mapping(None) == ArbitrageConfig()
    assert ArbitrageConfig.from_mapping(ArbitrageConfig(min_profit=0.003).to_dict()).min_profit == 0.003


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_profit", -0.001), ("min_profit", math.nan), ("min_profit", "0.001"), ("max_slippage", 2.0),
        ("min_volume_usd", 0.0), ("max_quote_age_ms", 0), ("max_quote_age_ms", math.inf), ("max_quote_age_ms", 1e12),
        ("execution_timeout_s", -1), ("price_update_interval_ms", 0.0), ("liquidity_scale_usd", 0),
        ("alert_min_exchanges", -1), ("alert_min_assets", 2.5), ("alert_min_assets", True),
        ("alert_max_latency_ms", 0), ("alert_min_opportunities_per_hour", -5),
    ],
)
def test_bad_values_name_their_field(field, value):
    with pytest.raises(ValidationError) as caught:
        ArbitrageConfig(**{field: value})
    assert caught.value.field == field


def test_unknown_keys_are_refused():
    with pytest.raises(ValidationError, match="MIN_PROFIT_THRESHOLD") as caught:
        ArbitrageConfig.from_mapping({"min_proft": 0.001})
    assert caught.value.value == "min_proft"
    with pytest.raises(ValidationError):
        ArbitrageConfig.from_mapping([("min_profit", 0.001)])
