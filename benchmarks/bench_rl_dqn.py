"""DQN training throughput: our ``DQNAgent`` against stable-baselines3's ``DQN``, in environment steps per second.

Both sides train the same network (an MLP of two hidden layers of 64 ReLU units, three Q-values)
with the same hyperparameters (design appendix A: learning rate 1e-3, batch 32, replay buffer
10,000, target copy every 100 steps; and gamma 0.99, one gradient step every 4 environment
steps, 1,000 uniform-random steps before learning, epsilon from 1 to 0.05 over the first 10 %
of the run, gradients clipped to norm 10, Huber loss, Adam) on the same environment: one
gymnasium :class:`~quantlib_local.rl.TradingEnv` over SYNTHETIC Ornstein-Uhlenbeck bars
(``ou_bars(5000, kappa=80, sigma=0.3, seed=1)``, 256-step episodes, 5 bp fees). Ours drives it
through :class:`~quantlib_local.rl.SingleEnvBatch`; stable-baselines3 drives it directly
(wrapped in its own ``Monitor`` and ``DummyVecEnv``, as ``DQN(..., env)`` does). The learning
phase (``learning_starts``) is inside the timed run on both sides, so the timed work is the
same: ``N`` environment steps and about ``(N - 1000) / 4`` gradient updates (the table shows
both counts).

Everything runs on the CPU with ``torch.set_num_threads(1)`` (restored afterwards), so neither
side gains from intra-op threads on these tiny matrices. Each library first trains one untimed
warm-up run; each timed run then builds a fresh agent and environment (not timed) and times
``learn`` alone; the figure is the median over the repeats, ours and stable-baselines3
alternating.

Extra rows: our agent on the torch :class:`~quantlib_local.rl.BatchedTradingEnv` with 16 and
256 episodes stepped at once (same data and config). Steps are counted as environment
transitions, as stable-baselines3 counts them, and the agent keeps ``train_freq`` per
transition (4 gradient updates per iteration of 16 episodes, 64 per iteration of 256), so
these rows do the same learning per step; they show what batching the environment buys. When
CUDA is available the single-environment comparison and the batched rows are repeated with
``device="cuda"`` (the gymnasium environment itself stays on the CPU).
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from benchmarks._timing import markdown_table

SEED = 0
N_BARS, KAPPA, SIGMA, DATA_SEED = 5_000, 80.0, 0.3, 1
EPISODE_LENGTH, FEES = 256, 0.0005
HIDDEN = (64, 64)
# The shared hyperparameters, by our DQNConfig names; _sb3_kwargs maps them to stable-baselines3's.
SETTINGS: dict[str, Any] = {
    "learning_rate": 1e-3,
    "batch_size": 32,
    "buffer_size": 10_000,
    "target_update": 100,
    "gamma": 0.99,
    "train_freq": 4,
    "gradient_steps": 1,
    "learning_starts": 1_000,
    "exploration_initial": 1.0,
    "exploration_final": 0.05,
    "exploration_fraction": 0.1,
    "max_grad_norm": 10.0,
}
BATCHED_ENVS = (16, 256)


def _sb3_kwargs() -> dict[str, Any]:
    s = SETTINGS
    return {
        "learning_rate": s["learning_rate"], "batch_size": s["batch_size"], "buffer_size": s["buffer_size"],
        "target_update_interval": s["target_update"], "gamma": s["gamma"], "train_freq": s["train_freq"],
        "gradient_steps": s["gradient_steps"], "learning_starts": s["learning_starts"],
        "exploration_initial_eps": s["exploration_initial"], "exploration_final_eps": s["exploration_final"],
        "exploration_fraction": s["exploration_fraction"], "max_grad_norm": s["max_grad_norm"],
        "tau": 1.0, "n_steps": 1,  # hard target copies, one-step returns: what ours does
        "policy_kwargs": {"net_arch": list(HIDDEN)},
    }


def _dqn_config() -> Any:
    from quantlib_local.rl import DQNConfig

    config = DQNConfig(**SETTINGS, hidden_sizes=HIDDEN, double=False, dueling=False, n_step=1)
    assert all(getattr(config, name) == value for name, value in SETTINGS.items())
    return config


def _environment() -> tuple[Any, Any]:
    """SYNTHETIC OU bars prepared once (observations, prices, volatility) and the environment config."""
    from quantlib_local.backtest import BacktestConfig
    from quantlib_local.data import ou_bars
    from quantlib_local.rl import EnvironmentConfig, prepare_trading_data

    bars = ou_bars(N_BARS, kappa=KAPPA, sigma=SIGMA, seed=DATA_SEED)
    config = EnvironmentConfig(episode_length=EPISODE_LENGTH, costs=BacktestConfig(fees=FEES))
    return prepare_trading_data(bars, config), config


Trainer = Callable[[int], tuple[Callable[[], Any], Callable[[], tuple[int, int]]]]
"""``trainer(n_steps)`` builds a fresh agent and environment and returns ``(learn, counts)``, where
``counts()`` gives the environment steps and gradient updates done."""


def _ours_single(data: Any, env_config: Any, device: str) -> Trainer:
    from quantlib_local.rl import DQNAgent, SingleEnvBatch, TradingEnv

    def build(n_steps: int) -> tuple[Callable[[], Any], Callable[[], tuple[int, int]]]:
        env = SingleEnvBatch(TradingEnv(data, env_config))
        agent = DQNAgent(env.observation_size, env.n_actions, _dqn_config(), device=device, seed=SEED)
        return (lambda: agent.learn(env, n_steps)), (lambda: (agent.steps_done, agent.updates_done))

    return build


def _ours_batched(data: Any, env_config: Any, device: str, n_envs: int) -> Trainer:
    from quantlib_local.rl import BatchedTradingEnv, DQNAgent

    def build(n_steps: int) -> tuple[Callable[[], Any], Callable[[], tuple[int, int]]]:
        env = BatchedTradingEnv(data, env_config, n_envs=n_envs, device=device, seed=SEED)
        agent = DQNAgent(env.observation_size, env.n_actions, _dqn_config(), device=device, seed=SEED)
        return (lambda: agent.learn(env, n_steps)), (lambda: (agent.steps_done, agent.updates_done))

    return build


def _sb3(data: Any, env_config: Any, device: str) -> Trainer:
    from stable_baselines3 import DQN

    from quantlib_local.rl import TradingEnv

    def build(n_steps: int) -> tuple[Callable[[], Any], Callable[[], tuple[int, int]]]:
        model = DQN("MlpPolicy", TradingEnv(data, env_config), device=device, seed=SEED, verbose=0, **_sb3_kwargs())
        return (lambda: model.learn(total_timesteps=n_steps)), (lambda: (model.num_timesteps, model._n_updates))

    return build


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def _same_network(data: Any, env_config: Any) -> bool:
    """Whether both libraries build Q-networks with the same layers (types and weight shapes)."""
    import torch
    from stable_baselines3 import DQN

    from quantlib_local.rl import DQNAgent, SingleEnvBatch, TradingEnv

    env = SingleEnvBatch(TradingEnv(data, env_config))
    ours = DQNAgent(env.observation_size, env.n_actions, _dqn_config(), device="cpu", seed=SEED).q_network
    theirs = DQN("MlpPolicy", TradingEnv(data, env_config), device="cpu", seed=SEED, **_sb3_kwargs()).q_net

    def layers(module: Any) -> list[tuple[str, tuple[int, ...]]]:  # stable-baselines3 adds a Flatten: skip it
        return [(type(m).__name__, tuple(m.weight.shape) if isinstance(m, torch.nn.Linear) else ())
                for m in module.modules() if isinstance(m, (torch.nn.Linear, torch.nn.ReLU))]

    return layers(ours) == layers(theirs)


def _measure(trainers: dict[str, tuple[Trainer, str]], n_steps: int, warmup_steps: int,
             repeat: int) -> dict[str, tuple[float, int, int]]:
    """Median steps/s of each trainer, its steps and its gradient updates; repeats alternate between trainers."""
    for trainer, device in trainers.values():
        learn, _ = trainer(warmup_steps)
        learn()
        _sync(device)
    seconds: dict[str, list[float]] = {name: [] for name in trainers}
    counts: dict[str, tuple[int, int]] = {}
    for _ in range(repeat):
        for name, (trainer, device) in trainers.items():
            learn, count = trainer(n_steps)
            _sync(device)
            start = time.perf_counter()
            learn()
            _sync(device)
            seconds[name].append(time.perf_counter() - start)
            counts[name] = (int(count()[0]), int(count()[1]))
    return {name: (counts[name][0] / statistics.median(times), *counts[name]) for name, times in seconds.items()}


def run(quick: bool = False) -> str:
    import stable_baselines3
    import torch

    n_steps, n_steps_batched = (5_000, 5_000) if quick else (20_000, 50_000)
    repeat = 3
    warmup_steps = SETTINGS["learning_starts"] + 500  # exercises acting, storing and gradient steps
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    data, env_config = _environment()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. "use the CPU for an MLP" on CUDA
            single, batched = {}, {}
            for device in devices:
                single[device] = _measure({
                    "ours": (_ours_single(data, env_config, device), device),
                    "sb3": (_sb3(data, env_config, device), device),
                }, n_steps, warmup_steps, repeat)
                batched[device] = _measure({
                    f"ours_{n}": (_ours_batched(data, env_config, device, n), device) for n in BATCHED_ENVS
                }, n_steps_batched, warmup_steps, repeat)
    finally:
        torch.set_num_threads(threads)

    same_network = _same_network(data, env_config)
    rows = []
    for device in devices:
        sb3_rate, sb3_steps, sb3_updates = single[device]["sb3"]
        ours_rate, ours_steps, ours_updates = single[device]["ours"]
        rows.append([f"`DQNAgent` + `SingleEnvBatch(TradingEnv)`, {device}", f"{ours_steps:,}", f"{ours_updates:,}",
                     f"{ours_rate:,.0f}", f"{sb3_rate:,.0f}", f"{ours_rate / sb3_rate:.2f}x"])
        rows.append([f"stable-baselines3 `DQN` + `TradingEnv`, {device}", f"{sb3_steps:,}", f"{sb3_updates:,}",
                     f"{sb3_rate:,.0f}", f"{sb3_rate:,.0f}", "1.00x"])
        for n_envs in BATCHED_ENVS:
            rate, steps, updates = batched[device][f"ours_{n_envs}"]
            rows.append([f"`DQNAgent` + `BatchedTradingEnv(n_envs={n_envs})`, {device}", f"{steps:,}",
                         f"{updates:,}", f"{rate:,.0f}", f"{sb3_rate:,.0f}", f"{rate / sb3_rate:.2f}x"])
    network_note = "" if same_network else (
        "\n\n**The two Q-networks differ in their layers**: the comparison is not like for like.")
    cuda_note = ("" if "cuda" in devices else
                 " No CUDA device here, so there are no GPU rows (they appear when `torch.cuda.is_available()`).")
    return (
        "## RL: DQN training throughput\n\n"
        f"Environment steps per second of DQN training, ours against stable-baselines3 {stable_baselines3.__version__} "
        f"(torch {torch.__version__}): the same MLP ({HIDDEN[0]}x{HIDDEN[1]} ReLU; layers checked equal), the same "
        "hyperparameters "
        "(learning rate 1e-3, batch 32, buffer 10,000, target copy every 100 steps, gamma 0.99, train_freq 4, "
        "1 gradient step, learning_starts 1,000 inside the timed run, epsilon 1 to 0.05 over 10 % of the run, "
        "gradient norm 10, Huber loss) on the same gymnasium `TradingEnv` over SYNTHETIC OU bars "
        f"(`ou_bars({N_BARS}, kappa={KAPPA:g}, sigma={SIGMA:g}, seed={DATA_SEED})`, {EPISODE_LENGTH}-step episodes, "
        f"{FEES:.2%} fees). `torch.set_num_threads(1)` on both sides. Median of {repeat} timed runs after one "
        "warm-up run each; the ratio is our steps/s over stable-baselines3's on the same device (goal: 1x or more). "
        "The batched rows count environment transitions and keep one gradient update per 4 of them, so they do the "
        f"same learning per step.{cuda_note}\n\n"
        + markdown_table(["run", "steps", "gradient updates", "steps/s", "stable-baselines3 steps/s",
                          "speed vs stable-baselines3"], rows)
        + network_note
    )


if __name__ == "__main__":  # pragma: no cover
    print(run(quick=True))
