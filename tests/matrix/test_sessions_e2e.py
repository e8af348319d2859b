"""Certification sessions end to end on the real homeserver: a calendar imported, reminders fired
by a clock the test controls reach the invigilator in their direct chat, « ok » is acknowledged,
« empêché » alerts the correspondents' room at once, and each reminder arrives exactly once
(also across a restart of the bot)."""

from __future__ import annotations

import asyncio

import pytest
from nio import RoomMessageNotice

from bot.features import sessions
from synapse_server import PASSWORD, Peer
from pixbot_testing import Clock, at

pytestmark = pytest.mark.matrix


def body(event) -> str:
    return (event.source.get("content") or {}).get("body", "")


def from_bot(bot_id, room, text):
    return lambda r, e: (r == room and e.sender == bot_id and isinstance(e, RoomMessageNotice) and text in body(e))


def count(peer, predicate) -> int:
    return sum(1 for r, e in peer.events if predicate(r, e))


@pytest.fixture
def clock():
    return Clock(at(2030, 3, 4, 8, 0))  # a Monday; the sessions are on 14 and 21 March 2030


@pytest.fixture
async def invigilator(synapse):
    """Someone who never talked to this bot's account before (it outlives a test): their direct
    chat with the bot is the one they open here, and no other."""
    await asyncio.to_thread(synapse.register, "invigilator", PASSWORD)
    peer = await Peer(synapse, "invigilator").start()
    yield peer
    await peer.close()


@pytest.fixture
def sessions_harness(make_harness, staff, invigilator, clock):
    return make_harness([staff.user_id], [staff.user_id, invigilator.user_id],
                        features=[lambda app: sessions.install(app, clock=clock)])


async def test_reminders_reach_the_invigilator_who_answers_ok_then_empeche(sessions_harness, staff, invigilator,
                                                                           clock, tmp_path):
    colleague = invigilator
    h = sessions_harness
    app = h.app
    bot = await h.start()
    corr = await staff.create_room([bot.user_id], direct=False)  # the correspondents' room
    await staff.wait_joined(corr, bot.user_id)
    app.config.matrix.correspondents_room = corr
    dm = await colleague.create_room([bot.user_id], direct=True)  # the invigilator's direct chat
    await colleague.wait_joined(dm, bot.user_id)
    await colleague.barrier(bot.user_id, dm, "aide")

    calendar = tmp_path / "sessions.yaml"
    calendar.write_text(
        "sessions:\n"
        f"  - {{date: 2030-03-14, heure: '09:00', site: Campus Nord, salle: B204, candidats: 18,"
        f" surveillants: ['{colleague.user_id}', marie@univ.fr]}}\n"
        f"  - {{date: 2030-03-21, heure: '14:00', site: Campus Sud, salle: A12,"
        f" surveillants: ['{colleague.user_id}']}}\n", encoding="utf-8")
    result, _ = await asyncio.to_thread(app.sessions.import_file, calendar)
    assert result.added == 2

    clock.set(at(2030, 3, 7, 9, 0))  # 7 days before the first session
    assert await asyncio.to_thread(app.sessions.tick) == 1
    first = await colleague.wait_for(from_bot(bot.user_id, dm, "Session n° 1"), what="the first reminder")
    assert "dans 7 jours" in body(first) and "mot de passe de session" in body(first)
    ask = await colleague.send(dm, "ok")
    ack = await colleague.reply_to(bot.user_id, ask)
    assert "Merci, c'est noté : vous surveillez la session n° 1" in body(ack)

    clock.set(at(2030, 3, 14, 9, 0))  # 7 days before the second session (the first one starts now)
    assert await asyncio.to_thread(app.sessions.tick) == 1
    second = await colleague.wait_for(from_bot(bot.user_id, dm, "Session n° 2"), what="the second reminder")
    assert "Campus Sud" in body(second)
    ask = await colleague.send(dm, "empêché")
    sorry = await colleague.reply_to(bot.user_id, ask)
    assert "vous êtes empêché pour la session n° 2" in body(sorry)
    alert = await staff.wait_for(from_bot(bot.user_id, corr, "Surveillant empêché"), what="the alert")
    assert colleague.user_id in body(alert) and "session n° 2" in body(alert)

    listing = await staff.send(corr, "!pix sessions")
    shown = await staff.reply_to(bot.user_id, listing)
    assert f"⛔ {colleague.user_id}" in body(shown)

    # exactly once: nothing more is due, a restart changes nothing; the barrier settles the room
    assert await asyncio.to_thread(app.sessions.tick) == 0
    await h.restart()
    assert await asyncio.to_thread(app.sessions.tick) == 0
    await colleague.barrier(bot.user_id, dm, "aide")
    assert count(colleague, from_bot(bot.user_id, dm, "Session n° 1 :")) == 1
    assert count(colleague, from_bot(bot.user_id, dm, "Session n° 2 :")) == 1
    await staff.barrier(bot.user_id, corr)
    assert count(staff, from_bot(bot.user_id, corr, "Surveillant empêché")) == 1
