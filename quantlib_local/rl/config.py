"""How the trading environment observes, acts, pays and is rewarded: :class:`EnvironmentConfig`.

Every field is checked when the config is built, so a bad value fails before any data is
touched. Costs are a :class:`~quantlib_local.backtest.BacktestConfig`: the environment fills
orders with the backtest engine's own order arithmetic (see :mod:`quantlib_local.rl.env`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from quantlib_local.backtest.config import BacktestConfig, check_number
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.features import FeatureSettings

REWARD_TERMS = ("pnl", "sharpe", "drawdown", "risk")
"""The terms of design eq. 5, in the order R = a PnL + b Sharpe - c Drawdown - d Risk."""


def _whole(name: str, value: Any, minimum: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(name, value, fix)
    return value


@dataclass(frozen=True)
class ObservationSettings:
    """The observation: the eq. 6 feature vector, z-scored on a trailing window.

    Attributes
    ----------
    features
        Windows of :func:`~quantlib_local.strategies.feature_block`.
    norm_window
        Each feature is standardised with the mean and standard deviation of its last
        ``norm_window`` values up to and including the bar (no look-ahead); bars before a
        full window are warm-up.
    clip
        Standardised values are clipped to ``[-clip, clip]``.
    garch_window, garch_refit_every
        When ``garch_window`` is set, add ``garch_volatility``: the one-bar-ahead GARCH(1,1)
        volatility (design eq. 14) forecast at each bar from the last ``garch_window``
        returns, re-fitted every ``garch_refit_every`` bars
        (:func:`~quantlib_local.volatility.rolling_garch_forecast`). Off by default: the
        features already carry the EWMA volatility (GARCH with fixed weights), and the fits
        cost seconds per thousand bars.
    """

    features: FeatureSettings = field(default_factory=FeatureSettings)
    norm_window: int = 250
    clip: float = 5.0
    garch_window: int | None = None
    garch_refit_every: int = 20

    def __post_init__(self) -> None:
        if not isinstance(self.features, FeatureSettings):
            raise ValidationError("observation.features", self.features, "pass a FeatureSettings")
        _whole("observation.norm_window", self.norm_window, 2, "use a window of at least 2 bars, e.g. 250")
        check_number("observation.clip", self.clip, 0.0, 1e6, "use a positive clip such as 5.0", allow_low=False)
        if self.garch_window is not None:
            _whole("observation.garch_window", self.garch_window, 100, "use at least 100 returns, or None")
        _whole("observation.garch_refit_every", self.garch_refit_every, 1, "use a whole number of bars >= 1")


@dataclass(frozen=True)
class RewardWeights:
    """Weights of design eq. 5, ``R = scale (a PnL + b Sharpe - c Drawdown - d Risk)``.

    Attributes
    ----------
    pnl, sharpe, drawdown, risk
        ``a``, ``b``, ``c``, ``d`` (non-negative). The terms, per step:

        * PnL: the simple return of equity over the step;
        * Sharpe: the differential Sharpe ratio of Moody and Saffell (1998), the marginal
          change of an exponentially weighted Sharpe ratio with decay ``sharpe_decay``;
        * Drawdown: how much the drawdown from the running equity peak deepened this step
          (0 when it did not), so an episode's sum tracks the depth of its drawdowns;
        * Risk: the size of the position held over the step times the asset's EWMA
          per-bar volatility known when it was chosen.
    sharpe_decay
        ``eta`` of the differential Sharpe ratio's moving moments, in (0, 1).
    scale
        Multiplies the weighted sum (100 puts a 1 % return at a reward of 1).
    """

    pnl: float = 1.0
    sharpe: float = 0.0
    drawdown: float = 0.0
    risk: float = 0.0
    sharpe_decay: float = 0.01
    scale: float = 100.0

    def __post_init__(self) -> None:
        for name in REWARD_TERMS:
            check_number(f"reward.{name}", getattr(self, name), 0.0, 1e6, "use a non-negative weight")
        check_number("reward.sharpe_decay", self.sharpe_decay, 0.0, 1.0, "use a decay in (0, 1), e.g. 0.01",
                     allow_low=False)
        if self.sharpe_decay >= 1.0:
            raise ValidationError("reward.sharpe_decay", self.sharpe_decay, "use a decay in (0, 1), e.g. 0.01")
        check_number("reward.scale", self.scale, 0.0, 1e9, "use a positive scale such as 100", allow_low=False)


@dataclass(frozen=True)
class EnvironmentConfig:
    """A trading environment on one traded asset.

    Attributes
    ----------
    actions
        Target weights (fraction of equity, negative = short) the discrete actions stand
        for: ``(-1, 0, 1)`` is short/flat/long; ``(-1, -0.5, 0, 0.5, 1)`` adds half sizes.
    episode_length
        Steps per episode; None runs from the start to the end of the data.
    random_start
        Start each episode on a random bar (training); False starts at the first bar
        after the warm-up (evaluation).
    reward
        Weights of eq. 5.
    observation
        Features and their normalisation.
    costs
        Initial cash, fees, fixed fees, slippage, execution timing and size granularity
        of the backtest engine (stops, limit orders and sizing rules do not apply: the
        agent's action is the target weight).
    """

    actions: tuple[float, ...] = (-1.0, 0.0, 1.0)
    episode_length: int | None = 256
    random_start: bool = True
    reward: RewardWeights = field(default_factory=RewardWeights)
    observation: ObservationSettings = field(default_factory=ObservationSettings)
    costs: BacktestConfig = field(default_factory=BacktestConfig)

    def __post_init__(self) -> None:
        actions = self.actions
        if (not isinstance(actions, tuple) or len(actions) < 2 or len(set(actions)) != len(actions)
                or any(isinstance(a, bool) or not isinstance(a, (int, float)) or not -10 <= a <= 10 for a in actions)):
            raise ValidationError("actions", actions, "pass a tuple of distinct target weights, e.g. (-1.0, 0.0, 1.0)")
        object.__setattr__(self, "actions", tuple(float(a) for a in actions))
        if 0.0 not in self.actions:
            raise ValidationError("actions", actions, "include 0.0 (flat): every episode starts flat")
        if self.episode_length is not None:
            _whole("episode_length", self.episode_length, 1, "use a whole number of steps >= 1, or None")
        if not isinstance(self.reward, RewardWeights):
            raise ValidationError("reward", self.reward, "pass a RewardWeights")
        if not isinstance(self.observation, ObservationSettings):
            raise ValidationError("observation", self.observation, "pass an ObservationSettings")
        if not isinstance(self.costs, BacktestConfig):
            raise ValidationError("costs", self.costs, "pass a BacktestConfig")
        if self.costs.uses_stops or self.costs.order_type != "market":
            raise ValidationError("costs", "stops or limit orders",
                                  "the agent rebalances to target weights with market orders; drop stops/limits")

    @property
    def flat_action(self) -> int:
        """Index of the flat action (weight 0)."""
        return self.actions.index(0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (checkpoints keep it so a policy rebuilds its observation)."""
        return {
            "actions": list(self.actions), "episode_length": self.episode_length, "random_start": self.random_start,
            "reward": asdict(self.reward),
            "observation": {**asdict(self.observation), "features": asdict(self.observation.features)},
            "costs": self.costs.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnvironmentConfig:
        """Inverse of :meth:`to_dict`; unknown keys are refused by name."""
        data = dict(data)
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValidationError("environment config", unknown[0], f"use only {sorted(cls.__dataclass_fields__)}")
        if "actions" in data:
            data["actions"] = tuple(data["actions"])
        if isinstance(data.get("reward"), dict):
            data["reward"] = RewardWeights(**data["reward"])
        if isinstance(data.get("observation"), dict):
            observation = dict(data["observation"])
            if isinstance(observation.get("features"), dict):
                observation["features"] = _feature_settings(observation["features"])
            data["observation"] = ObservationSettings(**observation)
        if isinstance(data.get("costs"), dict):
            data["costs"] = BacktestConfig.from_dict(data["costs"])
        return cls(**data)


def _feature_settings(values: dict[str, Any]) -> FeatureSettings:
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return FeatureSettings(**values)
