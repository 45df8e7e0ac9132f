"""Pairs trading on a cointegrated pair: trade the z-score of the spread (design section 2.4.1).

Model (Engle-Granger)
    Over the last ``hedge_window`` bars, regress ``y`` on ``x`` by OLS with an intercept:
    ``y = alpha + beta x + e``. The spread is ``e_t = y_t - (alpha + beta x_t)``; its
    z-score is taken over the last ``z_window`` bars under the *current* hedge ratio (so
    ``alpha`` cancels and one regression describes the whole z window). Prices enter as
    logs by default (``use_log=True``), which makes ``beta`` a ratio of returns.

Positions (a state machine, so the target depends on the whole path)
    * flat -> short spread (sell y, buy beta x) when ``z > entry_z``;
    * flat -> long spread (buy y, sell beta x) when ``z < -entry_z``;
    * back to flat when ``|z| < exit_z`` (``exit_z < entry_z``); a jump straight through
      to the other side flips the position;
    * flat whenever z is undefined (warm-up, a missing bar, a flat spread) and, with
      ``max_pvalue`` set, while the pair fails the Engle-Granger test.

Weights
    Long spread holds ``+w_y`` of y and ``-beta w_x`` of x with gross exposure 1
    (``|w_y| + |w_x| = 1``), re-hedged every bar with the current ``beta``. With log prices
    the legs are ``(1, -beta)`` in equity terms; with raw prices they are one unit of y
    against ``beta`` units of x, i.e. ``(P_y, -beta P_x)`` in equity terms.

Cointegration test
    :func:`engle_granger` wraps :func:`statsmodels.tsa.stattools.coint`. With
    ``max_pvalue`` the strategy re-tests the last ``hedge_window`` bars every
    ``retest_every`` bars (counted from the first full window, identically in the
    vectorised and incremental forms) and trades only while the p-value is below it.
    A test costs several milliseconds, hence the cadence.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit
from statsmodels.tsa.stattools import coint

from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.base import IncrementalStrategy, Strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.parameters import ChoiceParameter, FloatParameter, IntParameter
from quantlib_local.strategies.registry import register_strategy

__all__ = ["EngleGrangerResult", "PairsIncremental", "PairsTrading", "engle_granger"]

MIN_OBSERVATIONS = 20
"""Fewest bars :func:`engle_granger` accepts; the ADF lag search is unreliable below it."""

_SYMBOLS_FIX = "pass closes of exactly two symbols, y first and x second (e.g. closes[['KO', 'PEP']])"


# ---------------------------------------------------------------------- Engle-Granger test


@dataclass(frozen=True)
class EngleGrangerResult:
    """Outcome of the two-step Engle-Granger cointegration test of ``y`` on ``x``.

    Attributes
    ----------
    hedge_ratio, intercept
        OLS fit ``y = intercept + hedge_ratio * x``.
    t_statistic
        ADF t-statistic of the residuals (more negative: more mean-reverting).
    p_value
        MacKinnon approximate p-value of ``t_statistic``.
    critical_values
        Critical values of the t-statistic at ``"1%"``, ``"5%"`` and ``"10%"``.
    n_obs
        Observations used.
    level
        Significance level of :attr:`cointegrated`.
    cointegrated
        True when ``p_value < level``.
    """

    hedge_ratio: float
    intercept: float
    t_statistic: float
    p_value: float
    critical_values: dict[str, float]
    n_obs: int
    level: float
    cointegrated: bool


def engle_granger(
    y: Sequence[float] | np.ndarray | pd.Series, x: Sequence[float] | np.ndarray | pd.Series, *, level: float = 0.05
) -> EngleGrangerResult:
    """Engle-Granger test of cointegration between ``y`` and ``x`` (constant, no trend).

    Parameters
    ----------
    y, x
        Equally long 1-D series (prices or log prices), finite, at least
        :data:`MIN_OBSERVATIONS` long. Series must share their index.
    level
        Significance level in (0, 1) for :attr:`EngleGrangerResult.cointegrated`.

    Returns
    -------
    EngleGrangerResult

    Raises
    ------
    ValidationError
        Naming ``y``, ``x`` or ``level`` when an input is unusable.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = 10 + rng.standard_normal(500).cumsum()
    >>> result = engle_granger(2 + 1.5 * x + rng.standard_normal(500), x)
    >>> round(result.hedge_ratio, 1), result.cointegrated
    (1.5, True)
    """
    if isinstance(level, bool) or not isinstance(level, (int, float, np.number)) or not 0 < level < 1:
        raise ValidationError("level", level, "give a significance level between 0 and 1, e.g. 0.05")
    if isinstance(y, pd.Series) and isinstance(x, pd.Series) and not y.index.equals(x.index):
        raise ValidationError("x", "another index", "align y and x first (pd.concat([y, x], axis=1).dropna())")
    y_values, x_values = _checked_series(y, "y"), _checked_series(x, "x")
    if len(x_values) != len(y_values):
        raise ValidationError("x", f"{len(x_values)} values", f"give as many values as y ({len(y_values)})")
    if np.ptp(x_values) == 0:
        raise ValidationError("x", "constant", "give an x that varies; a constant has no hedge ratio")
    intercept, hedge_ratio, _ = _hedge_and_z(y_values, x_values, 2)
    t_statistic, p_value, critical = coint(y_values, x_values, trend="c")
    return EngleGrangerResult(
        hedge_ratio=float(hedge_ratio),
        intercept=float(intercept),
        t_statistic=float(t_statistic),
        p_value=float(p_value),
        critical_values={key: float(value) for key, value in zip(("1%", "5%", "10%"), critical)},
        n_obs=len(y_values),
        level=float(level),
        cointegrated=bool(p_value < level),
    )


def _checked_series(values: object, field: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValidationError(field, type(values).__name__, "give a 1-D sequence of numbers") from error
    if array.ndim != 1 or len(array) < MIN_OBSERVATIONS:
        raise ValidationError(field, f"shape {array.shape}", f"give a 1-D series of at least {MIN_OBSERVATIONS} values")
    if not np.isfinite(array).all():
        raise ValidationError(field, "NaN or inf", "drop the missing values of both series first")
    return np.ascontiguousarray(array)


# ---------------------------------------------------------------------- rolling hedge and z-score


@njit(cache=True)
def _hedge_and_z(y: np.ndarray, x: np.ndarray, z_window: int) -> tuple[float, float, float]:
    """``(alpha, beta, z)`` from one window: OLS of y on x, then the z of the last spread.

    NaN when the window holds a NaN, x is flat, or the spread is flat. Both strategy forms
    call this on the same window values, so they agree to the last bit.
    """
    n = len(y)
    for i in range(n):
        if y[i] != y[i] or x[i] != x[i]:
            return np.nan, np.nan, np.nan
    mean_x = 0.0
    mean_y = 0.0
    for i in range(n):
        mean_x += x[i]
        mean_y += y[i]
    mean_x /= n
    mean_y /= n
    sxx = 0.0
    sxy = 0.0
    for i in range(n):
        dx = x[i] - mean_x
        sxx += dx * dx
        sxy += dx * (y[i] - mean_y)
    if not sxx > 0.0:
        return np.nan, np.nan, np.nan
    beta = sxy / sxx
    alpha = mean_y - beta * mean_x
    start = n - z_window
    mean_spread = 0.0
    for i in range(start, n):
        mean_spread += y[i] - beta * x[i]
    mean_spread /= z_window
    variance = 0.0
    for i in range(start, n):
        d = (y[i] - beta * x[i]) - mean_spread
        variance += d * d
    variance /= z_window
    if not variance > 0.0:
        return alpha, beta, np.nan
    return alpha, beta, ((y[n - 1] - beta * x[n - 1]) - mean_spread) / np.sqrt(variance)


@njit(cache=True)
def _rolling_hedge_and_z(
    y: np.ndarray, x: np.ndarray, hedge_window: int, z_window: int
) -> tuple[np.ndarray, np.ndarray]:
    """``beta`` and ``z`` at every bar (NaN before the first full ``hedge_window``)."""
    n = len(y)
    beta = np.full(n, np.nan)
    z = np.full(n, np.nan)
    for t in range(hedge_window - 1, n):
        _, beta[t], z[t] = _hedge_and_z(y[t - hedge_window + 1 : t + 1], x[t - hedge_window + 1 : t + 1], z_window)
    return beta, z


def next_position(position: int, z: float, entry_z: float, exit_z: float) -> int:
    """The spread position after seeing ``z``: -1 short, 0 flat, +1 long (see the module notes)."""
    if not np.isfinite(z):
        return 0
    if z > entry_z:
        return -1
    if z < -entry_z:
        return 1
    if abs(z) < exit_z:
        return 0
    return position


def pair_weights(
    position: np.ndarray, beta: np.ndarray, y_price: np.ndarray, x_price: np.ndarray, use_log: bool
) -> np.ndarray:
    """Equity weights ``(w_y, w_x)`` per bar for spread positions, with ``|w_y| + |w_x| = 1``."""
    leg_y = position * (1.0 if use_log else y_price)
    leg_x = -position * beta * (1.0 if use_log else x_price)
    with np.errstate(invalid="ignore", divide="ignore"):
        gross = np.abs(leg_y) + np.abs(leg_x)
        weights = np.column_stack([leg_y / gross, leg_x / gross])
    usable = (position != 0) & np.isfinite(weights).all(axis=1)
    return np.where(usable[:, None], weights, 0.0)


# ---------------------------------------------------------------------- the strategy


@register_strategy
class PairsTrading(Strategy):
    """Trade the z-score of the Engle-Granger spread between two symbols ``(y, x)``.

    Parameters
    ----------
    hedge_window
        Bars in the rolling OLS of y on x (and in the cointegration test).
    z_window
        Bars in the z-score of the spread, at most ``hedge_window``.
    entry_z
        Open a position when ``|z| > entry_z``.
    exit_z
        Close it when ``|z| < exit_z``; below ``entry_z``.
    use_log
        Regress log prices (default) or prices.
    max_pvalue
        None (default: always trade), or trade only while the Engle-Granger p-value of
        the last ``hedge_window`` bars is below this value in (0, 1].
    retest_every
        Bars between two cointegration tests when ``max_pvalue`` is set.
    """

    name = "pairs"
    output = "weights"
    parameter_space = {
        "hedge_window": IntParameter(MIN_OBSERVATIONS, 100_000, description="bars in the rolling hedge regression"),
        "z_window": IntParameter(2, 100_000, description="bars in the spread z-score"),
        "entry_z": FloatParameter(0.0, 10.0, description="|z| that opens a position"),
        "exit_z": FloatParameter(0.0, 10.0, description="|z| below which a position closes"),
        "use_log": ChoiceParameter((True, False)),
        "retest_every": IntParameter(1, 100_000, description="bars between cointegration tests"),
    }

    def __init__(
        self,
        hedge_window: int = 120,
        z_window: int = 30,
        entry_z: float = 2.0,
        exit_z: float = 0.5,
        use_log: bool = True,
        max_pvalue: float | None = None,
        retest_every: int = 20,
    ) -> None:
        self.hedge_window = hedge_window
        self.z_window = z_window
        self.entry_z = entry_z
        self.exit_z = exit_z
        self.use_log = use_log
        self.max_pvalue = max_pvalue
        self.retest_every = retest_every

    def check_params(self) -> None:
        if self.exit_z >= self.entry_z:
            raise ValidationError("exit_z", self.exit_z, f"use an exit_z below entry_z={self.entry_z}")
        if self.z_window > self.hedge_window:
            raise ValidationError("z_window", self.z_window, f"use at most hedge_window={self.hedge_window} bars")
        p = self.max_pvalue
        if p is not None and (isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or not 0 < p <= 1):
            raise ValidationError("max_pvalue", p, "give None (no test) or a p-value in (0, 1], e.g. 0.05")

    def history_length(self) -> None:
        return None  # the position depends on the whole path

    def prepared_prices(self, close: np.ndarray) -> np.ndarray:
        """``close`` as regressed: logs when :attr:`use_log`, refusing non-positive prices."""
        if not self.use_log:
            return close
        with np.errstate(invalid="ignore"):
            if (close <= 0).any():
                raise ValidationError("bars", float(close[close <= 0][0]), "use_log=False for prices that can be <= 0")
        return np.log(close)

    def passes_test(self, y: np.ndarray, x: np.ndarray) -> bool:
        """True when the window ``(y, x)`` is cointegrated at :attr:`max_pvalue`."""
        if not (np.isfinite(y).all() and np.isfinite(x).all()) or np.ptp(x) == 0:
            return False
        return engle_granger(y, x).p_value < float(self.max_pvalue)  # type: ignore[arg-type]

    def is_test_bar(self, t: int) -> bool:
        """True at the bars (counted from the first) where the cointegration test is re-run."""
        start = self.hedge_window - 1
        return t >= start and (t - start) % self.retest_every == 0

    def _decide(self, market: MarketData) -> pd.DataFrame:
        close = _pair_closes(market.symbols, market.close.to_numpy(dtype=float))
        prices = self.prepared_prices(close)
        y, x = np.ascontiguousarray(prices[:, 0]), np.ascontiguousarray(prices[:, 1])
        beta, z = _rolling_hedge_and_z(y, x, self.hedge_window, self.z_window)
        position = np.zeros(len(close))
        held, tradable = 0, self.max_pvalue is None
        for t in range(len(close)):
            if self.max_pvalue is not None and self.is_test_bar(t):
                window = slice(t - self.hedge_window + 1, t + 1)
                tradable = self.passes_test(y[window], x[window])
            held = next_position(held, z[t], self.entry_z, self.exit_z) if tradable else 0
            position[t] = held
        weights = pair_weights(position, beta, close[:, 0], close[:, 1], self.use_log)
        return pd.DataFrame(weights, index=market.index)

    def incremental(self) -> PairsIncremental:
        return PairsIncremental(self)


def _pair_closes(symbols: Sequence[str], close: np.ndarray) -> np.ndarray:
    if len(symbols) != 2:
        raise ValidationError("symbols", list(symbols), _SYMBOLS_FIX)
    return close


class PairsIncremental(IncrementalStrategy):
    """Bar-by-bar pairs trading: rolling windows of both legs and the position state."""

    def __init__(self, strategy: PairsTrading) -> None:
        super().__init__(strategy)
        self.pairs = strategy
        self._y: deque[float] = deque(maxlen=strategy.hedge_window)
        self._x: deque[float] = deque(maxlen=strategy.hedge_window)
        self._seen = 0
        self._position = 0
        self._tradable = strategy.max_pvalue is None

    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        close = _pair_closes(self.symbols or [], self.field_values(bar, "close"))
        prices = self.pairs.prepared_prices(close)
        self._y.append(float(prices[0]))
        self._x.append(float(prices[1]))
        t, self._seen = self._seen, self._seen + 1
        beta = z = np.nan
        if len(self._y) == self.pairs.hedge_window:
            y, x = np.array(self._y), np.array(self._x)
            _, beta, z = _hedge_and_z(y, x, self.pairs.z_window)
            if self.pairs.max_pvalue is not None and self.pairs.is_test_bar(t):
                self._tradable = self.pairs.passes_test(y, x)
        held = next_position(self._position, z, self.pairs.entry_z, self.pairs.exit_z) if self._tradable else 0
        self._position = held
        weights = pair_weights(np.array([held]), np.array([beta]), close[:1], close[1:], self.pairs.use_log)
        return weights[0]
