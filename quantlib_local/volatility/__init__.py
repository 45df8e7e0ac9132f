"""Volatility models (layer 3: pure math, no I/O).

GARCH family on top of ``arch`` (design eq. 14): fits with typed results, multi-horizon
forecasts, rolling re-fits and many-asset fitting through Dask. Heston (eq. 15-16):
characteristic-function prices, Greeks, Andersen QE Monte Carlo and calibration to an
implied-volatility surface; Black-Scholes prices and implied-volatility inversion.
"""

from quantlib_local.volatility.black_scholes import (
    black_scholes_delta,
    black_scholes_price,
    black_scholes_vega,
    discount_factors,
    implied_volatility,
)
from quantlib_local.volatility.garch import GarchConvergenceWarning, GarchFit, fit_garch
from quantlib_local.volatility.garch_forecast import GarchForecast, forecast_garch
from quantlib_local.volatility.garch_inputs import GarchSpec
from quantlib_local.volatility.garch_many import GarchFitCollection, fit_garch_many
from quantlib_local.volatility.garch_rolling import RollingGarchForecast, rolling_garch_forecast
from quantlib_local.volatility.heston_calibration import HestonCalibration, calibrate_heston
from quantlib_local.volatility.heston_fourier import heston_characteristic_function
from quantlib_local.volatility.heston_monte_carlo import (
    HestonQEPaths,
    MonteCarloPrice,
    price_european_mc,
    simulate_heston_qe,
)
from quantlib_local.volatility.heston_params import HestonParams
from quantlib_local.volatility.heston_pricing import (
    HestonGreeks,
    HestonPriceGradient,
    heston_greeks,
    heston_implied_volatility,
    heston_price,
    heston_price_gradient,
)

__all__ = [
    "GarchConvergenceWarning",
    "GarchFit",
    "GarchFitCollection",
    "GarchForecast",
    "GarchSpec",
    "HestonCalibration",
    "HestonGreeks",
    "HestonParams",
    "HestonPriceGradient",
    "HestonQEPaths",
    "MonteCarloPrice",
    "RollingGarchForecast",
    "black_scholes_delta",
    "black_scholes_price",
    "black_scholes_vega",
    "calibrate_heston",
    "discount_factors",
    "fit_garch",
    "fit_garch_many",
    "forecast_garch",
    "heston_characteristic_function",
    "heston_greeks",
    "heston_implied_volatility",
    "heston_price",
    "heston_price_gradient",
    "implied_volatility",
    "price_european_mc",
    "rolling_garch_forecast",
    "simulate_heston_qe",
]
