"""Notebooks built in the test that succeed, fail, hang or fail once on purpose."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest


def write_notebook(path: Path, parameters: str, body: str) -> Path:
    """A notebook with a ``parameters`` cell and one code cell."""
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    notebook.cells = [cell, nbformat.v4.new_code_cell(body)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


@pytest.fixture()
def notebooks(tmp_path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder / "ok.ipynb", "value = 1", (
        "from quantlib_local.reporting.job_metrics import publish_job_metrics\n"
        "print('value is', value)\n"
        "publish_job_metrics({'value': value * 2, 'label': 'fine'}, data_hash='abc123')"))
    write_notebook(folder / "broken.ipynb", "value = 1", "raise ValueError('deliberately broken: ' + str(value))")
    write_notebook(folder / "hangs.ipynb", "seconds = 120", "import time\ntime.sleep(seconds)")
    write_notebook(folder / "flaky.ipynb", "marker = ''", (
        "from pathlib import Path\n"
        "if not Path(marker).exists():\n"
        "    Path(marker).write_text('tried')\n"
        "    raise RuntimeError('first attempt fails')"))
    return folder
