"""Browser tests of the Voila dashboards: a Voila server per store, a headless Chromium, screenshots.

The tests drive Debian's Chromium through Selenium with the system chromedriver, so nothing is
downloaded at test time. Without them the tests FAIL (they do not skip) and say how to install:
``apt-get install chromium chromium-driver`` and ``pip install selenium``.

Two Voila servers serve ``notebooks/dashboards/`` (``/voila/render/NAME.ipynb``), each with its own
temporary data folder: one whose store holds two SYNTHETIC paper deployments, one whose store is
empty. Screenshots land in ``<pytest tmp>/dashboard-screenshots/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.dashboards.helpers import INSTALL_HINT, PAGE_TIMEOUT, SEEDED_DEPLOYMENTS, VoilaServer, require_browser

DASHBOARDS = REPO_ROOT / "notebooks" / "dashboards"
CHROMIUM = os.environ.get("QLAB_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("QLAB_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_voila(folder: Path, *, database_url: str | None) -> VoilaServer:
    port = _free_port()
    log = folder / "voila.log"
    env = dict(os.environ)
    env.update(QLAB_DATA_DIR=str(folder / "data"), QLAB_REPORTS_DIR=str(folder / "reports"))
    env.pop("QLAB_DASHBOARD_DEMO", None)
    env.pop("QLAB_DASHBOARD_PRICES", None)
    if database_url is None:
        env.pop("QLAB_DATABASE_URL", None)
    else:
        env["QLAB_DATABASE_URL"] = database_url
    command = [
        sys.executable, "-m", "voila", str(DASHBOARDS), f"--port={port}", "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0", "--no-browser", "--show_tracebacks=True",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    server = VoilaServer(process, port, log, database_url or f"sqlite:///{folder / 'data' / 'qlab.sqlite'}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"voila exited with {process.returncode} before serving:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    _stop_voila(server)
    pytest.fail(f"voila did not answer on port {port} within 30 s:\n{server.log_tail()}")


def _stop_voila(server: VoilaServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()  # voila shuts its kernels down on SIGTERM
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def seeded_voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """Voila over a store holding the two SYNTHETIC deployments of ``SEEDED_DEPLOYMENTS`` and a SYNTHETIC scanner."""
    from quantlib_local.reporting.dashboards import seed_demo_deployment, seed_demo_scanner
    from quantlib_local.storage import open_database, upgrade_database

    folder = tmp_path_factory.mktemp("voila-seeded")
    url = f"sqlite:///{folder / 'store.sqlite'}"
    upgrade_database(url)
    engine = open_database(url)
    try:
        for seed, name in enumerate(SEEDED_DEPLOYMENTS, start=3):
            seed_demo_deployment(engine, name, seed=seed, end="2024-06-28 16:00")
        seed_demo_scanner(engine, n_ticks=1500, end="2024-06-28 16:00")
    finally:
        engine.dispose()
    server = _start_voila(folder, database_url=url)
    yield server
    _stop_voila(server)


@pytest.fixture(scope="session")
def empty_voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """Voila with the settings' default store in an empty data folder (nothing recorded)."""
    server = _start_voila(tmp_path_factory.mktemp("voila-empty"), database_url=None)
    yield server
    _stop_voila(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by the system chromedriver; fails with the install hint when absent."""
    require_browser(CHROMIUM, CHROMEDRIVER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,2600",
                     "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as error:  # a broken install: say what to do, not just the WebDriver message
        pytest.fail(f"cannot start Chromium ({type(error).__name__}: {error}): {INSTALL_HINT}", pytrace=False)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard-screenshots")


@pytest.fixture()
def screenshot(browser: Any, screenshot_dir: Path) -> Callable[[str], Path]:
    """``screenshot(name)`` saves the current page as ``<dir>/<name>.png`` and returns the path."""

    def take(name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        browser.save_screenshot(str(path))
        return path

    return take
