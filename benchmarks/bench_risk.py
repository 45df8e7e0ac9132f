"""Risk metrics on a wide frame: quantlib_local.risk (vectorised) against empyrical.

empyrical is called the way a user would for a wide frame: its 2-D path where it has one
(Sharpe, max drawdown), a loop over columns where it only takes one series (VaR, CVaR).
Data: seeded Student-t daily returns with a staggered listing date per column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._timing import markdown_table, median_seconds, ratio


def _returns(n_bars: int, n_assets: int) -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    frame = pd.DataFrame(
        rng.standard_t(4, (n_bars, n_assets)) * 0.01,
        index=pd.bdate_range("2000-01-03", periods=n_bars),
        columns=[f"asset_{i}" for i in range(n_assets)],
    )
    for i, start in enumerate(rng.integers(0, n_bars // 2, n_assets)):
        frame.iloc[:start, i] = np.nan
    return frame


def run(quick: bool = False) -> str:
    import empyrical

    from quantlib_local import risk

    n_bars, n_assets = (1_260, 50) if quick else (2_520, 500)
    frame = _returns(n_bars, n_assets)
    columns = [frame[c].dropna() for c in frame.columns]
    cases = [
        (
            "sharpe_ratio",
            lambda: risk.sharpe_ratio(frame, periods_per_year=252),
            lambda: empyrical.sharpe_ratio(frame, annualization=252),
        ),
        ("max_drawdown", lambda: risk.max_drawdown(frame), lambda: empyrical.max_drawdown(frame)),
        (
            "value_at_risk (historical, 95 %)",
            lambda: risk.value_at_risk(frame, 0.95),
            lambda: [empyrical.value_at_risk(c, 0.05) for c in columns],
        ),
        (
            "conditional_value_at_risk (historical, 95 %)",
            lambda: risk.conditional_value_at_risk(frame, 0.95),
            lambda: [empyrical.conditional_value_at_risk(c, 0.05) for c in columns],
        ),
    ]
    rows = []
    for name, ours, reference in cases:
        ours_s = median_seconds(ours, repeat=3 if quick else 5)
        ref_s = median_seconds(reference, repeat=3 if quick else 5)
        rows.append([name, f"{ours_s * 1e3:.1f}", f"{ref_s * 1e3:.1f}", ratio(ref_s, ours_s)])
    return (
        f"## Risk metrics ({n_bars} daily bars x {n_assets} assets, staggered listings)\n\n"
        "Reference: empyrical-reloaded (2-D where it supports it, else a loop over columns).\n\n"
        + markdown_table(["metric", "ours (ms)", "empyrical (ms)", "speed vs empyrical"], rows)
    )
