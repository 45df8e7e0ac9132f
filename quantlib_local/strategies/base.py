"""The Strategy contract: one object for the notebook, the backtest and the live runner.

A strategy follows scikit-learn's conventions: ``__init__`` only stores its parameters
(each declared in :attr:`Strategy.parameter_space`, checked when the object is built),
:meth:`Strategy.get_params` and :meth:`Strategy.with_params` round-trip them, and any
learned state lives in the objects that :meth:`Strategy.decide` or
:meth:`Strategy.incremental` create, never on the strategy itself.

Two forms give the same decisions:

* vectorised: :meth:`Strategy.decide` turns a whole history into a timestamp x symbol
  frame of targets, where row ``t`` uses only what was known at the close of bar ``t``
  (the engine trades it on the next bar);
* incremental: :meth:`Strategy.incremental` returns an :class:`IncrementalStrategy` the
  live runner feeds one bar at a time; its :meth:`~IncrementalStrategy.update` answers
  the same row ``t``.

Targets are of one of two kinds (:attr:`Strategy.output`): ``"signal"``, a direction in
{-1, 0, +1} per asset that the engine sizes (fixed fraction, Kelly, volatility target)
and may guard with stops; or ``"weights"``, the fraction of portfolio equity to hold in
each asset, which the engine rebalances to. :func:`quantlib_local.strategies.check_strategy`
is the shared conformance test every implementation passes.
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from quantlib_local.core.bars import FIELD_LEVEL, INDEX_NAME, SYMBOL_LEVEL
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.market_data import DEFAULT_SYMBOL, MarketData
from quantlib_local.strategies.parameters import Parameter

OutputKind = Literal["signal", "weights"]
SIGNAL_VALUES = (-1.0, 0.0, 1.0)


class Strategy(ABC):
    """Base class of every strategy; subclasses implement :meth:`_decide`.

    Class attributes
    ----------------
    name
        Registry name (``qlab promote NAME``).
    parameter_space
        Every parameter of ``__init__`` with its declared range; sweeps draw from it.
    output
        ``"signal"`` or ``"weights"`` (see the module docstring).
    required_fields
        Bar fields the strategy reads; checked before any work.
    """

    name: ClassVar[str] = ""
    parameter_space: ClassVar[dict[str, Parameter]] = {}
    output: ClassVar[OutputKind] = "signal"
    required_fields: ClassVar[tuple[str, ...]] = ("close",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            original = cls.__dict__["__init__"]

            @functools.wraps(original)
            def checked_init(self: Strategy, *args: Any, **params: Any) -> None:
                original(self, *args, **params)
                if type(self).__init__ is checked_init:  # validate once, after the outermost __init__
                    self._validate_params()

            cls.__init__ = checked_init  # type: ignore[method-assign]

    # ------------------------------------------------------------------ parameters

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the ``__init__`` parameters, in signature order."""
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The parameters this strategy was built with (a fresh dict)."""
        return {name: getattr(self, name) for name in self.param_names()}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Strategy:
        """Build from a mapping, refusing names ``__init__`` does not take."""
        unknown = sorted(set(params) - set(cls.param_names()))
        if unknown:
            raise ValidationError(
                f"{cls.__name__} parameter", unknown[0], f"use only the parameters {cls.param_names()}"
            )
        try:
            return cls(**params)
        except TypeError as error:  # a required parameter is missing
            raise ValidationError(f"{cls.__name__} parameters", sorted(params), str(error)) from None

    def with_params(self, **changes: Any) -> Strategy:
        """A copy with some parameters changed (validated like a new object)."""
        return type(self).from_params({**self.get_params(), **changes})

    def _validate_params(self) -> None:
        for name, spec in self.parameter_space.items():
            setattr(self, name, spec.validate(name, getattr(self, name)))
        self.check_params()

    def check_params(self) -> None:
        """Rules that tie parameters together (e.g. ``fast < slow``); raise ValidationError."""

    def history_length(self) -> int | None:
        """Bars of history one decision needs (None: the whole history).

        The default incremental form keeps this many bars; strategies whose decision
        depends on the whole path (state machines, expanding fits) return None or
        override :meth:`incremental`.
        """
        return None

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_params() == self.get_params()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))

    # ------------------------------------------------------------------ decisions

    def decide(self, bars: pd.DataFrame | MarketData, features: pd.DataFrame | None = None) -> pd.DataFrame:
        """Targets for every bar, each using only data up to that bar's close.

        Parameters
        ----------
        bars
            One-asset OHLCV bars, many-asset ``(field, symbol)`` bars, or a table of closes.
        features
            Optional frame on the same index (e.g. a sentiment index).

        Returns
        -------
        pandas.DataFrame
            timestamp x symbol targets: directions in {-1, 0, 1} for signal strategies,
            equity fractions for weight strategies; 0 during warm-up.
        """
        market = self.market_data(bars, features)
        return self.checked_targets(self._decide(market), market)

    def market_data(self, bars: pd.DataFrame | MarketData, features: pd.DataFrame | None = None) -> MarketData:
        """``bars`` and ``features`` checked against :attr:`required_fields`."""
        if isinstance(bars, MarketData):
            missing = [name for name in self.required_fields if not bars.has_field(name)]
            if missing:
                raise ValidationError("bars", missing, f"{type(self).__name__} needs these fields; pass bars with them")
            return bars
        return MarketData.from_frames(bars, features, required_fields=self.required_fields)

    @abstractmethod
    def _decide(self, market: MarketData) -> pd.DataFrame | np.ndarray:
        """Targets on ``market.index`` x ``market.symbols`` (frame or array); no look-ahead."""

    def decide_many(self, market: MarketData, param_sets: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Targets of many parameter sets at once: an array (bars, sets, symbols).

        Sweeps call this; the default builds each set in turn, and strategies that can
        share work between sets (one moving average for many crossovers) override
        :meth:`_decide_many`.
        """
        strategies = [self.with_params(**params) for params in param_sets]
        return self._decide_many(market, strategies)

    def _decide_many(self, market: MarketData, strategies: Sequence[Strategy]) -> np.ndarray:
        out = np.empty((len(market), len(strategies), len(market.symbols)))
        for position, strategy in enumerate(strategies):
            out[:, position, :] = strategy.checked_targets(strategy._decide(market), market).to_numpy()
        return out

    def checked_targets(self, targets: pd.DataFrame | np.ndarray, market: MarketData) -> pd.DataFrame:
        """``targets`` as a frame on the market's axes, refusing non-finite or off-kind values."""
        values = np.asarray(targets, dtype=float)
        expected = (len(market), len(market.symbols))
        if values.shape != expected:
            raise ValidationError(
                f"{type(self).__name__} targets", values.shape, f"return one row per bar and column per symbol {expected}"
            )
        if not np.isfinite(values).all():
            raise ValidationError(
                f"{type(self).__name__} targets", "NaN or inf", "return 0 where no decision can be made yet"
            )
        if self.output == "signal" and not np.isin(values, SIGNAL_VALUES).all():
            bad = values[~np.isin(values, SIGNAL_VALUES)][0]
            raise ValidationError(f"{type(self).__name__} targets", float(bad), "signal strategies return -1, 0 or 1")
        return pd.DataFrame(values, index=market.index, columns=pd.Index(market.symbols, name=SYMBOL_LEVEL))

    def incremental(self) -> IncrementalStrategy:
        """A bar-by-bar form giving the same decisions as :meth:`decide`."""
        return BufferedIncremental(self)


