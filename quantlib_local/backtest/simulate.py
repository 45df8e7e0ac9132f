"""Targets to a vectorbt portfolio: the one place orders are simulated.

Both the single backtest and the sweeps call :func:`simulate`, with one column per
(parameter set, symbol) and one group per parameter set, so a sweep is the same
simulation broadcast wider, never a second implementation.

Timing. A target decided at the close of bar ``t`` is executed on bar ``t + 1``, at its
open (``next_open``) or close (``next_close``).

Signal strategies go through ``Portfolio.from_signals``: an entry when the executed
direction becomes +1 or -1, an exit when it stops being so, sized as a fraction of
available cash (``SizeType.Percent``), with vectorbt's stop loss, trailing stop and take
profit checked on the bars' high and low. vectorbt cannot size a reversal as a
percentage in one order, so a flip from long to short closes the long on the flip bar
and opens the short on the next bar (when the signal still says short). After a stop,
the position stays flat until the signal changes again.

Weight strategies go through ``Portfolio.from_orders`` with ``TargetPercent`` orders,
placed only on bars where the target weight changes, with one cash pool per group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import vectorbt as vbt
from numba import njit

from quantlib_local.backtest.config import (
    BacktestConfig,
    FixedFraction,
    FractionalKelly,
    VolatilityTargetSizing,
)
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.base import OutputKind
from quantlib_local.strategies.market_data import MarketData


@dataclass(frozen=True)
class PriceArrays:
    """Bar fields as (bars, symbols) float arrays, with NaN before listing filled for valuation."""

    index: pd.DatetimeIndex
    symbols: list[str]
    open: np.ndarray | None
    high: np.ndarray | None
    low: np.ndarray | None
    close: np.ndarray
    listed: np.ndarray
    bar_spacing: pd.Timedelta

    @classmethod
    def from_market(cls, market: MarketData) -> PriceArrays:
        """Arrays from checked market data."""
        close_raw = market.close.to_numpy(dtype=float)
        listed = np.isfinite(close_raw)
        fields = {}
        for name in ("open", "high", "low"):
            fields[name] = _filled(market.field(name).to_numpy(dtype=float)) if market.has_field(name) else None
        stamps = market.index.asi8
        spacing = pd.Timedelta(int(np.median(np.diff(stamps))), "ns") if len(stamps) > 1 else pd.Timedelta("1D")
        return cls(market.index, market.symbols, close=_filled(close_raw), listed=listed, bar_spacing=spacing,
                   **fields)


def _filled(values: np.ndarray) -> np.ndarray:
    if not np.isnan(values).any():
        return values
    return pd.DataFrame(values).ffill().bfill().to_numpy()


def resolve_execution(config: BacktestConfig, prices: PriceArrays) -> str:
    """The execution timing ``config`` asks for, checked against the fields available."""
    execution = config.execution or ("next_open" if prices.open is not None else "next_close")
    if execution == "next_open" and prices.open is None:
        raise ValidationError("execution", execution, "pass bars with an open field, or use execution='next_close'")
    needs_range = config.uses_stops or config.order_type == "limit"
    if needs_range and (prices.high is None or prices.low is None or prices.open is None):
        raise ValidationError(
            "bars", "no open/high/low", "stops and limit orders need OHLC bars; pass them or drop the stops"
        )
    return execution


def simulate(
    targets: np.ndarray,
    prices: PriceArrays,
    column_symbols: np.ndarray,
    columns: pd.Index,
    group_by: np.ndarray | pd.Index | None,
    output: OutputKind,
    config: BacktestConfig,
) -> vbt.Portfolio:
    """Simulate ``targets`` (bars x columns) on ``prices``.

    Parameters
    ----------
    targets
        Decisions per bar and column (directions or weights), not yet shifted.
    prices
        The bars; ``column_symbols[j]`` is the symbol position of column ``j``.
    columns, group_by
        Column labels and their group labels (one group per parameter set).
    output
        ``"signal"`` or ``"weights"``.
    config
        Costs, sizing, stops, timing.
    """
    execution = resolve_execution(config, prices)
    if output == "weights" and (config.uses_stops or config.order_type == "limit"):
        raise ValidationError(
            "config", "stops or limit orders", "weight strategies rebalance with market orders; drop stops/limits"
        )
    listed = prices.listed[:, column_symbols]
    executed = np.zeros_like(targets)
    executed[1:] = targets[:-1]
    executed[~listed] = 0.0
    # vectorbt turns its index into a NumPy array in shape checks: a tz-aware index becomes
    # millions of Timestamp objects (seconds per call), a naive UTC one stays datetime64.
    naive_utc = prices.index.tz_localize(None) if prices.index.tz is not None else prices.index
    close = pd.DataFrame(prices.close[:, column_symbols], index=naive_utc, columns=columns)
    fill_field = prices.open if execution == "next_open" else prices.close
    assert fill_field is not None
    # np.inf is vectorbt's "at the close": no price array to tile when orders fill at closes
    needs_prices = execution == "next_open" or config.order_type == "limit"
    price: np.ndarray | float = fill_field[:, column_symbols] if needs_prices else np.inf
    n_symbols = len(prices.symbols)
    common = dict(
        close=close,
        fees=config.fees,
        fixed_fees=config.fixed_fees,
        group_by=group_by,
        freq=prices.bar_spacing,
        size_granularity=np.nan if config.size_granularity is None else config.size_granularity,
    )
    if output == "weights":
        previous = np.vstack([np.zeros((1, executed.shape[1])), executed[:-1]])
        size = np.where(executed != previous, executed, np.nan)
        return vbt.Portfolio.from_orders(
            size=size, size_type="targetpercent", price=price, slippage=config.slippage, init_cash=config.init_cash,
            cash_sharing=True, call_seq="auto", direction="both", **common,
        )
    signals = signal_edges(executed)
    slippage: np.ndarray | float = config.slippage
    if config.order_type == "limit":
        assert isinstance(price, np.ndarray)
        signals, price, slippage = _apply_limit_entries(signals, executed, prices, column_symbols, price,
                                                        np.full(price.shape, config.slippage), config.limit_offset)
    shorts = bool((executed == -1).any())
    size = entry_fractions(config, executed, prices, column_symbols)
    stops = {}
    if config.uses_stops:
        stops = dict(
            open=prices.open[:, column_symbols], high=prices.high[:, column_symbols],  # type: ignore[index]
            low=prices.low[:, column_symbols],  # type: ignore[index]
            sl_stop=np.nan if config.stop_loss is None else config.stop_loss, sl_trail=config.trailing_stop,
            tp_stop=np.nan if config.take_profit is None else config.take_profit,
            stop_entry_price="fillprice", stop_exit_price="stopmarket",
        )
    sharing = config.cash_sharing and n_symbols > 1
    return vbt.Portfolio.from_signals(
        entries=signals[0], exits=signals[1], short_entries=signals[2] if shorts else None,
        short_exits=signals[3] if shorts else None, size=size,
        size_type="percent", price=price, slippage=slippage, upon_opposite_entry="close", accumulate=False,
        init_cash=config.init_cash if sharing else config.init_cash / n_symbols, cash_sharing=sharing,
        call_seq="auto" if sharing else "default", **stops, **common,
    )


def signal_edges(executed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Long entries, long exits, short entries, short exits from executed directions."""
    previous = np.vstack([np.zeros((1, executed.shape[1])), executed[:-1]])
    long_now, long_before = executed == 1, previous == 1
    short_now, short_before = executed == -1, previous == -1
    long_entries = long_now & ~long_before
    short_entries = short_now & ~short_before
    long_exits = ~long_now & long_before
    short_exits = ~short_now & short_before
    # A flip closes on the flip bar; the new side opens on the next bar if still wanted.
    flip_to_short = short_entries & long_before
    flip_to_long = long_entries & short_before
    short_entries[1:] |= flip_to_short[:-1] & short_now[1:]
    long_entries[1:] |= flip_to_long[:-1] & long_now[1:]
    short_entries &= ~flip_to_short
    long_entries &= ~flip_to_long
    return long_entries, long_exits, short_entries, short_exits


