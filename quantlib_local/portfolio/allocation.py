"""From optimal weights to an order list: clean tiny weights, buy whole lots (layer 3, no I/O).

:func:`clean_weights` zeroes weights below a cutoff and rounds the rest (as
PyPortfolioOpt's ``clean_weights``; it does not renormalise).

:func:`discrete_allocation` buys whole lots (``lot_size`` shares each) of long-only
target weights with a cash ``budget``. Both methods minimise the same quantity, the money
left over plus the total money distance from the target positions,
``leftover + sum_i |w_i budget - n_i lot_i price_i|``:

* ``method="integer_program"``: exactly, as a mixed-integer linear program in cvxpy
  (needs a MIP solver; HiGHS ships with cvxpy's ``highspy`` dependency and SciPy's HiGHS
  is the fallback);
* ``method="greedy"``: first buy ``floor(w_i budget / lot cost)`` lots of every asset,
  then repeatedly buy the one affordable lot that lowers the quantity most (the asset with
  the largest ``min(shortfall_i, lot cost_i)``), until no affordable lot lowers it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, TypeAlias

import cvxpy as cp
import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.portfolio._inputs import check_expected_returns, finite_float
from quantlib_local.portfolio._solve import ACCEPTED_STATUSES, OptimisationError, mip_solver, solve
from quantlib_local.portfolio.results import PortfolioWeights

logger = logging.getLogger(__name__)

AllocationMethod: TypeAlias = Literal["greedy", "integer_program"]


@dataclass(frozen=True)
class DiscreteAllocation:
    """Whole-lot positions that approximate target weights with a cash budget.

    Attributes
    ----------
    shares
        Shares to buy per asset (a multiple of the lot size; int64).
    leftover
        Cash not invested.
    target_weights
        The weights that were approximated.
    achieved_weights
        ``shares * price / budget``.
    method
        ``"greedy"`` or ``"integer_program"``.
    budget
        Cash that was to be invested.
    """

    shares: pd.Series
    leftover: float
    target_weights: pd.Series
    achieved_weights: pd.Series
    method: str
    budget: float

    @property
    def deviation(self) -> float:
        """The minimised quantity, in money: ``leftover + sum_i |w_i budget - held value_i|``."""
        return self.leftover + float(np.abs(self.target_weights - self.achieved_weights).sum() * self.budget)


def clean_weights(
    weights: pd.Series | PortfolioWeights, *, cutoff: float = 1e-4, rounding: int | None = 5
) -> pd.Series:
    """Set weights with ``|w| < cutoff`` to 0 and round the rest to ``rounding`` decimals.

    Parameters
    ----------
    weights
        A weight Series or a result carrying one (e.g. an ``OptimisationResult``).
    cutoff
        Weights smaller in magnitude become exactly 0.
    rounding
        Decimal places, or None to skip rounding.

    Returns
    -------
    Series
        Cleaned weights (not renormalised; the sum may differ from 1 by about ``n * cutoff``).
    """
    series = weights.weights if isinstance(weights, PortfolioWeights) else weights
    series = check_expected_returns(series, "weights")
    limit = finite_float(cutoff, "cutoff", "pass a small non-negative cutoff such as 1e-4", minimum=0.0)
    cleaned = series.where(series.abs() >= limit, 0.0)
    if rounding is not None:
        if isinstance(rounding, bool) or not isinstance(rounding, (int, np.integer)) or rounding < 1:
            raise ValidationError("rounding", rounding, "pass a positive number of decimals such as 5, or None")
        cleaned = cleaned.round(int(rounding))
    return (cleaned + 0.0).rename("weight")


def discrete_allocation(
    weights: pd.Series | PortfolioWeights,
    latest_prices: pd.Series,
    budget: float,
    *,
    lot_size: int | pd.Series = 1,
    method: AllocationMethod = "greedy",
    solver: str | None = None,
) -> DiscreteAllocation:
    """Turn long-only target weights into whole lots bought with ``budget``.

    Parameters
    ----------
    weights
        Target weights (non-negative; zero weights are skipped). A result object is accepted.
    latest_prices
        Price per share, same assets.
    budget
        Cash to invest.
    lot_size
        Shares per lot (one number, or per asset); positions are multiples of it.
    method
        ``"greedy"`` or ``"integer_program"`` (see the module notes).
    solver
        MIP solver for ``"integer_program"``; default the first installed of HiGHS, SCIP,
        Gurobi, CPLEX, ..., SciPy.

    Returns
    -------
    DiscreteAllocation
    """
    target = check_expected_returns(weights.weights if isinstance(weights, PortfolioWeights) else weights, "weights")
    if (target < 0).any():
        raise ValidationError("weights", target[target < 0].to_dict(),
                              "allocate long-only weights (split long and short books and allocate each)")
    if not target.sum() > 0:
        raise ValidationError("weights", target.to_dict(), "pass weights with a positive sum")
    prices = check_expected_returns(latest_prices, "latest_prices")
    missing = sorted(str(a) for a in target.index[target > 0] if a not in prices.index)
    if missing:
        raise ValidationError("latest_prices", missing, "give a price for every asset with a positive weight")
    prices = prices.reindex(target.index)
    held = target > 0
    if (prices[held] <= 0).any():
        raise ValidationError("latest_prices", prices[held & (prices <= 0)].to_dict(), "prices must be positive")
    cash = finite_float(budget, "budget", "pass a positive amount of cash", minimum=0.0, strict=True)
    lots = _lot_sizes(lot_size, target.index)
    lot_cost = (prices.fillna(0.0) * lots).to_numpy()
    goal = target.to_numpy() * cash
    active = np.flatnonzero(held.to_numpy())
    if method == "greedy":
        n_lots = _greedy_lots(goal[active], lot_cost[active], cash)
    elif method == "integer_program":
        n_lots = _integer_program_lots(goal[active], lot_cost[active], cash, solver)
    else:
        raise ValidationError("method", method, "pass method='greedy' or method='integer_program'")
    all_lots = np.zeros(len(target), dtype=np.int64)
    all_lots[active] = n_lots
    spent = float(all_lots @ lot_cost)
    shares = pd.Series(all_lots * lots.to_numpy(), index=target.index, name="shares", dtype="int64")
    achieved = pd.Series(all_lots * lot_cost / cash, index=target.index, name="weight")
    logger.info("discrete_allocation(%s): spent %.2f of %.2f", method, spent, cash)
    return DiscreteAllocation(
        shares=shares, leftover=cash - spent, target_weights=target.rename("weight"), achieved_weights=achieved, method=method,
        budget=cash,
    )


def _lot_sizes(lot_size: int | pd.Series, assets: pd.Index) -> pd.Series:
    if isinstance(lot_size, pd.Series):
        sizes = lot_size.reindex(assets)
        if sizes.isna().any():
            raise ValidationError("lot_size", sorted(map(str, assets[sizes.isna()])), "give a lot size for every asset")
    else:
        sizes = pd.Series(lot_size, index=assets)
    values = sizes.to_numpy()
    if not all(isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer()) for v in values) or (values < 1).any():
        raise ValidationError("lot_size", lot_size, "pass whole numbers of shares per lot, at least 1")
    return sizes.astype("int64")


def _greedy_lots(goal: np.ndarray, lot_cost: np.ndarray, cash: float) -> np.ndarray:
    n_lots = np.floor(goal / lot_cost).astype(np.int64)
    leftover = cash - float(n_lots @ lot_cost)
    while True:
        shortfall = goal - n_lots * lot_cost
        # buying one lot changes leftover + sum|shortfall| by -2 min(max(shortfall, 0), cost)
        gain = np.minimum(np.clip(shortfall, 0.0, None), lot_cost)
        gain[lot_cost > leftover + 1e-9] = 0.0
        best = int(np.argmax(gain))
        if gain[best] <= 0.0:
            return n_lots
        n_lots[best] += 1
        leftover -= float(lot_cost[best])


def _integer_program_lots(goal: np.ndarray, lot_cost: np.ndarray, cash: float, solver: str | None) -> np.ndarray:
    chosen = mip_solver(solver)
    if chosen is None:
        raise ValidationError("method", "integer_program", "use method='greedy' or install a MIP solver (pip install highspy)",
                              detail=f"no installed cvxpy solver handles integers ({cp.installed_solvers()})")
    lots = cp.Variable(len(goal), integer=True)
    gap = cp.Variable(len(goal))
    leftover = cash - lot_cost @ lots
    constraints = [lots >= 0, leftover >= 0, gap >= goal - cp.multiply(lot_cost, lots), gap >= cp.multiply(lot_cost, lots) - goal]
    problem = cp.Problem(cp.Minimize(leftover + cp.sum(gap)), constraints)
    status = solve(problem, chosen, "discrete_allocation")
    if status not in ACCEPTED_STATUSES:
        raise OptimisationError("discrete_allocation", status, "use method='greedy'")
    return np.rint(np.asarray(lots.value)).astype(np.int64)
