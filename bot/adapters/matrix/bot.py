"""The Matrix adapter: matrix-nio events in, ``Incoming`` to the brain, ``Reply`` objects back out.

Its parts: the session (``session.py``: login, token, device), the sender (``sender.py``: the
outbox, one lane per room, pacing, retries and dead letters), what a reply looks like in an
event (``formatting.py``) and how events are read (``events.py``). This module is the loop:

- the sync loop never waits for the brain: each event goes to its room's lane (rooms in parallel,
  one room's events in order) and the next sync starts at once; the brain runs on its own thread;
- a sync token is persisted once every event of that sync (and of the syncs before it) has been
  handled: the very first start skips history, later starts answer what arrived while the bot was
  down, or was being handled at a stop, once (the brain claims event ids);
- rooms: invitations are accepted from allowed users and servers only, a room where the bot is
  alone is left, a room it left is told to the features (``brain.left``);
- a message the bot cannot decrypt gets an answer saying so (never silence);
- a homeserver outage is logged in one line per attempt and retried with capped backoff.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Awaitable, Callable

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    RoomCreateEvent,
    RoomMemberEvent,
    SyncResponse,
)

from ...core import strings
from ...core.brain import Brain, Forgetter, Incoming, Reply
from ...core.config import Config, ConfigError
from ...core.storage import Storage
from .events import invite_allowed, thread_root, to_incoming
from .formatting import reply_content
from .platform import MatrixPlatform
from .sender import KV_DIRECT_WITH, Sender, short
from .session import Session

log = logging.getLogger(__name__)

KV_SYNC = "matrix.sync_token"
KV_DIRECT = "matrix.direct_rooms"
SYNC_FILTER = {"room": {"timeline": {"limit": 100}}}
BACKOFF_MIN, BACKOFF_MAX = 1.0, 60.0


@dataclasses.dataclass
class _Batch:
    """One sync response: its token may be persisted once all its events were handled."""

    token: str
    pending: int = 0
    sealed: bool = False  # every event of the sync has been dispatched


class MatrixBot:
    """The adapter, startable and stoppable in-process (tests run several in one event loop)."""

    # Threads running Brain.handle. One: the brain, its storage connection and the embedding model
    # see one message at a time, as they always have; rooms still overlap in everything else
    # (sync, sends, reactions), and the brain is a small part of a round trip.
    brain_threads = 1

    def __init__(self, config: Config, brain: Brain, storage: Storage, *, password: str | None = None,
                 access_token: str | None = None, sync_timeout_ms: int = 30000):
        mc = config.matrix
        if not mc.homeserver or not mc.user_id:
            raise ConfigError("matrix.homeserver and matrix.user_id are required to run on Matrix")
        self.config = config
        self.mc = mc
        self.brain = brain
        self.storage = storage
        self.session = Session(self, password if password is not None else os.environ.get(mc.password_env),
                               access_token if access_token is not None else os.environ.get(mc.access_token_env))
        self.sync_timeout_ms = sync_timeout_ms
        self.backoff_min, self.backoff_max = BACKOFF_MIN, BACKOFF_MAX
        self.store_path = Path(config.data_dir) / "matrix-store"
        self.client: AsyncClient | None = None
        self.sender = Sender(self, mc.messages_per_second)
        self._tasks: list[asyncio.Task] = []
        self._batches: collections.deque[_Batch] = collections.deque()
        self._in_lanes: dict[str, collections.deque] = {}  # room -> (job, batch) waiting for the brain
        self._in_tasks: dict[str, asyncio.Task] = {}  # room -> the worker handling its events
        self._brain_pool: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self._pending_invites: set[str] = set()
        self._leaving: set[str] = set()
        self._direct: set[str] = set(json.loads(storage.get(KV_DIRECT, "[]")))
        self._names: list[str] = []
        self._creators: dict[str, set[str]] = {}  # room -> creators (seen in its m.room.create)
        self.left_rooms: set[str] = set()  # rooms the bot left or was removed from (sends fail at once)
        self.synced = asyncio.Event()  # set after the first sync was processed
        self.brain.platform = MatrixPlatform(lambda: mc.correspondents_room,
                                             lambda: len(self.client.rooms) if self.client else 0)
        # « oublier mes données »: which direct chat the bot opened with the person goes too
        self.brain.forgetters.append(Forgetter(lambda user: [], self._forget_direct_chat))

    @property
    def user_id(self) -> str:
        return self.client.user_id if self.client else self.mc.user_id

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self.store_path.mkdir(parents=True, exist_ok=True)
        # the sync token lives in our storage (written when a sync was handled, not when received);
        # nio's copy would only cost a synchronous write to the crypto store on every sync
        cfg = AsyncClientConfig(encryption_enabled=self.mc.encryption, store_sync_tokens=False,
                                max_limit_exceeded=0, max_timeouts=0, request_timeout=self.sync_timeout_ms / 1000 + 30)
        self.client = AsyncClient(self.mc.homeserver, self.mc.user_id, store_path=str(self.store_path), config=cfg)
        await self.session.login()
        try:
            name = await self.client.get_displayname()
            display = getattr(name, "displayname", None)
        except Exception:  # offline at start: the localpart and user id still work
            display = None
        localpart = self.user_id.split(":", 1)[0].lstrip("@")
        self._names = [self.user_id, display or "", localpart]
        loop = self._loop = asyncio.get_running_loop()
        self._brain_pool = ThreadPoolExecutor(self.brain_threads, thread_name_prefix="pixbot-brain")
        self.sender.push_rows(self.storage.pending_outbox())  # replies a crash left unsent

        def outlet(replies: list[Reply]) -> None:  # replies the brain emits on its own (any thread)
            rows = [self.sender.outbox_row(r.room, "m.room.message", reply_content(r, self.mc.threads, False),
                                           dataclasses.asdict(r)) for r in replies]
            # queued for sending once the caller's transaction commits (never if it rolls back)
            self.storage.after_commit(lambda: loop.call_soon_threadsafe(self.sender.push_rows, rows))

        self.brain.outlet = outlet
        self.brain.redactor = self.redact
        self._tasks = [asyncio.create_task(self._sync_loop(), name="matrix-sync")]

    async def stop(self) -> None:
        self._stopping.set()
        self.brain.outlet = None
        self.brain.redactor = None
        tasks = [*self._tasks, *self._in_tasks.values(), *self.sender.tasks.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task  # a lane stopped while the brain works waits for its commit
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks = []
        self._in_tasks.clear()
        self._in_lanes.clear()
        self.sender.clear()
        self._batches.clear()
        if self._brain_pool is not None:
            self._brain_pool.shutdown(wait=False)
        if self.client is not None:
            await self.client.close()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        await self.start()
        try:
            waiters = [asyncio.ensure_future(t) for t in self._tasks]
            if stop is not None:
                waiters.append(asyncio.ensure_future(stop.wait()))
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("Matrix loop stopped: %s", short(task.exception()))
        finally:
            await self.stop()

    # -- sync -----------------------------------------------------------------------------------
    async def _sync_loop(self) -> None:
        backoff = self.backoff_min
        first = True
        since = self.storage.get(KV_SYNC) or None  # the next sync starts here; storage keeps the last handled one
        while not self._stopping.is_set():
            try:
                resp = await self.client.sync(timeout=0 if first else self.sync_timeout_ms, sync_filter=SYNC_FILTER,
                                              since=since, full_state=True if first else None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                resp = exc
            if isinstance(resp, SyncResponse):
                backoff = self.backoff_min
                batch = _Batch(resp.next_batch)
                self._batches.append(batch)
                try:
                    self._on_sync(resp, history=since is not None, batch=batch)
                except Exception:
                    log.exception("error while processing a sync response")
                batch.sealed = True
                self._commit_batches()
                since = resp.next_batch
                first = False
                self.synced.set()
                await self.session.keep_keys()
                continue
            if getattr(resp, "status_code", None) == "M_UNKNOWN_TOKEN":
                log.warning("access token revoked; logging in again")
                try:
                    self.session.write_token("")
                    await self.session.login()
                    continue
                except Exception as exc:
                    resp = exc
            retry = getattr(resp, "retry_after_ms", None)
            delay = max(backoff, retry / 1000) if retry else backoff
            log.warning("sync failed (%s); retrying in %.1f s", short(resp), delay)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            except asyncio.TimeoutError:
                pass
            backoff = min(backoff * 2, self.backoff_max)

    def _commit_batches(self) -> None:
        """Persist the token of the latest sync whose events (and all earlier ones) were handled."""
        token = None
        while self._batches and self._batches[0].sealed and self._batches[0].pending == 0:
            token = self._batches.popleft().token
        if token is not None:
            self.storage.set(KV_SYNC, token)

    def _on_sync(self, resp: SyncResponse, history: bool, batch: _Batch) -> None:
        """Update rooms and memberships, and hand each new event to its room's lane (not awaited)."""
        for event in resp.account_data_events:
            if getattr(event, "type", None) == "m.direct" or (getattr(event, "source", {}) or {}).get("type") == "m.direct":
                content = (getattr(event, "source", {}) or {}).get("content", {}) or getattr(event, "content", {})
                self._direct |= {room for rooms in content.values() for room in rooms}
                self._save_direct()
        for room_id, info in resp.rooms.invite.items():
            self._on_invite(room_id, info.invite_state)
        for room_id, info in resp.rooms.join.items():
            self._pending_invites.discard(room_id)
            self.left_rooms.discard(room_id)
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            someone_left = False
            events = info.timeline.events
            for event in [*info.state, *events]:  # nio does not keep the creators (room version 12)
                if isinstance(event, RoomCreateEvent):
                    content = (event.source.get("content") or {})
                    self._creators[room_id] = {event.sender, *(content.get("additional_creators") or [])}
            for i, event in enumerate(events):  # newly joined: what came before our join is history
                if (isinstance(event, RoomMemberEvent) and event.state_key == self.user_id
                        and event.membership == "join" and event.prev_membership != "join"):
                    events = events[i + 1:]
                    break
            for event in events:
                if isinstance(event, RoomMemberEvent) and event.membership in ("leave", "ban"):
                    someone_left = True
                if not history:
                    continue  # very first start: the past is not ours to answer
                if getattr(event, "sender", None) == self.user_id:
                    continue
                try:
                    job = self._on_event(room, event)
                except Exception:
                    log.exception("error while handling event %s", getattr(event, "event_id", "?"))
                    continue
                if job is not None:
                    self._dispatch(room_id, job, batch)
            # alone: nobody else joined or invited (a direct chat the bot opened waits for its guest)
            alone = room.joined_count + room.invited_count <= 1
            if (someone_left or not history) and alone and room_id not in self._leaving:
                log.info("alone in %s; leaving", room_id)
                self._leaving.add(room_id)
                self.sender.call("leave", lambda r=room_id: self.client.room_leave(r), room=room_id)
        for room_id in resp.rooms.leave:  # left, kicked or refused: forget it (rooms_count stays true)
            self._leaving.discard(room_id)
            self._pending_invites.discard(room_id)
            joined = self.client.rooms.pop(room_id, None) is not None
            self.client.invited_rooms.pop(room_id, None)
            self.left_rooms.add(room_id)
            if joined:  # features forget the room (e.g. its news subscriptions), on the brain's thread
                self.on_brain_thread(self.brain.left, room_id)

    def _on_invite(self, room_id: str, invite_state: list) -> None:
        if room_id in self._pending_invites:
            return
        inviter, is_direct = None, False
        for ev in invite_state:
            if isinstance(ev, InviteMemberEvent) and ev.state_key == self.user_id and ev.membership == "invite":
                inviter = ev.sender
                is_direct = bool((ev.content or {}).get("is_direct"))
        if inviter is None:
            return
        self._pending_invites.add(room_id)
        if invite_allowed(inviter, self.user_id, self.mc.allowed_servers, self.mc.allowed_users):
            log.info("joining %s (invited by %s)", room_id, inviter)
            if is_direct:
                self._direct.add(room_id)
                self._save_direct()
            self.sender.call("join", lambda: self.client.join(room_id), room=room_id)
        else:
            log.info("refusing the invitation to %s from %s", room_id, inviter)
            self.sender.call("reject", lambda: self.client.room_leave(room_id), room=room_id)

    def mark_direct(self, room_id: str) -> None:
        """Remember ``room_id`` as a direct chat (one the bot opened with a person)."""
        self._direct.add(room_id)
        self._save_direct()

    def _forget_direct_chat(self, user: str) -> list:
        known = json.loads(self.storage.get(KV_DIRECT_WITH, "{}"))
        if known.pop(user, None) is not None:
            self.storage.set(KV_DIRECT_WITH, json.dumps(known))
        return []

    def _save_direct(self) -> None:
        self.storage.set(KV_DIRECT, json.dumps(sorted(self._direct)))

    def is_direct(self, room: MatrixRoom) -> bool:
        return room.member_count <= 2 or room.room_id in self._direct

    def _on_event(self, room: MatrixRoom, event) -> Callable[[], Awaitable[None]] | None:
        """What to do with one event, read now (the room as this sync left it), run in its lane."""
        source = getattr(event, "source", {}) or {}
        content = source.get("content", {}) or {}
        direct = self.is_direct(room)
        if isinstance(event, MegolmEvent):
            return functools.partial(self._undecryptable, room.room_id, direct, event, content)
        names = [*self._names, room.user_name(self.user_id) or ""]
        msg = to_incoming(room, event, direct, self.user_id, names, self._creators.get(room.room_id, set()))
        return functools.partial(self._handle, msg) if msg is not None else None

    def _dispatch(self, room_id: str, job: Callable[[], Awaitable[None]], batch: _Batch) -> None:
        """Queue an event's handling in its room's lane; the lane's worker starts if idle."""
        batch.pending += 1
        self._in_lanes.setdefault(room_id, collections.deque()).append((job, batch))
        if room_id not in self._in_tasks:
            self._in_tasks[room_id] = asyncio.create_task(self._in_lane(room_id), name=f"matrix-in {room_id}")

    async def _in_lane(self, room_id: str) -> None:
        """Handle one room's events one after the other (the next waits for the previous reply to
        be committed to the outbox). A stop leaves the rest unhandled and their sync uncommitted:
        they come again at the next start."""
        lane = self._in_lanes[room_id]
        try:
            while lane:
                job, batch = lane[0]
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("error while handling an event in %s", room_id)
                lane.popleft()
                batch.pending -= 1
                self._commit_batches()
        finally:
            if self._in_tasks.get(room_id) is asyncio.current_task():
                del self._in_tasks[room_id]
                if not lane:
                    self._in_lanes.pop(room_id, None)

    async def _handle(self, msg: Incoming) -> None:
        rows: list[dict] = []

        def persist(replies: list[Reply]) -> None:  # runs inside the brain's claim transaction
            rows.extend(self.sender.outbox_row(r.room, "m.room.message",
                                               reply_content(r, self.mc.threads, not msg.is_direct),
                                               dataclasses.asdict(r)) for r in replies)

        work = self._loop.run_in_executor(self._brain_pool, self.brain.handle, msg, persist)
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            # stopping while the brain works: once it commits, the replies are in the outbox
            # and go out at the next start
            await work
            raise
        self.sender.push_rows(rows)

    async def _undecryptable(self, room_id: str, direct: bool, event: MegolmEvent, content: dict) -> None:
        if not self.storage.claim_event("undecryptable:" + event.event_id):
            return
        log.warning("cannot decrypt %s in %s (session %s)", event.event_id, room_id, event.session_id)
        if self.client.olm:
            async def request():
                try:
                    return await self.client.request_room_key(event)
                except LocalProtocolError:  # already requested for this session
                    return None
            self.sender.call("request_room_key", request, room=room_id)
        root = thread_root(content)
        reply = Reply(room=room_id, text=strings.MATRIX_CANNOT_DECRYPT, thread=root or event.event_id,
                      reply_to=event.event_id, kind="error", asker=event.sender)
        self.sender.send_reply(reply, mention=not direct)

    # -- what the rest of the bot calls -------------------------------------------------------
    @property
    def token_path(self) -> Path:
        return self.session.token_path

    def send_reply(self, reply: Reply, mention: bool = False) -> None:
        self.sender.send_reply(reply, mention)

    def redact(self, room: str, event_id: str, reason: str | None = None) -> None:
        """Take back a message the bot sent (brain.redactor); callable from any thread: the
        redaction is queued behind the same pacing as messages."""
        self._loop.call_soon_threadsafe(
            lambda: self.sender.call("redact", lambda: self.client.room_redact(room, event_id, reason), room=room))

    def on_brain_thread(self, func: Callable, *args) -> asyncio.Future:
        """Run ``func`` where the brain runs (its storage and features are not the event loop's)."""
        return self._loop.run_in_executor(self._brain_pool, func, *args)


async def run_matrix(config: Config, brain: Brain, storage: Storage, stop: asyncio.Event | None = None) -> None:
    """The bot's main loop on Matrix: runs until ``stop`` is set (or forever)."""
    bot = MatrixBot(config, brain, storage)
    await bot.run(stop)
