"""Reading content/tips.yaml: YAML text in, a Catalogue or a list of problems out.

Every problem carries the line and column of the YAML node it is about, so an
admin who edits the file by hand is pointed at the exact spot. All problems are
collected in one pass; nothing stops at the first (a YAML syntax error is the
exception: the parser cannot read past it). Only the first PROBLEMS_KEPT are
kept, with a count of the rest (bot.core.problems).

YAML anchors and aliases are refused before the file is composed
(bot.core.yaml_anchors), so checking it stays linear in its size.

The format's keys and limits are in bot.core.tips_format, the node checks every
part uses in bot.core.tips_nodes, and `topics:` (with the admins' vocabulary) in
bot.core.tips_topics; the tips themselves are checked here.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from bot.core.catalogue import AUDIENCES, Catalogue, Tip, Topic
from bot.core.problems import Problem, ProblemLog, shown
from bot.core.tips_format import (
    EMPTY_FILE,
    FIELD_MAX,
    RENDERED_MAX,
    TIP_ID,
    TIP_ID_PATTERN,
    TIP_KEYS,
    TIP_REQUIRED,
    TIP_TEXTS,
    TOP_KEYS,
    TRY_PREFIX,
    WORD_MAX,
    rendered_length,
)
from bot.core.tips_nodes import NodeChecker, did_you_mean, is_text, line_of, missing
from bot.core.tips_topics import check_topics
from bot.core.yaml_anchors import anchor_problems, may_hold_anchors
from bot.core.yaml_syntax import syntax_problem

# Re-exported: what callers of the tips file take from here.
__all__ = [
    "FIELD_MAX",
    "TIP_ID_PATTERN",
    "TRY_PREFIX",
    "LoadResult",
    "TipsFile",
    "decode_tips_bytes",
    "parse_catalogue",
    "parse_tips",
    "rendered_length",
]

try:  # libyaml is an order of magnitude faster; the pure loader is the fallback.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


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


def _fail(log: ProblemLog) -> TipsFile:
    return TipsFile((), (), log.kept, log.left_out)


def _fail_with(problem: Problem) -> TipsFile:
    return TipsFile((), (), (problem,))


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


class _Checker(NodeChecker):
    def check(self, root: yaml.Node | None) -> TipsFile:
        if root is None:
            return _fail_with(Problem(1, 1, EMPTY_FILE))
        if not isinstance(root, yaml.MappingNode):
            self.report(root, "the file must be a mapping with `topics:` and `tips:`")
            return _fail(self.problems)
        top = self.entries(root, "at the top level", TOP_KEYS)
        if "version" in top:
            self.version(top["version"][1])
        topics = check_topics(self, top.get("topics"), root)
        tips = self.tips(top.get("tips"), root, {topic.slug for topic in topics})
        if self.problems.total:
            return _fail(self.problems)
        return TipsFile(tuple(topics), tuple(tips), ())

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
                        f"{first_line[tip_id]} and {line_of(id_node)}; "
                        "every tip needs an id of its own",
                    )
                    continue
                first_line[tip_id] = line_of(id_node)
            if tip is not None:
                tips.append(tip)
        return tips

    def tip(self, node: yaml.Node, slugs: set[str]) -> tuple[Tip | None, yaml.Node | None]:
        """The tip (None if it has problems) and the node of its id, if it has one."""
        if not isinstance(node, yaml.MappingNode):
            self.report(node, "each tip must be a mapping that starts with `- id:`")
            return None, None
        id_entry = next((v for k, v in node.value if k.value == "id" and is_text(v)), None)
        label = f"tip `{shown(id_entry.value)}`" if id_entry is not None else "this tip"
        before = self.problems.total
        fields = self.entries(node, f"in {label}", TIP_KEYS)
        absent = missing(fields, TIP_REQUIRED)
        if absent:
            names = [f"`{name}:`" for name in absent]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            self.report(node, f"{label} is missing {listed}")
        values: dict[str, str | None] = {}
        for name in TIP_TEXTS:
            if name in fields:
                values[name] = self.text(fields[name][1], f"`{name}` of {label}", FIELD_MAX[name])
        tip_id, topic = values.get("id"), values.get("topic")
        if tip_id and not TIP_ID.match(tip_id):
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
