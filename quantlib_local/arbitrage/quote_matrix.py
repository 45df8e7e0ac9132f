"""The latest top of book per (symbol, venue): :class:`Quote` and :class:`QuoteMatrix`.

Hand-written because the scanner needs the books as dense ``symbols x venues`` arrays
(bid, ask, sizes, taker fee, exchange and receipt timestamps) that can be updated one quote
at a time (a live feed) or built in bulk from a quote frame (research), with one rule for
both: a quote replaces the stored one for its (symbol, venue) unless its exchange
timestamp is older (an out-of-order arrival, counted and ignored); on equal exchange
timestamps the later arrival wins. Names get codes in order of first appearance, and the
arrays grow as new symbols and venues arrive.

Times: ``latency_ms = timestamp_received - timestamp_exchange`` (feed latency of a quote);
``age_ms = as_of - timestamp_exchange`` at scan time ``as_of``; a quote is fresh while
``age <= max_quote_age_ms`` (decided on integer nanoseconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.arbitrage._inputs import check_quote_values, quote_arrays, timestamp_ns, to_utc_timestamp
from quantlib_local.arbitrage.config import ArbitrageConfig
from quantlib_local.data.synthetic import QUOTE_COLUMNS
from quantlib_local.exceptions import ValidationError

_FLOAT_FIELDS = ("bid", "ask", "bid_size", "ask_size", "taker_fee")


@dataclass(frozen=True)
class Quote:
    """One top-of-book quote of one symbol on one venue (the fields of ``QUOTE_COLUMNS``).

    Timestamps are stored as UTC :class:`pandas.Timestamp` (naive input is taken as UTC);
    sizes are base units, ``taker_fee`` a decimal fraction of notional.
    """

    timestamp_exchange: pd.Timestamp
    timestamp_received: pd.Timestamp
    venue: str
    symbol: str
    bid: float
    ask: float
    bid_size: float
    ask_size: float
    taker_fee: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp_exchange", to_utc_timestamp(self.timestamp_exchange, "timestamp_exchange"))
        object.__setattr__(self, "timestamp_received", to_utc_timestamp(self.timestamp_received, "timestamp_received"))
        check_quote_values(self.symbol, self.venue, self.bid, self.ask, self.bid_size, self.ask_size, self.taker_fee,
                           self.exchange_ns, self.received_ns)
        for name in _FLOAT_FIELDS:
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def exchange_ns(self) -> int:
        """Exchange timestamp, integer nanoseconds since the epoch."""
        return int(self.timestamp_exchange.as_unit("ns").value)

    @property
    def received_ns(self) -> int:
        """Receipt timestamp, integer nanoseconds since the epoch."""
        return int(self.timestamp_received.as_unit("ns").value)

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Quote:
        """A quote from a mapping holding the ``QUOTE_COLUMNS`` keys (a frame row, a decoded message)."""
        if not isinstance(row, Mapping):
            raise ValidationError("quote", type(row).__name__,
                                  f"pass a Quote or a mapping with keys {list(QUOTE_COLUMNS)}")
        missing = [key for key in QUOTE_COLUMNS if key not in row]
        if missing:
            raise ValidationError("quote", sorted(map(str, row)), f"add the keys {missing}")
        return cls(**{key: row[key] for key in QUOTE_COLUMNS})

    @classmethod
    def from_ccxt_ticker(
        cls, venue: str, ticker: Mapping[str, Any], *, taker_fee: float, received_at: Any,
        default_size: float | None = None,
    ) -> Quote:
        """A quote from a ccxt unified ticker (``fetch_ticker``/``watch_ticker`` result).

        Parameters
        ----------
        venue
            The exchange id, e.g. ``"binance"``.
        ticker
            ccxt's unified ticker: ``symbol``, ``bid``, ``ask``, ``bidVolume``, ``askVolume``,
            ``timestamp`` (milliseconds).
        taker_fee
            The venue's taker fee for the symbol (ccxt: ``exchange.markets[symbol]["taker"]``).
        received_at
            When the ticker arrived (our clock).
        default_size
            Size to assume when the venue does not report ``bidVolume``/``askVolume`` (several
            do not); None refuses such tickers.

        Notes
        -----
        Some venues (kraken, gate) send no ticker timestamp; the receipt time is used then, so
        the quote's latency reads 0 and its age runs from receipt.
        """
        if not isinstance(ticker, Mapping):
            raise ValidationError("ticker", type(ticker).__name__, "pass ccxt's unified ticker dict")
        for key in ("symbol", "bid", "ask"):
            if ticker.get(key) is None:
                raise ValidationError(f"ticker.{key}", None, "use a ticker that reports the symbol, bid and ask")
        sizes = []
        for key in ("bidVolume", "askVolume"):
            size = ticker.get(key)
            if size is None:
                if default_size is None:
                    raise ValidationError(f"ticker.{key}", None,
                                          "pass default_size to assume a size where the venue reports none")
                size = default_size
            sizes.append(size)
        received = to_utc_timestamp(received_at, "received_at")
        stamp = ticker.get("timestamp")
        exchange = received if stamp is None else to_utc_timestamp(pd.Timestamp(int(stamp), unit="ms"),
                                                                   "ticker.timestamp")
        return cls(exchange, received, venue, ticker["symbol"], ticker["bid"], ticker["ask"], sizes[0], sizes[1],
                   taker_fee)


class MatrixBlock(NamedTuple):
    """The books as dense ``(n_symbols, n_venues)`` arrays (views; ``present`` marks filled cells)."""

    bid: Float64Array
    ask: Float64Array
    bid_size: Float64Array
    ask_size: Float64Array
    taker_fee: Float64Array
    exchange_ns: np.ndarray
    received_ns: np.ndarray
    present: np.ndarray


class QuoteMatrix:
    """The latest top of book per (symbol, venue), updated quote by quote or built from a frame.

    Attributes
    ----------
    symbols, venues
        Names in order of first appearance (row and column order of the arrays).
    as_of
        Latest receipt time seen (UTC), or None while empty.
    n_updates, n_out_of_order
        Quotes accepted, and quotes ignored because a newer one (by exchange time) was stored.
    """

    def __init__(self) -> None:
        self._symbol_code: dict[str, int] = {}
        self._venue_code: dict[str, int] = {}
        self._floats = np.full((len(_FLOAT_FIELDS), 4, 4), np.nan)
        self._times = np.zeros((2, 4, 4), dtype=np.int64)
        self._present = np.zeros((4, 4), dtype=bool)
        self._latest_ns: int | None = None
        self.n_updates = 0
        self.n_out_of_order = 0

    # --- names --------------------------------------------------------------------------

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbol_code)

    @property
    def venues(self) -> tuple[str, ...]:
        return tuple(self._venue_code)

    @property
    def as_of(self) -> pd.Timestamp | None:
        return None if self._latest_ns is None else pd.Timestamp(self._latest_ns, unit="ns", tz="UTC")

    def __len__(self) -> int:
        """Number of (symbol, venue) cells holding a quote."""
        return int(self._present.sum())

    def __repr__(self) -> str:
        return (f"QuoteMatrix({len(self._symbol_code)} symbols x {len(self._venue_code)} venues, "
                f"{len(self)} quotes, as_of={self.as_of})")

    def code(self, symbol: str, venue: str) -> tuple[int, int]:
        """Row and column of (symbol, venue), registering new names (the arrays grow as needed)."""
        s = self._symbol_code.setdefault(symbol, len(self._symbol_code))
        v = self._venue_code.setdefault(venue, len(self._venue_code))
        rows, cols = self._present.shape
        if s >= rows or v >= cols:
            new_rows, new_cols = max(rows, 2 * (s + 1)), max(cols, 2 * (v + 1))
            floats = np.full((len(_FLOAT_FIELDS), new_rows, new_cols), np.nan)
            floats[:, :rows, :cols] = self._floats
            times = np.zeros((2, new_rows, new_cols), dtype=np.int64)
            times[:, :rows, :cols] = self._times
            present = np.zeros((new_rows, new_cols), dtype=bool)
            present[:rows, :cols] = self._present
            self._floats, self._times, self._present = floats, times, present
        return s, v

    # --- updates ------------------------------------------------------------------------

    def update(self, quote: Quote | Mapping[str, Any]) -> bool:
        """Store ``quote`` (a :class:`Quote` or a mapping with ``QUOTE_COLUMNS``); False when it was out of order."""
        if not isinstance(quote, Quote):
            quote = Quote.from_mapping(quote)
        s, v = self.code(quote.symbol, quote.venue)
        return self.set_cell(s, v, quote.bid, quote.ask, quote.bid_size, quote.ask_size, quote.taker_fee,
                             quote.exchange_ns, quote.received_ns)

    def set_cell(self, s: int, v: int, bid: float, ask: float, bid_size: float, ask_size: float, taker_fee: float,
                 exchange_ns: int, received_ns: int) -> bool:
        """Store already validated values in cell ``(s, v)`` (from :meth:`code`); the fast path of a feed."""
        if self._latest_ns is None or received_ns > self._latest_ns:
            self._latest_ns = received_ns
        if self._present[s, v] and exchange_ns < self._times[0, s, v]:
            self.n_out_of_order += 1
            return False
        self._floats[:, s, v] = (bid, ask, bid_size, ask_size, taker_fee)
        self._times[0, s, v] = exchange_ns
        self._times[1, s, v] = received_ns
        self._present[s, v] = True
        self.n_updates += 1
        return True

    @classmethod
    def from_frame(cls, quotes: pd.DataFrame, as_of: Any = None) -> QuoteMatrix:
        """The matrix after every quote of ``quotes`` received at or before ``as_of`` (None: all of them).

        Equivalent to calling :meth:`update` on those rows in received-time order (ties in
        frame order), vectorised.
        """
        data = quote_arrays(quotes)
        keep = np.ones(len(data), dtype=bool)
        if as_of is not None:
            keep = data.received_ns <= timestamp_ns(as_of, "as_of")
        rows = np.flatnonzero(keep)
        matrix = cls()
        if len(rows) == 0:
            return matrix
        # rows are in received order, so the kept rows are a prefix: they hold exactly the first
        # symbol and venue codes (codes number names by first appearance)
        sym, ven, exch = data.symbol[rows], data.venue[rows], data.exchange_ns[rows]
        for name in data.symbols[: int(sym.max()) + 1]:
            matrix._symbol_code[name] = len(matrix._symbol_code)
        for name in data.venues[: int(ven.max()) + 1]:
            matrix._venue_code[name] = len(matrix._venue_code)
        matrix.code(matrix.symbols[-1], matrix.venues[-1])  # size the arrays
        # per cell, the kept row with the largest (exchange time, position): what sequential updates keep
        group = sym * len(matrix._venue_code) + ven
        order = np.lexsort((np.arange(len(rows)), exch, group))
        last = order[np.r_[group[order][1:] != group[order][:-1], True]]
        running_max = pd.Series(exch).groupby(group).cummax().to_numpy()
        chosen, s_last, v_last = rows[last], sym[last], ven[last]
        for k, name in enumerate(_FLOAT_FIELDS):
            matrix._floats[k, s_last, v_last] = getattr(data, name)[chosen]
        matrix._times[0, s_last, v_last] = data.exchange_ns[chosen]
        matrix._times[1, s_last, v_last] = data.received_ns[chosen]
        matrix._present[s_last, v_last] = True
        matrix.n_out_of_order = int((exch < running_max).sum())
        matrix.n_updates = len(rows) - matrix.n_out_of_order
        matrix._latest_ns = int(data.received_ns[rows].max())
        return matrix

    # --- views --------------------------------------------------------------------------

    def block(self) -> MatrixBlock:
        """The filled part of the arrays, ``(len(symbols), len(venues))`` each (views, do not modify)."""
        n_s, n_v = len(self._symbol_code), len(self._venue_code)
        floats = self._floats[:, :n_s, :n_v]
        return MatrixBlock(*floats, self._times[0, :n_s, :n_v], self._times[1, :n_s, :n_v], self._present[:n_s, :n_v])

    def check_as_of(self, as_of: Any) -> int:
        """``as_of`` (None: the latest receipt) in nanoseconds, refused when earlier than a quote already received."""
        if as_of is None:
            if self._latest_ns is None:
                raise ValidationError("as_of", None, "give a scan time, or update the matrix with quotes first")
            return self._latest_ns
        now = timestamp_ns(as_of, "as_of")
        if self._latest_ns is not None and now < self._latest_ns:
            raise ValidationError("as_of", as_of, f"scan no earlier than the latest receipt ({self.as_of}); for an "
                                  "earlier view build QuoteMatrix.from_frame(quotes, as_of=...)")
        return now

    def table(self, as_of: Any = None, config: ArbitrageConfig | None = None) -> pd.DataFrame:
        """One row per stored quote with its latency, age at ``as_of`` and freshness under ``config``.

        Columns: ``symbol``, ``venue``, the price columns, ``timestamp_exchange``,
        ``timestamp_received``, ``latency_ms``, ``age_ms``, ``fresh``.
        """
        config = config or ArbitrageConfig()
        now = self.check_as_of(as_of)
        block = self.block()
        s_idx, v_idx = np.nonzero(block.present)
        exch, recv = block.exchange_ns[s_idx, v_idx], block.received_ns[s_idx, v_idx]
        columns: dict[str, Any] = {
            "symbol": np.array(self.symbols, dtype=object)[s_idx],
            "venue": np.array(self.venues, dtype=object)[v_idx],
        }
        for name, array in zip(_FLOAT_FIELDS, block[:5]):
            columns[name] = array[s_idx, v_idx]
        columns["timestamp_exchange"] = pd.to_datetime(exch, unit="ns", utc=True)
        columns["timestamp_received"] = pd.to_datetime(recv, unit="ns", utc=True)
        columns["latency_ms"] = (recv - exch) / 1e6
        columns["age_ms"] = (now - exch) / 1e6
        columns["fresh"] = (now - exch) <= config.max_quote_age_ns
        return pd.DataFrame(columns)
