"""Tickets end to end on a real Synapse, three parties: the asker (colleague), a correspondent
(staff) and the bot; a fourth person (stranger) asks the learned question afterwards."""

from __future__ import annotations

import asyncio

import pytest

from bot.features import tickets
from synapse_server import content, from_bot, in_thread, relation

pytestmark = pytest.mark.matrix

UNANSWERABLE = "Où se gare-t-on sur le campus le samedi ?"
ANSWER = "Le parking P2 (bâtiment B) est ouvert le samedi de 8 h à 18 h, sans badge."


@pytest.fixture
def tickets_harness(make_harness, sample_sources, staff, colleague, stranger):
    faq, _ = sample_sources
    h = make_harness([staff.user_id], [staff.user_id, colleague.user_id, stranger.user_id],
                     features=[tickets.install])
    h.app.config.tickets.faq_file = str(faq / "appris.yaml")
    return h


async def setup_rooms(h, staff, asker):
    """The correspondents' room (created by the correspondent) and the asker's direct chat."""
    bot_id = h.user_id
    corr = await staff.create_room([bot_id], direct=False)
    await staff.wait_joined(corr, bot_id)
    h.app.config.matrix.correspondents_room = corr
    dm = await asker.create_room([bot_id], direct=True)
    await asker.wait_joined(dm, bot_id)
    return corr, dm


async def test_ticket_round_trip_and_faq_learning(tickets_harness, staff, colleague, stranger):
    h = tickets_harness
    bot = await h.start()
    corr, dm = await setup_rooms(h, staff, colleague)

    # the asker's question cannot be answered: the bot offers to pass it on
    question = await colleague.send(dm, UNANSWERABLE)
    offer = await colleague.reply_to(bot.user_id, question)
    assert "transmette" in content(offer)["body"]
    yes = await colleague.send(dm, "oui", **in_thread(question))
    confirm = await colleague.reply_to(bot.user_id, yes)
    assert "n° 1" in content(confirm)["body"] and relation(confirm)["event_id"] == question

    # the ticket is announced as a thread root in the correspondents' room, mentioning them
    announce = await staff.wait_for(from_bot(bot.user_id, corr, lambda e: "Ticket n° 1" in content(e)["body"]),
                                    what="the ticket announcement")
    c = content(announce)
    assert UNANSWERABLE in c["body"] and colleague.user_id in c["body"]
    assert "m.relates_to" not in c
    assert c["m.mentions"] == {"user_ids": [staff.user_id]}
    for _ in range(100):  # the sent hook records the thread root
        if h.app.tickets.get(1).corr_thread:
            break
        await asyncio.sleep(0.05)
    assert h.app.tickets.get(1).corr_thread == announce.event_id

    # the correspondent's reply in the ticket thread arrives in the asker's thread, signed
    await staff.send(corr, ANSWER, **in_thread(announce.event_id))
    relay = await colleague.wait_for(from_bot(bot.user_id, dm, lambda e: ANSWER in content(e)["body"]),
                                     what="the relayed answer")
    assert relation(relay)["rel_type"] == "m.thread" and relation(relay)["event_id"] == question
    assert "staff" in content(relay)["body"]  # the correspondent's display name

    # the asker's follow-up in their thread goes back to the ticket thread (not answered by the bot)
    follow = await colleague.send(dm, "Merci ! Et le dimanche ?", **in_thread(question))
    back = await staff.wait_for(from_bot(bot.user_id, corr, lambda e: "Et le dimanche" in content(e)["body"]),
                                what="the relayed follow-up")
    assert relation(back)["event_id"] == announce.event_id
    assert colleague.replies_to(bot.user_id, follow) == []

    # an internal note is never relayed
    note = await staff.send(corr, "note vérifier les horaires avec la logistique", **in_thread(announce.event_id))
    await staff.reply_to(bot.user_id, note)

    # `faq`: the question and the answer become an FAQ entry, indexed at once
    learn = await staff.send(corr, "faq", **in_thread(announce.event_id))
    learned = await staff.reply_to(bot.user_id, learn, timeout=60)
    assert "ajoutée" in content(learned)["body"]

    # another colleague asking the same question gets the answer from the bot
    dm2 = await stranger.create_room([bot.user_id], direct=True)
    await stranger.wait_joined(dm2, bot.user_id)
    again = await stranger.send(dm2, UNANSWERABLE)
    answer = await stranger.reply_to(bot.user_id, again)
    assert "parking P2" in content(answer)["body"] and "👍" in content(answer)["body"]
    assert not any("logistique" in content(e).get("body", "") for r, e in colleague.events if r == dm)
    assert h.app.tickets.get(1).state == "assigned"  # the asker wrote last: back to the correspondent
    assert h.app.tickets.get(1).learned_id


async def test_crash_between_ticket_creation_and_announcement(tickets_harness, staff, colleague):
    """The bot dies after the ticket (and its announcement in the outbox) committed, before sending:
    after a restart the announcement goes out once, and no ticket is lost or duplicated."""
    h = tickets_harness
    bot = await h.start()
    corr, dm = await setup_rooms(h, staff, colleague)
    question = await colleague.send(dm, UNANSWERABLE)
    await colleague.reply_to(bot.user_id, question)

    bot.sender.push_rows = lambda rows: None  # nothing queued from now on reaches the homeserver
    yes = await colleague.send(dm, "oui", **in_thread(question))
    for _ in range(400):
        if h.storage.is_processed(yes) and h.app.tickets.by_source(yes) is not None:
            break
        await asyncio.sleep(0.05)
    assert h.app.tickets.by_source(yes) is not None
    await h.stop()  # "killed": the announcement was never sent
    assert not any(from_bot(bot.user_id, corr)(r, e) for r, e in staff.events)
    pending = [row for row in h.storage.pending_outbox() if row["room"] == corr]
    assert len(pending) == 1

    bot = await h.start()
    announce = await staff.wait_for(from_bot(bot.user_id, corr, lambda e: "Ticket n° 1" in content(e)["body"]),
                                    timeout=30, what="the announcement after restart")
    await colleague.reply_to(bot.user_id, yes, timeout=30)  # the asker's confirmation too
    bot = await h.restart()
    marker = await colleague.send(dm, "Comment inviter un collègue dans Pix Orga ?")
    await colleague.reply_to(bot.user_id, marker)
    await staff.barrier(bot.user_id, corr, "!pix tickets")
    announcements = [e for r, e in staff.events
                     if from_bot(bot.user_id, corr, lambda e: "Ticket n°" in content(e)["body"])(r, e)]
    assert [e.event_id for e in announcements] == [announce.event_id]
    assert h.storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    assert h.app.tickets.get(1).corr_thread == announce.event_id
    assert len(colleague.replies_to(bot.user_id, yes)) == 1
