"""Expected-return estimators: historical means and the CAPM (layer 3, no I/O).

Every estimator takes a wide table of prices (``kind="prices"``, the default) or simple
returns (``kind="returns"``), one column per asset, NaN before each listing, and answers
an annual decimal return per asset. ``periods_per_year`` is inferred from the
DatetimeIndex with :func:`quantlib_local.risk.periods_per_year` (252 for daily equities,
365 for daily crypto) unless given.

Assets with different listing dates: by default (``window="pairwise"``) every asset is
estimated on its own history, which is what PyPortfolioOpt does; ``window="common"``
first keeps only bars where every asset trades, so all means cover the same period.

Equilibrium (market-implied) returns for Black-Litterman are in
:mod:`quantlib_local.portfolio.black_litterman`.
"""

from __future__ import annotations

import logging
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from quantlib_local.exceptions import ValidationError
from quantlib_local.portfolio._inputs import (
    DataKind,
    Window,
    annualisation_factor,
    apply_window,
    check_enough_observations,
    finite_float,
    returns_table,
)

logger = logging.getLogger(__name__)

MeanMethod: TypeAlias = Literal["geometric", "arithmetic"]
"""``"geometric"``: compound annual growth rate ``prod(1 + r) ** (ppy / n) - 1``;
``"arithmetic"``: ``mean(r) * ppy``."""


def returns_from_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Simple returns ``p_t / p_{t-1} - 1`` of a wide price table (NaN before each listing).

    Parameters
    ----------
    prices
        Positive prices, one column per asset; blanks allowed only before a listing.

    Returns
    -------
    DataFrame
        One row fewer than ``prices`` (rows where no asset has a return are dropped).
    """
    return returns_table(prices, kind="prices", field="prices")


def mean_historical_return(
    data: pd.DataFrame,
    *,
    method: MeanMethod = "geometric",
    kind: DataKind = "prices",
    window: Window = "pairwise",
    periods_per_year: float | None = None,
) -> pd.Series:
    """Annualised mean historical return of every asset.

    Parameters
    ----------
    data
        Prices or simple returns, one column per asset (see ``kind``).
    method
        ``"geometric"`` (default; the compound annual growth rate
        ``prod(1 + r) ** (periods_per_year / n) - 1``) or ``"arithmetic"``
        (``mean(r) * periods_per_year``).
    kind
        ``"prices"`` or ``"returns"``.
    window
        ``"pairwise"``: each asset over its own history; ``"common"``: every asset over the
        bars where all assets have returns.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    Series
        Annual decimal expected return per asset, named ``expected_return``.

    Examples
    --------
    >>> prices = pd.DataFrame({"A": [100.0, 110.0, 121.0]}, index=pd.date_range("2024-01-01", periods=3, freq="YS"))
    >>> float(mean_historical_return(prices, periods_per_year=1)["A"])  # doctest: +ELLIPSIS
    0.1000...
    """
    returns = apply_window(returns_table(data, kind=kind), window, minimum=1)
    check_enough_observations(returns, minimum=1)
    ppy = annualisation_factor(periods_per_year, returns.index)
    counts = returns.count()
    if method == "geometric":
        log_growth = np.log1p(returns).sum()
        mean = np.expm1(log_growth * ppy / counts)
    elif method == "arithmetic":
        mean = returns.mean() * ppy
    else:
        raise ValidationError("method", method, "pass method='geometric' or method='arithmetic'")
    logger.debug("mean_historical_return(%s, window=%s): %d assets, periods_per_year=%s", method, window, len(mean), ppy)
    return mean.astype("float64").rename("expected_return")


def capm_return(
    data: pd.DataFrame,
    market: pd.Series | None = None,
    *,
    risk_free_rate: float = 0.0,
    method: MeanMethod = "geometric",
    kind: DataKind = "prices",
    periods_per_year: float | None = None,
) -> pd.Series:
    """Expected returns from the capital asset pricing model, ``rf + beta_i (E[R_m] - rf)``.

    Parameters
    ----------
    data
        Prices or simple returns of the assets, one column per asset.
    market
        Prices or returns (same ``kind`` as ``data``) of the market portfolio. When None,
        the equal-weighted average of the assets' returns on each bar (over the assets
        listed on that bar) stands in for the market, as in PyPortfolioOpt.
    risk_free_rate
        Annual decimal risk-free rate.
    method
        How the market's annual return ``E[R_m]`` is estimated (see
        :func:`mean_historical_return`).
    kind
        ``"prices"`` or ``"returns"``.
    periods_per_year
        Bars per year; inferred from the DatetimeIndex when None.

    Returns
    -------
    Series
        Annual decimal expected return per asset, named ``expected_return``.

    Notes
    -----
    ``beta_i = cov(r_i, r_m) / var(r_m)`` is estimated on the bars where both the asset and
    the market have returns (pairwise), so assets listed late keep their own history.
    """
    rf = finite_float(risk_free_rate, "risk_free_rate", "pass an annual decimal rate such as 0.02")
    returns = returns_table(data, kind=kind)
    check_enough_observations(returns)
    if market is None:
        market_returns = returns.mean(axis=1, skipna=True)
    else:
        if not isinstance(market, pd.Series):
            raise ValidationError("market", type(market).__name__, "pass the market's prices or returns as a pandas Series")
        market_returns = returns_table(market.rename("market"), kind=kind, field="market")["market"]
    joined = returns.join(market_returns.rename("__market__"), how="inner")
    if joined["__market__"].count() < 2:
        raise ValidationError("market", f"{joined['__market__'].count()} common bar(s)",
                              "give the market returns the same timestamps as the assets")
    market_only = joined.pop("__market__")
    ppy = annualisation_factor(periods_per_year, joined.index)
    betas = pd.Series(
        {asset: _beta(joined[asset], market_only) for asset in joined.columns}, dtype="float64"
    )
    market_mean = mean_historical_return(
        market_only.dropna().to_frame("market"), method=method, kind="returns", periods_per_year=ppy
    )["market"]
    logger.debug("capm_return: market return %.4f, periods_per_year=%s", market_mean, ppy)
    return (rf + betas * (market_mean - rf)).rename("expected_return")


def _beta(asset: pd.Series, market: pd.Series) -> float:
    both = pd.concat([asset, market], axis=1).dropna()
    if len(both) < 2:
        raise ValidationError(str(asset.name), f"{len(both)} bar(s) shared with the market",
                              "give every asset at least two returns on bars where the market has one")
    cov = np.cov(both.to_numpy(), rowvar=False)
    if cov[1, 1] <= 0:
        raise ValidationError("market", "constant returns", "pass a market series whose returns vary")
    return float(cov[0, 1] / cov[1, 1])
