"""The conformance test every strategy passes (like scikit-learn's ``check_estimator``).

:func:`check_strategy` runs a strategy on real or synthetic bars and checks the
contract of :mod:`quantlib_local.strategies.base`:

* **parameters round-trip**: ``type(s)(**s.get_params())`` equals ``s``, an unknown
  parameter is refused, and every declared parameter refuses a value outside its range;
* **no look-ahead**: the decisions on a prefix of the data never change when more data is
  appended (checked at cut points just after decisions change, at random points and at
  the last bars);
* **incremental equals vectorised**: feeding the bars one at a time to
  :meth:`~Strategy.incremental` gives the vectorised decisions bar for bar;
* **deterministic**: deciding twice gives the same answer.

A strategy that peeks at the next bar fails the look-ahead check at the last bar of
each prefix, where the future it reads is not there yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quantlib_local.exceptions import QuantLabError, ValidationError
from quantlib_local.strategies.base import Strategy
from quantlib_local.strategies.parameters import ChoiceParameter, FloatParameter, IntParameter

DEFAULT_ATOL = 1e-9


class StrategyConformanceError(QuantLabError, AssertionError):
    """A strategy broke its contract; the message lists every failed check."""


@dataclass
class ConformanceReport:
    """What :func:`check_strategy` found."""

    strategy: str
    checks: dict[str, bool] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return not self.failures

    def fail(self, check: str, message: str) -> None:
        """Record a failed check."""
        self.checks[check] = False
        self.failures.append(f"{check}: {message}")


def check_strategy(
    strategy: Strategy,
    bars: pd.DataFrame,
    features: pd.DataFrame | None = None,
    *,
    n_prefixes: int = 6,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
    raise_on_failure: bool = True,
) -> ConformanceReport:
    """Check ``strategy`` against the contract on ``bars`` (and ``features``).

    Parameters
    ----------
    strategy
        The strategy to check, with the parameters to check it at.
    bars, features
        Data long enough for the strategy to trade (past its warm-up).
    n_prefixes
        Number of cut points of each kind (after a decision change, random) for the
        look-ahead check; the last two bars are always cut points.
    atol
        Absolute tolerance for weight strategies (signals must match exactly).
    seed
        Seed for choosing the cut points.
    raise_on_failure
        Raise :class:`StrategyConformanceError` listing the failures (default), or
        return the report.
    """
    report = ConformanceReport(repr(strategy))
    _check_parameters(strategy, report)
    market = strategy.market_data(bars, features)
    full = strategy.decide(market)
    tolerance = 0.0 if strategy.output == "signal" else atol
    _compare("deterministic", strategy.decide(market), full, tolerance, report)
    if not np.abs(full.to_numpy()).any():
        report.fail("trades", "every target is 0 on this data; give longer data so the check means something")
    rng = np.random.default_rng(seed)
    n = len(market)
    # Cut right after bars where a decision changes (a peeking strategy changes its mind a
    # bar early, so the prefix ending there disagrees), plus random cuts and the last bars.
    changes = np.flatnonzero(np.abs(np.diff(full.to_numpy(), axis=0)).sum(axis=1) > 0) + 2
    changes = changes[changes < n]
    picked = rng.choice(changes, min(n_prefixes, len(changes)), replace=False) if len(changes) else []
    random_cuts = rng.integers(max(2, n // 4), n, max(0, n_prefixes - 2))
    cuts = sorted({n - 1, n - 2, *map(int, picked), *map(int, random_cuts)})
    for cut in cuts:
        prefix = strategy.decide(market.head(cut))
        if not _compare("no_look_ahead", prefix, full.iloc[:cut], tolerance, report, f"prefix of {cut} bars"):
            break
    incremental = strategy.incremental()
    feature_rows = market.features
    rows = [
        incremental.update(market.bars.iloc[i], None if feature_rows is None else feature_rows.iloc[i])
        for i in range(n)
    ]
    stepped = pd.DataFrame(rows, index=full.index, columns=full.columns)
    _compare("incremental_equals_vectorised", stepped, full, tolerance, report)
    if report.failures and raise_on_failure:
        raise StrategyConformanceError(f"{report.strategy} broke the strategy contract: " + "; ".join(report.failures))
    return report


def _check_parameters(strategy: Strategy, report: ConformanceReport) -> None:
    params = strategy.get_params()
    rebuilt = type(strategy)(**params)
    if rebuilt.get_params() != params or strategy.with_params().get_params() != params:
        report.fail("params_round_trip", f"{params} came back as {rebuilt.get_params()}")
    else:
        report.checks["params_round_trip"] = True
    try:
        type(strategy).from_params({**params, "no_such_parameter": 1})
        report.fail("unknown_param_refused", "no_such_parameter=1 was accepted")
    except ValidationError:
        report.checks["unknown_param_refused"] = True
    undeclared = sorted(set(strategy.parameter_space) - set(params))
    if undeclared:
        report.fail("declared_space", f"parameter_space names {undeclared}, which __init__ does not take")
    for name, spec in strategy.parameter_space.items():
        bad = _out_of_range(spec)
        try:
            strategy.with_params(**{name: bad})
            report.fail("range_checked", f"{name}={bad!r} was accepted")
        except ValidationError:
            report.checks.setdefault("range_checked", True)


def _out_of_range(spec: object) -> object:
    if isinstance(spec, IntParameter):
        return spec.high + spec.step
    if isinstance(spec, FloatParameter):
        return spec.high + (spec.high - spec.low) + 1
    if isinstance(spec, ChoiceParameter):
        return "__not_a_choice__"
    return object()


def _compare(
    check: str, got: pd.DataFrame, expected: pd.DataFrame, atol: float, report: ConformanceReport, where: str = ""
) -> bool:
    a, b = got.to_numpy(), expected.to_numpy()
    if a.shape != b.shape:
        report.fail(check, f"shape {a.shape} against {b.shape} {where}".strip())
        return False
    differs = np.abs(a - b) > atol
    if differs.any():
        row, column = np.argwhere(differs)[0]
        report.fail(
            check,
            f"{int(differs.sum())} target(s) differ {where}, first at {expected.index[row]} "
            f"{expected.columns[column]}: {a[row, column]} against {b[row, column]}",
        )
        return False
    report.checks.setdefault(check, True)
    return True
