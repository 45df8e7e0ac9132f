"""An incremental Parquet cache of exchange candles.

One file per (exchange, symbol, timeframe)::

    <root>/<exchange id>/<symbol, '/' -> '_' and ':' -> '__'>/<timeframe>.parquet
    e.g. <root>/binance/BTC_USDT/1h.parquet, <root>/binance/BTC_USDT__USDT/1m.parquet

Each file holds one contiguous run of closed candles. :meth:`OHLCVCache.update` downloads
only what the file lacks (the head before its first candle when ``since`` is earlier, the
tail after its last candle up to ``until`` or now), merges, de-duplicates and replaces the
file atomically: the new content is written to a temporary file in the same folder,
flushed and fsync'ed, then moved over the old one with :func:`os.replace`. A crash or an
error mid-write leaves the previous file untouched. The head and the tail are committed one
after the other, so a failure while downloading the tail keeps the head already fetched.

The Parquet schema metadata carries, under the key ``quantlib_local``, a JSON object with
``source_exchange``, ``symbol``, ``timeframe``, ``fetched_at`` (UTC ISO time of the last
download) and ``requested_since`` (earliest ``since`` ever asked of the exchange, so a
request reaching before the market's listing is not repeated on every update).

Gaps inside the cached run (an exchange outage) are kept as the exchange reported them; they
are not re-requested. Two processes updating the same file do not corrupt it (each move is
atomic) but the last writer wins.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ccxt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from quantlib_local._atomic import atomic_write
from quantlib_local.config import load_settings
from quantlib_local.core.bars import INDEX_NAME
from quantlib_local.data import ccxt_history
from quantlib_local.data.ccxt_history import (
    TimestampLike,
    fetch_ohlcv_history,
    resolve_exchange,
    timeframe_to_ms,
    to_epoch_ms,
)
from quantlib_local.data.contract import ohlcv_from_rows, validate_ohlcv
from quantlib_local.exceptions import (
    DataSourceError,
    OHLCVValidationError,
    ValidationError,
)

logger = logging.getLogger(__name__)

METADATA_KEY = b"quantlib_local"
"""Key of the cache's JSON entry in the Parquet schema metadata."""

FORMAT_VERSION = 1


def default_cache_root() -> Path:
    """``<data_dir>/ohlcv`` of the workbench settings (``QLAB_DATA_DIR``, ``qlab.yaml``; default ``.qlab``)."""
    return load_settings().data_dir / "ohlcv"


