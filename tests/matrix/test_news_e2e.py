"""Pix news end to end on the real homeserver: subscribe in a DM, a round delivers the digest; an
announcement confirmed by a correspondent reaches a subscribed room and is recalled (redacted)."""

from __future__ import annotations

import asyncio

import pytest
from nio import RedactionEvent, RoomMessageNotice

from bot.features import news
from bot.core.app import App
from news_server import FeedServer

pytestmark = pytest.mark.matrix


def body(event) -> str:
    return (event.source.get("content") or {}).get("body", "")


def from_bot(bot, room, text):
    return lambda r, e: (r == room and e.sender == bot.user_id and isinstance(e, RoomMessageNotice)
                         and text in body(e))


@pytest.fixture
async def news_app(harness, staff, tmp_path):
    server = FeedServer().start()
    config = harness.config()
    config.correspondents = [staff.user_id]
    config.news.feeds = [server.serve("/rss.xml", "rss.xml")]
    config.news.topics = {"certif": ["certification"], "orga": ["pix orga", "campagnes"]}
    config.news.max_age_days = 100_000  # the fixtures are dated 2025
    config.news.announcements_dir = str(tmp_path / "annonces")
    app = App(config, harness.engine, harness.storage, features=[news.install])
    harness.app, harness.brain = app, app.brain  # the bot runs the full app (scheduler not started: rounds are triggered)
    yield app
    server.stop()


async def test_subscribe_in_dm_then_a_round_delivers_the_digest(news_app, harness, colleague):
    bot = await harness.start()
    room = await colleague.create_room([bot.user_id], direct=True)
    await colleague.wait_joined(room, bot.user_id)
    ask = await colleague.send(room, "abonner certif")
    ack = await colleague.reply_to(bot.user_id, ask)
    assert "Vous recevez les actualités Pix chaque jour, thèmes : certif" in body(ack)
    assert await asyncio.to_thread(news_app.news.send_now) == 1  # `pixbot news send-now`, served by the bot
    digest = await colleague.wait_for(from_bot(bot, room, "Actualités Pix"), what="the digest")
    content = digest.source["content"]
    assert "Ouverture des sessions de juin" in content["body"] and "campagnes" not in content["body"]
    assert '<a href="https://pix.fr/actualites/sessions-juin">Ouverture des sessions de juin</a>' in \
        content["formatted_body"]
    assert await asyncio.to_thread(news_app.news.send_now) == 0  # nothing new: nothing sent
    await colleague.barrier(bot.user_id, room, "abonnements")
    assert sum(1 for r, e in colleague.events if from_bot(bot, room, "Actualités Pix")(r, e)) == 1


async def test_announcement_confirmed_reaches_a_subscribed_room_and_is_recalled(news_app, harness, staff, colleague):
    bot = await harness.start()
    group = await colleague.create_room([bot.user_id, staff.user_id], direct=False)
    await staff.client.join(group)
    await colleague.wait_joined(group, staff.user_id)
    await colleague.wait_joined(group, bot.user_id)
    # the colleague created the room (power level 100): as its moderator they subscribe it
    ask = await colleague.send(group, "!pix abonner orga")
    ack = await colleague.reply_to(bot.user_id, ask)
    assert "Ce salon reçoit les actualités Pix" in body(ack)

    dm = await staff.create_room([bot.user_id], direct=True)
    await staff.wait_joined(dm, bot.user_id)
    draft = await staff.send(dm, "annonce orga : Nouvelle version de Pix Orga ce soir.")
    preview = await staff.reply_to(bot.user_id, draft)
    assert "« envoyer »" in body(preview) and "orga (1 salon(s))" in body(preview)
    await colleague.barrier(bot.user_id, group)
    assert not any(from_bot(bot, group, "Nouvelle version")(r, e) for r, e in colleague.events)  # not before
    confirm = await staff.send(dm, "envoyer")
    sent = await staff.reply_to(bot.user_id, confirm)
    assert "Annonce n° 1" in body(sent)
    announcement = await colleague.wait_for(from_bot(bot, group, "Nouvelle version de Pix Orga ce soir."),
                                            what="the announcement in the room")
    assert "Annonce du correspondant Pix" in body(announcement)

    recall = await staff.send(dm, "rappeler 1")
    done = await staff.reply_to(bot.user_id, recall)
    assert "Annonce rappelée" in body(done)
    await colleague.wait_for(lambda r, e: r == group and isinstance(e, RedactionEvent)
                             and e.redacts == announcement.event_id, what="the redaction of the announcement")
