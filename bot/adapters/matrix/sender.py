"""Everything the bot sends to the homeserver: one lane per room, one pace for all.

- Every reply goes through the storage outbox with a transaction id that is reused on resend.
- Every outgoing call (messages, reactions, joins, leaves, key requests) goes through its room's
  lane: in order within a room, rooms in parallel. One global pace honours ``M_LIMIT_EXCEEDED``
  retry-after. In a room, messages go before reactions, so the 👍/👎 on an answer never hold up
  the next answer.
- Transient failures are retried with capped backoff (an outage must not lose a reply). A
  refusal for good (any 4xx but 401 and 429) makes the reply a dead letter: kept aside with its
  reason, never sent again, never in the way of the room's next replies. A thread the
  homeserver refuses is tried once as a plain reply first.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import io
import json
import logging
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from nio import ErrorResponse, LocalProtocolError, RoomCreateResponse, RoomPreset, RoomSendResponse, UploadResponse

from ...core import strings
from ...core.brain import Reply
from ...core.messages import MAX_ATTACHMENT_BYTES
from .events import invite_allowed as user_allowed
from .formatting import reply_content, without_thread

if TYPE_CHECKING:
    from .bot import MatrixBot

log = logging.getLogger(__name__)

ROOM_WAIT_STEPS = 400  # x 50 ms
PERMANENT_ERRORS = {"M_FORBIDDEN", "M_NOT_FOUND", "M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE"}
JOIN_POLL_SECONDS = 0.2  # how often a reply to a person who has not joined yet looks again
KV_DIRECT_WITH = "matrix.direct_with"  # person -> the direct chat the bot writes to them in


def is_permanent(resp: Any) -> bool:
    """A refusal that will not change if the same request is sent again: the errors above, and
    any 4xx but 401 (the token: the sync loop logs in again) and 429 (a rate limit: wait)."""
    if not isinstance(resp, ErrorResponse):
        return False
    if resp.status_code in PERMANENT_ERRORS:
        return True
    status = getattr(getattr(resp, "transport_response", None), "status", None) or 0
    return 400 <= status < 500 and status not in (401, 429)


def read_attachment(attachment: dict) -> tuple[bytes | None, str]:
    """The bytes of a reply's file, or (None, reason) when it is missing or too large."""
    try:
        data = Path(attachment["path"]).read_bytes()
    except OSError as exc:
        return None, f"{strings.DEAD_FILE_UNREADABLE} ({type(exc).__name__})"
    if len(data) > MAX_ATTACHMENT_BYTES:
        return None, strings.DEAD_FILE_TOO_LARGE
    return data, ""


def short(resp: Any) -> str:
    """One line describing an error response or exception (never a token)."""
    if isinstance(resp, ErrorResponse):
        return f"{resp.status_code or ''} {resp.message or ''}".strip()
    if isinstance(resp, BaseException):
        return f"{type(resp).__name__}: {resp}".strip()[:200]
    return type(resp).__name__


@dataclasses.dataclass
class _Call:
    name: str
    factory: Callable[[], Awaitable[Any]]
    future: asyncio.Future
    room: str = ""


@dataclasses.dataclass
class _OutLane:
    """One room's outgoing jobs: messages and calls first (in order), then reactions (in order)."""

    high: collections.deque = dataclasses.field(default_factory=collections.deque)
    low: collections.deque = dataclasses.field(default_factory=collections.deque)


