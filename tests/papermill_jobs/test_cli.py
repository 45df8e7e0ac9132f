"""`qlab nightly` end to end: run records in the store, the index, due jobs, exit status."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from quantlib_local.cli import cli
from quantlib_local.storage import load_nightly_runs, open_database, session_scope


def _manifest(tmp_path, jobs) -> str:
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"timeout": 60, "retries": 0}, "jobs": jobs}))
    return str(path)


def _invoke(tmp_path, monkeypatch, notebooks, manifest, *extra):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QLAB_DATABASE_URL", raising=False)
    return CliRunner().invoke(cli, ["nightly", "--manifest", manifest, "--notebooks-dir", str(notebooks),
                                    "--reports-dir", str(tmp_path / "reports"), "--no-progress", *extra])


def test_all_jobs_publish_records_and_index_and_failure_exits_1(notebooks, tmp_path, monkeypatch) -> None:
    manifest = _manifest(tmp_path, [{"name": "ok", "notebook": "ok.ipynb", "parameters": {"value": 2}},
                                    {"name": "broken", "notebook": "broken.ipynb"}])
    result = _invoke(tmp_path, monkeypatch, notebooks, manifest, "--all")
    assert result.exit_code == 1, result.output
    assert "succeeded" in result.output and "ValueError: deliberately broken" in result.output
    index = (tmp_path / "reports" / "index.html").read_text()
    assert 'data-job="ok" data-status="succeeded"' in index and 'data-job="broken" data-status="failed"' in index
    with session_scope(open_database(f"sqlite:///{tmp_path / '.qlab' / 'qlab.sqlite'}")) as session:
        runs = {run.job: run for run in load_nightly_runs(session)}
    assert runs["ok"].metrics == {"value": 4, "label": "fine"} and runs["ok"].data_hash == "abc123"
    assert runs["broken"].status.value == "failed" and "deliberately broken" in runs["broken"].reason


def test_due_jobs_run_once_then_nothing_is_due(notebooks, tmp_path, monkeypatch) -> None:
    manifest = _manifest(tmp_path, [{"name": "ok", "notebook": "ok.ipynb", "schedule": "0 2 * * *"}])
    first = _invoke(tmp_path, monkeypatch, notebooks, manifest)
    assert first.exit_code == 0, first.output and "succeeded" in first.output
    second = _invoke(tmp_path, monkeypatch, notebooks, manifest)
    assert second.exit_code == 0 and "no job is due" in second.output


def test_one_named_job_and_unknown_names(notebooks, tmp_path, monkeypatch) -> None:
    manifest = _manifest(tmp_path, [{"name": "ok", "notebook": "ok.ipynb"}, {"name": "broken", "notebook": "broken.ipynb"}])
    result = _invoke(tmp_path, monkeypatch, notebooks, manifest, "--job", "ok")
    assert result.exit_code == 0 and "broken" not in result.output
    bad = _invoke(tmp_path, monkeypatch, notebooks, manifest, "--job", "nope")
    assert bad.exit_code == 2 and "--job" in bad.output and "Traceback" not in bad.output


def test_help() -> None:
    result = CliRunner().invoke(cli, ["nightly", "--help"])
    assert result.exit_code == 0 and "--schedule" in result.output


def test_an_unmigrated_store_fails_before_any_job_runs(notebooks, tmp_path, monkeypatch) -> None:
    manifest = _manifest(tmp_path, [{"name": "ok", "notebook": "ok.ipynb"}])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    result = CliRunner().invoke(cli, ["nightly", "--manifest", manifest, "--notebooks-dir", str(notebooks),
                                      "--reports-dir", str(tmp_path / "reports"), "--all", "--no-progress"])
    assert result.exit_code == 2 and "qlab db upgrade" in result.output
    assert not (tmp_path / "reports").exists()
