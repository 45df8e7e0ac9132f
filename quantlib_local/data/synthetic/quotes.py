"""A SYNTHETIC multi-venue quote stream for arbitrage research.

Model, per symbol:

* one efficient price, a driftless (martingale) GBM in continuous time with annualised
  volatility ``sigma`` (365-day year), observed at every quote time of every venue;
* each venue quotes ``efficient * exp(noise)`` as its mid, where ``noise`` is a
  venue-specific Ornstein-Uhlenbeck deviation (standard deviation ``price_noise_bps``,
  half-life ``noise_half_life_ms``), so venues drift apart and back: now and then one
  venue's bid rises above another venue's ask (a cross-venue dislocation);
* the quoted spread is lognormal around the venue's ``spread_bps`` (its mean), split
  evenly around the mid; sizes are lognormal around ``size_mean``;
* quote updates arrive as a Poisson process (mean gap ``tick_interval_ms``) per
  (symbol, venue); the consumer sees each quote after a lognormal latency with mean
  ``latency_ms_mean`` and standard deviation ``latency_ms_jitter``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from quantlib_local._typing import ArrayLike, Float64Array, SeedLike
from quantlib_local.data.synthetic._common import (
    CALENDAR_DAYS_PER_YEAR,
    check_count,
    check_real,
    check_symbols,
    check_vector,
    label_synthetic,
    make_rng,
    seed_label,
)
from quantlib_local.exceptions import ValidationError

QUOTE_COLUMNS: tuple[str, ...] = (
    "timestamp_exchange", "timestamp_received", "venue", "symbol",
    "bid", "ask", "bid_size", "ask_size", "taker_fee",
)
"""Columns of :func:`multi_venue_quotes`, in order."""

_MS_PER_YEAR = CALENDAR_DAYS_PER_YEAR * 24 * 3600 * 1000.0
_NS_PER_MS = 1_000_000
_SIZE_LOG_SIGMA = 0.5


@dataclass(frozen=True)
class VenueSpec:
    """How one SYNTHETIC venue quotes.

    Parameters
    ----------
    name
        Venue id, e.g. ``"binance"``.
    spread_bps
        Mean quoted spread, basis points of the mid (> 0).
    latency_ms_mean
        Mean delay from exchange timestamp to receipt, milliseconds (>= 0).
    latency_ms_jitter
        Standard deviation of that delay, milliseconds (>= 0; 0 when the mean is 0).
    taker_fee
        Fee for taking liquidity, decimal fraction of notional (0.001 = 10 bps), in [0, 1).
    price_noise_bps
        Standard deviation of the venue mid around the efficient price, basis points (>= 0).
    noise_half_life_ms
        Half-life of that deviation, milliseconds (> 0): how long a dislocation lasts.
    size_mean
        Mean quoted size at the touch, base units (> 0).
    """

    name: str
    spread_bps: float = 2.0
    latency_ms_mean: float = 50.0
    latency_ms_jitter: float = 15.0
    taker_fee: float = 0.001
    price_noise_bps: float = 0.4
    noise_half_life_ms: float = 500.0
    size_mean: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("name", self.name, "give the venue a non-empty name such as 'binance'")
        check_real("spread_bps", self.spread_bps, lower=0.0, upper=10_000.0, lower_open=True, upper_open=True)
        mean = check_real("latency_ms_mean", self.latency_ms_mean, lower=0.0)
        jitter = check_real("latency_ms_jitter", self.latency_ms_jitter, lower=0.0)
        if mean == 0.0 and jitter > 0.0:
            raise ValidationError(
                "latency_ms_jitter", jitter, "use 0 jitter with 0 mean latency, or a positive latency_ms_mean"
            )
        check_real("taker_fee", self.taker_fee, lower=0.0, upper=1.0, upper_open=True,
                   fix="pass a decimal fraction in [0, 1), e.g. 0.001 for 10 bps")
        check_real("price_noise_bps", self.price_noise_bps, lower=0.0)
        check_real("noise_half_life_ms", self.noise_half_life_ms, lower=0.0, lower_open=True)
        check_real("size_mean", self.size_mean, lower=0.0, lower_open=True)


DEFAULT_VENUES: Mapping[str, VenueSpec] = MappingProxyType(
    {
        # Illustrative values only (rough base-tier retail taker fees, plausible spreads
        # and latencies for liquid spot pairs); not a venue's current fee schedule.
        "binance": VenueSpec("binance", spread_bps=1.0, latency_ms_mean=25.0, latency_ms_jitter=8.0,
                             taker_fee=0.0010, price_noise_bps=0.2, size_mean=2.0),
        "coinbase": VenueSpec("coinbase", spread_bps=2.0, latency_ms_mean=40.0, latency_ms_jitter=12.0,
                              taker_fee=0.0060, price_noise_bps=0.4, size_mean=1.0),
        "kraken": VenueSpec("kraken", spread_bps=3.0, latency_ms_mean=70.0, latency_ms_jitter=20.0,
                            taker_fee=0.0040, price_noise_bps=0.6, size_mean=0.8),
        "bybit": VenueSpec("bybit", spread_bps=1.5, latency_ms_mean=35.0, latency_ms_jitter=10.0,
                           taker_fee=0.0010, price_noise_bps=0.3, size_mean=1.5),
        "okx": VenueSpec("okx", spread_bps=1.5, latency_ms_mean=45.0, latency_ms_jitter=15.0,
                         taker_fee=0.0010, price_noise_bps=0.3, size_mean=1.5),
    }
)
"""Ready-made :class:`VenueSpec` by name, used when ``multi_venue_quotes`` gets a plain name."""


def multi_venue_quotes(
    symbols: int | Sequence[str],
    venues: Sequence[str | VenueSpec],
    n_ticks: int,
    *,
    seed: SeedLike,
    start: str | pd.Timestamp = "2020-01-01",
    tick_interval_ms: float = 100.0,
    s0: float | ArrayLike | Mapping[str, float] = 100.0,
    sigma: float = 0.8,
    spread_log_sigma: float = 0.25,
) -> pd.DataFrame:
    """SYNTHETIC top-of-book quotes of several symbols on several venues (see module docstring).

    Parameters
    ----------
    symbols
        Symbol names, or a count ``n`` for ``SYN0 .. SYN{n-1}``.
    venues
        Venue names found in :data:`DEFAULT_VENUES` or :class:`VenueSpec` objects (unique names).
    n_ticks
        Quote updates per (symbol, venue).
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    start
        Time of the first possible update; naive values are taken as UTC.
    tick_interval_ms
        Mean gap between two updates of one (symbol, venue), milliseconds (> 0).
    s0
        Starting efficient price: one number, one per symbol, or a mapping symbol -> price.
    sigma
        Annualised volatility of the efficient price (decimal, >= 0; 365-day year).
    spread_log_sigma
        Log-standard deviation of the quoted spread around its mean (>= 0).

    Returns
    -------
    DataFrame
        One row per quote, columns :data:`QUOTE_COLUMNS` (UTC timestamps, ``taker_fee`` as a
        decimal fraction), sorted by ``timestamp_received``; ``bid < ask`` and
        ``timestamp_received >= timestamp_exchange`` on every row. ``attrs["synthetic"] = True``
        and ``attrs["source"] = "synthetic:multi_venue_quotes"``.

    Raises
    ------
    ValidationError
        An unknown venue name, duplicate names, or a parameter outside its domain.
    """
    names = check_symbols(symbols)
    specs = venue_specs(venues)
    n_ticks = check_count("n_ticks", n_ticks)
    tick_interval_ms = check_real("tick_interval_ms", tick_interval_ms, lower=0.0, lower_open=True)
    if isinstance(s0, Mapping):
        missing = [name for name in names if name not in s0]
        if missing:
            raise ValidationError("s0", dict(s0), f"give a starting price for every symbol; missing {missing}")
        s0 = [s0[name] for name in names]
    s0_vec = check_vector("s0", s0, len(names), lower=0.0, lower_open=True, what="symbol")
    sigma = check_real("sigma", sigma, lower=0.0)
    spread_log_sigma = check_real("spread_log_sigma", spread_log_sigma, lower=0.0)
    try:
        origin = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ValidationError("start", start, "use a date such as '2020-01-01' or a pandas Timestamp") from None
    if pd.isna(origin):
        raise ValidationError("start", start, "use a date such as '2020-01-01' or a pandas Timestamp")
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
    rng = make_rng(seed)

    n_sym, n_ven = len(names), len(specs)
    shape = (n_sym, n_ven, n_ticks)
    # exchange times: Poisson arrivals per (symbol, venue), milliseconds after start
    times_ms = np.cumsum(rng.exponential(tick_interval_ms, shape), axis=2)
    log_efficient = _efficient_log_price(times_ms, np.log(s0_vec), sigma, rng)
    noise = _venue_noise(times_ms, specs, rng)
    mid = np.exp(log_efficient + noise)

    spread_mean = np.array([spec.spread_bps for spec in specs])[None, :, None]
    spread_bps = spread_mean * np.exp(spread_log_sigma * rng.standard_normal(shape) - 0.5 * spread_log_sigma**2)
    # floor keeps bid < ask in floating point even for extreme spread_log_sigma
    half = np.clip(spread_bps, 1e-6, 19_999.0) / 20_000.0
    size_mean = np.array([spec.size_mean for spec in specs])[None, :, None]
    sizes = size_mean * np.exp(_SIZE_LOG_SIGMA * rng.standard_normal((2, *shape)) - 0.5 * _SIZE_LOG_SIGMA**2)
    latency_ms = _latencies(specs, shape, rng)

    origin_ns = origin.as_unit("ns").value
    exchange_ns = origin_ns + np.rint(times_ms * _NS_PER_MS).astype("int64")
    received_ns = exchange_ns + np.rint(latency_ms * _NS_PER_MS).astype("int64")
    fee = np.broadcast_to(np.array([spec.taker_fee for spec in specs])[None, :, None], shape)
    venue_codes = np.broadcast_to(np.arange(n_ven)[None, :, None], shape).ravel()
    symbol_codes = np.broadcast_to(np.arange(n_sym)[:, None, None], shape).ravel()

    order = np.lexsort((symbol_codes, venue_codes, exchange_ns.ravel(), received_ns.ravel()))
    frame = pd.DataFrame(
        {
            "timestamp_exchange": pd.to_datetime(exchange_ns.ravel()[order], unit="ns", utc=True),
            "timestamp_received": pd.to_datetime(received_ns.ravel()[order], unit="ns", utc=True),
            "venue": np.array([spec.name for spec in specs], dtype=object)[venue_codes[order]],
            "symbol": np.array(names, dtype=object)[symbol_codes[order]],
            "bid": (mid * (1.0 - half)).ravel()[order],
            "ask": (mid * (1.0 + half)).ravel()[order],
            "bid_size": sizes[0].ravel()[order],
            "ask_size": sizes[1].ravel()[order],
            "taker_fee": fee.ravel()[order],
        }
    )
    params = {
        "symbols": tuple(names), "venues": tuple(spec.name for spec in specs), "n_ticks": n_ticks,
        "tick_interval_ms": tick_interval_ms, "s0": s0_vec, "sigma": sigma,
        "spread_log_sigma": spread_log_sigma, "seed": seed_label(seed),
    }
    return label_synthetic(frame, "multi_venue_quotes", params)


def venue_specs(venues: Sequence[str | VenueSpec]) -> list[VenueSpec]:
    """Resolve venue names through :data:`DEFAULT_VENUES`; keep :class:`VenueSpec` objects as given."""
    if isinstance(venues, (str, VenueSpec)) or not isinstance(venues, Sequence) or len(venues) == 0:
        raise ValidationError(
            "venues", venues, "pass a non-empty list of venue names or VenueSpec objects, e.g. ['binance', 'kraken']"
        )
    specs: list[VenueSpec] = []
    for venue in venues:
        if isinstance(venue, VenueSpec):
            specs.append(venue)
        elif isinstance(venue, str) and venue in DEFAULT_VENUES:
            specs.append(DEFAULT_VENUES[venue])
        else:
            known = ", ".join(sorted(DEFAULT_VENUES))
            raise ValidationError("venues", venue, f"use a known venue ({known}) or pass a VenueSpec")
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValidationError("venues", names, "list each venue once", detail="duplicate venue names")
    return specs


def _efficient_log_price(
    times_ms: Float64Array, log_s0: Float64Array, sigma: float, rng: np.random.Generator
) -> Float64Array:
    """Martingale GBM log price per symbol, evaluated at every quote time of every venue."""
    n_sym = times_ms.shape[0]
    out = np.empty_like(times_ms)
    for s in range(n_sym):
        flat = times_ms[s].ravel()
        order = np.argsort(flat, kind="stable")
        years = flat[order] / _MS_PER_YEAR
        dt = np.diff(years, prepend=0.0)
        steps = -0.5 * sigma**2 * dt + sigma * np.sqrt(dt) * rng.standard_normal(len(dt))
        levels = np.empty_like(flat)
        levels[order] = log_s0[s] + np.cumsum(steps)
        out[s] = levels.reshape(times_ms[s].shape)
    return out


def _venue_noise(times_ms: Float64Array, specs: Sequence[VenueSpec], rng: np.random.Generator) -> Float64Array:
    """Stationary Ornstein-Uhlenbeck deviation of each venue's mid (log units), exact at irregular times."""
    scale = np.array([spec.price_noise_bps for spec in specs])[None, :] / 10_000.0
    rate = np.array([math.log(2.0) / spec.noise_half_life_ms for spec in specs])[None, :]
    gaps = np.diff(times_ms, axis=2, prepend=0.0)
    decay = np.exp(-rate[..., None] * gaps)
    shock = scale[..., None] * np.sqrt(1.0 - decay**2) * rng.standard_normal(times_ms.shape)
    noise = np.empty_like(times_ms)
    current = scale * rng.standard_normal(times_ms.shape[:2])  # start in the stationary law
    for i in range(times_ms.shape[2]):
        current = decay[..., i] * current + shock[..., i]
        noise[..., i] = current
    return noise


def _latencies(specs: Sequence[VenueSpec], shape: tuple[int, ...], rng: np.random.Generator) -> Float64Array:
    """Lognormal latencies (ms) with each venue's mean and standard deviation (0 stays 0)."""
    mean = np.array([spec.latency_ms_mean for spec in specs])
    jitter = np.array([spec.latency_ms_jitter for spec in specs])
    safe_mean = np.where(mean > 0, mean, 1.0)
    log_var = np.log1p((jitter / safe_mean) ** 2)
    log_mean = np.log(safe_mean) - 0.5 * log_var
    z = rng.standard_normal(shape)
    latency = np.exp(log_mean[None, :, None] + np.sqrt(log_var)[None, :, None] * z)
    return np.where(mean[None, :, None] > 0, latency, 0.0)
