"""Tests of quantlib_local.rl.batched: thousands of episodes in torch, step for step the gymnasium env.

``N`` episodes of :class:`BatchedTradingEnv` and ``N`` separate :class:`TradingEnv` instances are
started on the same bars and driven by the same random actions; the single environments are
restarted wherever the batched one restarted an episode. Observations must be identical,
rewards equal to float32 precision, and terms, equity and positions equal to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import quantlib_local.rl.batched as batched_module
from quantlib_local.backtest import BacktestConfig
from quantlib_local.data import ou_bars
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl.batched import BatchedTradingEnv
from quantlib_local.rl.config import REWARD_TERMS, EnvironmentConfig, ObservationSettings, RewardWeights
from quantlib_local.rl.data import TradingData, prepare_trading_data
from quantlib_local.rl.env import TradingEnv

N_BARS = 400
OBSERVATION = ObservationSettings(norm_window=100)
SIZED = (-1.0, -0.5, 0.0, 0.5, 1.0)
ALL_TERMS = RewardWeights(pnl=1.0, sharpe=0.3, drawdown=2.0, risk=0.5, sharpe_decay=0.05, scale=100.0)
CPU = "cpu"


def config_with(**changes) -> EnvironmentConfig:
    values = dict(actions=SIZED, episode_length=15, random_start=True, reward=ALL_TERMS, observation=OBSERVATION,
                  costs=BacktestConfig(fees=0.001, slippage=0.0005))
    values.update(changes)
    return EnvironmentConfig(**values)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return ou_bars(N_BARS, kappa=20.0, sigma=0.6, seed=7)


@pytest.fixture(scope="module")
def data(bars: pd.DataFrame) -> TradingData:
    return prepare_trading_data(bars, config_with())


@pytest.fixture(scope="module")
def squeeze_data(bars: pd.DataFrame) -> TradingData:
    """The OU bars, then 60 bars rising 1.5 % each: a 5x short runs out of equity in about 13 bars."""
    last = bars["close"].iloc[-1]
    closes = last * 1.015 ** np.arange(1, 61)
    opens = np.concatenate([[last], closes[:-1]])
    index = pd.date_range(bars.index[-1] + pd.Timedelta("1D"), periods=60, freq="1D", tz="UTC", name="timestamp")
    up = pd.DataFrame({"open": opens, "high": np.maximum(opens, closes) * 1.002,
                       "low": np.minimum(opens, closes) * 0.998, "close": closes, "volume": 1000.0}, index=index)
    return prepare_trading_data(pd.concat([bars, up]), config_with(actions=(-5.0, 0.0, 1.0)))


def drive_both(data: TradingData, config: EnvironmentConfig, starts: list[int], n_steps: int, seed: int,
               action_probabilities: list[float] | None = None) -> dict[str, int]:
    """Step a batched env and one TradingEnv per episode with the same actions, comparing every output."""
    n = len(starts)
    batch = BatchedTradingEnv(data, config, n_envs=n, device=CPU, seed=seed)
    singles = [TradingEnv(data, config) for _ in range(n)]
    obs = batch.reset(starts=np.asarray(starts))
    for i, single in enumerate(singles):
        np.testing.assert_array_equal(obs[i].numpy(), single.reset(options={"start": starts[i]})[0])
    returns = [0.0] * n
    rng = np.random.default_rng(seed)
    counts = {"truncated": 0, "terminated": 0}
    for _ in range(n_steps):
        actions = rng.choice(len(config.actions), n, p=action_probabilities)
        step = batch.step(torch.as_tensor(actions))
        equity = batch.equity.numpy()
        for i, single in enumerate(singles):
            single_obs, reward, terminated, truncated, info = single.step(int(actions[i]))
            returns[i] += reward
            np.testing.assert_array_equal(step.final_obs[i].numpy(), single_obs)
            assert step.reward[i].item() == pytest.approx(reward, rel=1e-6, abs=1e-6)
            for name in REWARD_TERMS:
                assert step.terms[name][i].item() == pytest.approx(info["terms"][name], rel=1e-12, abs=1e-15)
            assert (bool(step.terminated[i]), bool(step.truncated[i])) == (terminated, truncated)
            if terminated or truncated:
                counts["terminated" if terminated else "truncated"] += 1
                assert step.episode_return[i].item() == pytest.approx(returns[i], rel=1e-12, abs=1e-12)
                for name in REWARD_TERMS:
                    assert not np.isnan(step.episode_terms[name][i].item())
                new_start = int(batch.t[i])  # the batched env restarted this episode at once
                np.testing.assert_array_equal(step.obs[i].numpy(), single.reset(options={"start": new_start})[0])
                assert equity[i] == config.costs.init_cash
                returns[i] = 0.0
            else:
                assert np.isnan(step.episode_return[i].item())
                np.testing.assert_array_equal(step.obs[i].numpy(), step.final_obs[i].numpy())
                assert equity[i] == pytest.approx(info["equity"], rel=1e-12)
                assert batch.position[i].item() == pytest.approx(single.position, rel=1e-12, abs=1e-12)
                assert int(batch.t[i]) == info["bar"]
    return counts


@pytest.mark.parametrize("costs", [
    BacktestConfig(fees=0.001, slippage=0.0005),
    BacktestConfig(fees=0.002, fixed_fees=5.0, slippage=0.0005, size_granularity=0.1, execution="next_close"),
    BacktestConfig(fees=0.0, slippage=0.0, execution="next_open", size_granularity=1.0, init_cash=10_000.0),
], ids=["fees_slippage", "fixed_fees_lots_next_close", "free_whole_units"])
def test_steps_equal_the_gymnasium_env_step_for_step(data: TradingData, costs: BacktestConfig) -> None:
    config = config_with(costs=costs)
    last = data.n_bars - 2
    # near the end of the data some episodes are cut short; the rest run 15 steps and restart at random bars
    starts = [data.first_bar, data.first_bar + 1, 150, 200, 260, last - 20, last - 3, last - 1, last, 300, 333, 201]
    counts = drive_both(data, config, starts, n_steps=45, seed=11)
    assert counts["truncated"] >= 30


def test_terminations_restart_like_truncations(squeeze_data: TradingData) -> None:
    config = config_with(actions=(-5.0, 0.0, 1.0), episode_length=40)
    starts = [N_BARS - 2, N_BARS - 1, N_BARS + 3, N_BARS - 10, squeeze_data.first_bar, 250]
    # mostly short 5x: the episodes inside the rising bars run out of equity
    counts = drive_both(squeeze_data, config, starts, n_steps=40, seed=4, action_probabilities=[0.9, 0.05, 0.05])
    assert counts["terminated"] >= 3


def test_episode_return_and_terms_are_the_sums_over_the_finished_episode(data: TradingData) -> None:
    config = config_with(episode_length=6)
    batch = BatchedTradingEnv(data, config, n_envs=3, device=CPU, seed=0)
    batch.reset(starts=[200, 201, 202])
    rewards, terms = [], {name: [] for name in REWARD_TERMS}
    for k in range(6):
        step = batch.step(torch.tensor([4, k % 5, 2]))
        rewards.append(step.reward.double())
        for name in REWARD_TERMS:
            terms[name].append(step.terms[name])
    assert bool(step.truncated.all())
    torch.testing.assert_close(step.episode_return, sum(r.double() for r in rewards), rtol=1e-6, atol=1e-6)
    for name in REWARD_TERMS:
        torch.testing.assert_close(step.episode_terms[name], sum(terms[name]), rtol=1e-12, atol=1e-15)
    assert float(step.episode_return[2]) == 0.0  # always flat: nothing earned


def test_state_dict_round_trip_continues_identically(data: TradingData) -> None:
    config = config_with()
    batch = BatchedTradingEnv(data, config, n_envs=64, device=CPU, seed=2)
    rng = np.random.default_rng(0)
    for _ in range(7):
        batch.step(torch.as_tensor(rng.integers(0, 5, 64)))
    saved = batch.state_dict()
    actions = [torch.as_tensor(rng.integers(0, 5, 64)) for _ in range(40)]

    def continue_from(env: BatchedTradingEnv) -> list:
        out = []
        for a in actions:
            s = env.step(a.clone())
            out.append((s.obs.clone(), s.final_obs.clone(), s.reward.clone(), s.done.clone(),
                        s.episode_return.clone(), env.equity.clone()))
        return out

    first = continue_from(batch)
    other = BatchedTradingEnv(data, config, n_envs=64, device=CPU, seed=999)  # its own generator is overwritten
    other.load_state_dict(saved)
    second = continue_from(other)
    for a, b in zip(first, second, strict=True):
        for x, y in zip(a, b, strict=True):
            torch.testing.assert_close(x, y, rtol=0, atol=0, equal_nan=True)
    assert any(bool(step[3].any()) for step in first)  # restarts happened after the load


def test_seeded_random_starts_are_reproducible(data: TradingData) -> None:
    config = config_with(episode_length=30)
    a = BatchedTradingEnv(data, config, n_envs=256, device=CPU, seed=5)
    b = BatchedTradingEnv(data, config, n_envs=256, device=CPU, seed=5)
    assert torch.equal(a.t, b.t)
    assert torch.equal(a.reset(seed=9), b.reset(seed=9)) and torch.equal(a.t, b.t)
    c = BatchedTradingEnv(data, config, n_envs=256, device=CPU, seed=6)
    assert not torch.equal(a.t, c.t)
    last_start = data.n_bars - 2 - 30 + 1
    assert int(a.t.min()) >= data.first_bar and int(a.t.max()) <= last_start
    assert len(torch.unique(a.t)) > 100
    fixed = BatchedTradingEnv(data, config_with(random_start=False), n_envs=8, device=CPU)
    assert bool((fixed.t == data.first_bar).all())


def test_bad_arguments_are_refused_by_name(data: TradingData, bars: pd.DataFrame) -> None:
    config = config_with()
    for n_envs in (0, -3, True, 2.5):
        with pytest.raises(ValidationError) as error:
            BatchedTradingEnv(data, config, n_envs=n_envs, device=CPU)
        assert error.value.field == "n_envs"
    with pytest.raises(ValidationError) as error:
        BatchedTradingEnv(bars, "config", n_envs=4, device=CPU)  # type: ignore[arg-type]
    assert error.value.field == "config"
    env = BatchedTradingEnv(data, config, n_envs=4, device=CPU)
    for actions in (torch.tensor([0, 1, 2]), torch.tensor([0, 1, 2, 5]), torch.tensor([0, -1, 2, 3]),
                    torch.zeros(2, 4, dtype=torch.long)):
        with pytest.raises(ValidationError) as error:
            env.step(actions)
        assert error.value.field == "actions"
    for starts in ([data.first_bar] * 3, [data.first_bar - 1] * 4, [data.n_bars - 1] * 4):
        with pytest.raises(ValidationError) as error:
            env.reset(starts=starts)
        assert error.value.field == "starts"


def test_runs_on_an_explicit_cpu_device(data: TradingData) -> None:
    env = BatchedTradingEnv(data, config_with(), n_envs=16, device=torch.device("cpu"))
    assert env.device == torch.device("cpu")
    obs = env.reset(seed=1)
    assert obs.shape == (16, data.n_features + 1) and obs.dtype == torch.float32 and obs.device.type == "cpu"
    step = env.step(torch.zeros(16, dtype=torch.long))
    assert step.reward.dtype == torch.float32 and step.terms["pnl"].dtype == torch.float64
    assert step.terminated.dtype == torch.bool and env.cash.device.type == "cpu"


def test_observation_table_and_per_step_gather_agree(data: TradingData, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_with()
    table = BatchedTradingEnv(data, config, n_envs=32, device=CPU, seed=3)
    monkeypatch.setattr(batched_module, "TABLE_BYTES", 0)
    gather = BatchedTradingEnv(data, config, n_envs=32, device=CPU, seed=3)
    assert table._observation_table is not None and gather._observation_table is None
    rng = np.random.default_rng(1)
    assert torch.equal(table.observe(), gather.observe())
    for _ in range(20):
        actions = torch.as_tensor(rng.integers(0, 5, 32))
        a, b = table.step(actions), gather.step(actions)
        assert torch.equal(a.obs, b.obs) and torch.equal(a.final_obs, b.final_obs)


def test_the_env_keeps_no_reference_to_the_callers_action_tensor(data: TradingData) -> None:
    """Agents may reuse an action buffer; overwriting it must not change the weight the env holds."""
    env = BatchedTradingEnv(data, config_with(), n_envs=4, device=CPU)
    env.reset(starts=[200, 201, 202, 203])
    actions = torch.full((4,), 4, dtype=torch.long)  # long 100 %
    env.step(actions)
    actions.fill_(0)  # the caller writes its next actions into the same buffer
    assert env.observe()[:, -1].tolist() == [1.0] * 4
    assert env.target.tolist() == [4] * 4
