"""Mean reversion: bet that the price returns to its moving average (design section 2.4.1).

Rule
    ``d_t = P_t - SMA_t(window)`` and ``s_t`` the population standard deviation of the same
    ``window`` closes. The target is ``-sign(d_t)`` (the design's ``-sign(P - SMA)``) where
    ``|d_t| > entry_z * s_t``, else 0: ``entry_z = 2`` trades only outside the 2-sigma
    Bollinger band, ``entry_z = 0`` is the pure sign rule. With ``direction="long"`` only
    the long side (price below its average) is taken.

Why the window statistics are computed here
    The live form (:class:`MeanReversionIncremental`, a ring of the last ``window`` closes)
    decides on the last ``window`` bars only, so each decision must be a function of those
    bars alone, to the last bit: a tie ``P == SMA`` must come out the same in both forms.
    :func:`rolling_deviation_and_std` therefore sums each window afresh, in a fixed order,
    as deviations from the window's last value (exact for a flat window, and free of the
    cancellation between two price levels). The sliding kernel behind
    :func:`quantlib_local.indicators.sma` re-anchors at positions that depend on where the
    history starts, which is right for an indicator but not for this contract.
    The cost is O(window) per bar, vectorised over bars and symbols.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from quantlib_local.strategies.base import IncrementalStrategy, Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.parameters import ChoiceParameter, FloatParameter, IntParameter
from quantlib_local.strategies.registry import register_strategy

__all__ = ["MeanReversion", "MeanReversionIncremental", "rolling_deviation_and_std"]


def rolling_deviation_and_std(values: np.ndarray, window: int, ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deviation of each value from its rolling mean, and the rolling standard deviation.

    Parameters
    ----------
    values
        Array of shape ``(bars, columns)``; NaN marks a missing bar.
    window
        Bars per window, ``>= 1`` (``> ddof``).
    ddof
        Delta degrees of freedom of the std (0: population, 1: sample).

    Returns
    -------
    deviation, std : numpy.ndarray
        Same shape as ``values``: ``x_t - mean(x_{t-window+1..t})`` and the std of that
        window. NaN for the first ``window - 1`` rows and wherever the window holds a NaN.
        Row ``t`` depends only on the ``window`` values ending at ``t`` and is computed
        with the same operations whatever the rest of the array holds.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    deviation = np.full(values.shape, np.nan)
    std = np.full(values.shape, np.nan)
    if n < window:
        return deviation, std
    last = values[window - 1 :]
    rows = n - window + 1
    total = np.zeros(last.shape)
    for k in range(window):
        total += values[k : k + rows] - last  # x_k - x_t: exact for nearby prices
    mean_offset = total / window  # mean - x_t
    squares = np.zeros(last.shape)
    for k in range(window):
        centred = (values[k : k + rows] - last) - mean_offset
        squares += centred * centred
    deviation[window - 1 :] = -mean_offset
    std[window - 1 :] = np.sqrt(squares / (window - ddof))
    return deviation, std


@register_strategy
class MeanReversion(Strategy):
    """Short above the moving average, long below it, when the gap exceeds ``entry_z`` stds.

    Parameters
    ----------
    window
        Bars in the moving average and its standard deviation.
    entry_z
        Smallest ``|P - SMA| / std`` that opens a position (0: any gap).
    direction
        ``"long"`` (only buy below the average) or ``"both"``.

    Examples
    --------
    >>> import pandas as pd
    >>> index = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    >>> closes = pd.DataFrame({"A": [1.0, 1.0, 4.0, 1.0]}, index=index)
    >>> MeanReversion(window=3, direction="both").decide(closes)["A"].tolist()
    [0.0, 0.0, -1.0, 1.0]
    """

    name = "mean_reversion"
    parameter_space = {
        "window": IntParameter(2, 10_000, description="bars in the moving average"),
        "entry_z": FloatParameter(0.0, 10.0, description="smallest |P - SMA| / std that trades"),
        "direction": ChoiceParameter(("long", "both")),
    }

    def __init__(self, window: int = 20, entry_z: float = 0.0, direction: str = "long") -> None:
        self.window = window
        self.entry_z = entry_z
        self.direction = direction

    def history_length(self) -> int:
        return self.window

    def _decide(self, market: MarketData) -> pd.DataFrame:
        return pd.DataFrame(self.signal(market.close.to_numpy(dtype=float)), index=market.index)

    def signal(self, close: np.ndarray) -> np.ndarray:
        """Targets for every row of ``close`` (bars x symbols); 0 in warm-up and after gaps."""
        deviation, std = rolling_deviation_and_std(close, self.window)
        with np.errstate(invalid="ignore"):
            band = self.entry_z * std
            long = (deviation < -band).astype(float)
            short = (deviation > band).astype(float) if self.direction == "both" else 0.0
        return long - short  # NaN compares False

    def incremental(self) -> MeanReversionIncremental:
        return MeanReversionIncremental(self)


class MeanReversionIncremental(IncrementalStrategy):
    """Bar-by-bar mean reversion on a ring of the last ``window`` closes (O(window) per bar)."""

    def __init__(self, strategy: MeanReversion) -> None:
        super().__init__(strategy)
        self.mean_reversion = strategy
        self._closes: deque[np.ndarray] = deque(maxlen=strategy.window)

    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        self._closes.append(self.field_values(bar, "close"))
        return self.mean_reversion.signal(np.vstack(self._closes))[-1]
