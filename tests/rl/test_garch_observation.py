"""The optional GARCH(1,1) volatility column of the observation (design eq. 14)."""

from __future__ import annotations

import numpy as np
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.rl import EnvironmentConfig, ObservationSettings, prepare_trading_data
from quantlib_local.rl.data import garch_volatility
from quantlib_local.volatility import rolling_garch_forecast

SETTINGS = ObservationSettings(norm_window=50, garch_window=150, garch_refit_every=50)


def test_garch_column_is_the_rolling_forecast_and_looks_back_only(ou_market) -> None:
    bars = ou_market.iloc[:600]
    data = prepare_trading_data(bars, EnvironmentConfig(observation=SETTINGS))
    assert data.feature_names[-1] == "garch_volatility"
    column = garch_volatility(bars["close"], SETTINGS)
    expected = rolling_garch_forecast(bars["close"].pct_change().iloc[1:], 150, refit_every=50, progress=False)
    np.testing.assert_array_equal(column[150:], expected.volatility[1].to_numpy())
    assert np.isnan(column[:150]).all()  # no forecast before a full estimation window
    prefix = prepare_trading_data(bars.iloc[:420], EnvironmentConfig(observation=SETTINGS))
    assert np.array_equal(prefix.observations, data.observations[:420])
    assert data.first_bar >= 150 + SETTINGS.norm_window - 1


@pytest.mark.parametrize(("changes", "field"), [({"garch_window": 50}, "garch_window"),
                                                ({"garch_refit_every": 0}, "garch_refit_every")])
def test_bad_garch_settings_fail_by_name(changes, field) -> None:
    with pytest.raises(ValidationError, match=field):
        ObservationSettings(**changes)
