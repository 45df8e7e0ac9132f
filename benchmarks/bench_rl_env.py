"""Environment steps per second: the gymnasium ``TradingEnv`` against the torch ``BatchedTradingEnv``.

Both environments trade the same prepared data: SYNTHETIC Ornstein-Uhlenbeck bars
(``ou_bars(5000, kappa=80, sigma=0.3, seed=1)``), default observation (eq. 6 features on a
250-bar normalisation window), three actions (short, flat, long), 256-step episodes from random
start bars, 0.1 % fees and 5 bp slippage. They compute the same thing step for step
(``tests/rl/test_batched.py`` checks it): the single environment fills each order with
vectorbt's ``execute_order_nb`` on Python floats, the batched one fills all orders of a step in
torch.

The single environment takes uniform random actions (drawn before the timed loop) and resets
whenever an episode ends. The batched environment takes ``(n_envs,)`` action tensors drawn
before the timed loop (a pool of 8, cycled) and restarts ended episodes itself; a step of
``n_envs`` episodes counts as ``n_envs`` environment steps. Its episodes all start together and
run 256 steps, so restarts happen once every 256 steps, as for the single environment. Each
figure is the median of repeated timed runs after one untimed warm-up run; torch uses its
default intra-op threads. On CUDA the timed loop ends with a synchronisation. The ratio is the
batched rate over the single-environment rate (goal: 100x).
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from benchmarks._timing import markdown_table, median_seconds, ratio

N_BARS, KAPPA, SIGMA, DATA_SEED = 5_000, 80.0, 0.3, 1
EPISODE_LENGTH, FEES, SLIPPAGE = 256, 0.001, 0.0005
SEED = 0
CPU_ENVS = (1_024, 16_384, 65_536)
CUDA_ENVS = CPU_ENVS + (262_144, 1_048_576)
ACTION_POOL = 8


def _setup() -> tuple[Any, Any]:
    from quantlib_local.backtest import BacktestConfig
    from quantlib_local.data import ou_bars
    from quantlib_local.rl.config import EnvironmentConfig
    from quantlib_local.rl.data import prepare_trading_data

    config = EnvironmentConfig(actions=(-1.0, 0.0, 1.0), episode_length=EPISODE_LENGTH, random_start=True,
                               costs=BacktestConfig(fees=FEES, slippage=SLIPPAGE))
    bars = ou_bars(N_BARS, kappa=KAPPA, sigma=SIGMA, seed=DATA_SEED)
    return prepare_trading_data(bars, config), config


def _single_rate(data: Any, config: Any, n_steps: int, repeat: int) -> float:
    import numpy as np

    from quantlib_local.rl.env import TradingEnv

    env = TradingEnv(data, config)
    env.reset(seed=SEED)
    actions = np.random.default_rng(SEED).integers(0, len(config.actions), n_steps).tolist()

    def run() -> None:
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()

    return n_steps / median_seconds(run, repeat=repeat, warmup=1)


def _batched_rate(data: Any, config: Any, n_envs: int, device: str, n_steps: int, repeat: int) -> float:
    import torch

    from quantlib_local.rl.batched import BatchedTradingEnv

    env = BatchedTradingEnv(data, config, n_envs=n_envs, device=device, seed=SEED)
    generator = torch.Generator(device=device).manual_seed(SEED)
    pool = [torch.randint(0, len(config.actions), (n_envs,), generator=generator, device=device)
            for _ in range(ACTION_POOL)]

    def run() -> None:
        for k in range(n_steps):
            env.step(pool[k % ACTION_POOL])
        if device == "cuda":
            torch.cuda.synchronize()

    return n_envs * n_steps / median_seconds(run, repeat=repeat, warmup=1)


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def run(quick: bool = False) -> str:
    import torch

    data, config = _setup()
    repeat = 3 if quick else 5
    single_steps = 3_000 if quick else 20_000
    budget = 2**19 if quick else 2**22  # environment steps per timed batched run

    single = _single_rate(data, config, single_steps, repeat)
    rows = [["`TradingEnv` (gymnasium, one episode)", "cpu", "1", f"{single:,.0f}", "1.00x"]]
    devices = [("cpu", CPU_ENVS)] + ([("cuda", CUDA_ENVS)] if torch.cuda.is_available() else [])
    for device, sizes in devices:
        for n_envs in sizes:
            n_steps = max(5, min(200, budget // n_envs))
            rate = _batched_rate(data, config, n_envs, device, n_steps, repeat)
            rows.append([f"`BatchedTradingEnv` ({n_steps} steps per run)", device, f"{n_envs:,}", f"{rate:,.0f}",
                         ratio(1 / single, 1 / rate)])

    names = [f"cpu: {_cpu_name()}, {torch.get_num_threads()} torch threads"]
    if torch.cuda.is_available():
        names.append(f"cuda: {torch.cuda.get_device_name(0)}")
    return (
        f"## RL environment: steps per second\n\n"
        f"Environment steps per second on {N_BARS:,} SYNTHETIC Ornstein-Uhlenbeck bars "
        f"(seed {DATA_SEED}), {EPISODE_LENGTH}-step episodes from random starts, {FEES:.1%} fees and "
        f"{SLIPPAGE * 1e4:.0f} bp slippage, uniform random actions: the gymnasium `TradingEnv` stepped one "
        f"episode at a time ({single_steps:,} steps per run) against `BatchedTradingEnv` stepping `n_envs` "
        f"episodes per call. Median of {repeat} runs after a warm-up run; the ratio is the batched rate over the "
        "single-environment rate (goal: 100x). Devices: " + "; ".join(names) + ".\n\n"
        + markdown_table(["environment", "device", "n_envs", "steps/s", "vs TradingEnv"], rows)
    )


if __name__ == "__main__":  # pragma: no cover
    print(run(quick=True))
