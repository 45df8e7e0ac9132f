"""environment.yml mirrors pyproject.toml: same requirements, same Python."""

from __future__ import annotations

import tomllib

import yaml
from packaging.requirements import Requirement

from tests.conftest import REPO_ROOT


def _normalise(requirement: str) -> tuple[str, str, str]:
    parsed = Requirement(requirement)
    return parsed.name.lower().replace("_", "-"), ",".join(sorted(str(s) for s in parsed.specifier)), ",".join(sorted(parsed.extras))


def test_environment_yml_lists_exactly_the_pyproject_requirements():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    expected = {_normalise(d) for d in project["dependencies"]}
    for deps in project["optional-dependencies"].values():
        expected |= {_normalise(d) for d in deps}

    environment = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    listed = {_normalise(d) for d in pip_sections[0]}

    assert listed - expected == set(), f"in environment.yml but not pyproject.toml: {sorted(listed - expected)}"
    assert expected - listed == set(), f"in pyproject.toml but not environment.yml: {sorted(expected - listed)}"

    python = [d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == [f"python{project['requires-python']}"]
