"""Tests of quantlib_local.rl.orders: the torch target-percent fill against vectorbt's own.

The reference is vectorbt 1.2's ``execute_order_nb`` called exactly as
:meth:`quantlib_local.rl.env.TradingEnv._fill` calls it (``TargetPercent``, ``Direction.Both``,
no cash locking, partial fills allowed, valued at the fill price), one account at a time.
The torch version fills thousands of accounts in one call and must give the same cash,
position and fees: the same operations in the same order, so the numbers agree bit for bit
(the comparison allows a relative 1e-12).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from vectorbt.portfolio.enums import Direction, Order, OrderStatus, ProcessOrderState, SizeType
from vectorbt.portfolio.nb import execute_order_nb

from quantlib_local.rl.orders import execute_target_percent

N_ACCOUNTS = 1500

# (fees, fixed_fees, slippage, size_granularity): free, proportional only, fixed only, both, with and without units
COSTS = {
    "free": (0.0, 0.0, 0.0, None),
    "fees_slippage": (0.001, 0.0, 0.0005, None),
    "fixed_only": (0.0, 3.0, 0.0, None),
    "fees_fixed_slippage": (0.01, 2.0, 0.001, None),
    "whole_units": (0.001, 0.0, 0.0, 1.0),
    "cents_fees_fixed": (0.0025, 1.5, 0.0003, 0.01),
    "fine_units_high_fees": (0.05, 0.0, 0.01, 0.001),
}


def vectorbt_fill(cash: float, position: float, price: float, weight: float, costs: tuple) -> tuple:
    """``execute_order_nb`` as ``TradingEnv._fill`` calls it; returns cash, position, fees, status."""
    fees, fixed_fees, slippage, granularity = costs
    value = cash + position * price if position != 0 else cash
    state = ProcessOrderState(cash, position, 0.0, cash, price, value, 0, -1)
    order = Order(weight, price, SizeType.TargetPercent, Direction.Both, fees, fixed_fees, slippage, 0.0, np.inf,
                  np.nan if granularity is None else granularity, 0.0, False, True, False, False)
    new_state, result = execute_order_nb(state, order)
    if np.isnan(result.size):  # ignored or rejected: the env keeps its account
        return cash, position, 0.0, int(result.status), np.nan
    return float(new_state.cash), float(new_state.position), float(result.fees), int(result.status), float(result.size)


def random_accounts(seed: int, n: int = N_ACCOUNTS) -> dict[str, np.ndarray]:
    """Flat, long and short accounts, with target weights in [-1.5, 1.5] and some exact no-op targets."""
    rng = np.random.default_rng(seed)
    price = rng.uniform(5.0, 500.0, n)
    kind = rng.integers(0, 5, n)  # 0 flat, 1 long, 2 short, 3 zero cash long, 4 tiny
    equity = rng.uniform(10.0, 2e5, n)
    held = rng.uniform(-1.5, 1.5, n) * equity / price  # units worth up to 1.5x equity either way
    position = np.where(kind == 0, 0.0, np.where(kind == 1, np.abs(held), np.where(kind == 2, -np.abs(held), held)))
    cash = np.where(kind == 3, 0.0, np.maximum(equity - position * price, 0.0))
    position = np.where(kind == 3, np.abs(held), position)
    cash = np.where(kind == 4, rng.uniform(0.0, 5.0, n), cash)  # a few units of cash: fixed fees can eat it all
    weight = rng.uniform(-1.5, 1.5, n)
    special = rng.integers(0, 6, n)
    value = cash + position * price
    with np.errstate(divide="ignore", invalid="ignore"):
        current = np.where(value > 0, position * price / value, 0.0)
    weight = np.where(special == 0, current, weight)  # target = held weight: a no-op order
    weight = np.where(special == 1, np.sign(weight) * 1.5, weight)  # leveraged: buying more than cash covers
    weight = np.where(special == 2, 0.0, weight)  # close out
    weight = np.where(special == 3, np.round(weight, 1), weight)
    return {"cash": cash, "position": position, "price": price, "weight": weight}


@pytest.fixture(scope="module", params=[11, 12])
def accounts(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    return random_accounts(request.param)


@pytest.mark.parametrize("case", sorted(COSTS))
def test_target_percent_matches_vectorbt_execute_order_nb(case: str, accounts: dict[str, np.ndarray]) -> None:
    costs = COSTS[case]
    fees, fixed_fees, slippage, granularity = costs
    expected = np.array([
        vectorbt_fill(c, p, x, w, costs)
        for c, p, x, w in zip(accounts["cash"], accounts["position"], accounts["price"], accounts["weight"], strict=True)
    ])
    tensors = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in accounts.items()}
    cash, position, paid = execute_target_percent(
        tensors["cash"], tensors["position"], tensors["price"], tensors["weight"],
        fees=fees, fixed_fees=fixed_fees, slippage=slippage, granularity=granularity,
    )
    for got, want, name in ((cash, expected[:, 0], "cash"), (position, expected[:, 1], "position"),
                            (paid, expected[:, 2], "fees")):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=0.0, err_msg=f"{name} differs ({case})")

    # the random accounts reach every branch: full buys, partial buys, sells, ignored and rejected orders
    status, size = expected[:, 3], expected[:, 4]
    value = accounts["cash"] + accounts["position"] * accounts["price"]
    wanted = accounts["weight"] * value / accounts["price"] - accounts["position"]
    filled = status == OrderStatus.Filled
    buys = filled & (wanted > 0)
    partial = buys & (size < wanted * (1 - 1e-9) - (granularity or 0.0))
    assert partial.sum() > 20, "no partial fills (buying more than the cash covers)"
    assert (buys & ~partial).sum() > 20
    assert (filled & (wanted < 0)).sum() > 20
    assert (status == OrderStatus.Ignored).sum() > 20  # no-op targets
    assert (status == OrderStatus.Rejected).sum() > 0  # no cash to buy with, or fees above the cash


def test_partial_fill_spends_exactly_the_cash_with_fixed_and_proportional_fees() -> None:
    """From flat, a 100 % target costs more than the cash once fees are added: buy what the cash covers.

    vectorbt's ``buy_nb`` (partial branch): ``max_req_cash = (cash - fixed_fees) / (1 + fees)``,
    size ``max_req_cash / (price (1 + slippage))``, fees ``cash - max_req_cash``, cash left 0.
    """
    cash, price, fees, fixed_fees, slippage = 1000.0, 10.0, 0.01, 5.0, 0.001
    max_req_cash = (cash - fixed_fees) / (1 + fees)
    expected = (0.0, max_req_cash / (price * (1 + slippage)), cash - max_req_cash)
    assert vectorbt_fill(cash, 0.0, price, 1.0, (fees, fixed_fees, slippage, None))[:3] == pytest.approx(expected,
                                                                                                          rel=1e-12)
    one = lambda x: torch.tensor([x], dtype=torch.float64)  # noqa: E731
    got = execute_target_percent(one(cash), one(0.0), one(price), one(1.0), fees=fees, fixed_fees=fixed_fees,
                                 slippage=slippage, granularity=None)
    assert [float(x) for x in got] == pytest.approx(expected, rel=1e-12)


def test_no_op_and_rejected_orders_leave_the_account_unchanged() -> None:
    cash = torch.tensor([500.0, 0.0, 1000.0, 2.0], dtype=torch.float64)
    position = torch.tensor([5.0, 10.0, -20.0, 0.0], dtype=torch.float64)
    price = torch.tensor([100.0, 100.0, 100.0, 100.0], dtype=torch.float64)
    # held weight exactly (no order); buy with no cash (rejected); value 1000 - 2000 < 0 (rejected);
    # 2 of cash and a fixed fee of 3 (cannot cover the fee)
    weight = torch.tensor([0.5, 1.0, 0.5, 1.0], dtype=torch.float64)
    new_cash, new_position, paid = execute_target_percent(cash, position, price, weight, fees=0.001, fixed_fees=3.0,
                                                          slippage=0.0, granularity=None)
    assert torch.equal(new_cash, cash) and torch.equal(new_position, position)
    assert torch.equal(paid, torch.zeros(4, dtype=torch.float64))
    for i in range(4):
        reference = vectorbt_fill(float(cash[i]), float(position[i]), float(price[i]), float(weight[i]),
                                  (0.001, 3.0, 0.0, None))
        assert reference[:3] == (float(cash[i]), float(position[i]), 0.0)
