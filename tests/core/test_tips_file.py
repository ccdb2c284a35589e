"""The tips-file validator: every kind of mistake an admin makes, reported at its
line and column, all at once; the JSON Schema and the loader agreeing; texts
measured as Slack receives them."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.core.render import blocks
from bot.core.render.tips import tip_reply, weekly_insight
from bot.core.tips_file import FIELD_MAX, TRY_PREFIX, parse_catalogue, parse_tips
from tests.support.slack_validation import assert_valid_message

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "tips"
SCHEMA = json.loads((REPO / "content" / "tips.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def problems_of(name: str) -> list[tuple[int, int, str]]:
    raw = (FIXTURES / name).read_bytes()
    result = parse_catalogue(raw.decode("utf-8"))
    assert result.catalogue is None
    return [(p.line, p.column, p.message) for p in result.problems]


# (fixture, [(line, column, words the message must contain)]) - every problem, in order
BROKEN = [
    (
        "syntax_error.yaml",
        [(21, 15, ["this list opens with `[`", "never closed", "expected ',' or ']'", "line 22"])],
    ),
    ("tab_indent.yaml", [(27, 1, ["YAML syntax error", "tab"])]),
    (
        "duplicate_id.yaml",
        [(24, 9, ["`moat-system` is used twice", "lines 12 and 24"])],
    ),
    (
        "unknown_topic.yaml",
        [(25, 12, ["topic `discovry`", "not under `topics:`", "did you mean `discovery`?"])],
    ),
    (
        "missing_fields.yaml",
        [
            (12, 5, ["tip `moat-system` is missing `try:`"]),
            (23, 5, ["tip `discovery-immersion` is missing `title:`"]),
        ],
    ),
    ("typo_key.yaml", [(19, 5, ["unknown key `qoute`", "did you mean `quote`?"])]),
    (
        "duplicate_keys.yaml",
        [
            (8, 3, ["`moat` appears twice under `topics:`", "also on line 4"]),
            (30, 5, ["`body` appears twice in tip `discovery-immersion`", "also on line 29"]),
        ],
    ),
    (
        "too_long.yaml",
        [
            (14, 12, ["`title` of tip `moat-system`", "153 characters", "150"]),
            (27, 11, ["`body` of tip `discovery-immersion`", "as Slack receives it", "3000"]),
        ],
    ),
    (
        "wrong_types.yaml",
        [
            (22, 11, ["`tags` of tip `moat-system` must be a list"]),
            (26, 12, ["`title` of tip `discovery-immersion` is not text", "quotes"]),
            (31, 26, ["audience `ceo`", "`business`, `platform`, `infrastructure`"]),
        ],
    ),
    ("bad_ids.yaml", [(12, 9, ["tip id `Moat System` must be lowercase"])]),
    ("empty.yaml", [(1, 1, ["the file is empty"])]),
    ("comments_only.yaml", [(1, 1, ["the file is empty"])]),
    (
        "truncated.yaml",
        [(29, 12, ['opens a quote (")', "never closed", "end of the file", "cut short"])],
    ),
    (
        "truncated_at_line.yaml",
        [(24, 5, ["`discovery-immersion` is missing `quote:`, `section:` and `audience:`"])],
    ),
    (
        "many_problems.yaml",
        [
            (4, 3, ["topic `Moat` must be lowercase"]),
            (13, 12, ["names topic `moat`, which is not under `topics:`"]),
            (19, 5, ["unknown key `qoute`", "did you mean `quote`?"]),
            (24, 9, ["`moat-system` is used twice", "lines 12 and 24"]),
            (25, 12, ["names topic `moot`"]),
            (31, 26, ["audience `platfrom`", "did you mean `platform`?"]),
        ],
    ),
]


@pytest.mark.parametrize(("name", "expected"), BROKEN, ids=[name for name, _ in BROKEN])
def test_each_mistake_is_reported_at_its_line_and_column(
    name: str, expected: list[tuple[int, int, list[str]]]
) -> None:
    found = problems_of(name)
    assert [(line, column) for line, column, _ in found] == [(ln, col) for ln, col, _ in expected]
    for (_, _, message), (line, _, words) in zip(found, expected, strict=True):
        for word in words:
            assert word in message, f"line {line}: {word!r} not in {message!r}"


def test_the_valid_fixture_and_the_shipped_file_load() -> None:
    for path in (FIXTURES / "valid.yaml", REPO / "content" / "tips.yaml"):
        result = parse_catalogue(path.read_text(encoding="utf-8"))
        assert result.ok, result.problems
    valid = parse_catalogue((FIXTURES / "valid.yaml").read_text(encoding="utf-8")).catalogue
    assert valid is not None
    assert [tip.id for tip in valid.tips] == ["moat-system", "discovery-immersion"]
    assert valid.tip("discovery-immersion").audience == ("business",)  # one word, a list of one
    assert valid.resolve_topic("defensibility").slug == "moat"


def test_the_problems_keep_the_order_of_the_file() -> None:
    found = problems_of("many_problems.yaml")
    assert found == sorted(found)


# -- texts as Slack receives them --------------------------------------------------------


def tip_yaml(**fields: str) -> str:
    tip = {
        "id": "t1",
        "topic": "moat",
        "title": "A title",
        "body": "A body.",
        "try": "Do it.",
        "quote": "q",
        "section": "S",
    } | fields
    lines = ["topics:", "  moat:", "    description: d", "tips:", "  - audience: [business]"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in tip.items()]
    return "\n".join(lines) + "\n"


def test_texts_at_their_limits_render_whole_and_valid() -> None:
    longest = {
        "title": "T" * blocks.HEADER_MAX,
        "body": "b" * blocks.SECTION_MAX,
        "try": "y" * (blocks.SECTION_MAX - len(TRY_PREFIX)),
        "quote": "q" * FIELD_MAX["quote"],
        "section": "s" * FIELD_MAX["section"],
    }
    result = parse_catalogue(tip_yaml(**longest))
    assert result.ok, result.problems
    tip = result.catalogue.tip("t1")
    for message in (tip_reply(tip), weekly_insight(tip)):
        assert_valid_message(message)
        rendered = json.dumps(message.blocks)
        for value in longest.values():
            assert value in rendered  # nothing was clipped


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("title", "T" * (blocks.HEADER_MAX + 1), "150"),
        ("body", "b" * blocks.SECTION_MAX + "b", "3000"),
        ("body", "&" * 601, "3000"),  # 601 characters typed, 3005 once escaped
        ("try", "y" * (blocks.SECTION_MAX - len(TRY_PREFIX) - 1) + "<", "3000"),
        ("quote", "q" * (FIELD_MAX["quote"] + 1), "600"),
        ("quote", "<" * 500, "2000"),
    ],
)
def test_a_text_over_slacks_limit_is_refused(field: str, value: str, limit: str) -> None:
    result = parse_catalogue(tip_yaml(**{field: value}))
    assert not result.ok
    [problem] = result.problems
    assert (
        problem.line == 5 + list(("id", "topic", "title", "body", "try", "quote")).index(field) + 1
    )
    assert f"`{field}` of tip `t1`" in problem.message and limit in problem.message


# -- the schema and the loader agree -------------------------------------------------


def as_data(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_shipped_file_names_the_schema_and_validates_against_it() -> None:
    tips_file = REPO / "content" / "tips.yaml"
    first_line = tips_file.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=./tips.schema.json"
    VALIDATOR.validate(as_data(tips_file))
    VALIDATOR.validate(as_data(FIXTURES / "valid.yaml"))


def _mutations() -> list[tuple[str, Any]]:
    """Changes to the valid fixture that both the schema and the loader must refuse."""

    def tip(data: dict, index: int = 0) -> dict:
        return data["tips"][index]

    return [
        ("unknown top-level key", lambda d: d.update(extra=1)),
        ("version 2", lambda d: d.update(version=2)),
        ("unknown tip key", lambda d: tip(d).update(qoute="x")),
        ("unknown topic key", lambda d: d["topics"]["moat"].update(colour="red")),
        ("missing body", lambda d: tip(d).pop("body")),
        ("missing description", lambda d: d["topics"]["discovery"].pop("description")),
        ("number as title", lambda d: tip(d).update(title=2024)),
        ("blank body", lambda d: tip(d).update(body="   ")),
        ("unknown audience", lambda d: tip(d).update(audience=["ceo"])),
        ("empty audience", lambda d: tip(d).update(audience=[])),
        ("repeated audience", lambda d: tip(d).update(audience=["business", "business"])),
        ("bad id", lambda d: tip(d).update(id="Has Spaces")),
        ("bad topic slug", lambda d: d["topics"].update({"Bad Slug": {"description": "x"}})),
        ("long title", lambda d: tip(d).update(title="t" * 151)),
        ("long quote", lambda d: tip(d).update(quote="q" * 601)),
        ("long topic title", lambda d: d["topics"]["moat"].update(title="t" * 76)),
        ("tags as mapping", lambda d: tip(d).update(tags={"a": 1})),
        ("no tips", lambda d: d.update(tips=[])),
        ("no topics", lambda d: d.update(topics={})),
        ("tip not a mapping", lambda d: d["tips"].append("just text")),
    ]


@pytest.mark.parametrize(("what", "change"), _mutations(), ids=[w for w, _ in _mutations()])
def test_the_schema_and_the_loader_refuse_the_same_mistakes(what: str, change: Any) -> None:
    data = copy.deepcopy(as_data(FIXTURES / "valid.yaml"))
    change(data)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    assert not parse_catalogue(text).ok, f"the loader accepts {what}"
    assert not VALIDATOR.is_valid(data), f"the schema accepts {what}"


def test_a_generated_catalogue_satisfies_both() -> None:
    text = generate_tips_yaml(50)
    assert parse_tips(text).ok
    VALIDATOR.validate(yaml.safe_load(text))


# -- a large catalogue -----------------------------------------------------------------


def generate_tips_yaml(count: int, *, topic_count: int = 100) -> str:
    """A valid catalogue of `count` tips, made by benchmarks/catalogue.py."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from catalogue import generate_tips_yaml as generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return generate(count, topic_count=topic_count)