@dataclass(frozen=True)
class CacheMetadata:
    """What a cache file says about itself (from its Parquet schema metadata)."""

    source_exchange: str
    symbol: str
    timeframe: str
    fetched_at: pd.Timestamp
    requested_since: pd.Timestamp | None = None

    def to_json(self) -> bytes:
        payload = {
            "source_exchange": self.source_exchange,
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "fetched_at": self.fetched_at.isoformat(),
            "requested_since": None if self.requested_since is None else self.requested_since.isoformat(),
            "format_version": FORMAT_VERSION,
        }
        return json.dumps(payload, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> CacheMetadata:
        payload = json.loads(raw)
        requested = payload.get("requested_since")
        return cls(
            source_exchange=payload["source_exchange"],
            symbol=payload["symbol"],
            timeframe=payload["timeframe"],
            fetched_at=pd.Timestamp(payload["fetched_at"]),
            requested_since=None if requested is None else pd.Timestamp(requested),
        )


class OHLCVCache:
    """Incremental, crash-safe Parquet cache of candles keyed by exchange, symbol and timeframe.

    Parameters
    ----------
    root
        Folder holding the cache (created on first write).

    Examples
    --------
    >>> cache = OHLCVCache("~/.cache/quantlib_local/ohlcv")                  # doctest: +SKIP
    >>> bars = cache.update("binance", "BTC/USDT", "1h", since="2024-01-01T00:00Z")  # doctest: +SKIP
    >>> cache.load("binance", "BTC/USDT", "1h").equals(bars)                # doctest: +SKIP
    True
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"OHLCVCache({str(self.root)!r})"

    # -- paths ------------------------------------------------------------------
    def path_for(self, exchange_id: str, symbol: str, timeframe: str) -> Path:
        """File that holds (or will hold) the candles of ``symbol`` at ``timeframe`` on ``exchange_id``."""
        return self.root / _path_part(exchange_id, "exchange_id") / symbol_to_dirname(symbol) / (
            _path_part(timeframe, "timeframe") + ".parquet"
        )

    # -- reading ----------------------------------------------------------------
    def entries(self) -> pd.DataFrame:
        """One row per cached series: what it is, how many candles, which span.

        Returns
        -------
        DataFrame
            Columns ``exchange, symbol, timeframe, bars, start, end, fetched_at, path``,
            sorted by exchange, symbol and timeframe; empty when nothing is cached.
            Files that cannot be read are skipped with a warning.
        """
        records = []
        for path in sorted(self.root.glob("*/*/*.parquet")) if self.root.is_dir() else []:
            try:
                parquet = pq.ParquetFile(path)
                meta = CacheMetadata.from_json(parquet.schema_arrow.metadata[METADATA_KEY])
                stamps = parquet.read(columns=[INDEX_NAME]).column(INDEX_NAME).to_pandas()
            except (OSError, pa.ArrowException, KeyError, ValueError, TypeError) as err:
                logger.warning("skipping unreadable cache file %s (%s); delete it to rebuild", path, err)
                continue
            records.append(
                {
                    "exchange": meta.source_exchange,
                    "symbol": meta.symbol,
                    "timeframe": meta.timeframe,
                    "bars": len(stamps),
                    "start": stamps.min() if len(stamps) else pd.NaT,
                    "end": stamps.max() if len(stamps) else pd.NaT,
                    "fetched_at": meta.fetched_at,
                    "path": path,
                }
            )
        columns = ["exchange", "symbol", "timeframe", "bars", "start", "end", "fetched_at", "path"]
        table = pd.DataFrame.from_records(records, columns=columns)
        return table.sort_values(["exchange", "symbol", "timeframe"], ignore_index=True)

    def load(self, exchange_id: str, symbol: str, timeframe: str) -> pd.DataFrame | None:
        """The cached candles, or None when nothing is cached yet.

        Raises
        ------
        DataSourceError
            The file is unreadable, holds another series, or breaks the OHLCV contract;
            the message says to delete it so the next update rebuilds it.
        """
        loaded = self._read(exchange_id, symbol, timeframe)
        return None if loaded is None else loaded[0]

    def metadata(self, exchange_id: str, symbol: str, timeframe: str) -> CacheMetadata | None:
        """The cache file's metadata, or None when nothing is cached yet."""
        path = self.path_for(exchange_id, symbol, timeframe)
        if not path.is_file():
            return None
        return self._check_metadata(path, pq.read_schema(path).metadata, exchange_id, symbol, timeframe)

    # -- writing ----------------------------------------------------------------
    def update(
        self,
        exchange: ccxt.Exchange | str,
        symbol: str,
        timeframe: str,
        since: TimestampLike,
        until: TimestampLike | None = None,
        *,
        exchange_options: Mapping[str, Any] | None = None,
        **fetch_kwargs: Any,
    ) -> pd.DataFrame:
        """Download what the cache lacks for ``[since, until)``, store it, return the whole cached run.

        Parameters
        ----------
        exchange
            ccxt exchange instance or id (see :func:`fetch_ohlcv_history`).
        symbol, timeframe
            Market and candle length, e.g. ``"BTC/USDT"``, ``"1h"``.
        since, until
            Range of candle open times wanted; ``until=None`` means now. Only the part
            before the first cached candle and after the last one is downloaded.
        exchange_options
            ccxt constructor options (credentials...) when ``exchange`` is an id; never logged.
        **fetch_kwargs
            Passed to :func:`fetch_ohlcv_history` (``limit_per_call``, ``max_retries``,
            ``backoff_seconds``, ``progress``...).

        Returns
        -------
        DataFrame
            Everything cached for this series after the update (may extend beyond the range).

        Raises
        ------
        ValidationError
            Bad arguments (see :func:`fetch_ohlcv_history`).
        DataSourceError
            The download failed, the cache file is unusable, or it could not be written
            (the previous file is then unchanged).
        """
        ccxt_exchange = resolve_exchange(exchange, exchange_options)
        exchange_id = str(ccxt_exchange.id)
        step_ms = timeframe_to_ms(ccxt_exchange, timeframe)
        since_ms = to_epoch_ms(since, "since")
        now_ms = ccxt_history._utc_now_ms()
        until_ms = now_ms if until is None else to_epoch_ms(until, "until")
        if since_ms >= until_ms:
            raise ValidationError("since", since, "pass a since earlier than until (until=None means now)")

        path = self.path_for(exchange_id, symbol, timeframe)
        loaded = self._read(exchange_id, symbol, timeframe)
        if loaded is None:
            ranges = [(since_ms, until_ms)]
            return self._download(ccxt_exchange, symbol, timeframe, ranges, None, since_ms, fetch_kwargs)
        cached, meta = loaded
        first_ms, last_ms = _to_ms(cached.index[0]), _to_ms(cached.index[-1])
        asked_from_ms = first_ms if meta.requested_since is None else min(first_ms, _to_ms(meta.requested_since))
        missing: list[tuple[int, int]] = []
        if since_ms < asked_from_ms:
            missing.append((since_ms, first_ms))  # the head, contiguous with the cached run
        next_open_ms = last_ms + step_ms
        if next_open_ms < until_ms and next_open_ms + step_ms <= now_ms:
            # the tail: at least one more closed candle exists
            missing.append((last_ms + ccxt_history._cursor_step_ms(timeframe, step_ms), until_ms))
        if not missing:
            logger.info("%s %s %s: cache is up to date (%s)", exchange_id, symbol, timeframe, path)
            return cached
        return self._download(ccxt_exchange, symbol, timeframe, missing, cached, asked_from_ms, fetch_kwargs)

    def save(self, frame: pd.DataFrame, metadata: CacheMetadata) -> Path:
        """Validate ``frame`` and replace the cache file atomically; return its path.

        Raises
        ------
        ValidationError
            ``frame`` is empty (an empty series is no file).
        OHLCVValidationError
            ``frame`` breaks the OHLCV contract.
        DataSourceError
            Writing failed (disk full, permissions); the previous file is unchanged and no
            temporary file is left behind.
        """
        frame = validate_ohlcv(frame).frame
        if frame.empty:
            raise ValidationError("frame", "an empty frame", "save at least one candle; an empty cache is no file")
        path = self.path_for(metadata.source_exchange, metadata.symbol, metadata.timeframe)
        table = pa.Table.from_pandas(frame, preserve_index=True)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: metadata.to_json()})
        try:
            _atomic_write(path, table)
        except OSError as err:
            raise DataSourceError(
                f"could not write the OHLCV cache file {path}: {err}. Fix: check free disk space and write "
                "permissions of the cache folder; the previous cache file is unchanged"
            ) from err
        return path

    # -- helpers ----------------------------------------------------------------
    def _download(
        self,
        exchange: ccxt.Exchange,
        symbol: str,
        timeframe: str,
        ranges: list[tuple[int, int]],
        cached: pd.DataFrame | None,
        asked_from_ms: int,
        fetch_kwargs: dict[str, Any],
    ) -> pd.DataFrame:
        """Fetch each ``[start, end)`` range and commit it at once, so a later failure keeps it."""
        exchange_id = str(exchange.id)
        current = cached
        fetched = 0
        for start_ms, end_ms in ranges:
            frame = fetch_ohlcv_history(exchange, symbol, timeframe, start_ms, end_ms, **fetch_kwargs)
            fetched += len(frame)
            asked_before = asked_from_ms
            asked_from_ms = min(asked_from_ms, start_ms)
            merged = frame if current is None else _merge([current, frame])
            if merged.empty or (frame.empty and asked_from_ms == asked_before):
                continue  # nothing new to store
            metadata = CacheMetadata(
                source_exchange=exchange_id,
                symbol=symbol,
                timeframe=timeframe,
                fetched_at=pd.Timestamp(ccxt_history._utc_now_ms(), unit="ms", tz="UTC"),
                requested_since=pd.Timestamp(min(asked_from_ms, _to_ms(merged.index[0])), unit="ms", tz="UTC"),
            )
            self.save(merged, metadata)
            current = merged
        path = self.path_for(exchange_id, symbol, timeframe)
        if current is None:
            logger.warning(
                "%s %s %s: nothing to cache; the exchange returned no candles", exchange_id, symbol, timeframe
            )
            return _empty_frame()
        logger.info("%s %s %s: %d new candle(s); %d cached in %s", exchange_id, symbol, timeframe, fetched,
                    len(current), path)
        return current

    def _read(self, exchange_id: str, symbol: str, timeframe: str) -> tuple[pd.DataFrame, CacheMetadata] | None:
        path = self.path_for(exchange_id, symbol, timeframe)
        if not path.is_file():
            return None
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as err:
            raise DataSourceError(
                f"the OHLCV cache file {path} cannot be read ({err}). Fix: delete it; the next update rebuilds it"
            ) from err
        meta = self._check_metadata(path, table.schema.metadata, exchange_id, symbol, timeframe)
        try:
            frame = validate_ohlcv(table.to_pandas()).frame
        except OHLCVValidationError as err:
            raise DataSourceError(
                f"the OHLCV cache file {path} breaks the OHLCV contract ({err}). "
                "Fix: delete it; the next update rebuilds it"
            ) from err
        return frame, meta

    @staticmethod
    def _check_metadata(
        path: Path, schema_metadata: dict[bytes, bytes] | None, exchange_id: str, symbol: str, timeframe: str
    ) -> CacheMetadata:
        raw = (schema_metadata or {}).get(METADATA_KEY)
        try:
            meta = CacheMetadata.from_json(raw) if raw is not None else None
        except (ValueError, KeyError, TypeError):
            meta = None
        if meta is None:
            raise DataSourceError(
                f"{path} has no readable {METADATA_KEY.decode()!r} metadata, so it was not written by OHLCVCache. "
                "Fix: move it out of the cache folder or delete it"
            )
        wanted = (exchange_id, symbol, timeframe)
        if (meta.source_exchange, meta.symbol, meta.timeframe) != wanted:
            raise DataSourceError(
                f"{path} holds {meta.source_exchange} {meta.symbol} {meta.timeframe}, not {' '.join(wanted)} "
                "(two symbols map to one file name). Fix: use a separate cache root for one of them"
            )
        return meta


