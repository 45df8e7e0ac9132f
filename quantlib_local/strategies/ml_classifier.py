"""A scikit-learn classifier on the eq. 6 feature vector, trained walk-forward only.

:class:`MLClassifier` predicts whether the close ``horizon`` bars ahead is above today's
close from the features of :func:`~quantlib_local.strategies.features.feature_matrix`,
one pooled model over every ``(timestamp, symbol)`` row, and trades the probability.

The no-leak rule
    The label of row ``s`` is ``1`` when ``close[s + horizon] > close[s]`` (else ``0``):
    it becomes known at the close of bar ``s + horizon``. A model refitted at bar ``r``
    therefore trains only on rows ``s <= r - horizon``. Training on the rows
    ``r - horizon < s <= r`` as well would use closes after ``r``: the vectorised form
    would see them and a live runner would not, which is exactly what
    :func:`~quantlib_local.strategies.check_strategy` catches (the tests show a variant
    that breaks the rule failing it).

Walk-forward schedule
    Refits happen on bars ``0, refit_every, 2 refit_every, ...`` counted from the first
    bar, so a prefix of the data refits on the same bars with the same rows. Each fit
    uses a fresh :func:`sklearn.base.clone` of ``estimator`` on the last ``train_window``
    labelled bars (all of them with ``expanding=True``), rows with a missing feature or
    label left out. A refit with fewer than ``min_train_rows`` rows or only one class
    keeps the previous model; before the first model every target is 0.

Decision
    +1 when P(up) > ``threshold``; with ``direction="both"``, -1 when P(up) < 1 - ``threshold``;
    0 otherwise and on bars where a feature is missing (warm-up).

Identical decisions in both forms, and speed
    The incremental form keeps the whole history, computes the new bar's feature row (the
    features are prefix-stable, so it equals the vectorised row bit for bit) and predicts
    one bar per ``predict_proba`` call. The vectorised form predicts all bars one model
    serves in one call and re-decides, one bar per call, only the bars whose probability
    lies within 1e-9 of a threshold, where last-bit differences between batch and single
    predictions could matter. Fits and predictions run BLAS and OpenMP on one thread
    (small problems; reproducible reductions). 5,000 bars x 1 symbol with
    ``refit_every=250`` decide in about 0.3 s with the default estimator; the incremental
    form costs about 1-2 ms per bar on a few hundred bars (a full feature pass per bar).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.base import clone
from threadpoolctl import ThreadpoolController

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.base import IncrementalStrategy, Strategy
from quantlib_local.strategies.features import FeatureSettings, feature_block
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.parameters import ChoiceParameter, FloatParameter, IntParameter
from quantlib_local.strategies.registry import register_strategy

logger = logging.getLogger(__name__)

_FEATURE_FIELDS = ("high", "low", "volume")


def default_estimator() -> Any:
    """``StandardScaler`` then ``LogisticRegression(C=1.0)``: fast, deterministic (lbfgs), well calibrated."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


