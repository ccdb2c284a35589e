"""The admins' vocabulary (`words:` of a topic): what search reads like the topic's
name, validated with line numbers like the rest of the file."""

from __future__ import annotations

from pathlib import Path

from bot.core.tips_file import parse_catalogue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tips"
VALID = (FIXTURES / "valid.yaml").read_text(encoding="utf-8")
MOAT = "    aliases: [moats, defensibility]\n"
DISCOVERY = "    description: Find unmet needs through customer immersion.\n"


def with_words(moat: str = "", discovery: str = "") -> str:
    text = VALID.replace(MOAT, MOAT + moat)
    return text.replace(DISCOVERY, DISCOVERY + discovery)


def problems(text: str) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in parse_catalogue(text).problems]


def test_words_are_kept_on_the_topic_and_found_by_search() -> None:
    result = parse_catalogue(with_words(moat="    words: [copycat, me-too]\n"))
    assert result.ok, result.problems
    moat = result.catalogue.topic("moat")
    assert moat.words == ("copycat", "me-too")
    assert result.catalogue.search("copycats")[0].topic == "moat"


def test_a_word_claimed_by_two_topics_is_reported_at_the_second_with_the_first_line() -> None:
    text = with_words(
        moat="    words: [copycat]\n", discovery="    words: [interviews, Copycats]\n"
    )
    found = problems(text)
    assert len(found) == 1
    line, message = found[0]
    assert line == 11  # discovery's words: one line below its description
    assert "`Copycats` is a word of topic `moat` (line 8)" in message
    assert "`+Copycats` in both" in message


def test_a_word_both_topics_mark_as_shared_counts_for_both() -> None:
    text = with_words(moat="    words: [+evals]\n", discovery="    words: [+evals]\n")
    result = parse_catalogue(text)
    assert result.ok, result.problems
    assert result.catalogue.topic("moat").words == ("evals",)
    assert result.catalogue.topic("discovery").words == ("evals",)
    # marked in one topic only: still a clash
    one_sided = with_words(moat="    words: [+evals]\n", discovery="    words: [evals]\n")
    assert any("`evals` is a word of topic `moat`" in m for _, m in problems(one_sided))


def test_a_word_that_is_another_topics_name_is_reported() -> None:
    found = problems(with_words(discovery="    words: [defensibility]\n"))
    assert len(found) == 1 and found[0][0] == 10
    assert "a name of topic `moat` (line 7)" in found[0][1]


def test_empty_overlong_and_non_text_words_are_reported_at_their_lines() -> None:
    text = with_words(
        moat='    words: ["", {a: b}, 12, ' + "x" * 61 + ", +" + "y" * 200 + ", '!!!']\n",
        discovery="    words: []\n",
    )
    found = problems(text)
    messages = " | ".join(m for _, m in found)
    assert all(line == 8 for line, _ in found[:-1]) and found[-1][0] == 11
    assert "each entry of `words` of topic `moat` must not be empty" in messages
    assert "is a list or mapping" in messages
    assert "is not text" in messages
    assert "is 61 characters" in messages and "is 200 characters" in messages
    assert messages.count("characters") == 2  # each reported once, without the `+`
    assert "`!!!` in `words` of topic `moat` has no word search could match" in messages
    assert "`words` of topic `discovery` is an empty list" in messages
