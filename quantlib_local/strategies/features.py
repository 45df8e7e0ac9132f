"""The feature vector of design eq. 6, ``x(t) = [P, V, S, I_1..I_n]``, per timestamp and symbol.

:func:`feature_matrix` turns :class:`~quantlib_local.strategies.market_data.MarketData`
into a long frame indexed by ``(timestamp, symbol)`` with one named column per feature.
Every value at bar ``t`` uses only bars ``<= t`` (no look-ahead): the rolling and
recursive computations run forward from each symbol's first bar, so the rows of a
prefix of the data are bit-for-bit the rows of the whole (the tests check this). Values
are NaN during each feature's warm-up and where an input is missing.

Columns (``k``, ``w``... are the :class:`FeatureSettings` fields; defaults in brackets)

================================  ======================================================================
column                            meaning
================================  ======================================================================
**P: price**
``ret_{k}``                       simple return over ``k`` bars, ``close_t / close_{t-k} - 1``
                                  (``return_windows`` [1, 5, 20])
``price_sma_{w}``                 ``close / SMA(close, w) - 1``: distance from the trend (``trend_window`` [20])
**V: volume** (when the bars carry ``volume``)
``log_volume_change``             ``log(1 + v_t) - log(1 + v_{t-1})``; ``log1p`` keeps zero-volume bars finite
``volume_zscore_{w}``             rolling z-score of volume over ``w`` bars, population std
                                  (``volume_window`` [20]); NaN where the window is flat
**S: sentiment** (when ``market.feature("sentiment")`` is given)
``sentiment``                     the sentiment index S(t) of design eq. 1 as given (shared or per symbol)
**I: indicators**
``rsi_{w}``                       RSI (Wilder, TA-Lib compatible), 0..100 (``rsi_window`` [14])
``macd_hist``                     MACD histogram divided by the close, so it is comparable across
                                  price levels (``macd_spans`` [(12, 26, 9)])
``bollinger_pct_b``               Bollinger %b, ``(close - lower) / (upper - lower)`` over ``bollinger_window``
                                  [20] bars, ``bollinger_std`` [2] std; 0 at the lower band, 1 at the upper
``atr_ratio_{w}``                 ``ATR(w) / close`` (when the bars carry ``high`` and ``low``; ``atr_window`` [14])
**volatility**
``volatility_{w}``                rolling sample std (``ddof=1``) of 1-bar returns over ``w`` bars, per bar
                                  (not annualised; ``volatility_window`` [20])
``ewma_volatility``               RiskMetrics EWMA volatility: ``s2_t = lam s2_{t-1} + (1 - lam) r_t^2``,
                                  seeded with the mean of ``r^2`` over the first ``volatility_window``
                                  returns; per bar (``ewma_lambda`` [0.94])
**cross-asset** (when there is more than one symbol)
``correlation_{w}``               rolling correlation of the symbol's 1-bar returns with the equal-weighted
                                  mean return of the other symbols that trade on each bar
                                  (``correlation_window`` [60])
================================  ======================================================================

Why an EWMA rather than GARCH per bar: a GARCH(1,1) volatility (design eq. 14) needs a
maximum-likelihood fit, and a walk-forward model would refit it at every refit point
for every symbol, which is orders of magnitude slower than the features it sits beside;
the EWMA is the GARCH recursion with ``omega = 0`` and fixed ``alpha + beta = 1``
(RiskMetrics, 1996). Users who want GARCH forecasts can add
:func:`quantlib_local.volatility.rolling_garch_forecast` output as a feature column
(``(feature, symbol)`` columns of the ``features`` frame).

A missing value (a symbol listed later, a gap) restarts each rolling and recursive
computation for that symbol, as in :mod:`quantlib_local.indicators`: no value is filled in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from quantlib_local._typing import Float64Array
from quantlib_local.core.bars import INDEX_NAME, SYMBOL_LEVEL
from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators import atr, bollinger_bands, macd, rolling_zscore, rsi, simple_returns, sma
from quantlib_local.strategies.market_data import MarketData

__all__ = ["FeatureSettings", "feature_block", "feature_matrix", "feature_names"]


@dataclass(frozen=True)
class FeatureSettings:
    """Windows of the features of :func:`feature_matrix` (bars unless said otherwise).

    Attributes
    ----------
    return_windows
        Horizons of the ``ret_{k}`` columns.
    trend_window
        SMA window of ``price_sma_{w}``.
    volume_window
        Window of ``volume_zscore_{w}``.
    rsi_window
        RSI window.
    macd_spans
        ``(fast, slow, signal)`` spans of the MACD.
    bollinger_window, bollinger_std
        Bollinger Band window and width in standard deviations.
    atr_window
        ATR window.
    volatility_window
        Window of ``volatility_{w}`` and seed length of ``ewma_volatility``.
    ewma_lambda
        RiskMetrics decay ``lam`` in (0, 1).
    correlation_window
        Window of ``correlation_{w}``.
    """

    return_windows: tuple[int, ...] = (1, 5, 20)
    trend_window: int = 20
    volume_window: int = 20
    rsi_window: int = 14
    macd_spans: tuple[int, int, int] = (12, 26, 9)
    bollinger_window: int = 20
    bollinger_std: float = 2.0
    atr_window: int = 14
    volatility_window: int = 20
    ewma_lambda: float = 0.94
    correlation_window: int = 60

    def __post_init__(self) -> None:
        windows = self.return_windows
        if (
            not isinstance(windows, tuple)
            or not windows
            or any(_not_whole(k, 1) for k in windows)
            or len(set(windows)) != len(windows)
        ):
            raise ValidationError("return_windows", windows, "pass a tuple of distinct whole numbers >= 1, e.g. (1, 5, 20)")
        for name in ("trend_window", "volume_window", "rsi_window", "bollinger_window", "volatility_window",
                     "correlation_window"):
            if _not_whole(getattr(self, name), 2):
                raise ValidationError(name, getattr(self, name), "pass a whole number of bars >= 2")
        if _not_whole(self.atr_window, 1):
            raise ValidationError("atr_window", self.atr_window, "pass a whole number of bars >= 1")
        spans = self.macd_spans
        if not isinstance(spans, tuple) or len(spans) != 3 or any(_not_whole(s, 1) for s in spans) or spans[0] >= spans[1]:
            raise ValidationError("macd_spans", spans, "pass (fast, slow, signal) whole numbers with fast < slow, e.g. (12, 26, 9)")
        if not _real_in(self.bollinger_std, 0.0, math.inf) or self.bollinger_std <= 0:
            raise ValidationError("bollinger_std", self.bollinger_std, "pass a positive number of standard deviations, e.g. 2.0")
        if not _real_in(self.ewma_lambda, 0.0, 1.0) or not 0.0 < self.ewma_lambda < 1.0:
            raise ValidationError("ewma_lambda", self.ewma_lambda, "pass a decay strictly between 0 and 1, e.g. 0.94")


def _not_whole(value: object, minimum: int) -> bool:
    return isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum


def _real_in(value: object, low: float, high: float) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and math.isfinite(float(value))
        and low <= float(value) <= high
    )


def feature_names(
    settings: FeatureSettings | None = None,
    *,
    has_volume: bool = False,
    has_sentiment: bool = False,
    has_high_low: bool = False,
    n_symbols: int = 1,
) -> list[str]:
    """Column names :func:`feature_matrix` gives for data with these fields, in order."""
    s = settings or FeatureSettings()
    names = [f"ret_{k}" for k in s.return_windows] + [f"price_sma_{s.trend_window}"]
    if has_volume:
        names += ["log_volume_change", f"volume_zscore_{s.volume_window}"]
    if has_sentiment:
        names.append("sentiment")
    names += [f"rsi_{s.rsi_window}", "macd_hist", "bollinger_pct_b"]
    if has_high_low:
        names.append(f"atr_ratio_{s.atr_window}")
    names += [f"volatility_{s.volatility_window}", "ewma_volatility"]
    if n_symbols > 1:
        names.append(f"correlation_{s.correlation_window}")
    return names


def feature_block(
    close: Float64Array,
    *,
    high: Float64Array | None = None,
    low: Float64Array | None = None,
    volume: Float64Array | None = None,
    sentiment: Float64Array | None = None,
    settings: FeatureSettings | None = None,
) -> tuple[list[str], Float64Array]:
    """The features as a ``(bars, symbols, features)`` array from ``(bars, symbols)`` arrays.

    The array form of :func:`feature_matrix` (same columns, same order, same values),
    for callers that recompute features bar by bar and want no pandas overhead.

    Parameters
    ----------
    close
        Closes, ``(bars, symbols)``; NaN before a listing or on a missing bar.
    high, low
        Highs and lows (both or neither), same shape; enable ``atr_ratio_{w}``.
    volume
        Volumes, same shape; enables the volume columns.
    sentiment
        Sentiment, same shape; enables ``sentiment``.
    settings
        Windows; default :class:`FeatureSettings`.

    Returns
    -------
    names, values
        Column names and the ``(bars, symbols, features)`` float64 array.
    """
    s = settings or FeatureSettings()
    close = _as_block(close, "close", None)
    shape = close.shape
    high = None if high is None else _as_block(high, "high", shape)
    low = None if low is None else _as_block(low, "low", shape)
    if (high is None) != (low is None):
        raise ValidationError("high/low", "one of them", "pass both high and low, or neither")
    volume = None if volume is None else _as_block(volume, "volume", shape)
    sentiment = None if sentiment is None else _as_block(sentiment, "sentiment", shape)

    columns: list[Float64Array] = [simple_returns(close, k) for k in s.return_windows]
    one_bar = columns[0] if s.return_windows[0] == 1 else simple_returns(close, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        columns.append(close / sma(close, s.trend_window) - 1.0)
        if volume is not None:
            log_volume = np.log1p(np.where(volume >= 0, volume, np.nan))
            change = np.full(shape, np.nan)
            change[1:] = log_volume[1:] - log_volume[:-1]
            columns += [change, rolling_zscore(volume, s.volume_window)]
        if sentiment is not None:
            columns.append(sentiment.copy())
        columns.append(rsi(close, s.rsi_window))
        columns.append(macd(close, *s.macd_spans).histogram / close)
        bands = bollinger_bands(close, s.bollinger_window, s.bollinger_std)
        width = bands.upper - bands.lower
        columns.append(np.where(width > 0, (close - bands.lower) / np.where(width > 0, width, 1.0), np.nan))
        if high is not None and low is not None:
            columns.append(atr(high, low, close, s.atr_window) / close)
    columns.append(_rolling_std_kernel(one_bar, s.volatility_window))
    columns.append(_ewma_volatility_kernel(one_bar, float(s.ewma_lambda), s.volatility_window))
    if shape[1] > 1:
        columns.append(_rolling_correlation_kernel(one_bar, _mean_of_others_kernel(one_bar), s.correlation_window))
    names = feature_names(
        s, has_volume=volume is not None, has_sentiment=sentiment is not None, has_high_low=high is not None,
        n_symbols=shape[1],
    )
    values = np.stack(columns, axis=-1) if columns else np.empty((*shape, 0))
    values[~np.isfinite(values)] = np.nan  # a zero price or volume never leaks an inf
    return names, values


def feature_matrix(
    market: MarketData | pd.DataFrame,
    features: pd.DataFrame | None = None,
    *,
    settings: FeatureSettings | None = None,
) -> pd.DataFrame:
    """The design's eq. 6 feature vector ``x(t) = [P, V, S, I_1..I_n]`` for every bar and symbol.

    Parameters
    ----------
    market
        :class:`~quantlib_local.strategies.market_data.MarketData`, or bars in any shape
        strategies accept (one-asset OHLCV, ``(field, symbol)`` columns, a table of closes).
    features
        Optional frame on the bars' index with a ``sentiment`` column (shared) or
        ``("sentiment", symbol)`` columns; only used when ``market`` is a DataFrame.
    settings
        Windows of the features; default :class:`FeatureSettings`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(timestamp, symbol)`` (timestamp-major), one column per feature as listed in
        the module docstring; NaN during warm-up and where an input is missing.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> index = pd.date_range("2024-01-01", periods=30, freq="D", tz="UTC", name="timestamp")
    >>> closes = pd.DataFrame({"A": np.linspace(100, 129, 30)}, index=index)
    >>> x = feature_matrix(closes)
    >>> round(float(x.loc[(index[-1], "A"), "ret_1"]), 6)  # 129 / 128 - 1
    0.007812
    """
    if not isinstance(market, MarketData):
        market = MarketData.from_frames(market, features)
    names, values = feature_block(
        market.close.to_numpy(dtype=float),
        high=market.field("high").to_numpy(dtype=float) if market.has_field("high") and market.has_field("low") else None,
        low=market.field("low").to_numpy(dtype=float) if market.has_field("high") and market.has_field("low") else None,
        volume=market.field("volume").to_numpy(dtype=float) if market.has_field("volume") else None,
        sentiment=_sentiment(market),
        settings=settings,
    )
    index = pd.MultiIndex.from_product(
        [market.index, pd.Index(market.symbols, name=SYMBOL_LEVEL)], names=[INDEX_NAME, SYMBOL_LEVEL]
    )
    return pd.DataFrame(values.reshape(-1, len(names)), index=index, columns=pd.Index(names, name="feature"))


def _sentiment(market: MarketData) -> Float64Array | None:
    frame = market.feature("sentiment")
    return None if frame is None else frame.to_numpy(dtype=float)


def _as_block(values: object, field: str, shape: tuple[int, ...] | None) -> Float64Array:
    block = np.asarray(values, dtype=float)
    if block.ndim == 1:
        block = block[:, None]
    if block.ndim != 2 or (shape is not None and block.shape != shape):
        raise ValidationError(field, getattr(block, "shape", None), f"pass a (bars, symbols) array shaped like close {shape}")
    return np.ascontiguousarray(block)


# ---------------------------------------------------------------------- kernels
# Each kernel walks forward from the first bar, so a prefix of the input gives the same
# leading values bit for bit; a NaN input restarts the computation of that column.


@njit(cache=True)
def _rolling_std_kernel(x: Float64Array, window: int) -> Float64Array:
    """Sample std (ddof=1) of the last ``window`` values, two-pass over each window; NaN if any is NaN."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    for j in range(m):
        run = 0
        for t in range(n):
            if np.isnan(x[t, j]):
                run = 0
                continue
            run += 1
            if run >= window:
                mean = 0.0
                for i in range(t - window + 1, t + 1):
                    mean += x[i, j]
                mean /= window
                total = 0.0
                for i in range(t - window + 1, t + 1):
                    total += (x[i, j] - mean) ** 2
                out[t, j] = np.sqrt(total / (window - 1))
    return out


