"""Run one notebook in this process: ``python -m papermill_jobs.execute TASK.json``.

The nightly runner starts one such process per attempt, in its own session, so a job
that hangs or crashes can be killed (with its kernel) without touching the others. The
task file names the notebook, the output paths, the parameters, the kernel and the
working folder; the process executes the notebook with papermill, renders the output
notebook (complete or up to the failing cell) to HTML, and writes ``{"status", "reason"}``
to the task's ``result`` path. Exit status 0 on success, 1 on failure.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path

from quantlib_local._atomic import atomic_write_text


def render_html(notebook: Path, html: Path) -> None:
    """The executed notebook as a standalone HTML page."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    atomic_write_text(html, body)


def failure_reason(error: BaseException) -> str:
    """One line saying what failed: the notebook's exception name and message when there is one."""
    name, value = getattr(error, "ename", None), getattr(error, "evalue", None)
    if name:
        return f"{name}: {value}" if value else str(name)
    return f"{type(error).__name__}: {error}"


def main(task_path: str) -> int:
    import papermill

    task = json.loads(Path(task_path).read_text())
    status, reason = "succeeded", None
    try:
        papermill.execute_notebook(
            task["notebook"], task["output_notebook"], parameters=task["parameters"], kernel_name=task["kernel"],
            cwd=task["cwd"], progress_bar=False, log_output=False,
        )
    except Exception as error:  # the notebook's own failure: report it, keep the partial output
        status, reason = "failed", failure_reason(error)
        logging.getLogger(__name__).debug("notebook failed:\n%s", traceback.format_exc())
    try:
        if Path(task["output_notebook"]).is_file():
            render_html(Path(task["output_notebook"]), Path(task["output_html"]))
    except Exception as error:  # a rendering failure must not hide the run's own status
        reason = reason or f"HTML rendering failed: {failure_reason(error)}"
    atomic_write_text(Path(task["result"]), json.dumps({"status": status, "reason": reason}))
    return 0 if status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
