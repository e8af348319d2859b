"""Launch a throw-away Synapse homeserver on loopback (SQLite, relaxed rate limits, offline),
and ``Peer``, a person's test client.

Shared by the end-to-end tests (tests/matrix/conftest.py) and benchmarks/matrix_bench.py.
Failures raise ``SynapseError`` carrying the homeserver's log: a test must fail loudly, never skip.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    LoginResponse,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessageNotice,
    RoomPreset,
    RoomSendResponse,
)

RELAXED = {"per_second": 1000, "burst_count": 1000}
PASSWORD = "test-password-1234"
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class SynapseError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name: str) -> str:
    """A console script installed next to the running interpreter (the venv's bin folder)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SynapseError(f"{name} not found next to {sys.executable}: is matrix-synapse installed?")
    return str(path)


@dataclass
class Synapse:
    workdir: Path
    server_name: str = "localhost"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    shared_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    db_dir: Path | None = None  # where the SQLite database lives (default: workdir/data)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        return self.workdir / "synapse.log"

    def mxid(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no log)"

    # -- config ---------------------------------------------------------------------------------
    def write_config(self) -> None:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        if not self.config_path.exists():
            gen = subprocess.run(
                [sys.executable, "-m", "synapse.app.homeserver", "--server-name", self.server_name,
                 "--config-path", str(self.config_path), "--generate-config", "--report-stats=no",
                 "--data-directory", str(data)],
                cwd=self.workdir, capture_output=True, text=True, timeout=120,
            )
            if gen.returncode != 0:
                raise SynapseError(f"synapse --generate-config failed:\n{gen.stdout}\n{gen.stderr}")
        cfg = yaml.safe_load(self.config_path.read_text())
        cfg.update({
            "listeners": [{"port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                           "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
            "database": {"name": "sqlite3", "args": {"database": str((self.db_dir or data) / "homeserver.db")}},
            "registration_shared_secret": self.shared_secret,
            "enable_registration": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "report_stats": False,
            "rc_message": RELAXED,
            "rc_registration": RELAXED,
            "rc_login": {"address": RELAXED, "account": RELAXED, "failed_attempts": RELAXED},
            "rc_joins": {"local": RELAXED, "remote": RELAXED},
            "rc_joins_per_room": RELAXED,
            "rc_invites": {"per_room": RELAXED, "per_user": RELAXED, "per_issuer": RELAXED},
            "rc_room_creation": RELAXED,
            "rc_admin_redaction": RELAXED,
            "rc_3pid_validation": RELAXED,
            "rc_presence": {"per_user": RELAXED},
            "rc_delayed_event_mgmt": RELAXED,
            "rc_reports": RELAXED,
            "rc_user_directory": RELAXED,
            "rc_profile": RELAXED,
            "rc_media_create": RELAXED,
        })
        # one log file, WARNING and above from synapse, so a failed start shows why
        log_config = self.workdir / "log.yaml"
        log_config.write_text(yaml.safe_dump({
            "version": 1,
            "formatters": {"precise": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
            "handlers": {"file": {"class": "logging.FileHandler", "formatter": "precise",
                                  "filename": str(self.log_path)}},
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }))
        cfg["log_config"] = str(log_config)
        self.config_path.write_text(yaml.safe_dump(cfg))

    # -- process --------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> "Synapse":
        self.write_config()
        out = open(self.workdir / "synapse.stdout", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "--config-path", str(self.config_path)],
            cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "SYNAPSE_NO_TLS": "1"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SynapseError(self._failure(f"synapse exited with code {self.process.returncode}"))
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise SynapseError(self._failure(f"synapse did not answer within {timeout:.0f} s"))

    def _failure(self, what: str) -> str:
        stdout = (self.workdir / "synapse.stdout")
        text = stdout.read_text(errors="replace")[-4000:] if stdout.exists() else ""
        return f"{what}\n--- synapse.log ---\n{self.log_tail()}\n--- stdout/stderr ---\n{text}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def register(self, localpart: str, password: str) -> str:
        """Create a user through the shared secret (idempotent); returns the user id."""
        proc = subprocess.run(
            [_bin("register_new_matrix_user"), "-u", localpart, "-p", password, "--no-admin",
             "-c", str(self.config_path), "--exists-ok", self.url],
            capture_output=True, text=True, timeout=60,
        )
        if proc.returncode != 0:
            raise SynapseError(f"registering {localpart} failed:\n{proc.stdout}\n{proc.stderr}\n"
                               f"--- synapse.log ---\n{self.log_tail()}")
        return self.mxid(localpart)

    def __enter__(self) -> "Synapse":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


async def stop_syncing(task: asyncio.Task | None, client) -> None:
    """Cancel a client's sync task, wait for it, and close the client."""
    if task:
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
    await client.close()


class Peer:
    """A person's client: syncs in the background and keeps every room event it sees."""

    def __init__(self, server: Synapse, localpart: str, store: Path | None = None):
        cfg = AsyncClientConfig(max_limit_exceeded=0, max_timeouts=2, encryption_enabled=store is not None,
                                store_sync_tokens=store is not None)
        self.client = AsyncClient(server.url, server.mxid(localpart), store_path=str(store) if store else "",
                                  config=cfg)
        self.user_id = server.mxid(localpart)
        self.events: list[tuple[str, Event]] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> "Peer":
        resp = await self.client.login(PASSWORD, device_name="test")
        assert isinstance(resp, LoginResponse), resp
        self.client.add_event_callback(self._on_event, Event)
        self._task = asyncio.create_task(self.client.sync_forever(timeout=2000, full_state=True))
        return self

    async def close(self) -> None:
        await stop_syncing(self._task, self.client)

    async def _on_event(self, room, event) -> None:
        self.events.append((room.room_id, event))
        self._changed.set()

    async def wait_for(self, predicate, timeout: float = 15.0, what: str = "event"):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for room_id, event in self.events:
                if predicate(room_id, event):
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{self.user_id}: timed out waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_joined(self, room_id: str, user_id: str, timeout: float = 15.0):
        await self.wait_for(lambda r, e: r == room_id and isinstance(e, RoomMemberEvent)
                            and e.state_key == user_id and e.membership == "join", timeout, f"{user_id} to join")
        for _ in range(100):  # the room object is updated right after the callback
            if room_id in self.client.rooms:
                return
            await asyncio.sleep(0.05)

    async def create_room(self, invite: list[str], direct: bool = True, encrypted: bool = False) -> str:
        resp = await self.client.room_create(
            is_direct=direct, invite=invite,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=[ENCRYPTION] if encrypted else [],
        )
        assert isinstance(resp, RoomCreateResponse), resp
        return resp.room_id

    async def send(self, room_id: str, body: str, event_type: str = "m.room.message", content: dict | None = None,
                   **extra) -> str:
        content = content if content is not None else {"msgtype": "m.text", "body": body, **extra}
        resp = await self.client.room_send(room_id, event_type, content, ignore_unverified_devices=True)
        assert isinstance(resp, RoomSendResponse), resp
        return resp.event_id

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        return await self.send(room_id, "", "m.reaction",
                               {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}})

    def replies_to(self, bot_id: str, event_id: str) -> list[Event]:
        return [e for _, e in self.events if is_reply(e, bot_id, event_id)]

    async def reply_to(self, bot_id: str, event_id: str, timeout: float = 15.0) -> Event:
        return await self.wait_for(lambda r, e: is_reply(e, bot_id, event_id), timeout, f"a reply to {event_id}")

    async def barrier(self, bot_id: str, room_id: str, text: str = "!pix aide", timeout: float = 15.0) -> Event:
        """Send a message to the bot in ``room_id`` and wait for its reply. The bot sends a
        room's messages in order, so anything it had queued for that room before (a late
        duplicate included) is already here: the settle window before counting copies."""
        return await self.reply_to(bot_id, await self.send(room_id, text), timeout)


def content(event: Event) -> dict:
    return event.source.get("content") or {}


def in_thread(root: str) -> dict:
    """The relation of a message posted in the thread of ``root`` (as clients send it)."""
    return {"m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                             "m.in_reply_to": {"event_id": root}}}


def from_bot(bot_id: str, room: str, predicate=lambda e: True):
    """A ``wait_for`` predicate: a notice of the bot in ``room`` that satisfies ``predicate``."""
    return lambda r, e: (r == room and e.sender == bot_id and isinstance(e, RoomMessageNotice) and predicate(e))


def relation(event: Event) -> dict:
    return (event.source.get("content") or {}).get("m.relates_to") or {}


def is_reply(event: Event, bot_id: str, event_id: str) -> bool:
    if event.sender != bot_id or not isinstance(event, RoomMessageNotice):
        return False
    rel = relation(event)
    return (rel.get("m.in_reply_to") or {}).get("event_id") == event_id or (
        rel.get("rel_type") == "m.thread" and rel.get("event_id") == event_id and "m.in_reply_to" not in rel)
