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
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from nio import ErrorResponse, LocalProtocolError, RoomSendResponse

from ...core.brain import Reply
from .formatting import reply_content, without_thread

if TYPE_CHECKING:
    from .bot import MatrixBot

log = logging.getLogger(__name__)

ROOM_WAIT_STEPS = 400  # x 50 ms
PERMANENT_ERRORS = {"M_FORBIDDEN", "M_NOT_FOUND", "M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE"}
NOT_IN_ROOM = "le bot n'est plus dans ce salon"  # the reason kept with a reply to a room we left


def is_permanent(resp: Any) -> bool:
    """A refusal that will not change if the same request is sent again: the errors above, and
    any 4xx but 401 (the token: the sync loop logs in again) and 429 (a rate limit: wait)."""
    if not isinstance(resp, ErrorResponse):
        return False
    if resp.status_code in PERMANENT_ERRORS:
        return True
    status = getattr(getattr(resp, "transport_response", None), "status", None) or 0
    return 400 <= status < 500 and status not in (401, 429)


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
        # a room joined a moment ago may not be in our sync yet (nio needs it to know whether to
        # encrypt): give the sync loop a little time before sending; a room we left gets none
        for _ in range(ROOM_WAIT_STEPS):
            if room in bot.client.rooms or room in bot.left_rooms:
                break
            await asyncio.sleep(0.05)
        if room in bot.left_rooms and room not in bot.client.rooms:
            self._dead_letter(row, NOT_IN_ROOM, room_gone=True)
            return
        content = payload["content"]
        resp = await self._room_send(row, content, row["txn_id"])
        if is_permanent(resp) and (content.get("m.relates_to") or {}).get("rel_type") == "m.thread":
            log.warning("threaded reply in %s refused (%s); sending it as a plain reply", room, short(resp))
            resp = await self._room_send(row, without_thread(content), row["txn_id"] + "-plain")
        if not isinstance(resp, RoomSendResponse):
            forbidden = isinstance(resp, ErrorResponse) and resp.status_code == "M_FORBIDDEN"
            self._dead_letter(row, short(resp) if resp is not None else NOT_IN_ROOM, room_gone=forbidden)
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

    async def _room_send(self, row: dict, content: dict, txn_id: str):
        payload = row["payload"]
        return await self.attempt(
            payload["type"],
            lambda: self.bot.client.room_send(row["room"], payload["type"], content, tx_id=txn_id,
                                              ignore_unverified_devices=True),
            forever=True,
        )

    def _dead_letter(self, row: dict, reason: str, room_gone: bool = False) -> None:
        """Keep a reply refused for good aside (``statut`` shows it), never to be sent again."""
        bot = self.bot
        log.warning("%s to %s refused for good (%s): kept as a dead letter", row["payload"]["type"], row["room"],
                    reason)
        bot.storage.mark_failed(row["id"], reason)
        reply = row["payload"].get("reply")
        if reply:
            bot.on_brain_thread(bot.brain.failed, Reply(**reply), reason, room_gone)
