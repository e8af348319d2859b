"""Replies to one person (``Platform.direct``) and files (``Reply.attachment``) on a real Synapse:
the bot opens a direct chat once and keeps using it, across a restart; a file arrives as an
uploaded ``m.image`` with its caption; a person the bot may not write to gets nothing, and the
reply is kept as a dead letter."""

from __future__ import annotations

import asyncio
import struct
import zlib

import pytest
from nio import DownloadResponse, RoomEncryptedImage, RoomMemberEvent, RoomMessageNotice
from nio.crypto import decrypt_attachment

from bot.core import strings
from bot.core.brain import Reply
from synapse_server import PASSWORD, Peer

pytestmark = pytest.mark.matrix


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid grey PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([128] * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture
async def newcomer(synapse, request, tmp_path_factory):
    """Someone who never talked to the bot (the bot's account and its rooms outlive a test), with
    an encrypting client: the bot opens its direct chats encrypted."""
    localpart = "p" + request.node.name.split("_", 2)[-1][:20].replace("_", "") + str(abs(hash(request.node.name)) % 10000)
    await asyncio.to_thread(synapse.register, localpart, PASSWORD)
    peer = await Peer(synapse, localpart, store=tmp_path_factory.mktemp("newcomer-store")).start()
    yield peer
    await peer.close()


@pytest.fixture
def people_harness(make_harness, staff, newcomer):
    return make_harness(correspondents=[staff.user_id], allowed_users=[staff.user_id, newcomer.user_id])


def deliver(harness, replies: list[Reply]) -> None:
    with harness.storage.transaction():  # what a feature does from a scheduled job
        harness.brain.deliver(replies)


async def accept_invites_from(peer, bot_id: str) -> str:
    """Wait for the bot's invitation, join, and return the room."""
    async def invited() -> str:
        while True:
            for room_id, room in peer.client.invited_rooms.items():
                if any(user == bot_id for user in room.users):
                    return room_id
            await asyncio.sleep(0.05)

    room = await asyncio.wait_for(invited(), 20)
    await peer.client.join(room)
    await peer.wait_joined(room, peer.user_id)
    return room


def notices(peer, bot_id: str, room: str) -> list[str]:
    return [e.body for r, e in peer.events if r == room and e.sender == bot_id and isinstance(e, RoomMessageNotice)]


def rooms_shared_with(peer, bot_id: str) -> set[str]:
    return {r for r, e in peer.events if isinstance(e, RoomMemberEvent) and e.state_key == bot_id}


async def test_a_person_is_written_to_in_one_direct_chat_that_survives_a_restart(people_harness, newcomer):
    harness, colleague = people_harness, newcomer
    bot = await harness.start()
    to_colleague = harness.brain.platform.direct(colleague.user_id)
    assert to_colleague == colleague.user_id
    deliver(harness, [Reply(room=to_colleague, text="Premier message"), Reply(room=to_colleague, text="Deuxième")])
    room = await accept_invites_from(colleague, bot.user_id)
    await colleague.wait_for(lambda r, e: r == room and getattr(e, "body", None) == "Deuxième", what="both messages")
    assert notices(colleague, bot.user_id, room) == ["Premier message", "Deuxième"]
    assert room in bot._direct  # remembered as a direct chat (a room opened by the bot itself)

    await harness.restart()
    deliver(harness, [Reply(room=to_colleague, text="Après redémarrage")])
    await colleague.wait_for(lambda r, e: r == room and getattr(e, "body", None) == "Après redémarrage",
                             what="the message after the restart")
    # the same room, and no other: barrier in that room, then count the rooms shared with the bot
    await colleague.barrier(harness.bot.user_id, room)
    assert rooms_shared_with(colleague, bot.user_id) == {room}
    assert notices(colleague, bot.user_id, room).count("Après redémarrage") == 1


async def test_a_file_arrives_uploaded_with_its_caption(people_harness, newcomer, tmp_path):
    harness, colleague = people_harness, newcomer
    bot = await harness.start()
    png = tmp_path / "graphique.png"
    png.write_bytes(tiny_png())
    deliver(harness, [Reply(room=harness.brain.platform.direct(colleague.user_id), text="Questions par mois",
                            attachment={"path": str(png), "name": "graphique.png", "mimetype": "image/png",
                                        "width": 3, "height": 2})])
    room = await accept_invites_from(colleague, bot.user_id)
    image = await colleague.wait_for(lambda r, e: r == room and isinstance(e, RoomEncryptedImage), what="the image")
    content = image.source["content"]  # the decrypted event: the direct chat is encrypted, so is the file
    assert content["msgtype"] == "m.image"
    assert content["body"] == "Questions par mois" and content["filename"] == "graphique.png"
    assert content["info"] == {"mimetype": "image/png", "w": 3, "h": 2, "size": len(tiny_png())}
    assert "url" not in content and content["file"]["url"].startswith("mxc://")
    downloaded = await colleague.client.download(mxc=content["file"]["url"])
    assert isinstance(downloaded, DownloadResponse) and downloaded.body != tiny_png()  # stored encrypted
    keys = content["file"]
    assert decrypt_attachment(downloaded.body, keys["key"]["k"], keys["hashes"]["sha256"], keys["iv"]) == tiny_png()


async def test_a_direct_chat_the_person_opened_is_the_one_used(people_harness, newcomer):
    harness, person = people_harness, newcomer
    bot = await harness.start()
    room = await person.create_room([bot.user_id], direct=True)
    await person.wait_joined(room, bot.user_id)
    await person.barrier(bot.user_id, room)  # the bot answered there: it knows the room
    deliver(harness, [Reply(room=harness.brain.platform.direct(person.user_id), text="Un rappel")])
    await person.wait_for(lambda r, e: r == room and getattr(e, "body", None) == "Un rappel", what="the reminder")
    await person.barrier(bot.user_id, room)
    assert not person.client.invited_rooms and rooms_shared_with(person, bot.user_id) == {room}


async def test_nobody_outside_the_allowed_people_is_written_to_and_a_missing_file_is_a_dead_letter(
        people_harness, stranger, newcomer, tmp_path):
    harness, colleague = people_harness, newcomer
    bot = await harness.start()
    deliver(harness, [Reply(room=harness.brain.platform.direct(stranger.user_id), text="Bonjour"),
                      Reply(room=harness.brain.platform.direct(colleague.user_id), text="Voici",
                            attachment={"path": str(tmp_path / "absent.png"), "name": "absent.png",
                                        "mimetype": "image/png"})])
    for _ in range(400):  # both refused for good, each with its reason
        count, letters = harness.storage.dead_letters()
        if count == 2:
            break
        await asyncio.sleep(0.05)
    reasons = {row["room"]: row["error"] for row in letters}
    assert reasons[stranger.user_id] == strings.DEAD_NOT_ALLOWED_PERSON
    assert reasons[colleague.user_id].startswith(strings.DEAD_FILE_UNREADABLE)
    assert not stranger.client.invited_rooms and not any(
        isinstance(e, RoomMemberEvent) and e.state_key == stranger.user_id and e.sender == bot.user_id
        for _, e in stranger.events)
    assert not colleague.client.invited_rooms  # a missing file opens no room
