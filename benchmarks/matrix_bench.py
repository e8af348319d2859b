"""Matrix round-trip latency: from an asker's send to the bot's reply arriving at the asker.

Starts a throw-away Synapse on loopback (the launcher the end-to-end tests use), runs the bot
in-process over the bundled FAQ and documentation with pacing disabled, then measures
  1. 200 questions from one asker, one at a time;
  2. 20 askers at once (each in their own direct chat), 10 questions each.
Prints median and p95 (milliseconds), client-observed, plus the homeserver-timestamp delta.

``--echo`` replaces the bot by a bare matrix-nio echo bot (same account, same homeserver, same
measurement): it answers every text message at once with a threaded notice, which is the floor
set by Synapse and the sync round trips. ``--no-reactions`` runs the adapter without the
reactions it puts on its answers (not the product's behaviour; it shows their share).
``--tmpfs`` puts the homeserver's SQLite database on /dev/shm (no disk syncs; a setting for a
throw-away loopback server only). ``--pause 1`` lets each asker read for a second before the
next question, as a person would (by default questions go back to back, so each one also waits
behind the previous answer's reactions in Synapse). ``--threads 1`` keeps the query embedding
on one thread (``search.threads``), for a 2-core machine shared with Synapse.

    .venv/bin/python benchmarks/matrix_bench.py [--questions 200] [--askers 20] [--echo] [--tmpfs]
                                                [--no-reactions] [--threads N] [--pause S]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "matrix"))
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from nio import AsyncClient, AsyncClientConfig, InviteMemberEvent, LoginResponse, RoomMessageText  # noqa: E402
from synapse_server import PASSWORD, Peer, Synapse, stop_syncing  # noqa: E402

from bot.answers import models  # noqa: E402
from bot.core.brain import Brain  # noqa: E402
from bot.core.config import load_config  # noqa: E402
from bot.answers.embedding import Embedder  # noqa: E402
from bot.answers.engine import Engine  # noqa: E402
from bot.adapters.matrix import MatrixBot  # noqa: E402
from bot.core.storage import Storage  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def questions_from_faq(engine: Engine) -> list[str]:
    out = [item.title for item in engine.index.items if item.kind == "faq"]
    return out or ["Comment inviter un collègue dans Pix Orga ?"]


async def ask_series(peer: Peer, room: str, bot_id: str, questions: list[str],
                     pause: float = 0.0) -> tuple[list[float], list[float]]:
    client_ms, server_ms = [], []
    for i, q in enumerate(questions):
        if pause and i:
            await asyncio.sleep(pause)  # a person reads the answer before asking again
        t0 = time.perf_counter()
        event_id = await peer.send(room, q)
        reply = await peer.reply_to(bot_id, event_id, timeout=60)
        client_ms.append((time.perf_counter() - t0) * 1000)
        question = next(e for r, e in reversed(peer.events) if getattr(e, "event_id", None) == event_id) \
            if any(getattr(e, "event_id", None) == event_id for _, e in peer.events) else None
        if question is not None:
            server_ms.append(reply.server_timestamp - question.server_timestamp)
    return client_ms, server_ms


class EchoBot:
    """The floor: a bare matrix-nio client that joins when invited and answers each text message
    with a threaded notice at once (one room_send per message, no storage, no brain)."""

    def __init__(self, server: Synapse, localpart: str):
        self.user_id = server.mxid(localpart)
        self.client = AsyncClient(server.url, self.user_id, config=AsyncClientConfig(max_limit_exceeded=0))
        self.synced = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sends: set[asyncio.Task] = set()

    async def start(self) -> "EchoBot":
        resp = await self.client.login(PASSWORD, device_name="echo")
        assert isinstance(resp, LoginResponse), resp
        await self.client.sync(timeout=0, full_state=True)  # skip history
        self.client.add_event_callback(self._on_invite, InviteMemberEvent)
        self.client.add_event_callback(self._on_text, RoomMessageText)
        self._task = asyncio.create_task(self.client.sync_forever(timeout=30000))
        self.synced.set()
        return self

    async def _on_invite(self, room, event) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def _on_text(self, room, event) -> None:
        if event.sender == self.user_id:
            return
        content = {"msgtype": "m.notice", "body": event.body,
                   "m.relates_to": {"rel_type": "m.thread", "event_id": event.event_id, "is_falling_back": True,
                                    "m.in_reply_to": {"event_id": event.event_id}}}
        task = asyncio.create_task(self.client.room_send(room.room_id, "m.room.message", content))  # rooms in parallel
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def stop(self) -> None:
        await stop_syncing(self._task, self.client)


class NoReactionBot(MatrixBot):
    """The adapter without its 👍/👎 and 1️⃣ 2️⃣ 3️⃣ reactions (``--no-reactions``): shows what they cost."""

    def _enqueue(self, room, event_type, content, reply):
        if event_type != "m.reaction":
            super()._enqueue(room, event_type, content, reply)


def report(label: str, client_ms: list[float], server_ms: list[float], wall: float) -> None:
    print(f"{label}: n={len(client_ms)}  median {statistics.median(client_ms):.1f} ms  "
          f"p95 {percentile(client_ms, 0.95):.1f} ms  max {max(client_ms):.1f} ms  "
          f"(homeserver timestamps: median {statistics.median(server_ms):.0f} ms, "
          f"p95 {percentile(server_ms, 0.95):.0f} ms)  wall {wall:.1f} s, {len(client_ms) / wall:.1f} answers/s")


async def main(n_questions: int, n_askers: int, faq_dir: Path, docs_dir: Path | None, echo: bool = False,
               tmpfs: bool = False, reactions: bool = True, threads: int = 0, pause: float = 0.0) -> None:
    logging.basicConfig(level=logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="matrix-bench-"))
    server = Synapse(work / "synapse", db_dir=Path(tempfile.mkdtemp(prefix="synapse-db-", dir="/dev/shm"))
                     if tmpfs else None)
    server.workdir.mkdir(parents=True)
    t = time.perf_counter()
    server.start()
    askers = [f"asker{i}" for i in range(max(1, n_askers))]
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda u: server.register(u, PASSWORD), ["pixbot", *askers]))
        print(f"synapse up and {len(askers) + 1} users registered in {time.perf_counter() - t:.1f} s")

        config = load_config(ROOT / "config.example.yaml" if (ROOT / "config.example.yaml").exists() else None)
        config.data_dir = work / "bot"
        config.database = config.data_dir / "pixbot.sqlite"
        config.faq_dir, config.docs_dir = faq_dir, docs_dir
        config.matrix.homeserver, config.matrix.user_id = server.url, server.mxid("pixbot")
        config.matrix.allowed_users, config.matrix.allowed_servers = [], []
        config.matrix.messages_per_second = 0  # pacing disabled
        t = time.perf_counter()
        # embeddings cached across runs (the first run encodes the whole corpus)
        cache = Path(tempfile.gettempdir()) / "pixbot-bench-embeddings.sqlite"
        engine = Engine(config, embedder=Embedder(models.prepare(config), cache_path=cache, threads=threads,
                                                  runtime_dir=Path(tempfile.gettempdir()) / "pixbot-bench-onnx"))
        engine.load()
        print(f"engine loaded in {time.perf_counter() - t:.1f} s ({len(engine.index.items)} items)")
        questions = questions_from_faq(engine)
        search_ms = []
        for q in questions[:50]:
            t = time.perf_counter()
            engine.ask(q)
            search_ms.append((time.perf_counter() - t) * 1000)
        print(f"search alone (engine.ask, no Matrix): median {statistics.median(search_ms):.1f} ms, "
              f"p95 {percentile(search_ms, 0.95):.1f} ms")
        storage = Storage(config.database)
        if echo:
            bot = await EchoBot(server, "pixbot").start()
            print("bare matrix-nio echo bot (the floor), not the pixbot adapter")
        else:
            brain = Brain(engine, storage)
            bot = (MatrixBot if reactions else NoReactionBot)(config, brain, storage, password=PASSWORD)
            await bot.start()
            if not reactions:
                print("reactions on answers not sent (--no-reactions): not the product's behaviour")
        await bot.synced.wait()

        peers = [await Peer(server, name).start() for name in askers]
        rooms = []
        for peer in peers:
            room = await peer.create_room([bot.user_id], direct=True)
            await peer.wait_joined(room, bot.user_id)
            rooms.append(room)
        await ask_series(peers[0], rooms[0], bot.user_id, questions[:3])  # warm-up

        series = [questions[i % len(questions)] for i in range(n_questions)]
        t = time.perf_counter()
        client_ms, server_ms = await ask_series(peers[0], rooms[0], bot.user_id, series, pause)
        report(f"1 asker, {n_questions} questions in a row" + (f", {pause:g} s apart" if pause else ""),
               client_ms, server_ms, time.perf_counter() - t)

        per = max(1, n_questions // len(peers))
        t = time.perf_counter()
        results = await asyncio.gather(*(
            ask_series(p, r, bot.user_id, [questions[(i * 7 + k) % len(questions)] for k in range(per)], pause)
            for i, (p, r) in enumerate(zip(peers, rooms))))
        wall = time.perf_counter() - t
        report(f"{len(peers)} askers at once, {per} questions each",
               [x for c, _ in results for x in c], [x for _, s in results for x in s], wall)
        for peer in peers:
            await peer.close()
        await bot.stop()
        storage.close()
    finally:
        server.stop()
        if server.db_dir is not None:
            shutil.rmtree(server.db_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--askers", type=int, default=20)
    parser.add_argument("--faq-dir", type=Path, default=ROOT / "faq")
    parser.add_argument("--docs-dir", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--echo", action="store_true", help="measure a bare matrix-nio echo bot (the floor)")
    parser.add_argument("--tmpfs", action="store_true", help="homeserver database on /dev/shm")
    parser.add_argument("--no-reactions", action="store_true", help="bot without its reactions (to measure them)")
    parser.add_argument("--threads", type=int, default=0, help="search.threads (0: the runtime's default)")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds an asker waits after a reply before the next question (0: back to back)")
    args = parser.parse_args()
    asyncio.run(main(args.questions, args.askers, args.faq_dir, args.docs_dir, args.echo, args.tmpfs,
                     not args.no_reactions, args.threads, args.pause))
