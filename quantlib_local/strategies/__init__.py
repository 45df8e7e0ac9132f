"""Strategies (layer 4): one contract for research, backtest, paper and live trading.

See :mod:`quantlib_local.strategies.base` for the contract and
:func:`check_strategy` for the conformance test every strategy passes.
"""

from quantlib_local.strategies.base import BufferedIncremental, IncrementalStrategy, OutputKind, Strategy
from quantlib_local.strategies.conformance import ConformanceReport, StrategyConformanceError, check_strategy
from quantlib_local.strategies.market_data import MarketData
from quantlib_local.strategies.parameters import (
    ChoiceParameter,
    FloatParameter,
    IntParameter,
    Parameter,
    ParameterSpace,
    grid_size,
)
from quantlib_local.strategies.registry import available_strategies, register_strategy, resolve_strategy
from quantlib_local.strategies.sma_crossover import SmaCrossover

__all__ = [
    "BufferedIncremental",
    "ChoiceParameter",
    "ConformanceReport",
    "FloatParameter",
    "IncrementalStrategy",
    "IntParameter",
    "MarketData",
    "OutputKind",
    "Parameter",
    "ParameterSpace",
    "SmaCrossover",
    "Strategy",
    "StrategyConformanceError",
    "available_strategies",
    "check_strategy",
    "grid_size",
    "register_strategy",
    "resolve_strategy",
]
