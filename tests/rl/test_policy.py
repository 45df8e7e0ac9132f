"""A trained policy as a Strategy: same decisions as the environment, conformance, backtest, errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import yaml

from quantlib_local.backtest import GateThresholds, promote, run_backtest
from quantlib_local.exceptions import ValidationError
from quantlib_local.rl import RLPolicy, TradingEnv, load_policy_file, prepare_trading_data
from quantlib_local.strategies import check_strategy, resolve_strategy


def _greedy_episode(policy_path, bars):
    """Walk the gymnasium env from its first bar with the policy's greedy actions."""
    policy = load_policy_file(policy_path)
    config = replace(policy.environment, episode_length=None, random_start=False)
    env = TradingEnv(prepare_trading_data(bars, config), config)
    obs, _ = env.reset()
    weights, equity = {}, {}
    done = False
    while not done:
        bar = env.t
        with torch.no_grad():
            action = int(policy.network(torch.as_tensor(obs, dtype=torch.float64)[None]).argmax())
        weights[bar] = config.actions[action]
        obs, _, terminated, truncated, info = env.step(action)
        equity[env.t] = info["equity"]
        done = terminated or truncated
    return env.data.first_bar, weights, equity


def test_policy_file_round_trips(trained_policy, small_env_config) -> None:
    policy = load_policy_file(trained_policy.policy_path)
    assert policy.algorithm == "dqn"
    assert policy.environment == small_env_config
    assert policy.symbol == trained_policy.data.symbol
    assert policy.feature_names == trained_policy.data.feature_names
    assert policy.metadata["steps"] == trained_policy.agent.steps_done
    obs = torch.as_tensor(trained_policy.data.observations[400:410])
    obs = torch.cat([obs, torch.zeros(10, 1)], dim=1)
    expected = trained_policy.agent.greedy_actions(obs)
    assert torch.equal(policy.network(obs.double()).argmax(1), expected)


def test_strategy_decides_as_the_environment_walks(trained_policy, ou_market) -> None:
    first, walked, _ = _greedy_episode(trained_policy.policy_path, ou_market)
    targets = RLPolicy(str(trained_policy.policy_path)).decide(ou_market).iloc[:, 0].to_numpy()
    assert (targets[:first] == 0).all()
    chosen = np.array([walked[t] for t in range(first, first + len(walked))])
    assert np.array_equal(targets[first:first + len(walked)], chosen)
    assert len(np.unique(chosen)) > 1  # the test means something only if the policy trades


def test_backtest_of_the_policy_matches_the_environment(trained_policy, ou_market) -> None:
    _, _, equity = _greedy_episode(trained_policy.policy_path, ou_market)
    result = run_backtest(RLPolicy(str(trained_policy.policy_path)), ou_market, load_policy_file(
        trained_policy.policy_path).environment.costs)
    bars = sorted(equity)
    np.testing.assert_allclose(result.equity.to_numpy()[bars], [equity[b] for b in bars], rtol=1e-9)


def test_policy_passes_the_strategy_contract(trained_policy, ou_market) -> None:
    assert check_strategy(RLPolicy(str(trained_policy.policy_path)), ou_market.iloc[:300], n_prefixes=3).passed


def test_registered_and_resolvable(trained_policy) -> None:
    strategy = resolve_strategy("rl_policy").from_params({"policy": str(trained_policy.policy_path)})
    assert strategy.output == "weights"


def test_missing_or_foreign_files_are_refused(tmp_path) -> None:
    with pytest.raises(ValidationError, match="policy"):
        RLPolicy(str(tmp_path / "absent.pt"))
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(ValidationError, match="policy"):
        RLPolicy(str(junk))


def test_data_without_the_trained_fields_is_refused(trained_policy, ou_market) -> None:
    closes_only = ou_market[["close"]]
    with pytest.raises(ValidationError, match="features"):
        RLPolicy(str(trained_policy.policy_path)).decide(closes_only)


def test_unknown_symbol_is_refused(trained_policy, ou_market) -> None:
    with pytest.raises(ValidationError, match="symbol"):
        RLPolicy(str(trained_policy.policy_path), symbol="NOPE").decide(ou_market)


def test_a_policy_goes_through_the_promotion_gate(trained_policy, ou_market, tmp_path) -> None:
    gate_off = GateThresholds(**{name: None for name in GateThresholds.__dataclass_fields__})
    outcome = promote(RLPolicy(str(trained_policy.policy_path)), ou_market, None, train_bars=300, test_bars=150,
                      thresholds=gate_off, data_source="SYNTHETIC ou_bars(seed 5)", output_dir=tmp_path,
                      progress=False, pbo_partitions=4)
    assert outcome.passed, outcome.verdict.report()
    manifest = yaml.safe_load(outcome.manifest_path.read_text())
    assert manifest["strategy"]["class"] == "quantlib_local.rl.policy:RLPolicy"
    assert manifest["strategy"]["parameters"] == {"policy": str(trained_policy.policy_path), "symbol": None}
    rebuilt = resolve_strategy(manifest["strategy"]["class"]).from_params(manifest["strategy"]["parameters"])
    assert rebuilt == RLPolicy(str(trained_policy.policy_path))
