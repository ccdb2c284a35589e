"""HTML read back with the stdlib's parser into a small tree, refusing anything that
is not well formed: a tag closed out of order, one left open, a stray end tag."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

RENDERER_TAGS = {
    "div", "p", "span", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "button", "h3", "hr", "br", "time",
}  # fmt: skip
RENDERER_ATTRIBUTES = {
    "class", "href", "target", "rel", "role", "type", "title", "aria-label", "datetime",
    "data-format", "data-action-id", "data-value", "data-block-id", "data-type",
    "data-user-id", "data-usergroup-id", "data-channel-id",
}  # fmt: skip
# The tags and attributes bot/playground writes; anything else came from text.
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        """What a reader sees, entities decoded, `<br>` as a newline."""
        if self.tag == "br":
            return "\n"
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.walk()

    def find_all(self, tag: str | None = None, *, cls: str | None = None) -> list[Element]:
        return [
            e
            for e in self.walk()
            if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)
        ]

    def find(self, tag: str | None = None, *, cls: str | None = None) -> Element:
        found = self.find_all(tag, cls=cls)
        assert found, f"no <{tag or '*'} class={cls}> in {self}"
        return found[0]


class MalformedHTML(AssertionError):
    pass


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            raise MalformedHTML(f"<{tag}> repeats an attribute: {names}")
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            raise MalformedHTML(f"</{tag}>: a void element has no end tag")
        if self.stack[-1].tag != tag:
            raise MalformedHTML(f"</{tag}> closes <{self.stack[-1].tag}>")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_decl(self, decl: str) -> None:
        raise MalformedHTML(f"unexpected declaration <!{decl}>")

    def handle_comment(self, data: str) -> None:
        raise MalformedHTML(f"unexpected comment <!--{data}-->")

    def handle_pi(self, data: str) -> None:
        raise MalformedHTML(f"unexpected processing instruction <?{data}>")

    def unknown_decl(self, data: str) -> None:
        raise MalformedHTML(f"unexpected declaration <![{data}]>")


def parse_html(html: str) -> Element:
    """The tree of `html`; raises MalformedHTML unless every tag is balanced."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    if len(builder.stack) != 1:
        raise MalformedHTML(f"<{builder.stack[-1].tag}> is never closed")
    return builder.root


def parse_rendered(html: str) -> Element:
    """The playground renderer's HTML, checked: well formed, and only its own tags,
    attributes and link schemes (anything else would have come from the text)."""
    root = parse_html(html)
    for element in root.walk():
        assert element.tag in RENDERER_TAGS, f"<{element.tag}> in {html[:500]}"
        assert set(element.attrs) <= RENDERER_ATTRIBUTES, f"{element.attrs} in {html[:500]}"
        href = element.attrs.get("href")
        assert href is None or re.match(r"(?i)(https?://|mailto:)", href), href
    return root
