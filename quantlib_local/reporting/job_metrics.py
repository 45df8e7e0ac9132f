"""Key metrics a notebook hands to the nightly runner: :func:`publish_job_metrics`.

The nightly runner (``qlab nightly``) sets ``QLAB_JOB_METRICS`` to a file path before it
executes a notebook; a notebook that calls :func:`publish_job_metrics` writes its key
figures (and the hash of the data it read) there, and the runner stores them in the run
record and shows them in ``reports/index.html``. Outside the runner the call does nothing
but return None, so notebooks run the same interactively.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

from quantlib_local._atomic import atomic_write_text
from quantlib_local.exceptions import ValidationError

JOB_METRICS_ENV = "QLAB_JOB_METRICS"


def publish_job_metrics(metrics: Mapping[str, float | int | str | None], *, data_hash: str | None = None) -> Path | None:
    """Write ``metrics`` for the nightly runner when it is listening; return the file written (or None).

    Parameters
    ----------
    metrics
        Names to numbers (finite or None) or short strings, e.g. ``{"sharpe_ratio": 1.2}``.
    data_hash
        Fingerprint of the data the notebook read (e.g. ``backtest.provenance.data_fingerprint(bars)``).
    """
    if not isinstance(metrics, Mapping):
        raise ValidationError("metrics", type(metrics).__name__, "pass a mapping of metric names to values")
    clean: dict[str, float | int | str | None] = {}
    for name, value in metrics.items():
        if not isinstance(name, str):
            raise ValidationError("metrics key", name, "use string metric names")
        if hasattr(value, "item") and not isinstance(value, str):  # NumPy scalars
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        if value is not None and not isinstance(value, (int, float, str)):
            raise ValidationError(f"metrics[{name!r}]", value, "use a number, a short string or None")
        clean[name] = value
    if data_hash is not None and not isinstance(data_hash, str):
        raise ValidationError("data_hash", data_hash, "pass the hash as a string")
    target = os.environ.get(JOB_METRICS_ENV)
    if not target:
        return None
    return atomic_write_text(Path(target), json.dumps({"metrics": clean, "data_hash": data_hash}))
