"""Without Chromium the browser tests skip and say what to install; in CI they fail,
so that they can never pass by not running."""

from __future__ import annotations

import pytest

from tests.support import browser


@pytest.fixture
def no_browser(monkeypatch):
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PMTIP_REQUIRE_BROWSER", raising=False)


def test_without_a_browser_the_tests_skip_saying_how_to_install_it(no_browser):
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium chromium-driver"):
        browser.find_browser()


@pytest.mark.parametrize("variable", ["CI", "PMTIP_REQUIRE_BROWSER"])
def test_in_ci_a_missing_browser_fails(no_browser, monkeypatch, variable):
    monkeypatch.setenv(variable, "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        browser.find_browser()
