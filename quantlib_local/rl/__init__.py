"""Reinforcement-learning agents that trade on the backtest engine's costs.

The pieces, in the order data flows through them:

=============================  ===========================================================
``config``                     :class:`EnvironmentConfig` (actions, episodes, eq. 5 weights,
                               observation, costs)
``data``                       :func:`prepare_trading_data`: eq. 6 observations without look-ahead
``reward``                     eq. 5, one step at a time, for floats and tensors alike
``orders``                     vectorbt's target-percent fill, element-wise in torch
``env``                        :class:`TradingEnv`, the gymnasium environment
``batched``                    :class:`BatchedTradingEnv`, thousands of episodes per call
``dqn``, ``ppo``               the agents (design algorithm 1, appendix A defaults; PPO)
``training``                   :func:`train_agent`: progress, TensorBoard, checkpoints, resume
``policy``                     policy files and :class:`RLPolicy`, a trained policy as a Strategy
``baselines``, ``evaluation``  buy-and-hold and random policies; out-of-sample comparisons
=============================  ===========================================================

Where it sits: the environment simulates trading, so it reads the backtest layer's config
and fill arithmetic (``backtest.config``, ``backtest.simulate``) and the evaluation runs
the backtest; the policy it produces is an ordinary Strategy, which the backtest, the
promotion gate and the live runner take like any other.
"""

from quantlib_local.rl.baselines import BuyAndHold, RandomPolicy
from quantlib_local.rl.batched import BatchedTradingEnv
from quantlib_local.rl.config import REWARD_TERMS, EnvironmentConfig, ObservationSettings, RewardWeights
from quantlib_local.rl.data import TradingData, prepare_trading_data
from quantlib_local.rl.dqn import DQNAgent, DQNConfig
from quantlib_local.rl.env import TradingEnv
from quantlib_local.rl.evaluation import PolicyComparison, RLWalkForwardResult, compare_policies, walk_forward_rl
from quantlib_local.rl.interface import SingleEnvBatch, StepBatch
from quantlib_local.rl.policy import PolicyFile, RLPolicy, load_policy_file, save_policy
from quantlib_local.rl.ppo import PPOAgent, PPOConfig
from quantlib_local.rl.training import TrainingConfig, TrainingResult, train_agent

__all__ = [
    "REWARD_TERMS",
    "BatchedTradingEnv",
    "BuyAndHold",
    "DQNAgent",
    "DQNConfig",
    "EnvironmentConfig",
    "ObservationSettings",
    "PPOAgent",
    "PPOConfig",
    "PolicyComparison",
    "PolicyFile",
    "RLPolicy",
    "RLWalkForwardResult",
    "RandomPolicy",
    "RewardWeights",
    "SingleEnvBatch",
    "StepBatch",
    "TradingData",
    "TradingEnv",
    "TrainingConfig",
    "TrainingResult",
    "compare_policies",
    "load_policy_file",
    "prepare_trading_data",
    "save_policy",
    "train_agent",
    "walk_forward_rl",
]
