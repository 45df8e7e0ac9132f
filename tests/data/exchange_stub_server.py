"""A local stand-in for Binance's spot ``GET /api/v3/klines``, for offline ccxt tests.

:class:`BinanceKlinesStub` runs a stdlib HTTP server on ``127.0.0.1`` (a free port, in a
thread) that answers klines requests the way Binance documents them (``symbol``,
``interval``, ``startTime``, ``endTime``, ``limit``; default 500, max 1000; rows in
Binance's raw 12-field format, prices as strings) from series the test registers. It
records every request (parameters and arrival time) and can be told to fail the next
requests (HTTP status, body, delay) to exercise retries. :func:`binance_exchange` points a
real ``ccxt.binance`` at it, with markets loaded from ccxt's recorded fixture, so no
request ever leaves the machine.

The raw row format follows the recorded response in
``shared/data/ccxt_static/response/binance.json`` (fetchOHLCV, "Spot OHLCV with since and limit"):
``[open_ms, "open", "high", "low", "close", "volume", close_ms, "quote_volume", trades,
"taker_base_volume", "taker_quote_volume", "0"]``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import ccxt
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA

CCXT_STATIC = SHARED_DATA / "ccxt_static"
KLINES_PATH = "/api/v3/klines"
HOUR_MS = 3_600_000


def require_ccxt_static(relative: str) -> Path:
    """Path of a file under ``shared/data/ccxt_static``; skip the test when it is absent."""
    path = CCXT_STATIC / relative
    if not path.is_file():
        pytest.skip(f"shared test data not found: {path} (expected next to the repository, see shared/data/README.md)")
    return path


def load_binance_markets() -> dict[str, Any]:
    """ccxt's recorded binance markets (unified structures keyed by symbol)."""
    return json.loads(require_ccxt_static("markets/binance.json").read_text())


def synthetic_klines(start_ms: int, interval_ms: int, count: int, *, seed_price: float = 100.0) -> list[list[Any]]:
    """A deterministic candle series in Binance's raw row format.

    Every price is a multiple of 0.25, so its 8-decimal string parses back to the same
    float exactly and a frame built from the rows can be compared with ``==``.
    """
    rows: list[list[Any]] = []
    close = seed_price
    for i in range(count):
        open_ = close
        close = seed_price + 0.25 * ((i * 37) % 41) + 0.5 * (i % 5)
        high = max(open_, close) + 0.25 * (1 + i % 3)
        low = min(open_, close) - 0.25 * (1 + i % 4)
        volume = 1.5 + (i % 13) * 0.75
        open_ms = start_ms + i * interval_ms
        rows.append(
            [
                open_ms, f"{open_:.8f}", f"{high:.8f}", f"{low:.8f}", f"{close:.8f}", f"{volume:.8f}",
                open_ms + interval_ms - 1, f"{volume * close:.8f}", 10 + i % 7, f"{volume / 2:.8f}",
                f"{volume * close / 2:.8f}", "0",
            ]
        )
    return rows


def frame_from_raw(rows: list[list[Any]]) -> pd.DataFrame:
    """The canonical OHLCV frame a correct client must build from raw Binance rows."""
    index = pd.DatetimeIndex(pd.to_datetime([r[0] for r in rows], unit="ms", utc=True), name="timestamp")
    values = [[float(v) for v in r[1:6]] for r in rows]
    frame = pd.DataFrame(values, index=index.as_unit("ns"), columns=["open", "high", "low", "close", "volume"])
    return frame.astype("float64")


@dataclass
class Fault:
    """How to spoil one request: wait ``delay_s``, then answer ``status`` with ``body``.

    ``status=None`` answers normally after the delay (a slow, not a failed, answer).
    """

    status: int | None = 503
    body: str = "<html><body><h1>503 Service Unavailable</h1></body></html>"
    delay_s: float = 0.0
    content_type: str = "text/html"


@dataclass
class RecordedRequest:
    """One request the stub received."""

    path: str
    params: dict[str, str]
    received_at: float  # time.monotonic() on arrival
    fault: Fault | None = None


@dataclass
class BinanceKlinesStub:
    """Threaded HTTP server answering ``GET /api/v3/klines`` from registered series."""

    series: dict[tuple[str, str], list[list[Any]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._faults: deque[Fault | None] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up -------------------------------------------------------------------
    def add_series(self, market_id: str, interval: str, rows: list[list[Any]]) -> None:
        """Serve ``rows`` (raw Binance rows, sorted by open time) for ``market_id``/``interval``."""
        self.series[(market_id, interval)] = list(rows)

    def fail_next(self, count: int, fault: Fault | None = None, *, after: int = 0) -> None:
        """Spoil ``count`` klines requests with ``fault`` (default: HTTP 503), after ``after`` good ones."""
        with self._lock:
            self._faults.extend([None] * after + [fault or Fault()] * count)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/api/v3``, the value for ``exchange.urls['api']['public']``."""
        assert self._server is not None, "start() the stub first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v3"

    def klines_requests(self) -> list[RecordedRequest]:
        """The klines requests received so far (faulted ones included)."""
        with self._lock:
            return [r for r in self.requests if r.path == KLINES_PATH]

    # -- life cycle ---------------------------------------------------------------
    def start(self) -> BinanceKlinesStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> BinanceKlinesStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ---------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        params = {key: values[-1] for key, values in parse_qs(url.query).items()}
        with self._lock:
            fault = self._faults.popleft() if url.path == KLINES_PATH and self._faults else None
            self.requests.append(RecordedRequest(url.path, params, time.monotonic(), fault))
        try:
            if fault is not None and fault.delay_s:
                time.sleep(fault.delay_s)
            if fault is not None and fault.status is not None:
                self._send(handler, fault.status, fault.body, fault.content_type)
            elif url.path == KLINES_PATH:
                status, payload = self._klines(params)
                self._send(handler, status, json.dumps(payload), "application/json")
            else:
                body = json.dumps({"code": -1, "msg": f"stub: no route {url.path}"})
                self._send(handler, 404, body, "application/json")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def _klines(self, params: dict[str, str]) -> tuple[int, Any]:
        symbol, interval = params.get("symbol"), params.get("interval")
        if not any(key[0] == symbol for key in self.series):
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        rows = self.series.get((symbol, interval))  # type: ignore[arg-type]
        if rows is None:
            return 400, {"code": -1120, "msg": "Invalid interval."}
        limit = min(int(params.get("limit", 500)), 1000)
        start = int(params["startTime"]) if "startTime" in params else None
        end = int(params["endTime"]) if "endTime" in params else None
        selected = [r for r in rows if (start is None or r[0] >= start) and (end is None or r[0] <= end)]
        # Binance: from startTime forwards; without startTime, the most recent candles
        return 200, selected[:limit] if start is not None else selected[-limit:]

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: str, content_type: str) -> None:
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def binance_exchange(stub: BinanceKlinesStub, *, rate_limit_ms: int = 1, timeout_ms: int = 5_000) -> ccxt.binance:
    """A real ``ccxt.binance`` whose spot public API is the stub, with markets loaded offline."""
    exchange = ccxt.binance({"enableRateLimit": True, "rateLimit": rate_limit_ms, "timeout": timeout_ms})
    exchange.urls["api"] = {**exchange.urls["api"], "public": stub.base_url}
    # never consult HTTP(S)_PROXY for 127.0.0.1, and never reach anything but the stub
    exchange.session.trust_env = False
    exchange.set_markets(load_binance_markets())
    return exchange
