"""Helpers of the dashboard browser tests: the Voila server handle, opening a page, reading a figure,
finding errors on the page and waiting for a change."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CSS = "css selector"
"""Selenium's ``By.CSS_SELECTOR``, spelled out so the tests import selenium only through the fixture."""

INSTALL_HINT = (
    "the dashboard browser tests need Chromium and its driver: install them with "
    "`apt-get install chromium chromium-driver` (or point QLAB_TEST_CHROMIUM / QLAB_TEST_CHROMEDRIVER at them), "
    "and Selenium with `pip install selenium`"
)

PAGE_TIMEOUT = 90  # generous: a loaded 2-core machine runs Voila, its kernel and Chromium at once
"""Seconds a dashboard may take to draw its figures (kernel start, imports, first render)."""

SEEDED_DEPLOYMENTS = ("synthetic-rebalance-paper", "synthetic-trend-paper")
"""The SYNTHETIC deployments in the store of the ``seeded_voila`` fixture, sorted."""

ERROR_MARKERS = (
    "Traceback (most recent call last)",
    "There was an error when executing cell",
    "Error displaying widget",
    "Kernel died",
)
"""Texts that mean a cell, a callback or a widget failed on the page."""


@dataclass
class VoilaServer:
    """A running ``voila notebooks/dashboards`` and what it was started with."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    database_url: str

    def url(self, dashboard: str) -> str:
        return f"http://127.0.0.1:{self.port}/voila/render/{dashboard}.ipynb"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def require_browser(chromium: str, chromedriver: str) -> None:
    """Fail (never skip) with :data:`INSTALL_HINT` when Chromium, its driver or selenium is missing."""
    missing = [path for path in (chromium, chromedriver) if not (Path(path).is_file() or shutil.which(path))]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: {INSTALL_HINT}", pytrace=False)
    try:
        import selenium  # noqa: F401
    except ImportError as error:
        pytest.fail(f"selenium is not installed ({error}): {INSTALL_HINT}", pytrace=False)


def page_errors(browser: Any) -> list[str]:
    """Error texts on the page: stderr outputs with a traceback, Voila's cell errors, widget errors."""
    found = []
    for element in browser.find_elements(
        CSS, '[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output.jp-mod-error'
    ):
        text = element.text
        if "Traceback" in text or "Error" in text:
            found.append(text[:2000])
    body = browser.find_element(CSS, "body").text
    found.extend(f"page text contains {marker!r}" for marker in ERROR_MARKERS if marker in body)
    return found


def drawn_figures(browser: Any) -> int:
    """How many plotly figures of the dashboard are drawn (have data and an SVG)."""
    return int(browser.execute_script(
        "return Array.from(document.querySelectorAll('.qlab-dashboard .js-plotly-plot'))"
        ".filter(p => p.data && p.querySelector('.main-svg')).length;"
    ))


def open_dashboard(browser: Any, server: VoilaServer, dashboard: str, *, figures: int,
                   shot: Callable[[str], Path]) -> float:
    """Load a dashboard, wait until ``figures`` plotly figures are drawn, return the seconds it took.

    Fails at once when the page shows an error, and after :data:`PAGE_TIMEOUT` seconds otherwise,
    with a screenshot path and the tail of the Voila log in the message.
    """
    started = time.monotonic()
    browser.get(server.url(dashboard))
    while time.monotonic() - started < PAGE_TIMEOUT:
        errors = page_errors(browser)
        if errors:
            path = shot(f"{dashboard}-error")
            pytest.fail(f"{dashboard} shows errors (screenshot {path}):\n" + "\n".join(errors)
                        + f"\nvoila log:\n{server.log_tail()}")
        if drawn_figures(browser) >= figures:
            return time.monotonic() - started
        time.sleep(0.25)
    path = shot(f"{dashboard}-timeout")
    pytest.fail(f"{dashboard} did not draw {figures} figures within {PAGE_TIMEOUT} s (screenshot {path})\n"
                f"voila log:\n{server.log_tail()}")


def figure_state(browser: Any, name: str) -> dict[str, Any] | None:
    """Title and traces of the plotly figure in ``.qlab-figure-NAME``, as the browser holds them."""
    return browser.execute_script(
        """
        const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');
        if (!plot || !plot.data) { return null; }
        const title = plot.layout && plot.layout.title ? (plot.layout.title.text || '') : '';
        return {title: title, traces: plot.data.map(t => ({name: t.name || '', meta: t.meta || null,
                x: Array.from(t.x || []).slice(0, 400), y: Array.from(t.y || []).slice(0, 400)}))};
        """,
        f".qlab-figure-{name}",
    )


def trace(state: dict[str, Any], starts_with: str) -> dict[str, Any]:
    """The first trace of a :func:`figure_state` whose name starts with ``starts_with``."""
    for candidate in state["traces"]:
        if candidate["name"].startswith(starts_with):
            return candidate
    raise AssertionError(f"no trace named {starts_with}... in {[t['name'] for t in state['traces']]}")


def wait_for(condition: Callable[[], Any], *, timeout: float = 60) -> Any:
    """Poll ``condition`` until it returns something truthy; return its last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(0.2)
        value = condition()
    return value


def select_option(browser: Any, control: str, visible_text: str) -> None:
    """Choose ``visible_text`` in the ``<select>`` of the dashboard control ``.qlab-control-CONTROL``."""
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(CSS, f".qlab-control-{control} select")).select_by_visible_text(visible_text)
