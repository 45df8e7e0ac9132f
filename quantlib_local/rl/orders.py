"""vectorbt's target-percent order fill, for a batch of accounts in torch.

The backtest engine rebalances weight strategies with vectorbt ``TargetPercent`` market
orders (:mod:`quantlib_local.backtest.simulate`); the gymnasium environment calls
vectorbt's own ``execute_order_nb`` for each order. vectorbt fills one order per call on
the CPU, and the batched environment needs thousands per call on any device, so this module
restates the same arithmetic (``execute_order_nb`` -> ``buy_nb`` / ``sell_nb`` of
vectorbt 1.2 for direction "both", no cash locking, partial fills allowed) element-wise
in torch: the same operations in the same order, with vectorbt's tolerances
(``rel_tol = 1e-9``, ``abs_tol = 1e-12``) for its "is close" tests and its snapping of
near-zero sums. The tests compare it with ``execute_order_nb`` on random accounts.
"""

from __future__ import annotations

import torch

REL_TOL = 1e-9
ABS_TOL = 1e-12


def _is_zero(x: torch.Tensor) -> torch.Tensor:
    """vectorbt's ``is_close_nb(x, 0)`` for finite ``x``: ``|x| <= max(rel_tol |x|, abs_tol)``, i.e. ``|x| <= abs_tol``."""
    return x.abs() <= ABS_TOL


def _close_or_less(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """vectorbt's ``is_close_or_less_nb(a, b)`` for finite values."""
    tolerance = torch.clamp(REL_TOL * torch.maximum(a.abs(), b.abs()), min=ABS_TOL)
    return (a < b) | ((a - b).abs() <= tolerance)


def _add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """vectorbt's ``add_nb`` for finite values: ``a + b``, snapped to 0 when it is 0 within tolerance.

    For operands of opposite signs the test is ``is_close(|a|, |b|)``, i.e.
    ``|a + b| <= max(rel_tol max(|a|, |b|), abs_tol)``; otherwise ``is_close(a + b, 0)``,
    i.e. ``|a + b| <= abs_tol``.
    """
    total = a + b
    relative = torch.where(a * b < 0, REL_TOL * torch.maximum(a.abs(), b.abs()), 0.0)
    return torch.where(total.abs() <= torch.clamp(relative, min=ABS_TOL), 0.0, total)


def _snap(x: torch.Tensor) -> torch.Tensor:
    return torch.where(_is_zero(x), 0.0, x)


def _floor_to(size: torch.Tensor, granularity: float | None) -> torch.Tensor:
    if granularity is None:
        return size
    return torch.div(size, granularity, rounding_mode="floor") * granularity


def execute_target_percent(
    cash: torch.Tensor,
    position: torch.Tensor,
    price: torch.Tensor,
    weight: torch.Tensor,
    *,
    fees: float,
    fixed_fees: float,
    slippage: float,
    granularity: float | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fill ``TargetPercent`` orders for ``weight`` at ``price`` (valued at the same price).

    Parameters
    ----------
    cash, position
        Each account's cash and units held before the order (float64).
    price
        Fill and valuation price of each order.
    weight
        Target fraction of the account's value to hold.
    fees, fixed_fees, slippage, granularity
        As in :class:`~quantlib_local.backtest.BacktestConfig`.

    Returns
    -------
    cash, position, fees_paid
        After the orders; accounts whose order is ignored or rejected are unchanged and paid 0.
    """
    cash_in, position_in = cash, position
    cash, position = _snap(cash), _snap(position)
    value = _snap(cash_in + position_in * price)  # vectorbt adds position x price only when position != 0
    size = weight * value / price - position
    valid = value > 0  # a non-positive value is rejected

    # buy_nb: spend at most the cash; if short of it, buy what the cash covers after fees
    buy_price = price * (1 + slippage)
    buy_size = _floor_to(size, granularity)
    required = buy_size * buy_price
    required_fees = required * fees + fixed_fees
    total = required + required_fees
    enough = _close_or_less(total, cash)
    max_required = (_add(cash, torch.full_like(cash, -fixed_fees)) if fixed_fees else cash) / (1 + fees)
    partial_size = _floor_to(max_required / buy_price, granularity)
    if granularity is None:
        partial_fees = cash - max_required
        partial_total = cash
    else:
        partial_cost = partial_size * buy_price
        partial_fees = partial_cost * fees + fixed_fees
        partial_total = partial_cost + partial_fees
    buy_filled = torch.where(enough, buy_size, partial_size)
    buy_fees = torch.where(enough, required_fees, partial_fees)
    buy_total = torch.where(enough, total, partial_total)
    buy_ok = (size > 0) & (cash != 0) & ~_is_zero(buy_size) & (enough | (max_required > 0))

    # sell_nb: sell (or sell short) the size; proceeds net of fees must not be negative
    sell_price = price * (1 - slippage)
    sell_size = _floor_to(-size, granularity)
    proceeds = sell_size * sell_price
    sell_fees = proceeds * fees + fixed_fees
    net = _add(proceeds, -sell_fees)
    sell_ok = (size <= 0) & ~_is_zero(sell_size) & (net >= 0)

    buy_ok, sell_ok = buy_ok & valid, sell_ok & valid
    new_cash = torch.where(buy_ok, _add(cash, -buy_total), torch.where(sell_ok, cash + net, cash_in))
    new_position = torch.where(buy_ok, _add(position, buy_filled),
                               torch.where(sell_ok, _add(position, -sell_size), position_in))
    paid = torch.where(buy_ok, buy_fees, torch.where(sell_ok, sell_fees, torch.zeros_like(cash)))
    return new_cash, new_position, paid
