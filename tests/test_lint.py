"""The code base stays free of unused imports, undefined names and unsorted imports (ruff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    completed = subprocess.run(
        [str(ruff), "check", "quantlib_local", "live", "papermill_jobs", "benchmarks", "tests", "notebooks"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
