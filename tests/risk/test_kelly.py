"""Kelly sizing, design eq. 10: f = (b p - q) / b (quantlib_local.risk.kelly).

Textbook values: Kelly (1956) / Thorp (2006, "The Kelly criterion in blackjack, sports
betting and the stock market"): an even-money bet (b = 1) won with p = 0.6 has
f = 0.6 - 0.4 = 0.2; with b = 2 and p = 0.5, f = (2 * 0.5 - 0.5) / 2 = 0.25.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local import risk


@pytest.mark.parametrize(
    ("p", "b", "expected"),
    [
        (0.6, 1.0, 0.2),  # even money, 60 % wins
        (0.5, 2.0, 0.25),  # 2:1 odds, fair coin
        (0.5, 1.0, 0.0),  # no edge
        (0.4, 1.0, -0.2),  # negative edge: do not bet (reported unclipped)
        (1.0, 3.0, 1.0),  # a sure win: stake everything
        (0.0, 1.0, -1.0),
    ],
)
def test_textbook_values(p: float, b: float, expected: float) -> None:
    assert risk.kelly_fraction(p, b) == pytest.approx(expected, abs=1e-15)


def test_fractional_kelly_defaults_to_a_quarter() -> None:
    # Design appendix A: risk.kelly_fraction = 0.25.
    assert risk.DEFAULT_KELLY_MULTIPLIER == 0.25
    assert risk.fractional_kelly(0.6, 1.0) == pytest.approx(0.05, abs=1e-15)
    assert risk.fractional_kelly(0.6, 1.0, multiplier=0.5) == pytest.approx(0.1, abs=1e-15)


def test_estimate_from_returns() -> None:
    # Wins +0.02 (x3), losses -0.01 (x2), one flat bar: p = 3/5, b = 0.02 / 0.01 = 2
    # f = (2 * 0.6 - 0.4) / 2 = 0.4
    returns = pd.Series([0.02, -0.01, 0.02, 0.0, -0.01, 0.02])
    assert risk.kelly_fraction_from_returns(returns) == pytest.approx(0.4, rel=1e-12)
    assert risk.kelly_fraction_from_returns(returns, multiplier=0.25) == pytest.approx(0.1, rel=1e-12)


def test_estimate_is_nan_when_odds_are_undefined() -> None:
    assert math.isnan(risk.kelly_fraction_from_returns(pd.Series([0.01, 0.02])))
    assert math.isnan(risk.kelly_fraction_from_returns(pd.Series([-0.01, -0.02])))


def test_estimate_matches_formula_on_random_bars() -> None:
    rng = np.random.default_rng(4)
    returns = pd.Series(rng.normal(0.001, 0.01, 1_000))
    p = (returns > 0).sum() / (returns != 0).sum()
    b = returns[returns > 0].mean() / -returns[returns < 0].mean()
    assert risk.kelly_fraction_from_returns(returns) == pytest.approx(risk.kelly_fraction(p, b), rel=1e-12)
