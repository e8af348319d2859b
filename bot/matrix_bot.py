"""The Matrix adapter: matrix-nio events in, ``Incoming`` to the brain, ``Reply`` objects back out.

What it guarantees:
- one login per bot lifetime: the access token, device id and user id live in the storage kv and
  the crypto store under ``data_dir/matrix-store``; later starts restore them (checked with whoami)
  and only log in again when the homeserver says the token is gone (``M_UNKNOWN_TOKEN``), or when
  the crypto store is gone (its keys with it): that device is then logged out and a new one made;
- the sync loop never waits for the brain: each event goes to its room's lane (rooms in parallel,
  one room's events in order) and the next sync starts at once; the brain runs on its own thread;
- a sync token is persisted once every event of that sync (and of the syncs before it) has been
  handled: the very first start skips history, later starts answer what arrived while the bot was
  down, or was being handled at a stop, once (the brain claims event ids);
- every reply goes through the storage outbox with a transaction id that is reused on resend;
  every outgoing call (messages, reactions, joins, leaves, key requests) goes through its room's
  sending lane (in order within a room, rooms in parallel), under one global pace that honours
  ``M_LIMIT_EXCEEDED`` retry-after; in a room, messages go before reactions, so the 👍/👎 on an
  answer never hold up the next answer;
- a message the bot cannot decrypt gets an answer saying so (never silence);
- a homeserver outage is logged in one line per attempt and retried with capped backoff.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import html
import json
import logging
import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    LocalProtocolError,
    LoginResponse,
    LogoutResponse,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RoomCreateEvent,
    RoomMemberEvent,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
    UnknownEvent,
    WhoamiResponse,
)

from . import render, strings
from .brain import MAX_REPLY_BYTES, Brain, Incoming, Reply, clip_text, wire_size
from .config import Config, ConfigError
from .storage import Storage

log = logging.getLogger(__name__)

KV_USER = "matrix.user_id"
KV_DEVICE = "matrix.device_id"
KV_TOKEN = "matrix.access_token"  # where versions before 2026-12 kept the token (moved to TOKEN_FILE)
TOKEN_FILE = "matrix-access-token"
KV_SYNC = "matrix.sync_token"
KV_DIRECT = "matrix.direct_rooms"

ROOM_WAIT_STEPS = 400  # x 50 ms
SYNC_FILTER = {"room": {"timeline": {"limit": 100}}}
BACKOFF_MIN, BACKOFF_MAX = 1.0, 60.0
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


def without_thread(content: dict) -> dict:
    """The same message as a plain reply to its target (or no relation at all): the fallback
    when the homeserver refuses the thread (« Cannot start threads from an event with a
    relation »: an m.reference, an edit...)."""
    rel = content.get("m.relates_to") or {}
    target = (rel.get("m.in_reply_to") or {}).get("event_id")
    plain = {k: v for k, v in content.items() if k != "m.relates_to"}
    if target:  # a reply (m.in_reply_to) is allowed where a thread is not
        plain["m.relates_to"] = {"m.in_reply_to": {"event_id": target}}
    return plain


# -- pure helpers (unit-tested without a homeserver) ----------------------------------------------
def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1] if ":" in user_id else ""


def invite_allowed(inviter: str, own_user_id: str, allowed_servers: list[str], allowed_users: list[str]) -> bool:
    """Join when the inviter is listed, or their server is; with both lists empty, only our own server."""
    if inviter in allowed_users or server_of(inviter) in allowed_servers:
        return True
    if not allowed_servers and not allowed_users:
        return server_of(inviter) == server_of(own_user_id)
    return False


# what the Matrix spec allows in formatted_body (client-server API, "m.room.message msgtypes");
# img is left out: the bot never shows pictures in text, and one would be a tracking pixel
HTML_TAGS = {"font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol", "sup",
             "sub", "li", "b", "i", "u", "strong", "em", "s", "code", "hr", "br", "div", "table", "thead",
             "tbody", "tr", "th", "td", "caption", "pre", "span", "details", "summary"}
HTML_ATTRIBUTES = {"font": {"data-mx-bg-color", "data-mx-color", "color"},
                   "span": {"data-mx-bg-color", "data-mx-color", "data-mx-spoiler"},
                   "a": {"href", "target"}, "ol": {"start"}, "code": {"class"}}
# matrix.to links are https
URL_SCHEMES = {"https", "http", "mailto"}


def render_html(text: str) -> str:
    """The reply's Markdown as ``formatted_body``: people's text (marked literal) shown as
    written, the bot's own Markdown rendered, everything sanitised to what Matrix allows."""
    return render.to_html(text, HTML_TAGS, HTML_ATTRIBUTES, URL_SCHEMES)


