"""The playground's Block Kit renderer: each block type and mrkdwn rule as Slack
shows it, escaping that no text can get past, and every message and Home tab pmtip
can send rendered with nothing unknown and as well-formed HTML."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import blocks
from bot.playground.render import mrkdwn_to_html, render_message, render_view, unknown_types
from tests.support import message_corpus
from tests.support.html_tree import Element, MalformedHTML, parse_html

OWN_TAGS = {
    "div", "p", "span", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "button", "h3", "hr", "br", "time",
}  # fmt: skip
OWN_ATTRIBUTES = {
    "class", "href", "target", "rel", "role", "type", "title", "aria-label", "datetime",
    "data-format", "data-action-id", "data-value", "data-block-id", "data-type",
    "data-user-id", "data-usergroup-id", "data-channel-id",
}  # fmt: skip
P = '<p class="bk-p">'


def link(href: str, label: str) -> str:
    return f'<a class="bk-link" href="{href}" target="_blank" rel="noopener noreferrer">{label}</a>'


def inline(text: str, **names: Any) -> str:
    """The HTML of a one-paragraph mrkdwn text, without the paragraph."""
    html = mrkdwn_to_html(text, **names)
    assert html.startswith(P) and html.endswith("</p>"), html
    return html[len(P) : -len("</p>")]


def tree(html: str) -> Element:
    """The parsed HTML, checked: well formed, and only the renderer's own tags,
    attributes and link schemes."""
    root = parse_html(html)
    for element in root.walk():
        assert element.tag in OWN_TAGS, f"<{element.tag}> in {html[:500]}"
        assert set(element.attrs) <= OWN_ATTRIBUTES, f"{element.attrs} in {html[:500]}"
        href = element.attrs.get("href")
        assert href is None or re.match(r"(?i)(https?://|mailto:)", href), href
    return root


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


# -- mrkdwn, rule by rule -------------------------------------------------------------

CODE = '<code class="bk-code">'
EMOJI_CALENDAR = (
    '<span class="bk-emoji" role="img" aria-label=":calendar:" title=":calendar:">📅</span>'
)
BROADCAST = '<span class="bk-mention bk-mention--broadcast">'


def person(user_id: str, shown: str, key: str = "data-user-id") -> str:
    return f'<span class="bk-mention" {key}="{user_id}">{shown}</span>'


def channel(channel_id: str, shown: str) -> str:
    return f'<span class="bk-channel" data-channel-id="{channel_id}">{shown}</span>'


def date(iso: str, form: str, shown: str) -> str:
    return f'<time class="bk-date" datetime="{iso}" data-format="{form}">{shown}</time>'


INLINE_RULES = [
    ("bold", "*bold*", "<strong>bold</strong>"),
    ("italic", "_it_", "<em>it</em>"),
    ("strike", "~gone~", "<s>gone</s>"),
    ("bold inside a sentence", "a *b* c", "a <strong>b</strong> c"),
    ("punctuation is a boundary", "(*a*), _b_.", "(<strong>a</strong>), <em>b</em>."),
    ("a star inside words", "2*3*4", "2*3*4"),
    ("underscores inside words", "snake_case_name", "snake_case_name"),
    ("no word boundary after", "*b*c", "*b*c"),
    ("a space after the opener", "* not bold*", "* not bold*"),
    ("a space before the closer", "*not bold *", "*not bold *"),
    ("an unmatched marker", "*open and _shut", "*open and _shut"),
    ("an empty pair", "** __", "** __"),
    ("bold around italic", "*bold _italic_*", "<strong>bold <em>italic</em></strong>"),
    ("italic around bold", "_*both*_", "<em><strong>both</strong></em>"),
    ("strike around bold", "~*x* y~", "<s><strong>x</strong> y</s>"),
    ("runs do not overlap", "*a _b* c_", "<strong>a _b</strong> c_"),
    ("formatting stays on its line", "*a\nb*", "*a<br>b*"),
    ("line breaks", "one\ntwo\n\nthree", "one<br>two<br><br>three"),
    ("code", "`x = 1`", f"{CODE}x = 1</code>"),
    ("nothing formats in code", "`*a* _b_ :calendar:`", f"{CODE}*a* _b_ :calendar:</code>"),
    ("a token in code is text", "`<@U1>`", f"{CODE}&lt;@U1&gt;</code>"),
    ("code inside bold", "*`x`*", f"<strong>{CODE}x</code></strong>"),
    ("Slack's escapes", "a &amp; b &lt;c&gt;", "a &amp; b &lt;c&gt;"),
    ("escapes decode once", "&amp;lt;", "&amp;lt;"),
    ("other entities show as typed", "&quot; &#60;", "&amp;quot; &amp;#60;"),
    ("a raw angle bracket", "1 < 2 > 0", "1 &lt; 2 &gt; 0"),
    ("a quote mark mid-line", "a > b", "a &gt; b"),
    ("a link", "<https://x.io/?b=1&amp;c=2|label>", link("https://x.io/?b=1&amp;c=2", "label")),
    ("a link without a label", "<https://x.io>", link("https://x.io", "https://x.io")),
    (
        "a bare URL",
        "at https://x.io/a_b.",
        "at " + link("https://x.io/a_b", "https://x.io/a_b") + ".",
    ),
    ("mailto", "<mailto:ada@x.io>", link("mailto:ada@x.io", "ada@x.io")),
    ("mailto with a label", "<mailto:ada@x.io|Ada>", link("mailto:ada@x.io", "Ada")),
    ("a person", "<@U123>", person("U123", "@U123")),
    ("a person with a legacy label", "<@U123|ada>", person("U123", "@ada")),
    ("a channel", "<#C123>", channel("C123", "#C123")),
    ("a named channel", "<#C123|general>", channel("C123", "#general")),
    ("here", "<!here>", f"{BROADCAST}@here</span>"),
    ("channel", "<!channel>", f"{BROADCAST}@channel</span>"),
    ("everyone", "<!everyone>", f"{BROADCAST}@everyone</span>"),
    ("a user group", "<!subteam^S1|@pms>", person("S1", "@pms", key="data-usergroup-id")),
    (
        "a date shows its fallback",
        "<!date^1700000000^{date_long_pretty} at {time}|Tue 14 Nov 2023>",
        date("2023-11-14T22:13:20Z", "{date_long_pretty} at {time}", "Tue 14 Nov 2023"),
    ),
    (
        "a date without a fallback",
        "<!date^0^{date_num}>",
        date("1970-01-01T00:00:00Z", "{date_num}", "1970-01-01 00:00 UTC"),
    ),
    ("an emoji", ":calendar: Plan", f"{EMOJI_CALENDAR} Plan"),
    ("an unknown shortcode", ":no_such_thing:", ":no_such_thing:"),
    ("a time is no emoji", "at 10:30:45", "at 10:30:45"),
    ("an emoji after a colon", "a:b:calendar:", f"a:b{EMOJI_CALENDAR}"),
]


@pytest.mark.parametrize(
    ("source", "expected"), [r[1:] for r in INLINE_RULES], ids=[r[0] for r in INLINE_RULES]
)
def test_mrkdwn_inline_rule(source, expected):
    assert inline(source) == expected
    tree(mrkdwn_to_html(source))


def quote(inner: str) -> str:
    return f'<blockquote class="bk-quote">{inner}</blockquote>'


def items(kind: str, *rows: tuple[str, str]) -> str:
    cells = "".join(
        f'<li><span class="bk-list-marker">{marker}</span>'
        f'<span class="bk-list-text">{text}</span></li>'
        for marker, text in rows
    )
    return f'<{kind} class="bk-list">{cells}</{kind}>'


BLOCK_RULES = [
    ("a quote", "> quoted\nplain", quote(f"{P}quoted</p>") + f"{P}plain</p>"),
    ("an escaped quote marker", "&gt; quoted", quote(f"{P}quoted</p>")),
    ("quoted lines join", "> a\n> *b*", quote(f"{P}a<br><strong>b</strong></p>")),
    ("a quote of the rest", ">>> a\nb", quote(f"{P}a<br>b</p>")),
    ("a blank line before a quote", "a\n\n> q", f"{P}a<br><br></p>" + quote(f"{P}q</p>")),
    ("preformatted", "```a *b*\n&lt;c&gt;```", '<pre class="bk-pre">a *b*\n&lt;c&gt;</pre>'),
    (
        "preformatted mid-line",
        "see ```x``` now",
        f'{P}see </p><pre class="bk-pre">x</pre>{P} now</p>',
    ),
    ("an unclosed fence", "```x", f"{P}```x</p>"),
    ("bullets", "• a\n- *b*", items("ul", ("•", "a"), ("-", "<strong>b</strong>"))),
    ("numbered lines", "1. a\n2. b", items("ol", ("1.", "a"), ("2.", "b"))),
    ("not a list without the space", "-5 and 1.5", f"{P}-5 and 1.5</p>"),
    ("nothing", "", ""),
]


@pytest.mark.parametrize(
    ("source", "expected"), [r[1:] for r in BLOCK_RULES], ids=[r[0] for r in BLOCK_RULES]
)
def test_mrkdwn_block_rule(source, expected):
    assert mrkdwn_to_html(source) == expected
    tree(expected)


def test_people_and_channels_are_named_through_the_lookups():
    names = {"U1": "Ada", "C1": "product"}
    html = inline("<@U1> <@U2> <#C1> <#C2|old-name>", user_name=names.get, channel_name=names.get)
    assert tree(html).text() == "@Ada @U2 #product #old-name"


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
    assert unknown_types(blocks.tip_reply(message_corpus.TIPS[0])) == []
    assert unknown_types({"text": "no blocks"}) == []


# -- safety: no text becomes markup ---------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_a_tips_text_shows_literally_however_hostile():
    tip = message_corpus.TIPS[0]
    hostile = dataclasses.replace(tip, title=SCRIPT, body=f'{SCRIPT} "onload=x')
    root = tree(render_message(blocks.tip_reply(hostile)))
    assert root.find("h3").text() == SCRIPT
    assert f'{SCRIPT} "onload=x' in root.text()
    assert not root.find_all("script")


def test_raw_markup_in_mrkdwn_never_becomes_html():
    # pmtip escapes text, so Slack would read this raw `<script>` as a link token;
    # whatever it is, it shows as text
    root = tree(mrkdwn_to_html(f'{SCRIPT} <img src=x onerror="alert(1)">'))
    assert not root.find_all("script") and not root.find_all("img") and not root.find_all("a")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<b>x</b>",
        "vbscript:x",
        "//evil.example",
        'https://x.io/"onmouseover="alert(1)',
    ],
)
def test_only_http_and_mailto_links_become_links(url):
    root = tree(mrkdwn_to_html(f"<{url}|click>"))
    for element in root.walk():
        assert not any(name.startswith("on") for name in element.attrs)
    anchors = root.find_all("a")
    if url.startswith("https://"):  # a quote in the address stays inside href
        assert [a.attrs["href"] for a in anchors] == [url]
    else:
        assert anchors == [] and "click" in root.text()


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


def test_names_from_the_lookup_are_escaped():
    html = inline("<@U1>", user_name=lambda _: SCRIPT)
    assert tree(html).text() == "@" + SCRIPT


def test_the_checker_itself_refuses_broken_or_foreign_html():
    for broken in ("<div><p></div></p>", "<div>", "</p>", "<br></br>"):
        with pytest.raises(MalformedHTML):
            parse_html(broken)
    with pytest.raises(AssertionError):
        tree('<img src="x">')
    with pytest.raises(AssertionError):
        tree('<a href="javascript:x">y</a>')


hostile_pieces = st.sampled_from(
    ["<", ">", "&", "&amp;", "&lt;", "&gt;", '"', "'", "`", "```", "*", "_", "~", ":", "|",
     "\n", "> ", "• ", "1. ", "<@", "<#", "<!", "date^", "javascript:", "https://", "mailto:",
     "script", "onload=", " ", "x"]
)  # fmt: skip
any_text = st.one_of(st.text(max_size=300), st.lists(hostile_pieces, max_size=60).map("".join))


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_any_text_renders_to_our_own_tags_only(text):
    html = mrkdwn_to_html(text)
    tree(html)  # well formed; only our tags, attributes and schemes
    # and every `<` left starts one of our tags: none came from the text
    assert "<" not in re.sub(r"</?[a-z0-9]+(?: [a-z-]+=\"[^\"<>]*\")*>", "", html)
    header = {"type": "header", "text": {"type": "plain_text", "text": text}}
    tree(render_message(message(header)))


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
        blocks.HOME_TOPIC,
    }


def test_a_weekly_post_renders_as_slack_shows_it():
    tip = message_corpus.TIPS[0]
    root = tree(render_message(blocks.weekly_insight(tip)))
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
