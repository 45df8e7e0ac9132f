"""Beta and alpha against a benchmark (quantlib_local.risk.capm).

References: ``scipy.stats.linregress`` (OLS slope) for beta, and the exact construction
``r = 0.5 m + c`` whose beta is 0.5 and whose per-bar Jensen alpha is ``c``. The empyrical
cross-check on real stocks against SPY is in test_against_empyrical.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from quantlib_local import risk


def market(n: int = 500, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0004, 0.01, n), index=pd.bdate_range("2021-01-01", periods=n), name="market")


def test_exact_linear_relation() -> None:
    m = market()
    r = 0.5 * m + 0.001
    assert risk.beta(r, m) == pytest.approx(0.5, rel=1e-12)
    # alpha = (1 + mean(r - 0.5 m)) ** 252 - 1 = 1.001 ** 252 - 1
    assert risk.alpha(r, m) == pytest.approx(1.001**252 - 1, rel=1e-10)


def test_alpha_with_risk_free_rate() -> None:
    m = market()
    r = 0.5 * m + 0.001
    rf = math.expm1(math.log1p(0.04) / 252)  # the per-bar rate of 4 % a year
    # (r - rf) - 0.5 (m - rf) = 0.001 - 0.5 rf per bar
    assert risk.alpha(r, m, risk_free_rate=0.04) == pytest.approx((1 + 0.001 - 0.5 * rf) ** 252 - 1, rel=1e-10)


def test_beta_uses_only_common_dates() -> None:
    m = market(600)
    rng = np.random.default_rng(2)
    r = (1.3 * m + rng.normal(0, 0.005, 600)).iloc[100:]  # starts later
    bench = m.drop(m.index[[150, 151, 400]])  # a few benchmark holidays
    common = r.index.intersection(bench.index)
    expected = stats.linregress(bench.loc[common], r.loc[common]).slope
    assert risk.beta(r, bench) == pytest.approx(expected, rel=1e-12)


def test_wide_frame_each_column_on_its_own_overlap() -> None:
    m = market(400)
    frame = pd.DataFrame({"one": 1.0 * m, "two": 2.0 * m})
    frame.iloc[:50, 1] = np.nan
    betas = risk.beta(frame, m)
    assert betas["one"] == pytest.approx(1.0, rel=1e-12) and betas["two"] == pytest.approx(2.0, rel=1e-12)


def test_constant_benchmark_gives_nan_beta() -> None:
    m = pd.Series(0.001, index=pd.bdate_range("2021-01-01", periods=30))
    assert math.isnan(risk.beta(market(30), m))
