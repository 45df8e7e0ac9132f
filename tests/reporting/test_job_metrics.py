"""publish_job_metrics: silent outside the nightly runner, clean JSON inside it, bad input named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.reporting.job_metrics import JOB_METRICS_ENV, publish_job_metrics


def test_no_op_outside_the_runner(monkeypatch) -> None:
    monkeypatch.delenv(JOB_METRICS_ENV, raising=False)
    assert publish_job_metrics({"sharpe_ratio": 1.0}) is None


def test_writes_clean_json_for_the_runner(monkeypatch, tmp_path) -> None:
    target = tmp_path / "metrics.json"
    monkeypatch.setenv(JOB_METRICS_ENV, str(target))
    written = publish_job_metrics({"sharpe": np.float64(1.5), "trades": np.int64(3), "nan": float("nan"),
                                   "gate": "passed", "none": None}, data_hash="ab12")
    assert written == target
    assert json.loads(target.read_text()) == {
        "metrics": {"sharpe": 1.5, "trades": 3, "nan": None, "gate": "passed", "none": None}, "data_hash": "ab12"}


@pytest.mark.parametrize(("metrics", "kwargs", "field"), [
    ([1, 2], {}, "metrics"),
    ({1: 2.0}, {}, "metrics key"),
    ({"x": [1, 2]}, {}, "metrics"),
    ({"x": 1.0}, {"data_hash": 5}, "data_hash"),
])
def test_bad_input_is_named(metrics, kwargs, field) -> None:
    with pytest.raises(ValidationError, match=field):
        publish_job_metrics(metrics, **kwargs)
