"""Rotation: every eligible tip once per round, shuffled, surviving catalogue edits."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from bot.core.catalogue import Catalogue, Tip, Topic
from bot.core.rotation import Pick, eligible_tip_ids, next_pick, round_order

TIP_IDS = [f"tip-{n:02d}" for n in range(12)]


def run_rotation(
    eligible_by_week: list[list[str]], *, seed: str = "channel-seed"
) -> list[tuple[str, int]]:
    """Simulate weekly posts; the ledger here is the list of (tip, round) posted."""
    posted: list[tuple[str, int]] = []
    round_ = 0
    for eligible in eligible_by_week:
        delivered = {tip for tip, r in posted if r == round_}
        pick = next_pick(
            eligible,
            seed=seed,
            round=round_,
            delivered_this_round=delivered,
            previous=posted[-1][0] if posted else None,
        )
        assert pick is not None
        posted.append((pick.tip_id, pick.round))
        round_ = pick.round
    return posted


def test_every_tip_once_per_round_over_several_rounds():
    posted = run_rotation([TIP_IDS] * (len(TIP_IDS) * 4))
    for round_ in range(4):
        in_round = [tip for tip, r in posted if r == round_]
        assert sorted(in_round) == sorted(TIP_IDS), f"round {round_}"


def test_the_order_is_shuffled_not_the_file_order_and_differs_between_rounds():
    posted = run_rotation([TIP_IDS] * (len(TIP_IDS) * 2))
    first = [tip for tip, r in posted if r == 0]
    second = [tip for tip, r in posted if r == 1]
    assert first != sorted(TIP_IDS)
    assert first != second


def test_the_order_depends_on_the_channel_seed():
    assert round_order(TIP_IDS, seed="a", round=0) != round_order(TIP_IDS, seed="b", round=0)


def test_the_order_is_the_same_on_every_call_and_for_any_input_order():
    forward = round_order(TIP_IDS, seed="s", round=3)
    assert round_order(list(reversed(TIP_IDS)), seed="s", round=3) == forward


def test_a_round_boundary_never_repeats_the_last_tip_back_to_back():
    for seed in (f"seed-{n}" for n in range(200)):
        posted = run_rotation([TIP_IDS[:3]] * 12, seed=seed)
        tips = [tip for tip, _ in posted]
        assert all(a != b for a, b in pairwise(tips)), seed


def test_a_tip_added_mid_round_joins_the_current_round():
    weeks = [TIP_IDS[:6]] * 3 + [[*TIP_IDS[:6], "tip-new"]] * 4
    posted = run_rotation(weeks)
    round_zero = [tip for tip, r in posted if r == 0]
    assert "tip-new" in round_zero
    assert sorted(round_zero) == sorted([*TIP_IDS[:6], "tip-new"])
    assert Counter(round_zero).most_common(1)[0][1] == 1


def test_a_removed_tip_is_skipped_and_the_round_still_ends():
    posted_before = run_rotation([TIP_IDS[:6]] * 2)
    removed = next(t for t in TIP_IDS[:6] if t not in {tip for tip, _ in posted_before})
    remaining = [t for t in TIP_IDS[:6] if t != removed]
    posted = run_rotation([TIP_IDS[:6]] * 2 + [remaining] * 8)
    assert removed not in [tip for tip, _ in posted]
    assert sorted(tip for tip, r in posted if r == 0) == sorted(remaining)
    assert {r for _, r in posted} == {0, 1}


def test_tips_edited_between_rounds_join_the_round_not_yet_closed_then_rotate():
    # After the fourth week all four tips were posted, but round 0 closes only
    # when a fifth pick is needed; the four tips added by then join round 0.
    weeks = [TIP_IDS[:4]] * 4 + [TIP_IDS[2:8]] * 10
    posted = run_rotation(weeks)
    assert sorted(tip for tip, r in posted if r == 0) == sorted(TIP_IDS[:8])
    assert sorted(tip for tip, r in posted if r == 1) == sorted(TIP_IDS[2:8])


def test_nothing_eligible_gives_no_pick():
    assert next_pick([], seed="s", round=0, delivered_this_round=set()) is None


def test_a_single_tip_repeats_each_round():
    pick = next_pick(["only"], seed="s", round=0, delivered_this_round={"only"}, previous="only")
    assert pick == Pick("only", 1)


def test_topic_filter_limits_the_eligible_tips():
    topics = (Topic("ai-fit", "AI fit", "d"), Topic("moats", "Moats", "d"))
    tips = tuple(
        Tip(
            id=f"{topic}-{n}",
            topic=topic,
            title="t",
            body="b",
            try_this="x",
            quote="q",
            section="s",
            audience=("business",),
        )
        for topic in ("ai-fit", "moats")
        for n in range(3)
    )
    catalogue = Catalogue(topics=topics, tips=tips)
    assert eligible_tip_ids(catalogue, topics=("moats",)) == ["moats-0", "moats-1", "moats-2"]
    assert len(eligible_tip_ids(catalogue)) == 6
    assert eligible_tip_ids(catalogue, topics=("gone",)) == []
