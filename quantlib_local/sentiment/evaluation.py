"""How much a sentiment index says about returns: correlation, rank correlation, hit rate.

:func:`information_content` pairs ``S(t)`` with the return that follows it,
``close[t + h] / close[t] - 1`` (``h = horizon`` bars; the value at ``t`` is known at ``t``,
the return is not), pooled over symbols for a per-symbol index. ``horizon=0`` pairs
``S(t)`` with the bar's own return ``close[t] / close[t - 1] - 1``: a contemporaneous check
that shows whether news *describes* moves rather than anticipates them.

Hand-written because the statistics are three lines each once the pairs are aligned, and the
alignment (which return goes with which bar, pooled over symbols, NaN dropped) is the part
worth testing. The p-value treats the pairs as independent; overlapping returns
(``horizon > 1``) make it optimistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.indicators import simple_returns

__all__ = ["InformationContent", "information_content", "information_table"]


@dataclass(frozen=True)
class InformationContent:
    """Statistics of ``S(t)`` against the return over the next ``horizon`` bars.

    Attributes
    ----------
    horizon
        Bars ahead (0: the bar's own return).
    n_pairs
        Pairs with a finite index value and return.
    correlation, p_value
        Pearson correlation and its two-sided p-value (independent pairs assumed).
    rank_correlation
        Spearman rank correlation.
    hit_rate
        Share of pairs with ``S != 0`` and a non-zero return where their signs agree
        (NaN when there are none); 0.5 is a coin.
    n_signals
        Pairs that enter the hit rate.
    """

    horizon: int
    n_pairs: int
    correlation: float
    p_value: float
    rank_correlation: float
    hit_rate: float
    n_signals: int

    def as_dict(self) -> dict[str, float | int]:
        """The fields as a plain dict (for tables and job metrics)."""
        return asdict(self)


def information_content(
    sentiment: pd.Series | pd.DataFrame, close: pd.Series | pd.DataFrame, *, horizon: int = 1
) -> InformationContent:
    """Correlation, rank correlation and sign hit rate of ``S(t)`` with the following return.

    Parameters
    ----------
    sentiment
        ``S(t)``: a Series (one asset or market-wide) or timestamp x symbol frame.
    close
        Closes on the same index: a Series, or a timestamp x symbol frame with the same
        columns as ``sentiment`` (a market-wide Series is paired with every column).
    horizon
        Bars ahead, ``>= 0``.

    Returns
    -------
    InformationContent

    Raises
    ------
    ValidationError
        Misaligned inputs, a bad horizon, or fewer than 3 complete pairs.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
        raise ValidationError("horizon", horizon, "pass a whole number of bars >= 0")
    signal, prices = _aligned(sentiment, close)
    if horizon == 0:
        returns = simple_returns(prices, 1)
    else:
        returns = np.full(prices.shape, np.nan)
        returns[:-horizon] = simple_returns(prices, horizon)[horizon:]
    x, y = signal.ravel(), returns.ravel()
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3:
        raise ValidationError("sentiment", f"{len(x)} complete pairs", "pass at least 3 bars with a value and a return")
    from scipy import stats  # imported here: scipy.stats adds ~0.5 s to `import quantlib_local.sentiment`

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        correlation = p_value = rank = float("nan")
    else:
        result = stats.pearsonr(x, y)
        correlation, p_value = float(result.statistic), float(result.pvalue)
        rank = float(stats.spearmanr(x, y).statistic)
    signed = (x != 0) & (y != 0)
    hits = np.sign(x[signed]) == np.sign(y[signed])
    return InformationContent(
        horizon=int(horizon),
        n_pairs=int(len(x)),
        correlation=correlation,
        p_value=p_value,
        rank_correlation=rank,
        hit_rate=float(hits.mean()) if hits.size else float("nan"),
        n_signals=int(signed.sum()),
    )


def information_table(
    sentiment: pd.Series | pd.DataFrame, close: pd.Series | pd.DataFrame, *, horizons: Sequence[int] = (0, 1, 5)
) -> pd.DataFrame:
    """:func:`information_content` for several horizons, one row each (indexed by horizon)."""
    if isinstance(horizons, (str, bytes)) or not isinstance(horizons, Sequence) or not horizons:
        raise ValidationError("horizons", horizons, "pass a non-empty list of horizons, e.g. (0, 1, 5)")
    rows = [information_content(sentiment, close, horizon=h).as_dict() for h in horizons]
    return pd.DataFrame(rows).set_index("horizon")


def _aligned(sentiment: object, close: object) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(sentiment, (pd.Series, pd.DataFrame)):
        raise ValidationError("sentiment", type(sentiment).__name__, "pass a Series or a timestamp x symbol DataFrame")
    if not isinstance(close, (pd.Series, pd.DataFrame)):
        raise ValidationError("close", type(close).__name__, "pass closes as a Series or a timestamp x symbol DataFrame")
    if not sentiment.index.equals(close.index):
        raise ValidationError(
            "close.index", f"{len(close.index)} rows", "pass closes on the sentiment's index (close.reindex(...))"
        )
    signal = sentiment.to_frame() if isinstance(sentiment, pd.Series) else sentiment
    prices = close.to_frame() if isinstance(close, pd.Series) else close
    if signal.shape[1] == 1 and prices.shape[1] > 1:
        signal = pd.DataFrame(np.repeat(signal.to_numpy(dtype=float), prices.shape[1], axis=1), index=prices.index)
    elif signal.shape[1] > 1 and list(prices.columns) != list(signal.columns):
        raise ValidationError(
            "close.columns", list(prices.columns), f"pass one close column per sentiment column {list(signal.columns)}"
        )
    return signal.to_numpy(dtype=float), prices.to_numpy(dtype=float)
