"""Slack's mrkdwn as the playground shows it, rule by rule, and no text that can
become markup: Slack's escapes decode once, everything is HTML-escaped once, and
only http(s) and mailto addresses become links."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.playground.render import mrkdwn_to_html, render_message
from tests.support.html_tree import MalformedHTML, parse_html
from tests.support.html_tree import parse_rendered as tree

P = '<p class="bk-p">'


def link(href: str, label: str) -> str:
    return f'<a class="bk-link" href="{href}" target="_blank" rel="noopener noreferrer">{label}</a>'


def inline(text: str, **names: Any) -> str:
    """The HTML of a one-paragraph mrkdwn text, without the paragraph."""
    html = mrkdwn_to_html(text, **names)
    assert html.startswith(P) and html.endswith("</p>"), html
    return html[len(P) : -len("</p>")]


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


# -- safety ----------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


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
    tree(render_message({"text": "t", "blocks": [header]}))
