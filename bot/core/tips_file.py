"""Reading content/tips.yaml: YAML text in, a Catalogue or a list of problems out.

Every problem carries the line and column of the YAML node it is about, so an
admin who edits the file by hand is pointed at the exact spot. All problems are
collected in one pass; nothing stops at the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from bot.core.catalogue import AUDIENCES, Catalogue, Tip, Topic

try:  # libyaml is an order of magnitude faster; the pure loader is the fallback.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

# Slack's limits, less the room the rendering adds around each text.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
TRY_PREFIX_ROOM = 40
CONTEXT_ROOM = 120
ID_LIMIT = 200  # ids travel in button values (2,000) and action block ids (255)

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TIP_ID = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")

TOP_KEYS = {"version", "topics", "tips"}
TOPIC_KEYS = {"title", "description", "aliases"}
TIP_REQUIRED = ("id", "topic", "title", "body", "try", "quote", "section", "audience")
TIP_KEYS = {*TIP_REQUIRED, "tags"}
_TEXT_LIMITS = {
    "title": HEADER_LIMIT,
    "body": SECTION_LIMIT,
    "try": SECTION_LIMIT - TRY_PREFIX_ROOM,
    "quote": 1000,
    "section": 300,
}


@dataclass(frozen=True, slots=True)
class Problem:
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def format(self, path: str) -> str:
        return f"{path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class LoadResult:
    catalogue: Catalogue | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.catalogue is not None and not self.problems


def parse_catalogue(text: str) -> LoadResult:
    """Parse and validate the text of a tips file."""
    if not text.strip():
        return _fail([Problem(1, 1, "the file is empty; it needs `topics:` and `tips:`")])
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return _fail([Problem(line, column, f"YAML syntax error: {error.problem or error}")])
    except yaml.YAMLError as error:
        return _fail([Problem(1, 1, f"YAML error: {error}")])
    return _Checker().check(root)


def decode_tips_bytes(raw: bytes) -> str | Problem:
    """Bytes of the file as text, or a problem when they are not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return Problem(line, column, "the file is not UTF-8 text; save it as UTF-8")


def _fail(problems: list[Problem]) -> LoadResult:
    return LoadResult(None, tuple(problems))


def _at(node: yaml.Node, message: str) -> Problem:
    return Problem(node.start_mark.line + 1, node.start_mark.column + 1, message)


