"""The reward of design eq. 5, ``R = a PnL + b Sharpe - c Drawdown - d Risk``, one step at a time.

:func:`reward_step` is written once for both environments: its arithmetic uses only
operators that NumPy arrays, Python floats and torch tensors share, so the gymnasium
environment (floats) and the batched one (tensors) compute the same numbers in the same
order. The terms are defined in :class:`~quantlib_local.rl.config.RewardWeights`.

The Sharpe term is the differential Sharpe ratio of Moody and Saffell, "Reinforcement
learning for trading" (NIPS 1998), eq. 6: with exponential moments ``A_t = A_{t-1} + eta
(R_t - A_{t-1})`` and ``B_t = B_{t-1} + eta (R_t^2 - B_{t-1})``,
``D_t = (B_{t-1} dA_t - A_{t-1} dB_t / 2) / (B_{t-1} - A_{t-1}^2)^{3/2}`` (0 until the
moments have a positive variance), the first-order change of ``A / sqrt(B - A^2)`` per
unit of ``eta``. The moments start at mean 0 and the asset's variance
(:meth:`RewardState.start`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from quantlib_local.rl.config import RewardWeights

MIN_VARIANCE = 1e-12
"""Below this variance of the moving moments the differential Sharpe ratio is 0."""


@dataclass
class RewardState:
    """What the terms carry from step to step (floats, arrays or tensors alike).

    ``mean`` and ``second`` are the moments ``A`` and ``B``; ``peak`` is the running equity
    peak and ``drawdown`` the current drawdown from it.
    """

    mean: Any
    second: Any
    peak: Any
    drawdown: Any

    @classmethod
    def start(cls, equity: Any, volatility: Any) -> RewardState:
        """State at the start of an episode with this equity, on an asset of this per-bar volatility.

        The moments start as if past returns had mean 0 and the asset's variance: with both
        at 0 the first small returns make the variance tiny and the differential Sharpe
        ratio explode (a return of 1e-5 followed by one of 1e-2 scores ~1e4).
        """
        zero = equity * 0.0
        return cls(zero, zero + volatility * volatility, equity + zero, zero)


def _where(condition: Any, a: Any, b: Any) -> Any:
    if isinstance(condition, torch.Tensor):
        return torch.where(condition, a, b)
    return np.where(condition, a, b)


def _sqrt(x: Any) -> Any:
    return torch.sqrt(x) if isinstance(x, torch.Tensor) else np.sqrt(x)


def reward_step(
    state: RewardState,
    equity_before: Any,
    equity_after: Any,
    exposure: Any,
    volatility: Any,
    weights: RewardWeights,
) -> tuple[Any, dict[str, Any], RewardState]:
    """Reward and terms of one step, and the state after it.

    Parameters
    ----------
    state
        Moments, peak and drawdown before the step.
    equity_before, equity_after
        Portfolio value at the close before and after the step.
    exposure
        Target weight held over the step (its absolute value is the size at risk).
    volatility
        The asset's per-bar volatility known when the weight was chosen.
    weights
        ``a, b, c, d``, the Sharpe decay and the scale.

    Returns
    -------
    reward, terms, state
        ``scale (a pnl + b sharpe - c drawdown - d risk)``, the unweighted terms by name,
        and the new state.
    """
    pnl = equity_after / equity_before - 1.0
    eta = weights.sharpe_decay
    d_mean = pnl - state.mean
    d_second = pnl * pnl - state.second
    variance = state.second - state.mean * state.mean
    usable = variance > MIN_VARIANCE
    safe = _where(usable, variance, variance * 0.0 + 1.0)
    sharpe = _where(usable, (state.second * d_mean - 0.5 * state.mean * d_second) / (safe * _sqrt(safe)), pnl * 0.0)
    higher = equity_after > state.peak
    peak = _where(higher, equity_after, state.peak)
    drawdown = 1.0 - equity_after / peak
    deepening = drawdown - state.drawdown
    deepening = (deepening + abs(deepening)) * 0.5
    risk = abs(exposure) * volatility
    reward = weights.scale * (weights.pnl * pnl + weights.sharpe * sharpe - weights.drawdown * deepening
                              - weights.risk * risk)
    new_state = RewardState(state.mean + eta * d_mean, state.second + eta * d_second, peak, drawdown)
    return reward, {"pnl": pnl, "sharpe": sharpe, "drawdown": deepening, "risk": risk}, new_state
