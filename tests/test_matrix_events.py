"""Reading Matrix events without a homeserver: ``to_incoming`` turns a nio event into what the
brain sees (#15: the adapter's pure parts are testable without Synapse)."""

from __future__ import annotations

from nio import MatrixRoom, RoomMessageNotice, RoomMessageText, UnknownEvent

from bot.adapters.matrix.events import to_incoming

BOT = "@pixbot:univ.fr"
ALICE = "@alice:univ.fr"


def room() -> MatrixRoom:
    r = MatrixRoom("!r:univ.fr", BOT)
    r.add_member(ALICE, "Alice Martin", None)
    r.add_member(BOT, "Assistant Pix", None)
    return r


def event(content: dict, cls=RoomMessageText, sender=ALICE, event_id="$e1", type_="m.room.message"):
    source = {"type": type_, "sender": sender, "event_id": event_id, "origin_server_ts": 1, "content": content}
    return cls.from_dict(source)


def translate(ev, direct=False):
    return to_incoming(room(), ev, direct, BOT, [BOT, "Assistant Pix", "pixbot"], set())


def test_a_mention_addresses_the_bot_and_is_removed_from_the_text():
    msg = translate(event({"msgtype": "m.text", "body": "Assistant Pix : comment créer une campagne ?"}))
    assert msg.addressed and msg.text == "comment créer une campagne ?"
    assert msg.sender == ALICE and msg.sender_name == "Alice Martin" and msg.room == "!r:univ.fr"
    assert not translate(event({"msgtype": "m.text", "body": "bonjour à tous"})).addressed


def test_a_reply_fallback_is_dropped_and_the_thread_root_kept():
    content = {"msgtype": "m.text", "body": "> <@bob:univ.fr> avant\n\net la suite ?",
               "m.relates_to": {"rel_type": "m.thread", "event_id": "$root"}}
    msg = translate(event(content), direct=True)
    assert msg.text == "et la suite ?" and msg.thread == "$root" and msg.is_direct


def test_a_reaction_becomes_a_reaction_to_its_target():
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$answer", "key": "👍"}}
    msg = translate(event(content, cls=UnknownEvent, type_="m.reaction"))
    assert msg.reaction_to == "$answer" and msg.text == "👍"


def test_edits_and_notices_are_not_questions():
    edit = {"msgtype": "m.text", "body": "* corrigé", "m.relates_to": {"rel_type": "m.replace", "event_id": "$e0"}}
    assert translate(event(edit)) is None
    assert translate(event({"msgtype": "m.notice", "body": "un autre bot"}, cls=RoomMessageNotice)) is None