class IncrementalStrategy(ABC):
    """The bar-by-bar form of a strategy, as the live runner calls it.

    :meth:`update` takes one bar (a row of the bars frame, indexed by ``(field, symbol)``
    or by field for one asset) and optional features for the same timestamp, and returns
    the targets for that bar, indexed by symbol.
    """

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.symbols: list[str] | None = None
        self.last_timestamp: pd.Timestamp | None = None
        self._bar_index: pd.MultiIndex | None = None
        self._first_index: pd.Index | None = None
        self._positions: dict[str, np.ndarray] = {}

    def update(self, bar: pd.Series, features: pd.Series | None = None) -> pd.Series:
        """Targets for ``bar`` (named by its timestamp), given every bar passed before it."""
        timestamp = self._check_timestamp(bar)
        row = self._as_multi_asset_row(bar)
        targets = np.asarray(self._update(timestamp, row, features), dtype=float)
        if targets.shape != (len(self.symbols or ()),) or not np.isfinite(targets).all():
            raise ValidationError(f"{type(self.strategy).__name__} incremental targets", targets, "return one per symbol")
        return pd.Series(targets, index=pd.Index(self.symbols, name=SYMBOL_LEVEL), name=timestamp)

    def field_values(self, bar: pd.Series, name: str) -> np.ndarray:
        """One field of ``bar`` (as passed to :meth:`_update`) in :attr:`symbols` order; positions are cached."""
        if name not in self._positions:
            wanted = pd.MultiIndex.from_product([[name], self.symbols or []])
            self._positions[name] = bar.index.get_indexer(wanted)
        return bar.to_numpy(dtype=float)[self._positions[name]]

    @abstractmethod
    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        """Targets for this bar, one per symbol in :attr:`symbols` order."""

    def _check_timestamp(self, bar: pd.Series) -> pd.Timestamp:
        if not isinstance(bar, pd.Series) or not isinstance(bar.name, pd.Timestamp):
            raise ValidationError("bar", type(bar).__name__, "pass one row of the bars frame (bars.iloc[i])")
        if self.last_timestamp is not None and bar.name <= self.last_timestamp:
            raise ValidationError("bar.name", str(bar.name), f"send bars in time order (last was {self.last_timestamp})")
        self.last_timestamp = bar.name
        return bar.name

    def _as_multi_asset_row(self, bar: pd.Series) -> pd.Series:
        if not isinstance(bar.index, pd.MultiIndex):
            names = [str(key).lower() for key in bar.index]
            if "close" in names:
                index = pd.MultiIndex.from_product([names, [DEFAULT_SYMBOL]], names=[FIELD_LEVEL, SYMBOL_LEVEL])
            else:
                index = pd.MultiIndex.from_product([["close"], [str(k) for k in bar.index]])
            bar = pd.Series(bar.to_numpy(dtype=float), index=index, name=bar.name)
        if self._bar_index is None:
            self._first_index = bar.index
            self._bar_index = bar.index.set_names([FIELD_LEVEL, SYMBOL_LEVEL])
            self.symbols = list(dict.fromkeys(self._bar_index.get_level_values(SYMBOL_LEVEL)))
        elif bar.index is not self._first_index and not bar.index.equals(self._bar_index):
            raise ValidationError("bar.index", list(bar.index)[:4], "send every bar with the same fields and symbols")
        return bar


