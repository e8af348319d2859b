"""Hostile input on a real Synapse (#14): messages a client nobody on the project wrote can
send, replies the homeserver refuses, rooms the bot is removed from. After each, the bot must
still answer a normal question at once."""

from __future__ import annotations

import asyncio
import json
from html.parser import HTMLParser

import pytest
from nio import RoomMessageNotice

from bot.features import news
from bot.features import tickets
from bot.core.messages import MAX_REPLY_BYTES
from bot.adapters.matrix import HTML_TAGS, URL_SCHEMES
from synapse_server import relation

pytestmark = pytest.mark.matrix

QUESTION = "Comment inviter un collègue dans Pix Orga ?"
UNANSWERABLE = "Où se gare-t-on sur le campus le samedi ?"


def content(event) -> dict:
    return event.source.get("content") or {}


class _Html(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("href", "src")]


def assert_safe(event) -> None:
    c = content(event)
    parser = _Html()
    parser.feed(c.get("formatted_body", ""))
    assert parser.tags <= HTML_TAGS and "img" not in parser.tags, parser.tags
    assert all(link.split(":", 1)[0] in URL_SCHEMES for link in parser.links), parser.links
    assert len(json.dumps(c["body"])) - 2 <= MAX_REPLY_BYTES
    assert len(json.dumps(c.get("formatted_body", ""))) - 2 <= MAX_REPLY_BYTES


async def open_dm(peer, bot_id: str) -> str:
    room = await peer.create_room([bot_id], direct=True)
    await peer.wait_joined(room, bot_id)
    return room


async def assert_answers_at_once(peer, bot_id: str, room: str) -> None:
    asked = await peer.send(room, QUESTION)
    answer = await peer.reply_to(bot_id, asked)
    assert "administrateur" in content(answer)["body"]


async def test_hostile_messages_are_answered_safely_and_the_room_goes_on(bot, staff):
    room = await open_dm(staff, bot.user_id)
    earlier = await staff.send(room, QUESTION)
    await staff.reply_to(bot.user_id, earlier)
    hostile = [
        {"body": "!pix [clic](javascript:alert(1))"},
        {"body": "![x](https://tracker.example/pixel.png) <img src=x onerror=alert(1)> quelle campagne ?"},
        {"body": "x" * 60_000},
        {"body": "\u200b\u200d\u2060\ufeff"},
        {"body": "a\x00b\x1b[31mc\u202e ?"},
        # a reference to an earlier event: Synapse refuses a thread started on it
        {"body": QUESTION, "m.relates_to": {"rel_type": "m.reference", "event_id": earlier}},
    ]
    for extra in hostile:
        sent = await staff.send(room, "", content={"msgtype": "m.text", **extra})
        reply = await staff.reply_to(bot.user_id, sent, timeout=30)  # answered or refused in words
        assert isinstance(reply, RoomMessageNotice) and content(reply)["body"].strip()
        assert_safe(reply)
        assert "javascript" not in content(reply).get("formatted_body", "").split("href")[-1][:20]
    [by_reference] = staff.replies_to(bot.user_id, sent)
    assert relation(by_reference).get("rel_type") != "m.thread"  # the plain-reply fallback
    assert "administrateur" in content(by_reference)["body"]
    assert bot.storage.dead_letters()[0] == 0
    await assert_answers_at_once(staff, bot.user_id, room)


@pytest.fixture
def tickets_harness(make_harness, sample_sources, staff, colleague):
    faq, _ = sample_sources
    h = make_harness([staff.user_id], [staff.user_id, colleague.user_id], features=[tickets.install])
    h.app.config.tickets.faq_file = str(faq / "appris.yaml")
    return h


async def test_an_announcement_refused_for_good_is_a_dead_letter_not_a_jam(tickets_harness, staff, colleague):
    """The bot was removed from the correspondents' room: the ticket announcement is refused.
    It is kept as a dead letter (shown by « statut », the ticket marked unannounced), never sent
    again at a restart, and the asker's room goes on being answered."""
    h = tickets_harness
    bot = await h.start()
    corr = await staff.create_room([bot.user_id], direct=False)
    await staff.wait_joined(corr, bot.user_id)
    h.app.config.matrix.correspondents_room = corr
    dm = await open_dm(colleague, bot.user_id)
    await staff.client.room_kick(corr, bot.user_id, reason="test")
    for _ in range(200):
        if corr in bot.left_rooms:
            break
        await asyncio.sleep(0.05)
    assert corr in bot.left_rooms

    question = await colleague.send(dm, UNANSWERABLE)
    await colleague.reply_to(bot.user_id, question)
    yes = await colleague.send(dm, "oui", **{"m.relates_to": {"rel_type": "m.thread", "event_id": question,
                                                                "is_falling_back": True,
                                                                "m.in_reply_to": {"event_id": question}}})
    await colleague.reply_to(bot.user_id, yes)
    for _ in range(200):
        if h.storage.dead_letters()[0]:
            break
        await asyncio.sleep(0.05)
    count, [letter] = h.storage.dead_letters()
    assert count == 1 and letter["room"] == corr
    for _ in range(200):
        if h.app.tickets.get(1).announce_pending == 2:
            break
        await asyncio.sleep(0.05)
    assert h.app.tickets.get(1).announce_pending == 2 and h.app.tickets.get(1).corr_thread is None
    assert [r for r in h.storage.pending_outbox() if r["room"] == corr] == []

    staff_dm = await open_dm(staff, bot.user_id)
    status = await staff.barrier(bot.user_id, staff_dm, "statut")
    assert "Messages refusés par le serveur, non délivrés : 1" in content(status)["body"]

    bot = await h.restart()
    assert [r for r in h.storage.pending_outbox() if r["room"] == corr] == []  # the dead letter stays aside
    await assert_answers_at_once(colleague, bot.user_id, dm)


async def test_the_news_subscription_of_a_room_the_bot_was_removed_from_is_pruned(harness, staff, colleague):
    config = harness.config()
    config.correspondents = [staff.user_id]
    config.news.feeds = []
    config.news.topics = {"orga": ["pix orga"]}
    from bot.core.app import App

    app = App(config, harness.engine, harness.storage, features=[news.install])
    harness.app, harness.brain = app, app.brain
    bot = await harness.start()
    group = await colleague.create_room([bot.user_id], direct=False)
    await colleague.wait_joined(group, bot.user_id)
    ask = await colleague.send(group, "!pix abonner orga")
    ack = await colleague.reply_to(bot.user_id, ask)  # two members: taken as the colleague's own subscription
    assert "actualités Pix" in content(ack)["body"]
    assert [s["room"] for s in app.news.subscribers("daily")] == [group]

    await colleague.client.room_kick(group, bot.user_id, reason="test")
    for _ in range(200):
        if not app.news.subscribers("daily"):
            break
        await asyncio.sleep(0.05)
    assert app.news.subscribers("daily") == []
