"""The last-tip memory is shared by the processes forked from one start, as
gunicorn's workers are, so "never the same tip twice in a row" holds across them."""

from __future__ import annotations

import os

from bot.slack.recent import RecentTips
from tests.support.workspaces import OTHER, WS


def test_remembers_the_last_tip_per_person_and_scope():
    recent = RecentTips(slots=64)
    assert recent.last(WS, "U1", "moat") is None
    recent.remember(WS, "U1", "moat", "moat-system")
    recent.remember(WS, "U1", "moat", "moat-feature")
    recent.remember(WS, "U2", "moat", "moat-other")
    assert recent.last(WS, "U1", "moat") == "moat-feature"
    assert recent.last(WS, "U2", "moat") == "moat-other"
    assert recent.last(WS, "U1", "ai-fit") is None
    # the same user id in another workspace is remembered apart
    assert recent.last(OTHER, "U1", "moat") is None
    recent.remember(OTHER, "U1", "moat", "moat-elsewhere")
    assert recent.last(WS, "U1", "moat") == "moat-feature"


def test_a_worker_forked_after_start_sees_what_another_worker_remembered():
    recent = RecentTips(slots=64)
    child = os.fork()
    if child == 0:  # the "other worker"
        recent.remember(WS, "U1", "ai-failure", "ai-failure-fallback")
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert recent.last(WS, "U1", "ai-failure") == "ai-failure-fallback"


def test_memory_is_bounded_whatever_the_number_of_people():
    recent = RecentTips(slots=8)
    for n in range(1000):
        recent.remember(WS, f"U{n}", "*", f"tip-{n}")
    remembered = sum(recent.last(WS, f"U{n}", "*") == f"tip-{n}" for n in range(1000))
    assert 1 <= remembered <= 8
