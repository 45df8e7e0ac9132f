"""Declared parameter spaces: what a strategy may be swept over.

A strategy declares each tunable parameter once, as an :class:`IntParameter`,
:class:`FloatParameter` or :class:`ChoiceParameter`. The same declaration validates a
value given to ``__init__``, lists a grid for grid sweeps and draws seeded samples for
random sweeps, so a sweep can never try a value the strategy would refuse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from quantlib_local.exceptions import ValidationError


@dataclass(frozen=True)
class IntParameter:
    """An integer in ``[low, high]``; the grid steps by ``step``."""

    low: int
    high: int
    step: int = 1
    description: str = ""

    def __post_init__(self) -> None:
        if self.high < self.low or self.step < 1:
            raise ValidationError("IntParameter", (self.low, self.high, self.step), "use low <= high and step >= 1")

    def validate(self, name: str, value: Any) -> int:
        """Return ``value`` as an int or raise naming ``name``."""
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            if isinstance(value, (float, np.floating)) and float(value).is_integer():
                value = int(value)
            else:
                raise ValidationError(name, value, f"give a whole number between {self.low} and {self.high}")
        if not self.low <= value <= self.high:
            raise ValidationError(name, value, f"give a whole number between {self.low} and {self.high}")
        return int(value)

    def grid(self) -> list[int]:
        """Every ``step``-th integer from ``low`` to ``high`` (both ends when they fit the step)."""
        return list(range(self.low, self.high + 1, self.step))

    def sample(self, rng: np.random.Generator, size: int) -> list[int]:
        """``size`` values drawn uniformly from the grid."""
        return [int(v) for v in rng.choice(np.asarray(self.grid()), size=size)]


@dataclass(frozen=True)
class FloatParameter:
    """A real number in ``[low, high]``; ``log`` spaces the grid and the samples geometrically."""

    low: float
    high: float
    grid_points: int = 10
    log: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        bad = not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high < self.low
        if bad or self.grid_points < 1 or (self.log and self.low <= 0):
            raise ValidationError(
                "FloatParameter", (self.low, self.high), "use finite low <= high, grid_points >= 1, low > 0 with log"
            )

    def validate(self, name: str, value: Any) -> float:
        """Return ``value`` as a float or raise naming ``name``."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValidationError(name, value, f"give a number between {self.low} and {self.high}")
        value = float(value)
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValidationError(name, value, f"give a number between {self.low} and {self.high}")
        return value

    def grid(self) -> list[float]:
        """``grid_points`` values from ``low`` to ``high``."""
        if self.grid_points == 1:
            return [float(self.low)]
        points = (np.geomspace if self.log else np.linspace)(self.low, self.high, self.grid_points)
        return [float(v) for v in points]

    def sample(self, rng: np.random.Generator, size: int) -> list[float]:
        """``size`` values drawn uniformly (log-uniformly with ``log``) from ``[low, high]``."""
        if self.log:
            draws = np.exp(rng.uniform(math.log(self.low), math.log(self.high), size))
        else:
            draws = rng.uniform(self.low, self.high, size)
        return [float(v) for v in draws]


@dataclass(frozen=True)
class ChoiceParameter:
    """One of a fixed set of values (strings, numbers or booleans)."""

    choices: tuple[Any, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValidationError("ChoiceParameter.choices", self.choices, "list at least one choice")

    def validate(self, name: str, value: Any) -> Any:
        """Return ``value`` when it is one of the choices, or raise naming ``name``."""
        if value not in self.choices:
            raise ValidationError(name, value, f"choose one of {list(self.choices)}")
        return value

    def grid(self) -> list[Any]:
        """Every choice."""
        return list(self.choices)

    def sample(self, rng: np.random.Generator, size: int) -> list[Any]:
        """``size`` choices drawn uniformly."""
        picks = rng.integers(0, len(self.choices), size)
        return [self.choices[int(i)] for i in picks]


Parameter = Union[IntParameter, FloatParameter, ChoiceParameter]
ParameterSpace = Mapping[str, Parameter]


def grid_size(space: ParameterSpace, overrides: Mapping[str, Sequence[Any]] | None = None) -> int:
    """How many combinations a full grid over ``space`` (with ``overrides`` lists) holds."""
    overrides = overrides or {}
    return math.prod(len(overrides.get(name, spec.grid())) for name, spec in space.items())
