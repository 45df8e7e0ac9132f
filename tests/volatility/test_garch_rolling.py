"""rolling_garch_forecast (quantlib_local.volatility.garch_rolling).

The no-look-ahead property is tested the only convincing way: perturb the returns after
some bar and check that no forecast made at or before that bar moves. Re-fit forecasts are
also checked against a plain fit_garch on the same slice of data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import garch_bars
from quantlib_local.volatility.garch import fit_garch
from quantlib_local.volatility.garch_rolling import rolling_garch_forecast

WINDOW = 150


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    """SYNTHETIC: 420 daily GARCH(1,1) log returns."""
    return garch_bars(420, omega=2e-6, alpha=0.08, beta=0.9, seed=5).log_returns


@pytest.mark.parametrize("scheme", ["rolling", "expanding"])
def test_no_forecast_uses_data_after_its_origin(returns: pd.Series, scheme: str) -> None:
    cut = 260  # not a re-fit origin: forecasts filtered forward from an earlier fit are covered too
    perturbed = returns.copy()
    perturbed.iloc[cut + 1 :] = perturbed.iloc[cut + 1 :] * 3.0 + 0.01
    kwargs = dict(window=WINDOW, scheme=scheme, refit_every=7, horizon=3, progress=False)
    original = rolling_garch_forecast(returns, **kwargs)
    moved = rolling_garch_forecast(perturbed, **kwargs)
    origin = returns.index[cut]
    pd.testing.assert_frame_equal(original.variance.loc[:origin], moved.variance.loc[:origin], check_exact=True)
    after = original.variance.index > origin
    assert not np.allclose(original.variance[after], moved.variance[after])


def test_rolling_refit_equals_a_fit_on_the_window(returns: pd.Series) -> None:
    result = rolling_garch_forecast(returns, WINDOW, refit_every=50, horizon=4, progress=False)
    origin = WINDOW - 1 + 2 * 50  # the third re-fit
    direct = fit_garch(returns.iloc[origin - WINDOW + 1 : origin + 1])
    label = returns.index[origin]
    np.testing.assert_allclose(result.variance.loc[label], direct.forecast(4).variance, rtol=1e-10)
    pd.testing.assert_series_equal(
        result.refits.loc[label, direct.params.index].astype(float), direct.params.rename(label), rtol=1e-10
    )


def test_expanding_refit_uses_every_bar_so_far(returns: pd.Series) -> None:
    result = rolling_garch_forecast(returns, WINDOW, scheme="expanding", refit_every=100, progress=False)
    origin = WINDOW - 1 + 200
    direct = fit_garch(returns.iloc[: origin + 1], scale=result.scale)  # the scale is chosen from the first window
    label = returns.index[origin]
    assert result.variance.loc[label, 1] == pytest.approx(direct.forecast(1).variance.iloc[0], rel=1e-10)


def test_between_refits_the_variance_is_filtered_forward(returns: pd.Series) -> None:
    # With fixed parameters, sigma^2_{t+1} = omega + alpha eps_t^2 + beta sigma^2_t bar by bar.
    result = rolling_garch_forecast(returns, WINDOW, refit_every=len(returns), progress=False)
    p = result.refits.iloc[0]
    forecasts = result.variance[1].to_numpy()
    eps = returns.to_numpy()[WINDOW:] - p["mu"]
    expected = p["omega"] + p["alpha"] * eps[:-1] ** 2 + p["beta"] * forecasts[:-2]
    np.testing.assert_allclose(forecasts[1:-1], expected, rtol=1e-10)


def test_layout_of_the_result(returns: pd.Series) -> None:
    result = rolling_garch_forecast(returns, WINDOW, refit_every=90, horizon=2, progress=False)
    assert result.variance.index.equals(returns.index[WINDOW - 1 :])
    assert result.variance.columns.tolist() == [1, 2]
    assert result.refits.index.equals(returns.index[WINDOW - 1 :: 90])
    assert result.refits.columns.tolist() == ["mu", "omega", "alpha", "beta", "loglikelihood", "converged"]
    assert len(result.not_converged) == 0
    one_step = result.one_step_ahead()
    assert one_step.index.equals(returns.index[WINDOW:])  # the forecast sits on the bar it forecasts
    np.testing.assert_allclose(one_step, np.sqrt(result.variance[1].to_numpy()[:-1]), rtol=1e-15)
    np.testing.assert_allclose(result.one_step_ahead(annualise=True), one_step * np.sqrt(365.0), rtol=1e-15)


def test_progress_bar_can_be_switched_off(returns: pd.Series, capsys: pytest.CaptureFixture[str]) -> None:
    rolling_garch_forecast(returns, WINDOW, refit_every=200, progress=False)
    assert capsys.readouterr().err == ""
    rolling_garch_forecast(returns, WINDOW, refit_every=200, progress=True)
    assert "re-fits" in capsys.readouterr().err
