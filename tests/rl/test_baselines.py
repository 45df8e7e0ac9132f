"""Buy-and-hold and the seeded random policy: what they hold, reproducibility, errors."""

from __future__ import annotations

import numpy as np
import pytest

from quantlib_local.data import correlated_bars
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl import BuyAndHold, RandomPolicy


def test_buy_and_hold_holds_the_weight_everywhere(ou_market) -> None:
    targets = BuyAndHold(weight=0.5).decide(ou_market)
    assert (targets.to_numpy() == 0.5).all()


def test_random_policy_is_seeded_prefix_stable_and_uniform(ou_market) -> None:
    policy = RandomPolicy(actions=(-1.0, 0.0, 1.0), seed=4)
    whole = policy.decide(ou_market).iloc[:, 0].to_numpy()
    prefix = policy.decide(ou_market.iloc[:300]).iloc[:, 0].to_numpy()
    assert np.array_equal(whole[:300], prefix)
    assert not np.array_equal(whole, RandomPolicy(seed=5).decide(ou_market).iloc[:, 0].to_numpy())
    shares = np.array([(whole == a).mean() for a in (-1.0, 0.0, 1.0)])
    assert np.allclose(shares, 1 / 3, atol=0.05)


def test_many_symbols_need_a_symbol() -> None:
    three_assets = correlated_bars(["A", "B", "C"], 0.3, 100, mu=0.1, sigma=0.25, seed=3)
    with pytest.raises(ValidationError, match="symbol"):
        BuyAndHold().decide(three_assets)
    targets = RandomPolicy(symbol="A").decide(three_assets)
    assert (targets.iloc[:, 1:].to_numpy() == 0).all()


@pytest.mark.parametrize(("build", "field"), [
    (lambda: BuyAndHold(weight="all"), "weight"),
    (lambda: RandomPolicy(actions=()), "actions"),
    (lambda: RandomPolicy(seed=-1), "seed"),
])
def test_bad_parameters_fail_by_name(build, field) -> None:
    with pytest.raises(ValidationError, match=field):
        build()