def _mapping(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {str(key.value): (key, value) for key, value in node.value}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def report(self, node: yaml.Node, message: str) -> None:
        self.problems.append(_at(node, message))

    def check(self, root: yaml.Node | None) -> LoadResult:
        if root is None:
            return _fail([Problem(1, 1, "the file is empty; it needs `topics:` and `tips:`")])
        if not isinstance(root, yaml.MappingNode):
            return _fail([_at(root, "the file must be a mapping with `topics:` and `tips:`")])
        top = _mapping(root)
        self.unknown_keys(top, TOP_KEYS, "at the top level")
        topics = self.topics(top.get("topics"), root)
        tips = self.tips(top.get("tips"), root, {t.slug for t in topics})
        if self.problems:
            return _fail(sorted(self.problems, key=lambda p: (p.line, p.column)))
        return LoadResult(Catalogue(topics=tuple(topics), tips=tuple(tips)), ())

    def unknown_keys(self, entries: dict, allowed: set[str], where: str) -> None:
        for name, (key, _) in entries.items():
            if name not in allowed:
                expected = ", ".join(f"`{k}`" for k in sorted(allowed))
                self.report(key, f"unknown key `{name}` {where} (expected one of {expected})")

    def text(self, node: yaml.Node, what: str, limit: int | None = None) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.report(node, f"{what} must be text")
            return None
        value = str(node.value).strip()
        if not value:
            self.report(node, f"{what} must not be empty")
            return None
        if limit is not None and len(value) > limit:
            self.report(node, f"{what} is {len(value)} characters; Slack allows at most {limit}")
        return value

    def text_list(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
            node = yaml.SequenceNode(
                "tag:yaml.org,2002:seq", [node], node.start_mark, node.end_mark
            )
        if not isinstance(node, yaml.SequenceNode):
            self.report(node, f"{what} must be a list, like [a, b]")
            return ()
        items = (self.text(item, f"each entry of {what}", 100) for item in node.value)
        return tuple(item for item in items if item)

    def topics(self, entry: tuple[yaml.Node, yaml.Node] | None, root: yaml.Node) -> list[Topic]:
        if entry is None:
            self.report(root, "missing `topics:`, the mapping of topic slugs to descriptions")
            return []
        _, node = entry
        if not isinstance(node, yaml.MappingNode):
            self.report(node, "`topics:` must map each topic slug to its description")
            return []
        topics: list[Topic] = []
        seen_names: dict[str, str] = {}
        for key, value in node.value:
            slug = str(key.value)
            if not _SLUG.match(slug):
                self.report(key, f"topic `{slug}` must be lowercase words joined by hyphens")
            if not isinstance(value, yaml.MappingNode):
                self.report(value, f"topic `{slug}` needs `description:` (and optional `aliases:`)")
                continue
            fields = _mapping(value)
            self.unknown_keys(fields, TOPIC_KEYS, f"in topic `{slug}`")
            if "description" not in fields:
                self.report(value, f"topic `{slug}` is missing `description:`")
            description = (
                self.text(fields["description"][1], f"`description` of topic `{slug}`", 300)
                if "description" in fields
                else None
            )
            title = (
                self.text(fields["title"][1], f"`title` of topic `{slug}`", 75)
                if "title" in fields
                else None
            )
            aliases = (
                self.text_list(fields["aliases"][1], f"`aliases` of topic `{slug}`")
                if "aliases" in fields
                else ()
            )
            for name, name_node in [(slug, key), *((a, fields["aliases"][1]) for a in aliases)]:
                owner = seen_names.setdefault(name.casefold(), slug)
                if owner != slug:
                    self.report(name_node, f"`{name}` names both topic `{owner}` and `{slug}`")
            topics.append(
                Topic(
                    slug=slug,
                    title=title or slug.replace("-", " ").capitalize(),
                    description=description or "",
                    aliases=aliases,
                )
            )
        return topics

    def tips(
        self, entry: tuple[yaml.Node, yaml.Node] | None, root: yaml.Node, slugs: set[str]
    ) -> list[Tip]:
        if entry is None:
            self.report(root, "missing `tips:`, the list of tips")
            return []
        _, node = entry
        if not isinstance(node, yaml.SequenceNode):
            self.report(node, "`tips:` must be a list; start each tip with `- id:`")
            return []
        tips: list[Tip] = []
        first_seen: dict[str, int] = {}
        for item in node.value:
            tip = self.tip(item, slugs)
            if tip is None:
                continue
            if tip.id in first_seen:
                id_node = _mapping(item)["id"][1]
                self.report(
                    id_node,
                    f"tip id `{tip.id}` is used twice (first on line "
                    f"{first_seen[tip.id]}); ids must be unique",
                )
                continue
            first_seen[tip.id] = item.start_mark.line + 1
            tips.append(tip)
        if not node.value:
            self.report(node, "`tips:` is empty; the bot needs at least one tip")
        return tips

    def tip(self, node: yaml.Node, slugs: set[str]) -> Tip | None:
        if not isinstance(node, yaml.MappingNode):
            self.report(node, "each tip must be a mapping that starts with `- id:`")
            return None
        fields = _mapping(node)
        label = f"tip `{fields['id'][1].value}`" if "id" in fields else "this tip"
        before = len(self.problems)
        self.unknown_keys(fields, TIP_KEYS, f"in {label}")
        for name in TIP_REQUIRED:
            if name not in fields:
                self.report(node, f"{label} is missing `{name}:`")
        values: dict[str, str | None] = {}
        for name in ("id", "topic", "title", "body", "try", "quote", "section"):
            if name in fields:
                values[name] = self.text(
                    fields[name][1], f"`{name}` of {label}", _TEXT_LIMITS.get(name, ID_LIMIT)
                )
        tip_id, topic = values.get("id"), values.get("topic")
        if tip_id and not _TIP_ID.match(tip_id):
            self.report(
                fields["id"][1], f"tip id `{tip_id}` must be lowercase letters, digits and hyphens"
            )
        if topic and topic not in slugs:
            self.report(
                fields["topic"][1], f"{label} names topic `{topic}`, which is not under `topics:`"
            )
        audience = (
            self.text_list(fields["audience"][1], f"`audience` of {label}")
            if "audience" in fields
            else ()
        )
        for who in audience:
            if who not in AUDIENCES:
                self.report(
                    fields["audience"][1],
                    f"audience `{who}` of {label} must be one of " + ", ".join(AUDIENCES),
                )
        tags = self.text_list(fields["tags"][1], f"`tags` of {label}") if "tags" in fields else ()
        if len(self.problems) > before:
            return None
        return Tip(
            id=str(tip_id),
            topic=str(topic),
            title=str(values["title"]),
            body=str(values["body"]),
            try_this=str(values["try"]),
            quote=str(values["quote"]),
            section=str(values["section"]),
            audience=audience,
            tags=tags,
        )
