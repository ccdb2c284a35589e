"""Reading content/tips.yaml: YAML text in, a Catalogue or a list of problems out.

Every problem carries the line and column of the YAML node it is about, so an
admin who edits the file by hand is pointed at the exact spot. All problems are
collected in one pass; nothing stops at the first (a YAML syntax error is the
exception: the parser cannot read past it). Only the first PROBLEMS_KEPT are
kept, with a count of the rest (bot.core.problems).

YAML anchors and aliases are refused before the file is composed
(bot.core.yaml_anchors), so checking it stays linear in its size.

The rules here and content/tips.schema.json describe the same format; a test
keeps them in step. The loader is stricter in one way a schema cannot express:
texts are measured as Slack receives them, after escaping and with the words the
rendering puts around them (see bot/core/render/).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from bot.core.catalogue import AUDIENCES, TIP_ID_MAX, Catalogue, Tip, Topic, normalize_word
from bot.core.problems import Problem, ProblemLog, shown
from bot.core.render import blocks
from bot.core.render.tips import source_line
from bot.core.yaml_anchors import anchor_problems, may_hold_anchors
from bot.core.yaml_syntax import syntax_problem

try:  # libyaml is an order of magnitude faster; the pure loader is the fallback.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"

FORMAT_VERSION = 1

# What tip_blocks puts around the tip's own words.
TRY_PREFIX = ":point_right: *Your move:* "
QUOTE_WRAP = len("> “”")
QUOTE_SHOWN = 600  # tip_blocks clips the quote here; a longer one would be cut

# Raw limits, in characters as typed (the schema's maxLength); the rendered
# checks below are stricter when the text contains `&`, `<` or `>`.
ID_MAX = TIP_ID_MAX  # see bot.core.catalogue; the store's columns hold as much
SLUG_MAX = 60
# The Home tab shows each topic as a button reading "Title (N)": room for the count.
TOPIC_TITLE_MAX = blocks.BUTTON_TEXT_MAX - len(" (9999)")
DESCRIPTION_MAX = 300
WORD_MAX = 100  # each alias and tag
SECTION_NAME_MAX = 300
FIELD_MAX = {
    "id": ID_MAX,
    "topic": SLUG_MAX,
    "title": blocks.HEADER_MAX,
    "body": blocks.SECTION_MAX,
    "try": blocks.SECTION_MAX - len(TRY_PREFIX),
    "quote": QUOTE_SHOWN,
    "section": SECTION_NAME_MAX,
}

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TIP_ID_PATTERN = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
_SLUG = re.compile(SLUG_PATTERN)
_TIP_ID = re.compile(TIP_ID_PATTERN)

TOP_KEYS = ("version", "topics", "tips")
TOPIC_KEYS = ("title", "description", "aliases")
TIP_REQUIRED = ("id", "topic", "title", "body", "try", "quote", "section", "audience")
TIP_KEYS = (*TIP_REQUIRED, "tags")
_TIP_TEXTS = ("id", "topic", "title", "body", "try", "quote", "section")

EMPTY_FILE = "the file is empty; it needs `topics:` and `tips:`"


@dataclass(frozen=True, slots=True)
class TipsFile:
    """What a tips file holds: its topics and tips when it has no problems."""

    topics: tuple[Topic, ...]
    tips: tuple[Tip, ...]
    problems: tuple[Problem, ...]  # the first PROBLEMS_KEPT, in file order
    problems_left_out: int = 0  # how many more there were

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class LoadResult:
    catalogue: Catalogue | None
    problems: tuple[Problem, ...]
    problems_left_out: int = 0

    @property
    def ok(self) -> bool:
        return self.catalogue is not None and not self.problems


def parse_catalogue(text: str) -> LoadResult:
    """Parse and validate the text of a tips file, and build its Catalogue."""
    parsed = parse_tips(text)
    if not parsed.ok:
        return LoadResult(None, parsed.problems, parsed.problems_left_out)
    return LoadResult(Catalogue(topics=parsed.topics, tips=parsed.tips), ())


def parse_tips(text: str) -> TipsFile:
    """Parse and validate the text of a tips file (without building the search
    index: `validate` does not need it)."""
    if not text.strip():
        return _fail_with(Problem(1, 1, EMPTY_FILE))
    refused = anchor_problems(text) if may_hold_anchors(text) else None
    if refused is not None:
        return _fail(refused)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        return _fail_with(syntax_problem(text, error))
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, error.position)
        code = error.character if isinstance(error.character, int) else ord(error.character)
        return _fail_with(
            Problem(line, column, f"the file contains a character YAML forbids (#x{code:04x})")
        )
    except yaml.YAMLError as error:  # pragma: no cover - libyaml raises the two above
        return _fail_with(Problem(1, 1, f"YAML error: {error}"))
    return _Checker().check(root)


def decode_tips_bytes(raw: bytes) -> str | Problem:
    """Bytes of the file as text, or a problem when they are not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return Problem(
            line,
            column,
            f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x} here); save it as UTF-8",
        )