def formatted_body(text: str) -> str:
    """``render_html`` cut like the plain body (``MAX_REPLY_BYTES``): when markup and escaping
    make the HTML too long, it is the HTML of a shorter beginning of the text, ending with an
    ellipsis (never cut inside a tag)."""
    budget = wire_size(text)
    size = wire_size(html.escape(text, quote=False))  # the HTML is no shorter: skip rendering too much
    while True:
        if size > MAX_REPLY_BYTES:
            budget = int(budget * MAX_REPLY_BYTES / size * 0.9)
        rendered = render_html(clip_text(text, budget))
        size = wire_size(rendered)
        if size <= MAX_REPLY_BYTES:
            return rendered


def strip_reply_fallback(body: str) -> str:
    """Drop the ``> <@user> quoted`` lines clients put at the top of a reply's body."""
    lines = body.split("\n")
    if lines and lines[0].startswith("> "):
        while lines and lines[0].startswith(">"):
            lines.pop(0)
        while lines and not lines[0].strip():
            lines.pop(0)
    return "\n".join(lines)


def find_mention(body: str, names: list[str]) -> tuple[bool, str]:
    """(mentioned, text without the mention). ``names``: user id, display names, localpart."""
    text, found = body, False
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w@])@?" + re.escape(name) + r"(?![\w-])\s*[:,]?", re.IGNORECASE)
        text, count = pattern.subn(" ", text)
        found = found or count > 0
    return found, re.sub(r"[ \t]+", " ", text).strip()


def is_moderator(room: MatrixRoom, user_id: str, creators: set[str]) -> bool:
    """Power level >= 50; from room version 12 the room's creators are above every power level and
    are not listed in m.room.power_levels (MSC4289)."""
    if room.power_levels.get_user_level(user_id) >= 50:
        return True
    version = str(room.room_version or "1")
    return user_id in creators and version.isdigit() and int(version) >= 12


def thread_root(content: dict) -> str | None:
    rel = content.get("m.relates_to") or {}
    return rel.get("event_id") if rel.get("rel_type") == "m.thread" else None


def reply_content(reply: Reply, threads: bool, mention: bool = False) -> dict:
    text = clip_text(reply.text)  # replies handed to brain.outlet directly (tickets) are not clipped yet
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": render.plain(text),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted_body(text),
    }
    target = reply.reply_to or reply.thread
    if threads and reply.thread:
        content["m.relates_to"] = {"rel_type": "m.thread", "event_id": reply.thread, "is_falling_back": True,
                                   "m.in_reply_to": {"event_id": target}}
    elif target:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": target}}
    mentions = (reply.payload or {}).get("mentions")
    if mentions:  # e.g. a ticket announcement mentions the correspondents
        content["m.mentions"] = {"user_ids": sorted(set(mentions))}
    elif mention and reply.asker:
        content["m.mentions"] = {"user_ids": [reply.asker]}
    return content


def _short(resp: Any) -> str:
    """One line describing an error response or exception (never a token)."""
    if isinstance(resp, ErrorResponse):
        return f"{resp.status_code or ''} {resp.message or ''}".strip()
    if isinstance(resp, BaseException):
        return f"{type(resp).__name__}: {resp}".strip()[:200]
    return type(resp).__name__


# -- incoming batches and outgoing lanes ----------------------------------------------------------
@dataclasses.dataclass
class _Call:
    name: str
    factory: Callable[[], Awaitable[Any]]
    future: asyncio.Future
    room: str = ""


