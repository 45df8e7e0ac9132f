"""The portfolio and risk dashboard in a real headless Chromium: widgets render, a widget change
redraws the figures, no error on the page; a screenshot is saved either way."""

from __future__ import annotations

import pytest

from tests.dashboards.helpers import CSS, figure_state, open_dashboard, page_errors, select_option, trace, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_portfolio_risk_renders_and_follows_its_widgets(browser, seeded_voila, screenshot):
    seconds = open_dashboard(browser, seeded_voila, "portfolio_risk", figures=4, shot=screenshot)
    shot = screenshot("portfolio_risk")
    where = f"(screenshot {shot}, page drawn in {seconds:.1f} s)"

    assert browser.find_elements(CSS, ".jupyter-widgets"), f"no ipywidgets on the page {where}"
    assert len(browser.find_elements(CSS, ".widget-dropdown")) >= 3, f"dropdowns missing {where}"
    assert browser.find_elements(CSS, ".qlab-control-assets select option"), f"asset list missing {where}"
    assert browser.find_elements(CSS, ".qlab-control-period .widget-slider, .qlab-control-period"), where
    body = browser.find_element(CSS, "body").text
    assert "bundled real data, not synthetic" in body, f"the page must say its data are real and bundled {where}"

    before = figure_state(browser, "var")
    assert before and before["title"].startswith("1-day VaR 95%"), f"{before and before['title']} {where}"
    var_95 = trace(before, "VaR")["meta"]["value"]

    select_option(browser, "confidence", "99%")
    after = wait_for(lambda: (s := figure_state(browser, "var")) and s["title"] != before["title"] and s)
    assert after, f"the VaR figure did not change after choosing 99% {screenshot('portfolio_risk-var-stuck')}"
    assert after["title"].startswith("1-day VaR 99%"), after["title"]
    var_99 = trace(after, "VaR")["meta"]["value"]
    assert var_99 > var_95 > 0, (var_95, var_99)
    assert trace(after, "VaR")["x"][0] == pytest.approx(-var_99)
    assert "VaR 99%" in browser.find_element(CSS, ".qlab-tables").text, where

    weights_before = figure_state(browser, "weights")
    select_option(browser, "strategy", "minimum volatility")
    weights_after = wait_for(lambda: (s := figure_state(browser, "weights")) and "minimum volatility" in s["title"] and s)
    assert weights_after, f"the positions figure did not follow the strategy {screenshot('portfolio_risk-weights-stuck')}"
    assert trace(weights_after, "weight")["y"] != trace(weights_before, "weight")["y"]
    tables = browser.find_element(CSS, ".qlab-tables").text
    assert "minimum volatility" in tables and "VaR 99%" in tables, f"tables not updated {screenshot('tables')}"

    final = screenshot("portfolio_risk-after-changes")
    assert not page_errors(browser), f"errors on the page (screenshot {final}): {page_errors(browser)}"