@register_strategy
class MLClassifier(Strategy):
    """Long (and optionally short) when a walk-forward classifier is confident the price rises.

    Parameters
    ----------
    horizon
        Bars ahead of the label: row ``s`` is "up" when ``close[s + horizon] > close[s]``.
        Binary (up against not up, a zero return counting as not up), so every row is
        labelled and ``predict_proba`` gives P(up) directly.
    train_window
        Labelled bars per fit (ignored with ``expanding=True``); rows = bars x symbols.
    refit_every
        Bars between refits.
    threshold
        +1 when P(up) > threshold; with ``direction="both"``, -1 when P(up) < 1 - threshold.
    direction
        ``"long"`` or ``"both"``.
    min_train_rows
        Fewest complete rows a fit needs.
    expanding
        Train on every labelled bar so far instead of the last ``train_window``.
    estimator
        Any scikit-learn classifier with ``fit`` and ``predict_proba`` (a Pipeline is fine);
        None uses :func:`default_estimator`. Cloned for every fit and never fitted in place.
        Give it a fixed ``random_state`` if it is randomised: the vectorised and incremental
        forms must fit identical models. Not swept.
    feature_settings
        Windows of the features (:class:`~quantlib_local.strategies.features.FeatureSettings`);
        None uses the defaults. Not swept.

    Notes
    -----
    :meth:`history_length` is None: the features carry recursive state (MACD's EMAs, the
    Wilder RSI and ATR, the EWMA volatility) from the first bar, and the walk-forward fits
    depend on the whole path. :meth:`incremental` keeps the history and computes one new
    feature row per bar, refitting on the same bars as :meth:`decide`.
    """

    name = "ml_classifier"
    output = "signal"
    parameter_space = {
        "horizon": IntParameter(1, 250, description="bars ahead of the label"),
        "train_window": IntParameter(20, 100_000, description="labelled bars per fit"),
        "refit_every": IntParameter(1, 100_000, description="bars between refits"),
        "threshold": FloatParameter(0.5, 0.99, description="P(up) needed to go long"),
        "direction": ChoiceParameter(("long", "both")),
        "min_train_rows": IntParameter(10, 10_000_000, description="fewest complete rows a fit needs"),
        "expanding": ChoiceParameter((False, True), description="train on all labelled bars so far"),
    }

    def __init__(
        self,
        horizon: int = 1,
        train_window: int = 500,
        refit_every: int = 50,
        threshold: float = 0.55,
        direction: str = "long",
        min_train_rows: int = 100,
        expanding: bool = False,
        estimator: Any = None,
        feature_settings: FeatureSettings | None = None,
    ) -> None:
        self.horizon = horizon
        self.train_window = train_window
        self.refit_every = refit_every
        self.threshold = threshold
        self.direction = direction
        self.min_train_rows = min_train_rows
        self.expanding = expanding
        self.estimator = estimator
        self.feature_settings = feature_settings

    def check_params(self) -> None:
        if self.estimator is not None:
            missing = [m for m in ("fit", "predict_proba") if not callable(getattr(self.estimator, m, None))]
            if missing:
                raise ValidationError(
                    "estimator", type(self.estimator).__name__,
                    "pass a scikit-learn classifier with fit and predict_proba (e.g. LogisticRegression()), or None",
                    detail=f"it has no {missing[0]}",
                )
        if self.feature_settings is not None and not isinstance(self.feature_settings, FeatureSettings):
            raise ValidationError("feature_settings", type(self.feature_settings).__name__, "pass a FeatureSettings or None")
        if self.horizon >= self.train_window:
            raise ValidationError("horizon", self.horizon, f"use a horizon shorter than train_window={self.train_window}")

    def history_length(self) -> None:
        """None: the features and the walk-forward fits depend on the whole history."""
        return None

    def incremental(self) -> IncrementalStrategy:
        """A bar-by-bar form that keeps the history and refits on the same bars as :meth:`decide`."""
        return _ClassifierIncremental(self)

    # ------------------------------------------------------------------ walk-forward pieces

    def is_refit_bar(self, position: int) -> bool:
        """Whether the bar at absolute ``position`` (0 = first bar) refits the model."""
        return position % self.refit_every == 0

    def last_labelled_row(self, refit_position: int) -> int:
        """The last row whose label is known at the close of bar ``refit_position``: ``refit - horizon``.

        This is the no-leak rule; a row after it needs a close that has not happened yet.
        """
        return refit_position - self.horizon

    def training_rows(self, refit_position: int) -> range:
        """Bar positions of the rows a refit at ``refit_position`` trains on."""
        stop = self.last_labelled_row(refit_position) + 1
        start = 0 if self.expanding else max(0, stop - self.train_window)
        return range(start, max(stop, start))

    def labels(self, close: Float64Array) -> Float64Array:
        """``1.0`` where ``close[s + horizon] > close[s]``, ``0.0`` where not, NaN where unknown or missing."""
        h = self.horizon
        out = np.full(close.shape, np.nan)
        if len(close) > h:
            now, later = close[:-h], close[h:]
            with np.errstate(invalid="ignore"):
                out[:-h] = np.where(np.isnan(now) | np.isnan(later), np.nan, (later > now).astype(float))
        return out

    def features(self, close: Float64Array, extra: dict[str, Float64Array | None]) -> Float64Array:
        """The ``(bars, symbols, features)`` array the model sees (see :func:`feature_block`)."""
        return feature_block(close, settings=self.feature_settings, **extra)[1]

    def fit(self, refit_position: int, x: Float64Array, y: Float64Array) -> Any | None:
        """A fresh clone of the estimator fitted at ``refit_position``, or None when the rows do not allow it.

        Parameters
        ----------
        refit_position
            Absolute bar position of the refit.
        x, y
            Features ``(bars, symbols, features)`` and labels ``(bars, symbols)`` of at least
            the bars :meth:`training_rows` names (labels after :meth:`last_labelled_row`
            are never read).
        """
        rows = self.training_rows(refit_position)
        if len(rows) == 0:
            return None
        features = x[rows.start : rows.stop].reshape(-1, x.shape[-1])
        labels = y[rows.start : rows.stop].reshape(-1)
        usable = np.isfinite(features).all(axis=1) & np.isfinite(labels)
        if usable.sum() < self.min_train_rows or len(np.unique(labels[usable])) < 2:
            logger.debug("MLClassifier: no fit at bar %d (%d usable rows)", refit_position, int(usable.sum()))
            return None
        model = clone(self.estimator if self.estimator is not None else default_estimator())
        with _one_thread(rescan=True), config_context(assume_finite=True):
            return model.fit(features[usable], labels[usable].astype(int))

    def probability_up(self, model: Any, rows: Float64Array) -> Float64Array:
        """P(up) of ``(rows, features)`` finite feature rows under ``model``."""
        with _one_thread(), config_context(assume_finite=True):  # callers pass finite rows only
            return model.predict_proba(rows)[:, list(model.classes_).index(1)]

    def signals(self, model: Any, x_row: Float64Array) -> Float64Array:
        """Targets for one bar from its ``(symbols, features)`` rows; 0 where a feature is missing.

        This is how the incremental form decides, one ``predict_proba`` call per bar.
        """
        out = np.zeros(x_row.shape[0])
        usable = np.isfinite(x_row).all(axis=1)
        if model is not None and usable.any():
            out[usable] = self._targets(self.probability_up(model, x_row[usable]))
        return out

    def _targets(self, p_up: Float64Array) -> Float64Array:
        decision = (p_up > self.threshold).astype(float)
        if self.direction == "both":
            decision -= (p_up < 1.0 - self.threshold).astype(float)
        return decision

    def _near_a_threshold(self, p_up: Float64Array) -> np.ndarray:
        near = np.abs(p_up - self.threshold) <= _GUARD
        if self.direction == "both":
            near |= np.abs(p_up - (1.0 - self.threshold)) <= _GUARD
        return near

    # ------------------------------------------------------------------ vectorised form

    def _decide(self, market: MarketData) -> np.ndarray:
        close = market.close.to_numpy(dtype=float)
        x = self.features(close, _extra_inputs(market))
        y = self.labels(close)
        out = np.zeros(close.shape)
        model = None
        refits = [t for t in range(len(close)) if self.is_refit_bar(t)]
        for start, stop in zip(refits, [*refits[1:], len(close)]):
            fitted = self.fit(start, x, y)
            model = fitted if fitted is not None else model
            if model is not None:
                out[start:stop] = self._segment_targets(model, x[start:stop])
        return out

    def _segment_targets(self, model: Any, x: Float64Array) -> Float64Array:
        """Targets of the bars one model serves, predicted in one call.

        A probability predicted among many rows can differ in the last bits from the same
        row predicted alone (BLAS takes other code paths for other shapes). Such a
        difference could only change a decision at a threshold, so bars with a probability
        within ``_GUARD`` of a threshold are decided again exactly as the incremental form
        decides them, one call per bar (:meth:`signals`).
        """
        bars, symbols, n_features = x.shape
        rows = x.reshape(-1, n_features)
        usable = np.isfinite(rows).all(axis=1)
        out = np.zeros(bars * symbols)
        if not usable.any():
            return out.reshape(bars, symbols)
        p_up = self.probability_up(model, rows[usable])
        out[usable] = self._targets(p_up)
        near = np.zeros(bars * symbols, dtype=bool)
        near[usable] = self._near_a_threshold(p_up)
        out = out.reshape(bars, symbols)
        for bar in np.flatnonzero(near.reshape(bars, symbols).any(axis=1)):
            out[bar] = self.signals(model, x[bar])
        return out


