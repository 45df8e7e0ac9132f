"""The Strategy contract: parameters, market data shapes, output checks, registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import (
    ChoiceParameter,
    FloatParameter,
    IntParameter,
    MarketData,
    SmaCrossover,
    Strategy,
    available_strategies,
    grid_size,
    resolve_strategy,
)


class Broken(Strategy):
    """Returns whatever it was told to (a test double)."""

    def __init__(self, value: float = 0.5) -> None:
        self.value = value

    def _decide(self, market: MarketData) -> np.ndarray:
        return np.full((len(market), len(market.symbols)), self.value)


def test_parameters_validate_grid_and_sample() -> None:
    window = IntParameter(2, 10, step=4)
    assert window.grid() == [2, 6, 10]
    assert window.validate("window", 6.0) == 6
    with pytest.raises(ValidationError, match="window=11"):
        window.validate("window", 11)
    level = FloatParameter(0.01, 1.0, grid_points=3, log=True)
    assert level.grid() == pytest.approx([0.01, 0.1, 1.0])
    draws = level.sample(np.random.default_rng(0), 100)
    assert min(draws) >= 0.01 and max(draws) <= 1.0
    side = ChoiceParameter(("long", "both"))
    assert side.sample(np.random.default_rng(0), 3) == side.sample(np.random.default_rng(0), 3)
    with pytest.raises(ValidationError, match="side"):
        side.validate("side", "short")
    assert grid_size({"a": window, "b": side}) == 6
    with pytest.raises(ValidationError):
        IntParameter(5, 1)


def test_params_are_checked_when_built_and_round_trip() -> None:
    strategy = SmaCrossover(fast=5, slow=20, direction="both")
    assert strategy.get_params() == {"fast": 5, "slow": 20, "direction": "both"}
    assert SmaCrossover(**strategy.get_params()) == strategy
    assert strategy.with_params(fast=7).fast == 7 and strategy.fast == 5
    with pytest.raises(ValidationError, match="fast=30"):
        SmaCrossover(fast=30, slow=20)
    with pytest.raises(ValidationError, match="direction"):
        SmaCrossover(direction="sideways")
    with pytest.raises(ValidationError, match="parameter='window'"):
        strategy.with_params(window=3)
    assert "SmaCrossover(fast=5, slow=20, direction='both')" == repr(strategy)


def test_market_data_accepts_three_shapes(bars) -> None:
    one = MarketData.from_frames(bars)
    assert one.symbols == ["asset"] and one.close.columns.tolist() == ["asset"]
    wide = pd.DataFrame({"X": bars["close"], "Y": bars["close"] * 2})
    table = MarketData.from_frames(wide)
    assert table.symbols == ["X", "Y"] and not table.has_field("open")
    many = MarketData.from_frames(pd.concat({"X": bars, "Y": bars}, axis=1).swaplevel(axis=1))
    assert many.symbols == ["X", "Y"] and many.has_field("high")
    features = pd.DataFrame({"sentiment": np.linspace(-1, 1, len(bars))}, index=bars.index)
    shared = MarketData.from_frames(wide, features).feature("sentiment")
    assert shared.shape == (len(bars), 2) and shared["Y"].iloc[-1] == 1.0
    assert MarketData.from_frames(wide, features).feature("absent") is None


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda b: b.iloc[:0], "bars"),
        (lambda b: b.reset_index(drop=True), "bars.index"),
        (lambda b: b.iloc[::-1], "bars.index"),
        (lambda b: pd.concat([b, b.iloc[-1:]]), "bars.index"),
        (lambda b: b.drop(columns="close"), "bars.columns"),
        (lambda b: b.replace(b["close"].iloc[3], np.inf), "bars"),
    ],
)
def test_market_data_refuses_bad_bars(bars, mutate, field) -> None:
    with pytest.raises(ValidationError, match=f"^{field}="):
        MarketData.from_frames(mutate(bars))


def test_misaligned_features_and_missing_fields_are_refused(bars) -> None:
    features = pd.DataFrame({"s": 0.0}, index=bars.index[:-1])
    with pytest.raises(ValidationError, match="features.index"):
        SmaCrossover(2, 3).decide(bars, features)
    with pytest.raises(ValidationError, match="needs the field"):
        MarketData.from_frames(bars[["close"]].rename(columns={"close": "X"}), required_fields=("close", "high"))


def test_targets_are_checked_against_the_output_kind(bars) -> None:
    with pytest.raises(ValidationError, match="signal strategies return -1, 0 or 1"):
        Broken(0.5).decide(bars)
    with pytest.raises(ValidationError, match="NaN or inf"):
        Broken(np.nan).decide(bars)
    assert (Broken(1.0).decide(bars) == 1.0).all().all()


def test_incremental_refuses_out_of_order_and_reshaped_bars(bars) -> None:
    stepper = SmaCrossover(2, 3).incremental()
    stepper.update(bars.iloc[1])
    with pytest.raises(ValidationError, match="time order"):
        stepper.update(bars.iloc[0])
    with pytest.raises(ValidationError, match="bar.index"):
        stepper.update(bars.iloc[2].drop("volume"))
    with pytest.raises(ValidationError, match="bar="):
        stepper.update(bars.iloc[3].to_dict())  # type: ignore[arg-type]


def test_registry_resolves_names_and_paths() -> None:
    assert resolve_strategy("sma_crossover") is SmaCrossover
    assert resolve_strategy("quantlib_local.strategies.sma_crossover:SmaCrossover") is SmaCrossover
    assert {"sma_crossover", "momentum", "mean_reversion", "pairs", "volatility_target"} <= set(available_strategies())
    with pytest.raises(ValidationError, match="strategy='nope'"):
        resolve_strategy("nope")
    with pytest.raises(ValidationError, match="subclass"):
        resolve_strategy("quantlib_local.strategies:MarketData")