class BufferedIncremental(IncrementalStrategy):
    """The generic incremental form: keep the last bars and decide on them.

    Exact for any strategy whose :meth:`Strategy.history_length` is honest and whose
    arithmetic does not depend on where the history starts (indicators that re-anchor
    running sums may differ in the last bits, which matters only on exact ties); with
    ``None`` it keeps the whole history, so each update costs a full recomputation.
    Strategies with cheap running state override :meth:`Strategy.incremental`.
    """

    def __init__(self, strategy: Strategy) -> None:
        super().__init__(strategy)
        length = strategy.history_length()
        self._rows: deque[np.ndarray] = deque(maxlen=length)
        self._times: deque[pd.Timestamp] = deque(maxlen=length)
        self._feature_rows: deque[pd.Series] = deque(maxlen=length)

    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        self._rows.append(bar.to_numpy(dtype=float))
        self._times.append(timestamp)
        index = pd.DatetimeIndex(list(self._times), name=INDEX_NAME)
        frame = pd.DataFrame(np.vstack(self._rows), index=index, columns=self._bar_index)
        feature_frame = None
        if features is not None:
            self._feature_rows.append(features)
            feature_frame = pd.DataFrame(list(self._feature_rows), index=index)
        market = MarketData.from_frames(frame, feature_frame, required_fields=self.strategy.required_fields)
        targets = self.strategy.checked_targets(self.strategy._decide(market), market)
        return targets.iloc[-1].to_numpy()