def _apply_limit_entries(
    signals: tuple[np.ndarray, ...],
    executed: np.ndarray,
    prices: PriceArrays,
    column_symbols: np.ndarray,
    price: np.ndarray,
    slippage: np.ndarray,
    offset: float,
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    long_entries, long_exits, short_entries, short_exits = signals
    reference = np.full_like(price, np.nan)
    reference[1:] = prices.close[:-1, column_symbols]
    open_, high, low = (prices.open[:, column_symbols], prices.high[:, column_symbols],  # type: ignore[index]
                        prices.low[:, column_symbols])  # type: ignore[index]
    buy_limit, sell_limit = reference * (1 - offset), reference * (1 + offset)
    buy_fills = low <= buy_limit
    sell_fills = high >= sell_limit
    long_entries = first_fill_in_run(executed == 1, long_entries, buy_fills)
    short_entries = first_fill_in_run(executed == -1, short_entries, sell_fills)
    price = price.copy()
    price[long_entries] = np.minimum(open_, buy_limit)[long_entries]
    price[short_entries] = np.maximum(open_, sell_limit)[short_entries]
    slippage = slippage.copy()
    slippage[long_entries | short_entries] = 0.0  # a resting limit fills at its price
    return (long_entries, long_exits, short_entries, short_exits), price, slippage


@njit(cache=True)
def first_fill_in_run(wanted: np.ndarray, starts: np.ndarray, fills: np.ndarray) -> np.ndarray:
    """For each run of ``wanted`` that begins at a ``starts`` bar, the first bar of it that fills."""
    out = np.zeros(wanted.shape, dtype=np.bool_)
    for j in range(wanted.shape[1]):
        waiting = False
        for t in range(wanted.shape[0]):
            if starts[t, j]:
                waiting = True
            if not wanted[t, j]:
                waiting = False
            if waiting and fills[t, j]:
                out[t, j] = True
                waiting = False
    return out


def entry_fractions(
    config: BacktestConfig, executed: np.ndarray, prices: PriceArrays, column_symbols: np.ndarray
) -> np.ndarray | float:
    """Fraction of available cash each entry on each bar spends, from data before that bar."""
    sizing = config.sizing
    if isinstance(sizing, FixedFraction):
        return sizing.fraction
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.vstack([np.full((1, prices.close.shape[1]), np.nan), prices.close[1:] / prices.close[:-1] - 1])
    returns[~prices.listed] = np.nan
    per_year = config.periods_per_year or _periods_per_year(prices)
    if isinstance(sizing, VolatilityTargetSizing):
        volatility = pd.DataFrame(returns).rolling(sizing.lookback).std().to_numpy() * np.sqrt(per_year)
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.clip(sizing.target_volatility / volatility, 0.0, sizing.max_fraction)
        decided = _shift_down(fraction)[:, column_symbols]
    elif isinstance(sizing, FractionalKelly):
        strategy_returns = executed * returns[:, column_symbols]  # direction held into each bar x its return
        decided = _shift_down(_rolling_kelly(strategy_returns, sizing.lookback) * sizing.multiplier)
        decided = np.clip(decided, 0.0, sizing.max_fraction)
    else:  # pragma: no cover - BacktestConfig refuses other sizings
        raise ValidationError("sizing", sizing, "use a supported sizing")
    return np.nan_to_num(decided, nan=0.0)


def _shift_down(values: np.ndarray) -> np.ndarray:
    """Row ``t`` gets row ``t - 1``: a fraction used at execution bar t was known at decision bar t-1."""
    out = np.full_like(values, np.nan)
    out[1:] = values[:-1]
    return out


def _rolling_kelly(strategy_returns: np.ndarray, lookback: int) -> np.ndarray:
    """Kelly fraction p - (1 - p) / b over trailing windows of non-zero per-bar returns."""
    frame = pd.DataFrame(np.nan_to_num(strategy_returns, nan=0.0))
    wins = frame.where(frame > 0)
    losses = frame.where(frame < 0)
    n_win = wins.rolling(lookback, min_periods=lookback).count()
    n_loss = losses.rolling(lookback, min_periods=lookback).count()
    mean_win = wins.rolling(lookback, min_periods=1).mean()
    mean_loss = -losses.rolling(lookback, min_periods=1).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = n_win / (n_win + n_loss)
        b = mean_win / mean_loss
        kelly = p - (1 - p) / b
    full = frame.rolling(lookback, min_periods=lookback).count() >= lookback
    return kelly.where(full & (n_win > 0) & (n_loss > 0)).to_numpy()


def _periods_per_year(prices: PriceArrays) -> float:
    from quantlib_local.risk import periods_per_year

    return float(periods_per_year(prices.index))


def group_values(portfolio: vbt.Portfolio) -> np.ndarray:
    """Portfolio value per bar and group, (bars, groups), from the order records in one pass.

    The same figure as ``portfolio.value()`` (cash plus positions at the close, orders of a
    bar included), without the bars x columns intermediates vectorbt builds for it.
    """
    records = portfolio.order_records
    close = np.asarray(portfolio.close, dtype=float)
    if close.ndim == 1:
        close = close[:, None]
    groups = np.asarray(portfolio.wrapper.grouper.get_groups(), dtype=np.int64)
    init_cash = np.atleast_1d(np.asarray(portfolio.init_cash, dtype=float))
    order = np.argsort(records["col"], kind="stable")  # per column, in time order
    return _group_values_nb(
        records["col"][order], records["idx"][order], records["size"][order], records["price"][order],
        records["fees"][order], records["side"][order], close, groups, init_cash,
    )


@njit(cache=True)
def _group_values_nb(
    cols: np.ndarray, idxs: np.ndarray, sizes: np.ndarray, prices: np.ndarray, fees: np.ndarray,
    sides: np.ndarray, close: np.ndarray, groups: np.ndarray, init_cash: np.ndarray,
) -> np.ndarray:
    n_bars, n_cols = close.shape
    out = np.zeros((n_bars, init_cash.shape[0]))
    for t in range(n_bars):
        out[t, :] = init_cash
    pointer = 0
    for col in range(n_cols):
        group = groups[col]
        cash = 0.0
        position = 0.0
        for t in range(n_bars):
            while pointer < cols.shape[0] and cols[pointer] == col and idxs[pointer] == t:
                if sides[pointer] == 0:  # buy
                    cash -= sizes[pointer] * prices[pointer] + fees[pointer]
                    position += sizes[pointer]
                else:
                    cash += sizes[pointer] * prices[pointer] - fees[pointer]
                    position -= sizes[pointer]
                pointer += 1
            if position != 0.0:
                out[t, group] += cash + position * close[t, col]
            else:
                out[t, group] += cash
    return out
