"""A whole playground session without a browser: what a person does goes to the real
app as signed requests, and what pmtip sends back lands in the World, as Slack would
show it. Everything runs on 127.0.0.1 (a guard refuses any other address)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.delivery_rules import EVENT_TYPE
from bot.core.render import blocks
from bot.playground.config import ADMIN, CHANNEL_ID, MEMBER
from bot.playground.driver import HOME
from bot.playground.server import PlaygroundServer
from bot.playground.world import Posted
from tests.support.playground import (
    buttons,
    offer_new_button,
    running_playground,
    seen_by,
    text_of,
    wait_for,
)


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[PlaygroundServer]:
    with running_playground(tmp_path) as server:
        yield server


def tip_id(message: Posted) -> str:
    """The tip a reply shows (its Another-tip button carries the id)."""
    return buttons(message)[blocks.ANOTHER].value


def last_seen(server: PlaygroundServer, user_id: str, conversation: str = CHANNEL_ID) -> Posted:
    return seen_by(server.playground.world, user_id, conversation)[-1]


def weekly_posts(server: PlaygroundServer) -> list[Posted]:
    return [
        m
        for m in server.playground.world.snapshot().messages
        if (m.metadata or {}).get("event_type") == EVENT_TYPE
    ]


def type_and_wait(server: PlaygroundServer, text: str) -> Posted:
    """Type a command that answers through its response_url; the reply."""
    world = server.playground.world
    before = len(world.snapshot().messages)
    server.playground.type(text)
    wait_for(world, lambda w: len(w.messages) > before, f"a reply to {text}")
    return world.snapshot().messages[-1]


def test_a_lookup_is_answered_in_the_acknowledgement_only_for_the_person(playground):
    pg = playground.playground
    pg.type("/pmtip ai-failure")
    [reply] = pg.world.snapshot().messages  # there at once: the ack carried it
    assert reply.visible_to == MEMBER.id and reply.command == "/pmtip ai-failure"
    assert pg.parts.catalogue.current().tip(tip_id(reply)).topic == "ai-failure"
    assert seen_by(pg.world, ADMIN.id) == []  # ephemeral: Alex sees nothing
    # Only Bolt's auth.test, as the app was built: a lookup calls no Web API method.
    assert {c.method for c in pg.world.snapshot().calls} == {"auth.test"}


def test_another_tip_swaps_in_a_different_tip_of_the_same_topic(playground):
    pg = playground.playground
    pg.type("/pmtip ai-failure")
    first = last_seen(playground, MEMBER.id)
    pg.click(first.id, buttons(first)[blocks.ANOTHER])
    wait_for(pg.world, lambda w: w.messages[0].edited, "the reply to be replaced")
    [swapped] = seen_by(pg.world, MEMBER.id)
    assert swapped.id == first.id and swapped.visible_to == MEMBER.id
    assert tip_id(swapped) != tip_id(first)
    assert pg.parts.catalogue.current().tip(tip_id(swapped)).topic == "ai-failure"


def test_share_posts_the_tip_for_everyone_naming_who_shared_it(playground):
    pg = playground.playground
    pg.type("/pmtip ai-failure")
    reply = last_seen(playground, MEMBER.id)
    pg.click(reply.id, buttons(reply)[blocks.SHARE])
    wait_for(pg.world, lambda w: len(w.messages) == 2 and w.messages[0].edited, "the share")
    shared = next(m for m in pg.world.snapshot().messages if m.visible_to is None)
    assert f"Shared by <@{MEMBER.id}>" in text_of(shared)
    assert seen_by(pg.world, ADMIN.id) == [shared]  # Alex sees the post, not Maya's copy
    copy = seen_by(pg.world, MEMBER.id)[0]  # Maya's reply, replaced in place
    assert copy.id == reply.id and "You shared" in text_of(copy)
    assert blocks.SHARE not in buttons(copy)  # so it cannot be shared twice


def test_search_results_show_a_tip_in_place(playground):
    pg = playground.playground
    pg.type("/pmtip search moat")
    results = last_seen(playground, MEMBER.id)
    show = buttons(results)[blocks.SHOW]
    pg.click(results.id, show)
    wait_for(pg.world, lambda w: w.messages[0].edited, "the search results to become a tip")
    assert tip_id(last_seen(playground, MEMBER.id)) == show.value


def test_a_topic_offered_when_nothing_matched_opens_a_tip_in_place(playground):
    pg = playground.playground
    pg.type("/pmtip mot")
    offer = last_seen(playground, MEMBER.id)
    assert "couldn't find" in text_of(offer)
    moat = buttons(offer)[f"{blocks.TOPIC}.0"]
    assert moat.value == "moat"
    pg.click(offer.id, moat)
    wait_for(pg.world, lambda w: w.messages[0].edited, "the offer to become a tip")
    shown = last_seen(playground, MEMBER.id)
    assert shown.id == offer.id
    assert pg.parts.catalogue.current().tip(tip_id(shown)).topic == "moat"


def test_a_member_may_not_subscribe_and_an_admin_does_after_the_bot_joins(playground):
    pg = playground.playground
    refusal = type_and_wait(playground, "/pmtip subscribe")
    assert refusal.visible_to == MEMBER.id and "<@UALEX>" in text_of(refusal)
    pg.switch("admin")
    subscribed = type_and_wait(playground, "/pmtip subscribe")
    assert subscribed.visible_to == ADMIN.id and "joined the channel" in text_of(subscribed)
    assert pg.world.snapshot().bot_in_channel
    methods = [c.method for c in pg.world.snapshot().calls if c.method.startswith(("conv", "us"))]
    assert methods[-3:] == ["conversations.info", "conversations.join", "users.info"]


def test_the_clock_brings_exactly_one_weekly_post_per_slot_as_post_due_posts_it(playground):
    pg = playground.playground
    pg.switch("admin")
    type_and_wait(playground, "/pmtip subscribe")
    before = type_and_wait(playground, "/pmtip schedule")
    next_post = re.search(r"Next post: \*([^*]+)\*", text_of(before))[1]

    report = pg.advance_clock(week=False)
    [weekly] = weekly_posts(playground)
    assert weekly.visible_to is None and weekly.author == "UPMTIP"
    assert "PM insight of the week" in text_of(weekly)
    assert any(line.startswith("posted: CPLAYGROUND") for line in report)
    assert pg.session.clock.now().strftime("%d %B %Y, %H:%M") in next_post  # moved to the slot

    pg.advance_clock(week=False)  # the week after
    pg.advance_clock(week=True)  # and every slot of the coming week: one more
    posts = weekly_posts(playground)
    assert len(posts) == 3
    assert len({p.metadata["event_payload"]["slot"] for p in posts}) == 3
    after = type_and_wait(playground, "/pmtip schedule")
    assert text_of(after) != text_of(before) and next_post not in text_of(after)


def test_votes_on_the_weekly_post_show_in_stats(playground):
    pg = playground.playground
    pg.switch("admin")
    type_and_wait(playground, "/pmtip subscribe")
    pg.advance_clock(week=False)
    [weekly] = weekly_posts(playground)
    pg.switch("member")
    pg.click(weekly.id, buttons(weekly)[blocks.VOTE_USEFUL])
    wait_for(pg.world, lambda w: "Thanks, noted" in str(w.messages[-1].body), "the vote's thanks")
    assert pg.world.snapshot().messages[-1].visible_to == MEMBER.id
    pg.switch("admin")
    stats = type_and_wait(playground, "/pmtip stats")
    title = pg.parts.catalogue.current().tip(tip_id(weekly)).title
    assert f"{blocks.escape(title)} · posted 1 · :thumbsup: 1 · not for me 0" in text_of(stats)


def test_any_button_pmtip_sends_reaches_the_app_as_a_signed_block_action(playground):
    """Not only today's buttons: whatever button a message carries (the closest-topic
    buttons of a no-match reply, `pmtip_topic.N`, say) goes to the app when clicked."""
    pg = playground.playground
    received = offer_new_button(playground, to=MEMBER, action_id="pmtip_new.3", value="okr")
    [offer] = seen_by(pg.world, MEMBER.id, MEMBER.dm_channel)
    pg.click(offer.id, buttons(offer)["pmtip_new.3"])
    wait_for(pg.world, lambda w: w.messages[-1].edited, "the app's answer")
    [body] = received  # it passed the signature check, or Bolt would not have run it
    assert body["type"] == "block_actions" and body["user"]["id"] == MEMBER.id
    [action] = body["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "pmtip_new.3",
        "okr",
        "offer",
    )
    assert body["container"]["channel_id"] == MEMBER.dm_channel and body["response_url"]
    [answered] = seen_by(pg.world, MEMBER.id, MEMBER.dm_channel)
    assert answered.id == offer.id and text_of(answered).startswith("clicked okr")


def test_the_home_tab_is_published_for_each_person_and_admins_see_the_catalogue(playground):
    pg = playground.playground
    pg.open_home()
    wait_for(pg.world, lambda w: MEMBER.id in w.views, "Maya's Home tab")
    pg.switch("admin")
    pg.open_home()
    wait_for(pg.world, lambda w: ADMIN.id in w.views, "Alex's Home tab")
    views = pg.world.snapshot().views
    admin_text, member_text = str(views[ADMIN.id]), str(views[MEMBER.id])
    assert "tips.yaml" in admin_text and "tips.yaml" not in member_text

    topic = next(iter(buttons(views[ADMIN.id]).values()))  # a topic button: a tip by DM
    pg.click(HOME, topic)
    wait_for(pg.world, lambda w: any(m.conversation == "DALEX" for m in w.messages), "the DM")
    [dm] = seen_by(pg.world, ADMIN.id, "DALEX")
    assert pg.parts.catalogue.current().tip(tip_id(dm)).topic == topic.value


def test_other_input_is_shown_as_slack_would_without_reaching_pmtip(playground):
    pg = playground.playground
    pg.type("hello <b>team</b>")
    pg.type("/giphy cats")
    said, refused = pg.world.snapshot().messages
    assert said.author == MEMBER.id and said.visible_to is None
    assert said.body["text"] == "hello &lt;b&gt;team&lt;/b&gt;"  # as Slack stores typed text
    assert refused.author == "USLACKBOT" and refused.visible_to == MEMBER.id
    assert {c.method for c in pg.world.snapshot().calls} == {"auth.test"}


def test_a_command_typed_in_the_dm_is_answered_there(playground):
    pg = playground.playground
    pg.switch("admin")
    pg.type("/pmtip subscribe", conversation=ADMIN.dm_channel)
    wait_for(pg.world, lambda w: len(w.messages) == 1, "the answer in the DM")
    [refusal] = seen_by(pg.world, ADMIN.id, ADMIN.dm_channel)
    assert refusal.visible_to == ADMIN.id
    assert "The weekly insight is for channels" in text_of(refusal)


def test_reset_starts_over_with_an_empty_world_and_a_fresh_database(playground):
    pg = playground.playground
    pg.switch("admin")
    type_and_wait(playground, "/pmtip subscribe")
    pg.advance_clock(week=False)
    old_world = pg.world
    pg.reset()
    assert pg.world is not old_world and pg.world.snapshot().messages == ()
    assert pg.parts.store.subscriptions() == []
    pg.type("/pmtip ai-failure")  # the new app answers
    assert len(pg.world.snapshot().messages) == 1


def test_a_session_touches_only_methods_the_stand_in_knows_and_only_with_its_token(playground):
    pg = playground.playground
    pg.type("/pmtip ai-failure")
    reply = last_seen(playground, MEMBER.id)
    pg.click(reply.id, buttons(reply)[blocks.SHARE])
    pg.switch("admin")
    type_and_wait(playground, "/pmtip subscribe")
    type_and_wait(playground, "/pmtip post-now")
    pg.advance_clock(week=True)
    pg.open_home()
    wait_for(pg.world, lambda w: ADMIN.id in w.views, "the Home tab")
    snapshot = pg.world.snapshot()
    assert snapshot.warnings == ()
    assert [c for c in snapshot.calls if not c.ok] == []  # a wrong token would be invalid_auth
