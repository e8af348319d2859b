"""Assembles the bot: engine + storage + brain + feature modules + scheduler.

Every front end (terminal chat, Matrix) builds its brain here, so they all run the same
features. A feature module exposes ``install(app)``: it registers its commands on
``app.brain`` (decorator with help text and access guard), its interceptors and hooks, its
storage migrations (``storage.migrate_module``) and its scheduled jobs on ``app.scheduler``.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from .brain import Brain
from .platform import Platform
from .config import Config
from .storage import Storage

log = logging.getLogger(__name__)


class App:
    def __init__(self, config: Config, engine, storage: Storage, features: list | None = None):
        self.config = config
        self.engine = engine
        self.storage = storage
        self.brain = Brain(engine, storage, correspondents=config.correspondents,
                           command_prefix=config.matrix.command_prefix)
        # sections of the activity report each feature contributes (bot/features/report): a
        # callable (start, end: timestamps; tz) -> Section, aggregates only
        self.report_sections: list = []
        # the questions handed on to a person (the tickets feature): callables (since: timestamp)
        # -> [(asked_at, question, the answer given or None)], for the content gaps and their FAQ drafts
        self.handed_on: list = []
        self.scheduler = BackgroundScheduler(timezone=config.timezone,
                                             job_defaults={"coalesce": True, "misfire_grace_time": 3600,
                                                           "max_instances": 1})
        # until an adapter brings its own: the correspondents' room of the config (the terminal
        # chat shows what is sent there)
        self.brain.platform = Platform(lambda: config.matrix.correspondents_room)
        for install in (default_features() if features is None else features):
            install(self)
        # GDPR: questions, feedback and conversation state older than the retention period go
        self.scheduler.add_job(self.purge, "cron", hour=3, minute=17, id="core-retention")

    def purge(self) -> int:
        removed = self.storage.purge_older_than(self.config.retention_days * 86400)
        if removed:
            log.info("retention: %d old record(s) deleted", removed)
        return removed

    def start(self) -> None:
        if self.scheduler.get_jobs() and not self.scheduler.running:
            self.scheduler.start()

    def stop(self) -> None:
        """Stop the scheduled jobs and wait for a running one to finish: the storage is closed
        next, and a job still writing to it would crash the process."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def default_features() -> list:
    """The feature modules every front end gets."""
    from ..features import news
    from ..features import report
    from ..features import sessions
    from ..features import tickets

    return [news.install,
            tickets.install,
            sessions.install,
            report.install]
