"""Every notebook runs top to bottom through papermill with fast parameters, has a cell
tagged ``parameters``, and is committed without outputs.

Fast parameters for ``notebooks/NAME.ipynb`` live in ``tests/notebooks/params/NAME.yaml``
(a mapping; ``{}`` when the defaults are already fast). A notebook without that file fails
the suite, so a new notebook cannot skip being run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").rglob("*.ipynb"))
PARAMS = Path(__file__).parent / "params"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_parameterised(path):
    cells = _cells(path)
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert not any(cell.get("outputs") for cell in code), f"{path.name} has outputs; clear them before committing"
    assert not any(cell.get("execution_count") for cell in code), f"{path.name} has execution counts; clear them"
    tagged = [cell for cell in code if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one code cell tagged 'parameters'"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    import papermill

    params_file = PARAMS / f"{path.stem}.yaml"
    assert params_file.is_file(), f"add fast parameters for {path.name} in {params_file.relative_to(REPO_ROOT)}"
    parameters = yaml.safe_load(params_file.read_text()) or {}
    monkeypatch.setenv("QLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QLAB_REPORTS_DIR", str(tmp_path / "reports"))
    papermill.execute_notebook(
        str(path), str(tmp_path / path.name), parameters=parameters, cwd=str(path.parent),
        kernel_name="python3", progress_bar=False, execution_timeout=600,
    )