def test_ten_thousand_generated_tips_validate_and_load() -> None:
    result = parse_catalogue(generate_tips_yaml(10_000))
    assert result.ok, result.problems[:3]
    catalogue = result.catalogue
    assert len(catalogue.tips) == 10_000 and len(catalogue.topics) == 100
    assert catalogue.tip("generated-tip-09999").topic == "topic-099"
    assert len(catalogue.tips_in("topic-042")) == 100
    assert catalogue.resolve_topic("topic-007-alias").slug == "topic-007"


def test_ten_thousand_tips_with_one_mistake_point_at_it() -> None:
    lines = generate_tips_yaml(10_000).split("\n")
    index = next(i for i, line in enumerate(lines) if line == "  - id: generated-tip-09000")
    lines[index + 1] = "    topic: no-such-topic"
    problems = parse_tips("\n".join(lines)).problems
    assert [(p.line, p.column) for p in problems] == [(index + 2, 12)]
    assert re.search(r"names topic `no-such-topic`", problems[0].message)


# -- the command line, as a pre-commit hook runs it --------------------------------------


def run_validate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "validate", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_prints_a_one_line_summary_and_exits_0(tmp_path: Path) -> None:
    path = FIXTURES / "valid.yaml"
    finished = run_validate(str(path), cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == f"{path}: OK, 2 tips in 2 topics\n"


def test_validate_lists_every_problem_as_path_line_column_and_exits_1(tmp_path: Path) -> None:
    path = FIXTURES / "many_problems.yaml"
    finished = run_validate(str(path), cwd=tmp_path)
    assert finished.returncode == 1
    lines = finished.stdout.splitlines()
    expected = [(line, column) for line, column, _ in problems_of("many_problems.yaml")]
    pattern = re.compile(rf"^{re.escape(str(path))}:(\d+):(\d+): \S.*$")
    found = [pattern.match(line) for line in lines]
    assert all(found), lines
    assert [(int(m.group(1)), int(m.group(2))) for m in found] == expected
    assert finished.stderr.strip() == f"{path}: {len(expected)} problem(s)"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("latin1.yaml", "not UTF-8"),
        ("truncated.yaml", "cut short"),
        ("does-not-exist.yaml", "does not exist"),
    ],
)
def test_validate_explains_files_it_cannot_read(tmp_path: Path, name: str, says: str) -> None:
    finished = run_validate(str(FIXTURES / name), cwd=tmp_path)
    assert finished.returncode == 1
    assert says in finished.stdout and "Traceback" not in finished.stderr


