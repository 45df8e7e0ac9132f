"""The Heston characteristic function and the Fourier integrals that price European options.

Characteristic function
    ``phi(z, T) = E[exp(i z X_T)]`` of the log forward-moneyness ``X_T = ln(S_T / F_T)``
    (``F_T`` the forward, so ``phi(-i) = 1``) is ``exp(C + D v0)`` with, in the "little Heston
    trap" form of Albrecher, Mayer, Schoutens and Tistaert (2007, Wilmott Magazine, January,
    pp. 83-92), which keeps the complex logarithm on its principal branch for every
    parameter set::

        beta = kappa - i rho xi z,   a = z^2 + i z,   d = sqrt(beta^2 + xi^2 a)   (Re d >= 0)
        g = (beta - d) / (beta + d),                  r = (beta - d) / xi^2 = -a / (beta + d)
        D = r (1 - e^{-dT}) / (1 - g e^{-dT})
        C = kappa theta (r T - (2 / xi^2) ln((1 - g e^{-dT}) / (1 - g)))

    Written this way there is no division by ``xi^2`` that cancels: ``r`` uses
    ``-a / (beta + d)``, ``1 - e^{-dT}`` uses ``expm1``, and
    ``(2 / xi^2) ln(1 + w) = 2 (w / xi^2) ln(1 + w) / w`` with ``w / xi^2`` formed directly and
    a series for ``ln(1 + w) / w`` when ``|w|`` is small, so ``xi -> 0`` (Black-Scholes) and
    ``T -> 0`` stay accurate.

Pricing integral (Lewis 2001, with the Black-Scholes control variate of Andersen and
Piterbarg 2010, "Interest Rate Modeling", vol. I, sec. 8.4)::

    V = BS(v_cv) - D_r sqrt(F K) / pi * J,
    J = int_0^inf Re[e^{i u k} (phi(u - i/2) - phi_BS(u - i/2))] / (u^2 + 1/4) du,   k = ln(F / K)

with ``phi_BS(u - i/2) = exp(-v_cv (u^2 + 1/4) / 2)`` and the control variance
``v_cv = -8 ln phi(-i/2)``, which makes the integrand vanish at ``u = 0`` (and removes the
poles of ``1 / (u^2 + 1/4)``). The same formula prices calls and puts (``BS`` of the
right type).

Quadrature and error control. ``J`` is truncated at ``U_T`` (one per maturity), the point
beyond which a scan of ``|phi(u - i/2)| + phi_BS`` on a log grid shows the tail is below
a tenth of the absolute tolerance, and integrated by Gauss-Legendre on ``[0, U_T]``. The
node count starts from ``max(32, 0.75 U_T |k| / pi)`` rounded up to a power of two (the
integrand oscillates at frequency ``|k|``) and doubles until two successive rules agree to
``rtol |V| + atol F D_r``; the finer value is returned. Gauss-Legendre converges
exponentially here, so the returned value is far more accurate than that last difference.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from numba import njit

from quantlib_local._typing import ArrayLike, Float64Array
from quantlib_local.volatility.heston_params import HestonParams

logger = logging.getLogger(__name__)

MIN_NODES = 32
MAX_NODES = 16384
PANEL_NODES = 512
_SCAN_GRID = np.logspace(-1.0, 7.0, 65)


def heston_characteristic_function(params: HestonParams, u: ArrayLike, maturity: ArrayLike) -> np.ndarray:
    """Characteristic function ``E[exp(i u ln(S_T / F_T))]`` of the Heston log forward-moneyness.

    Parameters
    ----------
    params
        Model parameters.
    u
        Real or complex arguments (broadcast with ``maturity``); complex ``u`` inside the strip
        of finite moments is allowed (``u = -i`` gives ``E[S_T / F_T] = 1``).
    maturity
        Times in years, ``>= 0``.

    Returns
    -------
    numpy.ndarray
        Complex values with the broadcast shape.
    """
    log_chf, _ = log_characteristic_function(params, np.asarray(u, dtype=np.complex128),
                                             np.asarray(maturity, dtype=np.float64))
    return np.exp(log_chf)


def log_characteristic_function(params: HestonParams, z: np.ndarray, maturity: np.ndarray):
    """``(C + D v0, D)``: the log characteristic function and its derivative in ``v0``."""
    kappa, theta, xi, rho = params.kappa, params.theta, params.xi, params.rho
    beta = kappa - 1j * rho * xi * z
    a = z * z + 1j * z
    d = np.sqrt(beta * beta + xi * xi * a)
    beta_plus_d = beta + d
    r = -a / beta_plus_d
    one_minus_e = -np.expm1(-d * maturity)
    g = xi * xi * r / beta_plus_d
    coef_v0 = r * one_minus_e / (1.0 - g * (1.0 - one_minus_e))
    w_over_xi2 = r * one_minus_e / (beta_plus_d * (1.0 - g))
    w = xi * xi * w_over_xi2
    small = np.abs(w) < 1e-3
    safe_w = np.where(small, 1.0, w)
    log1p_over_w = np.where(small, 1.0 - w * (0.5 - w * (1.0 / 3.0 - w * (0.25 - 0.2 * w))),
                            np.log1p(safe_w) / safe_w)
    coef_const = kappa * theta * (r * maturity - 2.0 * w_over_xi2 * log1p_over_w)
    return coef_const + coef_v0 * params.v0, coef_v0


def control_variance(params: HestonParams, maturity: np.ndarray) -> Float64Array:
    """Total Black variance ``v_cv = -8 ln phi(-i/2)`` of the control variate, per maturity."""
    log_chf, _ = log_characteristic_function(params, np.full(maturity.shape, -0.5j), maturity)
    return np.maximum(-8.0 * log_chf.real, 0.0)


def integration_limit(params: HestonParams, maturity: Float64Array, v_cv: Float64Array,
                      tolerance: Float64Array, slow_tail: bool) -> Float64Array:
    """Truncation point ``U_T`` per maturity: the scanned tail weight falls below ``tolerance``.

    ``slow_tail`` (Greeks, gradients) allows for integrands that carry an extra factor ``u``.
    """
    u = _SCAN_GRID[None, :]
    log_chf, _ = log_characteristic_function(params, u - 0.5j, maturity[:, None])
    envelope = np.exp(log_chf.real) + np.exp(-0.5 * v_cv[:, None] * (u * u + 0.25))
    weight = (1.0 + u) / (math.pi * u) if slow_tail else 1.0 / (math.pi * u)
    with np.errstate(divide="ignore"):
        excess = np.log(envelope * weight) - np.log(tolerance)[:, None]
    failing = excess > 0
    last_fail = np.where(failing.any(axis=1), failing.shape[1] - 1 - np.argmax(failing[:, ::-1], axis=1), -1)
    limit = np.empty(maturity.shape)
    for row, j in enumerate(last_fail):
        if j < 0:
            limit[row] = _SCAN_GRID[0]
        elif j == _SCAN_GRID.size - 1:
            limit[row] = _SCAN_GRID[-1]
            logger.warning("Heston integrand still above tolerance at u=%g for maturity %g; prices may be inaccurate",
                           _SCAN_GRID[-1], maturity[row])
        else:  # log-linear interpolation of the crossing between grid points j and j+1
            e0, e1 = excess[row, j], excess[row, j + 1]
            t = e0 / (e0 - e1) if np.isfinite(e1) and e0 > e1 else 1.0
            limit[row] = math.exp(math.log(_SCAN_GRID[j]) + t * (math.log(_SCAN_GRID[j + 1] / _SCAN_GRID[j])))
    return limit


@lru_cache(maxsize=32)
def _unit_rule(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_nodes``-point rule on [0, 1]: Gauss-Legendre, or composite Gauss-Legendre in panels of
    ``PANEL_NODES`` equal-width panels when ``n_nodes`` is larger (resolves oscillation just as well
    and keeps the node computation cheap)."""
    if n_nodes <= PANEL_NODES:
        x, w = gauss_legendre(n_nodes)
        return 0.5 * (x + 1.0), 0.5 * w
    panels = n_nodes // PANEL_NODES
    x, w = _unit_rule(PANEL_NODES)
    offsets = np.arange(panels)[:, None] / panels
    return (offsets + x[None, :] / panels).ravel(), np.tile(w / panels, panels)


