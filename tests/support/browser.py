"""Debian's Chromium, driven by Selenium through Debian's chromedriver, kept on this
machine: no Selenium Manager download, no DNS, nothing beyond 127.0.0.1.

Where no browser is installed the tests skip, saying how to install one; in CI
(`CI=true`, or `PMTIP_REQUIRE_BROWSER=1`) a missing browser fails instead, so a
browser test can never pass by not running.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

INSTALL = "sudo apt-get install -y chromium chromium-driver"
WAIT_SECONDS = 20.0
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--window-size=1440,900",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true") or bool(
        os.environ.get("PMTIP_REQUIRE_BROWSER")
    )


def find_browser() -> tuple[str, str]:
    """(chromium, chromedriver), or skip (fail in CI) saying what to install."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [
        name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path
    ]
    if missing:
        reason = f"{' and '.join(missing)} not installed: {INSTALL}"
        if browser_required():
            pytest.fail(f"CI must run the browser tests, but {reason}")
        pytest.skip(reason)
    assert chromium and driver
    return chromium, driver


def start_chromium(profile: Path) -> Any:
    """A headless Chromium under Selenium (a selenium.webdriver.Chrome)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # the dev dependencies are not installed
        if browser_required():
            raise
        pytest.skip("selenium not installed: make setup")
    chromium, chromedriver = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # A driver path given: Selenium Manager is never asked to find (or fetch) one.
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def wait_until(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    """condition(driver)'s first truthy value; fails naming `what` after WAIT_SECONDS.
    The page swaps its parts in whole, so an element found a moment ago may be gone."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    waiting = WebDriverWait(
        driver,
        WAIT_SECONDS,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )
    try:
        return waiting.until(condition)
    except TimeoutException:
        raise AssertionError(f"the page never showed {what}") from None
