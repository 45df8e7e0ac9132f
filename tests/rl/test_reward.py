"""Tests of quantlib_local.rl.reward: design eq. 5, term by term, on hand-computed examples.

``R = scale (a PnL + b Sharpe - c Drawdown - d Risk)``; the Sharpe term is the differential
Sharpe ratio of Moody and Saffell (1998), checked against its definition as the first-order
change of the exponentially weighted Sharpe ratio.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from quantlib_local.rl.config import REWARD_TERMS, RewardWeights
from quantlib_local.rl.reward import RewardState, reward_step

ONLY_PNL = RewardWeights(pnl=1.0, sharpe=0.0, drawdown=0.0, risk=0.0, scale=1.0)


def run_path(equities, weights=ONLY_PNL, exposures=None, volatilities=None, start_volatility=0.0):
    """Step ``reward_step`` along an equity path; returns rewards, terms per step and the final state."""
    state = RewardState.start(equities[0], start_volatility)
    rewards, terms = [], []
    for k in range(1, len(equities)):
        exposure = 0.0 if exposures is None else exposures[k - 1]
        volatility = 0.0 if volatilities is None else volatilities[k - 1]
        reward, step_terms, state = reward_step(state, equities[k - 1], equities[k], exposure, volatility, weights)
        rewards.append(reward)
        terms.append(step_terms)
    return rewards, terms, state


def test_pnl_is_the_simple_return_of_equity() -> None:
    _, terms, _ = run_path([100.0, 110.0, 99.0, 99.0])
    assert [t["pnl"] for t in terms] == pytest.approx([0.10, -0.10, 0.0], abs=1e-15)


def test_drawdown_term_is_how_much_the_drawdown_deepened() -> None:
    # equity 100 -> 110 (new peak) -> 99 (drawdown 10 %) -> 104.5 (5 %, recovering: 0)
    #        -> 93.5 (15 %: deepened by 10 %) -> 121 (new peak: 0) -> 108.9 (10 % below 121)
    _, terms, state = run_path([100.0, 110.0, 99.0, 104.5, 93.5, 121.0, 108.9])
    deepening = [t["drawdown"] for t in terms]
    assert deepening == pytest.approx([0.0, 0.10, 0.0, 0.10, 0.0, 0.10], abs=1e-12)
    assert float(state.peak) == 121.0
    assert float(state.drawdown) == pytest.approx(0.10, abs=1e-12)
    # an episode's sum tracks the depth of its drawdowns: 10 % + (15 % - 5 %) + 10 %
    assert sum(deepening) == pytest.approx(0.30, abs=1e-12)


def test_drawdown_term_is_zero_when_equity_never_falls_below_its_peak() -> None:
    _, terms, _ = run_path([100.0, 101.0, 101.0, 105.0, 120.0])
    assert all(t["drawdown"] == 0.0 for t in terms)


def test_risk_term_is_the_absolute_weight_times_the_volatility() -> None:
    _, terms, _ = run_path([100.0, 101.0, 100.0, 100.0], exposures=[-0.5, 1.0, 0.0],
                           volatilities=[0.02, 0.03, 0.5])
    assert [t["risk"] for t in terms] == pytest.approx([0.01, 0.03, 0.0], abs=1e-15)


def test_reward_is_the_scaled_weighted_sum_of_the_terms() -> None:
    weights = RewardWeights(pnl=0.7, sharpe=0.3, drawdown=2.0, risk=0.5, sharpe_decay=0.1, scale=100.0)
    equities = [100.0, 102.0, 99.0, 101.0, 97.0, 98.0, 103.0]
    rewards, terms, _ = run_path(equities, weights, exposures=[1.0, -1.0, 0.5, -0.5, 1.0, 0.0],
                                 volatilities=[0.01, 0.02, 0.015, 0.03, 0.01, 0.02])
    assert any(t["sharpe"] != 0.0 for t in terms) and any(t["drawdown"] > 0 for t in terms)
    for reward, t in zip(rewards, terms, strict=True):
        assert set(t) == set(REWARD_TERMS)
        expected = 100.0 * (0.7 * t["pnl"] + 0.3 * t["sharpe"] - 2.0 * t["drawdown"] - 0.5 * t["risk"])
        assert reward == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_sharpe_term_is_zero_until_the_moments_have_a_variance() -> None:
    weights = RewardWeights(sharpe=1.0, sharpe_decay=0.5)
    # no start volatility: first step A = B = 0 (no variance); second A = 0.005, B = 0.00005, variance 2.5e-5 > 0
    _, terms, _ = run_path([100.0, 101.0, 102.0], weights)
    assert terms[0]["sharpe"] == 0.0
    assert terms[1]["sharpe"] != 0.0


def test_moments_start_at_mean_zero_and_the_asset_variance() -> None:
    state = RewardState.start(250.0, 0.02)
    assert (state.mean, state.second, state.peak, state.drawdown) == (0.0, pytest.approx(4e-4, rel=1e-15), 250.0, 0.0)
    # so the first step already has a finite Sharpe term: D_1 = B_0 R_1 / B_0^1.5 = R_1 / sigma
    _, terms, _ = run_path([100.0, 101.0], RewardWeights(sharpe=1.0), start_volatility=0.02)
    assert terms[0]["sharpe"] == pytest.approx(0.01 / 0.02, rel=1e-12)


def test_differential_sharpe_moments_follow_the_exponential_updates() -> None:
    eta = 0.2
    weights = RewardWeights(sharpe=1.0, sharpe_decay=eta)
    equities = [100.0, 101.0, 100.0, 102.0]
    _, terms, state = run_path(equities, weights, start_volatility=0.01)
    a, b = 0.0, 0.01**2
    for t in terms:
        a, b = a + eta * (t["pnl"] - a), b + eta * (t["pnl"] ** 2 - b)
    assert float(state.mean) == pytest.approx(a, rel=1e-14)
    assert float(state.second) == pytest.approx(b, rel=1e-14)


def sharpe_of_moments(a: float, b: float) -> float:
    """The exponentially weighted Sharpe ratio ``S = A / sqrt(B - A^2)``."""
    return a / math.sqrt(b - a * a)


@pytest.mark.parametrize("pnl", [0.03, -0.02, 0.01])
def test_differential_sharpe_is_the_first_order_change_of_the_moving_sharpe_ratio(pnl: float) -> None:
    """Moody and Saffell (1998), "Reinforcement learning for trading", NIPS 11, eq. 6.

    With ``A_t = A_{t-1} + eta (R_t - A_{t-1})``, ``B_t = B_{t-1} + eta (R_t^2 - B_{t-1})`` and
    ``S = A / sqrt(B - A^2)``, expanding ``S_t`` to first order in ``eta`` gives
    ``S_t = S_{t-1} + eta D_t + O(eta^2)``; so ``eta D_t`` approximates ``S_t - S_{t-1}`` with a
    relative error that shrinks in proportion to ``eta``.
    """
    a, b = 0.001, 0.0004  # moments from a history: mean 0.1 %, variance 3.99e-4
    state = RewardState(mean=a, second=b, peak=100.0, drawdown=0.0)
    errors = []
    for eta in (1e-2, 1e-3, 1e-4, 1e-5):
        weights = RewardWeights(sharpe=1.0, sharpe_decay=eta)
        _, terms, after = reward_step(state, 100.0, 100.0 * (1 + pnl), 0.0, 0.0, weights)
        change = sharpe_of_moments(float(after.mean), float(after.second)) - sharpe_of_moments(a, b)
        first_order = eta * terms["sharpe"]
        errors.append(abs(first_order - change) / abs(change))
    assert errors[-1] < 1e-4
    for larger, smaller in zip(errors, errors[1:]):
        # O(eta) error: ten times smaller eta, about ten times smaller error
        assert smaller < larger / 5


def test_differential_sharpe_matches_the_closed_form() -> None:
    a, b, pnl = 0.002, 0.0003, -0.01
    state = RewardState(mean=a, second=b, peak=1.0, drawdown=0.0)
    _, terms, _ = reward_step(state, 1.0, 1.0 + pnl, 0.0, 0.0, RewardWeights(sharpe=1.0))
    expected = (b * (pnl - a) - 0.5 * a * (pnl * pnl - b)) / (b - a * a) ** 1.5
    assert terms["sharpe"] == pytest.approx(expected, rel=1e-13)


def test_numpy_float_and_torch_inputs_give_identical_numbers() -> None:
    """Floats (the gymnasium env), NumPy arrays and torch tensors (the batched env) give the same numbers.

    Bit for bit, except where a square root is taken: this torch build's CPU ``sqrt`` for float64
    (MKL VML, high-accuracy mode) is within 1 ulp but not always correctly rounded, unlike NumPy's,
    so the Sharpe term (and the reward that contains it) may differ in the last bit.
    """
    weights = RewardWeights(pnl=1.0, sharpe=0.5, drawdown=1.5, risk=0.25, sharpe_decay=0.05, scale=100.0)
    rng = np.random.default_rng(3)
    paths = 100.0 * np.cumprod(1 + rng.normal(0, 0.02, (3, 40)), axis=1)  # three equity paths
    exposures = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (3, 39))
    volatilities = rng.uniform(0.005, 0.03, (3, 39))

    start = np.array([0.01, 0.0, 0.02])  # one path starts with no variance
    as_float = [run_path(list(paths[i]), weights, list(exposures[i]), list(volatilities[i]), float(start[i]))
                for i in range(3)]
    as_numpy = run_path(list(paths.T), weights, list(exposures.T), list(volatilities.T), start)
    as_torch = run_path(list(torch.as_tensor(paths.T)), weights, list(torch.as_tensor(exposures.T)),
                        list(torch.as_tensor(volatilities.T)), torch.as_tensor(start))
    for k in range(39):
        float_reward = np.array([float(as_float[i][0][k]) for i in range(3)])
        np.testing.assert_array_equal(np.asarray(as_numpy[0][k]), float_reward)
        np.testing.assert_allclose(as_torch[0][k].numpy(), float_reward, rtol=1e-15, atol=1e-18)
        for name in REWARD_TERMS:
            float_term = np.array([float(as_float[i][1][k][name]) for i in range(3)])
            np.testing.assert_array_equal(np.asarray(as_numpy[1][k][name]), float_term)
            if name == "sharpe":  # see the docstring: torch's sqrt may round the other way
                np.testing.assert_allclose(as_torch[1][k][name].numpy(), float_term, rtol=1e-15, atol=0.0)
            else:
                np.testing.assert_array_equal(as_torch[1][k][name].numpy(), float_term)
    for name in ("mean", "second", "peak", "drawdown"):  # the carried state has no square root: identical
        float_state = np.array([float(getattr(as_float[i][2], name)) for i in range(3)])
        np.testing.assert_array_equal(np.asarray(getattr(as_numpy[2], name)), float_state)
        np.testing.assert_array_equal(getattr(as_torch[2], name).numpy(), float_state)
    assert any(float(as_float[0][1][k]["sharpe"]) != 0.0 for k in range(39))
    assert any(float(as_float[0][1][k]["drawdown"]) > 0.0 for k in range(39))
