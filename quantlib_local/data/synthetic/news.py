"""SYNTHETIC news headlines whose tone is tied, with a chosen strength, to the bars' returns.

Nothing here is news. News APIs cannot be reached from this workbench and demos must run on
embedded data, so the sentiment notebook and tests need headlines with a *known* relation to
prices: this generator writes them from fixed templates. The frame carries
``attrs["synthetic"] = True`` and ``attrs["source"] = "synthetic:news_headlines"``, and the
scores, the index and anything else computed from it are synthetic results.

The model, per bar ``i`` (and per symbol)
    * ``N_i ~ Poisson(items_per_bar)`` items, each from a source drawn uniformly;
    * a target return: the *next* bar's return ``r_{i+1}`` (``align="next"``: the news
      anticipates the move, a tradeable signal) or the bar's own ``r_i`` (``align="same"``:
      the news reports the move, no forecast);
    * a latent tone ``l = rho z + sqrt(1 - rho**2) e`` per item, with ``z`` the target return
      divided by the standard deviation of all targets, ``e`` standard normal and
      ``rho = signal`` (per source if ``signal`` is a mapping), so ``corr(l, z) = rho``;
      a bar without a target (the last bar with ``"next"``, the first with ``"same"``)
      gets ``l = e``;
    * the headline is negative when ``l < -c``, positive when ``l > c``, neutral otherwise,
      with ``c`` the normal quantile that makes a share ``neutral_share`` of pure-noise
      tones neutral; its text is a template of that tone, drawn uniformly;
    * its timestamp is uniform in ``(t_{i-1}, t_i]`` (whole seconds when bars are at least a
      second apart), so the sentiment index assigns it to bar ``i``; the first bar's window
      has the length of the second bar's.

The templates are written so that VADER scores every positive one >= 0.05, every negative
one <= -0.05 and every neutral one 0 (the tests check this); TextBlob misses a few verbs
("climbs", "drops"), which the notebook shows as disagreement between the scorers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from quantlib_local._typing import SeedLike
from quantlib_local.data.synthetic._common import check_choice, check_real, label_synthetic, make_rng, seed_label
from quantlib_local.exceptions import ValidationError

__all__ = ["NEGATIVE_TEMPLATES", "NEUTRAL_TEMPLATES", "POSITIVE_TEMPLATES", "news_headlines"]

POSITIVE_TEMPLATES: tuple[str, ...] = (
    "{name} rallies as investors cheer strong earnings",
    "Analysts upgrade {name}, citing excellent growth prospects",
    "{name} gains on upbeat economic data",
    "Bullish traders lift {name} to impressive gains",
    "{name} climbs as confidence improves across markets",
    "Strong demand and solid profits boost {name}",
    "Optimism grows as the {name} outlook looks bright",
    "{name} wins support from positive policy news",
    "Investors welcome great results and {name} advances",
    "{name} benefits from healthy consumer spending",
    "Record highs in sight: {name} enjoys a happy week",
    "{name} surges after a successful product launch",
)
NEGATIVE_TEMPLATES: tuple[str, ...] = (
    "{name} slumps as investors fear weak earnings",
    "Analysts downgrade {name}, warning of poor prospects",
    "{name} falls on disappointing economic data",
    "Bearish traders push {name} to heavy losses",
    "{name} drops as worries spread across markets",
    "Weak demand and falling profits hurt {name}",
    "Pessimism grows as the {name} outlook looks grim",
    "{name} hit by negative policy news",
    "Investors reject terrible results and {name} declines",
    "{name} suffers from sluggish consumer spending",
    "Panic selling: {name} has a bad, painful week",
    "{name} plunges after a failed product launch",
)
NEUTRAL_TEMPLATES: tuple[str, ...] = (
    "{name} components to report quarterly figures next week",
    "What to watch for {name} this week",
    "{name} futures in focus before the open",
    "Exchange publishes {name} rebalancing schedule",
    "{name} volume in line with last month",
    "Committee meets on Tuesday as {name} traders wait for minutes",
    "{name} index provider announces methodology review",
    "{name} closes the session ahead of data releases",
)
_BANKS = {-1: NEGATIVE_TEMPLATES, 0: NEUTRAL_TEMPLATES, 1: POSITIVE_TEMPLATES}
_ONE_SECOND_NS = 1_000_000_000


def news_headlines(
    bars: pd.DataFrame | pd.Series,
    *,
    seed: SeedLike,
    items_per_bar: float = 3.0,
    signal: float | Mapping[str, float] = 0.3,
    sources: Sequence[str] = ("newswire", "analyst", "social"),
    align: Literal["next", "same"] = "next",
    neutral_share: float = 0.3,
    name: str | None = None,
) -> pd.DataFrame:
    """SYNTHETIC headlines with timestamps and sources, their tone correlated with returns.

    Parameters
    ----------
    bars
        One-asset OHLCV bars (``close`` is used), many-asset ``(field, symbol)`` bars (news
        per symbol), or a Series of simple returns per bar; a UTC DatetimeIndex of >= 2 bars.
    seed
        Integer seed, ``numpy.random.Generator``, or None (fresh entropy, not reproducible).
    items_per_bar
        Mean number of items per bar (and symbol), > 0.
    signal
        Correlation in [-1, 1] between an item's latent tone and the standardised target
        return; a mapping gives each source its own (every source needs one).
    sources
        Source names; each item's source is drawn uniformly.
    align
        ``"next"``: tone tracks the next bar's return (news anticipates); ``"same"``: the bar's
        own return (news reports).
    neutral_share
        Share of neutral headlines when there is no signal, in [0, 1).
    name
        What the headlines call the asset (one-asset input); default ``attrs["symbol"]`` of the
        bars or ``"the market"``. Many-asset input uses the symbols.

    Returns
    -------
    pandas.DataFrame
        One row per item, sorted by time: ``timestamp`` (UTC), ``source``, ``text``, ``tone``
        (the generated truth: -1, 0 or 1) and, for many-asset input, ``symbol``. Labelled
        ``attrs["synthetic"] = True``, ``attrs["source"] = "synthetic:news_headlines"``,
        ``attrs["params"]``.

    Raises
    ------
    ValidationError
        A parameter outside its domain (the message names it and says how to fix it).
    """
    returns, names, multi = _target_returns(bars, name)
    items_per_bar = check_real("items_per_bar", items_per_bar, lower=0.0, lower_open=True, upper=1_000.0)
    source_list = _check_sources(sources)
    rho = _check_signal(signal, source_list)
    align = check_choice("align", align, ("next", "same"))  # type: ignore[assignment]
    neutral_share = check_real("neutral_share", neutral_share, lower=0.0, upper=1.0, upper_open=True)
    rng = make_rng(seed)

    index = returns.index
    bar_ns = index.asi8
    first_gap = bar_ns[1] - bar_ns[0]
    gaps = np.concatenate([[first_gap], np.diff(bar_ns)])
    cutoff = float(norm.ppf(0.5 + neutral_share / 2.0))
    frames = []
    for column, label in enumerate(names):
        target = returns.iloc[:, column].to_numpy(dtype=float)
        if align == "next":
            target = np.append(target[1:], np.nan)
        scale = np.nanstd(target) if np.isfinite(target).sum() > 1 else 0.0
        z = target / scale if scale > 0 else np.full(len(target), np.nan)

        counts = rng.poisson(items_per_bar, size=len(index))
        bar = np.repeat(np.arange(len(index)), counts)
        source = rng.integers(0, len(source_list), size=len(bar))
        noise = rng.standard_normal(len(bar))
        pick = rng.random(len(bar))
        offset = rng.random(len(bar))

        item_rho = rho[source]
        item_z = z[bar]
        informed = np.isfinite(item_z)
        latent = noise.copy()
        latent[informed] = item_rho[informed] * item_z[informed] + np.sqrt(1.0 - item_rho[informed] ** 2) * noise[informed]
        tone = np.where(latent > cutoff, 1, np.where(latent < -cutoff, -1, 0)).astype(np.int8)
        texts = [_headline(int(t), float(u), label) for t, u in zip(tone, pick)]
        gap = gaps[bar]
        back = np.floor(offset * gap).astype(np.int64)
        back = np.where(gap >= _ONE_SECOND_NS, back // _ONE_SECOND_NS * _ONE_SECOND_NS, back)
        frame = pd.DataFrame({
            "timestamp": pd.DatetimeIndex(bar_ns[bar] - back, tz="UTC").as_unit("ns"),
            "source": np.asarray(source_list, dtype=object)[source],
            "text": texts,
            "tone": tone,
        })
        if multi:
            frame["symbol"] = label
        frames.append(frame)

    news = pd.concat(frames, ignore_index=True)
    news = news.sort_values(["timestamp"] + (["symbol"] if multi else []), kind="stable", ignore_index=True)
    shown_signal = tuple((s, float(r)) for s, r in zip(source_list, rho)) if isinstance(signal, Mapping) else float(signal)
    params = {
        "items_per_bar": items_per_bar, "signal": shown_signal, "sources": tuple(source_list), "align": align,
        "neutral_share": neutral_share, "seed": seed_label(seed),
    }
    return label_synthetic(news, "news_headlines", params)


def _headline(tone: int, uniform: float, name: str) -> str:
    """The template of ``tone`` at position ``floor(uniform * len(bank))``, naming ``name``."""
    bank = _BANKS[tone]
    return bank[min(int(uniform * len(bank)), len(bank) - 1)].format(name=name)


def _target_returns(bars: Any, name: str | None) -> tuple[pd.DataFrame, list[str], bool]:
    """Per-bar simple returns as a timestamp x asset frame, the asset names, and whether many assets."""
    if isinstance(bars, pd.Series):
        returns, names, multi = bars.to_frame(), [name or "the market"], False
    elif isinstance(bars, pd.DataFrame):
        if isinstance(bars.columns, pd.MultiIndex):
            if "close" not in set(bars.columns.get_level_values(0)):
                raise ValidationError("bars.columns", "no close field", "pass (field, symbol) bars that include close")
            close = bars["close"]
            names, multi = [str(s) for s in close.columns], True
        elif "close" in bars.columns:
            close = bars[["close"]]
            names, multi = [name or str(bars.attrs.get("symbol", "the market"))], False
        else:
            raise ValidationError("bars.columns", list(bars.columns), "pass OHLCV bars with a close column, or a returns Series")
        returns = close.pct_change(fill_method=None)
    else:
        raise ValidationError("bars", type(bars).__name__, "pass OHLCV bars (DataFrame) or a Series of returns")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValidationError("name", name, "pass a non-empty string such as 'S&P 500', or None")
    index = returns.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise ValidationError("bars.index", type(index).__name__, "index the bars by a UTC DatetimeIndex")
    if len(index) < 2 or index.has_duplicates or not index.is_monotonic_increasing:
        raise ValidationError("bars.index", f"{len(index)} rows", "pass at least 2 bars, sorted, without duplicates")
    returns = returns.set_axis(index.tz_convert("UTC").as_unit("ns"), axis=0)
    return returns, names, multi


def _check_sources(sources: Any) -> list[str]:
    if isinstance(sources, str) or not isinstance(sources, Sequence) or len(sources) == 0:
        raise ValidationError("sources", sources, "pass a non-empty list of source names, e.g. ['newswire', 'social']")
    names = list(sources)
    if any(not isinstance(s, str) or not s.strip() for s in names) or len(set(names)) != len(names):
        raise ValidationError("sources", sources, "use unique, non-empty source names")
    return names


def _check_signal(signal: Any, sources: list[str]) -> np.ndarray:
    if isinstance(signal, Mapping):
        missing = [s for s in sources if s not in signal]
        if missing:
            raise ValidationError("signal", dict(signal), f"give every source a signal; missing: {missing}")
        return np.array([check_real(f"signal[{s!r}]", signal[s], lower=-1.0, upper=1.0) for s in sources])
    value = check_real("signal", signal, lower=-1.0, upper=1.0)
    return np.full(len(sources), value)

