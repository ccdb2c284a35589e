"""YAML anchors (`&name`) and aliases (`*name`) are refused in the tips file.

An alias repeats the node its anchor marks. Composing keeps one shared node, but
everything that walks the document afterwards (the checks, the tips built from
it, their search index) sees every repeat, so nested or repeated aliases turn
a few KB of text into millions of tags and problems. Admins writing tips have
no need for them, so they are refused at their place with a plain message.

They are found in libyaml's token stream, before any node is composed: a token
scan cannot expand anything, and stays linear in the file's size. The scan
costs about two thirds of a compose, so it runs only when `may_hold_anchors`
finds an `&` or `*` where YAML could start a node; most files have none there.
"""

from __future__ import annotations

import yaml

from bot.core.problems import Problem, ProblemLog, shown

try:  # libyaml's scanner when PyYAML has it, as the loader does
    _Scanner: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Scanner = yaml.SafeLoader

REFUSED = "the tips file does not accept anchors or aliases: write the value out in full"

# What may come right before a node's first token, spaces and tabs aside: the
# start of a line (or of the file), an indicator (`-`, `?`, `:`, flow brackets,
# `,`), or the closing quote of a quoted scalar. A plain word may not: in `R&D`
# or `a *bold* word` the `&` and `*` are text.
_LINE_BREAKS = "\r\n\x85\u2028\u2029\ufeff"
_NODE_MAY_FOLLOW = frozenset("-?:[]{},\"'" + _LINE_BREAKS)
_LOOK_BACK = 64  # characters; beyond that, assume an anchor may be there


def may_hold_anchors(text: str) -> bool:
    """False when `text` certainly has no anchor or alias; True when it may.

    Finding each `&` and `*` costs a C-speed `find`; only those get a look at
    what comes before them."""
    for indicator in "&*":
        at = text.find(indicator)
        while at != -1:
            if _node_may_start(text, at):
                return True
            at = text.find(indicator, at + 1)
    return False


def _node_may_start(text: str, at: int) -> bool:
    window = text[max(0, at - _LOOK_BACK) : at]
    before = window.rstrip(" \t")
    if not before:
        return True  # the start of the file, or a long run of spaces: look closer
    if before[-1] in _NODE_MAY_FOLLOW:
        return True
    if len(before) == len(window):
        return False  # glued to the word before it: text
    # After a space, only a node's properties (a tag, an anchor) may come first.
    word_start = max(before.rfind(c) for c in " \t" + _LINE_BREAKS) + 1
    if word_start == 0 and at > _LOOK_BACK:
        return True  # the word may start before the window
    return before[word_start] in "!&*"


def anchor_problems(text: str) -> ProblemLog | None:
    """Every anchor and alias in `text`, at its place; None when it has none.

    A syntax error ends the scan: what was found before it is reported, and
    the error itself is left to the parser, which explains it better."""
    log = ProblemLog()
    scanner = _Scanner(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, yaml.AnchorToken | yaml.AliasToken):
                log.add(_refusal(token))
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    return log if log.total else None


def _refusal(token: yaml.AnchorToken | yaml.AliasToken) -> Problem:
    mark = token.start_mark
    name = shown(token.value)
    if isinstance(token, yaml.AnchorToken):
        what = f"`&{name}` is a YAML anchor (it marks a value to repeat elsewhere)"
    else:
        what = f"`*{name}` is a YAML alias (it repeats the value marked `&{name}`)"
    return Problem(mark.line + 1, mark.column + 1, f"{what}; {REFUSED}")