def test_validate_defaults_to_tips_path(tmp_path: Path) -> None:
    path = FIXTURES / "typo_key.yaml"
    finished = run_validate(cwd=tmp_path, env={"TIPS_PATH": str(path)})
    assert finished.returncode == 1
    assert finished.stdout.startswith(f"{path}:19:5: unknown key `qoute`")


def test_aliases_that_collide_once_typed_are_refused() -> None:
    text = (FIXTURES / "valid.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    description: Find unmet needs through customer immersion.\n",
        "    description: Find unmet needs through customer immersion.\n"
        '    aliases: ["Moats!", "!!!"]\n',
    )
    messages = [p.message for p in parse_catalogue(text).problems]
    assert any("`Moats!` names both topic `moat` and `discovery`" in m for m in messages)
    assert any("alias `!!!` has no letters or digits" in m for m in messages)


def test_a_topic_title_leaves_room_for_the_count_on_its_home_button() -> None:
    text = (FIXTURES / "valid.yaml").read_text(encoding="utf-8")
    too_long = text.replace("title: Designing the moat", "title: " + "m" * 69)
    assert any("`title` of topic `moat`" in p.message for p in parse_catalogue(too_long).problems)
    just_right = text.replace("title: Designing the moat", "title: " + "m" * 68)
    assert parse_catalogue(just_right).ok
