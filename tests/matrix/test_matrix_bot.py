"""The Matrix adapter end to end, against a real Synapse on loopback (see conftest.py)."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from nio import ReactionEvent, RoomMemberEvent, RoomMessageNotice, RoomSendError, RoomSendResponse

from bot.core import strings
from bot.adapters.matrix import MatrixBot, render_html, reply_content
from bot.adapters.matrix.events import find_mention, invite_allowed, strip_reply_fallback
from bot.adapters.matrix.session import Session
from bot.core.brain import Reply
from synapse_server import relation

pytestmark = pytest.mark.matrix

QUESTION = "Comment inviter un collègue dans Pix Orga ?"
VAGUE = ["un problème avec la campagne", "souci de campagne", "question sur la campagne", "code"]


async def open_dm(peer, bot_id: str, encrypted: bool = False) -> str:
    room = await peer.create_room([bot_id], direct=True, encrypted=encrypted)
    await peer.wait_joined(room, bot_id)
    return room


def content(event) -> dict:
    return event.source.get("content") or {}


# -- pure helpers ---------------------------------------------------------------------------------
def test_invite_allowed_by_server_user_or_own_server():
    me = "@pixbot:univ.fr"
    assert invite_allowed("@a:univ.fr", me, [], [])  # both lists empty: own server only
    assert not invite_allowed("@a:evil.org", me, [], [])
    assert invite_allowed("@a:agent.tchap.gouv.fr", me, ["agent.tchap.gouv.fr"], [])
    assert not invite_allowed("@a:univ.fr", me, ["agent.tchap.gouv.fr"], [])  # lists set: own server not implied
    assert invite_allowed("@boss:elsewhere.org", me, ["agent.tchap.gouv.fr"], ["@boss:elsewhere.org"])
    assert not invite_allowed("@x:elsewhere.org", me, [], ["@boss:elsewhere.org"])


def test_mentions_are_found_and_stripped():
    names = ["@pixbot:localhost", "Assistant Pix", "pixbot"]
    assert find_mention("@pixbot:localhost comment exporter ?", names) == (True, "comment exporter ?")
    assert find_mention("Assistant Pix: comment exporter ?", names) == (True, "comment exporter ?")
    assert find_mention("pixbot, le code ?", names) == (True, "le code ?")
    assert find_mention("bonjour à tous", names) == (False, "bonjour à tous")
    assert find_mention("pixbotte est là", names)[0] is False
    assert strip_reply_fallback("> <@a:b> avant\n> suite\n\nma question") == "ma question"


def test_html_is_escaped_and_markdown_rendered():
    out = render_html("**Titre**\n\n<script>alert(1)</script> <b>x</b>\n\nSource : https://orga.pix.fr/")
    assert "<strong>Titre</strong>" in out
    assert "<script>" not in out and "<b>" not in out and "&lt;script&gt;" in out
    assert '<a href="https://orga.pix.fr/">https://orga.pix.fr/</a>' in out


def test_reply_content_thread_and_plain_reply():
    r = Reply(room="!r", text="t", thread="$root", reply_to="$q", asker="@a:x")
    threaded = reply_content(r, threads=True)
    assert threaded["msgtype"] == "m.notice" and threaded["format"] == "org.matrix.custom.html"
    assert threaded["m.relates_to"] == {"rel_type": "m.thread", "event_id": "$root", "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": "$q"}}
    assert reply_content(r, threads=False)["m.relates_to"] == {"m.in_reply_to": {"event_id": "$q"}}


async def test_paced_calls_honour_rate_limit(harness):
    """One paced worker: a 429 with retry_after_ms is waited out, then the call succeeds."""
    bot = MatrixBot(harness.config(), harness.brain, harness.storage, password="unused")
    bot.sender.interval = 0.0
    calls = []

    async def flaky():
        calls.append(asyncio.get_running_loop().time())
        if len(calls) == 1:
            return RoomSendError("slow down", "M_LIMIT_EXCEEDED", retry_after_ms=300)
        return RoomSendResponse("$ok", "!r")

    resp = await bot.sender.attempt("test", flaky)
    assert isinstance(resp, RoomSendResponse) and len(calls) == 2
    assert calls[1] - calls[0] >= 0.29
    bot.sender.interval = 0.1  # 10 messages per second
    start = asyncio.get_running_loop().time()
    for _ in range(4):
        await bot.sender.pace()
    assert asyncio.get_running_loop().time() - start >= 0.29


# -- end to end -----------------------------------------------------------------------------------
async def test_dm_question_gets_threaded_notice_with_source(bot, staff):
    room = await open_dm(staff, bot.user_id)
    question = await staff.send(room, QUESTION)
    answer = await staff.reply_to(bot.user_id, question)
    c = content(answer)
    assert c["msgtype"] == "m.notice"
    assert c["format"] == "org.matrix.custom.html" and "<strong>" in c["formatted_body"]
    assert relation(answer)["rel_type"] == "m.thread" and relation(answer)["event_id"] == question
    assert relation(answer)["is_falling_back"] is True
    assert "https://orga.pix.fr/" in c["body"] and "administrateur" in c["body"]
    keys = set()
    await staff.wait_for(lambda r, e: isinstance(e, ReactionEvent) and e.reacts_to == answer.event_id
                         and (keys.add(e.key) or keys >= {"👍", "👎"}), what="👍 and 👎 on the answer")
    assert bot.storage.bot_message(answer.event_id)["payload"]["item"] == "orga-invite"


async def test_group_room_answers_only_when_mentioned(bot, staff, colleague):
    room = await staff.create_room([bot.user_id, colleague.user_id], direct=False)
    await colleague.client.join(room)
    await staff.wait_joined(room, bot.user_id)
    await staff.wait_joined(room, colleague.user_id)
    chatter = await staff.send(room, QUESTION)  # not for the bot
    mentioned = await staff.send(room, f"pixbot : {QUESTION}")
    by_id = await staff.send(room, "Comment vérifier un certificat Pix ?", **{"m.mentions": {"user_ids": [bot.user_id]}})
    answer = await staff.reply_to(bot.user_id, mentioned)
    assert "administrateur" in content(answer)["body"]
    second = await staff.reply_to(bot.user_id, by_id)
    assert "P-XXXXXXXX" in content(second)["body"]
    assert staff.replies_to(bot.user_id, chatter) == []  # handled in order: it was seen and ignored
    assert content(answer).get("m.mentions") == {"user_ids": [staff.user_id]}


async def test_suggestion_chosen_by_number_then_by_reaction(bot, staff, harness):
    engine = harness.engine
    vague = next((q for q in VAGUE if engine.ask(q).decision == "suggest"
                  and len(engine.searcher.suggestions(engine.ask(q))) >= 2), None)
    assert vague, "no vague question gives a 'suggest' decision over the test FAQ"
    room = await open_dm(staff, bot.user_id)

    q1 = await staff.send(room, vague)
    suggestion = await staff.reply_to(bot.user_id, q1)
    choices = harness.storage.bot_message(suggestion.event_id)["payload"]["choices"]
    assert harness.storage.bot_message(suggestion.event_id)["kind"] == "suggest" and len(choices) >= 2
    await staff.wait_for(lambda r, e: isinstance(e, ReactionEvent) and e.reacts_to == suggestion.event_id
                         and e.key == "2️⃣", what="number reactions on the suggestion")
    pick = await staff.send(room, "2", **{"m.relates_to": {"rel_type": "m.thread", "event_id": q1,
                                                           "is_falling_back": True,
                                                           "m.in_reply_to": {"event_id": suggestion.event_id}}})
    chosen = await staff.reply_to(bot.user_id, pick)
    assert engine.item(choices[1]).title in content(chosen)["body"]
    assert relation(chosen)["event_id"] == q1  # stays in the question's thread
    assert harness.storage.bot_message(chosen.event_id)["payload"]["item"] == choices[1]

    q2 = await staff.send(room, vague)
    suggestion2 = await staff.reply_to(bot.user_id, q2)
    choices2 = harness.storage.bot_message(suggestion2.event_id)["payload"]["choices"]
    reaction = await staff.react(room, suggestion2.event_id, "1️⃣")
    chosen2 = await staff.wait_for(
        lambda r, e: e.sender == bot.user_id and isinstance(e, RoomMessageNotice)
        and relation(e).get("m.in_reply_to", {}).get("event_id") == reaction, what="answer to the 1️⃣ reaction")
    assert engine.item(choices2[0]).title in content(chosen2)["body"]


async def test_thumbs_up_is_recorded(bot, staff, harness):
    room = await open_dm(staff, bot.user_id)
    question = await staff.send(room, QUESTION)
    answer = await staff.reply_to(bot.user_id, question)
    await staff.react(room, answer.event_id, "👍")
    for _ in range(200):
        rows = harness.storage.feedback()
        if rows:
            break
        await asyncio.sleep(0.05)
    assert len(rows) == 1
    assert rows[0]["value"] == 1 and rows[0]["item_id"] == "orga-invite" and rows[0]["sender"] == staff.user_id


async def test_encrypted_room_round_trip(bot, staff):
    room = await open_dm(staff, bot.user_id, encrypted=True)
    assert staff.client.rooms[room].encrypted
    question = await staff.send(room, QUESTION)
    answer = await staff.reply_to(bot.user_id, question, timeout=30)
    assert answer.decrypted, "the bot's answer should have been encrypted"
    assert "administrateur" in content(answer)["body"]
    assert relation(answer)["rel_type"] == "m.thread"


async def test_undecryptable_message_gets_french_explanation(bot, colleague):
    room = await open_dm(colleague, bot.user_id)
    bogus = {"algorithm": "m.megolm.v1.aes-sha2", "sender_key": "a" * 43, "device_id": "NOPE",
             "session_id": "b" * 43, "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg"}
    secret = await colleague.send(room, "", "m.room.encrypted", bogus)
    reply = await colleague.reply_to(bot.user_id, secret)
    assert content(reply)["body"] == strings.MATRIX_CANNOT_DECRYPT
    assert "déchiffrer" in content(reply)["body"]


async def test_invite_from_disallowed_user_is_refused(bot, stranger, colleague):
    refused = await stranger.create_room([bot.user_id], direct=True)
    await stranger.wait_for(lambda r, e: r == refused and isinstance(e, RoomMemberEvent)
                            and e.state_key == bot.user_id and e.membership == "leave", what="the bot to refuse")
    accepted = await colleague.create_room([bot.user_id], direct=True)  # listed in allowed_users
    await colleague.wait_joined(accepted, bot.user_id)
    assert refused not in bot.client.rooms
    assert not any(r == refused and isinstance(e, RoomMemberEvent) and e.state_key == bot.user_id
                   and e.membership == "join" for r, e in stranger.events)


async def test_bot_leaves_when_alone(bot, colleague):
    room = await open_dm(colleague, bot.user_id)
    assert bot.brain.platform.rooms_count() >= 1
    await colleague.client.room_leave(room)
    for _ in range(200):
        joined = await bot.client.joined_rooms()
        if room not in joined.rooms and room not in bot.client.rooms:
            break
        await asyncio.sleep(0.05)
    assert room not in joined.rooms and room not in bot.client.rooms


async def test_message_sent_while_down_is_answered_once(harness, staff):
    bot = await harness.start()
    room = await open_dm(staff, bot.user_id)
    await harness.stop()
    question = await staff.send(room, QUESTION)
    bot = await harness.start()
    await staff.reply_to(bot.user_id, question, timeout=20)
    bot = await harness.restart()
    marker = await staff.send(room, "Où trouver le code d'une campagne ?")  # processed after any redelivery
    await staff.reply_to(bot.user_id, marker)
    assert len(staff.replies_to(bot.user_id, question)) == 1


async def test_restarts_reuse_the_session(harness):
    bot = await harness.start()
    device = bot.client.device_id
    logins = Session.logins
    for _ in range(3):
        bot = await harness.restart()
        assert bot.client.device_id == device
    assert Session.logins == logins, "a restart logged in again"
    devices = await bot.client.devices()
    assert [d.id for d in devices.devices].count(device) == 1


async def test_the_access_token_is_kept_apart_from_the_database_in_a_private_file(harness):
    """#14 item 9: not in the SQLite file beside people's data; a token an older version left
    there is moved out at the next start (and the session still reused)."""
    from bot.adapters.matrix.session import KV_TOKEN

    bot = await harness.start()
    token = bot.client.access_token
    assert harness.storage.get(KV_TOKEN) is None
    assert bot.token_path.read_text(encoding="utf-8") == token
    assert bot.token_path.stat().st_mode & 0o777 == 0o600
    with open(harness.data_dir / "pixbot.sqlite", "rb") as db:
        assert token.encode() not in db.read()

    await harness.stop()  # as an older version left it: in the database, no file
    bot.token_path.unlink()
    harness.storage.set(KV_TOKEN, token)
    logins = Session.logins
    bot = await harness.start()
    assert Session.logins == logins and bot.client.access_token == token
    assert harness.storage.get(KV_TOKEN) is None and bot.token_path.read_text(encoding="utf-8") == token


async def test_lost_encryption_store_means_a_new_device_not_a_broken_one(harness, staff):
    """Deleting data/matrix-store loses the device's keys: the bot retires that device and logs in
    as a new one, which reads encrypted rooms again."""
    bot = await harness.start()
    old = bot.client.device_id
    # a bot runs long before its store is lost: its keys are on the server (a key upload still
    # in flight would register the device again after its logout)
    for _ in range(200):
        if bot.client.olm.account.shared:
            break
        await asyncio.sleep(0.05)
    assert bot.client.olm.account.shared
    await harness.stop()
    shutil.rmtree(harness.data_dir / "matrix-store")
    logins = Session.logins
    bot = await harness.start()
    assert bot.client.device_id != old and Session.logins == logins + 1
    devices = [d.id for d in (await bot.client.devices()).devices]
    assert old not in devices and bot.client.device_id in devices
    room = await open_dm(staff, bot.user_id, encrypted=True)
    question = await staff.send(room, QUESTION)
    answer = await staff.reply_to(bot.user_id, question, timeout=30)
    assert answer.decrypted and "administrateur" in content(answer)["body"]
    bot = await harness.restart()  # and the new device is kept from then on
    assert Session.logins == logins + 1


async def test_homeserver_outage_is_survived(bot, staff, caplog):
    """Sync and sends fail while the homeserver is unreachable: one log line per retry, backoff,
    no crash; the reply queued during the outage is delivered once it is back."""
    from synapse_server import free_port

    room = await open_dm(staff, bot.user_id)
    real = bot.client.homeserver
    bot.backoff_min, bot.backoff_max = 0.2, 0.4
    bot.client.homeserver = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    question = await staff.send(room, QUESTION)  # sent during the outage
    for _ in range(200):
        if "sync failed" in caplog.text:
            break
        await asyncio.sleep(0.05)
    bot.send_reply(Reply(room=room, text="Message en attente", kind="info"))  # a send during the outage
    for _ in range(200):
        if "m.room.message failed" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "sync failed" in caplog.text and "m.room.message failed" in caplog.text
    assert not any(t.done() for t in bot._tasks), "a loop died during the outage"
    bot.client.homeserver = real
    await staff.reply_to(bot.user_id, question, timeout=20)
    await staff.wait_for(lambda r, e: r == room and e.sender == bot.user_id
                         and content(e).get("body") == "Message en attente", what="the queued message")
    await staff.barrier(bot.user_id, room)
    assert len(staff.replies_to(bot.user_id, question)) == 1
    assert sum(1 for r, e in staff.events if r == room and content(e).get("body") == "Message en attente") == 1


async def test_outbox_is_flushed_at_start_and_resends_are_deduplicated(harness, staff):
    """A reply enqueued before a crash is sent at the next start; one that was sent but not yet
    marked (crash in between) is sent again with the same transaction id: the homeserver keeps one."""
    bot = await harness.start()
    room = await open_dm(staff, bot.user_id)
    bot.send_reply(Reply(room=room, text="Déjà envoyé", kind="info"))
    sent = await staff.wait_for(lambda r, e: r == room and content(e).get("body") == "Déjà envoyé", what="first send")
    await harness.stop()
    row = harness.storage.db.execute("SELECT id FROM outbox WHERE sent_event_id = ?", (sent.event_id,)).fetchone()
    harness.storage.db.execute("UPDATE outbox SET sent_at = NULL, sent_event_id = NULL WHERE id = ?", (row[0],))
    harness.storage.enqueue(room, {"type": "m.room.message", "content": {"msgtype": "m.notice", "body": "En attente"},
                                   "reply": None}, "txn-pending-1")
    await harness.start()
    await staff.wait_for(lambda r, e: r == room and content(e).get("body") == "En attente", what="pending row")
    assert harness.storage.pending_outbox() == []
    resent = harness.storage.db.execute("SELECT sent_event_id FROM outbox WHERE id = ?", (row[0],)).fetchone()[0]
    assert resent == sent.event_id  # same transaction id: the homeserver returned the same event
    assert sum(1 for r, e in staff.events if r == room and content(e).get("body") == "Déjà envoyé") == 1


async def test_rooms_in_parallel_each_room_in_order(bot, staff, colleague):
    """Questions sent at once in two rooms are all answered; within a room the replies come in the
    order of the questions, each before the 👍/👎 on it are needed by anything else."""
    room = await open_dm(staff, bot.user_id)
    other = await open_dm(colleague, bot.user_id)
    questions = [QUESTION, "Comment vérifier un certificat Pix ?", "Où trouver le code d'une campagne ?"]
    sent = [await staff.send(room, q) for q in questions]  # without waiting for the answers
    elsewhere = await colleague.send(other, QUESTION)
    replies = [await staff.reply_to(bot.user_id, q) for q in sent]
    await colleague.reply_to(bot.user_id, elsewhere)
    order = [next(i for i, (_, e) in enumerate(staff.events) if e is r) for r in replies]
    assert order == sorted(order), "replies in a room must follow the order of the questions"
    for q in sent:
        assert len(staff.replies_to(bot.user_id, q)) == 1
    keys = set()
    await staff.wait_for(lambda r, e: isinstance(e, ReactionEvent) and e.reacts_to == replies[0].event_id
                         and (keys.add(e.key) or keys >= {"👍", "👎"}), what="👍 and 👎 on the first answer")


def test_a_reply_with_a_file_is_an_image_or_a_file_with_its_caption():
    image = reply_content(Reply(room="!r", text="Questions **par mois**", thread="$q",
                                attachment={"path": "/x/g.png", "name": "g.png", "mimetype": "image/png",
                                            "width": 800, "height": 400}), threads=True)
    assert image["msgtype"] == "m.image" and image["filename"] == "g.png"
    assert image["body"] == "Questions **par mois**" and "<strong>par mois</strong>" in image["formatted_body"]
    assert image["info"] == {"mimetype": "image/png", "w": 800, "h": 400}
    assert image["m.relates_to"]["rel_type"] == "m.thread"  # still in the asker's thread
    document = reply_content(Reply(room="!r", text="", attachment={"path": "/x/r.html", "name": "rapport.html",
                                                                   "mimetype": "text/html"}), threads=True)
    assert document["msgtype"] == "m.file" and document["body"] == "rapport.html"
    assert "formatted_body" not in document
