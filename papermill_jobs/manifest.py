"""The nightly job manifest: which notebooks run, with what, when, for how long.

A manifest is YAML::

    defaults:                 # optional; every job inherits these
      timeout: 900            # seconds for the whole notebook (killed beyond)
      retries: 1              # extra attempts after a failure or a timeout
      kernel: python3
    jobs:
      - name: volatility      # [a-z0-9_-]+, unique; names the report files
        notebook: volatility.ipynb      # relative to the notebooks folder
        schedule: "0 2 * * *"           # cron expression (UTC)
        parameters: {dataset: sp500}    # papermill parameters
        timeout: 600

:func:`load_manifest` checks every field and names the job and field of the first problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from croniter import croniter

from quantlib_local.exceptions import ValidationError

DEFAULT_MANIFEST = Path(__file__).with_name("jobs.yaml")
DEFAULT_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
"""Where relative notebook paths start: the repository's ``notebooks/``."""
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
KNOWN_FIELDS = {"name", "notebook", "schedule", "parameters", "timeout", "retries", "kernel"}


@dataclass(frozen=True)
class JobSpec:
    """One nightly job.

    Attributes
    ----------
    name
        Unique job name (lower case, digits, ``-`` and ``_``); the report files are ``<name>.ipynb/.html``.
    notebook
        Path of the notebook, relative to the notebooks folder (or absolute).
    schedule
        Cron expression, evaluated in UTC.
    parameters
        Papermill parameters; each must be defined in the notebook's ``parameters`` cell.
    timeout
        Seconds the whole run may take before it is killed.
    retries
        Extra attempts after a failure or a timeout.
    kernel
        Jupyter kernel name.
    """

    name: str
    notebook: str
    schedule: str = "0 2 * * *"
    parameters: dict[str, Any] = field(default_factory=dict)
    timeout: float = 900.0
    retries: int = 0
    kernel: str = "python3"

    def __post_init__(self) -> None:
        where = f"jobs[{self.name!r}]"
        if not isinstance(self.name, str) or not NAME_PATTERN.match(self.name):
            raise ValidationError("jobs[].name", self.name, "use lower-case letters, digits, '-' and '_'")
        if not isinstance(self.notebook, str) or not self.notebook.endswith(".ipynb"):
            raise ValidationError(f"{where}.notebook", self.notebook, "give the path of an .ipynb notebook")
        if not isinstance(self.schedule, str) or not croniter.is_valid(self.schedule):
            raise ValidationError(f"{where}.schedule", self.schedule, "use a cron expression such as '0 2 * * *'")
        if not isinstance(self.parameters, dict) or not all(isinstance(k, str) for k in self.parameters):
            raise ValidationError(f"{where}.parameters", self.parameters, "give a mapping of parameter names to values")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or not 0 < self.timeout <= 86_400:
            raise ValidationError(f"{where}.timeout", self.timeout, "use seconds in (0, 86400]")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or not 0 <= self.retries <= 10:
            raise ValidationError(f"{where}.retries", self.retries, "use a whole number from 0 to 10")
        if not isinstance(self.kernel, str) or not self.kernel:
            raise ValidationError(f"{where}.kernel", self.kernel, "name an installed Jupyter kernel such as python3")

    def notebook_path(self, notebooks_dir: Path) -> Path:
        """The notebook's path, relative paths taken from ``notebooks_dir``."""
        path = Path(self.notebook)
        return path if path.is_absolute() else notebooks_dir / path


def load_manifest(path: str | Path = DEFAULT_MANIFEST) -> list[JobSpec]:
    """The jobs of a manifest file, in file order (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError("manifest", str(path), "give the path of a YAML job manifest such as papermill_jobs/jobs.yaml")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ValidationError("manifest", str(path), f"fix the YAML ({error})") from None
    return parse_manifest(document)


def parse_manifest(document: Any) -> list[JobSpec]:
    """Jobs from a parsed manifest document."""
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), list) or not document["jobs"]:
        raise ValidationError("jobs", None if not isinstance(document, dict) else document.get("jobs"),
                              "give a non-empty list under 'jobs:'")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - (KNOWN_FIELDS - {"name", "notebook"}):
        raise ValidationError("defaults", defaults, f"use only {sorted(KNOWN_FIELDS - {'name', 'notebook'})}")
    jobs = []
    for position, entry in enumerate(document["jobs"]):
        if not isinstance(entry, dict):
            raise ValidationError(f"jobs[{position}]", entry, "give each job as a mapping with name and notebook")
        unknown = sorted(set(entry) - KNOWN_FIELDS)
        if unknown:
            raise ValidationError(f"jobs[{position}].{unknown[0]}", entry[unknown[0]], f"use only {sorted(KNOWN_FIELDS)}")
        for required in ("name", "notebook"):
            if required not in entry:
                raise ValidationError(f"jobs[{position}].{required}", None, f"give the job a {required}")
        merged = {**defaults, **entry}
        if isinstance(merged.get("timeout"), int) and not isinstance(merged.get("timeout"), bool):
            merged["timeout"] = float(merged["timeout"])
        jobs.append(JobSpec(**merged))
    names = [job.name for job in jobs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValidationError("jobs[].name", duplicates[0], "give every job a unique name")
    return jobs
