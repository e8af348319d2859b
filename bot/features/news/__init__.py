"""Pix news: sources -> items -> per-subscriber digests, sent once and recorded.

The parts, in the order a news item meets them:

- ``fetch``: RSS/Atom feeds and the folder of Markdown announcements -> ``NewsItem``s, with
  backoff for failing sources. Items have a stable id and a content hash: an edited item gets a
  new hash and goes out again, marked « mis à jour ».
- ``store``: the repository (every SQL statement); ``news_deliveries`` remembers which
  (item, hash) each subscriber received.
- ``digest``: which items a subscriber gets next and their Markdown digest (pure functions);
  ``topics`` and ``text``: topic matching and text shaping (pure).
- ``rounds``: the scheduled rounds, caught up after a restart, each digest recorded in the
  transaction that queues it.
- ``announcements``: ``annonce`` or an urgent file -> preview -> « envoyer » -> broadcast;
  ``rappeler`` takes it back.
- ``commands``: the chat commands.

``install(app)`` wires them on the brain (commands, an interceptor for « envoyer »/« annuler »,
sent/failed/left hooks, a forgetter) and on the scheduler, and sets ``app.news`` (``News``),
which the CLI (``pixbot news``) and the tests use.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from functools import partial
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from ...core import strings
from ...core.brain import Forgetter, Reply
from . import commands
from .announcements import DRAFT_TTL, URGENT_DRAFT_TTL, Announcements
from .fetch import FOLDER_PREFIX, USER_AGENT, FetchError, Fetcher, NewsItem, fetch_url, load_announcements, parse_feed
from .rounds import POLL_SECONDS, RHYTHMS, Rounds
from .report import news_section
from .store import KV_BASELINE, KV_REQUEST, MIGRATIONS, NewsStore
from .text import fold, md_text, one_line, safe_link
from .topics import item_topics, known_topics, parse_topic_args, topic_names

__all__ = ["DRAFT_TTL", "FOLDER_PREFIX", "KV_BASELINE", "KV_REQUEST", "MIGRATIONS", "POLL_SECONDS", "RHYTHMS",
           "URGENT_DRAFT_TTL", "USER_AGENT", "FetchError", "News", "NewsItem", "fetch_url", "fold", "install",
           "item_topics", "load_announcements", "md_text", "one_line", "parse_feed", "parse_topic_args",
           "safe_link"]

log = logging.getLogger(__name__)


class News:
    """The news feature of one app: its parts, and the operations the CLI and the tests use."""

    def __init__(self, app, clock: Callable[[], float] | None = None):
        self.app = app
        self.config = app.config
        self.nc = app.config.news
        self.brain = app.brain
        self.clock = clock or time.time
        self.tz = ZoneInfo(app.config.timezone)
        folder = Path(self.nc.announcements_dir)
        self.folder = folder if folder.is_absolute() else Path(app.config.base_dir) / folder
        self.store = NewsStore(app.storage)
        self.fetcher = Fetcher(self.store, self.nc, self.folder, self.tz, self.clock, self.brain.errors)
        self.announcements = Announcements(self.store, self.brain, self.config, self.clock)
        self.rounds = Rounds(self.store, self.brain, self.nc, self.tz, self.clock,
                             fetch_all=self.fetch_all, before_round=self.announcements.announce_urgent_files)
        self.triggers = self.rounds.triggers

    # -- set-up ---------------------------------------------------------------------------------
    def install(self) -> "News":
        self.store.migrate()
        self.rounds.start_counting()
        commands.register(self)
        self.brain.add_interceptor(self.announcements.intercept_confirmation, priority=50)
        self.brain.sent_hooks.append(self.announcements.on_sent)
        self.brain.failed_hooks.append(self._on_failed)
        self.brain.left_hooks.append(self.forget_room)
        self.brain.forgetters.append(Forgetter(self.count_held, self.forget_person))
        sched = self.app.scheduler
        start = dt.datetime.now(self.tz)
        sched.add_job(self.fetch_all, "interval", minutes=self.nc.fetch_interval_minutes, id="news-fetch",
                      next_run_time=start, replace_existing=True)
        for rhythm, trigger in self.triggers.items():
            sched.add_job(self.tick, trigger, id=f"news-{rhythm}", replace_existing=True)
        sched.add_job(self.tick, "interval", seconds=POLL_SECONDS, id="news-poll",
                      next_run_time=start + dt.timedelta(seconds=5), replace_existing=True)
        sched.add_job(self.purge_expired, "cron", hour=3, minute=23, id="news-retention", replace_existing=True)
        self.app.news = self
        return self

    # -- sources, topics, subscribers -----------------------------------------------------------
    def fetch_all(self, force: bool = False) -> dict[str, str]:
        return self.fetcher.fetch_all(force)

    def sources(self) -> list[dict]:
        return self.fetcher.sources()

    def sources_text(self) -> str:
        return self.fetcher.sources_text()

    def known_topics(self) -> dict[str, str]:
        """Folded name or keyword -> topic name (configured topics, then categories seen)."""
        return known_topics(self.store.active_topics(), self.nc.topics)

    def topic_names(self) -> list[str]:
        return topic_names(self.nc.topics, self.known_topics())

    def subscriber(self, kind: str, target: str) -> dict | None:
        return self.store.subscriber(kind, target)

    def subscribers(self, rhythm: str | None = None) -> list[dict]:
        return self.store.subscribers(rhythm)

    def find_subscriber(self, key: str) -> dict | None:
        return self.store.find_subscriber(key)

    # -- digests and rounds ---------------------------------------------------------------------
    def digest_for(self, sub: dict) -> tuple[str | None, list[dict]]:
        return self.rounds.digest_for(sub)

    def tick(self) -> int:
        return self.rounds.tick()

    def request_round(self, rhythm: str = "all") -> None:
        self.rounds.request_round(rhythm)

    def send_now(self, rhythm: str = "all") -> int:
        return self.rounds.send_now(rhythm)

    # -- retention, forgetting, failures --------------------------------------------------------
    def purge_expired(self, now: float | None = None) -> int:
        """GDPR retention: forget who received what, and old announcements (author, text).

        Delivery records are kept at least ``max_age_days`` + 1 day, the window in which an item
        could still be sent, so a purge never makes a digest repeat an item.
        """
        now = self.clock() if now is None else now
        cutoff = now - self.config.retention_days * 86400
        deliveries_cutoff = min(cutoff, now - (self.nc.max_age_days + 1) * 86400)
        n, old = self.store.purge(cutoff, deliveries_cutoff)
        if n or old:
            log.info("retention: deleted %d news delivery record(s) and %d announcement(s)", n, old)
        return n + old

    def count_held(self, user: str) -> list[tuple[str, int]]:
        return [(strings.FORGET_SUBSCRIPTIONS, self.store.count_subscriptions(user))]

    def forget_person(self, user: str) -> list[Reply]:
        """Their own subscriptions go, with what they received; a room they subscribed keeps its
        subscription (it is the room's) but no longer says who asked for it; announcements they
        wrote no longer name them."""
        self.store.forget_person(user)
        return []

    def forget_room(self, room: str) -> int:
        """The bot left ``room`` (or was removed): its subscriptions go, with what they received."""
        n = self.store.forget_room(room)
        if n:
            log.info("no longer in %s: %d news subscription(s) removed", room, n)
        return n

    def _on_failed(self, reply: Reply, reason: str, room_gone: bool) -> None:
        """A digest or announcement refused for good was not delivered: its items are no longer
        counted as received (they come again in the next digest); a room the bot can no longer
        write in loses its subscriptions."""
        payload = reply.payload or {}
        sub = payload.get("news_subscriber")
        if sub is None:
            return
        self.store.undeliver(sub, payload.get("news_round"), payload.get("news_announcement"))
        if room_gone:
            self.forget_room(reply.room)


def install(app, clock: Callable[[], float] | None = None) -> News:
    app.report_sections.append(partial(news_section, app.storage))
    return News(app, clock).install()