def gauss_legendre(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1], by Newton's method on the three-term recurrence.

    Starts from Tricomi's approximation of the roots; four Newton steps reach double precision.
    ``O(n^2)`` work (numpy's ``leggauss`` solves an eigenproblem, ``O(n^3)``).
    """
    k = np.arange(1, n_nodes // 2 + 1)
    n = float(n_nodes)
    x = (1.0 - 1.0 / (8.0 * n * n) + 1.0 / (8.0 * n**3)) * np.cos(np.pi * (4.0 * k - 1.0) / (4.0 * n + 2.0))
    for _ in range(100):
        p_prev, p = np.ones_like(x), x.copy()
        for j in range(2, n_nodes + 1):
            p_prev, p = p, ((2.0 * j - 1.0) * x * p - (j - 1.0) * p_prev) / j
        slope = n * (x * p - p_prev) / (x * x - 1.0)
        step = p / slope
        x = x - step
        if np.max(np.abs(step)) < 1e-16:
            break
    p_prev, p = np.ones_like(x), x.copy()
    for j in range(2, n_nodes + 1):
        p_prev, p = p, ((2.0 * j - 1.0) * x * p - (j - 1.0) * p_prev) / j
    slope = n * (x * p - p_prev) / (x * x - 1.0)
    weights = 2.0 / ((1.0 - x * x) * slope * slope)
    if n_nodes % 2:
        nodes = np.concatenate([x, [0.0], -x[::-1]])
        p0 = _legendre_slope_at_zero(n_nodes)
        weights = np.concatenate([weights, [2.0 / (p0 * p0)], weights[::-1]])
    else:
        nodes = np.concatenate([x, -x[::-1]])
        weights = np.concatenate([weights, weights[::-1]])
    return nodes[::-1].copy(), weights[::-1].copy()


def _legendre_slope_at_zero(n_nodes: int) -> float:
    """``P_n'(0)`` for odd ``n`` (the middle node of an odd rule)."""
    p_prev, p = 1.0, 0.0
    for j in range(2, n_nodes + 1):
        p_prev, p = p, -(j - 1.0) * p_prev / j
    return n_nodes * p_prev  # P_n'(0) = n P_{n-1}(0) for odd n


Extras = Literal["none", "greeks", "gradient"]
_GRADIENT_STEP = 1e-6  # relative central-difference step of the log characteristic function in kappa, xi, rho


@dataclass(frozen=True)
class LewisIntegrals:
    """Values of the pricing integrals per option.

    ``main`` is ``J``. With ``extras="greeks"``, ``extra[0]`` is ``dJ/dk`` and ``extra[1]`` is
    ``int Re[e^{iuk} dphi/dv0 (u - i/2)] / (u^2 + 1/4) du``; with ``extras="gradient"``,
    ``extra[m]`` is that integral of ``dphi/dp`` for the m-th of ``v0, kappa, theta, xi, rho``
    (the control variate cancels out of every parameter derivative of the price).
    """

    main: Float64Array
    extra: list[Float64Array]
    nodes: np.ndarray


def lewis_integrals(params: HestonParams, log_moneyness: Float64Array, maturity_index: np.ndarray,
                    maturities: Float64Array, limits: Float64Array, v_cv: Float64Array, *,
                    control_price: Float64Array, scale: Float64Array, atol: Float64Array, rtol: float,
                    extras: Extras = "none") -> LewisIntegrals:
    """Integrate ``J`` (and the extra integrals) per option, doubling the nodes until converged.

    The price is ``control_price - scale * J``; a pass is accepted when two successive rules
    agree to ``rtol |price| + atol`` in price units (and, for the Greeks, the Greek integrals
    to ``rtol`` of their size or ``atol / scale``; gradient integrals ride along).
    """
    k = log_moneyness
    guess = np.maximum(0.75 * limits[maturity_index] * np.abs(k) / math.pi, MIN_NODES)
    nodes = np.minimum(MIN_NODES * 2 ** np.ceil(np.log2(guess / MIN_NODES)), MAX_NODES // 2).astype(np.int64)
    previous = _integrate(params, k, maturity_index, maturities, limits, v_cv, nodes, extras)
    result = np.full((len(previous), k.size), np.nan)
    pending = np.arange(k.size)
    while pending.size:
        nodes[pending] *= 2
        current = _integrate(params, k[pending], maturity_index[pending], maturities, limits, v_cv,
                             nodes[pending], extras)
        price = control_price[pending] - scale[pending] * current[0]
        absolute = atol[pending] / scale[pending]
        done = np.abs(current[0] - previous[0]) <= rtol * np.abs(price) / scale[pending] + absolute
        if extras == "greeks":
            done &= np.all(np.abs(current[1:] - previous[1:]) <= rtol * np.abs(current[1:]) + absolute, axis=0)
        stuck = ~done & (nodes[pending] >= MAX_NODES)
        if np.any(stuck):
            logger.warning("Heston Fourier integral for %d option(s) did not settle with %d nodes; returning the "
                           "finest value (extreme parameters or maturity?)", int(stuck.sum()), MAX_NODES)
        done |= stuck
        result[:, pending[done]] = current[:, done]
        previous = current[:, ~done]
        pending = pending[~done]
    return LewisIntegrals(result[0], list(result[1:]), nodes)


def _integrate(params, k, maturity_index, maturities, limits, v_cv, nodes, extras) -> np.ndarray:
    """One Gauss-Legendre pass: each option with its own node count (grouped by count)."""
    n_out = {"none": 1, "greeks": 3, "gradient": 6}[extras]
    outputs = np.empty((n_out, k.size))
    for n_nodes in np.unique(nodes):
        members = np.flatnonzero(nodes == n_nodes)
        used, local_index = np.unique(maturity_index[members], return_inverse=True)
        x, w = _unit_rule(int(n_nodes))
        upper = limits[used][:, None]
        u = upper * x[None, :]
        weight = upper * w[None, :] / (u * u + 0.25)
        z, times = u - 0.5j, maturities[used][:, None]
        log_chf, coef_v0 = log_characteristic_function(params, z, times)
        phi = np.exp(log_chf)
        terms = [phi - np.exp(-0.5 * v_cv[used][:, None] * (u * u + 0.25))]
        if extras == "greeks":
            terms += [1j * u * terms[0], coef_v0 * phi]
        elif extras == "gradient":
            terms += [coef_v0 * phi]
            for name in ("kappa", "theta", "xi", "rho"):
                if name == "theta":  # log phi is linear in theta
                    terms.append((log_chf - coef_v0 * params.v0) / params.theta * phi)
                    continue
                value = getattr(params, name)
                h = _GRADIENT_STEP * value if name != "rho" else min(_GRADIENT_STEP, 0.5 * (1.0 - abs(value)))
                up, _ = log_characteristic_function(replace(params, **{name: value + h}), z, times)
                down, _ = log_characteristic_function(replace(params, **{name: value - h}), z, times)
                terms.append((up - down) / (2.0 * h) * phi)
        tables = np.empty((n_out, 2) + u.shape)
        for m, term in enumerate(terms):
            tables[m, 0] = weight * term.real
            tables[m, 1] = weight * term.imag
        outputs[:, members] = _strike_sums(k[members], local_index.astype(np.int64), u, tables)
    return outputs


@njit(cache=True, nogil=True)
def _strike_sums(k, rows, u, tables):  # pragma: no cover - compiled
    """Per option ``i`` and table ``m``: ``sum_j Re[e^{i u_j k_i} (a_mj + i b_mj)]`` on its maturity row.

    ``tables`` is ``(n_tables, 2, rows, nodes)``: real and imaginary parts of the weighted integrands.
    """
    n_out = tables.shape[0]
    out = np.zeros((n_out, k.size))
    for i in range(k.size):
        r = rows[i]
        ki = k[i]
        for j in range(u.shape[1]):
            angle = u[r, j] * ki
            c = math.cos(angle)
            s = math.sin(angle)
            for m in range(n_out):
                out[m, i] += c * tables[m, 0, r, j] - s * tables[m, 1, r, j]
    return out
