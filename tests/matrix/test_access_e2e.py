"""Access requests end to end on a real Synapse: a colleague asks for access to Pix Orga in a
direct chat, the card reaches the correspondents' room once (across a kill before it was sent),
the correspondent asks a question in its thread, accepts, then confirms the invitation."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import strings
from bot.core.render import plain
from bot.features import tickets
from synapse_server import content, from_bot, in_thread, relation

pytestmark = pytest.mark.matrix

EMAIL = "colleague@univ-exemple.fr"


@pytest.fixture
def access_harness(make_harness, staff, colleague):
    h = make_harness([staff.user_id], [staff.user_id, colleague.user_id], features=[tickets.install])
    h.app.config.access.mail_domains = ["univ-exemple.fr"]
    return h


async def test_a_request_from_first_message_to_the_invitation_exactly_once_across_a_kill(
        access_harness, staff, colleague):
    h = access_harness
    bot = await h.start()
    corr = await staff.create_room([bot.user_id], direct=False)
    await staff.wait_joined(corr, bot.user_id)
    h.app.config.matrix.correspondents_room = corr
    dm = await colleague.create_room([bot.user_id], direct=True)
    await colleague.wait_joined(dm, bot.user_id)

    start = await colleague.send(dm, "accès orga")
    ask = await colleague.reply_to(bot.user_id, start)
    assert content(ask)["body"] == plain(strings.ACCESS_ASK_EMAIL.format(space="Pix Orga"))
    for answer, expected in ((EMAIL, strings.ACCESS_ASK_UNIT), ("UFR Sciences", strings.ACCESS_ASK_ROLE),
                             ("membre", strings.ACCESS_ASK_PURPOSE)):
        said = await colleague.send(dm, answer, **in_thread(start))
        assert content(await colleague.reply_to(bot.user_id, said))["body"] == plain(expected)
    said = await colleague.send(dm, "Suivre les campagnes de mes cours", **in_thread(start))
    confirm = await colleague.reply_to(bot.user_id, said)
    assert EMAIL in content(confirm)["body"]

    # « oui »: the request and its card commit together; the bot dies before sending anything
    bot.sender.push_rows = lambda rows: None
    yes = await colleague.send(dm, "oui", **in_thread(start))
    for _ in range(400):
        if h.storage.is_processed(yes) and h.app.tickets.by_source(yes) is not None:
            break
        await asyncio.sleep(0.05)
    request = h.app.tickets.by_source(yes)
    assert request is not None and request.kind == "access"
    await h.stop()
    assert not any(from_bot(bot.user_id, corr)(r, e) for r, e in staff.events)

    # after the restart the card goes out, once, as the root of the request's thread
    bot = await h.start()
    card = await staff.wait_for(from_bot(bot.user_id, corr, lambda e: "Demande d'accès n°" in content(e)["body"]),
                                timeout=30, what="the card after the restart")
    assert EMAIL in content(card)["body"] and "UFR Sciences" in content(card)["body"]
    assert "m.relates_to" not in content(card)
    done = await colleague.reply_to(bot.user_id, yes, timeout=30)
    assert content(done)["body"] == plain(strings.access_created(request.id, True))

    # a question in the card's thread is relayed to the asker; then accepter, then invité
    await staff.send(corr, "Pour quelle promotion exactement ?", **in_thread(card.event_id))
    relayed = await colleague.wait_for(from_bot(bot.user_id, dm, lambda e: "Pour quelle promotion" in content(e)["body"]),
                                       what="the relayed question")
    assert relation(relayed)["event_id"] == start
    accept = await staff.send(corr, "accepter", **in_thread(card.event_id))
    await staff.reply_to(bot.user_id, accept)
    accepted = await colleague.wait_for(from_bot(bot.user_id, dm, lambda e: "acceptée" in content(e)["body"]),
                                        what="the acceptance")
    assert "lien à usage unique" in content(accepted)["body"]
    invited = await staff.send(corr, "invité", **in_thread(card.event_id))
    await staff.reply_to(bot.user_id, invited)
    await colleague.wait_for(from_bot(bot.user_id, dm, lambda e: "vous a été envoyée" in content(e)["body"]),
                             what="the invitation notice")

    # exactly once: a barrier in each room, then count
    await staff.barrier(bot.user_id, corr, "!pix demandes toutes")
    await colleague.barrier(bot.user_id, dm, "mes demandes")
    cards = [e for r, e in staff.events if from_bot(bot.user_id, corr, lambda e: "Demande d'accès n°" in content(e)["body"])(r, e)]
    assert [e.event_id for e in cards] == [card.event_id]
    assert len(colleague.replies_to(bot.user_id, yes)) == 1
    assert h.storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    assert h.storage.db.execute("SELECT status FROM access_requests").fetchone()[0] == "invited"
