"""The snapshot scanner (design eq. 7, ranked by eq. 8): :func:`scan` a :class:`QuoteMatrix`.

For every symbol the scan evaluates all ordered venue pairs at once as a
``(symbols, buy venue, sell venue)`` grid (numpy broadcasting; the arithmetic is in
:mod:`~quantlib_local.arbitrage.edges`, the filters in ``_pairs``), keeps the
opportunities and ranks them by priority. :data:`OPPORTUNITY_COLUMNS` is the frame form
the store keeps; :class:`Opportunity` carries every intermediate of eq. 7 and eq. 8 as well.
This is what a REST ``GET /api/v1/arbitrage/scan`` (appendix B) answers with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.arbitrage._pairs import check_pairs, legs
from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.arbitrage.edges import PairEdges, liquidity_score, priority_score, risk_factor
from quantlib_local.arbitrage.quote_matrix import QuoteMatrix
from quantlib_local.core import OPPORTUNITY_COLUMNS
from quantlib_local.exceptions import ValidationError


@dataclass(frozen=True)
class Opportunity:
    """Buy ``quantity`` of ``symbol`` on ``buy_venue`` at its ask and sell it on ``sell_venue`` at its bid.

    Attributes
    ----------
    buy_price, sell_price
        The buy venue's ask and the sell venue's bid.
    quantity, notional
        ``min(ask size on buy venue, bid size on sell venue)`` base units; ``quantity x buy_price``.
    gross_edge, fees, slippage, net_edge
        Eq. 7: ``(sell_price - buy_price) / buy_price``, both taker fees, the config's slippage,
        and ``gross_edge - fees - slippage`` (decimals).
    expected_profit
        ``net_edge x notional`` (quote currency).
    liquidity_score, execution_time_s, risk_factor, priority
        Eq. 8 (definitions in :mod:`~quantlib_local.arbitrage.edges`).
    detected_at
        Scan time (UTC).
    latency_ms, quote_age_ms
        Feed latency and age at ``detected_at`` of the slower / older of the two quotes.
    """

    symbol: str
    buy_venue: str
    sell_venue: str
    buy_price: float
    sell_price: float
    quantity: float
    notional: float
    gross_edge: float
    fees: float
    slippage: float
    net_edge: float
    expected_profit: float
    liquidity_score: float
    execution_time_s: float
    risk_factor: float
    priority: float
    detected_at: pd.Timestamp
    latency_ms: float
    quote_age_ms: float

    @property
    def key(self) -> tuple[str, str, str]:
        """``(symbol, buy_venue, sell_venue)``: what identifies a persisting opportunity."""
        return (self.symbol, self.buy_venue, self.sell_venue)


_FULL_COLUMNS = tuple(item.name for item in fields(Opportunity))


def opportunities_frame(opportunities: Iterable[Opportunity], *, full: bool = False) -> pd.DataFrame:
    """One row per opportunity: exactly :data:`OPPORTUNITY_COLUMNS`, or every field with ``full=True``."""
    rows = list(opportunities)
    if any(not isinstance(row, Opportunity) for row in rows):
        raise ValidationError("opportunities", rows, "pass Opportunity objects (from scan, replay or the tracker)")
    columns = _FULL_COLUMNS if full else OPPORTUNITY_COLUMNS
    frame = pd.DataFrame([asdict(row) for row in rows], columns=list(_FULL_COLUMNS))
    frame["detected_at"] = pd.to_datetime(frame["detected_at"], utc=True).dt.as_unit("ns")
    for name in _FULL_COLUMNS:
        if name not in ("detected_at", "symbol", "buy_venue", "sell_venue"):
            frame[name] = frame[name].astype(np.float64)
    return frame.loc[:, list(columns)]


def make_opportunities(
    symbol: Sequence[str], buy_venue: Sequence[str], sell_venue: Sequence[str],
    buy_price: Float64Array, sell_price: Float64Array, edges: PairEdges, latency_ms: Float64Array,
    quote_age_ms: Float64Array, execution_time: Float64Array, detected_ns: np.ndarray, config: ArbitrageConfig,
) -> list[Opportunity]:
    """:class:`Opportunity` objects from 1-D arrays of selected pairs, computing eq. 8 on them."""
    liquidity = liquidity_score(edges.notional, config.liquidity_scale_usd)
    risk = risk_factor(quote_age_ms, config.max_quote_age_ms)
    priority = priority_score(edges.expected_profit, liquidity, execution_time, risk)
    n = len(priority)
    as_lists = [np.asarray(a, dtype=np.float64).tolist() for a in (
        buy_price, sell_price, edges.quantity, edges.notional, edges.gross_edge, edges.fees)]
    as_lists.append([config.max_slippage] * n)
    as_lists.extend(np.asarray(a, dtype=np.float64).tolist() for a in (
        edges.net_edge, edges.expected_profit, liquidity, execution_time, risk, priority))
    as_lists.append(timestamps(detected_ns))
    as_lists.extend(np.asarray(a, dtype=np.float64).tolist() for a in (latency_ms, quote_age_ms))
    return [Opportunity(*row) for row in zip(symbol, buy_venue, sell_venue, *as_lists)]


def timestamps(ns: np.ndarray) -> list[pd.Timestamp]:
    """UTC timestamps from integer nanoseconds (boxed in one pass; one by one is the replay's bottleneck)."""
    return list(pd.DatetimeIndex(pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True)))