_GUARD = 1e-9
"""Probabilities this close to a threshold are re-decided bar by bar (see ``_segment_targets``)."""

_THREADPOOLS: ThreadpoolController | None = None


def _one_thread(rescan: bool = False) -> Any:
    """A context running BLAS and OpenMP on one thread.

    Walk-forward fits are small and predictions are one bar at a time, where thread start-up
    costs more than it saves (a tree model's per-bar prediction is ~4x faster on one thread),
    and a fixed thread count keeps the floating-point reductions, hence the models, reproducible.
    The controller lists the loaded thread pools once (a few ms); fits rescan it, so pools
    loaded by a new estimator are included.
    """
    global _THREADPOOLS
    if _THREADPOOLS is None or rescan:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=1)


def _extra_inputs(market: MarketData) -> dict[str, Float64Array | None]:
    has_range = market.has_field("high") and market.has_field("low")
    sentiment = market.feature("sentiment")
    return {
        "high": market.field("high").to_numpy(dtype=float) if has_range else None,
        "low": market.field("low").to_numpy(dtype=float) if has_range else None,
        "volume": market.field("volume").to_numpy(dtype=float) if market.has_field("volume") else None,
        "sentiment": None if sentiment is None else sentiment.to_numpy(dtype=float),
    }


class _GrowingArray:
    """Rows appended one at a time into a buffer that doubles when full."""

    def __init__(self, row_shape: tuple[int, ...]) -> None:
        self._data = np.empty((64, *row_shape))
        self._size = 0

    def append(self, row: np.ndarray) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.empty_like(self._data)])
        self._data[self._size] = row
        self._size += 1

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]


