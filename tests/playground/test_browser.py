"""The playground in real Chromium: what a newcomer does in the page, end to end,
through the real app. One browser for the module, a fresh playground per test.

Every run saves a screenshot of the page to test-artifacts/playground.png (and one
per failing test); `make screenshot` (PMTIP_UPDATE_SCREENSHOT=1) also refreshes the
README's docs/playground.png.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.playground.config import MEMBER
from bot.playground.server import PlaygroundServer
from tests.support.browser import start_chromium, wait_until
from tests.support.playground import (
    REPO_ROOT,
    TIPS,
    copy_tips,
    offer_new_button,
    running_playground,
)

ARTIFACTS = REPO_ROOT / "test-artifacts"
README_SCREENSHOT = REPO_ROOT / "docs" / "playground.png"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[Any]:
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def playground(tmp_path) -> Iterator[PlaygroundServer]:
    with running_playground(tmp_path, tips=copy_tips(tmp_path / "content")) as server:
        yield server


@pytest.fixture
def page(chromium, playground, request) -> Iterator[Any]:
    failures_before = request.session.testsfailed
    chromium.get(f"{playground.base_url}/")
    wait_until(chromium, lambda d: d.find_element("css selector", "[data-testid=composer]"), "")
    yield chromium
    if request.session.testsfailed > failures_before:  # the call phase is logged by now
        ARTIFACTS.mkdir(exist_ok=True)
        chromium.save_screenshot(str(ARTIFACTS / f"failed-{request.node.name}.png"))


def find(driver: Any, selector: str) -> list[Any]:
    return driver.find_elements("css selector", selector)


def first(driver: Any, selector: str) -> Any:
    """The first element the selector finds, or None (waits keep asking)."""
    found = find(driver, selector)
    return found[0] if found else None


def text(driver: Any, selector: str) -> str:
    """The text of the first element the selector finds ("" while none): read inside a
    wait, since a swap of the page can make any element stale between two calls."""
    found = first(driver, selector)
    return found.text if found else ""


def send(driver: Any, text: str, composer: str = "composer") -> None:
    box = find(driver, f"[data-testid={composer}]")[0]
    box.send_keys(text)
    box.submit()


def click(driver: Any, selector: str) -> None:
    wait_until(driver, lambda d: find(d, selector) and find(d, selector)[-1], selector).click()


def messages(driver: Any, selector: str = "[data-testid=channel] [data-testid=message]") -> list:
    return find(driver, selector)


def last_text(driver: Any) -> str:
    """The text of the channel's last message shown, or "" while there is none."""
    shown = messages(driver)
    return shown[-1].text if shown else ""


def header_of(message: Any) -> str:
    return message.find_element("css selector", ".bk-header").text


def catalogue_titles(server: PlaygroundServer, topic: str) -> set[str]:
    return {t.title for t in server.playground.parts.catalogue.current().tips_in(topic)}


def test_a_typed_command_shows_the_tip_only_to_the_person(page, playground):
    send(page, "/pmtip ai-failure")
    reply = wait_until(page, lambda d: messages(d) and messages(d)[-1], "a reply")
    assert "Only visible to you" in reply.text
    assert "/pmtip ai-failure" in reply.text
    assert header_of(reply) in catalogue_titles(playground, "ai-failure")
    assert reply.find_elements("css selector", "[data-action-id=pmtip_share].bk-button--primary")


def test_another_tip_shows_a_different_tip_of_the_topic(page, playground):
    send(page, "/pmtip ai-failure")
    first = header_of(wait_until(page, lambda d: messages(d) and messages(d)[-1], "a reply"))
    click(page, "[data-action-id=pmtip_another]")
    second = wait_until(
        page,
        lambda d: (title := header_of(messages(d)[-1])) != first and title,
        "a different tip",
    )
    assert second in catalogue_titles(playground, "ai-failure")
    assert len(messages(page)) == 1  # replaced in place, as Slack does


def test_no_match_offers_topic_buttons_and_one_opens_a_tip_in_place(page, playground):
    send(page, "/pmtip mot")
    wait_until(page, lambda d: "couldn't find" in last_text(d), "the no-match reply")
    click(page, "[data-action-id='pmtip_topic.0']")
    title = wait_until(
        page,
        lambda d: (found := first(d, "[data-testid=message] .bk-header")) and found.text,
        "a moat tip in place of the offer",
    )
    assert title in catalogue_titles(playground, "moat")
    assert len(messages(page)) == 1  # replaced in place, as Slack does


def test_share_posts_the_tip_in_the_channel_attributed_to_the_person(page):
    send(page, "/pmtip ai-failure")
    click(page, "[data-action-id=pmtip_share]")
    shared = wait_until(
        page, lambda d: text(d, "[data-testid=message][data-ephemeral=false]"), "the shared tip"
    )
    assert "Shared by @Maya with /pmtip" in shared and "Only visible to you" not in shared
    wait_until(
        page, lambda d: "You shared" in text(d, "[data-ephemeral=true]"), "the reply replaced"
    )


