"""Parameters of the Heston stochastic-volatility model (design eq. 15-16).

::

    dS = mu S dt + sqrt(v) S dW1
    dv = kappa (theta - v) dt + xi sqrt(v) dW2,      d<W1, W2> = rho dt

The vol of vol is called ``xi`` here, as in the design and in
:mod:`quantlib_local.data.synthetic.heston`; QuantLib and many papers call it ``sigma``.
Every parameter is annualised: ``v0`` and ``theta`` are annual variances (``0.04`` is a
20 % volatility), ``kappa`` is a rate per year.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError


@dataclass(frozen=True)
class HestonParams:
    """Heston model parameters, validated on construction.

    Attributes
    ----------
    v0
        Initial variance, ``>= 0`` (annual; ``0.04`` is 20 % volatility).
    kappa
        Mean-reversion speed of the variance, ``> 0`` per year.
    theta
        Long-run variance, ``> 0``.
    xi
        Volatility of variance ("vol of vol", QuantLib's ``sigma``), ``> 0``.
    rho
        Correlation of the price and variance shocks, ``-1 < rho < 1``.

    Examples
    --------
    >>> params = HestonParams(v0=0.04, kappa=4.0, theta=0.25, xi=1.0, rho=-0.5)
    >>> params.feller_satisfied
    True
    """

    names: ClassVar[tuple[str, ...]] = ("v0", "kappa", "theta", "xi", "rho")

    v0: float
    kappa: float
    theta: float
    xi: float
    rho: float

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
                raise ValidationError(spec.name, value, f"pass a finite real number for {spec.name}")
            object.__setattr__(self, spec.name, float(value))
        if self.v0 < 0:
            raise ValidationError("v0", self.v0, "pass an initial variance >= 0 (e.g. 0.04 for 20 % volatility)")
        for name, hint in (("kappa", "e.g. 2.0"), ("theta", "e.g. 0.04"), ("xi", "e.g. 0.5")):
            if getattr(self, name) <= 0:
                raise ValidationError(name, getattr(self, name), f"pass a {name} > 0 ({hint})")
        if not -1.0 < self.rho < 1.0:
            raise ValidationError("rho", self.rho, "pass a correlation strictly between -1 and 1 (e.g. -0.7)")

    @property
    def feller_satisfied(self) -> bool:
        """True when ``2 kappa theta >= xi^2`` (the variance then never reaches zero)."""
        return 2.0 * self.kappa * self.theta >= self.xi**2

    @property
    def feller_ratio(self) -> float:
        """``2 kappa theta / xi^2``; at least 1 when the Feller condition holds."""
        return 2.0 * self.kappa * self.theta / self.xi**2

    def to_array(self) -> Float64Array:
        """``[v0, kappa, theta, xi, rho]`` as a float64 array."""
        return np.array(astuple(self), dtype=np.float64)

    @classmethod
    def from_array(cls, values: Any) -> HestonParams:
        """Build from ``[v0, kappa, theta, xi, rho]`` (the order of :meth:`to_array`)."""
        array = np.asarray(values, dtype=np.float64).ravel()
        if array.size != 5:
            raise ValidationError("values", values, "pass five numbers in the order v0, kappa, theta, xi, rho")
        return cls(*(float(x) for x in array))

    def to_dict(self) -> dict[str, float]:
        """The parameters as a plain dict (``{"v0": ..., "kappa": ..., ...}``)."""
        return dict(zip(self.names, astuple(self)))
