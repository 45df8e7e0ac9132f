"""Portfolio constraints: weight bounds, sector (group) limits, budget (layer 3, no I/O).

:class:`PortfolioConstraints` is the user-facing description (no asset list needed);
:meth:`PortfolioConstraints.resolve` checks it against the optimiser's assets and answers
arrays, and rejects what is infeasible on its face (sum of lower bounds above the budget,
a group whose members cannot reach its floor...) before any solver runs, with a
:class:`~quantlib_local.exceptions.ValidationError` that names the constraint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)

_FEASIBILITY_SLACK = 1e-9


@dataclass(frozen=True)
class PortfolioConstraints:
    """What the weights must satisfy, besides the objective's own target.

    Parameters
    ----------
    weight_bounds
        ``(lower, upper)`` for every asset; None leaves that side open. Default ``(0, 1)``:
        long only.
    asset_bounds
        Per-asset ``{asset: (lower, upper)}`` overriding ``weight_bounds`` for those assets.
    asset_groups
        ``{asset: group}``, e.g. ``{"XOM": "energy", "JPM": "financials"}``. Assets not listed
        belong to no group.
    group_bounds
        ``{group: (lower, upper)}``: the summed weight of each group's assets; None leaves
        a side open.
    market_neutral
        Weights sum to 0 instead of 1 (needs negative lower bounds, e.g. ``(-1, 1)``).
    fully_invested
        Weights sum to 1 (ignored when ``market_neutral``). ``False`` drops the budget
        constraint, e.g. to reproduce an unconstrained ``(delta Sigma)^-1 mu`` portfolio with
        :meth:`MeanVarianceOptimiser.max_quadratic_utility`.

    Examples
    --------
    >>> PortfolioConstraints(weight_bounds=(0.0, 0.3), asset_groups={"XOM": "energy"},
    ...                      group_bounds={"energy": (None, 0.1)}).net_exposure
    1.0
    """

    weight_bounds: tuple[float | None, float | None] = (0.0, 1.0)
    asset_bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    asset_groups: Mapping[str, str] = field(default_factory=dict)
    group_bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    market_neutral: bool = False
    fully_invested: bool = True

    @property
    def net_exposure(self) -> float | None:
        """Required sum of the weights: 0 (market neutral), 1 (fully invested) or None (free)."""
        if self.market_neutral:
            return 0.0
        return 1.0 if self.fully_invested else None

    def resolve(self, assets: pd.Index) -> ResolvedConstraints:
        """Check the constraints against ``assets`` and answer bound arrays and group masks.

        Raises
        ------
        ValidationError
            Malformed bounds, an unknown asset in ``asset_bounds`` or ``asset_groups``, a
            group in ``group_bounds`` without assets, or constraints infeasible on their face.
        """
        default = _check_pair("weight_bounds", self.weight_bounds)
        lower = np.full(len(assets), -np.inf if default[0] is None else default[0])
        upper = np.full(len(assets), np.inf if default[1] is None else default[1])
        position = {str(a): i for i, a in enumerate(assets)}
        if not isinstance(self.asset_bounds, Mapping):
            raise ValidationError("asset_bounds", type(self.asset_bounds).__name__, "pass a mapping {asset: (lower, upper)}")
        unknown = sorted(str(a) for a in self.asset_bounds if str(a) not in position)
        if unknown:
            raise ValidationError("asset_bounds", unknown, f"use asset names from the expected returns: {_preview(assets)}",
                                  detail="unknown asset(s)")
        for asset, pair in self.asset_bounds.items():
            lo, hi = _check_pair(f"asset_bounds[{asset!r}]", pair)
            lower[position[str(asset)]] = -np.inf if lo is None else lo
            upper[position[str(asset)]] = np.inf if hi is None else hi
        groups = self._group_masks(assets, position)
        resolved = ResolvedConstraints(
            assets=assets, lower=lower, upper=upper, groups=groups, net_exposure=self.net_exposure
        )
        resolved.check_feasible_on_face()
        return resolved

    def _group_masks(
        self, assets: pd.Index, position: dict[str, int]
    ) -> tuple[tuple[str, np.ndarray, float | None, float | None], ...]:
        if not isinstance(self.asset_groups, Mapping):
            raise ValidationError("asset_groups", type(self.asset_groups).__name__, "pass a mapping {asset: group}")
        if not isinstance(self.group_bounds, Mapping):
            raise ValidationError("group_bounds", type(self.group_bounds).__name__, "pass a mapping {group: (lower, upper)}")
        unknown = sorted(str(a) for a in self.asset_groups if str(a) not in position)
        if unknown:
            raise ValidationError(
                "asset_groups", unknown, f"map only assets that are in the expected returns: {_preview(assets)}",
                detail="unknown asset(s) in the group mapping",
            )
        members: dict[str, list[int]] = {}
        for asset, group in self.asset_groups.items():
            members.setdefault(str(group), []).append(position[str(asset)])
        empty = sorted(str(g) for g in self.group_bounds if str(g) not in members)
        if empty:
            raise ValidationError(
                "group_bounds", empty, f"bound only groups named in asset_groups: {sorted(members)}",
                detail="group(s) with no assets",
            )
        masks = []
        for group, pair in self.group_bounds.items():
            lo, hi = _check_pair(f"group_bounds[{group!r}]", pair)
            mask = np.zeros(len(assets), dtype=bool)
            mask[members[str(group)]] = True
            masks.append((str(group), mask, lo, hi))
        return tuple(masks)


@dataclass(frozen=True)
class ResolvedConstraints:
    """Constraints as arrays over the optimiser's assets (``-inf``/``inf`` for open bounds)."""

    assets: pd.Index
    lower: Float64Array
    upper: Float64Array
    groups: tuple[tuple[str, np.ndarray, float | None, float | None], ...]
    net_exposure: float | None

    def check_feasible_on_face(self) -> None:
        """Reject contradictions that need no solver to see."""
        bad = np.flatnonzero(self.lower > self.upper)
        if len(bad):
            asset = self.assets[bad[0]]
            raise ValidationError("weight_bounds", f"{asset!s}: ({self.lower[bad[0]]}, {self.upper[bad[0]]})",
                                  "give every asset a lower bound at or below its upper bound")
        if self.net_exposure is not None:
            low_sum, high_sum = float(self.lower.sum()), float(self.upper.sum())
            if low_sum > self.net_exposure + _FEASIBILITY_SLACK:
                raise ValidationError(
                    "weight_bounds", f"sum of lower bounds {low_sum:.6g}",
                    f"lower the per-asset minimum weights so they sum to at most {self.net_exposure:g}",
                    detail=f"the weights must sum to {self.net_exposure:g}",
                )
            if high_sum < self.net_exposure - _FEASIBILITY_SLACK:
                raise ValidationError(
                    "weight_bounds", f"sum of upper bounds {high_sum:.6g}",
                    f"raise the per-asset maximum weights so they sum to at least {self.net_exposure:g} "
                    "(e.g. max weight >= 1 / number of assets)",
                    detail=f"the weights must sum to {self.net_exposure:g}",
                )
        for group, mask, lo, hi in self.groups:
            floor, ceiling = float(self.lower[mask].sum()), float(self.upper[mask].sum())
            if lo is not None and hi is not None and lo > hi:
                raise ValidationError(f"group_bounds[{group!r}]", (lo, hi), "give the group a lower bound at or below its upper bound")
            if hi is not None and floor > hi + _FEASIBILITY_SLACK:
                raise ValidationError(
                    f"group_bounds[{group!r}]", (lo, hi), "lower the members' minimum weights or raise the group's maximum",
                    detail=f"its members' lower bounds already sum to {floor:.6g}",
                )
            if lo is not None and ceiling < lo - _FEASIBILITY_SLACK:
                raise ValidationError(
                    f"group_bounds[{group!r}]", (lo, hi), "raise the members' maximum weights or lower the group's minimum",
                    detail=f"its members' upper bounds sum to only {ceiling:.6g}",
                )


def _check_pair(name: str, pair: Any) -> tuple[float | None, float | None]:
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValidationError(name, pair, "pass a (lower, upper) pair, e.g. (0.0, 0.3); use None for an open side")
    out: list[float | None] = []
    for value in pair:
        if value is None:
            out.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
            raise ValidationError(name, pair, "bounds must be finite numbers or None")
        out.append(float(value))
    lo, hi = out
    if lo is not None and hi is not None and lo > hi:
        raise ValidationError(name, pair, "give a lower bound at or below the upper bound")
    return lo, hi


def _preview(assets: pd.Index) -> str:
    names = [str(a) for a in assets[:8]]
    return ", ".join(names) + (", ..." if len(assets) > 8 else "")
