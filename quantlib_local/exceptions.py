"""Errors raised by quantlib_local.

Every error derives from :class:`QuantLabError` and its message says three things:
which field is wrong, the value it had, and how to fix it. The CLI prints the message
(never a traceback) and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class QuantLabError(Exception):
    """Base class of every error the package raises on purpose."""


class ValidationError(QuantLabError, ValueError):
    """An input does not satisfy its contract.

    Parameters
    ----------
    field
        Name of the argument, column or setting that is wrong.
    value
        The offending value (shortened in the message when long).
    fix
        What the caller should do instead.
    detail
        Optional extra sentence placed between the value and the fix.
    """

    def __init__(self, field: str, value: Any, fix: str, detail: str | None = None) -> None:
        self.field = field
        self.value = value
        self.fix = fix
        self.detail = detail
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        message = f"{field}={shown} is invalid"
        if detail:
            message += f": {detail}"
        message += f". Fix: {fix}"
        super().__init__(message)


class OHLCVValidationError(ValidationError):
    """A bar frame breaks the OHLCV contract (see :mod:`quantlib_local.data.contract`).

    Attributes
    ----------
    rule
        Short name of the broken rule, e.g. ``"high_below_low"``.
    first_timestamp
        First offending timestamp, or None when the rule is about the whole frame.
    count
        Number of offending rows.
    """

    def __init__(
        self,
        rule: str,
        field: str,
        value: Any,
        fix: str,
        *,
        first_timestamp: Any = None,
        count: int = 0,
        detail: str | None = None,
    ) -> None:
        self.rule = rule
        self.first_timestamp = first_timestamp
        self.count = count
        super().__init__(field, value, fix, detail)


class ConfigError(ValidationError):
    """A setting is missing, malformed, or a secret was put where secrets are not allowed."""


class DataSourceError(QuantLabError):
    """A data source (file, bundled dataset, exchange) could not deliver the requested data."""


class StorageError(QuantLabError):
    """The SQL store could not be reached or migrated."""
