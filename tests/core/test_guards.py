"""GuardCheck validates what a guard reports; GuardStatus orders by severity."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from quantlib_local.core import GuardCheck, GuardStatus
from quantlib_local.exceptions import ValidationError

NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)


def test_status_strings_become_members_and_severity_orders_them():
    check = GuardCheck("max_drawdown", "tripped", 0.1, 0.08, NOW, "over")
    assert check.status is GuardStatus.TRIPPED
    assert [s.severity for s in (GuardStatus.OK, GuardStatus.WARNING, GuardStatus.TRIPPED)] == [0, 1, 2]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", "ok", 0.0, 0.1, NOW), "guard"),
        (("g", "broken", 0.0, 0.1, NOW), "status"),
        (("g", "ok", float("nan"), 0.1, NOW), "value"),
        (("g", "ok", 0.0, float("inf"), NOW), "limit"),
        (("g", "ok", 0.0, 0.1, datetime(2024, 3, 1)), "checked_at"),
        (("g", "ok", 0.0, 0.1, "2024-03-01"), "checked_at"),
        (("g", "ok", 0.0, 0.1, NOW, 3), "message"),
    ],
)
def test_bad_fields_are_named(args, field):
    with pytest.raises(ValidationError) as caught:
        GuardCheck(*args)
    assert caught.value.field == field
