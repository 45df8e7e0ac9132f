"""Without Chromium the browser tests fail, and say how to install it; they never skip."""

from __future__ import annotations

import pytest

from tests.dashboards.helpers import require_browser


def test_a_missing_chromium_fails_with_the_install_command(tmp_path):
    with pytest.raises(pytest.fail.Exception) as caught:
        require_browser(str(tmp_path / "chromium"), str(tmp_path / "chromedriver"))
    assert "apt-get install chromium chromium-driver" in str(caught.value)
