"""Digest rounds, decided from the database.

The cron jobs (daily at ``daily_time``, weekly on ``weekly_day``) and a short poll all call
``tick()``, which finishes a round a crash interrupted, runs a round the bot missed while it was
down (once, coalesced) and honours ``pixbot news send-now`` requests. Each digest goes out
through ``brain.emit`` with its delivery record in the same transaction, so no digest is lost or
sent twice across a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Callable
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from ...core import strings
from ...core.brain import Brain, Reply
from .digest import render_digest, select_pending
from .store import NewsStore

log = logging.getLogger(__name__)

RHYTHMS = ("daily", "weekly")
POLL_SECONDS = 30


class Rounds:
    """``fetch_all`` refreshes the sources before a round; ``before_round`` runs at every tick
    (the urgent announcement files)."""

    def __init__(self, store: NewsStore, brain: Brain, nc, tz: ZoneInfo, clock: Callable[[], float],
                 fetch_all: Callable[[], object], before_round: Callable[[], None]):
        self.store = store
        self.brain = brain
        self.nc = nc
        self.tz = tz
        self.clock = clock
        self.fetch_all = fetch_all
        self.before_round = before_round
        hour, minute = (int(x) for x in nc.daily_time.split(":"))
        self.triggers = {
            "daily": CronTrigger(hour=hour, minute=minute, timezone=tz),
            "weekly": CronTrigger(day_of_week=nc.weekly_day, hour=hour, minute=minute, timezone=tz),
        }
        self._lock = threading.Lock()

    def start_counting(self) -> None:
        """The schedule starts counting at the first install: no catch-up of earlier rounds."""
        now = self.clock()
        for rhythm in RHYTHMS:
            if self.store.baseline(rhythm) is None:
                self.store.set_baseline(rhythm, now)

    # -- digests --------------------------------------------------------------------------------
    def pending_items(self, sub: dict) -> list[dict]:
        now = self.clock()
        return select_pending(self.store.active_items(now), self.store.delivered(sub["id"]), sub, now,
                              backlog_days=self.nc.backlog_days, max_age_days=self.nc.max_age_days,
                              max_items=self.nc.max_items)

    def digest_for(self, sub: dict) -> tuple[str | None, list[dict]]:
        items = self.pending_items(sub)
        if not items:
            return None, []
        today = dt.datetime.fromtimestamp(self.clock(), self.tz).date()
        return render_digest(sub["topics"], items, sub["rhythm"], today), items

    # -- rounds ---------------------------------------------------------------------------------
    def latest_due(self, rhythm: str, after: float, now: float) -> float | None:
        """The latest scheduled time of ``rhythm`` in (after, now], or None (coalesces missed runs)."""
        trigger = self.triggers[rhythm]
        t = trigger.get_next_fire_time(None, dt.datetime.fromtimestamp(after + 1, self.tz))
        latest = None
        while t is not None and t.timestamp() <= now:
            latest = t.timestamp()
            t = trigger.get_next_fire_time(t, t + dt.timedelta(seconds=1))
        return latest

    def request_round(self, rhythm: str = "all") -> None:
        """Ask the running bot for a round now (``pixbot news send-now``); kept until served."""
        self.store.set_request(json.dumps({"at": self.clock(), "rhythm": rhythm}))

    def tick(self) -> int:
        """Everything the schedule asks for, decided from the database. Returns digests sent."""
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            if self.brain.outlet is None:
                return 0  # no adapter connected: the rounds wait (and are caught up) until one is
            self.before_round()
            sent = 0
            for round_ in self.store.unfinished_rounds():
                done, n = self._serve_round(round_)  # a round a crash interrupted
                sent += n
                if not done:
                    return sent
            request = self.store.request()
            if request:
                req = json.loads(request)
                self.fetch_all()
                round_ = self.store.open_round(req.get("rhythm", "all"), req["at"], True, self.clock(),
                                               consume_request=request)
                if round_:
                    sent += self._serve_round(round_)[1]
            now = self.clock()
            fetched = bool(request)
            for rhythm in RHYTHMS:
                last = self.store.last_scheduled(rhythm)
                if last is None:
                    last = float(self.store.baseline(rhythm) or now)
                due = self.latest_due(rhythm, last, now)
                if due is None:
                    continue
                if due < now - 60:
                    log.info("news: catching up the %s digest of %s", rhythm,
                             dt.datetime.fromtimestamp(due, self.tz).isoformat())
                if not fetched:  # fresh items for the digest (failing sources are skipped)
                    self.fetch_all()
                    fetched = True
                round_ = self.store.open_round(rhythm, due, False, self.clock())
                if round_:
                    sent += self._serve_round(round_)[1]
            return sent
        finally:
            self._lock.release()

    def send_now(self, rhythm: str = "all") -> int:
        """Request a round and run it at once (bot running in this process)."""
        self.request_round(rhythm)
        return self.tick()

    def _serve_round(self, round_: dict) -> tuple[bool, int]:
        """Send each subscriber of the round their digest, once. (finished, digests sent)."""
        rid = round_["id"]
        sent = 0
        for sub in self.store.subscribers(round_["rhythm"]):
            if self.store.served(rid, sub["id"]):
                continue
            text, items = self.digest_for(sub)
            if text is None and self.nc.nothing_new_notice:
                text = strings.NEWS_NOTHING_NEW
            record = self._recorder(rid, sub["id"], items)
            if text is None:
                with self.store.transaction():
                    record()
                continue
            reply = Reply(room=sub["room"], text=text, kind="info", payload={"news_round": rid, "news_subscriber": sub["id"]})
            if not self.brain.emit([reply], record=record):
                return False, sent
            sent += 1
        self.store.complete_round(rid, self.clock())
        log.info("news round %s (%s) complete: %d digest(s)", rid, round_["rhythm"], sent)
        return True, sent

    def _recorder(self, rid: int, sub_id: int, items: list[dict]) -> Callable[[], None]:
        def record() -> None:  # runs inside the emit transaction
            self.store.record_served(rid, sub_id, items, self.clock())
        return record
