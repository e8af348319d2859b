"""Matrix round-trip latency: from an asker's send to the bot's reply arriving at the asker.

Starts a throw-away Synapse on loopback (the launcher the end-to-end tests use), runs the bot
in-process over the bundled FAQ and documentation with pacing disabled, then measures
  1. 200 questions from one asker, one at a time;
  2. 20 askers at once (each in their own direct chat), 10 questions each.
Prints median and p95 (milliseconds), client-observed, plus the homeserver-timestamp delta.

    .venv/bin/python benchmarks/matrix_bench.py [--questions 200] [--askers 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "matrix"))
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from synapse_server import PASSWORD, Peer, Synapse  # noqa: E402

from bot.brain import Brain  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.embedding import Embedder  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.matrix_bot import MatrixBot  # noqa: E402
from bot.storage import Storage  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def questions_from_faq(engine: Engine) -> list[str]:
    out = [item.title for item in engine.index.items if item.kind == "faq"]
    return out or ["Comment inviter un collègue dans Pix Orga ?"]


async def ask_series(peer: Peer, room: str, bot_id: str, questions: list[str]) -> tuple[list[float], list[float]]:
    client_ms, server_ms = [], []
    for q in questions:
        t0 = time.perf_counter()
        event_id = await peer.send(room, q)
        reply = await peer.reply_to(bot_id, event_id, timeout=60)
        client_ms.append((time.perf_counter() - t0) * 1000)
        question = next(e for r, e in reversed(peer.events) if getattr(e, "event_id", None) == event_id) \
            if any(getattr(e, "event_id", None) == event_id for _, e in peer.events) else None
        if question is not None:
            server_ms.append(reply.server_timestamp - question.server_timestamp)
    return client_ms, server_ms


def report(label: str, client_ms: list[float], server_ms: list[float], wall: float) -> None:
    print(f"{label}: n={len(client_ms)}  median {statistics.median(client_ms):.1f} ms  "
          f"p95 {percentile(client_ms, 0.95):.1f} ms  max {max(client_ms):.1f} ms  "
          f"(homeserver timestamps: median {statistics.median(server_ms):.0f} ms, "
          f"p95 {percentile(server_ms, 0.95):.0f} ms)  wall {wall:.1f} s, {len(client_ms) / wall:.1f} answers/s")


async def main(n_questions: int, n_askers: int, faq_dir: Path, docs_dir: Path | None) -> None:
    logging.basicConfig(level=logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="matrix-bench-"))
    server = Synapse(work / "synapse")
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
        config.faq_dir, config.docs_dir, config.trained_model = faq_dir, docs_dir, None
        config.matrix.homeserver, config.matrix.user_id = server.url, server.mxid("pixbot")
        config.matrix.allowed_users, config.matrix.allowed_servers = [], []
        config.matrix.messages_per_second = 0  # pacing disabled
        t = time.perf_counter()
        # embeddings cached across runs (the first run encodes the whole corpus)
        cache = Path(tempfile.gettempdir()) / "pixbot-bench-embeddings.sqlite"
        engine = Engine(config, embedder=Embedder(config.model_spec(), cache_path=cache))
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
        brain = Brain(engine, storage)
        bot = MatrixBot(config, brain, storage, password=PASSWORD)
        await bot.start()
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
        client_ms, server_ms = await ask_series(peers[0], rooms[0], bot.user_id, series)
        report(f"1 asker, {n_questions} questions in a row", client_ms, server_ms, time.perf_counter() - t)

        per = max(1, n_questions // len(peers))
        t = time.perf_counter()
        results = await asyncio.gather(*(
            ask_series(p, r, bot.user_id, [questions[(i * 7 + k) % len(questions)] for k in range(per)])
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--askers", type=int, default=20)
    parser.add_argument("--faq-dir", type=Path, default=ROOT / "faq")
    parser.add_argument("--docs-dir", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args()
    asyncio.run(main(args.questions, args.askers, args.faq_dir, args.docs_dir))