class Sender:
    """The bot's outgoing side. It uses its bot's client, storage, brain and rooms it left."""

    def __init__(self, bot: MatrixBot, messages_per_second: float):
        self.bot = bot
        self.interval = 1.0 / messages_per_second if messages_per_second and messages_per_second > 0 else 0.0
        self._last_call = 0.0  # start of the last paced call (reserved slot, may be in the future)
        self._hold_until = 0.0  # a rate limit answer holds every lane until then
        self._lanes: dict[str, _OutLane] = {}  # room ("" for calls without one) -> jobs to send
        self.tasks: dict[str, asyncio.Task] = {}  # room -> its lane's worker

    # -- queueing -------------------------------------------------------------------------------
    def send_reply(self, reply: Reply, mention: bool = False) -> None:
        """Record the reply in the outbox (with its transaction id), then queue it."""
        content = reply_content(reply, self.bot.mc.threads, mention)
        self.enqueue(reply.room, "m.room.message", content, dataclasses.asdict(reply))

    def outbox_row(self, room: str, event_type: str, content: dict, reply: dict | None) -> dict:
        """Write one outgoing event to the outbox with its transaction id; return the row."""
        txn = uuid.uuid4().hex
        payload = {"type": event_type, "content": content, "reply": reply}
        row_id = self.bot.storage.enqueue(room, payload, txn)
        return {"id": row_id, "txn_id": txn, "room": room, "payload": payload}

    def enqueue(self, room: str, event_type: str, content: dict, reply: dict | None) -> None:
        self.submit(self.outbox_row(room, event_type, content, reply))

    def push_rows(self, rows: list[dict]) -> None:
        for row in rows:
            self.submit(row)

    def call(self, name: str, factory: Callable[[], Awaitable[Any]], room: str = "") -> asyncio.Future:
        """Queue any other outgoing API call in its room's lane, behind the same pacing."""
        fut = asyncio.get_running_loop().create_future()
        self.submit(_Call(name, factory, fut, room))
        return fut

    def submit(self, job: _Call | dict) -> None:
        """Queue an outgoing job in its room's lane (messages and calls before reactions)."""
        room = job.room if isinstance(job, _Call) else job["room"]
        lane = self._lanes.setdefault(room, _OutLane())
        reaction = isinstance(job, dict) and job["payload"].get("type") == "m.reaction"
        (lane.low if reaction else lane.high).append(job)
        if room not in self.tasks:
            self.tasks[room] = asyncio.create_task(self._lane(room), name=f"matrix-out {room}")

    def clear(self) -> None:
        """After a stop: the lanes' tasks were cancelled; what was queued is in the outbox."""
        self.tasks.clear()
        self._lanes.clear()

    # -- sending --------------------------------------------------------------------------------
    async def pace(self) -> None:
        """Wait for this call's turn: calls start at most ``messages_per_second`` apart, across
        all lanes, and none before a rate limit's retry-after has passed."""
        now = time.monotonic()
        slot = max(now, self._last_call + self.interval, self._hold_until)
        self._last_call = slot  # reserved before sleeping: lanes get successive slots
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _lane(self, room: str) -> None:
        lane = self._lanes[room]
        try:
            await self.bot.synced.wait()  # rooms (and their encryption state) are known after the first sync
            while lane.high or lane.low:
                if not lane.high and self.interval == 0:
                    # unpaced: the reactions waiting here go out together (the homeserver
                    # persists them in one batch), in the order they were queued
                    batch = list(lane.low)
                    lane.low.clear()
                    await asyncio.gather(*(self._send_row(row, delay=0.005 * i) for i, row in enumerate(batch)))
                    continue
                job = lane.high.popleft() if lane.high else lane.low.popleft()
                if isinstance(job, _Call):
                    result = await self.attempt(job.name, job.factory)
                    if not job.future.done():
                        job.future.set_result(result)
                else:
                    await self._send_row(job)
        finally:
            if self.tasks.get(room) is asyncio.current_task():
                del self.tasks[room]
                if not lane.high and not lane.low:
                    self._lanes.pop(room, None)

    async def attempt(self, name: str, factory: Callable[[], Awaitable[Any]], forever: bool = False):
        """Run one paced call; retry on rate limits (after the server's delay) and transport
        errors (backoff). Returns the response, or None after a permanent failure."""
        bot = self.bot
        backoff = bot.backoff_min
        tries = 0
        while True:
            await self.pace()
            try:
                resp = await factory()
            except asyncio.CancelledError:
                raise
            except LocalProtocolError as exc:  # e.g. a room we are no longer in
                log.warning("%s failed (%s); dropped", name, short(exc))
                return None
            except Exception as exc:
                resp = exc
            if isinstance(resp, ErrorResponse) and (resp.status_code == "M_LIMIT_EXCEEDED" or resp.retry_after_ms):
                delay = (getattr(resp, "retry_after_ms", None) or 1000) / 1000
                log.warning("%s rate limited; retrying in %.1f s", name, delay)
                self._hold_until = max(self._hold_until, time.monotonic() + delay)  # every lane waits
                continue
            if not isinstance(resp, (ErrorResponse, BaseException)):
                return resp
            tries += 1
            if is_permanent(resp) or (not forever and tries >= 5):
                log.warning("%s failed (%s); dropped", name, short(resp))
                return resp if isinstance(resp, ErrorResponse) else None
            log.warning("%s failed (%s); retrying in %.1f s", name, short(resp), backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, bot.backoff_max)

    async def _send_row(self, row: dict, delay: float = 0.0) -> None:
        """Send one outbox row. Transient failures are retried (forever: an outage must not lose
        a reply); a refusal for good makes it a dead letter, so the room's next replies go on."""
        bot = self.bot
        payload = row["payload"]
        if delay:
            await asyncio.sleep(delay)
        room = row["room"]
        attachment = (payload.get("reply") or {}).get("attachment")
        data = None
        if attachment:  # read first: a missing file opens no room
            data, refusal = read_attachment(attachment)
            if data is None:
                self._dead_letter(row, refusal)
                return
        if room.startswith("@"):  # a reply to one person (Platform.direct): their direct chat
            room, refusal = await self.direct_room(room)
            if room is None:
                self._dead_letter(row, refusal)
                return
        # a room joined a moment ago may not be in our sync yet (nio needs it to know whether to
        # encrypt): give the sync loop a little time before sending; a room we left gets none
        for _ in range(ROOM_WAIT_STEPS):
            if room in bot.client.rooms or room in bot.left_rooms:
                break
            await asyncio.sleep(0.05)
        if room in bot.left_rooms and room not in bot.client.rooms:
            self._dead_letter(row, strings.DEAD_NOT_IN_ROOM, room_gone=True)
            return
        if row["room"].startswith("@") and bot.client.rooms[room].encrypted:
            # the person's devices get the message's keys only once they joined: wait for them
            # (their lane only; a restart waits again, the reply stays in the outbox meanwhile)
            if not await self._joined(room, row["room"]):
                self._dead_letter(row, strings.DEAD_NOT_IN_ROOM, room_gone=True)
                return
            await bot.session.keep_keys()
        content = payload["content"]
        if data is not None:
            content, refusal = await self._with_upload(room, content, attachment, data)
            if content is None:
                self._dead_letter(row, refusal)
                return
        resp = await self._room_send(room, row, content, row["txn_id"])
        if is_permanent(resp) and (content.get("m.relates_to") or {}).get("rel_type") == "m.thread":
            log.warning("threaded reply in %s refused (%s); sending it as a plain reply", room, short(resp))
            resp = await self._room_send(room, row, without_thread(content), row["txn_id"] + "-plain")
        if not isinstance(resp, RoomSendResponse):
            forbidden = isinstance(resp, ErrorResponse) and resp.status_code == "M_FORBIDDEN"
            self._dead_letter(row, short(resp) if resp is not None else strings.DEAD_NOT_IN_ROOM, room_gone=forbidden)
            return
        event_id = resp.event_id
        bot.storage.mark_sent(row["id"], event_id)
        if not payload.get("reply"):
            return
        reply = Reply(**payload["reply"])
        try:
            bot.brain.sent(reply, event_id)
        except Exception:
            log.exception("brain.sent failed for %s", event_id)
        for key in reply.reactions:  # after any message already waiting in this room
            content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
            self.enqueue(room, "m.reaction", content, None)

    async def _room_send(self, room: str, row: dict, content: dict, txn_id: str):
        payload = row["payload"]
        return await self.attempt(
            payload["type"],
            lambda: self.bot.client.room_send(room, payload["type"], content, tx_id=txn_id,
                                              ignore_unverified_devices=True),
            forever=True,
        )

    # -- direct chats and files -----------------------------------------------------------------
    async def direct_room(self, user: str) -> tuple[str | None, str]:
        """The room of the bot's direct chat with ``user``: the one remembered, else a direct
        room the two already share, else a new one (invite, ``is_direct``; encrypted when the
        bot encrypts). Returns (None, reason) for a person the bot may not write to or a room it
        could not create. Only this person's lane calls it, so a room is created once."""
        bot = self.bot
        if not user_allowed(user, bot.user_id, bot.mc.allowed_servers, bot.mc.allowed_users):
            return None, strings.DEAD_NOT_ALLOWED_PERSON
        known = json.loads(bot.storage.get(KV_DIRECT_WITH, "{}"))
        room = known.get(user)
        # one opened a moment ago may not be in our sync yet: it is still theirs (_send_row waits)
        if room and room not in bot.left_rooms and (room not in bot.client.rooms or self._shared_direct(room, user)):
            return room, ""
        for candidate in bot.client.rooms:
            if self._shared_direct(candidate, user):
                room = candidate
                break
        else:
            initial_state = []
            if bot.mc.encryption:
                initial_state.append({"type": "m.room.encryption", "state_key": "",
                                      "content": {"algorithm": "m.megolm.v1.aes-sha2"}})
            resp = await self.attempt("create direct chat", lambda: bot.client.room_create(
                is_direct=True, invite=[user], preset=RoomPreset.trusted_private_chat,
                initial_state=initial_state))
            if not isinstance(resp, RoomCreateResponse):
                return None, short(resp) if resp is not None else strings.DEAD_NO_DIRECT_ROOM
            room = resp.room_id
            log.info("opened a direct chat %s with %s", room, user)
            bot.mark_direct(room)
        known[user] = room
        bot.storage.set(KV_DIRECT_WITH, json.dumps(known))
        return room, ""

    async def _joined(self, room_id: str, user: str) -> bool:
        """Wait until ``user`` joined ``room_id``; False if the bot is no longer there (the person
        refused the invitation and the bot, alone, left)."""
        while room_id not in self.bot.left_rooms:
            room = self.bot.client.rooms.get(room_id)
            if room is None:
                return False
            if user in room.users and user not in room.invited_users:
                return True
            await asyncio.sleep(JOIN_POLL_SECONDS)
        return False

    def _shared_direct(self, room_id: str, user: str) -> bool:
        """``room_id`` is a direct chat of the bot with ``user`` (joined or invited), and nobody else."""
        room = self.bot.client.rooms.get(room_id)
        if room is None or room_id in self.bot.left_rooms or not self.bot.is_direct(room):
            return False
        people = (set(room.users) | set(room.invited_users)) - {self.bot.user_id}
        return people == {user}

    async def _with_upload(self, room: str, content: dict, attachment: dict, data: bytes) -> tuple[dict | None, str]:
        """The file message's content with its file uploaded (encrypted in an encrypted room),
        or (None, reason) when the upload is refused for good. A resend uploads again: the
        outbox keeps the path, not the upload."""
        matrix_room = self.bot.client.rooms.get(room)
        encrypt = bool(matrix_room and matrix_room.encrypted)
        mimetype = attachment.get("mimetype") or "application/octet-stream"
        content = dict(content)
        content.setdefault("info", {})["size"] = len(data)

        async def upload():
            resp, keys = await self.bot.client.upload(io.BytesIO(data), content_type=mimetype,
                                                      filename=attachment["name"], encrypt=encrypt,
                                                      filesize=len(data))
            upload.keys = keys
            return resp

        resp = await self.attempt("upload", upload)
        if not isinstance(resp, UploadResponse):
            return None, short(resp) if resp is not None else strings.DEAD_FILE_UNREADABLE
        if encrypt:
            content["file"] = {"url": resp.content_uri, **(upload.keys or {})}
        else:
            content["url"] = resp.content_uri
        return content, ""

    def _dead_letter(self, row: dict, reason: str, room_gone: bool = False) -> None:
        """Keep a reply refused for good aside (``statut`` shows it), never to be sent again."""
        bot = self.bot
        log.warning("%s to %s refused for good (%s): kept as a dead letter", row["payload"]["type"], row["room"],
                    reason)
        bot.storage.mark_failed(row["id"], reason)
        reply = row["payload"].get("reply")
        if reply:
            bot.on_brain_thread(bot.brain.failed, Reply(**reply), reason, room_gone)