@dataclasses.dataclass
class _Batch:
    """One sync response: its token may be persisted once all its events were handled."""

    token: str
    pending: int = 0
    sealed: bool = False  # every event of the sync has been dispatched


@dataclasses.dataclass
class _OutLane:
    """One room's outgoing jobs: messages and calls first (in order), then reactions (in order)."""

    high: collections.deque = dataclasses.field(default_factory=collections.deque)
    low: collections.deque = dataclasses.field(default_factory=collections.deque)


class MatrixBot:
    """The adapter, startable and stoppable in-process (tests run several in one event loop)."""

    logins = 0  # password logins performed by this process (tests count them)
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
        self._password = password if password is not None else os.environ.get(mc.password_env)
        self._env_token = access_token if access_token is not None else os.environ.get(mc.access_token_env)
        self.sync_timeout_ms = sync_timeout_ms
        self.backoff_min, self.backoff_max = BACKOFF_MIN, BACKOFF_MAX
        self.store_path = Path(config.data_dir) / "matrix-store"
        self.client: AsyncClient | None = None
        self.interval = 1.0 / mc.messages_per_second if mc.messages_per_second and mc.messages_per_second > 0 else 0.0
        self._last_call = 0.0  # start of the last paced call (reserved slot, may be in the future)
        self._hold_until = 0.0  # a rate limit answer holds every lane until then
        self._tasks: list[asyncio.Task] = []
        self._batches: collections.deque[_Batch] = collections.deque()
        self._in_lanes: dict[str, collections.deque] = {}  # room -> (job, batch) waiting for the brain
        self._out_lanes: dict[str, _OutLane] = {}  # room ("" for calls without one) -> jobs to send
        self._lane_tasks: dict[tuple[str, str], asyncio.Task] = {}  # ("in"|"out", room) -> its worker
        self._brain_pool: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self._pending_invites: set[str] = set()
        self._leaving: set[str] = set()
        self._direct: set[str] = set(json.loads(storage.get(KV_DIRECT, "[]")))
        self._names: list[str] = []
        self._creators: dict[str, set[str]] = {}  # room -> creators (seen in its m.room.create)
        self._left: set[str] = set()  # rooms the bot left or was removed from (sends fail at once)
        self.synced = asyncio.Event()  # set after the first sync was processed
        self.brain.rooms_count = lambda: len(self.client.rooms) if self.client else 0

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
        await self._login()
        try:
            name = await self.client.get_displayname()
            display = getattr(name, "displayname", None)
        except Exception:  # offline at start: the localpart and user id still work
            display = None
        localpart = self.user_id.split(":", 1)[0].lstrip("@")
        self._names = [self.user_id, display or "", localpart]
        loop = self._loop = asyncio.get_running_loop()
        self._brain_pool = ThreadPoolExecutor(self.brain_threads, thread_name_prefix="pixbot-brain")
        self._push_rows(self.storage.pending_outbox())  # replies a crash left unsent

        def outlet(replies: list[Reply]) -> None:  # replies the brain emits on its own (any thread)
            rows = [self._outbox_row(r.room, "m.room.message", reply_content(r, self.mc.threads, False),
                                     dataclasses.asdict(r)) for r in replies]
            # queued for sending once the caller's transaction commits (never if it rolls back)
            self.storage.after_commit(lambda: loop.call_soon_threadsafe(self._push_rows, rows))

        self.brain.outlet = outlet
        self.brain.redactor = self.redact
        self._tasks = [asyncio.create_task(self._sync_loop(), name="matrix-sync")]

    async def stop(self) -> None:
        self._stopping.set()
        self.brain.outlet = None
        self.brain.redactor = None
        tasks = [*self._tasks, *self._lane_tasks.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task  # a lane stopped while the brain works waits for its commit
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks = []
        self._lane_tasks.clear()
        self._in_lanes.clear()
        self._out_lanes.clear()
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
                    log.error("Matrix loop stopped: %s", _short(task.exception()))
        finally:
            await self.stop()

    # -- session --------------------------------------------------------------------------------
    async def _login(self) -> None:
        c = self.client
        token, device, user = (self._read_token(), self.storage.get(KV_DEVICE), self.storage.get(KV_USER))
        stored = bool(token and device and user == self.mc.user_id)
        if stored and self._keys_lost(user, device):
            # the device's keys went with the store: it can no longer read encrypted rooms and
            # cannot publish new keys, so retire it and log in as a new device (needs the password)
            if self._password:
                log.warning("encryption store of device %s missing from %s; logging in as a new device",
                            device, self.store_path)
                await self._retire_device(device, token)
                stored = False
            else:
                log.warning("encryption store of device %s missing from %s: encrypted rooms will fail; "
                            "set $%s to log in as a new device", device, self.store_path, self.mc.password_env)
        if stored:
            c.restore_login(user, device, token)
            try:
                who = await c.whoami()
            except Exception as exc:  # homeserver down: keep the session, the sync loop will retry
                log.warning("whoami failed (%s); keeping the stored session", _short(exc))
                return
            if isinstance(who, WhoamiResponse) or getattr(who, "status_code", None) != "M_UNKNOWN_TOKEN":
                log.info("session restored for %s (device %s)", user, device)
                return
            log.warning("stored access token refused by the homeserver; logging in again")
        if self._env_token and not self._password:
            c.access_token = self._env_token
            who = await c.whoami()
            if not isinstance(who, WhoamiResponse) or not who.device_id:
                raise ConfigError(f"the access token in ${self.mc.access_token_env} was refused ({_short(who)})")
            c.restore_login(who.user_id, who.device_id, self._env_token)
            self._save_session(who.user_id, who.device_id, self._env_token)
            return
        if not self._password:
            raise ConfigError(f"no Matrix password: set ${self.mc.password_env} (or ${self.mc.access_token_env})")
        backoff = self.backoff_min
        while True:  # homeserver unreachable at first start: wait for it, do not crash
            try:
                resp = await c.login(self._password, device_name=self.mc.device_name)
                break
            except (OSError, asyncio.TimeoutError, ClientError) as exc:
                log.warning("login failed (%s); retrying in %.0f s", _short(exc), backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_max)
        if not isinstance(resp, LoginResponse):
            raise ConfigError(f"Matrix login failed for {self.mc.user_id}: {_short(resp)}")
        MatrixBot.logins += 1
        log.info("logged in as %s (new device %s)", resp.user_id, resp.device_id)
        self._save_session(resp.user_id, resp.device_id, resp.access_token)

    def _keys_lost(self, user: str, device: str) -> bool:
        """True when encryption is on and nio's store for this device (its keys) is gone."""
        return self.mc.encryption and not (self.store_path / f"{user}_{device}.db").exists()

    async def _retire_device(self, device: str, token: str) -> None:
        """Log the stored device out (best effort: the homeserver may be down or the token dead)."""
        c = self.client
        c.access_token = token  # not restore_login: it would open a new, empty store for the device
        try:
            resp = await c.logout()
            if not isinstance(resp, LogoutResponse):
                log.warning("could not log out device %s (%s)", device, _short(resp))
        except Exception as exc:
            log.warning("could not log out device %s (%s)", device, _short(exc))
        c.access_token = ""

    def _save_session(self, user: str, device: str, token: str) -> None:
        self.storage.set(KV_USER, user)
        self.storage.set(KV_DEVICE, device)
        self._write_token(token)

    # The access token is a secret: it lives in its own private file in the data folder (outside
    # nio's key store, which may be deleted on its own), not in the database with people's data (a copy of the database for a report, a support request
    # or a GDPR export then never carries it). Older versions kept it in the database: moved here.
    @property
    def token_path(self) -> Path:
        return self.store_path.parent / TOKEN_FILE

    def _read_token(self) -> str | None:
        legacy = self.storage.get(KV_TOKEN)
        if legacy is not None:
            if legacy:
                self._write_token(legacy)
            with self.storage.lock:
                self.storage.db.execute("DELETE FROM kv WHERE key = ?", (KV_TOKEN,))
        try:
            return self.token_path.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def _write_token(self, token: str) -> None:
        self.token_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.token_path.with_name(TOKEN_FILE + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.token_path)

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
                await self._crypto_upkeep()
                continue
            if getattr(resp, "status_code", None) == "M_UNKNOWN_TOKEN":
                log.warning("access token revoked; logging in again")
                try:
                    self._write_token("")
                    await self._login()
                    continue
                except Exception as exc:
                    resp = exc
            retry = getattr(resp, "retry_after_ms", None)
            delay = max(backoff, retry / 1000) if retry else backoff
            log.warning("sync failed (%s); retrying in %.1f s", _short(resp), delay)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            except asyncio.TimeoutError:
                pass
            backoff = min(backoff * 2, self.backoff_max)

    async def _crypto_upkeep(self) -> None:
        c = self.client
        if not c.olm:
            return
        try:
            if c.should_upload_keys:
                await c.keys_upload()
            if c.should_query_keys:
                await c.keys_query()
            if c.should_claim_keys:
                await c.keys_claim(c.get_users_for_key_claiming())
            await c.send_to_device_messages()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("key maintenance failed (%s)", _short(exc))

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
            self._left.discard(room_id)
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
            if (someone_left or not history) and room.joined_count <= 1 and room_id not in self._leaving:
                log.info("alone in %s; leaving", room_id)
                self._leaving.add(room_id)
                self.call("leave", lambda r=room_id: self.client.room_leave(r), room=room_id)
        for room_id in resp.rooms.leave:  # left, kicked or refused: forget it (rooms_count stays true)
            self._leaving.discard(room_id)
            self._pending_invites.discard(room_id)
            joined = self.client.rooms.pop(room_id, None) is not None
            self.client.invited_rooms.pop(room_id, None)
            self._left.add(room_id)
            if joined:  # features forget the room (e.g. its news subscriptions), on the brain's thread
                self._loop.run_in_executor(self._brain_pool, self.brain.left, room_id)

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
            self.call("join", lambda: self.client.join(room_id), room=room_id)
        else:
            log.info("refusing the invitation to %s from %s", room_id, inviter)
            self.call("reject", lambda: self.client.room_leave(room_id), room=room_id)

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
        if isinstance(event, ReactionEvent) or (isinstance(event, UnknownEvent) and event.type == "m.reaction"):
            rel = content.get("m.relates_to") or {}
            target = getattr(event, "reacts_to", None) or rel.get("event_id")
            key = getattr(event, "key", None) or rel.get("key")
            if target and key:
                msg = Incoming(sender=event.sender, room=room.room_id, text=key, event_id=event.event_id,
                               is_direct=direct, reaction_to=target, sender_name=room.user_name(event.sender))
                return functools.partial(self._handle, msg)
            return None
        if not isinstance(event, RoomMessageText):
            return None  # notices (other bots), emotes, media, state: not questions
        rel = content.get("m.relates_to") or {}
        if rel.get("rel_type") == "m.replace":
            return None  # edits: the original was already handled
        body = strip_reply_fallback(event.body or "")
        addressed = False
        if not direct:
            mentioned_ids = (content.get("m.mentions") or {}).get("user_ids") or []
            names = [*self._names, room.user_name(self.user_id) or ""]
            addressed, body = find_mention(body, names)
            addressed = addressed or self.user_id in mentioned_ids
        msg = Incoming(sender=event.sender, room=room.room_id, text=body, event_id=event.event_id,
                       thread=thread_root(content), is_direct=direct, addressed=addressed,
                       sender_name=room.user_name(event.sender),
                       sender_is_moderator=is_moderator(room, event.sender, self._creators.get(room.room_id, set())))
        return functools.partial(self._handle, msg)

    def _dispatch(self, room_id: str, job: Callable[[], Awaitable[None]], batch: _Batch) -> None:
        """Queue an event's handling in its room's lane; the lane's worker starts if idle."""
        batch.pending += 1
        self._in_lanes.setdefault(room_id, collections.deque()).append((job, batch))
        if ("in", room_id) not in self._lane_tasks:
            self._lane_tasks[("in", room_id)] = asyncio.create_task(self._in_lane(room_id), name=f"matrix-in {room_id}")

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
            if self._lane_tasks.get(("in", room_id)) is asyncio.current_task():
                del self._lane_tasks[("in", room_id)]
                if not lane:
                    self._in_lanes.pop(room_id, None)

    async def _handle(self, msg: Incoming) -> None:
        rows: list[dict] = []

        def persist(replies: list[Reply]) -> None:  # runs inside the brain's claim transaction
            rows.extend(self._outbox_row(r.room, "m.room.message", reply_content(r, self.mc.threads, not msg.is_direct),
                                         dataclasses.asdict(r)) for r in replies)

        work = self._loop.run_in_executor(self._brain_pool, self.brain.handle, msg, persist)
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            # stopping while the brain works: once it commits, the replies are in the outbox
            # and go out at the next start
            await work
            raise
        self._push_rows(rows)

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
            self.call("request_room_key", request, room=room_id)
        root = thread_root(content)
        reply = Reply(room=room_id, text=strings.MATRIX_CANNOT_DECRYPT, thread=root or event.event_id,
                      reply_to=event.event_id, kind="error", asker=event.sender)
        self.send_reply(reply, mention=not direct)

    # -- outgoing -------------------------------------------------------------------------------
    def send_reply(self, reply: Reply, mention: bool = False) -> None:
        """Record the reply in the outbox (with its transaction id), then queue it."""
        content = reply_content(reply, self.mc.threads, mention)
        self._enqueue(reply.room, "m.room.message", content, dataclasses.asdict(reply))

    def redact(self, room: str, event_id: str, reason: str | None = None) -> None:
        """Take back a message the bot sent (brain.redactor); callable from any thread: the
        redaction is queued behind the same pacing as messages."""
        self._loop.call_soon_threadsafe(
            lambda: self.call("redact", lambda: self.client.room_redact(room, event_id, reason), room=room))

    def _outbox_row(self, room: str, event_type: str, content: dict, reply: dict | None) -> dict:
        """Write one outgoing event to the outbox with its transaction id; return the row."""
        txn = uuid.uuid4().hex
        payload = {"type": event_type, "content": content, "reply": reply}
        row_id = self.storage.enqueue(room, payload, txn)
        return {"id": row_id, "txn_id": txn, "room": room, "payload": payload}

    def _enqueue(self, room: str, event_type: str, content: dict, reply: dict | None) -> None:
        self._submit(self._outbox_row(room, event_type, content, reply))

    def _push_rows(self, rows: list[dict]) -> None:
        for row in rows:
            self._submit(row)

    def call(self, name: str, factory: Callable[[], Awaitable[Any]], room: str = "") -> asyncio.Future:
        """Queue any other outgoing API call in its room's lane, behind the same pacing."""
        fut = asyncio.get_running_loop().create_future()
        self._submit(_Call(name, factory, fut, room))
        return fut

    def _submit(self, job: _Call | dict) -> None:
        """Queue an outgoing job in its room's lane (messages and calls before reactions)."""
        room = job.room if isinstance(job, _Call) else job["room"]
        lane = self._out_lanes.setdefault(room, _OutLane())
        reaction = isinstance(job, dict) and job["payload"].get("type") == "m.reaction"
        (lane.low if reaction else lane.high).append(job)
        if ("out", room) not in self._lane_tasks:
            self._lane_tasks[("out", room)] = asyncio.create_task(self._out_lane(room), name=f"matrix-out {room}")

    async def _pace(self) -> None:
        """Wait for this call's turn: calls start at most ``messages_per_second`` apart, across
        all lanes, and none before a rate limit's retry-after has passed."""
        now = time.monotonic()
        slot = max(now, self._last_call + self.interval, self._hold_until)
        self._last_call = slot  # reserved before sleeping: lanes get successive slots
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _out_lane(self, room: str) -> None:
        lane = self._out_lanes[room]
        try:
            await self.synced.wait()  # rooms (and their encryption state) are known after the first sync
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
                    result = await self._attempt(job.name, job.factory)
                    if not job.future.done():
                        job.future.set_result(result)
                else:
                    await self._send_row(job)
        finally:
            if self._lane_tasks.get(("out", room)) is asyncio.current_task():
                del self._lane_tasks[("out", room)]
                if not lane.high and not lane.low:
                    self._out_lanes.pop(room, None)

    async def _attempt(self, name: str, factory: Callable[[], Awaitable[Any]], forever: bool = False):
        """Run one paced call; retry on rate limits (after the server's delay) and transport
        errors (backoff). Returns the response, or None after a permanent failure."""
        backoff = self.backoff_min
        tries = 0
        while True:
            await self._pace()
            try:
                resp = await factory()
            except asyncio.CancelledError:
                raise
            except LocalProtocolError as exc:  # e.g. a room we are no longer in
                log.warning("%s failed (%s); dropped", name, _short(exc))
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
                log.warning("%s failed (%s); dropped", name, _short(resp))
                return resp if isinstance(resp, ErrorResponse) else None
            log.warning("%s failed (%s); retrying in %.1f s", name, _short(resp), backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.backoff_max)

    async def _send_row(self, row: dict, delay: float = 0.0) -> None:
        """Send one outbox row. Transient failures are retried (forever: an outage must not lose
        a reply); a refusal for good makes it a dead letter, so the room's next replies go on."""
        payload = row["payload"]
        if delay:
            await asyncio.sleep(delay)
        room = row["room"]
        # a room joined a moment ago may not be in our sync yet (nio needs it to know whether to
        # encrypt): give the sync loop a little time before sending; a room we left gets none
        for _ in range(ROOM_WAIT_STEPS):
            if room in self.client.rooms or room in self._left:
                break
            await asyncio.sleep(0.05)
        if room in self._left and room not in self.client.rooms:
            self._dead_letter(row, NOT_IN_ROOM, room_gone=True)
            return
        content = payload["content"]
        resp = await self._room_send(row, content, row["txn_id"])
        if is_permanent(resp) and (content.get("m.relates_to") or {}).get("rel_type") == "m.thread":
            log.warning("threaded reply in %s refused (%s); sending it as a plain reply", room, _short(resp))
            resp = await self._room_send(row, without_thread(content), row["txn_id"] + "-plain")
        if not isinstance(resp, RoomSendResponse):
            forbidden = isinstance(resp, ErrorResponse) and resp.status_code == "M_FORBIDDEN"
            self._dead_letter(row, _short(resp) if resp is not None else NOT_IN_ROOM, room_gone=forbidden)
            return
        event_id = resp.event_id
        self.storage.mark_sent(row["id"], event_id)
        if not payload.get("reply"):
            return
        reply = Reply(**payload["reply"])
        try:
            self.brain.sent(reply, event_id)
        except Exception:
            log.exception("brain.sent failed for %s", event_id)
        for key in reply.reactions:  # after any message already waiting in this room
            content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
            self._enqueue(room, "m.reaction", content, None)

    async def _room_send(self, row: dict, content: dict, txn_id: str):
        payload = row["payload"]
        return await self._attempt(
            payload["type"],
            lambda: self.client.room_send(row["room"], payload["type"], content, tx_id=txn_id,
                                          ignore_unverified_devices=True),
            forever=True,
        )

    def _dead_letter(self, row: dict, reason: str, room_gone: bool = False) -> None:
        """Keep a reply refused for good aside (``statut`` shows it), never to be sent again."""
        log.warning("%s to %s refused for good (%s): kept as a dead letter", row["payload"]["type"], row["room"],
                    reason)
        self.storage.mark_failed(row["id"], reason)
        reply = row["payload"].get("reply")
        if reply:
            self._loop.run_in_executor(self._brain_pool, self.brain.failed, Reply(**reply), reason, room_gone)


async def run_matrix(config: Config, brain: Brain, storage: Storage, stop: asyncio.Event | None = None) -> None:
    """The bot's main loop on Matrix: runs until ``stop`` is set (or forever)."""
    bot = MatrixBot(config, brain, storage)
    await bot.run(stop)
