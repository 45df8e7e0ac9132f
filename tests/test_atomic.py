"""Atomic writes: a failure mid-write leaves the old file and no temporary file."""

from __future__ import annotations

import pytest

from quantlib_local._atomic import atomic_write, atomic_write_text


def test_replaces_content_with_public_permissions(tmp_path):
    target = tmp_path / "sub" / "report.html"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_failure_mid_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "cache.parquet"
    atomic_write_text(target, "complete old content")

    def half_then_crash(tmp):
        tmp.write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_crash)
    assert target.read_text() == "complete old content"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.parquet"]