def cached_ohlcv(
    exchange: ccxt.Exchange | str,
    symbol: str,
    timeframe: str,
    since: TimestampLike,
    until: TimestampLike | None = None,
    cache_root: str | os.PathLike[str] | None = None,
    *,
    exchange_options: Mapping[str, Any] | None = None,
    **fetch_kwargs: Any,
) -> pd.DataFrame:
    """Candles with open time in ``[since, until)``, served from the Parquet cache and topped up.

    Parameters
    ----------
    exchange, symbol, timeframe, since, until
        As in :func:`~quantlib_local.data.ccxt_history.fetch_ohlcv_history`.
    cache_root
        Cache folder; None uses :func:`default_cache_root`.
    exchange_options
        ccxt constructor options (credentials...) when ``exchange`` is an id; never logged.
    **fetch_kwargs
        Passed to :func:`fetch_ohlcv_history` for the missing parts.

    Returns
    -------
    DataFrame
        Validated OHLCV frame restricted to the requested range.
    """
    cache = OHLCVCache(default_cache_root() if cache_root is None else cache_root)
    frame = cache.update(exchange, symbol, timeframe, since, until, exchange_options=exchange_options, **fetch_kwargs)
    start = pd.Timestamp(to_epoch_ms(since, "since"), unit="ms", tz="UTC")
    mask = frame.index >= start
    if until is not None:
        mask &= frame.index < pd.Timestamp(to_epoch_ms(until, "until"), unit="ms", tz="UTC")
    return frame.loc[mask]


