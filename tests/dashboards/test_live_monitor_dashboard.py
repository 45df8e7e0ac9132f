"""The live monitor in a real headless Chromium: deployments of the store in a Dropdown with their
guard status, switching redraws the equity curve, Refresh and auto-refresh re-read the store, an
empty store says so."""

from __future__ import annotations

import pytest

from quantlib_local.reporting.dashboards import NO_DEPLOYMENTS_MESSAGE, seed_demo_deployment
from quantlib_local.storage import open_database
from tests.dashboards.helpers import (
    CSS,
    SEEDED_DEPLOYMENTS,
    figure_state,
    open_dashboard,
    page_errors,
    select_option,
    trace,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _options(browser) -> list[str]:
    """The Dropdown's option texts, read in one script (the widget re-renders them on refresh)."""
    return browser.execute_script(
        "const s = document.querySelector('.qlab-control-deployment select');"
        "return s ? Array.from(s.options).map(o => o.text) : [];"
    )


def _seed(server, name: str, seed: int) -> None:
    engine = open_database(server.database_url)
    try:
        seed_demo_deployment(engine, name, seed=seed, end="2024-06-28 16:00")
    finally:
        engine.dispose()


def test_live_monitor_shows_each_deployment_and_refreshes(browser, seeded_voila, screenshot):
    seconds = open_dashboard(browser, seeded_voila, "live_monitor", figures=1, shot=screenshot)
    shot = screenshot("live_monitor")
    where = f"(screenshot {shot}, page drawn in {seconds:.1f} s)"

    assert browser.find_elements(CSS, ".jupyter-widgets .widget-dropdown"), f"no Dropdown {where}"
    assert browser.find_elements(CSS, ".qlab-control-refresh button, button.qlab-control-refresh"), where
    assert _options(browser) == list(SEEDED_DEPLOYMENTS), where
    first, second = SEEDED_DEPLOYMENTS
    assert "SYNTHETIC paper deployment" in browser.find_element(CSS, ".qlab-banner").text, where
    assert "partially_filled" in browser.find_element(CSS, ".qlab-table-open-orders").text, where
    assert browser.find_elements(CSS, ".qlab-table-recent-fills tbody tr"), f"no fills shown {where}"
    assert browser.find_elements(CSS, ".qlab-table-positions tbody tr"), f"no positions shown {where}"
    guards = browser.find_elements(CSS, ".qlab-table-guards tbody tr")
    assert len(guards) == 4, f"{len(guards)} guard rows, expected one per risk guard {where}"
    assert "max_drawdown" in browser.find_element(CSS, ".qlab-table-guards").text, where
    opportunities = browser.find_elements(CSS, ".qlab-table-opportunities tbody tr")
    assert opportunities, f"no arbitrage opportunities shown {where}"
    assert "synthetic-scanner" in browser.find_element(CSS, ".qlab-table-opportunities").text, where
    before = figure_state(browser, "equity")
    assert before and f"SYNTHETIC {first}" in before["title"], f"{before and before['title']} {where}"

    select_option(browser, "deployment", second)
    after = wait_for(lambda: (s := figure_state(browser, "equity")) and second in s["title"] and s)
    assert after, f"the equity curve did not switch to {second} {screenshot('live_monitor-switch-stuck')}"
    assert trace(after, "equity")["y"] != trace(before, "equity")["y"]

    _seed(seeded_voila, "synthetic-late-paper", 5)
    browser.find_element(CSS, ".qlab-control-refresh").click()
    listed = wait_for(lambda: "synthetic-late-paper" in _options(browser))
    assert listed, f"Refresh did not re-read the store: {_options(browser)} {screenshot('live_monitor-refresh')}"
    selected = browser.execute_script("return document.querySelector('.qlab-control-deployment select').value;")
    assert selected == second, "Refresh must keep the selected deployment"

    _seed(seeded_voila, "synthetic-later-paper", 6)
    browser.find_element(CSS, ".qlab-control-auto-refresh input[type=checkbox]").click()
    listed = wait_for(lambda: "synthetic-later-paper" in _options(browser))
    assert listed, f"auto-refresh did not re-read the store {screenshot('live_monitor-auto-refresh')}"

    final = screenshot("live_monitor-after-changes")
    assert not page_errors(browser), f"errors on the page (screenshot {final}): {page_errors(browser)}"


def test_live_monitor_says_when_the_store_is_empty(browser, empty_voila, screenshot):
    seconds = open_dashboard(browser, empty_voila, "live_monitor", figures=1, shot=screenshot)
    shot = screenshot("live_monitor-empty")
    banner = browser.find_element(CSS, ".qlab-banner").text
    assert NO_DEPLOYMENTS_MESSAGE in banner, f"{banner!r} (screenshot {shot}, drawn in {seconds:.1f} s)"
    assert _options(browser) == []
    assert not page_errors(browser), f"errors on the page (screenshot {shot}): {page_errors(browser)}"
