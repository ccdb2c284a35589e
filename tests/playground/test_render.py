"""The playground's Block Kit renderer: each block type as Slack shows it, unknown
types shown and reported, escaping that no text can get past, and every message and
Home tab pmtip can send rendered with nothing unknown and as well-formed HTML.
The mrkdwn rules are in test_mrkdwn_html.py."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.render import blocks
from bot.core.render.tips import tip_reply, weekly_insight
from bot.playground.render import render_message, render_view, unknown_types
from tests.support import message_corpus
from tests.support.html_tree import parse_rendered as tree

SCRIPT = "<script>alert(1)</script>"


def message(*blocks_: dict[str, Any], text: str = "fallback") -> dict[str, Any]:
    return {"text": text, "blocks": list(blocks_)}


def mrkdwn_section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": "Go", "emoji": True},
        "action_id": "go",
        "value": "v1",
    } | overrides


# -- blocks, type by type -------------------------------------------------------------


def test_a_header_is_plain_text_with_its_emoji():
    header = {"type": "header", "text": {"type": "plain_text", "text": ":bulb: *A* &amp; <b>"}}
    html = render_message(message(header))
    element = tree(html).find("h3", cls="bk-header")
    assert element.text() == "💡 *A* &amp; <b>"  # plain_text: no markup, shown as typed
    assert element.attrs["data-block-id"] == "block-0"


def test_plain_text_with_emoji_off_shows_the_shortcode():
    header = {"type": "header", "text": {"type": "plain_text", "text": ":bulb: x", "emoji": False}}
    assert tree(render_message(message(header))).find("h3").text() == ":bulb: x"


def test_a_section_shows_mrkdwn_fields_and_a_button_accessory():
    section = mrkdwn_section(
        "*Title*\nbody",
        fields=[{"type": "mrkdwn", "text": "_one_"}, {"type": "plain_text", "text": "two"}],
        accessory=button(text={"type": "plain_text", "text": "Show"}, action_id="show"),
    )
    root = tree(render_message(message(section)))
    body = root.find(cls="bk-section")
    assert body.find("strong").text() == "Title" and "body" in body.text()
    assert [f.text() for f in body.find_all(cls="bk-field")] == ["one", "two"]
    accessory = body.find(cls="bk-accessory").find("button")
    assert accessory.text() == "Show"
    assert accessory.attrs["data-action-id"] == "show"
    assert accessory.attrs["data-block-id"] == "block-0"


def test_a_plain_text_section_is_not_formatted():
    section = {"type": "section", "text": {"type": "plain_text", "text": "*a*\nb"}}
    html = render_message(message(section))
    assert '<div class="bk-section-text">*a*<br>b</div>' in html


def test_a_context_shows_each_element():
    context = blocks.context("> “quoted”", "From _the article_")
    context["elements"].append({"type": "plain_text", "text": "plain _x_"})
    root = tree(render_message(message(context)))
    items = root.find(cls="bk-context").find_all(cls="bk-context-item")
    assert [i.text() for i in items] == ["“quoted”", "From the article", "plain _x_"]
    assert items[0].find("blockquote", cls="bk-quote") and items[1].find("em")


def test_a_divider_is_a_rule():
    assert render_message(message({"type": "divider"})) == (
        '<div class="bk-message"><hr class="bk-block bk-divider" data-block-id="block-0"></div>'
    )


def test_actions_show_buttons_with_their_style_action_value_and_block():
    actions = blocks.actions(
        "tip:moat",
        blocks.button("Share to channel", blocks.SHARE, "moat", style="primary"),
        blocks.button(":thumbsup: Useful", blocks.VOTE_USEFUL, "moat"),
        blocks.button("Delete", "delete", "moat", style="danger"),
    )
    buttons = tree(render_message(message(actions))).find(cls="bk-actions").find_all("button")
    assert [(b.text(), sorted(b.classes)) for b in buttons] == [
        ("Share to channel", ["bk-button", "bk-button--primary"]),
        ("👍 Useful", ["bk-button"]),
        ("Delete", ["bk-button", "bk-button--danger"]),
    ]
    assert [b.attrs["data-action-id"] for b in buttons] == [
        blocks.SHARE,
        blocks.VOTE_USEFUL,
        "delete",
    ]
    assert {b.attrs["data-value"] for b in buttons} == {"moat"}
    assert {b.attrs["data-block-id"] for b in buttons} == {"tip:moat"}
    assert {b.attrs["type"] for b in buttons} == {"button"}


def test_a_button_with_a_url_is_a_link_that_still_reports_its_action():
    html = render_message(message({"type": "actions", "elements": [button(url="https://x.io")]}))
    link = tree(html).find("a", cls="bk-button")
    assert link.attrs["href"] == "https://x.io" and link.attrs["data-action-id"] == "go"


def test_a_message_without_blocks_shows_its_text_as_mrkdwn():
    for empty in ({"text": "*hi* <@U1>"}, {"text": "*hi* <@U1>", "blocks": []}):
        root = tree(render_message(empty))
        assert root.find(cls="bk-text").find("strong").text() == "hi"
        assert root.text() == "hi @U1"


def test_a_message_object_and_its_payload_render_the_same():
    reply = blocks.notice("*Done*")
    assert render_message(reply) == render_message(reply.as_kwargs())


def test_a_view_renders_its_blocks_in_a_view_of_its_type():
    view = {"type": "home", "blocks": [blocks.header("Home"), blocks.divider()]}
    root = tree(render_view(view))
    assert root.find(cls="bk-view").classes == {"bk-view", "bk-view--home"}
    assert root.find("h3").text() == "Home"


UNKNOWN = [
    ("a block", {"type": "image", "image_url": "https://x.io/a.png"}, ["block:image"]),
    ("an element", {"type": "actions", "elements": [{"type": "overflow"}]}, ["element:overflow"]),
    ("an accessory", mrkdwn_section("s", accessory={"type": "overflow"}), ["element:overflow"]),
    ("a context image", {"type": "context", "elements": [{"type": "image"}]}, ["element:image"]),
    ("a text type", {"type": "header", "text": {"type": "md", "text": "x"}}, ["text:md"]),
    ("a missing text", {"type": "header"}, ["text:missing"]),
    (
        "a button style",
        {"type": "actions", "elements": [button(style="red")]},
        ["button style:red"],
    ),
    ("a block that is no object", "divider", ["block:str"]),
]


@pytest.mark.parametrize(
    ("block", "expected"), [u[1:] for u in UNKNOWN], ids=[u[0] for u in UNKNOWN]
)
def test_anything_unknown_shows_a_placeholder_and_is_reported(block, expected):
    payload = message(blocks.section("before"), block)
    assert unknown_types(payload) == expected
    html = render_message(payload)
    root = tree(html)
    assert "before" in root.text()
    if not expected[0].startswith("button style"):
        assert root.find(cls="bk-unknown").text().startswith("Unsupported")


def test_known_blocks_report_nothing_unknown():
    assert unknown_types(tip_reply(message_corpus.TIPS[0])) == []
    assert unknown_types({"text": "no blocks"}) == []


# -- safety: no text becomes markup ---------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_a_tips_text_shows_literally_however_hostile():
    tip = message_corpus.TIPS[0]
    hostile = dataclasses.replace(tip, title=SCRIPT, body=f'{SCRIPT} "onload=x')
    root = tree(render_message(tip_reply(hostile)))
    assert root.find("h3").text() == SCRIPT
    assert f'{SCRIPT} "onload=x' in root.text()
    assert not root.find_all("script")


def test_a_button_with_a_javascript_url_is_no_link():
    html = render_message(message({"type": "actions", "elements": [button(url="javascript:x")]}))
    assert not tree(html).find_all("a") and "javascript" not in html


def test_attribute_values_cannot_break_out():
    evil = '"><script>alert(1)</script><b x="'
    actions = {
        "type": "actions",
        "block_id": evil,
        "elements": [button(action_id=evil, value=evil)],
    }
    root = tree(render_message(message(actions)))
    found = root.find("button")
    assert found.attrs["data-action-id"] == found.attrs["data-value"] == evil
    assert found.attrs["data-block-id"] == evil
    assert not root.find_all("script") and not root.find_all("b")


def test_an_unknown_type_named_like_markup_is_shown_escaped():
    evil = {"type": '<img src=x onerror="alert(1)">'}
    root = tree(render_view({"type": "home", "blocks": [evil]}))
    assert root.find(cls="bk-unknown").attrs["data-type"] == evil["type"]
    assert not root.find_all("img")


KEYS = ["type", "text", "elements", "accessory", "fields", "style", "url", "block_id", "value"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from([*KEYS, "action_id", "emoji"]), inner, max_size=5)
    ),
    max_leaves=30,
)
block_types = st.sampled_from(["header", "section", "context", "divider", "actions", "image"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda kind, rest: {**rest, "type": kind} if isinstance(rest, dict) else rest,
            block_types,
            json_values,
        ),
        max_size=5,
    )
)
def test_any_payload_shape_renders_without_raising(blocks_):
    tree(render_message({"text": "t", "blocks": blocks_}))
    unknown_types({"blocks": blocks_})


# -- every message and Home tab pmtip can send ---------------------------------------

MESSAGES = message_corpus.every_message()
VIEWS = message_corpus.every_view()


@pytest.mark.parametrize("sent", [m for _, m in MESSAGES], ids=[n for n, _ in MESSAGES])
def test_every_message_pmtip_can_send_renders_with_nothing_unknown(sent):
    assert unknown_types(sent) == []
    root = tree(render_message(sent))
    assert root.text().strip()
    assert not root.find_all(cls="bk-unknown")
    tree(render_message({"text": sent.text}))  # the fallback, as a notification shows it


@pytest.mark.parametrize("view", [v for _, v in VIEWS], ids=[n for n, _ in VIEWS])
def test_every_home_tab_pmtip_can_publish_renders_with_nothing_unknown(view):
    assert unknown_types(view) == []
    root = tree(render_view(view))
    assert root.find("h3").text() == "pmtip: strategy nudges for PMs"


def classes_in(html: str) -> set[str]:
    return {c for found in re.findall(r'class="([^"]+)"', html) for c in found.split()}


def everything_rendered() -> str:
    return "".join(render_message(m) for _, m in MESSAGES) + "".join(
        render_view(v) for _, v in VIEWS
    )


def test_the_corpus_covers_every_block_type_and_button_pmtip_uses():
    # the tests above would pass vacuously on a thin corpus
    html = everything_rendered()
    assert {
        *("bk-header", "bk-section", "bk-context", "bk-divider", "bk-actions", "bk-accessory"),
        *("bk-button--primary", "bk-quote", "bk-pre", "bk-code", "bk-emoji", "bk-date"),
        *("bk-mention", "bk-channel", "bk-list", "bk-p"),
    } <= classes_in(html)
    actions = set(re.findall(r'data-action-id="([^".]+)', html))
    assert actions == {
        *(blocks.SHARE, blocks.ANOTHER, blocks.SHOW, blocks.VOTE_USEFUL, blocks.VOTE_NOT_FOR_ME),
        *(blocks.HOME_TOPIC, blocks.TOPIC),
    }


def test_a_weekly_post_renders_as_slack_shows_it():
    tip = message_corpus.TIPS[0]
    root = tree(render_message(weekly_insight(tip)))
    assert root.find(cls="bk-context").text() == "📅 PM insight of the week"
    assert root.find("h3").text() == tip.title
    assert root.find("blockquote").text() == f"“{tip.quote}”"
    assert [b.text() for b in root.find_all("button")] == ["👍 Useful", "Not for me", "Another tip"]


def test_the_stylesheet_styles_every_class_the_renderer_writes():
    css = (Path(__file__).parents[2] / "bot/playground/static/blockkit.css").read_text()
    extra = message(
        {"type": "banner"},
        mrkdwn_section("<!here> <https://x.io|x>\n1. b", fields=[{"type": "mrkdwn", "text": "f"}]),
        {"type": "actions", "elements": [button(style="danger")]},
    )
    written = classes_in(everything_rendered() + render_message(extra))
    unstyled = {"bk-section-text", "bk-list-text", "bk-context-item", "bk-view--home"}
    assert {c for c in written if f".{c}" not in css} == unstyled
    assert "#007a5a" in css  # Slack's green primary button
