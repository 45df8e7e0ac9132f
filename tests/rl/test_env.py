"""Tests of quantlib_local.rl.env: the gymnasium trading environment.

The main check is that an episode is a backtest: with a fixed start and a sequence of
actions, the episode's equity path is what :func:`quantlib_local.backtest.run_backtest`
reports for a weights strategy holding the same targets (0 before the start bar, the
action's weight from the start bar on: the decision at bar ``t`` is the action of the step
taken at bar ``t``), for both execution timings and every cost the environment supports.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env

from quantlib_local.backtest import BacktestConfig, run_backtest
from quantlib_local.data import ou_bars
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.config import REWARD_TERMS, EnvironmentConfig, ObservationSettings, RewardWeights
from quantlib_local.rl.data import TradingData, prepare_trading_data
from quantlib_local.rl.env import EQUITY_FLOOR, TradingEnv
from quantlib_local.strategies import Strategy
from quantlib_local.strategies.market_data import MarketData

N_BARS = 400
OBSERVATION = ObservationSettings(norm_window=100)
SIZED = (-1.0, -0.5, 0.0, 0.5, 1.0)
ALL_TERMS = RewardWeights(pnl=1.0, sharpe=0.3, drawdown=2.0, risk=0.5, sharpe_decay=0.05, scale=100.0)


class RecordedWeights(Strategy):
    """Hold the target weight recorded for each bar (a test double; not registered)."""

    output = "weights"

    def __init__(self, weights: tuple[float, ...] = ()) -> None:
        self.weights = weights

    def _decide(self, market: MarketData) -> np.ndarray:
        return np.asarray(self.weights, dtype=float)[: len(market), None]


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return ou_bars(N_BARS, kappa=20.0, sigma=0.6, seed=7)


@pytest.fixture(scope="module")
def data(bars: pd.DataFrame) -> TradingData:
    return prepare_trading_data(bars, EnvironmentConfig(observation=OBSERVATION))


def config_with(**changes) -> EnvironmentConfig:
    values = dict(actions=SIZED, episode_length=64, random_start=False, reward=ALL_TERMS, observation=OBSERVATION,
                  costs=BacktestConfig(fees=0.001, slippage=0.0005))
    values.update(changes)
    return EnvironmentConfig(**values)


def play(env: TradingEnv, start: int, actions: list[int]) -> tuple[list[np.ndarray], list[float], list[dict]]:
    """Reset at ``start`` and take ``actions`` (stopping when the episode ends); observations, rewards, infos."""
    obs, info = env.reset(options={"start": start})
    observations, rewards, infos = [obs], [], [info]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        infos.append(info | {"terminated": terminated, "truncated": truncated})
        if terminated or truncated:
            break
    return observations, rewards, infos


def backtest_equity(bars: pd.DataFrame, config: EnvironmentConfig, start: int, actions: list[int]):
    """``run_backtest`` of the weights the actions stand for, decided at bars start, start + 1, ..."""
    targets = np.zeros(len(bars))
    chosen = np.asarray(config.actions)[actions]
    targets[start: start + len(chosen)] = chosen
    targets[start + len(chosen):] = chosen[-1]  # after the episode: hold (never executed inside it)
    return run_backtest(RecordedWeights(tuple(targets)), bars, config.costs)


COSTS = {
    "next_open_fees_slippage": BacktestConfig(fees=0.001, slippage=0.0005, execution="next_open"),
    "next_close_fees_slippage": BacktestConfig(fees=0.001, slippage=0.0005, execution="next_close"),
    "next_open_fixed_fees": BacktestConfig(fees=0.002, fixed_fees=25.0, slippage=0.0005, execution="next_open"),
    "next_close_fixed_fees_only": BacktestConfig(fees=0.0, fixed_fees=10.0, execution="next_close"),
    "next_open_whole_units": BacktestConfig(fees=0.001, slippage=0.0005, size_granularity=1.0, execution="next_open",
                                            init_cash=20_000.0),
    "next_close_lots_fixed_fees": BacktestConfig(fees=0.0005, fixed_fees=3.0, size_granularity=10.0,
                                                 execution="next_close", init_cash=50_000.0),
    "free": BacktestConfig(fees=0.0, slippage=0.0, execution="next_open"),
}


@pytest.mark.parametrize("case", sorted(COSTS))
def test_episode_equity_equals_the_backtest_of_the_same_weights(bars: pd.DataFrame, case: str) -> None:
    config = config_with(costs=COSTS[case])
    env = TradingEnv(bars, config)
    start = env.data.first_bar + 17
    actions = list(np.random.default_rng(len(case)).integers(0, len(SIZED), config.episode_length))
    actions[:3] = [4, 4, 0]  # buy, hold (no order), sell out
    _, _, infos = play(env, start, actions)
    assert len(infos) == config.episode_length + 1 and infos[-1]["truncated"]

    result = backtest_equity(bars, config, start, actions)
    expected = result.equity.to_numpy()[start: start + config.episode_length + 1]
    np.testing.assert_allclose([info["equity"] for info in infos], expected, rtol=1e-9)
    # the same orders: the fees paid inside the episode agree too
    records = result.portfolio.order_records
    inside = (records["idx"] > start) & (records["idx"] <= start + config.episode_length)
    assert sum(info["fees"] for info in infos[1:]) == pytest.approx(records["fees"][inside].sum(), rel=1e-9, abs=1e-9)
    assert inside.sum() == sum(info["fees"] > 0 for info in infos[1:]) or COSTS[case].fees == 0


@pytest.mark.parametrize("execution", ["next_open", "next_close"])
def test_leveraged_targets_with_partial_fills_match_the_backtest(bars: pd.DataFrame, execution: str) -> None:
    """Weights of +-2 buy more than the cash covers: vectorbt fills what the cash pays for, in both."""
    config = config_with(actions=(-2.0, -1.0, 0.0, 1.0, 2.0),
                         costs=BacktestConfig(fees=0.001, fixed_fees=5.0, slippage=0.0005, execution=execution))
    env = TradingEnv(bars, config)
    start = env.data.first_bar + 3
    actions = [4, 4, 0, 0, 4, 3, 2, 4, 1, 0] * 6
    _, _, infos = play(env, start, actions)
    result = backtest_equity(bars, config, start, actions[: len(infos) - 1])
    np.testing.assert_allclose([info["equity"] for info in infos],
                               result.equity.to_numpy()[start: start + len(infos)], rtol=1e-9)


@pytest.fixture(scope="module")
def rising_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """The OU bars followed by 60 bars rising 1.5 % each (a short squeeze)."""
    n_up = 60
    last = bars["close"].iloc[-1]
    closes = last * 1.015 ** np.arange(1, n_up + 1)
    opens = np.concatenate([[last], closes[:-1]])
    index = pd.date_range(bars.index[-1] + pd.Timedelta("1D"), periods=n_up, freq="1D", tz="UTC", name="timestamp")
    up = pd.DataFrame({"open": opens, "high": np.maximum(opens, closes) * 1.002,
                       "low": np.minimum(opens, closes) * 0.998, "close": closes, "volume": 1000.0}, index=index)
    return pd.concat([bars, up])


def test_episode_terminates_when_equity_is_exhausted(rising_bars: pd.DataFrame) -> None:
    # short 5x the equity: equity = 6 E0 - 5 E0 p / p0 is gone once the price is up 20 %
    config = config_with(actions=(-5.0, 0.0, 1.0), episode_length=None)
    env = TradingEnv(rising_bars, config)
    start = N_BARS - 1
    _, _, infos = play(env, start, [0] * 60)
    last = infos[-1]
    assert last["terminated"] and not last["truncated"]
    assert last["equity"] <= EQUITY_FLOOR * config.costs.init_cash
    assert all(info["equity"] > 0 for info in infos[:-1])
    assert 10 < len(infos) - 1 < 20  # about 13 bars of +1.5 % (with fees and slippage)
    result = backtest_equity(rising_bars, config, start, [0] * (len(infos) - 1))
    np.testing.assert_allclose([info["equity"] for info in infos],
                               result.equity.to_numpy()[start: start + len(infos)], rtol=1e-9)
    with pytest.raises(ValidationError) as error:
        env.step(0)
    assert error.value.field == "step"


def test_truncation_at_the_episode_length_and_at_the_end_of_the_data(data: TradingData) -> None:
    env = TradingEnv(data, config_with(episode_length=10))
    _, _, infos = play(env, data.first_bar, [2] * 20)
    assert len(infos) == 11
    assert [i["truncated"] for i in infos[1:]] == [False] * 9 + [True]
    assert not any(i["terminated"] for i in infos[1:])
    assert infos[-1]["bar"] == data.first_bar + 10

    _, _, infos = play(env, data.n_bars - 2, [4, 4])  # one bar left to execute on
    assert len(infos) == 2 and infos[-1]["truncated"] and infos[-1]["bar"] == data.n_bars - 1

    whole = TradingEnv(data, config_with(episode_length=None))
    _, _, infos = play(whole, data.n_bars - 6, [3] * 10)
    assert len(infos) == 6 and infos[-1]["truncated"] and infos[-1]["bar"] == data.n_bars - 1


def test_reset_start_is_validated(data: TradingData) -> None:
    env = TradingEnv(data, config_with())
    for good in (data.first_bar, np.int64(data.first_bar + 5), data.n_bars - 2):
        _, info = env.reset(options={"start": good})
        assert info["bar"] == good and info["equity"] == env.config.costs.init_cash
    for bad in (data.first_bar - 1, data.n_bars - 1, -1, True, 200.0, "200"):
        with pytest.raises(ValidationError) as error:
            env.reset(options={"start": bad})
        assert error.value.field == "options['start']"


def test_starts_are_the_warm_up_end_or_random_and_seeded(data: TradingData) -> None:
    fixed = TradingEnv(data, config_with(random_start=False))
    assert fixed.reset(seed=1)[1]["bar"] == data.first_bar
    random = TradingEnv(data, config_with(random_start=True, episode_length=50))
    starts = [random.reset(seed=3)[1]["bar"]] + [random.reset()[1]["bar"] for _ in range(30)]
    again = [random.reset(seed=3)[1]["bar"]] + [random.reset()[1]["bar"] for _ in range(30)]
    assert starts == again
    assert len(set(starts)) > 10
    assert min(starts) >= data.first_bar and max(starts) <= data.n_bars - 2 - 50 + 1


def test_step_before_reset_and_bad_actions_raise(data: TradingData) -> None:
    env = TradingEnv(data, config_with())
    with pytest.raises(ValidationError) as error:
        env.step(0)
    assert error.value.field == "step"
    env.reset(options={"start": data.first_bar})
    for bad in (-1, len(SIZED), 1.0, True, np.bool_(False), "1"):
        with pytest.raises(ValidationError) as error:
            env.step(bad)
        assert error.value.field == "action"
    env.step(np.int64(1))  # numpy integers are fine


def test_observation_is_the_features_and_the_held_weight(data: TradingData) -> None:
    env = TradingEnv(data, config_with())
    start = data.first_bar + 4
    actions = [4, 1, 1, 0, 2, 3]
    observations, _, infos = play(env, start, actions)
    assert observations[0].dtype == np.float32 and observations[0].shape == env.observation_space.shape
    assert observations[0][-1] == 0.0  # every episode starts flat
    for k, obs in enumerate(observations):
        np.testing.assert_array_equal(obs[:-1], data.observations[start + k])
        if k:
            assert obs[-1] == SIZED[actions[k - 1]] == infos[k]["weight"]


def test_info_carries_every_term_and_the_reward_is_their_weighted_sum(data: TradingData) -> None:
    config = config_with()
    env = TradingEnv(data, config)
    start = data.first_bar + 2
    actions = [4, 0, 0, 1, 3, 2, 4, 4, 0, 1] * 3
    _, rewards, infos = play(env, start, actions)
    w = config.reward
    for k, (reward, info) in enumerate(zip(rewards, infos[1:], strict=True)):
        terms = info["terms"]
        assert set(terms) == set(REWARD_TERMS)
        assert terms["pnl"] == pytest.approx(info["equity"] / infos[k]["equity"] - 1, rel=1e-12, abs=1e-15)
        assert terms["risk"] == pytest.approx(abs(SIZED[actions[k]]) * data.volatility[start + k], rel=1e-12)
        expected = w.scale * (w.pnl * terms["pnl"] + w.sharpe * terms["sharpe"] - w.drawdown * terms["drawdown"]
                              - w.risk * terms["risk"])
        assert reward == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert any(info["terms"]["drawdown"] > 0 for info in infos[1:])
    assert any(info["terms"]["sharpe"] != 0 for info in infos[1:])


def test_observation_never_depends_on_bars_after_the_decision_bar(bars: pd.DataFrame) -> None:
    config = config_with(costs=BacktestConfig(fees=0.001, slippage=0.0005, fixed_fees=1.0))
    env = TradingEnv(bars, config)
    start = env.data.first_bar + 10
    actions = [4, 1, 3, 0, 2, 4, 4, 1]
    observations, rewards, infos = play(env, start, actions)
    rng = np.random.default_rng(0)
    for k in (0, 3, len(actions)):
        decision_bar = start + k  # the bar observation k describes
        changed = bars.copy()
        later = len(bars) - decision_bar - 1
        scale = np.exp(rng.normal(0.0, 0.1, later))
        for name in ("open", "high", "low", "close"):
            changed.iloc[decision_bar + 1:, changed.columns.get_loc(name)] *= scale
        changed.iloc[decision_bar + 1:, changed.columns.get_loc("volume")] *= 3.0
        other = TradingEnv(changed, config)
        other_observations, other_rewards, other_infos = play(other, start, actions[:k])
        for j in range(k + 1):
            np.testing.assert_array_equal(other_observations[j], observations[j])
            assert other_infos[j]["equity"] == infos[j]["equity"]
        assert other_rewards == rewards[:k]


def test_passes_the_gymnasium_environment_checker(data: TradingData) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infinity.*")  # unbounded Box: the held weight is unbounded
        check_env(TradingEnv(data, config_with(random_start=True)), skip_render_check=True)


def test_state_dict_round_trip_continues_identically(data: TradingData) -> None:
    env = TradingEnv(data, config_with(random_start=True, episode_length=12))
    env.reset(seed=5)
    for action in (4, 1, 3):
        env.step(action)
    saved = env.state_dict()
    rng = np.random.default_rng(1)
    actions = rng.integers(0, len(SIZED), 30)

    def continue_from(e: TradingEnv) -> list:
        out = []
        for action in actions:
            obs, reward, terminated, truncated, info = e.step(int(action))
            out.append((obs.tobytes(), reward, terminated, truncated, info["equity"]))
            if terminated or truncated:
                out.append(e.reset()[0].tobytes())  # random restarts come from the saved generator
        return out

    first = continue_from(env)
    fresh = TradingEnv(data, config_with(random_start=True, episode_length=12))
    fresh.load_state_dict(saved)
    assert continue_from(fresh) == first


def test_config_is_checked() -> None:
    with pytest.raises(ValidationError) as error:
        TradingEnv(pd.DataFrame(), config="not a config")  # type: ignore[arg-type]
    assert error.value.field == "config"
    for bad in dict(actions=(-1.0, 1.0)), dict(actions=(0.0, 0.0, 1.0)), dict(episode_length=0):
        with pytest.raises(ValidationError):
            config_with(**bad)
    with pytest.raises(ValidationError) as error:
        config_with(costs=BacktestConfig(stop_loss=0.05))
    assert error.value.field == "costs"
