"""The aggregate sentiment index of design eq. 1, ``S(t) = sum_k w_k sentiment_k(t)``, on a bar clock.

:func:`sentiment_index` turns scored news items (:func:`~quantlib_local.sentiment.score_news`)
into one value per bar, market-wide or per symbol, ready to be passed as the ``features``
frame of strategies, backtests and the RL environment (:meth:`SentimentIndex.features`).

Which bar an item belongs to (no look-ahead)
    An item published at ``tau`` counts from the first bar whose timestamp is ``>= tau``:
    an item stamped exactly at a bar's timestamp counts in that bar, one published a
    nanosecond later counts in the next one. A bar's timestamp is taken as the moment its
    decision is made; for bars stamped at their open (the bundled daily bars are stamped at
    00:00 UTC) the rule is conservative: news from during a session counts from the next bar.
    Items before the first bar count in the first bar; items after the last bar are left
    out (:attr:`SentimentIndex.items_after_last_bar` says how many).

Per-source sentiment ``sentiment_k(t)``
    At a bar where source ``k`` has items: the decay-weighted mean of every item of ``k``
    published so far, ``sum_i d_i s_i / sum_i d_i`` with ``d_i = 2 ** (-age_i / half_life)``.
    ``half_life`` in bars (a number) ages items by bars (items of the current bar have age
    0); a :class:`pandas.Timedelta` ages them by the time from publication to the bar's
    timestamp. ``half_life=None`` keeps no memory: the plain mean of the bar's own items.
    At a bar where ``k`` has no items, ``no_news`` decides: ``"zero"`` (no news is neutral),
    ``"hold"`` (the value of ``k``'s last bar with items) or ``"fade"`` (that value times
    ``2 ** (-age / half_life)``, the age since that bar; needs a half-life). Before ``k``'s
    first item its value is 0 and it is not yet *present*.

Weights
    ``S(t) = sum_k w_k sentiment_k(t) / sum_k w_k`` over the sources present at ``t``
    (those with at least one item at or before ``t``), so the weights sum to 1 over the
    sources that exist at that moment; a later source does not dilute earlier values.
    ``S(t) = 0`` before any news. ``weights=None`` weighs every source equally.

The mean is over items, not sources: a source that publishes ten items a bar has one voice,
with its ten items averaged. :attr:`SentimentIndex.counts` keeps the news volume per bar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from quantlib_local.core.bars import SYMBOL_LEVEL
from quantlib_local.exceptions import ValidationError
from quantlib_local.sentiment._decay import (
    MODE_BARS,
    MODE_NONE,
    MODE_TIME,
    NO_NEWS_FADE,
    NO_NEWS_HOLD,
    NO_NEWS_ZERO,
    decayed_source_kernel,
)
from quantlib_local.sentiment.items import check_scored_items

__all__ = ["FEATURE_NAME", "NoNews", "SentimentIndex", "sentiment_index"]

FEATURE_NAME = "sentiment"
"""Name of the feature strategies read (``MarketData.feature("sentiment")``)."""

NoNews = Literal["zero", "hold", "fade"]
_NO_NEWS = {"zero": NO_NEWS_ZERO, "hold": NO_NEWS_HOLD, "fade": NO_NEWS_FADE}
_SHARED = "__all__"


@dataclass(frozen=True)
class SentimentIndex:
    """The sentiment index on a bar clock, with its parts.

    Attributes
    ----------
    sentiment
        ``S(t)``: a Series named ``sentiment`` (market-wide) or a timestamp x symbol frame.
    by_source
        ``sentiment_k(t)`` per source: timestamp x source, or ``(source, symbol)`` columns.
    counts
        Items assigned to each bar, same columns as ``by_source`` (news volume).
    weights
        The weights of the sources found in the items, normalised to sum to 1 (each bar
        renormalises over the sources present at that bar).
    half_life
        As given: None, a number of bars or a Timedelta.
    no_news
        ``"zero"``, ``"hold"`` or ``"fade"``.
    items_after_last_bar
        Items published after the last bar (not in any bar yet).
    """

    sentiment: pd.Series | pd.DataFrame
    by_source: pd.DataFrame
    counts: pd.DataFrame
    weights: pd.Series
    half_life: float | pd.Timedelta | None
    no_news: str
    items_after_last_bar: int

    @property
    def shared(self) -> bool:
        """True for a market-wide index (one value per bar for every symbol)."""
        return isinstance(self.sentiment, pd.Series)

    @property
    def news_volume(self) -> pd.Series | pd.DataFrame:
        """Items per bar over all sources (a Series, or timestamp x symbol)."""
        if self.shared:
            return self.counts.sum(axis=1).rename("news_volume")
        symbols = self.sentiment.columns
        levels = self.counts.columns.get_level_values(SYMBOL_LEVEL)
        totals = {symbol: self.counts.loc[:, levels == symbol].sum(axis=1) for symbol in symbols}
        return pd.DataFrame(totals, index=self.counts.index, columns=symbols).astype(np.int64)

    def features(self) -> pd.DataFrame:
        """The index as the ``features`` frame strategies take.

        A ``sentiment`` column (market-wide) or ``("sentiment", symbol)`` columns, on the bar
        index: pass it as ``strategy.decide(bars, features)``, ``run_backtest(..., features=)``,
        ``feature_matrix(bars, features)`` or to the RL data preparation.
        """
        if self.shared:
            return self.sentiment.to_frame(FEATURE_NAME)
        return pd.concat({FEATURE_NAME: self.sentiment}, axis=1, names=["feature", SYMBOL_LEVEL])


def sentiment_index(
    items: pd.DataFrame,
    bars: pd.DatetimeIndex | pd.DataFrame | pd.Series,
    *,
    weights: Mapping[str, float] | None = None,
    half_life: float | int | pd.Timedelta | str | None = None,
    no_news: NoNews = "zero",
    symbols: Sequence[str] | None = None,
    score_column: str = "score",
) -> SentimentIndex:
    """Build ``S(t)`` (design eq. 1) from scored news items on a bar index.

    Parameters
    ----------
    items
        Scored items: ``timestamp`` (timezone-aware), ``source``, ``score`` in [-1, 1] and,
        for a per-symbol index, ``symbol``. May be empty (the index is then 0).
    bars
        The bar clock: a timezone-aware DatetimeIndex (UTC by convention), or a bar frame or
        series whose index it is. The result is indexed by exactly this index.
    weights
        Source name to weight (>= 0); every source in ``items`` needs one. None: equal weights.
    half_life
        None (no memory), a number of bars (> 0), or a duration (``pd.Timedelta("3D")`` or
        ``"3D"``); see the module docstring.
    no_news
        Value of a source at a bar without its news: ``"zero"``, ``"hold"`` or ``"fade"``.
    symbols
        None for a market-wide index (any ``symbol`` column is ignored), or the symbols of a
        per-symbol index, in the order of the bars' columns; items about other symbols are
        left out, and a symbol without news gets 0.
    score_column
        Column holding the scores.

    Returns
    -------
    SentimentIndex

    Raises
    ------
    ValidationError
        Bad items (see :func:`~quantlib_local.sentiment.check_scored_items`), a bar index that
        is not UTC, unique and increasing, a missing or negative weight, a bad half-life, or
        ``no_news="fade"`` without a half-life.

    Examples
    --------
    >>> import pandas as pd
    >>> clock = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    >>> items = pd.DataFrame({"timestamp": [clock[0], clock[0] + pd.Timedelta("1h")],
    ...                       "source": ["wire", "wire"], "score": [0.5, -0.5]})
    >>> sentiment_index(items, clock).sentiment.tolist()
    [0.5, -0.5, 0.0]
    """
    bar_index = _check_bars(bars)
    if no_news not in _NO_NEWS:
        raise ValidationError("no_news", no_news, f"use one of {sorted(_NO_NEWS)}")
    mode, rate = _decay_rate(half_life)
    if no_news == "fade" and mode == MODE_NONE:
        raise ValidationError("no_news", no_news, "give a half_life to fade by, or use 'zero' or 'hold'")
    per_symbol = symbols is not None
    symbol_list = _check_symbols(symbols) if per_symbol else [_SHARED]
    checked = check_scored_items(items, score_column=score_column, need_symbol=per_symbol)

    bar_ns = bar_index.as_unit("ns").asi8  # UTC nanoseconds whatever the index's unit and timezone
    position = np.searchsorted(bar_ns, checked.timestamp_ns, side="left")
    in_range = position < len(bar_ns)
    sources = sorted(set(checked.source.tolist()))
    source_weights = _check_weights(weights, sources)
    item_symbol = checked.symbol if per_symbol else np.full(len(checked), _SHARED, dtype=object)

    values: dict[tuple[str, str], np.ndarray] = {}
    counts: dict[tuple[str, str], np.ndarray] = {}
    seen: dict[tuple[str, str], np.ndarray] = {}
    for source in sources:
        for symbol in symbol_list:
            mask = in_range & (checked.source == source) & (item_symbol == symbol)
            order = np.lexsort((checked.timestamp_ns[mask], position[mask]))
            values[source, symbol], counts[source, symbol], seen[source, symbol] = decayed_source_kernel(
                position[mask][order].astype(np.int64), checked.timestamp_ns[mask][order],
                checked.score[mask][order], bar_ns, mode, rate, _NO_NEWS[no_news],
            )

    index_values = np.zeros((len(bar_ns), len(symbol_list)))
    for column, symbol in enumerate(symbol_list):
        numerator = np.zeros(len(bar_ns))
        denominator = np.zeros(len(bar_ns))
        for source in sources:
            present = seen[source, symbol]
            numerator += np.where(present, source_weights[source] * values[source, symbol], 0.0)
            denominator += np.where(present, source_weights[source], 0.0)
        index_values[:, column] = np.divide(
            numerator, denominator, out=np.zeros(len(bar_ns)), where=denominator > 0
        )

    keys = [(source, symbol) for source in sources for symbol in symbol_list]
    if per_symbol:
        columns: pd.Index = pd.MultiIndex.from_tuples(keys, names=["source", SYMBOL_LEVEL])
        sentiment: pd.Series | pd.DataFrame = pd.DataFrame(
            index_values, index=bar_index, columns=pd.Index(symbol_list, name=SYMBOL_LEVEL)
        )
    else:
        columns = pd.Index(sources, name="source")
        sentiment = pd.Series(index_values[:, 0], index=bar_index, name=FEATURE_NAME)
    by_source = pd.DataFrame(_stack(values, keys, len(bar_ns)), index=bar_index, columns=columns)
    count_frame = pd.DataFrame(_stack(counts, keys, len(bar_ns)).astype(np.int64), index=bar_index, columns=columns)
    total = sum(source_weights.values())
    shown = {s: (w / total if total > 0 else float("nan")) for s, w in source_weights.items()}
    return SentimentIndex(
        sentiment=sentiment,
        by_source=by_source,
        counts=count_frame,
        weights=pd.Series(shown, name="weight", dtype="float64"),
        half_life=_half_life_as_given(half_life),
        no_news=no_news,
        items_after_last_bar=int((~in_range).sum()),
    )


def _stack(arrays: dict[tuple[str, str], np.ndarray], keys: list[tuple[str, str]], n: int) -> np.ndarray:
    if not keys:
        return np.zeros((n, 0))
    return np.column_stack([arrays[key] for key in keys])


def _check_bars(bars: Any) -> pd.DatetimeIndex:
    index = bars.index if isinstance(bars, (pd.DataFrame, pd.Series)) else bars
    if not isinstance(index, pd.DatetimeIndex):
        raise ValidationError("bars", type(index).__name__, "pass the bars' UTC DatetimeIndex or the bar frame")
    if len(index) == 0:
        raise ValidationError("bars", "0 bars", "pass at least one bar")
    if index.tz is None:
        raise ValidationError("bars.index", "naive", "localize the bar index to UTC (index.tz_localize('UTC'))")
    if index.has_duplicates or not index.is_monotonic_increasing:
        raise ValidationError("bars.index", "unsorted or duplicated", "sort the bars and drop duplicated timestamps")
    return index


def _decay_rate(half_life: Any) -> tuple[int, float]:
    """``(mode, ln 2 / half_life)`` with the half-life in bars or nanoseconds."""
    if half_life is None:
        return MODE_NONE, 0.0
    if isinstance(half_life, (int, float, np.integer, np.floating)) and not isinstance(half_life, bool):
        if not math.isfinite(float(half_life)) or half_life <= 0:
            raise ValidationError("half_life", half_life, "pass a positive number of bars, a duration such as '3D', or None")
        return MODE_BARS, math.log(2.0) / float(half_life)
    if isinstance(half_life, (str, pd.Timedelta)):
        try:
            duration = pd.Timedelta(half_life)
        except (TypeError, ValueError):
            duration = pd.NaT
        if pd.isna(duration) or duration <= pd.Timedelta(0):
            raise ValidationError("half_life", half_life, "pass a positive duration such as '3D' or '12h'")
        return MODE_TIME, math.log(2.0) / float(duration.as_unit("ns").value)
    raise ValidationError("half_life", half_life, "pass None, a positive number of bars, or a duration such as '3D'")


def _half_life_as_given(half_life: Any) -> float | pd.Timedelta | None:
    if half_life is None or isinstance(half_life, pd.Timedelta):
        return half_life
    if isinstance(half_life, str):
        return pd.Timedelta(half_life)
    return float(half_life)


def _check_symbols(symbols: Any) -> list[str]:
    if isinstance(symbols, str) or not isinstance(symbols, Sequence) or len(symbols) == 0:
        raise ValidationError("symbols", symbols, "pass a non-empty list of symbols, or None for a market-wide index")
    names = list(symbols)
    if any(not isinstance(s, str) or not s.strip() for s in names) or len(set(names)) != len(names):
        raise ValidationError("symbols", symbols, "use unique, non-empty symbol strings")
    return names


def _check_weights(weights: Any, sources: list[str]) -> dict[str, float]:
    if weights is None:
        return {source: 1.0 for source in sources}
    if not isinstance(weights, Mapping):
        raise ValidationError("weights", weights, "pass a mapping of source name to weight, e.g. {'newswire': 2.0}")
    for name, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(weight)) or weight < 0:
            raise ValidationError(f"weights[{name!r}]", weight, "use a finite weight >= 0")
    missing = [source for source in sources if source not in weights]
    if missing:
        raise ValidationError(
            "weights", dict(weights), f"give every source in the items a weight; missing: {missing}"
        )
    return {source: float(weights[source]) for source in sources}
