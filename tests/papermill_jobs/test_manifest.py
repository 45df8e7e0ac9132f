"""The job manifest: defaults, validation by job and field, the shipped jobs.yaml."""

from __future__ import annotations

import pytest
import yaml

from papermill_jobs.manifest import DEFAULT_MANIFEST, JobSpec, load_manifest, parse_manifest
from quantlib_local.exceptions import ValidationError
from tests.conftest import REPO_ROOT


def test_defaults_apply_and_jobs_override() -> None:
    jobs = parse_manifest({"defaults": {"timeout": 60, "retries": 2},
                           "jobs": [{"name": "a", "notebook": "a.ipynb"},
                                    {"name": "b", "notebook": "b.ipynb", "retries": 0, "parameters": {"x": 1}}]})
    assert jobs[0] == JobSpec("a", "a.ipynb", timeout=60.0, retries=2)
    assert jobs[1].retries == 0 and jobs[1].parameters == {"x": 1} and jobs[1].schedule == "0 2 * * *"


@pytest.mark.parametrize(("document", "field"), [
    ({"jobs": []}, "jobs"),
    ({"jobs": [{"notebook": "a.ipynb"}]}, "jobs[0].name"),
    ({"jobs": [{"name": "a"}]}, "jobs[0].notebook"),
    ({"jobs": [{"name": "a", "notebook": "a.ipynb", "cron": "x"}]}, "jobs[0].cron"),
    ({"jobs": [{"name": "A b", "notebook": "a.ipynb"}]}, "jobs[].name"),
    ({"jobs": [{"name": "a", "notebook": "a.py"}]}, "notebook"),
    ({"jobs": [{"name": "a", "notebook": "a.ipynb", "schedule": "every night"}]}, "schedule"),
    ({"jobs": [{"name": "a", "notebook": "a.ipynb", "timeout": 0}]}, "timeout"),
    ({"jobs": [{"name": "a", "notebook": "a.ipynb", "retries": -1}]}, "retries"),
    ({"jobs": [{"name": "a", "notebook": "a.ipynb"}, {"name": "a", "notebook": "b.ipynb"}]}, "unique"),
    ({"defaults": {"name": "x"}, "jobs": [{"name": "a", "notebook": "a.ipynb"}]}, "defaults"),
])
def test_bad_manifests_name_the_field(document, field) -> None:
    with pytest.raises(ValidationError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_manifest(document)


def test_missing_or_malformed_file(tmp_path) -> None:
    with pytest.raises(ValidationError, match="manifest"):
        load_manifest(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("jobs: [\n")
    with pytest.raises(ValidationError, match="YAML"):
        load_manifest(tmp_path / "bad.yaml")


def test_shipped_manifest_covers_every_notebook_with_its_fast_parameters() -> None:
    jobs = {job.name: job for job in load_manifest(DEFAULT_MANIFEST)}
    notebooks = {path.name for path in (REPO_ROOT / "notebooks").glob("*.ipynb")}
    assert {job.notebook for job in jobs.values()} == notebooks
    for job in jobs.values():  # the demo parameters are the tested fast ones
        fast = yaml.safe_load((REPO_ROOT / "tests" / "notebooks" / "params" / job.notebook.replace(".ipynb", ".yaml"))
                              .read_text()) or {}
        assert job.parameters == fast, job.name
