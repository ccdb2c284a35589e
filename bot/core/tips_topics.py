"""Checking `topics:` of the tips file: slugs, titles, descriptions, the aliases
`/pmtip <topic>` answers to, and the admins' vocabulary (`words:`).

`words:` lists what PMs type for a topic (synonyms, jargon, short phrases); search
reads them like the topic's name. A word belongs to one topic: two topics claiming
it would make search pick between them by chance. When a word truly fits both, both
write it with a leading `+` (`+evals`), and it counts for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from bot.core.catalogue import Topic, normalize_word
from bot.core.problems import shown
from bot.core.search_terms import terms
from bot.core.tips_format import (
    DESCRIPTION_MAX,
    SHARED_MARK,
    SLUG,
    SLUG_MAX,
    TOPIC_KEYS,
    TOPIC_TITLE_MAX,
    VOCABULARY_WORD_MAX,
    WORD_MAX,
)
from bot.core.tips_nodes import Entry, NodeChecker, line_of, missing


@dataclass(frozen=True, slots=True)
class _Claim:
    """A topic's claim on what search reads as one key: a name or one of its words."""

    slug: str
    node: yaml.Node
    text: str
    is_name: bool
    shared: bool = False


def check_topics(checker: NodeChecker, entry: Entry | None, root: yaml.Node) -> list[Topic]:
    if entry is None:
        checker.report(root, "missing `topics:`, the mapping of topic slugs to descriptions")
        return []
    _, node = entry
    if not isinstance(node, yaml.MappingNode):
        checker.report(node, "`topics:` must map each topic slug to its description")
        return []
    if not node.value:
        checker.report(node, "`topics:` is empty; the tips need at least one topic")
    topics: list[Topic] = []
    names: dict[str, str] = {}  # every slug and alias, folded -> the topic it names
    claims: list[_Claim] = []
    for slug, (key, value) in checker.entries(node, "under `topics:`", None).items():
        topic = _topic(checker, slug, key, value, names, claims)
        if topic is not None:
            topics.append(topic)
    _check_claims(checker, claims)
    return topics


def _topic(
    checker: NodeChecker,
    slug: str,
    key: yaml.Node,
    value: yaml.Node,
    names: dict[str, str],
    claims: list[_Claim],
) -> Topic | None:
    valid_slug = bool(SLUG.match(slug)) and len(slug) <= SLUG_MAX
    if not SLUG.match(slug):
        checker.report(key, f"topic `{shown(slug)}` must be lowercase words joined by hyphens")
    elif len(slug) > SLUG_MAX:
        checker.report(key, f"topic `{shown(slug)}` is longer than {SLUG_MAX} characters")
    label = f"topic `{shown(slug)}`"
    if not isinstance(value, yaml.MappingNode):
        checker.report(value, f"{label} needs `description:` (and optional `title:`)")
        return None
    fields = checker.entries(value, f"in {label}", TOPIC_KEYS)
    description = None
    if "description" in fields:
        description = checker.text(
            fields["description"][1], f"`description` of {label}", DESCRIPTION_MAX
        )
    elif missing(fields, ("description",)):
        checker.report(value, f"{label} is missing `description:`")
    title = None
    if "title" in fields:
        title = checker.text(fields["title"][1], f"`title` of {label}", TOPIC_TITLE_MAX)
    aliases: list[tuple[yaml.Node, str]] = []
    if "aliases" in fields:
        aliases = checker.text_list(fields["aliases"][1], f"`aliases` of {label}", limit=WORD_MAX)
    _names(checker, slug, [(slug, key), *((alias, node) for node, alias in aliases)], names, claims)
    words = _words(checker, fields.get("words"), slug, label, claims)
    if not valid_slug:
        return None  # tips naming it are reported too; nobody is pointed at a bad slug
    return Topic(
        slug=slug,
        title=title or slug.replace("-", " ").capitalize(),
        description=description or "",
        aliases=tuple(alias for _, alias in aliases),
        words=tuple(words),
    )


def _names(
    checker: NodeChecker,
    slug: str,
    named: list[tuple[str, yaml.Node]],
    names: dict[str, str],
    claims: list[_Claim],
) -> None:
    """Check the topic's slug and aliases against every other topic's."""
    for name, name_node in named:
        # Compare names the way /pmtip looks them up, not as they are spelt.
        folded = normalize_word(name)
        if not folded:
            checker.report(name_node, f"alias `{shown(name)}` has no letters or digits to type")
            continue
        claims.append(_Claim(slug, name_node, name, is_name=True))
        owner = names.setdefault(folded, slug)
        if owner != slug:
            checker.report(
                name_node,
                f"`{shown(name)}` names both topic `{shown(owner)}` and `{shown(slug)}`",
            )


def _words(
    checker: NodeChecker, entry: Entry | None, slug: str, label: str, claims: list[_Claim]
) -> list[str]:
    """The topic's vocabulary, without the marks; each word's claim goes in `claims`."""
    if entry is None:
        return []
    what = f"`words` of {label}"
    found = checker.text_list(entry[1], what, limit=None)  # measured without the mark
    words = []
    for node, written in found:
        shared = written.startswith(SHARED_MARK)
        word = written.removeprefix(SHARED_MARK).strip()
        if len(word) > VOCABULARY_WORD_MAX:
            checker.report(
                node,
                f"`{shown(word[:40])}…` in {what} is {len(word)} characters; "
                f"a word or a short phrase of at most {VOCABULARY_WORD_MAX} is what PMs type",
            )
            continue
        if not terms(word, keep_stop_words=True):
            checker.report(node, f"`{shown(written)}` in {what} has no word search could match")
            continue
        claims.append(_Claim(slug, node, word, is_name=False, shared=shared))
        words.append(word)
    return words


def _check_claims(checker: NodeChecker, claims: list[_Claim]) -> None:
    """Report words two topics claim (as search reads them), in file order."""
    by_key: dict[str, list[_Claim]] = {}
    for claim in claims:
        key = " ".join(terms(claim.text, keep_stop_words=True))
        if claim.is_name:
            key = key or normalize_word(claim.text)
        earlier = [c for c in by_key.setdefault(key, []) if c.slug != claim.slug]
        by_key[key].append(claim)
        if claim.is_name and all(c.is_name for c in earlier):
            continue  # two names: reported with the aliases, by how they are typed
        for other in earlier:
            if other.is_name or claim.is_name:
                word, name = (other, claim) if claim.is_name else (claim, other)
                checker.report(
                    word.node,
                    f"the word `{shown(word.text)}` of topic `{shown(word.slug)}` reads, to "
                    f"search, as `{shown(name.text)}`, a name of topic `{shown(name.slug)}` "
                    f"(line {line_of(name.node)}); leave it to that topic",
                )
            elif not (claim.shared and other.shared):
                checker.report(
                    claim.node,
                    f"`{shown(claim.text)}` is a word of topic `{shown(other.slug)}` (line "
                    f"{line_of(other.node)}) and of `{shown(claim.slug)}`; keep it in one, or "
                    f"write `{SHARED_MARK}{shown(claim.text)}` in both if both should match it",
                )
            break