class _ClassifierIncremental(IncrementalStrategy):
    """Keeps every bar, computes the new bar's feature row, refits on the strategy's schedule."""

    def __init__(self, strategy: MLClassifier) -> None:
        super().__init__(strategy)
        self.strategy: MLClassifier = strategy
        self._position = -1
        self._model: Any = None
        self._columns: dict[str, np.ndarray] = {}
        self._inputs: dict[str, _GrowingArray] = {}
        self._x: _GrowingArray | None = None

    def _update(self, timestamp: pd.Timestamp, bar: pd.Series, features: pd.Series | None) -> np.ndarray:
        symbols = list(self.symbols or ())
        if not self._columns:
            self._locate_fields(symbols, features)
        values = np.append(bar.to_numpy(dtype=float), np.nan)  # position -1 reads NaN
        for field, at in self._columns.items():
            self._inputs[field].append(values[at])
        if "sentiment" in self._inputs:
            self._inputs["sentiment"].append(self._sentiment_row(features, symbols))
        self._position += 1
        history = {field: grown.values for field, grown in self._inputs.items()}
        close = history.pop("close")
        extra: dict[str, Float64Array | None] = {name: history.get(name) for name in (*_FEATURE_FIELDS, "sentiment")}
        if extra["high"] is None or extra["low"] is None:
            extra["high"] = extra["low"] = None
        x_new = self.strategy.features(close, extra)[-1]
        if self._x is None:
            self._x = _GrowingArray(x_new.shape)
        self._x.append(x_new)
        if self.strategy.is_refit_bar(self._position):
            fitted = self.strategy.fit(self._position, self._x.values, self.strategy.labels(close))
            self._model = fitted if fitted is not None else self._model
        if self._model is None:
            return np.zeros(len(symbols))
        return self.strategy.signals(self._model, x_new)

    def _locate_fields(self, symbols: list[str], features: pd.Series | None) -> None:
        assert self._bar_index is not None
        present = {(f, s): i for i, (f, s) in enumerate(self._bar_index)}
        fields = {f for f, _ in present}
        if "close" not in fields:
            raise ValidationError("bar", sorted(fields), "send bars that carry a close for every symbol")
        for field in ("close", *_FEATURE_FIELDS):
            if field in fields:  # as MarketData.field: a symbol without the field reads NaN
                self._columns[field] = np.asarray([present.get((field, s), -1) for s in symbols])
                self._inputs[field] = _GrowingArray((len(symbols),))
        if self._sentiment_row(features, symbols) is not None:
            self._inputs["sentiment"] = _GrowingArray((len(symbols),))

    @staticmethod
    def _sentiment_row(features: pd.Series | None, symbols: list[str]) -> np.ndarray | None:
        if features is None:
            return None
        if isinstance(features.index, pd.MultiIndex):
            if "sentiment" not in set(features.index.get_level_values(0)):
                return None
            return features["sentiment"].reindex(symbols).to_numpy(dtype=float)
        if "sentiment" not in features.index:
            return None
        return np.full(len(symbols), float(features["sentiment"]))