def symbol_to_dirname(symbol: str) -> str:
    """Folder name for a unified symbol: ``"BTC/USDT:USDT"`` -> ``"BTC_USDT__USDT"``.

    Other characters unsafe in file names are percent-encoded.
    """
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValidationError("symbol", symbol, "pass a unified ccxt symbol such as 'BTC/USDT'")
    return _path_part(symbol.replace(":", "__").replace("/", "_"), "symbol")


# --- module helpers --------------------------------------------------------------------


def _path_part(text: str, field: str) -> str:
    part = quote(str(text), safe="-_.~ ")
    if part in ("", ".", "..") or part.strip() != part:
        raise ValidationError(field, text, "pass a non-empty name without leading or trailing spaces")
    return part


def _write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` as Parquet to ``path`` (a seam for crash tests)."""
    pq.write_table(table, path)


def _atomic_write(path: Path, table: pa.Table) -> None:
    """Write beside ``path``, fsync, ``os.replace``, fsync the folder (:mod:`quantlib_local._atomic`)."""
    atomic_write(path, lambda temporary: _write_table(table, temporary))


def _merge(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, keep the newest copy of a repeated timestamp, sort."""
    non_empty = [piece for piece in pieces if not piece.empty]
    if not non_empty:
        return _empty_frame()
    merged = pd.concat(non_empty)
    merged = merged[~merged.index.duplicated(keep="last")].sort_index()
    return validate_ohlcv(merged).frame


def _empty_frame() -> pd.DataFrame:
    return ohlcv_from_rows([])


def _to_ms(stamp: pd.Timestamp) -> int:
    return int(pd.Timestamp(stamp).as_unit("ns").value // 1_000_000)