def rendered_length(field_name: str, value: str, *, topic: str = "") -> int:
    """How long `value` is once bot.core.render has rendered it into its block."""
    match field_name:
        case "body":
            return len(blocks.escape(value))
        case "try":
            return len(TRY_PREFIX) + len(blocks.escape(value))
        case "quote":
            return QUOTE_WRAP + len(blocks.escape(value))
        case "section":
            return len(source_line(section=value, topic=topic))
    return len(value)


RENDERED_MAX = {
    "body": blocks.SECTION_MAX,
    "try": blocks.SECTION_MAX,
    "quote": blocks.CONTEXT_TEXT_MAX,
    "section": blocks.CONTEXT_TEXT_MAX,
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean `x`?)` when a choice is close to `word`, else nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _fail(log: ProblemLog) -> TipsFile:
    return TipsFile((), (), log.kept, log.left_out)


def _fail_with(problem: Problem) -> TipsFile:
    return TipsFile((), (), (problem,))


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _is_text(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _STR


Entries = dict[str, tuple[yaml.Node, yaml.Node]]


def _missing(fields: Entries, required: Sequence[str]) -> list[str]:
    """Required keys absent from `fields`, leaving out those a misspelt key
    stands for: the typo is reported already, with the right spelling."""
    absent = [name for name in required if name not in fields]
    if not absent:
        return []
    misspelt = {
        close
        for name in fields
        if name not in required
        for close in difflib.get_close_matches(name, absent, n=1, cutoff=0.6)
    }
    return [name for name in absent if name not in misspelt]


class _Checker:
    def __init__(self) -> None:
        self.problems = ProblemLog()

    def report(self, node: yaml.Node, message: str) -> None:
        self.problems.add(Problem(node.start_mark.line + 1, node.start_mark.column + 1, message))

    def would_keep(self, node: yaml.Node) -> bool:
        return self.problems.would_keep(node.start_mark.line + 1, node.start_mark.column + 1)

    def check(self, root: yaml.Node | None) -> TipsFile:
        if root is None:
            return _fail_with(Problem(1, 1, EMPTY_FILE))
        if not isinstance(root, yaml.MappingNode):
            self.report(root, "the file must be a mapping with `topics:` and `tips:`")
            return _fail(self.problems)
        top = self.entries(root, "at the top level", TOP_KEYS)
        if "version" in top:
            self.version(top["version"][1])
        topics = self.topics(top.get("topics"), root)
        tips = self.tips(top.get("tips"), root, {topic.slug for topic in topics})
        if self.problems.total:
            return _fail(self.problems)
        return TipsFile(tuple(topics), tuple(tips), ())

    # -- building blocks ----------------------------------------------------

    def entries(self, node: yaml.MappingNode, where: str, allowed: Sequence[str] | None) -> Entries:
        """The mapping's keys, reporting repeated keys (YAML would keep only the
        last one, silently) and keys that are not among `allowed` (None: any)."""
        found: Entries = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.report(key, f"a key {where} must be a plain name")
                continue
            name = str(key.value)
            if name in found:
                first = _line(found[name][0])
                self.report(
                    key,
                    f"`{shown(name)}` appears twice {where} (also on line {first}); "
                    "YAML would silently keep only the last one",
                )
                continue
            found[name] = (key, value)
            if allowed is not None and name not in allowed:
                expected = ", ".join(f"`{k}`" for k in allowed)
                guess = did_you_mean(name, allowed) if self.would_keep(key) else ""
                hint = guess or f" (expected one of {expected})"
                self.report(key, f"unknown key `{shown(name)}` {where}{hint}")
        return found

    def text(self, node: yaml.Node, what: str, limit: int) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            self.report(node, f"{what} is empty; write the text after the colon")
            return None
        if not _is_text(node):
            kind = "a list or mapping" if not isinstance(node, yaml.ScalarNode) else "not text"
            self.report(node, f"{what} is {kind}; write it as text (in quotes if need be)")
            return None
        value = str(node.value).strip()
        if not value:
            self.report(node, f"{what} must not be empty")
            return None
        if len(value) > limit:
            self.report(node, f"{what} is {len(value)} characters; at most {limit} fit in Slack")
        return value

    def text_list(self, node: yaml.Node, what: str, *, limit: int) -> list[tuple[yaml.Node, str]]:
        """A list of texts (a single text counts as a list of one), with each one's node."""
        if _is_text(node):
            items = [node]
        elif isinstance(node, yaml.SequenceNode):
            items = node.value
            if not items:
                self.report(node, f"{what} is an empty list; give at least one")
        else:
            self.report(node, f"{what} must be a list, like [a, b]")
            return []
        found: list[tuple[yaml.Node, str]] = []
        seen: set[str] = set()
        for item in items:
            value = self.text(item, f"each entry of {what}", limit)
            if value is None:
                continue
            if value in seen:
                self.report(item, f"`{shown(value)}` is listed twice in {what}")
                continue
            seen.add(value)
            found.append((item, value))
        return found

    def version(self, node: yaml.Node) -> None:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _INT) or node.value.strip() != (
            str(FORMAT_VERSION)
        ):
            self.report(node, f"`version` must be {FORMAT_VERSION}, the only format there is")

    # -- topics ---------------------------------------------------------------

    def topics(self, entry: tuple[yaml.Node, yaml.Node] | None, root: yaml.Node) -> list[Topic]:
        if entry is None:
            self.report(root, "missing `topics:`, the mapping of topic slugs to descriptions")
            return []
        _, node = entry
        if not isinstance(node, yaml.MappingNode):
            self.report(node, "`topics:` must map each topic slug to its description")
            return []
        if not node.value:
            self.report(node, "`topics:` is empty; the tips need at least one topic")
        topics: list[Topic] = []
        names: dict[str, str] = {}  # every slug and alias, folded -> the topic it names
        for slug, (key, value) in self.entries(node, "under `topics:`", None).items():
            topic = self.topic(slug, key, value, names)
            if topic is not None:
                topics.append(topic)
        return topics

    def topic(
        self, slug: str, key: yaml.Node, value: yaml.Node, names: dict[str, str]
    ) -> Topic | None:
        valid_slug = bool(_SLUG.match(slug)) and len(slug) <= SLUG_MAX
        if not _SLUG.match(slug):
            self.report(key, f"topic `{shown(slug)}` must be lowercase words joined by hyphens")
        elif len(slug) > SLUG_MAX:
            self.report(key, f"topic `{shown(slug)}` is longer than {SLUG_MAX} characters")
        label = f"topic `{shown(slug)}`"
        if not isinstance(value, yaml.MappingNode):
            self.report(value, f"{label} needs `description:` (and optional `title:`)")
            return None
        where = f"in {label}"
        fields = self.entries(value, where, TOPIC_KEYS)
        description = None
        if "description" in fields:
            description = self.text(
                fields["description"][1], f"`description` of {label}", DESCRIPTION_MAX
            )
        elif _missing(fields, ("description",)):
            self.report(value, f"{label} is missing `description:`")
        title = None
        if "title" in fields:
            title = self.text(fields["title"][1], f"`title` of {label}", TOPIC_TITLE_MAX)
        aliases: list[tuple[yaml.Node, str]] = []
        if "aliases" in fields:
            aliases = self.text_list(fields["aliases"][1], f"`aliases` of {label}", limit=WORD_MAX)
        for name, name_node in [(slug, key), *((alias, node) for node, alias in aliases)]:
            # Compare names the way /pmtip looks them up, not as they are spelt.
            folded = normalize_word(name)
            if not folded:
                self.report(name_node, f"alias `{shown(name)}` has no letters or digits to type")
                continue
            owner = names.setdefault(folded, slug)
            if owner != slug:
                self.report(
                    name_node,
                    f"`{shown(name)}` names both topic `{shown(owner)}` and `{shown(slug)}`",
                )
        if not valid_slug:
            return None  # tips naming it are reported too; nobody is pointed at a bad slug
        return Topic(
            slug=slug,
            title=title or slug.replace("-", " ").capitalize(),
            description=description or "",
            aliases=tuple(alias for _, alias in aliases),
        )

    # -- tips -----------------------------------------------------------------

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
        if not node.value:
            self.report(node, "`tips:` is empty; the bot needs at least one tip")
        tips: list[Tip] = []
        first_line: dict[str, int] = {}
        for item in node.value:
            tip, id_node = self.tip(item, slugs)
            if id_node is not None:
                tip_id = str(id_node.value).strip()
                if tip_id in first_line:
                    self.report(
                        id_node,
                        f"tip id `{shown(tip_id)}` is used twice, on lines "
                        f"{first_line[tip_id]} and {_line(id_node)}; "
                        "every tip needs an id of its own",
                    )
                    continue
                first_line[tip_id] = _line(id_node)
            if tip is not None:
                tips.append(tip)
        return tips

    def tip(self, node: yaml.Node, slugs: set[str]) -> tuple[Tip | None, yaml.Node | None]:
        """The tip (None if it has problems) and the node of its id, if it has one."""
        if not isinstance(node, yaml.MappingNode):
            self.report(node, "each tip must be a mapping that starts with `- id:`")
            return None, None
        id_entry = next((v for k, v in node.value if k.value == "id" and _is_text(v)), None)
        label = f"tip `{shown(id_entry.value)}`" if id_entry is not None else "this tip"
        before = self.problems.total
        fields = self.entries(node, f"in {label}", TIP_KEYS)
        missing = _missing(fields, TIP_REQUIRED)
        if missing:
            names = [f"`{name}:`" for name in missing]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            self.report(node, f"{label} is missing {listed}")
        values: dict[str, str | None] = {}
        for name in _TIP_TEXTS:
            if name in fields:
                values[name] = self.text(fields[name][1], f"`{name}` of {label}", FIELD_MAX[name])
        tip_id, topic = values.get("id"), values.get("topic")
        if tip_id and not _TIP_ID.match(tip_id):
            self.report(
                fields["id"][1],
                f"tip id `{shown(tip_id)}` must be lowercase letters and digits, "
                "joined by `-`, `_` or `.`",
            )
        if topic and topic not in slugs:
            node = fields["topic"][1]
            # Only for a problem that is kept: each guess compares with every slug.
            hint = did_you_mean(topic, slugs) if self.would_keep(node) else ""
            self.report(
                node, f"{label} names topic `{shown(topic)}`, which is not under `topics:`{hint}"
            )
        for name, limit in RENDERED_MAX.items():
            value = values.get(name)
            if value and len(value) <= FIELD_MAX[name]:  # too long as typed is reported already
                rendered = rendered_length(name, value, topic=topic or "")
                if rendered > limit:
                    self.report(
                        fields[name][1],
                        f"`{name}` of {label} is {rendered} characters as Slack receives it "
                        f"(`&`, `<` and `>` are escaped, the label added); Slack allows {limit}",
                    )
        audience: list[tuple[yaml.Node, str]] = []
        if "audience" in fields:
            audience = self.text_list(
                fields["audience"][1], f"`audience` of {label}", limit=WORD_MAX
            )
        for who_node, who in audience:
            if who not in AUDIENCES:
                self.report(
                    who_node,
                    f"audience `{shown(who)}` of {label} must be one of "
                    + ", ".join(f"`{a}`" for a in AUDIENCES)
                    + did_you_mean(who, AUDIENCES),
                )
        tags: list[tuple[yaml.Node, str]] = []
        if "tags" in fields:
            tags = self.text_list(fields["tags"][1], f"`tags` of {label}", limit=WORD_MAX)
        id_node = fields["id"][1] if tip_id else None
        if self.problems.total > before:
            return None, id_node
        tip = Tip(
            id=str(tip_id),
            topic=str(topic),
            title=str(values["title"]),
            body=str(values["body"]),
            try_this=str(values["try"]),
            quote=str(values["quote"]),
            section=str(values["section"]),
            audience=tuple(who for _, who in audience),
            tags=tuple(tag for _, tag in tags),
        )
        return tip, id_node
