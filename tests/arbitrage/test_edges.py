"""Eq. 7 arithmetic on hand-computed examples, and eq. 8's factors: definitions and monotonicity."""

from __future__ import annotations

import numpy as np
import pytest

from quantlib_local.arbitrage import execution_time_s, liquidity_score, pair_edges, priority_score, risk_factor


def test_eq7_hand_computed_example():
    # buy at ask 100.00 (size 30, fee 0.1 %), sell at bid 100.50 (size 12, fee 0.1 %), slippage 0.05 %:
    # gross = (100.50 - 100.00) / 100.00 = 0.005; fees = 0.001 + 0.001 = 0.002
    # net = 0.005 - 0.002 - 0.0005 = 0.0025; quantity = min(30, 12) = 12; notional = 12 x 100 = 1200
    # expected profit = 0.0025 x 1200 = 3.0
    edges = pair_edges(np.array(100.0), np.array(30.0), np.array(0.001), np.array(100.5), np.array(12.0),
                       np.array(0.001), 0.0005)
    assert float(edges.gross_edge) == pytest.approx(0.005, rel=1e-12)
    assert float(edges.fees) == pytest.approx(0.002, rel=1e-12)
    assert float(edges.net_edge) == pytest.approx(0.0025, rel=1e-12)
    assert float(edges.quantity) == 12.0
    assert float(edges.notional) == 1200.0
    assert float(edges.expected_profit) == pytest.approx(3.0, rel=1e-12)


def test_eq7_fees_can_eat_the_edge():
    # BTC: buy at 60,000 (fee 0.04 %), sell at 60,120 (fee 0.02 %), slippage 0.05 %:
    # gross = 120 / 60,000 = 0.002; net = 0.002 - 0.0006 - 0.0005 = 0.0009 (below the design's 0.1 % floor)
    # notional = min(0.5, 2) x 60,000 = 30,000; profit = 0.0009 x 30,000 = 27
    edges = pair_edges(np.array(60_000.0), np.array(0.5), np.array(0.0004), np.array(60_120.0), np.array(2.0),
                       np.array(0.0002), 0.0005)
    assert float(edges.net_edge) == pytest.approx(0.0009, rel=1e-9)
    assert float(edges.expected_profit) == pytest.approx(27.0, rel=1e-9)
    # the mirror trade (buy at the higher price) loses the gross spread as well:
    # gross = (60,000 - 60,120) / 60,120 = -0.0019960; net = -0.0019960 - 0.0006 - 0.0005 = -0.0030960
    mirror = pair_edges(np.array(60_120.0), np.array(2.0), np.array(0.0002), np.array(60_000.0), np.array(0.5),
                        np.array(0.0004), 0.0005)
    assert float(mirror.net_edge) == pytest.approx(-120 / 60_120 - 0.0011, rel=1e-12)


def test_eq7_broadcasts_over_a_venue_grid():
    ask = np.array([100.0, 101.0, 99.0])
    bid = np.array([99.9, 100.9, 98.9])
    grid = pair_edges(ask[:, None], np.ones((3, 1)), np.zeros((3, 1)), bid[None, :], np.ones((1, 3)),
                      np.zeros((1, 3)), 0.0)
    assert grid.net_edge.shape == (3, 3)
    # buy venue 2 (ask 99) and sell venue 1 (bid 100.9): (100.9 - 99) / 99
    assert grid.gross_edge[2, 1] == pytest.approx(1.9 / 99, rel=1e-12)
    # a venue against itself always loses its own spread
    assert (np.diag(grid.net_edge) < 0).all()


def test_liquidity_score_definition():
    # notional / (notional + scale): 0 at 0, 1/2 at the scale, 0.9 at 9 x scale, below 1 always
    assert float(liquidity_score(0.0, 10_000.0)) == 0.0
    assert float(liquidity_score(10_000.0, 10_000.0)) == 0.5
    assert float(liquidity_score(90_000.0, 10_000.0)) == pytest.approx(0.9)
    values = liquidity_score(np.geomspace(1.0, 1e12, 50), 10_000.0)
    assert (np.diff(values) > 0).all() and (values < 1).all()


def test_execution_time_definition():
    # (2 x 30 ms + 50 ms) / 1000 = 0.11 s
    assert float(execution_time_s(30.0, 50.0)) == pytest.approx(0.11)
    assert float(execution_time_s(0.0, 50.0)) == pytest.approx(0.05)  # never zero: one book update
    assert (np.diff(execution_time_s(np.linspace(0, 500, 20), 50.0)) > 0).all()


def test_risk_factor_definition():
    assert float(risk_factor(0.0, 100.0)) == 1.0
    assert float(risk_factor(100.0, 100.0)) == 2.0
    assert float(risk_factor(40.0, 100.0)) == pytest.approx(1.4)
    assert (np.diff(risk_factor(np.linspace(0, 100, 20), 100.0)) > 0).all()


def test_priority_hand_computed():
    # profit 3.0, liquidity 1200 / 11200, execution 0.11 s, risk 1.4: 3 x 0.1071429 / (0.11 x 1.4) = 2.0871985
    value = float(priority_score(3.0, 1200 / 11_200, 0.11, 1.4))
    assert value == pytest.approx(3.0 * (1200 / 11_200) / (0.11 * 1.4), rel=1e-15)
    assert value == pytest.approx(2.0871985, rel=1e-7)


@pytest.mark.parametrize("factor", ["expected_profit", "liquidity", "execution_time", "risk"])
def test_priority_is_monotone_in_each_factor(factor):
    rng = np.random.default_rng(5)
    base = {"expected_profit": rng.uniform(0.1, 100, 200), "liquidity": rng.uniform(0.01, 1, 200),
            "execution_time": rng.uniform(0.05, 5, 200), "risk": rng.uniform(1, 2, 200)}
    bumped = dict(base, **{factor: base[factor] * 1.5})
    before, after = priority_score(**base), priority_score(**bumped)
    if factor in ("expected_profit", "liquidity"):
        assert (after > before).all()
    else:
        assert (after < before).all()
