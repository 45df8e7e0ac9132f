"""Where a result came from: a content hash of the data, the version of the code, plain parameters."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quantlib_local import __version__
from quantlib_local.strategies.base import Strategy


def data_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame's values, index and column labels (same bars, same hash)."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update(repr(list(frame.columns)).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``<package version>+g<commit>[.dirty]`` inside a git checkout, else the package version."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return __version__
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        )
        suffix = ".dirty" if dirty.stdout.strip() else ""
        return f"{__version__}+g{commit.stdout.strip()}{suffix}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def plain_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON-ready values; nested strategies become ``{"strategy": name, "params": {...}}``."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Strategy):
            out[key] = {"strategy": value.name or type(value).__name__, "params": plain_params(value.get_params())}
        elif isinstance(value, (np.integer, np.floating)):
            out[key] = value.item()
        elif isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        else:
            out[key] = repr(value)
    return out
