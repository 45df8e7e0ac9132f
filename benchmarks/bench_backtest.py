"""One SMA-crossover backtest over a million minute bars: ``run_backtest`` against backtesting.py.

Both sides run the same rules and costs (the correspondence is documented and tested trade for
trade in ``tests/backtest/test_against_backtesting_py.py``): long while SMA(fast) > SMA(slow),
decided at a bar's close and filled at the next bar's open, all-in in whole units (our
``FixedFraction(1 - 2**-52)`` and ``size_granularity=1`` against backtesting.py's default
``buy()`` size), a proportional commission on each fill. backtesting.py's strategy computes its
SMAs with TA-Lib in ``init`` (vectorised) and trades in ``next`` (its per-bar event loop).

Ours is timed twice: ``run_backtest`` followed by ``metrics()`` and ``trades`` (the trade list,
exposure and every metric of ``performance_summary``: what backtesting.py's ``Backtest.run``
computes into its stats), and ``run_backtest`` alone (decisions, the vectorbt simulation and the
equity curve; the result computes trades and metrics on first use), so the table shows where our
time goes.

Data: SYNTHETIC seeded GBM minute bars (``gbm_bars``), the same for both sides. The benchmark
checks that both make the same number of trades and reports the final-equity difference.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from benchmarks._timing import markdown_table, median_seconds, ratio

FAST, SLOW = 50, 200
COMMISSION = 0.0005
CASH = 1_000_000.0
SEED = 2024
FULL_EQUITY = 1 - sys.float_info.epsilon  # backtesting.py's default buy() size (Strategy._FULL_EQUITY)


def _reference_strategy() -> type:
    import backtesting
    import talib

    class TalibSmaCross(backtesting.Strategy):
        fast = FAST
        slow = SLOW

        def init(self) -> None:
            close = np.asarray(self.data.Close, dtype=float)
            self.fast_sma = self.I(talib.SMA, close, self.fast)
            self.slow_sma = self.I(talib.SMA, close, self.slow)

        def next(self) -> None:
            if self.fast_sma[-1] > self.slow_sma[-1]:
                if not self.position:
                    self.buy()
            elif self.position:
                self.position.close()

    return TalibSmaCross


def run(quick: bool = False) -> str:
    import backtesting

    from quantlib_local.backtest import BacktestConfig, FixedFraction, run_backtest
    from quantlib_local.data import gbm_bars
    from quantlib_local.strategies import SmaCrossover

    n_bars = 100_000 if quick else 1_000_000
    repeat_ours, repeat_reference = 5, (3 if quick else 1)
    bars = gbm_bars(n_bars, mu=0.05, sigma=0.3, seed=SEED, freq="1min", substeps=8)
    strategy = SmaCrossover(FAST, SLOW)
    config = BacktestConfig(init_cash=CASH, fees=COMMISSION, sizing=FixedFraction(FULL_EQUITY), size_granularity=1,
                            execution="next_open")

    def ours() -> object:
        result = run_backtest(strategy, bars, config)
        result.metrics()  # summary, trades and exposure
        return result

    def ours_core() -> object:
        return run_backtest(strategy, bars, config)

    result = ours()
    ours_s = median_seconds(ours, repeat=repeat_ours, warmup=0)
    core_s = median_seconds(ours_core, repeat=repeat_ours, warmup=0)

    data = bars[["open", "high", "low", "close", "volume"]].rename(columns=str.capitalize)
    reference = backtesting.Backtest(data, _reference_strategy(), cash=CASH, commission=COMMISSION,
                                     trade_on_close=False, exclusive_orders=False, finalize_trades=False)
    kept: list[pd.Series] = []

    def theirs() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # open trade at the end; pandas deprecations inside backtesting.py
            kept.append(reference.run())

    reference_s = median_seconds(theirs, repeat=repeat_reference, warmup=0)
    stats = kept[-1]
    their_trades = len(stats["_trades"]) + len(stats["_strategy"].trades)  # closed + still open
    our_trades = len(result.trades)
    equity_difference = abs(stats["Equity Final [$]"] / result.final_equity - 1)
    same_start = result.targets.iloc[SLOW - 1].item() == 0  # backtesting.py decides first on bar SLOW
    rows = [
        ["`run_backtest` + `metrics()` (trades, exposure, every metric)", f"{ours_s:.3f}", f"{reference_s:.2f}",
         ratio(reference_s, ours_s)],
        ["`run_backtest` alone (decisions, simulation, equity curve)", f"{core_s:.3f}", f"{reference_s:.2f}",
         ratio(reference_s, core_s)],
    ]
    check = markdown_table(
        ["trades (ours)", "trades (backtesting.py)", "final equity (ours)", "final equity relative difference"],
        [[f"{our_trades:,}", f"{their_trades:,}", f"{result.final_equity:,.2f}", f"{equity_difference:.1e}"]],
    )
    note = "" if same_start and our_trades == their_trades else (
        "\n\n**The two runs disagree** (see tests/backtest/test_against_backtesting_py.py for the conditions).")
    return (
        f"## Backtest: SMA crossover over {n_bars:,} minute bars\n\n"
        f"SMA({FAST}) / SMA({SLOW}) long-only crossover on {n_bars:,} SYNTHETIC seeded GBM minute bars (seed {SEED}), "
        f"filled at the next open, all-in whole units, {COMMISSION:.2%} commission per fill, {CASH:,.0f} cash: ours "
        "against backtesting.py 0.6.6 running the same rules (SMAs from TA-Lib, its per-bar `next` loop, its "
        f"statistics included). Median of {repeat_ours} runs for ours and "
        f"{repeat_reference} for backtesting.py; the ratio is backtesting.py's time / ours (goal: 50x).\n\n"
        + markdown_table(["ours", "ours (s)", "backtesting.py (s)", "speed vs backtesting.py"], rows)
        + "\n\nSame backtest on both sides:\n\n" + check + note
    )


if __name__ == "__main__":  # pragma: no cover
    print(run(quick=True))
