"""Parameter types shared by the subcommands."""

from __future__ import annotations

import click
import pandas as pd


class UtcTimestamp(click.ParamType):
    """A date or datetime on the command line, read as UTC."""

    name = "timestamp"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> pd.Timestamp:
        if isinstance(value, pd.Timestamp):
            return value
        try:
            stamp = pd.Timestamp(str(value))
        except (ValueError, TypeError):
            self.fail(f"{value!r} is not a date. Fix: use ISO-8601 such as 2024-01-31 or 2024-01-31T12:00", param, ctx)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


UTC_TIMESTAMP = UtcTimestamp()