def rank(opportunities: Iterable[Opportunity]) -> tuple[Opportunity, ...]:
    """Highest priority first; ties by symbol, buy venue, sell venue."""
    return tuple(sorted(opportunities, key=lambda o: (-o.priority, o.symbol, o.buy_venue, o.sell_venue)))


@dataclass(frozen=True)
class ScanResult:
    """One scan of a quote matrix.

    Attributes
    ----------
    as_of
        Scan time (UTC); quote ages are measured to it.
    opportunities
        Ranked by priority (eq. 8), highest first.
    n_quotes, n_stale
        Quotes in the matrix, and those left out as stale (older than ``max_quote_age_ms``).
    stale
        ``(symbol, venue)`` of each stale quote.
    n_pairs
        Ordered pairs of distinct venues with both quotes fresh: the candidates examined.
    config
        The thresholds used.
    """

    as_of: pd.Timestamp
    opportunities: tuple[Opportunity, ...]
    n_quotes: int
    n_stale: int
    stale: tuple[tuple[str, str], ...]
    n_pairs: int
    config: ArbitrageConfig

    def __len__(self) -> int:
        return len(self.opportunities)

    def frame(self, *, full: bool = False) -> pd.DataFrame:
        """The opportunities as a frame (see :func:`opportunities_frame`), ranked."""
        return opportunities_frame(self.opportunities, full=full)


def check_config(config: Any) -> ArbitrageConfig:
    """``config`` itself, or the defaults for None."""
    if config is None:
        return ArbitrageConfig()
    if not isinstance(config, ArbitrageConfig):
        raise ValidationError("config", config, "pass an ArbitrageConfig (or None for the design's defaults)")
    return config


def scan(matrix: QuoteMatrix, config: ArbitrageConfig | None = None, *, as_of: Any = None) -> ScanResult:
    """Every arbitrage opportunity in ``matrix`` at ``as_of`` (eq. 7), ranked by priority (eq. 8).

    Parameters
    ----------
    matrix
        The latest quotes per (symbol, venue).
    config
        Thresholds; None uses the design's defaults.
    as_of
        Scan time; None uses the latest receipt in the matrix. Earlier than that is refused
        (the matrix would hold quotes from the future).

    Returns
    -------
    ScanResult
    """
    config = check_config(config)
    if not isinstance(matrix, QuoteMatrix):
        raise ValidationError("matrix", type(matrix).__name__, "pass a QuoteMatrix (QuoteMatrix.from_frame(quotes))")
    now = matrix.check_as_of(as_of)
    block = matrix.block()
    n_venues = block.bid.shape[1]
    check = check_pairs(legs(block, -2), legs(block, -1), now, ~np.eye(n_venues, dtype=bool), config)
    s, j, i = np.nonzero(check.valid)
    symbols, venues = np.array(matrix.symbols, dtype=object), np.array(matrix.venues, dtype=object)
    found = make_opportunities(
        symbols[s], venues[j], venues[i], block.ask[s, j], block.bid[s, i],
        PairEdges(*(array[s, j, i] for array in check.edges)), check.latency_ms[s, j, i],
        check.quote_age_ms[s, j, i], check.execution_time_s[s, j, i], np.full(len(s), now), config,
    )
    fresh = block.present & (now - block.exchange_ns <= config.max_quote_age_ns)
    stale_s, stale_v = np.nonzero(block.present & ~fresh)
    per_symbol = fresh.sum(axis=1)
    return ScanResult(
        as_of=pd.Timestamp(now, unit="ns", tz="UTC"),
        opportunities=rank(found),
        n_quotes=int(block.present.sum()),
        n_stale=len(stale_s),
        stale=tuple((str(symbols[a]), str(venues[b])) for a, b in zip(stale_s, stale_v)),
        n_pairs=int((per_symbol * (per_symbol - 1)).sum()),
        config=config,
    )


def scan_quotes(quotes: pd.DataFrame, config: ArbitrageConfig | None = None, *, as_of: Any = None) -> ScanResult:
    """:func:`scan` of the quote matrix built from a frame with ``QUOTE_COLUMNS`` as of ``as_of`` (None: the end)."""
    return scan(QuoteMatrix.from_frame(quotes, as_of=as_of), config, as_of=as_of)
