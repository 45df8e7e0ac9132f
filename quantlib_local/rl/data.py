"""Market data as the trading environments read it: :class:`TradingData`.

:func:`prepare_trading_data` computes, once per data set, everything an environment
step reads: the fill and valuation prices of the traded asset, the observation rows
(design eq. 6's feature vector, z-scored on a trailing window) and the per-bar EWMA
volatility of the risk term. Row ``t`` uses only bars ``<= t``: the features are
prefix-stable (:mod:`quantlib_local.strategies.features`) and the normalisation looks
back only, so the observations of a prefix of the data are those of the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantlib_local.backtest.simulate import PriceArrays, resolve_execution
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.config import EnvironmentConfig, ObservationSettings
from quantlib_local.strategies.features import feature_block
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.volatility import rolling_garch_forecast


@dataclass(frozen=True)
class TradingData:
    """Arrays of one traded asset, aligned on the bars' index.

    Attributes
    ----------
    market
        The checked bars (all symbols; the others feed cross-asset features).
    symbol
        The traded symbol.
    execution
        ``"next_open"`` or ``"next_close"``: the price a decision at bar ``t`` fills at on bar ``t + 1``.
    fill_price, close
        ``(bars,)`` float64: the price orders fill at on each bar (open or close) and the close.
    observations
        ``(bars, n_features)`` float32: standardised features, 0 where undefined.
    feature_names
        Names of the observation columns.
    volatility
        ``(bars,)`` float64 EWMA per-bar volatility of the asset (0 where undefined).
    first_bar
        First bar whose observation is complete (every feature defined, a full
        normalisation window behind it); episodes start there or later.
    """

    market: MarketData
    symbol: str
    execution: str
    fill_price: np.ndarray
    close: np.ndarray
    observations: np.ndarray
    feature_names: list[str]
    volatility: np.ndarray
    first_bar: int

    @property
    def n_bars(self) -> int:
        """Number of bars."""
        return len(self.close)

    @property
    def n_features(self) -> int:
        """Columns of :attr:`observations`."""
        return self.observations.shape[1]


def prepare_trading_data(
    bars: pd.DataFrame | MarketData,
    config: EnvironmentConfig | None = None,
    *,
    symbol: str | None = None,
    features: pd.DataFrame | None = None,
) -> TradingData:
    """Arrays the environments step through, from bars in any shape strategies accept.

    Parameters
    ----------
    bars
        One-asset OHLCV bars, ``(field, symbol)`` bars or a table of closes.
    config
        The environment's config (observation settings and execution timing).
    symbol
        The traded symbol; default the only one (required with several).
    features
        Optional ``sentiment`` on the bars' index (shared or per symbol).

    Raises
    ------
    ValidationError
        Unknown or missing symbol, gaps in the traded asset's prices, or too few bars for
        one complete observation and a step.
    """
    config = config or EnvironmentConfig()
    market = bars if isinstance(bars, MarketData) else MarketData.from_frames(bars, features)
    if symbol is None:
        if len(market.symbols) > 1:
            raise ValidationError("symbol", None, f"name the traded symbol, one of {market.symbols}")
        symbol = market.symbols[0]
    if symbol not in market.symbols:
        raise ValidationError("symbol", symbol, f"use one of {market.symbols}")
    column = market.symbols.index(symbol)
    prices = PriceArrays.from_market(market)
    execution = resolve_execution(config.costs, prices)
    if not prices.listed[:, column].all():
        raise ValidationError("bars", f"missing closes for {symbol}", "trade a symbol with a close on every bar")
    close = prices.close[:, column].astype(float)
    fill_source = prices.open if execution == "next_open" else prices.close
    assert fill_source is not None
    fill_price = fill_source[:, column].astype(float)
    if (close <= 0).any() or (fill_price <= 0).any():
        raise ValidationError("bars", f"non-positive prices for {symbol}", "pass positive prices")

    names, observations, volatility, first_bar = observation_rows(market, symbol, config.observation)
    if first_bar >= len(close) - 1:
        raise ValidationError(
            "bars", f"{len(close)} bars",
            f"pass more bars: the first complete observation needs {first_bar + 2} (features and a "
            f"{config.observation.norm_window}-bar normalisation window), or lower observation.norm_window",
        )
    return TradingData(market, symbol, execution, fill_price, close, observations, names, volatility, first_bar)


def observation_rows(
    market: MarketData, symbol: str, settings: ObservationSettings
) -> tuple[list[str], np.ndarray, np.ndarray, int]:
    """Standardised eq. 6 features of ``symbol`` on every bar (the other symbols feed cross-asset features).

    Returns
    -------
    names, observations, volatility, first_bar
        Feature names, ``(bars, features)`` float32 observations, the ``(bars,)`` EWMA per-bar
        volatility (0 where undefined) and the first complete row.
    """
    has_range = market.has_field("high") and market.has_field("low")
    sentiment = market.feature("sentiment")
    names, block = feature_block(
        market.close.to_numpy(dtype=float),
        high=market.field("high").to_numpy(dtype=float) if has_range else None,
        low=market.field("low").to_numpy(dtype=float) if has_range else None,
        volume=market.field("volume").to_numpy(dtype=float) if market.has_field("volume") else None,
        sentiment=None if sentiment is None else sentiment.to_numpy(dtype=float),
        settings=settings.features,
    )
    raw = block[:, market.symbols.index(symbol), :]
    volatility = np.nan_to_num(raw[:, names.index("ewma_volatility")], nan=0.0)
    if settings.garch_window is not None:
        names = [*names, "garch_volatility"]
        raw = np.column_stack([raw, garch_volatility(market.close[symbol], settings)])
    observations, first_bar = standardise(raw, settings)
    return names, observations, volatility, first_bar


def garch_volatility(close: pd.Series, settings: ObservationSettings) -> np.ndarray:
    """One-bar-ahead GARCH(1,1) volatility forecast at each bar (NaN before the first fit)."""
    returns = close.pct_change().iloc[1:]
    if returns.notna().sum() < (settings.garch_window or 0):
        return np.full(len(close), np.nan)
    forecast = rolling_garch_forecast(returns, settings.garch_window, refit_every=settings.garch_refit_every,
                                      progress=False)
    return forecast.volatility[1].reindex(close.index).to_numpy(dtype=float)


def standardise(raw: np.ndarray, settings: ObservationSettings) -> tuple[np.ndarray, int]:
    """Trailing-window z-scores of ``raw`` (bars x features) and the first complete row.

    Row ``t`` is ``(x_t - mean) / std`` over rows ``t - w + 1 .. t`` (population std), clipped;
    a constant window gives 0. Rows before every column has a full window of defined values
    are 0 and precede the returned first row.
    """
    window = settings.norm_window
    frame = pd.DataFrame(raw)
    rolling = frame.rolling(window, min_periods=window)
    mean = rolling.mean().to_numpy()
    std = rolling.std(ddof=0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 1e-12 * np.maximum(np.abs(mean), 1.0), (raw - mean) / std, 0.0)
    complete = np.isfinite(mean).all(axis=1) & np.isfinite(raw).all(axis=1)
    first = int(np.argmax(complete)) if complete.any() else len(raw)
    z = np.clip(np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0), -settings.clip, settings.clip)
    z[:first] = 0.0
    return z.astype(np.float32), first
