"""``reports/index.html``: every nightly run, newest first, with status, reason and links.

Built from the run records in the store after each ``qlab nightly``; written atomically,
so a browser never sees half a page. Links are relative to the reports folder, so the
folder can be copied or served as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, select_autoescape

from quantlib_local._atomic import atomic_write_text

INDEX_FILE = "index.html"
STATUS_COLOURS = {"succeeded": "#1b7f3b", "failed": "#b3261e", "timed_out": "#b35c00"}

_TEMPLATE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Nightly reports</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222} table{border-collapse:collapse;width:100%}
th,td{padding:6px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#f4f4f4} .status{font-weight:600} .reason{color:#555;max-width:40em;white-space:pre-wrap}
.metrics{font-family:monospace;font-size:90%}
</style></head><body>
<h1>Nightly reports</h1>
<p>{{ runs|length }} run(s); last refreshed {{ refreshed }}. {{ summary }}</p>
<table id="runs">
<tr><th>date</th><th>job</th><th>status</th><th>attempts</th><th>duration</th><th>reason</th><th>key metrics</th>
<th>report</th></tr>
{% for run in runs %}<tr class="run" data-job="{{ run.job }}" data-status="{{ run.status }}">
<td>{{ run.scheduled_for.strftime('%Y-%m-%d %H:%M') }}</td><td>{{ run.job }}</td>
<td class="status" style="color:{{ colours.get(run.status, '#222') }}">{{ run.status }}</td>
<td>{{ run.attempts }}</td><td>{{ '%.1f'|format(run.duration_seconds) }} s</td>
<td class="reason">{{ run.reason or '' }}</td>
<td class="metrics">{% for name, value in (run.metrics or {}).items() %}{{ name }}={{ value if value is string
 else ('%.4g'|format(value) if value is not none else 'n/a') }}<br>{% endfor %}</td>
<td>{% if run.output_html %}<a href="{{ run.output_html }}">html</a>{% endif %}
{% if run.output_notebook %} <a href="{{ run.output_notebook }}">ipynb</a>{% endif %}</td></tr>
{% endfor %}</table></body></html>
"""


def render_index(runs: Sequence[Any]) -> str:
    """The index page for run records (objects with the fields of :class:`~papermill_jobs.runner.JobOutcome`)."""
    fields = ("job", "scheduled_for", "status", "attempts", "duration_seconds", "reason", "metrics", "output_html",
              "output_notebook")
    rows = [{name: getattr(run, name) for name in fields} for run in runs]
    for row in rows:  # the store gives a JobStatus enum, the runner a plain string
        row["status"] = getattr(row["status"], "value", row["status"])
    ordered = [SimpleNamespace(**row) for row in sorted(rows, key=lambda r: (r["scheduled_for"], r["job"]), reverse=True)]
    counts = {status: sum(run.status == status for run in ordered) for status in STATUS_COLOURS}
    summary = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in counts.items() if count)
    template = Environment(autoescape=select_autoescape(default=True)).from_string(_TEMPLATE)
    return template.render(runs=ordered, colours=STATUS_COLOURS, summary=summary,
                           refreshed=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")


def write_index(reports_dir: Path, runs: Sequence[Any]) -> Path:
    """Write ``<reports_dir>/index.html`` atomically and return its path."""
    return atomic_write_text(Path(reports_dir) / INDEX_FILE, render_index(runs))