@njit(cache=True)
def _ewma_volatility_kernel(r: Float64Array, lam: float, seed: int) -> Float64Array:
    """RiskMetrics ``s2_t = lam s2_{t-1} + (1 - lam) r_t^2``, seeded by mean(r^2) of the first ``seed`` returns."""
    n, m = r.shape
    out = np.full((n, m), np.nan)
    for j in range(m):
        run = 0
        variance = 0.0
        for t in range(n):
            value = r[t, j]
            if np.isnan(value):
                run = 0
                variance = 0.0
                continue
            run += 1
            if run < seed:
                variance += value * value
            elif run == seed:
                variance = (variance + value * value) / seed
                out[t, j] = np.sqrt(variance)
            else:
                variance = lam * variance + (1.0 - lam) * value * value
                out[t, j] = np.sqrt(variance)
    return out


@njit(cache=True)
def _mean_of_others_kernel(r: Float64Array) -> Float64Array:
    """Per bar and symbol, the mean of the other symbols' finite values (NaN when it or all others are NaN)."""
    n, m = r.shape
    out = np.full((n, m), np.nan)
    for t in range(n):
        total = 0.0
        count = 0
        for j in range(m):
            if not np.isnan(r[t, j]):
                total += r[t, j]
                count += 1
        if count < 2:
            continue
        for j in range(m):
            if not np.isnan(r[t, j]):
                out[t, j] = (total - r[t, j]) / (count - 1)
    return out


@njit(cache=True)
def _rolling_correlation_kernel(x: Float64Array, y: Float64Array, window: int) -> Float64Array:
    """Pearson correlation of ``x[:, j]`` and ``y[:, j]`` over the last ``window`` bars (two-pass)."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    for j in range(m):
        run = 0
        for t in range(n):
            if np.isnan(x[t, j]) or np.isnan(y[t, j]):
                run = 0
                continue
            run += 1
            if run >= window:
                mx = 0.0
                my = 0.0
                for i in range(t - window + 1, t + 1):
                    mx += x[i, j]
                    my += y[i, j]
                mx /= window
                my /= window
                sxy = 0.0
                sxx = 0.0
                syy = 0.0
                for i in range(t - window + 1, t + 1):
                    dx = x[i, j] - mx
                    dy = y[i, j] - my
                    sxy += dx * dy
                    sxx += dx * dx
                    syy += dy * dy
                if sxx > 0.0 and syy > 0.0:
                    out[t, j] = sxy / np.sqrt(sxx * syy)
    return out
