"""Tests of quantlib_local.data.synthetic.ou: SYNTHETIC Ornstein-Uhlenbeck (mean-reverting) bars.

``d log S = kappa (log m - log S) dt + sigma dW``. Sampled once per bar, the deviation
``x = log S - log m`` is an AR(1) with coefficient ``phi = exp(-kappa dt)`` and stationary
standard deviation ``sigma / sqrt(2 kappa)`` (e.g. Uhlenbeck and Ornstein 1930; Gardiner,
"Handbook of Stochastic Methods", sec. 3.8.4). As in tests/data/test_synthetic.py, each
statistical check allows Z = 4 standard errors, with the SE written beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import ou_bars
from quantlib_local.exceptions import ValidationError
from tests.data.test_synthetic import assert_bar_contract

Z = 4.0
OU = dict(kappa=20.0, sigma=0.5, seed=1)


def test_bars_satisfy_the_ohlcv_contract() -> None:
    frame = ou_bars(500, **OU)
    assert len(frame) == 500
    assert_bar_contract(frame, "ou_bars")
    opens, closes = frame["open"].to_numpy(), frame["close"].to_numpy()
    np.testing.assert_array_equal(opens[1:], closes[:-1])  # the open is the previous close
    assert opens[0] == pytest.approx(100.0)  # s0 defaults to the mean price
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    params = frame.attrs["params"]
    assert (params["kappa"], params["sigma"], params["mean_price"], params["s0"]) == (20.0, 0.5, 100.0, 100.0)
    assert params["bar_years"] == pytest.approx(1 / 365)

    hourly = ou_bars(300, kappa=500.0, sigma=0.3, seed=2, freq="1h", calendar="business", s0=80.0,
                     mean_price=120.0, start="2021-01-01 20:00")
    assert_bar_contract(hourly, "ou_bars")
    assert hourly["open"].iloc[0] == pytest.approx(80.0)


def test_same_seed_same_bars_and_different_seed_different_bars() -> None:
    first, again, other = ou_bars(300, **OU), ou_bars(300, **OU), ou_bars(300, **{**OU, "seed": 2})
    pd.testing.assert_frame_equal(first, again)
    assert first.attrs == again.attrs and first.attrs["params"]["seed"] == 1
    assert not np.allclose(first["close"].to_numpy(), other["close"].to_numpy())
    pd.testing.assert_frame_equal(ou_bars(300, **{**OU, "seed": np.random.default_rng(1)}), first)


def test_without_noise_the_price_relaxes_to_the_mean_at_rate_kappa() -> None:
    # sigma = 0: x_t = x_0 exp(-kappa t) exactly, with t = (k + 1) bar_years at the close of bar k
    kappa, s0, mean_price = 30.0, 60.0, 100.0
    frame = ou_bars(200, kappa=kappa, sigma=0.0, seed=0, s0=s0, mean_price=mean_price)
    t = np.arange(1, 201) / 365
    expected = mean_price * np.exp(math.log(s0 / mean_price) * np.exp(-kappa * t))
    np.testing.assert_allclose(frame["close"].to_numpy(), expected, rtol=1e-10)


@pytest.fixture(scope="module")
def long_sample() -> tuple[np.ndarray, float, float, float]:
    """Log deviations of 200,000 hourly closes, with kappa, sigma and the bar length in years."""
    kappa, sigma = 500.0, 0.8  # per-bar phi = exp(-500 / 8760) = 0.945, a half-life of 12 bars
    frame = ou_bars(200_000, kappa=kappa, sigma=sigma, seed=2024, freq="1h", mean_price=50.0, substeps=4)
    bar_years = frame.attrs["params"]["bar_years"]
    assert bar_years == pytest.approx(1 / 8760)
    return np.log(frame["close"].to_numpy() / 50.0), kappa, sigma, bar_years


def test_stationary_std_of_log_price_is_sigma_over_sqrt_two_kappa(long_sample) -> None:
    x, kappa, sigma, bar_years = long_sample
    n, phi = len(x), math.exp(-kappa * bar_years)
    sd = sigma / math.sqrt(2 * kappa)  # 0.0253; sigma / sqrt(kappa) would be 41 % higher
    # For an AR(1), var(sample variance) ~ 2 sd^4 (1 + phi^2) / ((1 - phi^2) n) (Bartlett 1946), so
    # SE(sample sd) ~ sd sqrt((1 + phi^2) / (2 (1 - phi^2) n)): about 0.66 % of sd here.
    se = sd * math.sqrt((1 + phi**2) / (2 * (1 - phi**2) * n))
    assert abs(x.std() - sd) < Z * se
    # the mean deviation is 0: SE(mean) = sd sqrt((1 + phi) / ((1 - phi) n)) for an AR(1)
    assert abs(x.mean()) < Z * sd * math.sqrt((1 + phi) / ((1 - phi) * n))


def test_lag_one_autocorrelation_is_exp_minus_kappa_dt(long_sample) -> None:
    x, kappa, _, bar_years = long_sample
    phi = math.exp(-kappa * bar_years)  # 0.9445; exp(-kappa dt / substeps) would be 0.986
    estimate = float(np.dot(x[1:], x[:-1]) / np.dot(x[:-1], x[:-1]))
    se = math.sqrt((1 - phi**2) / len(x))  # least-squares AR(1) coefficient; 7.3e-4 here
    assert abs(estimate - phi) < Z * se
    # and the lag-k autocorrelation decays as phi^k (exponential memory, not a random walk)
    k = 12
    lagged = float(np.dot(x[k:], x[:-k]) / np.dot(x[:-k], x[:-k]))
    assert lagged == pytest.approx(phi**k, abs=0.02)


BAD_INPUTS = {
    "kappa_zero": (dict(kappa=0.0), "kappa"),
    "kappa_negative": (dict(kappa=-1.0), "kappa"),
    "kappa_nan": (dict(kappa=float("nan")), "kappa"),
    "sigma_negative": (dict(sigma=-0.1), "sigma"),
    "sigma_not_a_number": (dict(sigma="0.2"), "sigma"),
    "mean_price_zero": (dict(mean_price=0.0), "mean_price"),
    "s0_negative": (dict(s0=-5.0), "s0"),
    "substeps_zero": (dict(substeps=0), "substeps"),
    "volume_mean_zero": (dict(volume_mean=0.0), "volume_mean"),
    "volume_log_sigma_negative": (dict(volume_log_sigma=-1.0), "volume_log_sigma"),
    "freq_unparseable": (dict(freq="fortnightly"), "freq"),
    "seed_wrong_type": (dict(seed="abc"), "seed"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_raises_validation_error_naming_the_field(case: str) -> None:
    changes, field = BAD_INPUTS[case]
    with pytest.raises(ValidationError) as caught:
        ou_bars(10, **{**OU, **changes})
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}=") and "Fix:" in str(caught.value)


@pytest.mark.parametrize("n_bars", [0, -1, True, 2.5])
def test_bad_bar_count_is_refused(n_bars: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ou_bars(n_bars, **OU)  # type: ignore[arg-type]
    assert caught.value.field == "n_bars"
