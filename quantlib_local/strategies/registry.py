"""Strategies by name, so that a CLI argument or a manifest can name one.

Built-in strategies register themselves with :func:`register_strategy`; any other
strategy is named by its import path ``package.module:ClassName``.
"""

from __future__ import annotations

import importlib
import logging

from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies.base import Strategy

logger = logging.getLogger(__name__)
_REGISTRY: dict[str, type[Strategy]] = {}


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make ``cls`` resolvable by ``cls.name``."""
    if not cls.name:
        raise ValidationError(f"{cls.__name__}.name", cls.name, "give the strategy class a short registry name")
    _REGISTRY[cls.name] = cls
    return cls


def available_strategies() -> dict[str, type[Strategy]]:
    """Registered strategies by name (a copy)."""
    import quantlib_local.strategies  # noqa: F401  (registers the built-ins)

    try:  # rl_policy and its baselines live with the agents (needs the rl extra: torch, gymnasium)
        import quantlib_local.rl  # noqa: F401
    except ImportError as error:
        logger.debug("RL strategies unavailable: %s", error)

    return dict(sorted(_REGISTRY.items()))


def resolve_strategy(name: str) -> type[Strategy]:
    """The strategy class called ``name`` (registry name or ``module:Class`` path)."""
    registered = available_strategies()
    if name in registered:
        return registered[name]
    if ":" in name:
        module_name, _, attribute = name.partition(":")
        try:
            candidate = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise ValidationError("strategy", name, "give an importable path such as mypkg.signals:MyStrategy") from error
        if isinstance(candidate, type) and issubclass(candidate, Strategy):
            return candidate
        raise ValidationError("strategy", name, "point at a subclass of quantlib_local.strategies.Strategy")
    raise ValidationError("strategy", name, f"use one of {sorted(registered)} or a module:Class path")
