"""The playground keeps away from Slack and from the real database whatever the
environment holds, and its tips panel follows the real reloader."""

from __future__ import annotations

from pathlib import Path

from bot.core.render import blocks
from bot.playground import page
from bot.playground.config import ADMIN, MEMBER, TOKEN_PREFIX
from tests.support.playground import copy_tips, running_playground, seen_by, text_of, wait_for

REAL_LOOKING = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-realLookingToken",
    "SLACK_APP_TOKEN": "xapp-1-A111-222-realLookingAppToken",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "SLACK_API_BASE_URL": "https://slack.com/api/",
    "DATABASE_URL": "postgresql://pmtip:secret@127.0.0.1:1/pmtip",  # would refuse: never used
    "ADMIN_USER_IDS": "UREALADMIN",
    "SLACK_CLIENT_ID": "123.456",
    "SLACK_CLIENT_SECRET": "client-secret",
}


def test_credentials_and_the_real_database_in_the_environment_are_never_used(tmp_path, monkeypatch):
    for name, value in REAL_LOOKING.items():  # Bolt reads some of these from os.environ too
        monkeypatch.setenv(name, value)
    with running_playground(tmp_path, env=REAL_LOOKING) as server:
        pg = server.playground
        settings = pg.session.settings
        assert settings.bot_token.reveal().startswith(TOKEN_PREFIX)
        assert settings.slack_api_base_url == f"{server.base_url}/api/"
        assert settings.database_url.reveal() == f"sqlite:///{pg.database_path.resolve()}"
        assert settings.admin_user_ids == frozenset({ADMIN.id})
        pg.switch("admin")
        pg.type("/pmtip subscribe")
        wait_for(pg.world, lambda w: len(w.messages) == 1, "the subscription")
        assert pg.parts.store.subscriptions()[0].channel_id == "CPLAYGROUND"
        assert pg.database_path.stat().st_size > 0  # the subscription is in the playground's file
        calls = pg.world.snapshot().calls
        # Every Web API call reached the stand-in with the playground's own token: any
        # other bearer is answered invalid_auth and logged as a failed call.
        assert calls and all(c.ok for c in calls)
        # (and running_playground refuses any connection beyond 127.0.0.1)


def test_a_broken_edit_shows_its_problems_by_line_while_the_last_good_tips_are_served(tmp_path):
    tips = copy_tips(tmp_path / "content")
    with running_playground(tmp_path, tips=tips) as server:
        pg = server.playground
        good = page.tips_panel(pg.parts.catalogue, zone="UTC")
        assert good.rejected_summary is None and good.problems == []

        lines = tips.read_text().splitlines()
        broken_line = next(i for i, line in enumerate(lines) if line.strip().startswith("title:"))
        lines[broken_line] = lines[broken_line].replace("title:", "titel:")
        tips.write_text("\n".join(lines) + "\n")
        wait_for(pg.world, lambda w: pg.parts.catalogue.rejected is not None, "the refusal")

        panel = page.tips_panel(pg.parts.catalogue, zone="UTC")
        assert panel.summary == good.summary  # still the last good catalogue
        [problem] = [p for p in panel.problems if "titel" in p.message]
        assert problem.where.startswith(f"line {broken_line + 1},")
        assert problem.source_line == lines[broken_line]
        # The admins hear of it by direct message, as in Slack.
        wait_for(pg.world, lambda w: any(m.conversation == "DALEX" for m in w.messages), "a DM")
        assert "titel" in text_of(seen_by(pg.world, ADMIN.id, "DALEX")[0])

        pg.type("/pmtip ai-failure")  # still answered, from the last good file
        [reply] = seen_by(pg.world, MEMBER.id)
        assert blocks.ANOTHER in str(reply.body)

        tips.write_text("\n".join(lines).replace("titel:", "title:") + "\n")
        wait_for(pg.world, lambda w: pg.parts.catalogue.rejected is None, "the fixed file")
        assert page.tips_panel(pg.parts.catalogue, zone="UTC").problems == []


def test_the_playground_serves_the_file_it_is_given(tmp_path: Path):
    tips = copy_tips(tmp_path / "content")
    with running_playground(tmp_path, tips=tips) as server:
        assert server.playground.parts.catalogue.path == tips
