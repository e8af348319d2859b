"""End-to-end fixtures: a real Synapse on loopback (session), test clients, and in-process bots.

Synapse failing to start is a test failure with its log, never a skip.
"""

from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core.brain import Brain
from bot.core.config import load_config
from bot.adapters.matrix import MatrixBot
from bot.core.storage import Storage
from synapse_server import PASSWORD, Peer, Synapse

USERS = ("pixbot", "staff", "colleague", "stranger")


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()  # raises SynapseError with the log: the session fails loudly
    try:
        with ThreadPoolExecutor(len(USERS)) as pool:
            list(pool.map(lambda u: server.register(u, PASSWORD), USERS))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def staff(synapse, tmp_path_factory):
    peer = await Peer(synapse, "staff", store=tmp_path_factory.mktemp("staff-store")).start()
    yield peer
    await peer.close()


@pytest.fixture(scope="session")
async def colleague(synapse):
    peer = await Peer(synapse, "colleague").start()
    yield peer
    await peer.close()


@pytest.fixture(scope="session")
async def stranger(synapse):
    peer = await Peer(synapse, "stranger").start()
    yield peer
    await peer.close()


@dataclass
class BotHarness:
    """Starts and stops bots sharing one data folder and database (a bot's life across restarts)."""

    synapse: Synapse
    engine: object
    data_dir: Path
    correspondents: list[str]
    allowed_users: list[str]
    features: list | None = None  # feature modules: the brain is then built by an App

    def __post_init__(self):
        self.user_id = self.synapse.mxid("pixbot")
        self.storage = Storage(self.data_dir / "pixbot.sqlite")
        self.app = None
        if self.features is None:
            self.brain = Brain(self.engine, self.storage, correspondents=self.correspondents)
        else:
            from bot.core.app import App

            config = self.config()
            config.correspondents = list(self.correspondents)
            self.app = App(config, self.engine, self.storage, features=self.features)
            self.brain = self.app.brain
        self.bot: MatrixBot | None = None

    def config(self):
        config = load_config(None)
        config.data_dir = self.data_dir
        config.database = self.data_dir / "pixbot.sqlite"
        m = config.matrix
        m.homeserver = self.synapse.url
        m.user_id = self.user_id
        m.allowed_users = list(self.allowed_users)
        m.allowed_servers = []
        m.messages_per_second = 50.0
        return config

    async def start(self) -> MatrixBot:
        assert self.bot is None
        # the app's own configuration when there is one (tests change e.g. its correspondents' room)
        config = self.app.config if self.app is not None else self.config()
        self.bot = MatrixBot(config, self.brain, self.storage, password=PASSWORD, sync_timeout_ms=5000)
        await self.bot.start()
        await asyncio.wait_for(self.bot.synced.wait(), 20)
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    async def restart(self) -> MatrixBot:
        await self.stop()
        return await self.start()


@pytest.fixture
async def harness(synapse, sample_engine, tmp_path, staff, colleague):
    h = BotHarness(synapse, sample_engine, tmp_path / "bot", correspondents=[staff.user_id],
                   allowed_users=[staff.user_id, colleague.user_id])
    yield h
    await h.stop()
    h.storage.close()
    shutil.rmtree(tmp_path / "bot", ignore_errors=True)


@pytest.fixture
async def bot(harness) -> MatrixBot:
    return await harness.start()


@pytest.fixture
async def make_harness(synapse, sample_engine, tmp_path):
    """A harness with chosen correspondents, allowed users and feature modules (App-built brain)."""
    made: list[BotHarness] = []

    def make(correspondents: list[str], allowed_users: list[str], features: list | None = None) -> BotHarness:
        h = BotHarness(synapse, sample_engine, tmp_path / "bot", correspondents=correspondents,
                       allowed_users=allowed_users, features=features)
        made.append(h)
        return h

    yield make
    for h in made:
        await h.stop()
        h.storage.close()
    shutil.rmtree(tmp_path / "bot", ignore_errors=True)
