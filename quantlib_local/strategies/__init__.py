"""Strategies (layer 4): one contract for research, backtest, paper and live trading.

See :mod:`quantlib_local.strategies.base` for the contract and
:func:`check_strategy` for the conformance test every strategy passes.
"""

from quantlib_local.strategies.base import BufferedIncremental, IncrementalStrategy, OutputKind, Strategy
from quantlib_local.strategies.conformance import ConformanceReport, StrategyConformanceError, check_strategy
from quantlib_local.strategies.features import FeatureSettings, feature_matrix
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.mean_reversion import MeanReversion
from quantlib_local.strategies.ml_classifier import MLClassifier
from quantlib_local.strategies.momentum import Momentum
from quantlib_local.strategies.pairs import EngleGrangerResult, PairsTrading, engle_granger
from quantlib_local.strategies.parameters import (
    ChoiceParameter,
    FloatParameter,
    IntParameter,
    Parameter,
    ParameterSpace,
    grid_size,
)
from quantlib_local.strategies.portfolio_weights import PortfolioRebalancing
from quantlib_local.strategies.registry import available_strategies, register_strategy, resolve_strategy
from quantlib_local.strategies.sma_crossover import SmaCrossover
from quantlib_local.strategies.volatility_target import VolatilityTargeted

__all__ = [
    "BufferedIncremental",
    "ChoiceParameter",
    "ConformanceReport",
    "EngleGrangerResult",
    "FeatureSettings",
    "FloatParameter",
    "IncrementalStrategy",
    "IntParameter",
    "MLClassifier",
    "MarketData",
    "MeanReversion",
    "Momentum",
    "OutputKind",
    "PairsTrading",
    "PortfolioRebalancing",
    "Parameter",
    "ParameterSpace",
    "SmaCrossover",
    "Strategy",
    "StrategyConformanceError",
    "VolatilityTargeted",
    "available_strategies",
    "check_strategy",
    "engle_granger",
    "feature_matrix",
    "grid_size",
    "register_strategy",
    "resolve_strategy",
]