def test_subscribe_then_advance_the_clock_and_see_exactly_one_weekly_post(page):
    click(page, "[data-testid=as-admin]")
    wait_until(page, lambda d: find(d, "[data-testid=tips-panel]"), "the admin's panel")
    send(page, "/pmtip subscribe")
    wait_until(page, lambda d: "Subscribed" in last_text(d), "the subscription")
    before = wait_until(
        page, lambda d: first(d, "[data-testid=clock]").get_attribute("datetime"), ""
    )
    click(page, "[data-testid=clock-slot]")
    report = wait_until(page, lambda d: text(d, "[data-testid=clock-report]"), "the clock's report")
    assert "posted 1," in report and re.search(r"posted: CPLAYGROUND \d{4}-W\d\d", report)
    weekly = wait_until(page, lambda d: [m.text for m in find(d, "[data-weekly=true]")], "a post")
    assert len(weekly) == 1 and "PM insight of the week" in weekly[0]
    after = wait_until(
        page, lambda d: first(d, "[data-testid=clock]").get_attribute("datetime"), ""
    )
    assert after > before
    send(page, "/pmtip schedule")
    wait_until(page, lambda d: "Last posted" in last_text(d), "the schedule's last post")
    assert len(messages(page, "[data-testid=channel] [data-weekly=true]")) == 1


def test_the_home_tab_as_an_admin_shows_the_catalogue_state(page):
    click(page, "[data-testid=as-admin]")
    wait_until(page, lambda d: find(d, "[data-testid=tips-panel]"), "the admin's panel")
    click(page, "[data-testid=nav-home]")
    home = wait_until(page, lambda d: text(d, "[data-testid=home-view]"), "the Home tab")
    assert "tips.yaml" in home and "Topics" in home
    assert find(page, "[data-testid=home-view] button[data-action-id^=pmtip_home_topic]")


def test_any_button_the_bot_sends_can_be_clicked(page, playground):
    """The page clicks whatever button a message carries, not a list of known ones."""
    received = offer_new_button(playground, to=MEMBER, action_id="pmtip_new.3", value="okr")
    click(page, "[data-testid=nav-dm]")
    click(page, '[data-testid=dm] button[data-action-id="pmtip_new.3"]')
    wait_until(page, lambda d: "clicked okr" in text(d, "[data-testid=dm]"), "the app's answer")
    assert [body["actions"][0]["action_id"] for body in received] == ["pmtip_new.3"]


def test_a_broken_tips_file_shows_its_problem_by_line_while_tips_keep_coming(page, playground):
    click(page, "[data-testid=as-admin]")
    wait_until(page, lambda d: find(d, "[data-testid=tips-panel]"), "the admin's panel")
    tips = playground.playground.parts.catalogue.path
    lines = tips.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if line.lstrip().startswith("quote:")) + 1
    lines[number - 1] = lines[number - 1].replace("quote:", "qoute:")
    tips.write_text("\n".join(lines) + "\n")
    problems = wait_until(
        page, lambda d: text(d, "[data-testid=tips-problems]"), "the refused edit's problems"
    )
    assert f"line {number}," in problems and "qoute" in problems
    assert "still serving the last good catalogue" in problems
    send(page, "/pmtip ai-failure")
    wait_until(page, lambda d: "/pmtip ai-failure" in last_text(d), "a tip")
    assert find(page, "[data-testid=channel] [data-action-id=pmtip_another]")


@pytest.fixture
def readme_page(chromium, tmp_path) -> Iterator[Any]:
    """The page over the checkout's own tips file, as `make run` shows it."""
    with running_playground(tmp_path, tips=Path(os.path.relpath(TIPS))) as server:
        chromium.get(f"{server.base_url}/")
        yield chromium


def test_a_screenshot_of_a_lively_page(readme_page):
    """The page as the README shows it: a tip, a shared tip and the weekly insight."""
    page = readme_page
    send(page, "/pmtip ai-failure")
    click(page, "[data-action-id=pmtip_share]")
    wait_until(page, lambda d: "Shared by" in d.page_source, "the shared tip")
    click(page, "[data-testid=as-admin]")
    wait_until(page, lambda d: find(d, "[data-testid=tips-panel]"), "the admin's panel")
    send(page, "/pmtip subscribe")
    wait_until(page, lambda d: "Subscribed" in last_text(d), "the subscription")
    click(page, "[data-testid=clock-slot]")
    wait_until(page, lambda d: find(d, "[data-weekly=true]"), "the weekly insight")
    send(page, "/pmtip moat")
    wait_until(page, lambda d: "/pmtip moat" in last_text(d), "the moat tip")
    page.execute_script("document.querySelector('[data-key=tips-list]').open = true")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "playground.png"
    assert page.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("PMTIP_UPDATE_SCREENSHOT"):
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)


def test_the_readme_shows_the_screenshot():
    readme = (REPO_ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "docs/playground.png" in quick_start and README_SCREENSHOT.exists()
    assert Path(README_SCREENSHOT).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_admin_previews_a_tip_from_the_tips_panel_as_the_weekly_post(page, playground):
    click(page, "[data-testid=as-admin]")
    wait_until(page, lambda d: find(d, "[data-testid=tips-panel]"), "the admin's panel")
    tip = playground.playground.parts.catalogue.current().tips[0]
    page.execute_script("document.querySelector('[data-key=tips-list]').open = true")
    click(page, f"[data-testid=preview-{tip.id}]")
    preview = wait_until(
        page, lambda d: f"preview {tip.id}" in last_text(d) and last_text(d), "the preview"
    )
    assert "Preview of" in preview and "PM insight of the week" in preview
    assert tip.title in preview and "Only visible to you" in preview
