"""News items: the frame a feed delivers, scoring it, and the checks the index relies on.

A news feed (NewsAPI, Alpha Vantage, an RSS reader, or the SYNTHETIC generator
:func:`quantlib_local.data.synthetic.news_headlines`) plugs in as a DataFrame with one row
per item:

===============  ==========================================================================
``timestamp``    publication time, timezone-aware (converted to UTC); naive times are
                 refused because a local time read as UTC shifts news across bar
                 boundaries, which is look-ahead
``source``       name of the outlet or feed (``"newswire"``, ``"reddit"``); the index
                 weights sources, so spell each one the same way every time
``text``         the headline (or any short text) to score
``symbol``       optional: the instrument the item is about (per-symbol indices)
===============  ==========================================================================

:func:`score_news` adds a ``score`` column (one value in [-1, 1] per item) and keeps every
other column and the frame's ``attrs`` (so a SYNTHETIC label travels with the scores).
:func:`check_scored_items` is the contract :func:`~quantlib_local.sentiment.sentiment_index`
reads. Hand-written because the checks are few and the messages must name the offending row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.sentiment.scorers import SentimentScorer, check_texts, score_texts

__all__ = ["NEWS_COLUMNS", "ScoredItems", "check_scored_items", "score_news"]

NEWS_COLUMNS: tuple[str, ...] = ("timestamp", "source", "text")
"""Columns a news frame needs (``symbol`` is optional)."""


def score_news(
    news: pd.DataFrame,
    scorer: str | SentimentScorer = "vader",
    *,
    text_column: str = "text",
    score_column: str = "score",
) -> pd.DataFrame:
    """Score every item of a news frame.

    Parameters
    ----------
    news
        One row per item with a text column (see the module docstring for the full layout).
    scorer
        ``"vader"`` (default), ``"textblob"`` or any :class:`~quantlib_local.sentiment.SentimentScorer`.
    text_column
        Column holding the text.
    score_column
        Name of the added column (use ``"score_textblob"`` etc. to keep several side by side).

    Returns
    -------
    pandas.DataFrame
        A copy of ``news`` with ``score_column`` added (float64 in [-1, 1]); ``attrs`` kept.

    Raises
    ------
    ValidationError
        ``news`` is not a non-empty frame with ``text_column``, a text is not a string, or
        the scorer returns malformed scores.
    """
    if not isinstance(news, pd.DataFrame):
        raise ValidationError("news", type(news).__name__, "pass a DataFrame with columns timestamp, source, text")
    if text_column not in news.columns:
        raise ValidationError(
            "news.columns", list(news.columns), f"add a {text_column!r} column or pass text_column=<its name>"
        )
    texts = check_texts(news[text_column], field=f"news[{text_column!r}]")
    scored = news.copy()
    scored[score_column] = score_texts(texts, scorer)
    return scored


@dataclass(frozen=True)
class ScoredItems:
    """Checked scored items as arrays (what the index computes on).

    Attributes
    ----------
    timestamp_ns
        Publication times as int64 nanoseconds since the epoch (UTC).
    source
        Source names (object array of str).
    score
        Scores in [-1, 1] (float64).
    symbol
        Symbols (object array of str), or None when not asked for.
    """

    timestamp_ns: np.ndarray
    source: np.ndarray
    score: np.ndarray
    symbol: np.ndarray | None

    def __len__(self) -> int:
        return len(self.score)


def check_scored_items(
    items: Any, *, score_column: str = "score", need_symbol: bool = False
) -> ScoredItems:
    """Check a scored items frame and return it as arrays.

    Parameters
    ----------
    items
        Frame with ``timestamp`` (timezone-aware), ``source`` (str), ``score_column``
        (finite, in [-1, 1]) and, when ``need_symbol``, ``symbol`` (str). May be empty.
    score_column
        Column holding the scores.
    need_symbol
        Require and return the ``symbol`` column.

    Raises
    ------
    ValidationError
        A missing column, a naive or missing timestamp, a missing or empty source or symbol,
        or a score that is not a finite number in [-1, 1]; the message names the first bad row.
    """
    if not isinstance(items, pd.DataFrame):
        raise ValidationError("items", type(items).__name__, "pass a DataFrame from score_news (timestamp, source, score)")
    needed = ["timestamp", "source", score_column] + (["symbol"] if need_symbol else [])
    missing = [name for name in needed if name not in items.columns]
    if missing:
        fix = f"add the column(s) {missing}"
        if score_column in missing:
            fix += " (score the texts first: score_news(news))"
        if "symbol" in missing:
            fix += " (or build a shared index: symbols=None)"
        raise ValidationError("items.columns", list(items.columns), fix)

    timestamps = _utc_timestamps(items["timestamp"])
    source = _names(items["source"], "items['source']")
    score = pd.to_numeric(items[score_column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(score) | (np.abs(score) > 1.0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"items[{score_column!r}] row {row}", items[score_column].iloc[row], "use finite scores in [-1, 1]"
        )
    symbol = _names(items["symbol"], "items['symbol']") if need_symbol else None
    return ScoredItems(timestamps, source, score, symbol)


def _utc_timestamps(column: pd.Series) -> np.ndarray:
    values = column
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        try:
            values = pd.to_datetime(column)
        except (TypeError, ValueError):
            raise ValidationError(
                "items['timestamp']", column.dtype, "use timezone-aware timestamps (pandas datetime64[ns, UTC])"
            ) from None
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValidationError(
            "items['timestamp']", str(values.dtype),
            "localize the publication times (items['timestamp'].dt.tz_localize('UTC') if they are UTC)",
            detail="naive times are refused: a local time read as UTC can move news into an earlier bar",
        )
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise ValidationError(f"items['timestamp'] row {row}", None, "drop items without a publication time")
    return pd.DatetimeIndex(values).tz_convert("UTC").as_unit("ns").asi8.copy()


def _names(column: pd.Series, field: str) -> np.ndarray:
    values = column.to_numpy(dtype=object)
    for row, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{field} row {row}", value, "use a non-empty string on every row")
    return values
