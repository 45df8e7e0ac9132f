"""Cleaning weights and buying whole lots, on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local import portfolio as pf
from quantlib_local.exceptions import ValidationError
from quantlib_local.portfolio._solve import mip_solver

needs_mip = pytest.mark.skipif(mip_solver() is None, reason="no cvxpy solver for integer programs is installed")


def test_clean_weights_zeroes_tiny_and_rounds() -> None:
    weights = pd.Series({"A": 0.123456789, "B": 0.00009, "C": -0.00005, "D": 0.876543211 - 0.00004})
    cleaned = pf.clean_weights(weights, cutoff=1e-4, rounding=4)
    assert cleaned.to_dict() == {"A": 0.1235, "B": 0.0, "C": 0.0, "D": 0.8765}
    assert not np.signbit(cleaned["C"])  # no "-0.0"


def test_clean_weights_accepts_a_result(three_assets) -> None:
    mu, cov = three_assets
    result = pf.MeanVarianceOptimiser(mu, cov).min_volatility()
    pd.testing.assert_series_equal(pf.clean_weights(result), pf.clean_weights(result.weights))


def test_greedy_hand_example() -> None:
    # budget 1000; targets A 50 % (price 300), B 30 % (price 70), C 20 % (price 45).
    # Round 1: floor(500/300) = 1 A, floor(300/70) = 4 B, floor(200/45) = 4 C -> spent 760, left 240.
    # Shortfalls (money): A 200, B 20, C 20. One more A (300) is not affordable, so among
    # affordable lots B's gain min(20, 70) = 20 and C's min(20, 45) = 20 tie -> first (B):
    # left 170, B shortfall -50; then C: left 125, C -25; no positive shortfall is affordable
    # except A (not affordable) -> stop with 125 left.
    weights = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    prices = pd.Series({"A": 300.0, "B": 70.0, "C": 45.0})
    allocation = pf.discrete_allocation(weights, prices, 1000.0, method="greedy")
    assert allocation.shares.to_dict() == {"A": 1, "B": 5, "C": 5}
    assert allocation.leftover == pytest.approx(1000 - 300 - 350 - 225)
    # deviation = leftover + |500 - 300| + |300 - 350| + |200 - 225| = 125 + 200 + 50 + 25
    assert allocation.deviation == pytest.approx(400.0)


@needs_mip
def test_integer_program_is_never_worse_than_greedy() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        weights = pd.Series(rng.dirichlet(np.ones(8)), index=[f"X{i}" for i in range(8)])
        prices = pd.Series(rng.uniform(5, 400, 8), index=weights.index)
        greedy = pf.discrete_allocation(weights, prices, 5_000.0, method="greedy")
        exact = pf.discrete_allocation(weights, prices, 5_000.0, method="integer_program")
        assert exact.leftover >= -1e-6 and greedy.leftover >= 0
        assert exact.deviation <= greedy.deviation + 1e-6


@needs_mip
def test_integer_program_finds_the_brute_force_optimum() -> None:
    # Same example as the greedy one. Enumerating every affordable (a, b, c) gives the optimum
    # a=2, b=3, c=4: spent 990, deviation 10 + |500-600| + |300-210| + |200-180| = 220, well
    # below greedy's 400 (greedy never revisits round 1's floor of one A).
    weights = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    prices = pd.Series({"A": 300.0, "B": 70.0, "C": 45.0})
    best = min(
        (1000 - cost) + abs(500 - 300 * a) + abs(300 - 70 * b) + abs(200 - 45 * c)
        for a in range(4) for b in range(15) for c in range(23)
        if (cost := 300 * a + 70 * b + 45 * c) <= 1000
    )
    assert best == pytest.approx(220.0)
    allocation = pf.discrete_allocation(weights, prices, 1000.0, method="integer_program")
    assert allocation.deviation == pytest.approx(best, abs=1e-6)
    assert allocation.shares.to_dict() == {"A": 2, "B": 3, "C": 4}


def test_lots_are_multiples_of_the_lot_size() -> None:
    weights = pd.Series({"A": 0.6, "B": 0.4})
    prices = pd.Series({"A": 10.0, "B": 4.0})
    allocation = pf.discrete_allocation(weights, prices, 10_000.0, lot_size=pd.Series({"A": 100, "B": 50}))
    # A: 6000 / 1000 per lot = 6 lots = 600 shares; B: 4000 / 200 per lot = 20 lots = 1000 shares
    assert allocation.shares.to_dict() == {"A": 600, "B": 1000}
    assert allocation.leftover == pytest.approx(0.0)


def test_negative_weights_are_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        pf.discrete_allocation(pd.Series({"A": 1.2, "B": -0.2}), pd.Series({"A": 1.0, "B": 1.0}), 100.0)
    assert info.value.field == "weights"


def test_missing_price_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        pf.discrete_allocation(pd.Series({"A": 0.5, "B": 0.5}), pd.Series({"A": 1.0}), 100.0)
    assert info.value.field == "latest_prices" and "B" in str(info.value)
