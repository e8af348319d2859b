"""Helpers shared by test modules (a plain module, so it can be imported from any test folder:
each test folder has its own conftest.py, and "conftest" is not a unique module name)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.config import load_config
from bot.core.storage import Storage
from bot.answers.search import SearchParams


def make_config(data_dir: Path, faq_dir: Path, docs_dir: Path | None):
    config = load_config(None)
    config.data_dir = data_dir
    config.faq_dir = faq_dir
    config.docs_dir = docs_dir
    config.training_dir = None
    config.model = "minilm"  # small and fast: these tests are about behaviour, not ranking quality
    config.trained_model = None
    config.search = SearchParams()  # not the shipped model's calibration (read from its manifest)
    config.database = data_dir / "pixbot.sqlite"
    return config


PARIS = ZoneInfo("Europe/Paris")


def at(*args) -> dt.datetime:
    """A moment in Paris time: ``at(2026, 3, 2, 9, 0)``."""
    return dt.datetime(*args, tzinfo=PARIS)


class Clock:
    """A clock the test moves (features take it as their ``clock``)."""

    def __init__(self, when: dt.datetime):
        self.t = when.timestamp()

    def __call__(self) -> float:
        return self.t

    def set(self, when: dt.datetime) -> None:
        self.t = when.timestamp()

    def advance(self, **kw) -> None:
        self.t += dt.timedelta(**kw).total_seconds()


class Crash(Exception):
    """The process dies while sending."""


class Outlet:
    """Stands for the Matrix adapter's outlet: writes each reply to the outbox inside the emit
    transaction. ``crash_after``: dies before the n+1-th reply; ``crash_after_write``: dies
    after writing the outbox row, before the transaction commits."""

    def __init__(self, storage: Storage, crash_after: int | None = None, crash_after_write: bool = False):
        self.storage = storage
        self.crash_after = crash_after
        self.crash_after_write = crash_after_write
        self.replies = []

    def __call__(self, replies) -> None:
        if self.crash_after is not None and len(self.replies) >= self.crash_after:
            raise Crash()
        for r in replies:
            self.storage.enqueue(r.room, {"reply": dataclasses.asdict(r)}, uuid.uuid4().hex)
        if self.crash_after_write:
            raise Crash()
        self.replies.extend(replies)

    def to(self, room: str) -> list:
        return [r for r in self.replies if r.room == room]
